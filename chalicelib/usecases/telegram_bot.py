"""The Telegram bot: a customer links a card from the card page's deep link and then asks for the
balance and the QR code, and stops (/stop, «стоп») or resumes (/start) the bot's offers, each recorded
as the card's Telegram consent (core/consents.py); a newcomer gets the program's join link and a button
opening the card inside Telegram (the Mini App, usecases/telegram_app.py), which becomes the chat's menu
button too. One bot serves every program: deep links carry what to do (`L` + card id + proof, or `J` + program slug)."""
import hashlib
import hmac
import io
from datetime import datetime

from chalicelib import log
from chalicelib.channels import telegram
from chalicelib.commands.telegram import Message
from chalicelib.config import settings
from chalicelib.core import card_number, clock, ledger, texts
from chalicelib.core import consents as consent_rules
from chalicelib.core import lots as lot_rules
from chalicelib.core import mechanics as mech
from chalicelib.store import card_channels
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card
from chalicelib.usecases import cards as card_views

# The Mini App's button (the inline one under the join message and the chat's menu button).


def app_url(slug: str | None = None) -> str:
    """The Mini App (api/telegram_app.py); with a program's slug it offers that program's card."""
    base = f"{settings().public_base_url}/tg/app"
    return f"{base}?program={slug}" if slug else base


def set_default_menu_button(slug: str | None, lang: str = "ru") -> str:
    """The bot's default menu button (every chat without its own) opens the Mini App; returns its URL."""
    url = app_url(slug)
    telegram.set_menu_button(texts.text("telegram_app_button", texts.language(lang)), url)
    return url


def _menu_opens_app(chat_id: int, slug: str, lang: str) -> str:
    """This chat's menu button opens the program's Mini App from now on; returns the Mini App's URL."""
    app = app_url(slug)
    try:
        telegram.set_menu_button(texts.text("telegram_app_button", lang), app, chat_id)
    except telegram.TelegramError as error:  # the message that follows still gets there
        log.warning("telegram_menu_not_set", reason=str(error)[:200])
    return app


def link_proof(card: Card) -> str:
    return hmac.new(card.access_key.encode(), b"telegram", hashlib.sha256).hexdigest()[:16]


def deep_link(card: Card) -> str | None:
    """The card page's 'Connect Telegram' link."""
    username = settings().telegram_bot_username
    return f"https://t.me/{username}?start=L{card.card_id}_{link_proof(card)}" if username else None


def handle(message: Message, now: datetime) -> str:  # noqa: PLR0911 (one answer per kind of message)
    """One webhook update's message; returns what was done (for logs and tests)."""
    chat_id, text = message.chat_id, message.text
    if chat_id is None or not text:
        return "ignored"
    lang = texts.language(message.locale)
    if text.startswith("/start"):
        payload = text[len("/start"):].strip()
        if payload.startswith("L"):
            return _link(chat_id, payload[1:], lang, now)
        if payload.startswith("J"):
            program = program_store.by_slug(payload[1:])
            if program is None:
                telegram.send_message(chat_id, texts.text("telegram_bad_link", lang))
                return "bad_link"
            # a chat that already links a card keeps its menu button on that card: a join link of another
            # program (an ad, a forwarded message) opens that program's Mini App from this message only
            linked = card_channels.card_of_chat(chat_id) is not None
            app = app_url(program.slug) if linked else _menu_opens_app(chat_id, program.slug, lang)
            telegram.send_message(chat_id, texts.text("telegram_join", lang, program=program.name),
                                  link=(texts.text("telegram_join_button", lang),
                                        f"{settings().public_base_url}/join/{program.slug}"),
                                  app=(texts.text("telegram_app_button", lang), app))
            return "join_link"
    card = card_channels.card_of_chat(chat_id)
    if card is None:
        telegram.send_message(chat_id, texts.text("telegram_unknown", lang))
        return "unknown"
    program = program_store.get(card.program_id)
    if program is None:  # the card's program is gone: as good as no card
        telegram.send_message(chat_id, texts.text("telegram_unknown", lang))
        return "unknown"
    consented = _consent_command(chat_id, card, program.name, text, lang, now)
    if consented:
        return consented
    if text.startswith("/qr"):
        import segno  # lazy: the QR encoder, +14 ms on import app, measured median of 3

        buffer = io.BytesIO()
        segno.make_qr(card.number, error="m").save(buffer, kind="png", scale=10, border=3)
        caption = texts.text("telegram_qr", lang, number=card_number.display(card.number))
        telegram.send_photo(chat_id, buffer.getvalue(), caption)
        return "qr"
    today = clock.local_day(now, program.timezone)
    state = ledger.expire(card_store.state_of(card), today).state
    mechanics = mech.from_stored(program.mechanics)
    telegram.send_message(chat_id, texts.text(
        "telegram_balance", lang, program=program.name, balance=state.balance,
        points=texts.word(state.balance, "points", lang),
        available=lot_rules.available(state.lots, today.isoformat()), tier=mechanics.tier(state.tier).name_in(lang)))
    return "balance"


