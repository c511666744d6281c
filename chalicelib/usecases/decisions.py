"""Decisions as data: what one balance operation will write, decided before anything is written.

Each `decide_*` is pure (no store, no clock: `now` is an argument). It takes the command, the program
and the cards' current state as the store read them, and returns a `Plan` (store/plans.py): the
operation's record with its answer, each card's new state with its ledger entries and queued messages,
the update of a receipt a refund belongs to, and the analytics counters. The store carries a plan out
as one transaction; `usecases.ledger.apply` reads, decides and retries. Rule refusals (`AppError`)
are raised here."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.commands.adjustments import AdjustBalance
from chalicelib.commands.offers import IssueOffer, WithdrawOffer
from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import analytics as numbers
from chalicelib.core import branding as brandings
from chalicelib.core import clock, ledger, messaging
from chalicelib.core import experiments as trial_rules
from chalicelib.core import locations as location_rules
from chalicelib.core import lots as lot_rules
from chalicelib.core import mechanics as mech
from chalicelib.core import offers as offer_rules
from chalicelib.core import texts as catalogue
from chalicelib.core.ledger import CardState, Outcome
from chalicelib.core.offers import HeldOffer
from chalicelib.errors import Conflict, NotFound, RuleViolation
from chalicelib.store.plans import (
    CardChange,
    Counts,
    Enrolment,
    LedgerCard,
    NewRecord,
    OperationRecord,
    Plan,
    QueuedMessage,
    RefundedReceipt,
    TrialEvent,
)
from chalicelib.store.records import Program
from chalicelib.usecases import survey_links

# --- commands the jobs and campaigns give (the POS and admin ones are in chalicelib.commands) ------------

@dataclass(frozen=True)
class GiveBonus:
    """Points given once per `record_key` (a birthday, a win-back offer, a campaign)."""

    card_id: str
    record_key: str
    kind: str
    request: dict[str, Any]  # what the idempotency hash is taken of
    cause_type: str
    cause_id: str
    source: str
    points: int
    day: date
    lot_id: str
    ref: str
    active_only: bool = False  # a blocked card gets nothing (RuleViolation card_blocked)
    answer_gift: bool = False  # the occasions' answer names the card and the gift, a campaign's the balance
    messages: tuple[QueuedMessage, ...] = ()

    def respond(self, card: LedgerCard, outcome: Outcome) -> dict[str, Any]:
        if self.answer_gift:
            return {"card_id": card.card_id, "points": self.points, "balance": outcome.state.balance}
        return {"balance": outcome.state.balance}


@dataclass(frozen=True)
class BurnExpired:
    """Expired points burned, once per card and expiry day."""

    card_id: str
    record_key: str
    day: date


# --- shared pieces -----------------------------------------------------------------------------------

def today_of(program: Program, now: datetime) -> date:
    return clock.local_day(now, program.timezone)


def queued_message(program: Program, kind: str, texts: dict[str, str], now: datetime, service: bool) -> QueuedMessage:
    """A message queued with a change: due now, or at the end of the program's quiet hours."""
    quiet = mech.from_stored(program.mechanics).quiet_hours
    local = now.astimezone(clock.zone(program.timezone))
    if quiet is not None and messaging.in_quiet_hours(local, quiet):
        return QueuedMessage(kind, texts, messaging.quiet_end(local, quiet).astimezone(UTC), service,
                             "quiet_hours")
    return QueuedMessage(kind, texts, now, service)


def owed_fields(answer: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """`shortfall` (points a refund took back that the customer had already spent, now owed) and
    `settled` (owed points taken from what this operation gave), when there are any."""
    if outcome.shortfall:
        answer["shortfall"] = outcome.shortfall
    if outcome.settled:
        answer["settled"] = outcome.settled
    return answer


def points_by_day(day: str, *outcomes: Outcome) -> Counts:
    return {day: numbers.points_counts([entry for outcome in outcomes for entry in outcome.entries])}


def with_money(counts: Counts, day: str, money: dict[str, int]) -> Counts:
    return {**counts, day: numbers.merge(counts.get(day, {}), money)}


def business_day_fields(day: date) -> dict[str, Any]:
    return {"business_day": day.isoformat()}


def micros(now: datetime) -> int:
    return int(now.timestamp() * 1_000_000)


def entry_tag(record_key: str) -> str:
    """Part of the ledger entry keys of an operation: two operations at one instant never collide."""
    return hashlib.sha256(record_key.encode()).hexdigest()[:8]


# --- the decisions -----------------------------------------------------------------------------------

def decide_bonus(command: GiveBonus, program: Program, card: LedgerCard, request_hash: str, now: datetime) -> Plan:
    if command.active_only and card.status != "active":
        raise RuleViolation("blocked card", code="card_blocked")
    mechanics = mech.from_stored(program.mechanics)
    outcome = ledger.bonus(card.state, mechanics, source=command.source, points=command.points, today=command.day,
                           lot_id=command.lot_id, ref=command.ref)
    change = CardChange(card, outcome, command.cause_type, command.cause_id, command.record_key,
                        entry_tag(command.record_key), messages=command.messages)
    record = NewRecord(command.record_key, command.kind, request_hash, command.respond(card, outcome), card.card_id,
                       business_day_fields(command.day))
    return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, (change,),
                counts=points_by_day(today_of(program, now).isoformat(), outcome))


