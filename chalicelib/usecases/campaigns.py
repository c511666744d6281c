"""Campaigns: an admin picks an audience, writes the text in Russian and English, optionally a bonus
and an offer to hold on the card, sees how many it will reach, and sends it now or at a set time. Each
card gets the bonus and the offer once (through the ledger, keyed by campaign and card) and the message
through `notices` (consent, quiet hours, cap); the campaign keeps the counts of what happened."""
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NotRequired, TypedDict, cast

from chalicelib import log
from chalicelib.channels import registry as channels
from chalicelib.core import clock, segments
from chalicelib.core import experiments as trial_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import offers as offer_rules
from chalicelib.core import validation as v
from chalicelib.errors import AppError, Conflict, InvalidInput, NotFound, TryAgain
from chalicelib.queue import budget as job_budget
from chalicelib.queue import fanout
from chalicelib.store import campaigns as campaign_store
from chalicelib.store import cards as card_store
from chalicelib.store import db, ids, messages
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import analytics, notices
from chalicelib.usecases import experiments as experiment_cases
from chalicelib.usecases import offers as offer_cases
from chalicelib.usecases.ledger import GiveBonus, apply, ledger_card

Campaign = Any  # the stored campaign (store/campaigns.py)
FIELDS = {"name", "audience", "texts", "bonus", "send_at", "channels", "offer", "holdout_percent", "variants",
          "windows"}


class CampaignCounts(TypedDict):
    """A send's progress (the API's Campaign.counts): the counters from `audience` to `bonuses` once its
    audience was read, `chunks` once its cards went to the jobs queue."""

    audience: NotRequired[int]
    processed: NotRequired[int]
    sent: NotRequired[int]
    queued: NotRequired[int]
    skipped: NotRequired[int]
    bonuses: NotRequired[int]
    held_out: NotRequired[int]
    chunks: NotRequired[int]
    delivered: int
    failed: int


class CampaignView(TypedDict):
    """A campaign as admins see it (the API's Campaign); `audience_size` when it was just counted."""

    id: str
    name: str
    audience: dict[str, Any]
    texts: dict[str, str]
    channels: list[str]
    bonus: int
    offer: str | None
    send_at: str | None
    status: str
    counts: CampaignCounts
    last_error: str | None
    created_by: str | None
    created_at: str | None
    started_at: str | None
    sent_at: str | None
    experiment_id: str | None
    holdout_percent: float
    variants: list[experiment_cases.VariantView]
    audience_size: NotRequired[int]


def _in_words(names: tuple[str, ...]) -> str:
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)


def read_channels(data: dict[str, Any]) -> list[str]:
    """The campaign's channels: any of those offered (chalicelib/channels/registry.py), all when none."""
    offered = channels.offered()
    chosen = v.read_list(data, "channels", max_items=len(offered)) or list(offered)
    for index, channel in enumerate(chosen):
        if channel not in offered:
            raise InvalidInput(f"Channels are {_in_words(offered)}.", code="invalid_choice",
                               field=f"channels[{index}]")
    return sorted(set(chosen))


def create(program: Program, data: dict[str, Any], actor: str, now: datetime) -> Campaign:
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
    chosen = read_channels(data)
    if mechanics.kind == "discount" and data.get("bonus"):  # its cards hold no points to spend
        raise InvalidInput("A discount program has no points to spend: give an offer instead of a bonus.",
                           code="invalid_value", field="bonus")
    offer = v.read_str(data, "offer", max_len=40, pattern=v.ID_PATTERN, strip=False)
    if offer is not None and offer_rules.definition(mechanics, offer) is None:
        raise NotFound("The program has no such offer.", code="offer_not_found", field="offer")
    settings = trial_rules.read_settings(data, "campaign")
    _check_variants(settings, mechanics)
    name = v.read_str(data, "name", required=True, max_len=120)
    audience = segments.parse_audience(data.get("audience") or {"kind": "all"}, [t.id for t in mechanics.tiers])
    bonus = v.read_int(data, "bonus", minimum=0, maximum=mech.MAX_POINTS, default=0)
    campaign_id = ids.new_id("cp")
    # everything checked: the experiment first, so a campaign is never without the holdout it was asked for
    experiment_cases.for_campaign(program, campaign_id, name, settings, actor=actor, now=now)
    variants = [item.to_json() for item in settings.variants] if len(settings.variants) > 1 else None
    return campaign_store.create(program.program_id, campaign_id, holdout_bp=settings.holdout_bp, variants=variants,
                                 windows=list(settings.windows), name=name, channels=chosen, audience=audience,
                                 texts=clean, bonus=bonus, send_at=send_at, status="scheduled" if send_at else "draft",
                                 counts={}, created_by=actor, created_at=db.iso(now),
                                 **({"offer": offer} if offer else {}))


