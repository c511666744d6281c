"""A customer completes their profile from the card page: adds an e-mail address and a birthday to
the card. With both on the card, the program's `profile_completed` bonus is given (once per card).

The details are written first (conditioned on the card's version), the bonus second through the
ledger: if the second write fails, the details are kept and posting the form again gives the bonus
(the ledger record makes it once). A birthday already on the card is not changed here (the birthday
gift would otherwise be a date away); an e-mail address may be (a link recovery then finds the card
by the new one). The e-mail offers box gives or withdraws the card's e-mail marketing consent, recorded
as given or withdrawn through the profile page (core/consents.py); giving it needs an address."""
from datetime import datetime
from typing import TypedDict

from chalicelib import log
from chalicelib.commands.profile import ProfilePost
from chalicelib.core import consents as consent_rules
from chalicelib.core.enrollment import FormErrors
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.store import card_channels, card_edits, profiles
from chalicelib.store import recovery as recovery_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import actions
from chalicelib.usecases.actions import ActionBonus

ACTION = "profile_completed"


class ProfileAnswer(TypedDict):
    email: str | None
    birthday: str | None
    complete: bool  # both are on the card
    bonus: ActionBonus | None  # the bonus this post gave (None: none, or given before)
    balance: int
    marketing_consent: bool  # the card's e-mail marketing consent stands (after this post)


def faults(card: Card, post: ProfilePost) -> list[InvalidInput]:
    """What keeps this post from saving, every fault at once: a birthday the card already has another
    of, and nothing to save at all."""
    found: list[InvalidInput] = []
    if post.birthday and card.birthday and post.birthday != card.birthday:
        found.append(InvalidInput("The birthday on the card cannot be changed here; ask the staff.",
                                  code="birthday_locked", field="birthday"))
    if post.marketing and not (post.email or card.email):
        found.append(InvalidInput("Offers by e-mail need an e-mail address.", code="email_required",
                                  field="marketing_consent"))
    if post.marketing is None and not (post.email or card.email) and not (post.birthday or card.birthday):
        found.extend(InvalidInput(f"'{name}' is required.", code="required", field=name)
                     for name in ("email", "birthday"))
    return found


def complete(program: Program, card: Card, post: ProfilePost, now: datetime) -> ProfileAnswer:
    refused = faults(card, post)
    if refused:
        raise FormErrors(refused)
    email, birthday = post.email or card.email, post.birthday or card.birthday
    if (email, birthday) != (card.email, card.birthday):
        new_email = email != card.email
        card.email, card.birthday = email, birthday
        try:
            profiles.save_contact(card)
        except card_edits.CardChanged:
            raise Conflict("The card changed meanwhile; send the form again.", code="edit_conflict") from None
        if new_email and email:
            _remember(program, card, email, now)
    card = _marketing(card, post, now)
    bonus = actions.reward(program, card, ACTION, now) if card.email and card.birthday else None
    return {"email": card.email, "birthday": card.birthday, "complete": bool(card.email and card.birthday),
            "bonus": bonus, "balance": bonus["balance"] if bonus else int(card.balance),
            "marketing_consent": card_channels.has_consent(card, "email")}


def _marketing(card: Card, post: ProfilePost, now: datetime) -> Card:
    """The e-mail offers box as ticked or not: a new record when given (the box's words in the page's
    language), the standing one withdrawn when unticked; nothing when it already says so."""
    if post.marketing is None:
        return card
    if post.marketing:
        words = consent_rules.email_text(post.locale or card.locale)
        return card_channels.give_consent(card, "marketing", "email", words, now, via="profile")
    return card_channels.withdraw_consent(card, "marketing", "email", now, "profile")


def _remember(program: Program, card: Card, email: str, now: datetime) -> None:
    """So that a member who loses the card link can get it again by this address (as at enrollment)."""
    try:
        recovery_store.remember_email(program.program_id, email, card.card_id, now)
    except Exception as error:  # noqa: BLE001 - the details are saved: only finding the card by e-mail is lost
        log.warning("email_alias_not_written", program_id=program.program_id, card_id=card.card_id,
                    reason=type(error).__name__)
