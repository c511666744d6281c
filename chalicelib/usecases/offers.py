"""Offers held on cards, as admins see and change them: the card's offers, issuing one (by hand or
by a campaign) and taking one back. Issuing and withdrawing go through the ledger's one write path
(usecases/ledger.apply): the card item changes in one transaction, idempotently, the pass follows."""
import re
from datetime import datetime
from typing import Any

from chalicelib.commands import body_hash
from chalicelib.commands.offers import IssueOffer, WithdrawOffer
from chalicelib.core import clock
from chalicelib.core import mechanics as mech
from chalicelib.core import offers as offer_rules
from chalicelib.core import validation as v
from chalicelib.errors import NotFound
from chalicelib.store import cards as card_store
from chalicelib.store.ledger import DYNAMO, LedgerStore
from chalicelib.store.records import Card, Program
from chalicelib.usecases.ledger import Result, apply, ledger_card

__all__ = ["IssueOffer", "campaign_offer", "issue", "listing", "withdraw"]


def listing(card: Card, program: Program, now: datetime) -> list[dict[str, Any]]:
    """Every offer the card holds, live, used and expired (until dropped), newest first."""
    mechanics = mech.from_stored(program.mechanics)
    today = clock.local_day(now, program.timezone)
    held = sorted(card_store.state_of(card).offers, key=lambda item: (item.issued_on, item.held_id), reverse=True)
    return [offer_rules.view(item, mechanics, None, today) for item in held]


def issue(command: IssueOffer, program: Program, now: datetime, store: LedgerStore = DYNAMO) -> Result:
    return apply(command, program, now, store)


def withdraw(program: Program, card: Card, held_id: str, actor: str | None, now: datetime, *,
             store: LedgerStore = DYNAMO) -> Result:
    """Take `held_id` off the card; an id the card never held (or not an id at all) is 404 offer_not_found."""
    if not re.fullmatch(v.ID_PATTERN, held_id or ""):
        raise NotFound("This card holds no such offer.", code="offer_not_found")
    return apply(WithdrawOffer(card.card_id, held_id, actor), program, now, store)


def campaign_offer(program: Program, campaign_id: str, offer: str, card: Card, now: datetime) -> Card:
    """A campaign's offer to one of its cards, once (the record per campaign and card); a card already
    holding the most live offers is passed over. Returns the card as it is now (the message is saved on it)."""
    command = IssueOffer(card.card_id, offer, f"campaign.{campaign_id}", None,
                         body_hash({"campaign": campaign_id, "offer": offer}), cause_type="campaign", notify=False,
                         strict=False)
    result = apply(command, program, now, preloaded=ledger_card(card))
    if result.replay or result.card is None:
        return card_store.get(card.card_id, consistent=True) or card
    item: Card = result.card.item
    return item
