"""Consent records (issue 19, part CONSENT): each consent a member gave (the program's terms, marketing
by channel) with the version of the text they agreed to, the time, the channel it was given through, and
when and how it was withdrawn. Pure: the time is passed in.

A record (JSON, a list on the card, `Card.consent_records`):
{"purpose": "terms" | "marketing", "channel": null | "email" | "sms" | "telegram",
 "version": "<12 hex of the text's SHA-256>", "text": "<the words shown>",
 "given_at": "<UTC ISO>",
 "given_via": "join_page" | "telegram_app" | "moysklad" | "web_form" | "import" | "profile" | …,
 "withdrawn_at": null | "<UTC ISO>",
 "withdrawn_via": null | "unsubscribe_link" | "telegram_bot" | "profile" | "admin" | …}
Cards made before records have only `consents` ({"email": true}) and `consent_at`: `history` reads them
as records of version "legacy".
"""
from collections.abc import Mapping, Sequence


def history(records: Sequence[Mapping[str, object]] | None, consents: Mapping[str, object] | None,
            consent_at: str | None) -> list[dict[str, object]]:
    """Every consent of a card, oldest first (older cards' `consents` and `consent_at` read as records)."""
    if records:
        return [dict(record) for record in records]
    legacy: list[dict[str, object]] = []
    if consent_at:
        legacy.append({"purpose": "terms", "channel": None, "version": "legacy", "text": None,
                       "given_at": consent_at, "given_via": None, "withdrawn_at": None, "withdrawn_via": None})
    for channel, given in sorted((consents or {}).items()):
        legacy.append({"purpose": "marketing", "channel": channel, "version": "legacy", "text": None,
                       "given_at": consent_at, "given_via": None,
                       "withdrawn_at": None if given else consent_at, "withdrawn_via": None})
    return legacy
