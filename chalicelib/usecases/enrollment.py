"""A customer joins a program: a card with its number, links, welcome and referral bonuses."""
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime

from chalicelib import log
from chalicelib.core import analytics as numbers
from chalicelib.core import branding, card_number, clock, lots
from chalicelib.core import consents as consent_rules
from chalicelib.core import enrollment as rules
from chalicelib.core import mechanics as mech
from chalicelib.errors import Conflict, InvalidInput, NotFound, TryAgain
from chalicelib.store import cards as card_store
from chalicelib.store import enrollment as enrollment_store
from chalicelib.store import ids
from chalicelib.store import recovery as recovery_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import locations as location_cases

_ATTEMPTS = 3  # a fresh number or referral code after a (vanishingly rare) collision


@dataclass(frozen=True)
class Bonus:
    source: str
    points: int


def enroll(program: Program, form: rules.Enrollment | Mapping[str, object], now: datetime, locale: str,  # noqa: PLR0913
           location_id: str | None = None, *, via: str = "join_page") -> Card:
    """Enroll with a parsed form (the join route's command, `commands.join`); a raw mapping (scripts,
    the demo history, tests) is read here with the same rules. `location_id`: where the customer joined (a
    location's join link): an open location of the program becomes the card's home and its new member counts
    at that location too; any other id is ignored. `via`: the way in the consents were given through
    (join_page, telegram_app, moysklad, web_form: core/consents.py); the card records the terms' words in
    the member's language, and the marketing e-mail box's when it was ticked."""
    if program.status != "active":
        raise NotFound("This program is not taking new members.")
    today = clock.local_day(now, program.timezone)
    if not isinstance(form, rules.Enrollment):
        form = rules.parse(form, country=program.country, today=today)
    mechanics = mech.from_stored(program.mechanics)
    home = location_cases.open_or_none(program, location_id)
    referrer_id = None
    if form.ref:
        referrer_id = card_store.card_id_by_ref(program.program_id, form.ref)
        if referrer_id is None:
            raise InvalidInput("That referral code is not known: check it or leave it empty.",
                               code="unknown_referral", field="ref")
    bonuses = [Bonus("welcome", mechanics.welcome_bonus)]
    if referrer_id:
        bonuses.append(Bonus("referral", mechanics.referred_bonus))
    for _ in range(_ATTEMPTS):
        newcomer = _newcomer(program, form, mechanics, [b for b in bonuses if b.points > 0], referrer_id,
                             form.locale or locale, today, home)
        newcomer = replace(newcomer, consent_records=given(program, form, newcomer.locale, now, via))
        counts = numbers.merge({"new_members": 1}, numbers.points_counts(newcomer.bonuses))
        try:
            card = enrollment_store.insert(newcomer, now, counts={today.isoformat(): counts})
        except card_store.AliasTaken as taken:
            if taken.alias.startswith("phone#"):
                raise Conflict("This phone number already has a card in this program. Get its link again "
                               f"with POST /join/{program.slug}/recover (the join page's \"Already a member?\"), "
                               "or ask the staff to find your card.",
                               code="already_enrolled", field="phone") from None
            continue
        except enrollment_store.Crowded:
            log.warning("enrollment_crowded", program_id=program.program_id)
            raise TryAgain("Many people are joining right now; try again in a moment.") from None
        _enrolled(program, card, now, referred=bool(referrer_id))
        return card
    raise RuntimeError("could not allocate a unique card number")


def given(program: Program, form: rules.Enrollment, lang: str, now: datetime,
          via: str) -> tuple[dict[str, object], ...]:
    """The consents a newcomer gives in joining, as records: the program's terms as the form shows them
    (with the program's own terms text or link), and marketing by e-mail when the box was ticked."""
    terms = branding.in_language(program.branding or {}, lang).get("terms")
    records = [consent_rules.record("terms", None, consent_rules.terms_text(lang, terms), now, via)]
    if form.email_consent:
        records.append(consent_rules.record("marketing", "email", consent_rules.email_text(lang), now, via))
    return tuple(records)


def _enrolled(program: Program, card: Card, now: datetime, *, referred: bool) -> None:
    if card.email:  # so that a member who loses the card link can get it again by e-mail
        try:
            recovery_store.remember_email(program.program_id, card.email, card.card_id, now)
        except Exception as error:  # noqa: BLE001 - the card exists: only finding it by e-mail is lost, not the join
            log.warning("email_alias_not_written", program_id=program.program_id, card_id=card.card_id,
                        reason=type(error).__name__)
    log.info("card_enrolled", program_id=program.program_id, card_id=card.card_id, referred=referred,
             bonus_points=card.balance)


def _newcomer(program: Program, form: rules.Enrollment, mechanics: mech.Mechanics, bonuses: list[Bonus],  # noqa: PLR0913, PLR0917
              referrer_id: str | None, locale: str, today: date, home: str | None) -> enrollment_store.Newcomer:
    card_id = ids.new_id("c", 16)
    new_lots, entries, balance = [], [], 0
    for index, bonus in enumerate(bonuses):
        new_lots.append(lots.accrue(mechanics, lot_id=f"{card_id[-6:]}{index}", source=bonus.source,
                                    points=bonus.points, today=today, ref=bonus.source))
        balance += bonus.points
        entries.append(enrollment_store.BonusEntry(bonus.source, bonus.points, balance))
    return enrollment_store.Newcomer(
        card_id=card_id, program_id=program.program_id, merchant_id=program.merchant_id,
        number=card_number.from_random(ids.random_digits(card_number.LENGTH - 1)), name=form.name,
        phone=form.phone, email=form.email, birthday=form.birthday, locale=locale,
        email_consent=form.email_consent, ref_code=ids.new_ref_code(), referred_by=referrer_id,
        access_key=ids.new_secret(16), auth_token=ids.new_secret(24), tier=mechanics.tiers[0].id,
        lots=tuple(new_lots), bonuses=tuple(entries), home=home)
