"""Issue 19, part MEMBER_EXPORT: routes land here."""
from chalice import Blueprint

bp = Blueprint(__name__)