def decide_expiry(command: BurnExpired, program: Program, card: LedgerCard, request_hash: str, now: datetime) -> Plan:
    mechanics = mech.from_stored(program.mechanics)
    outcome = ledger.expire(card.state, command.day)
    change = CardChange(card, outcome, "job", command.record_key, command.record_key, entry_tag(command.record_key))
    record = NewRecord(command.record_key, "expire", request_hash, {"balance": outcome.state.balance}, card.card_id,
                       business_day_fields(command.day))
    return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, (change,),
                counts=points_by_day(today_of(program, now).isoformat(), outcome))


def decide_receipt(command: RecordReceipt, program: Program, card: LedgerCard | None, referrer: LedgerCard | None,
                   now: datetime) -> Plan:
    """A sale, with or without a card; on a referred card's first purchase, the referrer's bonus too
    (`referrer`: the card that referred this one, as read, or None)."""
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    if card is None:
        answer: dict[str, Any] = {"receipt_id": command.receipt_id, "card": None, "earned": 0, "redeemed": 0,
                                  "balance": None, "available": None, "tier": None, **location_field(command)}
        record = NewRecord(command.record_key, "receipt", command.request_hash, answer, None, command.record_fields())
        counts = with_money(points_by_day(today.isoformat()), command.business_day,
                            numbers.sale_counts(command.total, member=False))
        return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, counts=counts,
                    location_id=command.location_id)
    if card.status == "erased":  # a number a warm cache still knew (usecases/erasure.py): as if unknown
        raise NotFound("No card with this number in this program.", code="card_not_found", field="card")
    if card.status != "active":
        raise RuleViolation("This card is blocked.", code="card_blocked", field="card")
    stamp = micros(now)

    def decide(rules: mech.Mechanics) -> Outcome:
        return ledger.receipt(card.state, rules, total=command.total, redeem=command.redeem, today=today,
                              lot_id=f"r{stamp:x}", receipt_ref=command.receipt_id, business_day=command.business_day,
                              lines=command.lines or (), rewards=command.rewards, offer_id=command.offer_id,
                              local_time=command.local_time or local_time(program, now),
                              location_id=command.location_id)

    trials = Trials(program, card, today, sold_on=date.fromisoformat(command.business_day))
    outcome = trials.decide(mechanics, decide)
    answer = owed_fields({"receipt_id": command.receipt_id, "card": card.number, "earned": outcome.earned,
                          "redeemed": outcome.redeemed, "balance": outcome.state.balance,
                          "available": lot_rules.available(outcome.state.lots, today.isoformat()),
                          "tier": outcome.state.tier, **outcome.details, **location_field(command)}, outcome)
    record = NewRecord(command.record_key, "receipt", command.request_hash, answer, card.card_id,
                       {**command.record_fields(), "earned": outcome.earned, "redeemed": outcome.redeemed,
                        "paid": outcome.paid})
    messages = (*offer_messages(program, card.state, outcome.state, now), *survey_messages(program, card, outcome, now))
    changes = [CardChange(card, outcome, "receipt", command.receipt_id, command.record_key,
                          entry_tag(command.record_key), messages=messages, trials=trials.after())]
    if referrer is not None and referrer.status == "active" and first_referred_purchase(card, mechanics, outcome):
        key = f"referral#{card.card_id}"
        reward = ledger.bonus(referrer.state, mechanics, source="referral", points=mechanics.referrer_bonus,
                              today=today, lot_id=f"f{stamp:x}", ref=card.card_id)
        changes.append(CardChange(referrer, reward, "rule", key, key, "ref", notes=False))
    counts = with_money(points_by_day(today.isoformat(), *(change.outcome for change in changes)),
                        command.business_day, numbers.sale_counts(outcome.paid, member=True))
    events = trials.events(date.fromisoformat(command.business_day), outcome, revenue=outcome.paid, visit=1)
    ranks = location_rules.on_pass(program.locations, brandings.locations_on_pass(program.branding))
    return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, tuple(changes), counts=counts,
                trial_events=events, enrolments=trials.enrolments, location_id=command.location_id,
                ranks_locations=ranks)


