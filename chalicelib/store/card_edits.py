"""An admin's edit of a card (status, holder's name), written with the wallet's follow-up."""
from datetime import datetime

from pynamodb.exceptions import TransactWriteError

from chalicelib.store import cards as card_store
from chalicelib.store import db
from chalicelib.store.models import Card


class CardChanged(Exception):
    """The card changed between reading and writing it: nothing was written."""


def save_edit(card: Card, now: datetime) -> None:
    """Write the edited card (conditioned on the version read) and its pass update."""
    try:
        card_store.save_shown_change(card, now)
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            raise CardChanged(card.card_id) from None
        raise
