"""Tilda and any web form: a form on the business's own site enrols a customer (help-ru.tilda.cc/forms/webhook).

Tilda posts the form's fields form-encoded (`Name=...&Phone=...&Email=...`, plus its own `tranid` and
`formid`) to the webhook URL, and answers the visitor without waiting for us. On connecting it sends
`test=test` and wants `200` within 5 seconds (otherwise it retries twice, a minute apart). Tilda signs
nothing and sends no header of ours: the only secret it can carry is in the URL, so the URL is the
secret (`/integrations/tilda/{program_id}/{secret}`, HTTPS only; the secret is issued by the admin API,
shown once, kept as SHA-256, replaced by connecting again). The URL is therefore never logged by us;
API Gateway's access logs, if switched on, would hold it.

The form's field names are the owner's (`fields`: ours -> theirs), tried first; then the usual names
(`name`/`Name`/`Имя`, `phone`/`Phone`/`Телефон`, `email`/`Email`, `birthday`/`Birthday`/`Дата рождения`).
Sending a form is taken as the visitor's consent to the program's terms, which the owner's form must
show (Tilda's forms have a consent checkbox); the card records it in the program's words, given through
`web_form` (core/consents.py). The new member's card link goes to them by SMS (or e-mail)
through the jobs queue; the answer never shows it, since anyone who reads the page can post to the form."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from chalicelib import log
from chalicelib.errors import AppError
from chalicelib.store.integrations import ConnectionItem
from chalicelib.store.records import Program
from chalicelib.usecases import card_links, enrollment

USUAL = {
    "name": ("name", "Name", "имя", "Имя", "fio", "ФИО"),
    "phone": ("phone", "Phone", "телефон", "Телефон", "tel"),
    "email": ("email", "Email", "e-mail", "E-mail", "почта"),
    "birthday": ("birthday", "Birthday", "Дата рождения", "birthdate"),
}


def is_handshake(form: Mapping[str, str]) -> bool:
    return form.get("test") == "test"


def enrolment_form(form: Mapping[str, str], names: Mapping[str, str]) -> dict[str, object]:
    """The join form's fields from the web form's."""
    data: dict[str, object] = {"consent": True}
    for field, usual in USUAL.items():
        candidates = ((names[field],) if field in names else ()) + usual
        for name in candidates:
            value = form.get(name)
            if isinstance(value, str) and value.strip():
                data[field] = value.strip()
                break
    return data


def enrol(program: Program, item: ConnectionItem, form: Mapping[str, str], now: datetime, locale: str) -> str:
    """Enrol the form's visitor; 'enrolled', or the refusal's code (already_enrolled, invalid_phone, ...).
    The card link is queued to the member."""
    data = enrolment_form(form, dict(item.options.get("fields") or {}))
    try:
        card = enrollment.enroll(program, data, now, locale, via="web_form")
    except AppError as refused:
        log.info("web_form_refused", program_id=program.program_id, code=refused.code, field=refused.field or "")
        raise
    channel = str(item.options.get("send_link") or "auto")
    if channel != "none":
        card_links.queue(program.program_id, [card.card_id], channel)
    log.info("web_form_enrolled", program_id=program.program_id, card_id=card.card_id)
    return "enrolled"