def location_field(command: RecordReceipt) -> dict[str, str]:
    """The receipt answer's `location_id`, kept in the stored answer (a replay says the same): only when sold at one."""
    return {"location_id": command.location_id} if command.location_id is not None else {}


class Trials:
    """A card's experiments as one receipt or refund meets them (core/experiments.py): the events it adds to
    the trials it falls in, and, for the rules a trigger experiment holds out at the till (auto-issued offers,
    challenges), which rules this card's receipt runs and whether it exposes the card (its first receipt
    those rules act on: the card joins then, in its group, and a control card's receipt runs without them)."""

    def __init__(self, program: Program, card: LedgerCard, today: date, sold_on: date | None = None) -> None:
        self.card, self.today, self.sold_on = card, today, sold_on or today
        self.designs = trial_rules.running(program.experiments)
        self.before = trial_rules.kept(card.trials, today, self.designs)
        self.joined: list[trial_rules.Trial] = []
        self.enrolments: tuple[Enrolment, ...] = ()

    def decide(self, mechanics: mech.Mechanics, decide: Any) -> Outcome:
        """The receipt's outcome under the rules this card gets (`decide(mechanics) -> Outcome`)."""
        pending = {}
        off = set()
        for subject in trial_rules.RECEIPT_SUBJECTS:
            design = self.designs.get(subject)
            if design is None:
                continue
            known = trial_rules.is_in(self.before, design.experiment_id)
            group = known.variant if known is not None else trial_rules.assign(design, self.card.card_id)
            if group == trial_rules.CONTROL:
                off.add(subject)
            if known is None:
                pending[subject] = (design, group)
        def run(held: set[str]) -> Outcome:
            ran: Outcome = decide(trial_rules.without(mechanics, held))
            return replace(ran, state=trial_rules.hold(ran.state, self.card.state, held, mechanics)) if held else ran

        outcome = run(off)
        for subject, (design, group) in pending.items():
            other = run(off - {subject} if subject in off else off | {subject})
            if _acts(subject, outcome, other):
                self.joined.append(trial_rules.trial(design, group, self.sold_on))
        self.enrolments = tuple(Enrolment(item.experiment_id, self.card.card_id, self.card.program_id, self.card.number,
                                          item.variant, item.exposed_on, outcome.state.home) for item in self.joined)
        return outcome

    def after(self) -> tuple[trial_rules.Trial, ...] | None:
        """The card's trials to write (None: unchanged)."""
        trials = self.before
        keep = frozenset(design.experiment_id for design in self.designs.values())
        for item in self.joined:
            trials = trial_rules.joined(trials, item, keep)
        return None if trials == self.card.trials else trials

    def events(self, day: date, outcome: Outcome, *, revenue: int, visit: int,
               sold_on: date | None = None) -> tuple[TrialEvent, ...]:
        """This sale (or refund, on `day`, of a sale `sold_on`) in each trial it falls in: not those it
        just joined (it exposed the card), nor a refund's of a sale made before the card's exposure. Its
        points are those it gave (earned and bonuses; a refund: those it took back); a challenge's reward
        is also the challenges experiment's cost for the card (its `bonus`)."""
        points = sum(entry.amount for entry in outcome.entries if entry.kind not in ("redeem", "refund_return"))
        rewards = sum(entry.amount for entry in outcome.entries
                      if entry.kind == "bonus" and entry.source == "challenge")
        challenges = self.designs.get("challenges")
        sold = (sold_on or day).isoformat()
        trials = tuple(item for item in self.before if item.exposed_on <= sold)
        return tuple(TrialEvent(experiment_id, self.card.card_id, event,
                                rewards if challenges is not None and experiment_id == challenges.experiment_id else 0)
                     for experiment_id, event in trial_rules.events_of(trials, day, revenue=revenue, points=points,
                                                                       visit=visit))


def _acts(subject: str, outcome: Outcome, other: Outcome) -> bool:
    """Whether the rules of `subject` made a difference to this receipt (one of the outcomes ran them)."""
    if subject == "challenges":
        return outcome.state.challenges != other.state.challenges
    return outcome.state.offers != other.state.offers


