"""A survey's link: `{PUBLIC_BASE_URL}/survey/{token}`, the token naming the card, the receipt and the
scale, signed like the card's other links (the unsubscribe link, the Telegram deep link): an HMAC keyed
by the card's capability key, checked in constant time.

    token = <card_id>.<n|c><survey id>.<YYYYMMDD>.<signature>

`n`/`c`: NPS or CSI (the scale the message promised, whatever the program says later); the survey id
names the receipt that asked: a hash of the card and the receipt's number among the card's receipts
(`CardState.receipts` after it: one receipt, one number, and no count of purchases in the URL);
YYYYMMDD is the last day it can be answered (program-local). Nothing in it is personal.

The receipt's decision (usecases/decisions.py, pure: it has no card key) writes the link without its
signature; the delivery of the message (usecases/notices.py) signs it for the card it goes to, so the
outbox never holds a usable link and a message shown to another card could not be answered.
"""
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib.config import settings
from chalicelib.core import program_texts, texts
from chalicelib.core.surveys import SurveySettings
from chalicelib.errors import NotFound
from chalicelib.store import cards as card_store
from chalicelib.store.records import Card

VALID_DAYS = 14  # after the message is due
# The latest last day a survey asked on day D can have: the longest delay (7 days), a night of quiet hours
# and VALID_DAYS.
LONGEST_OPEN_DAYS = 7 + 1 + VALID_DAYS
_KIND_LETTER = {"nps": "n", "csi": "c"}
_KIND_OF = {letter: kind for kind, letter in _KIND_LETTER.items()}
_MAC_CHARS = 32  # 128 bits of HMAC-SHA256
_UNSIGNED = r"([A-Za-z0-9_-]{1,64})\.([nc])([0-9a-f]{16})\.([0-9]{8})"
_TOKEN = re.compile(_UNSIGNED + r"\.([0-9a-f]{32})")
_IN_TEXT = re.compile(r"/survey/(" + _UNSIGNED + r")(?![.\w])")


@dataclass(frozen=True)
class SurveyLink:
    """What a valid token names."""

    card: Card
    kind: str
    survey_id: str
    last_day: date


def survey_id(card_id: str, receipt_number: int) -> str:
    """The survey of the card's `receipt_number`-th receipt."""
    return hashlib.sha256(f"{card_id}#{receipt_number}".encode()).hexdigest()[:16]


def unsigned_url(card_id: str, kind: str, survey: str, last_day: date) -> str:
    """The link as the receipt's message is queued with it (signed when it is sent: `sign_links`)."""
    return f"{settings().public_base_url}/survey/{card_id}.{_KIND_LETTER[kind]}{survey}.{last_day:%Y%m%d}"


def question(settings_: SurveySettings | None, kind: str, program_name: str, lang: str) -> str:
    """The question in `lang`: the owner's wording (for the kind it was written for), else the catalogue's."""
    own = program_texts.pick(settings_.question, lang) if settings_ is not None and settings_.kind == kind else None
    return own or texts.text(f"survey_{kind}_question", lang, program=program_name)


def message(settings_: SurveySettings, program_name: str, url: str) -> dict[str, str]:
    """The survey's message in every language (the card's is picked when it is sent)."""
    kind = settings_.kind
    return {lang: texts.text(f"survey_{kind}", lang, question=question(settings_, kind, program_name, lang), url=url)
            for lang in texts.LANGUAGES}


def _signature(card: Card, unsigned: str) -> str:
    return hmac.new(card.access_key.encode(), f"survey:{unsigned}".encode(), hashlib.sha256).hexdigest()[:_MAC_CHARS]


def sign_links(card: Card, text: str) -> str:
    """`text` with each survey link of this card signed (another card's link is left unusable)."""
    def sign(match: re.Match[str]) -> str:
        unsigned = match.group(1)
        if match.group(2) != card.card_id:
            return match.group(0)
        return f"/survey/{unsigned}.{_signature(card, unsigned)}"
    return _IN_TEXT.sub(sign, text)


def open_link(token: str) -> SurveyLink:
    """The survey a token names; NotFound for anything we did not sign (a wrong signature, an unknown
    card, a malformed token all look alike). Whether it is still open is the caller's (`last_day`)."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        raise NotFound("No such survey.")
    card_id, letter, sid, day, signature = match.groups()
    card = card_store.get(card_id)
    unsigned = f"{card_id}.{letter}{sid}.{day}"
    if card is None or not hmac.compare_digest(_signature(card, unsigned).encode(), signature.encode()):
        raise NotFound("No such survey.")
    try:
        last_day = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    except ValueError:
        raise NotFound("No such survey.") from None
    if not _asked(card, sid, last_day):
        raise NotFound("No such survey.")
    return SurveyLink(card, _KIND_OF[letter], sid, last_day)


def _asked(card: Card, sid: str, last_day: date) -> bool:
    """Whether the token names the survey the card was last asked, open no longer than it could be. The
    card's holder knows the key the link is signed with (the card link's), so the signature alone would
    let them make up surveys; the card records which receipt asked (`CardState.survey_receipt`)."""
    state = card_store.state_of(card)
    if state.survey_receipt is None or state.surveyed_on is None:
        return False
    latest = date.fromisoformat(state.surveyed_on) + timedelta(days=LONGEST_OPEN_DAYS)
    return hmac.compare_digest(survey_id(card.card_id, state.survey_receipt), sid) and last_day <= latest
