"""The card inside Telegram: the Mini App page and its initData-verified calls (issue 18, part TG)."""
from chalice import Blueprint

bp = Blueprint(__name__)