def local_time(program: Program, now: datetime) -> str:
    """"HH:MM" in the program's time zone (offers valid at some hours read it)."""
    return now.astimezone(clock.zone(program.timezone)).strftime("%H:%M")


def survey_messages(program: Program, card: LedgerCard, outcome: Outcome, now: datetime) -> tuple[QueuedMessage, ...]:
    """The survey a receipt asks (core/surveys.py decided whether), queued with it: due `delay_minutes`
    after the sale, past the quiet hours, its link (unsigned here: signed when sent, usecases/survey_links.py)
    open for VALID_DAYS after that. Part "surveys" (issue 16)."""
    if not outcome.survey:  # most receipts: no second reading of the mechanics
        return ()
    settings = mech.from_stored(program.mechanics).survey
    if settings is None:
        return ()
    asked = queued_message(program, "survey", {}, now + timedelta(minutes=settings.delay_minutes), service=False)
    last_day = today_of(program, asked.due) + timedelta(days=survey_links.VALID_DAYS)
    survey = survey_links.survey_id(card.card_id, outcome.state.receipts)
    url = survey_links.unsigned_url(card.card_id, settings.kind, survey, last_day)
    return (replace(asked, texts=survey_links.message(settings, program.name, url)),)


def first_referred_purchase(card: LedgerCard, mechanics: mech.Mechanics, outcome: Outcome | None = None) -> bool:
    """Whether this receipt is a referred card's first purchase (before deciding: whether it would be)."""
    receipts = outcome.state.receipts if outcome is not None else card.state.receipts + 1
    return bool(card.referred_by and mechanics.referrer_bonus and receipts == 1)


def decide_refund(command: RecordRefund, program: Program, receipt: OperationRecord, card: LedgerCard | None,
                  now: datetime) -> Plan:
    """`amount` more of `receipt` refunded: its points taken back and given back in proportion."""
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    fields: dict[str, Any] = {"total": command.amount, **business_day_fields(today)}
    if receipt.location_id is not None:  # a refund counts against the location of its sale
        fields["location_id"] = receipt.location_id
    if command.actor is not None:
        fields["actor"] = command.actor
    answer: dict[str, Any] = {"refund_id": command.refund_id, "receipt_id": command.receipt_id,
                              "points_reversed": 0, "points_returned": 0, "balance": None}
    if card is None:
        ledger.refund_points(receipt.totals(), command.amount)  # the amount checks, no points
        record = NewRecord(command.record_key, "refund", command.request_hash, answer, receipt.card_id, fields)
        refunded = RefundedReceipt(receipt, receipt.refunded_amount + command.amount, receipt.points_reversed,
                                   receipt.points_returned)
        counts = with_money(points_by_day(today.isoformat()), today.isoformat(),
                            numbers.refund_counts(max(0, command.amount), member=False))
        return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, refunded=refunded,
                    counts=counts, location_id=receipt.location_id)
    outcome = ledger.refund(card.state, mechanics, receipt.totals(), amount=command.amount, today=today,
                            lot_id=f"x{micros(now):x}", receipt_ref=command.receipt_id)
    answer.update(points_reversed=-outcome.earned, points_returned=-outcome.redeemed, balance=outcome.state.balance)
    record = NewRecord(command.record_key, "refund", command.request_hash, owed_fields(answer, outcome),
                       receipt.card_id, fields)
    trials = Trials(program, card, today)
    change = CardChange(card, outcome, "refund", command.refund_id, command.record_key, entry_tag(command.record_key),
                        trials=trials.after())
    refunded = RefundedReceipt(receipt, receipt.refunded_amount + command.amount,
                               receipt.points_reversed - outcome.earned,  # owed ones included
                               receipt.points_returned - outcome.redeemed)
    money = numbers.refund_counts(max(0, outcome.paid), member=True)  # the money given back, points' worth not
    counts = with_money(points_by_day(today.isoformat(), outcome), today.isoformat(), money)
    events = trials.events(today, outcome, revenue=-max(0, outcome.paid), visit=0,
                           sold_on=date.fromisoformat(receipt.business_day) if receipt.business_day else None)
    return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, (change,), refunded, counts,
                trial_events=events, location_id=receipt.location_id)


