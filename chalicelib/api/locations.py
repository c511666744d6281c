"""A program's locations (stores): list, add, edit, close (issue 18, part LOC)."""
from chalice import Blueprint

bp = Blueprint(__name__)