def _check_variants(settings: trial_rules.Settings, mechanics: mech.Mechanics) -> None:
    for index, variant in enumerate(settings.variants):
        field = f"variants[{index}]"
        if variant.offer is not None and offer_rules.definition(mechanics, variant.offer) is None:
            raise NotFound("The program has no such offer.", code="offer_not_found", field=f"{field}.offer")
        if variant.bonus and mechanics.kind == "discount":
            raise InvalidInput("A discount program has no points to spend: give an offer instead of a bonus.",
                               code="invalid_value", field=f"{field}.bonus")


def design(campaign: Campaign) -> trial_rules.Design | None:
    """The campaign's experiment (None: made before experiments, or no control and one variant)."""
    variants = tuple(trial_rules.Variant.from_json(item) for item in campaign.variants or ())
    holdout = int(campaign.holdout_bp or 0)
    if not holdout and len(variants) < 2:  # noqa: PLR2004 (an A/B test needs two)
        return None
    windows = tuple(int(days) for days in campaign.windows or trial_rules.DEFAULT_WINDOWS)
    return trial_rules.Design(campaign.campaign_id, holdout, variants or (trial_rules.Variant("a", "A"),), windows)


def get(program: Program, campaign_id: str) -> Campaign:
    campaign = campaign_store.get(program.program_id, campaign_id)
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


def audience(program: Program, campaign: Campaign, now: datetime) -> Iterator[Any]:
    """The program's cards the campaign reaches, read page by page from the cards index."""
    return _reached(program, campaign.audience, now)


def audience_size(program: Program, data: dict[str, Any], now: datetime) -> int:
    """How many cards `{"audience": ...}` (a campaign's audience) reaches today, nothing written: the
    console shows it while the owner builds a campaign, before there is one."""
    v.reject_unknown(data, {"audience"})
    tiers = [t.id for t in mech.from_stored(program.mechanics).tiers]
    return sum(1 for _ in _reached(program, segments.parse_audience(data.get("audience") or {"kind": "all"}, tiers),
                                   now))


def _reached(program: Program, wanted: dict[str, Any], now: datetime) -> Iterator[Any]:
    today = clock.local_day(now, program.timezone)
    cuts = analytics.thresholds(program, now) if segments.needs_thresholds(wanted) else None
    cursor = None
    while True:
        page, cursor = card_store.list_for_program(program.program_id, 200, cursor)
        for card in page:
            if card.status == "active" and segments.matches(
                    wanted, tier=card.tier, member=analytics.member_of(card, program.timezone),
                    stats=card.stats or {}, birthday=card.birthday, today=today, thresholds=cuts):
                yield card
        if not cursor:
            return


def preview(program: Program, campaign: Campaign, now: datetime) -> int:
    return sum(1 for _ in audience(program, campaign, now))


LEASE = timedelta(minutes=3)  # a send quiet for this long (no card counted) is taken over by the schedule
FANOUT_LEASE = timedelta(minutes=15)  # … or this long once its cards wait in the jobs queue
# Cards a send works inside its own request; more go to the jobs queue. A card costs 6 DynamoDB requests
# (benchmarks/campaigns.py), about 30-60 ms on DynamoDB, so 100 cards answer well inside API Gateway's 29 s.
INLINE = 100
ATTEMPTS = 4  # a card's message, when the card is busy with other writes


def _wall() -> datetime:
    """The wall clock the leases run on (the `now` a send carries is its business time; a chunk worked
    from the queue keeps the time its send began)."""
    return datetime.now(UTC)


