"""The card inside Telegram (the Mini App, issue 18): nothing is shown or done before the Mini App's
initData is verified with the bot token (core/telegram_webapp.py); the Telegram user it names is then
as good as logged in, and their card is the one their private chat links (the chat id of a private chat
with the bot is the user's id, so the bot and the Mini App see the same link, store/card_channels.py).

Joining asks for the phone with Telegram's contact request instead of a typed one: the contact string
is signed by Telegram like initData and must be the same user's, so its phone is one Telegram verified
(as good as a confirmed SMS code: a program's phone confirmation is satisfied by it, no code is sent).
A phone that is already a member's links that member's card to the chat instead of making a second one.

DynamoDB requests: a session: 1 GetItem (the alias of the chat) + 1 (the card) + 1 (the program) + 1
Query (recent history). A join: the join rate limits (2 UpdateItems), 1 GetItem (the phone's alias),
then the enrollment's writes or nothing, and the link (1 PutItem, 1 UpdateItem)."""
from datetime import datetime
from typing import Any, TypedDict

from chalicelib import log
from chalicelib.channels import telegram
from chalicelib.config import settings
from chalicelib.core import branding, card_number, clock, texts
from chalicelib.core import consents as consent_rules
from chalicelib.core import enrollment as rules
from chalicelib.core import lots as lot_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import phone as phones
from chalicelib.core import telegram_webapp as webapp
from chalicelib.errors import NotFound, Unauthorized
from chalicelib.store import card_channels
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import enrollment, guards

HISTORY = 10  # the latest ledger entries the Mini App shows


class ProgramFacts(TypedDict):
    slug: str
    name: str
    consent: str  # the words the join form's consent box says, with the program's terms
    telegram_consent: str  # what the bot will send to the chat (shown under the button; joining records it)
    welcome_bonus: int
    unit: str
    colors: dict[str, str]


def verified(init_data: object, now: datetime) -> webapp.InitData:
    token, _ = telegram.credentials()
    if not token:  # our configuration, not the caller's fault: nothing can be verified
        log.error("telegram_not_configured")
        raise Unauthorized("The Mini App is not set up on this server.", code="bad_init_data")
    return webapp.verify_init_data(init_data, token, now.timestamp(), settings().telegram_init_max_age)


def _program(slug: str | None, *, joining: bool) -> Program | None:
    """The program named by `slug` (None for none). One that stopped taking members (paused) still shows its
    members their cards; only joining it is refused, as on the join page."""
    if slug is None:
        return None
    program = program_store.by_slug(slug)
    if program is None or (joining and program.status != "active"):
        raise NotFound("No such program.")
    return program


def session(init_data: object, slug: str | None, now: datetime) -> tuple[dict[str, Any], str]:
    """The Telegram user's card (in the program `slug` when one is named) as the card page shows it, or
    `card: null` with the program to join; and the language to show it in."""
    init = verified(init_data, now)
    lang = init.user.locale
    program = _program(slug, joining=False)
    card = card_channels.card_of_chat(init.user.id)
    if card is not None and (program is None or card.program_id == program.program_id):
        card_program = program_store.get(card.program_id)
        if card_program is not None:
            return {"card": card_view(card, card_program, lang, now), "program": program_facts(card_program, lang),
                    "locale": lang}, lang
    if program is not None and program.status != "active":  # nothing to show and no joining it
        raise NotFound("No such program.")
    return {"card": None, "program": program_facts(program, lang) if program else None, "locale": lang}, lang


def join(init_data: object, slug: str, contact: object, consent: bool, *, address: str,
         now: datetime) -> tuple[dict[str, Any], bool]:
    """Enrol (or link the member's card) with the phone of the contact Telegram signed; returns the
    session's answer and whether a new card was made."""
    init = verified(init_data, now)
    token, _ = telegram.credentials()
    shared = webapp.verify_contact(contact, token or "", now.timestamp(), settings().telegram_init_max_age,
                                   init.user.id)
    program = _program(slug, joining=True)
    assert program is not None  # a slug is required here: _program raised NotFound for a wrong one
    lang = init.user.locale
    guards.before_join(program, address, now)
    phone = phones.normalise(shared.phone if shared.phone.startswith("+") else f"+{shared.phone}",
                             program.country, field="contact")
    card, created = _member(program, phone), False
    if card is None:
        name = " ".join(part for part in (shared.first_name, shared.last_name) if part) or init.user.name
        form = rules.parse({"name": name[:100] or "Telegram", "phone": phone, "consent": consent, "locale": lang},
                           country=program.country, today=clock.local_day(now, program.timezone))
        card, created = enrollment.enroll(program, form, now, lang, via="telegram_app"), True
    # the join screen says what the bot will send (ProgramFacts.telegram_consent): linking records it
    card_channels.link_telegram(card, init.user.id, now,
                                consent=(consent_rules.telegram_text(lang, program.name), "telegram_app"))
    log.info("telegram_app_joined", program_id=program.program_id, card_id=card.card_id, created=created)
    fresh = card_store.get(card.card_id, consistent=True) or card
    return {"card": card_view(fresh, program, lang, now), "program": program_facts(program, lang),
            "locale": lang, "created": created}, created


def _member(program: Program, phone: str) -> Card | None:
    card_id = card_store.card_id_by_phone(program.program_id, phone)
    card = card_store.get(card_id) if card_id else None
    return card if card is not None and card.program_id == program.program_id else None


def program_facts(program: Program, lang: str) -> ProgramFacts:
    brand = branding.in_language(program.branding or {}, lang)
    terms = brand.get("terms")
    mechanics = mech.from_stored(program.mechanics)
    return {"slug": program.slug, "name": program.name,
            "consent": consent_rules.terms_text(lang, terms),
            "telegram_consent": consent_rules.telegram_text(lang, program.name),
            "welcome_bonus": mechanics.welcome_bonus, "unit": mechanics.unit,
            "colors": {key: str(brand[key]) for key in ("background_color", "foreground_color")
                       if isinstance(brand.get(key), str)}}


def card_view(card: Card, program: Program, lang: str, now: datetime) -> dict[str, Any]:
    """What the card page shows (usecases/cards.page_facts) and the recent history (the route adds the
    QR code drawn from `number`)."""
    today = clock.local_day(now, program.timezone)
    facts = card_views.page_facts(card, program, lang, today)
    entries, _ = card_store.ledger_page(card.card_id, HISTORY, None)
    balance = int(card.balance)
    return {"number": card.number, "number_display": card_number.display(card.number), "name": card.name,
            "balance": balance, "points_word": texts.word(balance, "points", lang),
            "available": lot_rules.available(card_store.lots_of(card), today.isoformat()),
            "tier_name": facts["tier_name"], "expiry": facts["expiry"], "blocked": facts["blocked"],
            "kind": facts["kind"], "stamps": facts["stamps"], "discount": facts["discount"],
            "offers": facts["offers"], "challenges": facts["challenges"], "rules": list(facts["rules"]),
            "history": [{"at": entry.created_at, "kind": entry.kind, "source": entry.source,
                         "amount": int(entry.amount), "balance_after": int(entry.balance_after)}
                        for entry in entries],
            **card_views.links(card)}

