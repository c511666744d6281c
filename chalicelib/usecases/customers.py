"""Finding a customer: the console's one search box takes a card number, a phone or (part of) a name.

A card number or a phone is one alias lookup (usecases/cards.search, with its rule that a role which
sees no contacts cannot search by phone). A name is matched without regard to case, `ё`/`е` or word
order: every word typed must occur in the holder's name ("ива анн" finds "Анна Иванова"). DynamoDB has
no such index, so a name search reads the program's cards index newest first, a bounded slice per
request (store/listings.cards_by_name), and pages on with a cursor.
"""
import re
import unicodedata
from collections.abc import Callable

from chalicelib.core import card_number, phone
from chalicelib.core import mechanics as mech
from chalicelib.errors import InvalidInput
from chalicelib.store import listings
from chalicelib.store.records import Program
from chalicelib.usecases import cards as card_views

LONGEST_QUERY = 100  # a name is at most 100 characters


def folded(text: str) -> str:
    """`text` as names are compared: compatibility-normalised, case-folded, `ё` as `е`, one space between words."""
    plain = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join(plain.split())


def name_matcher(query: str) -> Callable[[str], bool]:
    words = folded(query).split()
    return lambda name: all(word in folded(name) for word in words)


def find(program: Program, query: str | None, *, by_phone: bool, limit: int, cursor: str | None
         ) -> tuple[list[card_views.CardRow], str | None]:
    """Cards matching `query`, newest first, a page at a time."""
    text = (query or "").strip()
    if not text or len(text) > LONGEST_QUERY:
        raise InvalidInput(f"Search by a card number, a phone number or a name (up to {LONGEST_QUERY} characters).",
                           code="invalid_query", field="q")
    mechanics = mech.from_stored(program.mechanics)
    if card_number.normalise(text) or phone.looks_like_phone(text):
        card = card_views.search(program, text, by_phone=by_phone)
        return ([card_views.list_view(card, mechanics)] if card else []), None
    if not re.search(r"[^\W\d_]", text):  # no letter: a number too short to be a card's or a phone's
        raise InvalidInput("A name has letters; a card number has 12 digits; a phone at least 7.",
                           code="invalid_query", field="q")
    cards, next_cursor = listings.cards_by_name(program.program_id, name_matcher(text), limit, cursor)
    return [card_views.list_view(card, mechanics) for card in cards], next_cursor