STOP_WORDS = ("/stop", "stop", "стоп", "/стоп", "отписаться")  # what a member may send to stop the bot's offers


def _is_stop(text: str) -> bool:
    word = text.strip().lower().split("@", 1)[0]  # "/stop@SomeBot" in a chat of several bots
    return word in STOP_WORDS


def _consent_command(chat_id: int, card: Card, program_name: str, text: str, lang: str,  # noqa: PLR0913, PLR0917
                     now: datetime) -> str | None:
    """/stop (or «стоп»): the member withdraws their consent to the bot's messages: recorded (telegram_bot),
    the chat stays linked (balance and code still answer), and the bot says so and how to come back.
    /start in a chat that stopped them (Telegram's own Start/Restart button sends it): they are wanted
    again, in the words the bot says now. None: the message is neither."""
    if _is_stop(text):
        card_channels.withdraw_consent(card, "marketing", "telegram", now, "telegram_bot")
        telegram.send_message(chat_id, texts.text("telegram_stopped", lang, program=program_name))
        log.info("telegram_consent_withdrawn", card_id=card.card_id)
        return "stopped"
    if text.startswith("/start") and not card_channels.has_consent(card, "telegram"):
        words = consent_rules.telegram_text(lang, program_name)
        card_channels.give_consent(card, "marketing", "telegram", words, now, via="telegram_bot")
        telegram.send_message(chat_id, words)
        log.info("telegram_consent_given", card_id=card.card_id)
        return "resumed"
    return None


def _link(chat_id: int, payload: str, lang: str, now: datetime) -> str:
    card_id, _, proof = payload.rpartition("_")
    card = card_store.get(card_id) if card_id and len(card_id) <= card_views.MAX_ID else None
    if card is None or not hmac.compare_digest(link_proof(card).encode(), proof.encode()):
        telegram.send_message(chat_id, texts.text("telegram_bad_link", lang))
        return "bad_link"
    program = program_store.get(card.program_id)
    name = program.name if program else ""
    consent = consent_rules.telegram_text(lang, name)  # the words the answer below ends with: the record keeps them
    card_channels.link_telegram(card, chat_id, now, consent=(consent, "telegram_bot"))
    if program is not None:  # the card opens from the menu button too
        _menu_opens_app(chat_id, program.slug, lang)
    balance = int(card.balance)
    telegram.send_message(chat_id, texts.text("telegram_linked", lang, program=name, balance=balance,
                                              points=texts.word(balance, "points", lang)) + "\n\n" + consent)
    log.info("telegram_linked", card_id=card.card_id)
    return "linked"


def verified(header_secret: str | None) -> bool:
    _, expected = telegram.credentials()
    if not expected or not header_secret:
        return False
    return hmac.compare_digest(expected.encode(), header_secret.encode())
