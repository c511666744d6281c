"""Experiments as owners run them: a holdout (and variants) kept from each campaign, or from a trigger
while the owner keeps one running; the report of what the treated cards did more than the control
cards; the export of assignments and outcomes; ROMI by month.

A campaign's experiment is made with the campaign (its id is the campaign's; `holdout_percent`, 10 by
default, and `variants` come in the campaign's body). A trigger's is started and stopped here; while it
runs, the program item names it (`Program.experiments`), so the jobs and the till find it with the
program they read anyway. Cards join through `expose` (campaigns and the daily triggers) or through
their receipt (offers and challenges, usecases/decisions.Trials)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from chalicelib.channels import registry as channels
from chalicelib.core import clock, texts, uplift
from chalicelib.core import experiments as rules
from chalicelib.core import mechanics as mech
from chalicelib.core import validation as v
from chalicelib.core.percent import percent
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.store import db, ids
from chalicelib.store import experiments as experiment_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import analytics, notices

Experiment = Any  # the stored experiment (store/experiments.py)
TEXT_KEYS = {"birthday": "birthday_gift", "winback": "winback_offer", "expiry_warning": "expiry_warning"}
NAMES = {"campaign": "Campaign", "birthday": "Birthday gift", "winback": "Win-back offer",
         "expiry_warning": "Expiry warning", "offers": "Automatic offers", "challenges": "Challenges"}


class VariantView(TypedDict):
    id: str
    name: str
    share_percent: float
    bonus: int | None
    texts: dict[str, str] | None
    offer: str | None


class ExperimentView(TypedDict):
    """An experiment as admins see it (the API's Experiment)."""

    id: str
    name: str
    subject: str
    campaign_id: str | None
    holdout_percent: float
    variants: list[VariantView]
    windows: list[int]
    status: str
    created_by: str | None
    created_at: str
    stopped_at: str | None
    summary: NotRequired[dict[str, Any] | None]


def design_of(experiment: Experiment) -> rules.Design:
    return rules.Design(experiment.experiment_id, int(experiment.holdout_bp),
                        tuple(rules.Variant.from_json(item) for item in experiment.variants),
                        tuple(int(days) for days in experiment.windows))


def variant_views(design: rules.Design) -> list[VariantView]:
    """The design's variants as the API shows them, each with its share of the cards (after the holdout)."""
    share = round((rules.BUCKETS - design.holdout_bp) / len(design.variants) / 100, 2)
    return [{"id": item.id, "name": item.name, "share_percent": share, "bonus": item.bonus, "texts": item.texts,
             "offer": item.offer} for item in design.variants]


def view(experiment: Experiment) -> ExperimentView:
    design = design_of(experiment)
    return {"id": experiment.experiment_id, "name": experiment.name, "subject": experiment.subject,
            "campaign_id": experiment.experiment_id if experiment.subject == "campaign" else None,
            "holdout_percent": percent(design.holdout_bp),
            "variants": variant_views(design),
            "windows": list(design.windows), "status": status_of(experiment), "created_by": experiment.created_by,
            "created_at": experiment.created_at, "stopped_at": experiment.stopped_at, "summary": experiment.summary}


def status_of(experiment: Experiment) -> str:
    """running | stopped (a trigger's, by its owner) | finished (a campaign's, once every window of every card
    has ended: its figures no longer change)."""
    if experiment.subject == "campaign" and (experiment.summary or {}).get("final"):
        return "finished"
    return str(experiment.status)


def get(program: Program, experiment_id: str) -> Experiment:
    experiment = experiment_store.get(program.program_id, experiment_id)
    if experiment is None:
        raise NotFound("No such experiment.", code="experiment_not_found")
    return experiment


def listing(program: Program) -> list[ExperimentView]:
    return [view(item) for item in experiment_store.of_program(program.program_id)]


# --- making them -------------------------------------------------------------------------------------

def for_campaign(program: Program, campaign_id: str, name: str, settings: rules.Settings, *, actor: str,
                 now: datetime) -> rules.Design | None:
    """The campaign's experiment (None when it keeps no control and has one variant: nothing to compare)."""
    if settings.holdout_bp == 0 and len(settings.variants) == 1:
        return None
    experiment_store.create(program.program_id, campaign_id, subject="campaign", name=name,
                            holdout_bp=settings.holdout_bp, variants=[item.to_json() for item in settings.variants],
                            windows=list(settings.windows), status="running", created_by=actor, created_at=db.iso(now))
    return rules.Design(campaign_id, settings.holdout_bp, settings.variants, settings.windows)


def start(program: Program, data: dict[str, Any], actor: str, now: datetime) -> ExperimentView:
    """A trigger's experiment, running from now until stopped (one per trigger at a time)."""
    v.reject_unknown(data, {"subject", "name", "holdout_percent", "variants", "windows"})
    subject = v.read_str(data, "subject", required=True, choices=rules.TRIGGERS)
    mechanics = mech.from_stored(program.mechanics)
    _check_trigger(subject, mechanics)
    settings = rules.read_settings(data, subject)
    for index, variant in enumerate(settings.variants):
        if variant.texts:
            try:
                texts.parse_messages({TEXT_KEYS[subject]: variant.texts})
            except InvalidInput as error:
                raise InvalidInput(error.message, code=error.code, field=f"variants[{index}].texts") from None
    if settings.holdout_bp == 0 and len(settings.variants) == 1:
        raise InvalidInput("Keep a control group (holdout_percent above 0) or give two to four variants.",
                           code="invalid_value", field="holdout_percent")
    if subject in (program.experiments or {}):
        raise Conflict("This trigger already has a running experiment: stop it first.", code="experiment_running",
                       field="subject")
    experiment_id = ids.new_id("ex")
    name = v.read_str(data, "name", max_len=120) or NAMES[subject]
    running = dict(program.experiments or {})
    running[subject] = rules.Design(experiment_id, settings.holdout_bp, settings.variants, settings.windows).to_json()
    # the program first, over the version read: of two starts at once one gets 409 and leaves nothing behind
    program_store.save_changes(program, {"experiments": running}, now)
    experiment = experiment_store.create(
        program.program_id, experiment_id, subject=subject, name=name,
        holdout_bp=settings.holdout_bp, variants=[item.to_json() for item in settings.variants],
        windows=list(settings.windows), status="running", created_by=actor, created_at=db.iso(now))
    return view(experiment)


TRIGGER_OFF = {
    "birthday": "The program gives no birthday gift: set mechanics.birthday.bonus (console: Mechanics) first.",
    "winback": "The program makes no win-back offer: set mechanics.winback.after_days and bonus (console: "
               "Mechanics) first.",
    "expiry_warning": "The program sends no expiry warning: points must expire (mechanics.lifetime_days) and "
                      "mechanics.expiry_warning_days be above 0 first.",
    "offers": "The program issues no offer by itself: give an offer an automatic rule (mechanics.offers[].auto; "
              "console: Offers) first.",
    "challenges": "The program has no challenges: add one (mechanics.challenges; console: Challenges) first."}


def _check_trigger(subject: str, mechanics: mech.Mechanics) -> None:
    """A trigger's experiment needs the trigger to be on (else nothing would ever be compared)."""
    off = {"birthday": not mechanics.birthday_bonus,
           "winback": not (mechanics.winback_after_days and mechanics.winback_bonus),
           "expiry_warning": not (mechanics.expiry_warning_days and mechanics.lifetime_days),
           "offers": not any(offer.auto for offer in mechanics.offers),
           "challenges": not mechanics.challenges}
    if off[subject]:
        raise InvalidInput(TRIGGER_OFF[subject], code="trigger_off", field="subject")


def stop(program: Program, experiment_id: str, actor: str, now: datetime) -> ExperimentView:
    """Stop a trigger's experiment: from now every card gets the trigger as configured; the report keeps
    the cards exposed so far (their windows still count)."""
    experiment = get(program, experiment_id)
    if experiment.subject == "campaign":
        raise Conflict("A campaign's experiment ends with its send; its report stays.", code="not_stoppable")
    if experiment.status == "stopped":
        return view(experiment)
    running = dict(program.experiments or {})
    if (running.get(experiment.subject) or {}).get("id") == experiment_id:
        running.pop(experiment.subject)
        program_store.save_changes(program, {"experiments": running or None}, now)
    experiment.status, experiment.stopped_at = "stopped", db.iso(now)
    if not experiment_store.save(experiment):
        raise Conflict("The experiment changed meanwhile; stop it again.", code="edit_conflict")
    return view(experiment)


# --- cards joining -----------------------------------------------------------------------------------

def expose(program: Program, design: rules.Design, card: Card, now: datetime, *, bonus: int = 0,
           channel_names: Iterable[str] | None = None) -> tuple[Card, str, bool]:
    """The card reached by the experiment's campaign or trigger: its group (control or a variant) is
    recorded once with its cost (the variant's bonus and the price of the channels its message reaches;
    nothing for control). Returns the card as it is now, its group, and whether it joined just now."""
    group = rules.assign(design, card.card_id)
    cost = 0 if group == rules.CONTROL else message_cost(program, card, channel_names)
    card, joined = experiment_store.enrol(card, design, group, clock.local_day(now, program.timezone), now,
                                          running=rules.running(program.experiments),
                                          bonus=0 if group == rules.CONTROL else bonus, message_cost=cost)
    return card, group, joined


def message_cost(program: Program, card: Card, channel_names: Iterable[str] | None) -> int:
    """What a message to the card costs by the program's prices: the wallet notice (when the card is in a
    wallet channel asked for) and each outbox channel that reaches the customer."""
    prices = mech.from_stored(program.mechanics).message_prices
    if not prices:
        return 0
    wanted = tuple(channel_names) if channel_names else channels.offered()
    customer = notices.recipient(card)
    total = 0
    for name in wanted:
        channel = channels.get(name)
        if channel is not None and (channel.with_card or channel.reaches(customer)):
            total += prices.get(name, 0)
    return total


def trigger_design(program: Program, subject: str) -> rules.Design | None:
    return rules.running(program.experiments).get(subject)


# --- reading them ------------------------------------------------------------------------------------

def economics(program: Program) -> uplift.Economics:
    mechanics = mech.from_stored(program.mechanics)
    return uplift.Economics(None if mechanics.margin_bp is None else mechanics.margin_bp / 100, mechanics.point_value)


def report(program: Program, experiment_id: str, now: datetime, location_id: str | None = None) -> dict[str, Any]:
    """The experiment's report (core/uplift.py) from its assignments alone: one Query, the cards in it.
    `location_id`: only the cards whose home was that location when they were exposed, in every group (the
    group is drawn at random whatever the home, so within a location the comparison stays fair); such a
    report leaves the experiment's ROMI summary (the whole experiment's) as it was."""
    experiment = get(program, experiment_id)
    where = None if location_id is None else analytics.location_of(program, location_id).location_id
    design = design_of(experiment)
    reading = experiment_store.Reading(experiment_id, where)
    today = clock.local_day(now, program.timezone)
    answer = dict(uplift.report(reading, [(item.id, item.name) for item in design.variants], design.windows, today,
                                economics(program)))
    answer["location_id"] = where
    earlier = experiment.summary or {}
    romi = answer.get("romi", [])
    if where is None and earlier.get("romi") != romi:  # a read writes only when the figures changed
        experiment.summary = {"as_of": today.isoformat(), "month": experiment.created_at[:7], "romi": romi,
                              **({"final": True} if earlier.get("final") else {})}
        experiment_store.save(experiment)  # refused when a stop was saved meanwhile: a later read refreshes it
    return {"experiment": view(experiment), **answer, "items_read": {"assignments": reading.items_read,
                                                                      "experiment": 1}}


EXPORT_PAGE = 2000


def export_page(program: Program, experiment_id: str, cursor: str | None,
                limit: int = EXPORT_PAGE) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the experiment's assignments and what each card did in each window, as rows."""
    experiment = get(program, experiment_id)
    design = design_of(experiment)
    items, following = experiment_store.page(experiment_id, limit, cursor)
    rows = []
    for item in items:
        exposure = experiment_store.exposure_of(item)
        if exposure is None:
            continue
        row: dict[str, Any] = {"card": item.number, "group": exposure.variant,
                               "exposed_on": exposure.exposed_on.isoformat(), "bonus": exposure.bonus,
                               "message_cost": exposure.message_cost, "location_id": item.location_id}
        for days in design.windows:
            inside = [event for event in exposure.events if event.offset < days]
            row[f"visits_{days}d"] = sum(event.visit for event in inside)
            row[f"revenue_{days}d"] = sum(event.revenue for event in inside)
            row[f"points_{days}d"] = sum(event.points for event in inside)
        rows.append(row)
    return rows, following


def monthly_romi(program: Program, first: str | None, last: str | None) -> list[dict[str, Any]]:
    """ROMI by month of each experiment's start, from the summaries their last reports left (the nightly
    analytics job refreshes those of experiments whose windows are still open): their incremental revenue and
    cost, with the margin set now. With the margin set, an experiment without a figure yet (not sent, no
    card past a window, no control card) is left out rather than making its month unknown."""
    margin_bp = mech.from_stored(program.mechanics).margin_bp
    rows = []
    for experiment in experiment_store.of_program(program.program_id):
        month = experiment.created_at[:7]
        if (first and month < first) or (last and month > last) or not experiment.summary:
            continue
        for item in experiment.summary.get("romi") or []:
            revenue = item.get("incremental_revenue")
            if revenue is None and margin_bp is not None:
                continue  # nothing to compare yet (no card has finished a window, no control card)
            # today's margin, whatever it was when the summary was written: a changed margin changes every month
            margin = None if revenue is None or margin_bp is None else round(revenue * margin_bp / 10_000)
            rows.append({"month": month, "incremental_margin": margin, "cost": item.get("cost") or 0})
    return uplift.monthly(rows)


def refresh(program: Program, now: datetime) -> int:
    """The nightly job's part: the report of every experiment not yet final read again, so its summary
    (and the monthly ROMI) follows. An experiment is final once it can take no more cards (a campaign; a
    stopped trigger) and every card's every window has ended. Returns how many were read."""
    done = 0
    for experiment in experiment_store.of_program(program.program_id):
        if (experiment.summary or {}).get("final"):
            continue
        answer = report(program, experiment.experiment_id, now)
        done += 1
        closed = experiment.subject == "campaign" or experiment.status == "stopped"
        cards = sum(group["cards"] for group in answer.get("groups", []))
        if closed and cards and answer.get("windows") and all(row["complete"] for row in answer["windows"]):
            fresh = get(program, experiment.experiment_id)
            fresh.summary = {**(fresh.summary or {}), "final": True}
            experiment_store.save(fresh)  # refused only by a concurrent write: the next night marks it
    return done
