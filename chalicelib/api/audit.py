"""Issue 19, part AUDIT: routes land here."""
from chalice import Blueprint

bp = Blueprint(__name__)
