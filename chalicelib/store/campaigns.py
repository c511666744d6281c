"""A campaign's send as DynamoDB sees it. Several writers touch one campaign at once (the sender, the
jobs queue's chunk workers, the outbox counting deliveries), so no write here conditions on the item's
version: counters are atomic ADDs, and a change of state conditions only on the state it leaves (and,
for taking a send over, on its lease having run out).

Per card, two one-time claims on the aliases table: `cmsg#<campaign>#<card>` before the message goes
out (so no card is messaged twice), and `cdone#<campaign>#<card>` written in one transaction with the
card's counts (so every card is counted once, whoever finishes it)."""
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.errors import TryAgain
from chalicelib.store import aliases, db, pages
from chalicelib.store.models import Alias, Campaign, Card, Message

KEEP_CLAIMS = timedelta(days=90)
ATTEMPTS = 8
# what a card's message came to -> the counter it adds to
OUTCOMES = {"sent": Campaign.sent_count, "queued": Campaign.queued, "skipped": Campaign.skipped,
            "held_out": Campaign.held_out}


class LeaseLost(Exception):
    """Another send took this one over (its lease had run out): the one that lost stops."""


def create(program_id: str, campaign_id: str, **fields: Any) -> Campaign:
    """Write a new campaign (its id must be new)."""
    campaign = Campaign(program_id, campaign_id, **fields)
    campaign.save(condition=Campaign.campaign_id.does_not_exist())
    return campaign


def get(program_id: str, campaign_id: str) -> Campaign | None:
    try:
        return Campaign.get(program_id, campaign_id)
    except Campaign.DoesNotExist:
        return None


def unfinished(program_id: str) -> Iterator[Campaign]:
    """The program's campaigns the schedule looks after: `scheduled` ones and sends still `sending`."""
    yield from Campaign.query(program_id, filter_condition=Campaign.status.is_in("scheduled", "sending"))


def _update(campaign: Campaign, actions: Sequence[Action], condition: Condition | None = None) -> bool:
    """Apply `actions` (True) unless `condition` does not hold (False); the campaign's attributes are
    refreshed from what was written."""
    try:
        campaign.update(actions=list(actions), condition=condition, add_version_condition=False)
        return True
    except UpdateError as error:
        if db.is_condition_failure(error):
            return False
        raise


def begin(program_id: str, campaign_id: str, runner: str, now: datetime, lease: timedelta) -> Campaign | None:
    """Take the send: a `draft` or `scheduled` campaign becomes `sending`, or a `sending` one whose lease
    ran out (its sender died or gave up) is taken over. None when another send holds it, or it was sent."""
    campaign = Campaign(program_id, campaign_id)
    free = Campaign.status.is_in("draft", "scheduled") | ((Campaign.status == "sending") & (
        Campaign.lease_until.does_not_exist() | (Campaign.lease_until < db.iso(now))))
    taken = _update(campaign, [Campaign.status.set("sending"), Campaign.runner.set(runner),
                               Campaign.lease_until.set(db.iso(now + lease)),
                               Campaign.started_at.set(Campaign.started_at | db.iso(now))], free)
    return campaign if taken else None


def walked(campaign: Campaign, runner: str, audience: int, chunks: int, now: datetime, *, lease: timedelta) -> None:
    """The audience as this send found it. LeaseLost if another send took over meanwhile."""
    if not _update(campaign, [Campaign.audience_count.set(audience), Campaign.chunks.set(chunks),
                              Campaign.lease_until.set(db.iso(now + lease))],
                   (Campaign.status == "sending") & (Campaign.runner == runner)):
        raise LeaseLost(campaign.campaign_id)


def finish(campaign: Campaign, now: datetime, complete_only: bool = False) -> bool:
    """`sending` -> `sent` (with `complete_only`, only once every card of the audience is counted)."""
    condition = Campaign.status == "sending"
    if complete_only:
        condition &= Campaign.processed >= Campaign.audience_count
    return _update(campaign, [Campaign.status.set("sent"), Campaign.sent_at.set(db.iso(now)),
                              Campaign.runner.remove(), Campaign.lease_until.remove()], condition)


def finish_if_complete(campaign: Campaign, now: datetime) -> bool:
    """`sent` once every card of the audience is counted (read first: a read costs less than a refused
    conditional write, and this is asked after every card a chunk worker counts)."""
    try:
        current = Campaign.get(campaign.program_id, campaign.campaign_id, consistent_read=True,
                               attributes_to_get=["status", "processed", "audience_count"])
    except Campaign.DoesNotExist:
        return False
    if current.status != "sending" or current.audience_count is None \
            or int(current.processed or 0) < int(current.audience_count):
        return False
    return finish(campaign, now, complete_only=True)


def give_up(campaign: Campaign, runner: str, error: str, now: datetime) -> None:
    """A send that failed keeps its progress, says why, and frees its lease at once, so that a second
    press of "send" or the next scheduled run carries on from where it stopped."""
    _update(campaign, [Campaign.last_error.set(error[:300]), Campaign.lease_until.set(db.iso(now))],
            (Campaign.status == "sending") & (Campaign.runner == runner))


