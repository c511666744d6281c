"""The holder's own contact details on a card (e-mail address, birthday), as the customer fills them in
on the card's profile page. Nothing the wallet shows changes, so no pass update goes out."""
from pynamodb.exceptions import PutError

from chalicelib.store import db
from chalicelib.store.card_edits import CardChanged
from chalicelib.store.models import Card


def save_contact(card: Card) -> None:
    """Write the card with its new `email` and `birthday` (conditioned on the version read), keeping
    the birthday index's key in step (the birthday job finds the card by it). CardChanged when the
    card changed meanwhile: nothing was written."""
    card.birthday_key = f"{card.program_id}#{card.birthday[5:]}" if card.birthday else None
    try:
        card.save()
    except PutError as error:
        if db.is_condition_failure(error):
            raise CardChanged(card.card_id) from None
        raise
