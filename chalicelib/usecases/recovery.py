"""A member who lost their card link asks for it again (issue 15, item 5): the link goes to the phone
(SMS) or the e-mail address they enrolled with, never into the answer, and the answer is the same
whether or not anyone enrolled with that phone or address, so the form tells nobody who is a member.

Rate-limited per program and client address and per phone or address asked about (fixed windows of
core.limits.WINDOW): a stranger cannot flood a member with texts, nor a script walk through phones.
DynamoDB requests: 2 UpdateItems (the limits), 1 GetItem (the alias), 1 GetItem (the card)."""
from dataclasses import dataclass
from datetime import datetime

from chalicelib import log
from chalicelib.store import cards as card_store
from chalicelib.store import ratelimits
from chalicelib.store import recovery as recovery_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import card_links

PER_ADDRESS = 20  # recoveries asked from one client address into one program, per window
PER_CONTACT = 3  # links sent to one phone or e-mail address, per window (SMS cost; nobody is flooded)


@dataclass(frozen=True)
class Contact:
    """What the member says they enrolled with: exactly one of the two, normalised."""

    phone: str | None = None
    email: str | None = None


def resend_link(program: Program, contact: Contact, address: str, now: datetime) -> None:
    """Send the card link of the member with `contact` to that phone or address, if there is such a
    member; nothing tells the caller which (RateLimited is counted before the look-up, alike for all)."""
    moment = now.timestamp()
    ratelimits.take("recover", f"{program.program_id}#{address}", PER_ADDRESS, moment)
    ratelimits.take("recover", f"{program.program_id}#{contact.phone or contact.email}", PER_CONTACT, moment)
    card = _member(program, contact)
    if card is None:
        log.info("card_link_not_resent", program_id=program.program_id, reason="no_member")
        return
    card_links.send(card, program, "sms" if contact.phone else "email", asked=True)


def _member(program: Program, contact: Contact) -> Card | None:
    if contact.phone:
        card_id = card_store.card_id_by_phone(program.program_id, contact.phone)
    else:
        card_id = recovery_store.card_id_by_email(program.program_id, contact.email or "")
    card = card_store.get(card_id) if card_id else None
    if card is None or card.program_id != program.program_id:
        return None
    # an e-mail changed since enrollment no longer reaches the card; a phone alias never changes
    if contact.email and (card.email or "").lower() != contact.email:
        return None
    return card