def hold(campaign: Campaign, runner: str, now: datetime, lease: timedelta) -> None:
    """Keep the lease of a send that has cards another sender is still on (they are left for later)."""
    _update(campaign, [Campaign.lease_until.set(db.iso(now + lease))],
            (Campaign.status == "sending") & (Campaign.runner == runner))


def add_counts(program_id: str, campaign_id: str, counts: Mapping[str, int]) -> None:
    """Add to a campaign's counters (`{"delivered": 1}`, `{"failed": 1}`), whatever else is being
    written to it: an atomic ADD that conditions on nothing. The outbox counts deliveries with this."""
    attributes = Campaign.get_attributes()
    actions: list[Action] = [attributes[name].add(int(amount)) for name, amount in counts.items() if amount]
    if actions:
        Campaign(program_id, campaign_id).update(actions=actions, add_version_condition=False)


def is_done(campaign_id: str, card_id: str) -> bool:
    return aliases.exists(f"cdone#{campaign_id}#{card_id}")


def record_card(campaign: Campaign, card_id: str, outcome: str, bonus: bool, now: datetime, *, clock: datetime,
                lease: timedelta) -> bool:
    """Count one card, once: its done-claim and the campaign's counters in one transaction (False when
    it was counted before). Each card counted also renews the send's lease (from the wall `clock`)."""
    done = Alias(f"cdone#{campaign.campaign_id}#{card_id}", owner_id=card_id, program_id=campaign.program_id,
                 created_at=db.iso(now), expires_at=now + KEEP_CLAIMS)
    actions: list[Action] = [Campaign.processed.add(1), OUTCOMES[outcome].add(1),
                             Campaign.lease_until.set(db.iso(clock + lease))]
    if bonus:
        actions.append(Campaign.bonuses.add(1))
    for attempt in range(ATTEMPTS):
        try:
            with db.transaction() as tx:
                tx.save(done, condition=Alias.alias.does_not_exist())
                tx.update(Campaign(campaign.program_id, campaign.campaign_id), actions=actions,
                          add_version_condition=False)
            return True
        except TransactWriteError as error:
            if db.is_condition_failure(error):
                return False
            if not db.is_crowded(error):
                raise
            db.back_off(attempt)  # a chunk worker or the outbox was writing the campaign just then
    raise TryAgain("The campaign is busy; it carries on by itself, or try again in a moment.")


def claim_message(campaign_id: str, card_id: str, now: datetime) -> Alias | None:
    """Claim the card's message: None when it is ours now, else the earlier claim (its `created_at` is
    the time that send messaged at, see `message_outcome`)."""
    key = f"cmsg#{campaign_id}#{card_id}"
    if aliases.claim(key, card_id, now, keep_days=KEEP_CLAIMS.days):
        return None
    try:
        return Alias.get(key, consistent_read=True)
    except Alias.DoesNotExist:  # let go of just now: try once more
        return None if aliases.claim(key, card_id, now, keep_days=KEEP_CLAIMS.days) else Alias(key, created_at="")


def retake_message(claim: Alias, now: datetime) -> bool:
    """Take over the claim of a send that died before it messaged the card (only if still as read)."""
    try:
        claim.update(actions=[Alias.created_at.set(db.iso(now))], condition=Alias.created_at == claim.created_at)
        return True
    except UpdateError as error:
        if db.is_condition_failure(error):
            return False
        raise


def release_message(campaign_id: str, card_id: str, claimed_at: datetime) -> None:
    """Give the claim back after the message failed to go out (nothing was sent)."""
    try:
        Alias(f"cmsg#{campaign_id}#{card_id}").delete(condition=Alias.created_at == db.iso(claimed_at))
    except DeleteError as error:
        if not db.is_condition_failure(error):
            raise


def message_outcome(card: Card, claimed_at: str) -> str | None:
    """What became of a message claimed at `claimed_at` by a send that died before counting it: the
    message record written with it (`<claimed_at>#campaign`) says, or the card's weekly message stamps
    (a message that went by email or Telegram only writes no record at once). None: never sent."""
    if not claimed_at:
        return None
    for record in Message.query(card.card_id, Message.message_key == f"{claimed_at}#campaign", consistent_read=True):
        return record.outcome
    stamp = int(datetime.fromisoformat(claimed_at).timestamp())
    stamps: list[float] = list(card.messages_sent or [])  # type: ignore[arg-type]  # epoch seconds, as stored
    return "sent" if stamp in {int(t) for t in stamps} else None


def newest_first(program_id: str, limit: int, cursor: str | None) -> tuple[list[Campaign], str | None]:
    """A page of the program's campaigns, newest first. Their ids are random, so the program's
    campaigns are read whole and sorted by creation (a program makes a few a week: hundreds over
    years, a query of a few pages); the cursor names the last campaign shown."""
    every = sorted(Campaign.query(program_id), key=lambda c: (c.created_at, c.campaign_id), reverse=True)
    after = pages.decode(cursor, "program_id", program_id, "created_at", "campaign_id")
    if after is not None:
        mark = (after["created_at"]["S"], after["campaign_id"]["S"])
        every = [c for c in every if (c.created_at, c.campaign_id) < mark]
    page = every[:limit]
    last = {"created_at": {"S": page[-1].created_at}, "campaign_id": {"S": page[-1].campaign_id}} \
        if len(every) > limit else None
    return page, pages.encode(last, "created_at", "campaign_id")