def send(program: Program, campaign: Campaign, now: datetime) -> Campaign:
    """Send to everyone in the audience, or carry on with a send that stopped (its lease ran out or it
    gave up after an error). Returns the campaign as it stands: `sent`, or still `sending` when its cards
    went to the jobs queue (more than INLINE) and finish in the background. Safe to run
    again at any point: each card gets its bonus once, its message once, and is counted once."""
    if campaign.status == "sent":
        raise Conflict("This campaign was already sent.", code="already_sent")
    runner = ids.new_id("run")
    started = campaign_store.begin(program.program_id, campaign.campaign_id, runner, _wall(), LEASE)
    if started is None:
        if get(program, campaign.campaign_id).status == "sent":
            raise Conflict("This campaign was already sent.", code="already_sent")
        raise Conflict("This campaign is being sent right now; its progress shows on the campaign.",
                       code="campaign_in_progress")
    return _run(program, started, runner, now)


def _run(program: Program, campaign: Campaign, runner: str, now: datetime) -> Campaign:
    try:
        reached = [card.card_id for card in audience(program, campaign, now)]
        chunks = -(-len(reached) // fanout.CHUNK) if len(reached) > INLINE else 0
        campaign_store.walked(campaign, runner, len(reached), chunks, _wall(), lease=FANOUT_LEASE if chunks else LEASE)
        counts: dict[str, int] = {}
        if chunks:  # the queue's workers do the cards (see queue/chunks.py); the last one counted finishes
            if fanout.dispatch("campaign", program.program_id, now.date().isoformat(), reached,
                               {"campaign_id": campaign.campaign_id, "now": now.isoformat()}):
                log.info("campaign_fanned_out", campaign_id=campaign.campaign_id, cards=len(reached))
                return get(program, campaign.campaign_id)
            counts["deferred"] = len(reached) - int(get(program, campaign.campaign_id).processed or 0)
        else:
            for card_id in reached:
                outcome = send_one(program, campaign, card_store.get(card_id, consistent=True), now)
                counts[outcome] = counts.get(outcome, 0) + 1
        if counts.get("deferred"):  # another sender is on those cards: the schedule comes back for them
            campaign_store.hold(campaign, runner, _wall(), LEASE)
        else:
            campaign_store.finish(campaign, now)
        log.info("campaign_run", campaign_id=campaign.campaign_id, **counts)
    except campaign_store.LeaseLost:
        log.warning("campaign_taken_over", campaign_id=campaign.campaign_id)
    except Exception as error:
        campaign_store.give_up(campaign, runner, _describe(error), _wall())
        log.error("campaign_send_stopped", campaign_id=campaign.campaign_id, error_type=type(error).__name__)
        if isinstance(error, AppError):
            raise
        if db.is_crowded(error):
            raise TryAgain("The campaign's cards are busy; it carries on by itself, or send it again.") from error
        raise
    return get(program, campaign.campaign_id)


def _describe(error: Exception) -> str:
    """The last error as the campaign shows it: what kind, and the message when it is one of ours (no
    card data: our messages name none)."""
    if isinstance(error, AppError):
        return f"{error.code}: {error.message}"
    if db.is_crowded(error):
        return "busy: DynamoDB was crowded; the send carries on"
    return type(error).__name__


def send_one(program: Program, campaign: Campaign, card: Card | None, now: datetime,
             counts: dict[str, int] | None = None) -> str:
    """One card of a campaign: its bonus once, its message once, counted once on the campaign (safe to
    repeat after a crash at any point, and by several workers). Returns what became of the card: sent,
    queued, skipped, `done` (counted before) or `deferred` (another sender is messaging it just now)."""
    if card is None:
        return "skipped"  # gone since the audience was read; nothing to do or count
    if campaign_store.is_done(campaign.campaign_id, card.card_id):
        return "done"
    bonus = False
    outcome = "skipped"
    if card.status == "active":
        card, reached, bonus = _reach(program, campaign, card, now)
        if reached is None:
            return "deferred"
        outcome = reached
    lease = FANOUT_LEASE if campaign.chunks else LEASE
    if not campaign_store.record_card(campaign, card.card_id, outcome, bonus, now, clock=_wall(), lease=lease):
        return "done"
    if counts is not None:
        counts[outcome] = counts.get(outcome, 0) + 1
    if campaign.chunks:  # fanned out: whichever worker counts the last card turns the campaign `sent`
        campaign_store.finish_if_complete(campaign, now)
    return outcome


def _reach(program: Program, campaign: Campaign, card: Card, now: datetime) -> tuple[Card, str | None, bool]:
    """An active card of the audience: its group's bonus, offer and message (a control card: none of them).
    Returns the card as it now is, the message's outcome (`held_out` for control; None: deferred) and
    whether a bonus was given."""
    points, texts, offer, card = _treatment(program, campaign, card, now)
    if texts is None:
        return card, "held_out", False
    if points:
        card = _bonus(program, campaign, card, points, now)
    if offer:
        card = offer_cases.campaign_offer(program, campaign.campaign_id, offer, card, now)
    return card, _message(program, campaign, card, texts, now), bool(points)


def _treatment(program: Program, campaign: Campaign, card: Card,
               now: datetime) -> tuple[int, dict[str, str] | None, str | None, Card]:
    """What the card gets: (bonus points, message texts, offer, the card as it now is); texts None for a
    card of the control group. With an experiment the card joins it first, in its group, once."""
    found = design(campaign)
    if found is None:
        return int(campaign.bonus or 0), campaign.texts, campaign.offer, card
    group = trial_rules.assign(found, card.card_id)
    variant = found.variant(group)
    points = int(campaign.bonus or 0) if variant is None or variant.bonus is None else variant.bonus
    card, group, _ = experiment_cases.expose(program, found, card, now, bonus=points,
                                             channel_names=campaign.channels)
    if variant is None:
        return 0, None, None, card
    return points, variant.texts or campaign.texts, variant.offer or campaign.offer, card


def _bonus(program: Program, campaign: Campaign, card, points: int, now: datetime):
    """The campaign's bonus to the card, once (the ledger record per campaign and card)."""
    key = f"campaign#{campaign.campaign_id}#{card.card_id}"
    bonus = GiveBonus(card_id=card.card_id, record_key=key, kind="campaign", request={"campaign": campaign.campaign_id},
                      cause_type="campaign", cause_id=campaign.campaign_id, source="campaign",
                      points=points, day=clock.local_day(now, program.timezone),
                      lot_id=f"k{campaign.campaign_id[-8:]}", ref=campaign.campaign_id)
    result = apply(bonus, program, now, preloaded=ledger_card(card))
    # A repeat (the bonus was given by a send that stopped) leaves `card` as the ledger's failed attempt
    # changed it in memory (the bonus added once more): read it afresh, or the message would save that.
    if result.replay:
        return card_store.get(card.card_id, consistent=True)
    assert result.card is not None  # a bonus always changes its card
    return result.card.item


def _message(program: Program, campaign: Campaign, card: Card, texts: dict[str, str], now: datetime) -> str | None:
    """The card's message, once: claimed first, then sent. A claim left by a send that died is looked
    into: if its message went out, its outcome counts; if not, the claim is taken over and the message
    sent. None: another sender claimed it moments ago and is on it."""
    earlier = campaign_store.claim_message(campaign.campaign_id, card.card_id, now)
    if earlier is not None:
        card = card_store.get(card.card_id, consistent=True) or card
        outcome = campaign_store.message_outcome(card, earlier.created_at)
        if outcome is not None:
            return outcome
        if not earlier.created_at or now - datetime.fromisoformat(earlier.created_at) < LEASE:
            return None
        if not campaign_store.retake_message(earlier, now):
            return None
    try:
        return _notify(program, campaign, card, texts, now)
    except Exception as error:
        # DynamoDB refused the message's writes: nothing went out, so the claim is given back and a
        # second press of "send" messages the card at once. After an error that leaves it uncertain (a
        # timeout) the claim stays, and whoever resumes looks for the message's record first.
        if isinstance(error, TryAgain) or db.response_code(error):
            campaign_store.release_message(campaign.campaign_id, card.card_id, now)
        raise


def _notify(program: Program, campaign: Campaign, card: Card, texts: dict[str, str], now: datetime) -> str:
    """`notices.notify`, tried again on fresh data when the card was busy with other writes."""
    for attempt in range(ATTEMPTS):
        try:
            return notices.notify(program, card, "campaign", texts, now, campaign_id=campaign.campaign_id,
                                  channel_names=campaign.channels)  # None: every channel offered
        except Exception as error:  # RuntimeError: the card kept changing
            if not (isinstance(error, RuntimeError) or messages.is_card_busy(error)):
                raise
            db.back_off(attempt)
            card = card_store.get(card.card_id, consistent=True) or card
    raise TryAgain("A card of this campaign is busy; the send carries on by itself, or send it again.")


def run_due(now: datetime | None = None) -> dict[str, int]:
    """The schedule's part (every 5 minutes): send campaigns whose time has come, finish those whose
    every card is counted, and take over sends left `sending` whose lease ran out."""
    now = now or datetime.now(UTC)
    done = {"campaigns": 0, "resumed": 0, "finished": 0, "failed": 0}
    for program in program_store.scan():
        for campaign in campaign_store.unfinished(program.program_id):
            if campaign.status == "scheduled" and not (campaign.send_at and campaign.send_at <= db.iso(now)):
                continue
            if campaign.status == "sending" and campaign.audience_count is not None \
                    and campaign_store.finish(campaign, now, complete_only=True):
                done["finished"] += 1
                continue
            runner = ids.new_id("run")
            started = campaign_store.begin(program.program_id, campaign.campaign_id, runner, _wall(), LEASE)
            if started is None:
                continue  # another send holds it
            done["resumed" if campaign.status == "sending" else "campaigns"] += 1
            try:
                _run(program, started, runner, now)
            except Exception:  # noqa: BLE001 - recorded on the campaign; the others still go out
                done["failed"] += 1
    return {name: count for name, count in done.items() if count or name == "campaigns"}


def progress(campaign: Campaign) -> CampaignCounts:
    """What a send has done so far (and at its end): the cards in its audience, those done, and what
    became of them; `delivered` and `failed` count email and Telegram messages as the outbox sends them."""
    # a campaign sent before the counters kept its counts here (`delivered` and `failed` are set below)
    counts = cast(CampaignCounts, dict(campaign.counts or {}))
    if campaign.audience_count is not None:
        counts.update({"audience": int(campaign.audience_count), "processed": int(campaign.processed or 0),
                       "sent": int(campaign.sent_count or 0), "queued": int(campaign.queued or 0),
                       "skipped": int(campaign.skipped or 0), "bonuses": int(campaign.bonuses or 0),
                       "held_out": int(campaign.held_out or 0)})
    if campaign.chunks:
        counts["chunks"] = int(campaign.chunks)
    counts.update({"delivered": int(campaign.delivered or 0), "failed": int(campaign.failed or 0)})
    return counts


def view(campaign: Campaign, audience_size: int | None = None) -> CampaignView:
    answer: CampaignView = {"id": campaign.campaign_id, "name": campaign.name, "audience": campaign.audience,
                            "texts": campaign.texts, "channels": campaign.channels or list(channels.offered()),
                            "bonus": int(campaign.bonus), "offer": campaign.offer, "send_at": campaign.send_at,
                            "status": campaign.status, "counts": progress(campaign), "last_error": campaign.last_error,
                            "created_by": campaign.created_by, "created_at": campaign.created_at,
                            "started_at": campaign.started_at, "sent_at": campaign.sent_at,
                            "experiment_id": None, "holdout_percent": 0, "variants": []}
    answer["experiment_id"], answer["holdout_percent"], answer["variants"] = _experiment_fields(campaign)
    if audience_size is not None:
        answer["audience_size"] = audience_size
    return answer


def _experiment_fields(campaign: Campaign) -> tuple[str | None, float, list[experiment_cases.VariantView]]:
    """The campaign's experiment id, holdout and variants as its view shows them (no experiment: everyone
    gets the campaign's own, as one variant)."""
    found = design(campaign)
    shown = experiment_cases.variant_views(found or trial_rules.Design(campaign.campaign_id, 0))
    return (found.experiment_id if found else None), int(campaign.holdout_bp or 0) / 100, shown


def work_chunk(message: dict[str, Any], budget: job_budget.Budget) -> dict[str, int]:
    """A chunk of a fanned-out send from the jobs queue (see queue/chunks.py): each card read again
    (consistently) and sent to; out of budget, the cards not reached go back to the queue."""
    program = program_store.get(message["program_id"])
    done = {"cards": 0}
    if program is None:
        return done
    campaign = get(program, message["campaign_id"])
    now = datetime.fromisoformat(message["now"]) if message.get("now") else datetime.now(UTC)
    card_ids = list(message["card_ids"])
    for index, card_id in enumerate(card_ids):
        if budget.spent():
            done["handed_back"] = len(card_ids) - index
            fanout.send([{**message, "card_ids": card_ids[index:]}])
            break
        card = card_store.get(card_id, consistent=True)
        if card is None or card.program_id != program.program_id:
            continue
        send_one(program, campaign, card, now, {})
        done["cards"] += 1
    return done
