"""Campaigns: an admin picks an audience, writes the text in Russian and English, optionally a bonus,
sees how many it will reach, and sends it now or at a set time. Each card gets the bonus once (through
the ledger, keyed by campaign and card) and the message through `notices` (consent, quiet hours, cap);
the campaign keeps the counts of what happened."""
from datetime import datetime, timezone

from chalicelib import log
from chalicelib.core import ledger, segments
from chalicelib.core import mechanics as mech
from chalicelib.core import validation as v
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.store import cards as card_store
from chalicelib.store import aliases, db, ids
from chalicelib.store.models import Campaign
from chalicelib.jobs import fanout
from chalicelib.usecases import analytics, clock, notices
from chalicelib.usecases.ledger import Operation, apply, body_hash

FIELDS = {"name", "audience", "texts", "bonus", "send_at", "channels"}


def create(program, data: dict, actor: str, now: datetime) -> Campaign:
    v.reject_unknown(data, FIELDS)
    mechanics = mech.from_stored(program.mechanics)
    texts = v.read_object(data, "texts") or {}
    v.reject_unknown(texts, {"ru", "en"}, "texts")
    clean = {lang: v.read_str(texts, lang, prefix="texts", max_len=300) for lang in ("ru", "en") if texts.get(lang)}
    if not clean:
        raise InvalidInput("Write the message in Russian, English or both.", code="required", field="texts")
    send_at = v.read_str(data, "send_at", max_len=40)
    if send_at:
        try:
            moment = datetime.fromisoformat(send_at.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError
        except ValueError:
            raise InvalidInput("'send_at' must be an ISO-8601 time with an offset.", code="invalid_format",
                               field="send_at") from None
        send_at = db.iso(moment)
    channels = v.read_list(data, "channels", max_items=3) or list(notices.ALL_CHANNELS)
    for index, channel in enumerate(channels):
        if channel not in notices.ALL_CHANNELS:
            raise InvalidInput("Channels are wallet, email and telegram.", code="invalid_choice",
                               field=f"channels[{index}]")
    campaign = Campaign(program.program_id, ids.new_id("cp"), name=v.read_str(data, "name", required=True, max_len=120),
                        channels=sorted(set(channels)),
                        audience=segments.parse_audience(data.get("audience") or {"kind": "all"},
                                                         [t.id for t in mechanics.tiers]),
                        texts=clean, bonus=v.read_int(data, "bonus", minimum=0, maximum=mech.MAX_POINTS, default=0),
                        send_at=send_at, status="scheduled" if send_at else "draft", counts={},
                        created_by=actor, created_at=db.iso(now))
    campaign.save(condition=Campaign.campaign_id.does_not_exist())
    return campaign


def get(program, campaign_id: str) -> Campaign:
    try:
        return Campaign.get(program.program_id, campaign_id)
    except Campaign.DoesNotExist:
        raise NotFound("No such campaign.") from None


def audience(program, campaign: Campaign, now: datetime):
    """The program's cards the campaign reaches, read page by page from the cards index."""
    today = clock.local_day(now, program.timezone)
    cuts = analytics.thresholds(program, now) if segments.needs_thresholds(campaign.audience) else None
    cursor = None
    while True:
        page, cursor = card_store.list_for_program(program.program_id, 200, cursor)
        for card in page:
            if card.status == "active" and segments.matches(
                    campaign.audience, tier=card.tier, member=analytics.member_of(card, program.timezone),
                    stats=card.stats or {}, birthday=card.birthday, today=today, thresholds=cuts):
                yield card
        if not cursor:
            return


def preview(program, campaign: Campaign, now: datetime) -> int:
    return sum(1 for _ in audience(program, campaign, now))


def send(program, campaign: Campaign, now: datetime) -> Campaign:
    """Send to everyone in the audience. Safe to run again (after a crash): bonuses are once per card,
    and cards already messaged for this campaign are skipped."""
    if campaign.status == "sent":
        raise Conflict("This campaign was already sent.", code="already_sent")
    campaign.update(actions=[Campaign.status.set("sending")])
    counts = {"audience": 0, "sent": 0, "queued": 0, "skipped": 0, "bonuses": 0}
    reached = list(audience(program, campaign, now))
    counts["audience"] = len(reached)
    if len(reached) > fanout.THRESHOLD:  # the queue's workers do the rest; their counts land on the outbox side
        counts["chunks"] = fanout.dispatch("campaign", program.program_id, now.date().isoformat(),
                                           [card.card_id for card in reached],
                                           {"campaign_id": campaign.campaign_id, "now": now.isoformat()})
    else:
        for listed in reached:
            send_one(program, campaign, card_store.get(listed.card_id, consistent=True), now, counts)
    campaign.update(actions=[Campaign.status.set("sent"), Campaign.counts.set(counts),
                             Campaign.sent_at.set(db.iso(now))])
    log.info("campaign_sent", campaign_id=campaign.campaign_id, **counts)
    return campaign


def send_one(program, campaign: Campaign, card, now: datetime, counts: dict) -> None:
    """One card of a campaign: its bonus once, its message once (safe to repeat after a crash)."""
    if card is None or card.status != "active":
        return
    mechanics = mech.from_stored(program.mechanics)
    today = clock.local_day(now, program.timezone)
    if campaign.bonus:
        key = f"campaign#{campaign.campaign_id}#{card.card_id}"
        op = Operation(program.program_id, key, "campaign", body_hash({"campaign": campaign.campaign_id}),
                       "campaign", campaign.campaign_id, record_fields={"business_day": today.isoformat()})
        result = apply(program, card.card_id, op, now,
                       decide=lambda state, current: ledger.bonus(state, mechanics, source="campaign",
                                                                  points=campaign.bonus, today=today,
                                                                  lot_id=f"k{campaign.campaign_id[-8:]}",
                                                                  ref=campaign.campaign_id),
                       respond=lambda outcome, current: {"balance": outcome.state.balance}, preloaded=card)
        if not result.replay:
            counts["bonuses"] = counts.get("bonuses", 0) + 1
            card = result.card
    if not aliases.claim(f"cmsg#{campaign.campaign_id}#{card.card_id}", card.card_id, now, keep_days=90):
        return  # messaged by an earlier run of this campaign
    outcome = notices.notify(program, card, "campaign", campaign.texts, now, campaign_id=campaign.campaign_id,
                             channels=tuple(campaign.channels or notices.ALL_CHANNELS))
    counts[outcome] = counts.get(outcome, 0) + 1


def run_due(now: datetime | None = None) -> dict:
    """The schedule's part: send campaigns whose time has come."""
    from chalicelib.store.models import Program

    now = now or datetime.now(timezone.utc)
    sent = 0
    for program in Program.scan():
        for campaign in Campaign.query(program.program_id, filter_condition=Campaign.status == "scheduled"):
            if campaign.send_at and campaign.send_at <= db.iso(now):
                send(program, campaign, now)
                sent += 1
    return {"campaigns": sent}


def view(campaign: Campaign, audience_size: int | None = None) -> dict:
    answer = {"id": campaign.campaign_id, "name": campaign.name, "audience": campaign.audience,
              "texts": campaign.texts, "channels": campaign.channels or list(notices.ALL_CHANNELS),
              "bonus": int(campaign.bonus), "send_at": campaign.send_at,
              "status": campaign.status, "counts": {**(campaign.counts or {}), "delivered": int(campaign.delivered or 0),
                                                    "failed": int(campaign.failed or 0)},
              "created_by": campaign.created_by,
              "created_at": campaign.created_at, "sent_at": campaign.sent_at}
    if audience_size is not None:
        answer["audience_size"] = audience_size
    return answer


