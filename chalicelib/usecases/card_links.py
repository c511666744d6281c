"""A member's card link sent to them, by SMS or e-mail: after joining through a web form (Tilda) and
after an import. A service message (the member asked to join, or the business moved their card here),
not marketing, so it needs no marketing consent; it goes out through the jobs queue so that the web form's
answer never waits for the SMS gateway (Tilda allows 5 s), and its outcome is logged, never raised.

Texts are in the card's language (ru, en); the link is the card's capability link (`/c/{id}?k=...`), never
shown anywhere else."""
from __future__ import annotations

from typing import Any

from chalicelib import log, rendering
from chalicelib.channels import email, sms
from chalicelib.core import texts
from chalicelib.queue import fanout
from chalicelib.queue.budget import Budget
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import cards as card_views

CHANNELS = ("auto", "sms", "email")
MAX_CARDS = 200  # a chunk of the queue

def queue(program_id: str, card_ids: list[str], channel: str = "auto") -> int:
    """Send the cards' links (through the jobs queue; in place without one). Returns the chunks queued."""
    messages = [{"task": "card_links", "program_id": program_id, "card_ids": card_ids[i:i + MAX_CARDS],
                 "channel": channel} for i in range(0, len(card_ids), MAX_CARDS)]
    return fanout.send(messages)


def work(message: dict[str, Any], budget: Budget) -> dict[str, int]:
    """The queue's `card_links` task: each card's link by its channel. A redelivered task may send a link
    twice (a text is not a ledger entry; nobody loses points by it)."""
    program = program_store.get(str(message["program_id"]))
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    if program is None:
        return counts
    channel = str(message.get("channel") or "auto")
    for card_id in list(message["card_ids"])[:MAX_CARDS]:
        card = card_store.get(str(card_id))
        if card is None or card.program_id != program.program_id:
            counts["skipped"] += 1
            continue
        counts[send(card, program, channel)] += 1
    return counts


def send(card: Card, program: Program, channel: str = "auto", *, asked: bool = False) -> str:
    """'sent', 'skipped' (no address for the channel) or 'failed' (logged, never raised: a caller that must
    answer alike whatever happened, the lost-link form, relies on it). `asked`: the member asked for it
    again (usecases/recovery.py), which the e-mail says. Texts from the customer texts' catalogue."""
    lang = texts.language(card.locale)
    url = card_views.links(card)["card_url"]
    use = ("sms" if card.phone else "email") if channel == "auto" else channel
    try:
        if use == "sms" and card.phone:
            sms.send(str(card.phone), texts.text("recover_sms", lang, program=program.name, url=url))
        elif use == "email" and card.email:
            body = texts.text("recover_email_text" if asked else "recover_sms", lang, program=program.name, url=url)
            unsubscribe_url = card_views.unsubscribe_url(card)
            letter = rendering.render_text("email.html", lang, program_name=program.name, brand=program.branding,
                                           text=body, card_url=url, unsubscribe_url=unsubscribe_url)
            email.send(str(card.email), texts.text("recover_email_subject", lang, program=program.name), body,
                       letter, unsubscribe_url)
        else:
            return "skipped"
    except Exception as error:  # noqa: BLE001 - a failed text is logged; the member can ask again (issue 15 item 5)
        log.warning("card_link_failed", program_id=card.program_id, card_id=card.card_id, channel=use,
                    error_type=type(error).__name__)
        return "failed"
    log.info("card_link_resent" if asked else "card_link_sent", program_id=card.program_id, card_id=card.card_id,
             channel=use)
    return "sent"
