"""The till page's API: a cashier looks a card up, sells and refunds at their location (issue 18, part TILL)."""
from chalice import Blueprint

bp = Blueprint(__name__)