def decide_adjustment(command: AdjustBalance, program: Program, card: LedgerCard, now: datetime) -> Plan:
    if card.status == "erased":  # its member was erased (usecases/erasure.py): nothing more is written to it
        raise Conflict("This member was erased; the card cannot be changed.", code="card_erased", field="card")
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    outcome = ledger.adjust(card.state, mechanics, amount=command.amount, today=today, lot_id=f"a{micros(now):x}",
                            ref=command.idempotency_key)
    answer = {"card_id": card.card_id, "amount": command.amount, "reason": command.reason,
              "idempotency_key": command.idempotency_key, "balance": outcome.state.balance, "actor": command.actor}
    if outcome.settled:  # points a refund took back that were already spent, settled from this credit
        answer["settled"] = outcome.settled
    record = NewRecord(command.record_key, "adjustment", command.request_hash, answer, card.card_id,
                       business_day_fields(today))
    change = CardChange(card, outcome, "admin", command.idempotency_key, command.record_key,
                        entry_tag(command.record_key), actor=command.actor, reason=command.reason)
    return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, (change,),
                counts=points_by_day(today.isoformat(), outcome))


# --- offers held on the card (core/offers.py) ----------------------------------------------------------

def decide_issue_offer(command: IssueOffer, program: Program, card: LedgerCard, now: datetime) -> Plan:
    """An offer issued to a card (by an admin or a campaign): the card's offers change, no ledger entry;
    the pass shows it and, unless a campaign sends its own text, the holder is told."""
    if card.status != "active" and command.strict:
        raise RuleViolation("This card is blocked.", code="card_blocked", field="card")
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    held_id = f"o{micros(now):x}"
    held = card.state.offers
    if card.status == "active":  # a campaign's card blocked since its audience was read gets nothing
        held = offer_rules.issue(held, mechanics, command.offer, today, held_id, strict=command.strict)
    before = {item.held_id for item in card.state.offers}  # the new one's id may carry a suffix (offers.issue)
    issued = next((item for item in held if item.held_id not in before), None)  # None: a campaign's full card
    state = replace(card.state, offers=held)
    answer = offer_rules.view(issued, mechanics, None, today) if issued is not None else {"id": None}
    messages = offer_messages(program, card.state, state, now) if command.notify else ()
    record = NewRecord(command.record_key, "offer", command.request_hash, answer, card.card_id,
                       business_day_fields(today))
    change = CardChange(card, Outcome(state, ()), command.cause_type, command.idempotency_key, command.record_key,
                        entry_tag(command.record_key), actor=command.actor, messages=messages)
    return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, (change,))


def decide_withdraw_offer(command: WithdrawOffer, program: Program, card: LedgerCard, now: datetime) -> Plan:
    """A held offer taken off the card by an admin (NotFound offer_not_found when the card has none such)."""
    mechanics = mech.from_stored(program.mechanics)
    state = replace(card.state, offers=offer_rules.withdraw(card.state.offers, command.held_id))
    record = NewRecord(command.record_key, "offer_withdrawal", command.request_hash, {"id": command.held_id},
                       card.card_id, business_day_fields(today_of(program, now)))
    change = CardChange(card, Outcome(state, ()), "admin", command.held_id, command.record_key,
                        entry_tag(command.record_key), actor=command.actor)
    return Plan(program.program_id, program.merchant_id, mechanics.tiers[0].id, record, (change,))


def offer_messages(program: Program, before: CardState, after: CardState, now: datetime) -> tuple[QueuedMessage, ...]:
    """`offer_issued` for each offer the card did not hold before (issued by an admin, a completed
    challenge or a favourite product), marketing: quiet hours delay it and the weekly cap may skip it."""
    known = {item.held_id for item in before.offers}
    new = [item for item in after.offers if item.held_id not in known]
    if not new:  # most receipts: nothing more to read
        return ()
    mechanics = mech.from_stored(program.mechanics)
    today = today_of(program, now)
    return tuple(queued_message(program, "offer_issued", offer_issued_texts(mechanics, item, today), now,
                                service=False) for item in new)


def offer_issued_texts(mechanics: mech.Mechanics, held: HeldOffer, today: date) -> dict[str, str]:
    """The new offer's message in every language: its name, what it gives and until when."""
    texts = {}
    for lang in catalogue.LANGUAGES:
        shown = offer_rules.view(held, mechanics, lang, today)
        reward = shown["reward"] or {}
        if reward.get("type") == "points":
            worth = catalogue.text("offer_reward_points", lang,
                                   points=catalogue.count(reward["points"], "points", lang))
        elif reward.get("type") == "percent":
            worth = catalogue.text("offer_reward_percent", lang, percent=reward["percent"])
        else:
            worth = catalogue.text("offer_reward_free_item", lang, item=reward.get("item") or "")
        until = date.fromisoformat(held.expires_on) if held.expires_on else today
        texts[lang] = catalogue.text("offer_issued", lang, name=shown["name"], reward=worth,
                                     date=catalogue.day_text(until, lang, today))
    return texts
