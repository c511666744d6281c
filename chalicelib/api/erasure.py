"""Issue 19, part ERASURE: routes land here."""
from chalice import Blueprint

bp = Blueprint(__name__)
