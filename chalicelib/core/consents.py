"""Consent records (issue 19): each consent a member gave (the program's terms, marketing
by channel) with the version of the text they agreed to, the time, the channel it was given through, and
when and how it was withdrawn. Pure: the time is passed in.

A record (JSON, a list on the card, `Card.consent_records`):
{"purpose": "terms" | "marketing", "channel": null | "email" | "sms" | "telegram",
 "version": "<12 hex of the text's SHA-256>", "text": "<the words shown>",
 "given_at": "<UTC ISO>",
 "given_via": "join_page" | "telegram_app" | "telegram_bot" | "moysklad" | "web_form" | "import" | "profile" | …,
 "withdrawn_at": null | "<UTC ISO>",
 "withdrawn_via": null | "unsubscribe_link" | "telegram_bot" | "profile" | "relinked" | …}
Cards made before records have only `consents` ({"email": true}) and `consent_at`: `history` reads them
as records of version "legacy".

The records are the one source of truth for sending: a channel carries a card's messages only while
the card's latest marketing record for that channel is not withdrawn (`current`). Giving again appends a
new record (a record's `given_at` is never rewritten); withdrawing stamps the open record of that purpose
and channel. `Card.consents` is kept as a summary ({"email": bool, "telegram": bool}) for older readers;
nothing decides by it any more."""
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from chalicelib.core import texts

PURPOSES = ("terms", "marketing")
CHANNELS = ("email", "sms", "telegram")  # marketing consents are per channel; terms have none
LEGACY = "legacy"  # the version of a record read from a card made before records were kept

Record = dict[str, object]


def version(text: str) -> str:
    """The version of a consent's words: the first 12 hex digits of the SHA-256 of the exact text shown."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="microseconds")  # as store.db.iso: sorts as text in time order


def terms_text(lang: str, terms: object = None) -> str:
    """The words of the join form's consent box in `lang`, with the program's terms as the form shows them."""
    words = texts.text("consent", lang)
    return f"{words} — {terms}" if isinstance(terms, str) and terms else words


def email_text(lang: str) -> str:
    """The words of the join form's (and the profile page's) marketing e-mail box."""
    return texts.text("marketing_consent", lang)


def telegram_text(lang: str, program: str) -> str:
    """The words the bot (and the Mini App's join screen) says about its messages."""
    return texts.text("telegram_consent", lang, program=program)


def imported_text(lang: str) -> str:
    """What an imported member's terms record says: the owner carried them over; nothing was shown here."""
    return texts.text("consent_imported", lang)


def record(purpose: str, channel: str | None, text: str, now: datetime, via: str) -> Record:
    """A new consent given now through `via`."""
    return {"purpose": purpose, "channel": channel, "version": version(text), "text": text,
            "given_at": _stamp(now), "given_via": via, "withdrawn_at": None, "withdrawn_via": None}


def history(records: Sequence[Mapping[str, object]] | None, consents: Mapping[str, object] | None,
            consent_at: str | None, *, telegram_linked: bool = False) -> list[dict[str, object]]:
    """Every consent of a card, oldest first (older cards' `consents` and `consent_at` read as records).

    An older card's terms were given at `consent_at`; its e-mail consent (`consents["email"]` true) with
    them; a channel marked false was never given or was withdrawn at a time nobody recorded, so it reads
    as no record. `telegram_linked`: an older card whose chat is linked (linking was the consent then)
    reads a Telegram record of unknown time (`given_at` null)."""
    if records is not None:
        return [dict(item) for item in records]
    legacy: list[dict[str, object]] = []
    if consent_at:
        legacy.append({"purpose": "terms", "channel": None, "version": LEGACY, "text": None,
                       "given_at": consent_at, "given_via": None, "withdrawn_at": None, "withdrawn_via": None})
    for channel, given in sorted((consents or {}).items()):
        if given and channel != "telegram":
            legacy.append({"purpose": "marketing", "channel": channel, "version": LEGACY, "text": None,
                           "given_at": consent_at, "given_via": None, "withdrawn_at": None, "withdrawn_via": None})
    if telegram_linked:
        legacy.append({"purpose": "marketing", "channel": "telegram", "version": LEGACY, "text": None,
                       "given_at": None, "given_via": None, "withdrawn_at": None, "withdrawn_via": None})
    return legacy


def _latest(records: Sequence[Mapping[str, object]], purpose: str, channel: str | None) -> Mapping[str, object] | None:
    found = None
    for item in records:
        if item.get("purpose") == purpose and item.get("channel") == channel:
            found = item
    return found


def is_given(records: Sequence[Mapping[str, object]], purpose: str, channel: str | None = None) -> bool:
    """The latest record of this purpose and channel is not withdrawn."""
    latest = _latest(records, purpose, channel)
    return latest is not None and not latest.get("withdrawn_at")


def current(records: Sequence[Mapping[str, object]]) -> dict[str, bool]:
    """The marketing consent of each channel as it stands: {"email": True, "telegram": False, ...} for
    every channel with a record (a channel without one has none)."""
    channels = {str(item["channel"]) for item in records if item.get("purpose") == "marketing" and item.get("channel")}
    return {channel: is_given(records, "marketing", channel) for channel in sorted(channels)}


def give(records: Sequence[Mapping[str, object]], purpose: str, channel: str | None, text: str, now: datetime,
         *, via: str) -> list[Record] | None:
    """The records with this consent given now; None when the same words are already given and standing
    (nothing to write). Another version, or a withdrawn one, is a new record after the others."""
    latest = _latest(records, purpose, channel)
    if latest is not None and not latest.get("withdrawn_at") and latest.get("version") == version(text):
        return None
    kept = [dict(item) for item in records]
    if latest is not None and not latest.get("withdrawn_at"):  # other words replace it: the old one ends now
        kept = _withdrawn(kept, purpose, channel, now, "replaced")
    return [*kept, record(purpose, channel, text, now, via)]


def withdraw(records: Sequence[Mapping[str, object]], purpose: str, channel: str | None, now: datetime,
             via: str) -> list[Record] | None:
    """The records with the standing consent of this purpose and channel withdrawn now through `via`; None
    when there is none standing (nothing to write)."""
    if not is_given(records, purpose, channel):
        return None
    return _withdrawn([dict(item) for item in records], purpose, channel, now, via)


def _withdrawn(records: list[Record], purpose: str, channel: str | None, now: datetime, via: str) -> list[Record]:
    for item in records:
        if item.get("purpose") == purpose and item.get("channel") == channel and not item.get("withdrawn_at"):
            item["withdrawn_at"], item["withdrawn_via"] = _stamp(now), via
    return records


def summary(records: Sequence[Mapping[str, object]]) -> dict[str, bool]:
    """`Card.consents` as it is kept for older readers: the e-mail's (always present) and every channel's
    standing marketing consent."""
    return {"email": False, **current(records)}
