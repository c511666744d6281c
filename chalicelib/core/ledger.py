"""The points rules for every balance change, as pure functions over a card's state.

Each operation (receipt, refund, bonus, adjustment, expiry) takes the card's state and returns the new
state plus the ledger entries that explain the difference, so that always
    balance == sum of lot remainders == sum of ledger amounts,
and the balance never goes below zero. Lots that have expired are burned first, by every operation,
so a card touched after its expiry day never shows points it no longer has.

Refunds commute. A refund takes back its receipt's earned points pro rata; if the customer has already
spent them, the balance stops at zero and the rest is the card's `owed` points, taken from the next
points the card receives (a refund's returned points, a purchase, a bonus, an adjustment) before they
count. So `balance - owed` moves by exactly what each operation gives or takes, whatever the order, and
refunding every receipt of a history, in any order, leaves the card as it was before those receipts
(the same balance, the same points reversed in the ledger).

Receipts price their lines first (core/products.py: product rules, what points may pay for); the
program's kind (core/kinds) then earns per line, exactly, rounded down once. A stamps program's stamps
are its points (a reward drains `per_reward` of them with a `redeem` entry, refunded like points); a
discount program earns nothing and takes its tier's percent off the payable money.

Days are program-local ISO dates; money is integer minor units; points are integers.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from chalicelib.core import challenges as challenge_rules
from chalicelib.core import lots as lot_rules
from chalicelib.core import offers as offer_rules
from chalicelib.core import products as product_rules
from chalicelib.core import stamps as stamp_rules
from chalicelib.core import surveys as survey_rules
from chalicelib.core.challenges import Progress
from chalicelib.core.kinds import ReceiptLine, kind_named
from chalicelib.core.kinds.base import Sale
from chalicelib.core.kinds.earning import money_paid
from chalicelib.core.lots import Lot
from chalicelib.core.mechanics import Mechanics
from chalicelib.core.offers import HeldOffer
from chalicelib.core.percent import WHOLE, percent
from chalicelib.core.products import Pricing
from chalicelib.errors import RuleViolation

SPEND_KEEP_DAYS = 3660  # the longest tier window we accept; older spend is dropped


@dataclass(frozen=True)
class CardState:
    balance: int
    lots: tuple[Lot, ...]
    tier: str
    spend: dict[str, int] = field(default_factory=dict)  # program-local day -> net spend that day (minor units)
    visits: dict[str, int] = field(default_factory=dict)  # program-local day -> receipts that day (analytics)
    receipts: int = 0  # receipts with this card, ever
    revenue: int = 0  # net money paid with this card, ever
    first_purchase_on: str | None = None
    last_purchase_on: str | None = None
    owed: int = 0  # refunded points the customer had already spent; settled from the next points received
    offers: tuple[HeldOffer, ...] = ()  # offers issued to the card (core/offers.py), used ones until dropped
    challenges: tuple[Progress, ...] = ()  # progress in the program's challenges (core/challenges.py)
    products: dict[str, int] = field(default_factory=dict)  # units bought by SKU, for favourite-product offers
    surveyed_on: str | None = None  # the last day a survey was asked of this card (core/surveys.py)
    survey_receipt: int | None = None  # which of its receipts (`receipts` after it) asked that survey
    home: str | None = None  # its home location: where it joined, else where it first bought (core/locations.py)
    places: dict[str, int] = field(default_factory=dict)  # location id -> receipts there, ever


@dataclass(frozen=True)
class Entry:
    kind: str  # earn, redeem, bonus, refund_reverse, refund_return, adjust, expire
    amount: int  # signed points
    balance_after: int
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Outcome:
    state: CardState
    entries: tuple[Entry, ...]
    earned: int = 0
    redeemed: int = 0
    shortfall: int = 0  # points a refund took back that the customer had already spent: now owed
    settled: int = 0  # owed points taken from what this operation gave
    details: dict[str, Any] = field(default_factory=dict)  # more of the answer: lines, discount, offer, bonuses…
    survey: bool = False  # a receipt: ask this card a survey (core/surveys.py)
    paid: int = 0  # money that revenue counts: a receipt's money paid, a refund's money given back


class _Book:
    """Accumulates entries while an operation changes the state step by step."""

    def __init__(self, state: CardState) -> None:
        self.state = state
        self.entries: list[Entry] = []
        self.settled = 0

    def record(self, kind: str, amount: int, lots: Iterable[Lot], *, source: str | None = None,  # noqa: PLR0913 (an entry and the state it leaves)
               note: str | None = None, owed: int | None = None) -> None:
        lots = tuple(lots)
        balance = lot_rules.balance(lots)
        if balance < 0:
            raise AssertionError("a balance never goes below zero")
        self.state = replace(self.state, lots=lots, balance=balance,
                             owed=self.state.owed if owed is None else owed)
        if amount or owed is not None and note:  # a refund taking nothing still tells what it left owed
            self.entries.append(Entry(kind, amount, balance, source, note))

    def add_lot(self, kind: str, lot: Lot, note: str | None = None) -> None:
        """Points received: owed points are settled from them first (an entry of their own). `note`: why,
        when the kind and source do not say it (the challenge a bonus is for)."""
        self.record(kind, lot.points, [*self.state.lots, lot], source=lot.source, note=note)
        settle = min(self.state.owed, lot.points)
        if settle:
            lots = [replace(item, remaining=item.remaining - settle) if item.lot_id == lot.lot_id else item
                    for item in self.state.lots]
            owed = self.state.owed - settle
            self.record("refund_reverse", -settle, [item for item in lots if item.remaining > 0],
                        note=f"owed {owed + settle} settled" + (f", {owed} still owed" if owed else ""), owed=owed)
            self.settled += settle


def burn_expired(book: _Book, today: str) -> None:
    kept: list[Lot] = []
    burned = 0
    for lot in book.state.lots:
        if lot.expires_on is not None and lot.expires_on <= today:
            burned += lot.remaining
        else:
            kept.append(lot)
    if burned or len(kept) != len(book.state.lots):
        book.record("expire", -burned, kept)


def window_spend(state: CardState, mechanics: Mechanics, today: date) -> int:
    start = (today - timedelta(days=mechanics.tier_window_days - 1)).isoformat()
    return sum(amount for day, amount in state.spend.items() if day >= start)


def earned_tier(state: CardState, mechanics: Mechanics, today: date) -> str:
    spend = window_spend(state, mechanics, today)
    tier = mechanics.tiers[0]
    for candidate in mechanics.tiers:
        if spend >= candidate.threshold:
            tier = candidate
    return tier.id


def _rank(mechanics: Mechanics, tier_id: str) -> int:
    for index, tier in enumerate(mechanics.tiers):
        if tier.id == tier_id:
            return index
    return 0


def upgraded_tier(state: CardState, mechanics: Mechanics, today: date) -> str:
    """Upgrades happen at once; downgrades only on the program's schedule (see `scheduled_tier`)."""
    earned = earned_tier(state, mechanics, today)
    return earned if _rank(mechanics, earned) > _rank(mechanics, state.tier) else mechanics.tier(state.tier).id


def scheduled_tier(state: CardState, mechanics: Mechanics, today: date) -> str:
    """The tier a scheduled review gives: whatever the spend over the window earns, up or down."""
    if mechanics.tier_downgrade == "never":
        return upgraded_tier(state, mechanics, today)
    return earned_tier(state, mechanics, today)


# --- receipts ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Earning:
    """What a sale earns and how it is paid, decided before anything is written (a receipt, a quote)."""

    pricing: Pricing
    per_line: tuple[int, ...]  # points (stamps) each priced line earns; they add up to `earned`
    discount: int  # minor units off: the kind's own (a discount card) plus an offer's
    off: int  # minor units of the payable lines not paid in money: points' worth and the discount

    @property
    def earned(self) -> int:
        return sum(self.per_line)

    @property
    def paid(self) -> int:
        """The money paid: what spend, revenue and tiers count."""
        return sum(line.net for line in self.pricing.lines) - self.off

    @property
    def paid_payable(self) -> int:
        """The money paid for payable lines: what spend challenges count (cigarettes do not)."""
        return self.paid - sum(line.net for line in self.pricing.lines if not line.payable)


def earning(mechanics: Mechanics, tier_id: str, sale: Sale, *, redeem: int = 0, offer_off: Sequence[int] = (),
            pricing: Pricing | None = None) -> Earning:
    """The sale priced by the product rules, the kind's discount, and the points (stamps) the money paid
    earns at the tier's rate (the tier held when buying). An offer's discount comes off the lines it
    covers (`offer_off`, per priced line); points and a discount card pay the payable rest pro rata."""
    tier = mechanics.tier(tier_id)
    kind = kind_named(mechanics.kind)
    pricing = pricing or product_rules.price(mechanics, tier, sale)
    offered = min(sum(offer_off), pricing.payable)
    own = kind.discount(mechanics, tier, pricing)
    points_money = redeem * mechanics.point_value if kind.spends_points else 0
    off = min(pricing.payable, offered + points_money + own)
    discount = min(own + offered, pricing.payable)
    paid = money_paid(pricing, points_money + own, offer_off)
    return Earning(pricing, kind.earn(mechanics, tier, pricing, paid), discount, off)


def max_redeem(mechanics: Mechanics, state: CardState, total: int, today: str, payable: int | None = None) -> int:
    """The most points this receipt may be paid with: never above what is spendable now, the program's
    cap (a share of the payable money: `payable`, the total when no line is excluded), or the receipt
    itself. Stamps and discount programs are not paid with points: 0."""
    if not kind_named(mechanics.kind).spends_points:
        return 0
    spendable = lot_rules.available([lot for lot in state.lots if not _expired(lot, today)], today)
    cap = (total if payable is None else payable) * mechanics.redeem_cap_bp // WHOLE // mechanics.point_value
    allowed = min(spendable, cap)
    return allowed if allowed >= mechanics.min_redeem_points else 0


def rewards_available(mechanics: Mechanics, state: CardState, today: str) -> int:
    """Full stamp cards the card may redeem now (spendable stamps; pending ones wait their days)."""
    if mechanics.stamps is None:
        return 0
    spendable = lot_rules.available([lot for lot in state.lots if not _expired(lot, today)], today)
    return stamp_rules.rewards_available(mechanics.stamps, spendable)


def earn_for(mechanics: Mechanics, tier_id: str, total: int, redeemed: int,  # noqa: PLR0913 (a quote's figures)
             lines: Sequence[ReceiptLine] = (), *, today: date) -> int:
    """Points (stamps) a receipt of `total` with `redeemed` points would earn (a quote)."""
    sale = Sale(total=total, lines=tuple(lines), today=today, sold_on=today.isoformat(), receipt_ref="")
    return earning(mechanics, tier_id, sale, redeem=redeemed).earned


def _expired(lot: Lot, today: str) -> bool:
    return lot.expires_on is not None and lot.expires_on <= today


def receipt(state: CardState, mechanics: Mechanics, *, total: int, redeem: int, today: date,  # noqa: PLR0913 (the state, the rules, and the operation's own keyword arguments)
            lot_id: str, receipt_ref: str, business_day: str | None = None,
            lines: Sequence[ReceiptLine] = (), rewards: int = 0, offer_id: str | None = None,
            local_time: str | None = None, location_id: str | None = None) -> Outcome:
    """`location_id`: the location it was sold at (None: unknown), counted in `places` and made the card's
    home if it has none. `business_day`: the day the sale happened at the till (the POS's created_at), which the spend
    and visit history are kept by; points are earned today. `lines`: the receipt's lines, priced by
    the product rules (core/products.py). `rewards`: a stamp card's full cards redeemed; `offer_id`: a
    held offer redeemed (core/offers.py); `local_time`: "HH:MM" program-local, for offers' hours."""
    day = today.isoformat()
    sold_on = business_day or day
    sale = Sale(total=total, lines=tuple(lines), today=today, sold_on=sold_on, receipt_ref=receipt_ref,
                local_time=local_time)
    pricing = product_rules.price(mechanics, mechanics.tier(state.tier), sale)
    taken = offer_rules.take(state.offers, mechanics, sale, pricing, offer_id)
    _check_redeem(mechanics, state, pricing, redeem, day, discount=taken.discount)
    drained = _check_rewards(mechanics, state, rewards, day)
    book = _Book(state)
    burn_expired(book, day)
    if redeem:
        remaining, _ = lot_rules.drain(book.state.lots, redeem, day)
        book.record("redeem", -redeem, remaining)
    if drained:
        remaining, _ = lot_rules.drain(book.state.lots, drained, day)
        book.record("redeem", -drained, remaining, note="reward")
    # The rate is the tier held when buying; a tier this receipt earns applies from the next one.
    sold = earning(mechanics, book.state.tier, sale, redeem=redeem, offer_off=taken.per_line, pricing=pricing)
    earned = sold.earned
    if earned:
        book.add_lot("earn", lot_rules.accrue(mechanics, lot_id=lot_id, source="purchase", points=earned,
                                              today=today, ref=receipt_ref, pending=True))
    if taken.points:
        book.add_lot("bonus", lot_rules.accrue(mechanics, lot_id=f"{lot_id}o", source="offer", points=taken.points,
                                               today=today, ref=receipt_ref))
    paid = sold.paid
    step = _challenges(book.state.challenges, mechanics, sale, sold)
    held, bonuses = _rewards(book, mechanics, step, taken.offers, today=today, lot_id=lot_id)
    counts = book.state.products
    if any(offer.auto for offer in mechanics.offers):  # units by SKU are kept only for favourite-product offers
        counts = offer_rules.tally(counts, lines)
        held, counts = offer_rules.auto_issue(held, mechanics, counts, today, lot_id)
    asked = survey_rules.due(book.state.surveyed_on, mechanics, sale)
    spend, visits = _prune(dict(book.state.spend), day), _prune(dict(book.state.visits), day)
    spend[sold_on] = spend.get(sold_on, 0) + paid
    visits[sold_on] = visits.get(sold_on, 0) + 1
    first = min(known for known in (book.state.first_purchase_on, sold_on) if known)
    last = max(known for known in (book.state.last_purchase_on, sold_on) if known)
    places, home = dict(book.state.places), book.state.home
    if location_id is not None:
        places[location_id] = places.get(location_id, 0) + 1
        home = home or location_id
    after = replace(book.state, spend=spend, visits=visits, receipts=book.state.receipts + 1, places=places, home=home,
                    revenue=book.state.revenue + paid, first_purchase_on=first, last_purchase_on=last,
                    offers=held, challenges=step.progress, products=counts,
                    surveyed_on=day if asked else book.state.surveyed_on,
                    survey_receipt=book.state.receipts + 1 if asked else book.state.survey_receipt)
    after = replace(after, tier=upgraded_tier(after, mechanics, today))
    details: dict[str, Any] = {"offer": taken.detail, "discount": sold.discount, "bonuses": bonuses}
    details = {key: value for key, value in details.items() if value}
    details.update(sale_fields(mechanics, state.tier, sold))
    if mechanics.kind == "stamps":
        details.update(stamps_fields(mechanics, after, day), rewards_redeemed=rewards)
    return Outcome(after, tuple(book.entries), earned=earned + taken.points, redeemed=redeem or drained,
                   settled=book.settled, details=details, survey=asked, paid=paid)


def sale_fields(mechanics: Mechanics, tier_id: str, sold: Earning) -> dict[str, Any]:
    """The answers' fields of a priced sale (a receipt's and a quote's): the lines when the POS sent
    them, the payable money when a line is excluded, a discount program's discount and money paid."""
    fields: dict[str, Any] = {}
    if sold.pricing.listed:
        fields["lines"] = product_rules.lines_answer(sold.pricing, sold.per_line)
        fields["payable"] = sold.pricing.payable
    if mechanics.kind == "discount":
        fields.update(discount=sold.discount, discount_percent=percent(mechanics.tier(tier_id).discount_bp),
                      paid=sold.paid)
    return fields


def stamps_fields(mechanics: Mechanics, state: CardState, day: str) -> dict[str, Any]:
    """A stamp card's figures: stamps held, a full card's size, full cards that may be redeemed now."""
    per_reward = mechanics.stamps.per_reward if mechanics.stamps else 0
    return {"stamps": state.balance, "per_reward": per_reward,
            "rewards_available": rewards_available(mechanics, state, day)}


def _check_redeem(mechanics: Mechanics, state: CardState, pricing: Pricing, redeem: int, day: str, *,  # noqa: PLR0913 (the state, the rules, the sale)
                  discount: int = 0) -> None:
    """Points asked to pay for a receipt: at least the program's minimum, at most what `max_redeem` allows
    (a share of the payable lines only, after the offer's `discount`: points never pay what is not charged)."""
    if not redeem:
        return
    total = sum(line.net for line in pricing.lines)
    check_redeem_amount(mechanics, redeem, max_redeem(mechanics, state, total, day, max(0, pricing.payable - discount)))


def check_redeem_amount(mechanics: Mechanics, redeem: int, allowed: int) -> None:
    """`redeem` points asked to pay where at most `allowed` may (`max_redeem`: a receipt's, a quote's): 422
    naming "redeem" when the program's points pay for nothing, below its minimum, or above `allowed`."""
    if not redeem:
        return
    if not kind_named(mechanics.kind).spends_points:
        raise RuleViolation("Points do not pay for receipts in this program.", code="redeem_not_allowed",
                            field="redeem")
    if mechanics.min_redeem_points and redeem < mechanics.min_redeem_points:
        raise RuleViolation(f"At least {mechanics.min_redeem_points} points must be redeemed at once.",
                            code="redeem_below_minimum", field="redeem")
    if redeem > allowed:
        raise RuleViolation(f"At most {allowed} points can pay for this receipt.", code="redeem_not_allowed",
                            field="redeem")


def _check_rewards(mechanics: Mechanics, state: CardState, rewards: int, day: str) -> int:
    """The stamps `rewards` full cards take, or a refusal: only a stamps program has rewards, and only as
    many as the card holds full (spendable) cards."""
    if not rewards:
        return 0
    if mechanics.kind != "stamps" or mechanics.stamps is None:
        raise RuleViolation("Only a stamp card has rewards to redeem.", code="rewards_not_allowed", field="rewards")
    held = rewards_available(mechanics, state, day)
    if rewards > held:
        waiting = max(0, lot_rules.balance(lot for lot in state.lots if not _expired(lot, day))
                      - lot_rules.available([lot for lot in state.lots if not _expired(lot, day)], day))
        later = f"; {waiting} of its stamps can be used after their waiting days" if waiting else ""
        raise RuleViolation(f"The card holds {held} full stamp cards{later}.", code="rewards_not_available",
                            field="rewards")
    return rewards * mechanics.stamps.per_reward


def _rewards(book: _Book, mechanics: Mechanics, step: challenge_rules.Step, held: tuple[HeldOffer, ...], *,  # noqa: PLR0913 (the book, the rules, what the receipt decided)
             today: date, lot_id: str) -> tuple[tuple[HeldOffer, ...], list[dict[str, Any]]]:
    """Completed challenges' rewards and the first purchase's bonus, added to the book: the card's offers
    after them and what the answer's `bonuses` lists."""
    bonuses: list[dict[str, Any]] = []
    for index, reward in enumerate(step.rewards):
        if reward.points:
            book.add_lot("bonus", lot_rules.accrue(mechanics, lot_id=f"{lot_id}c{index}", source="challenge",
                                                   points=reward.points, today=today, ref=reward.challenge),
                         note=f"challenge {reward.challenge}" + (" streak" if reward.streak else ""))
            bonuses.append({"source": "challenge", "id": reward.challenge, "points": reward.points,
                            **({"streak": True} if reward.streak else {})})
        if reward.offer:
            issued = offer_rules.issue(held, mechanics, reward.offer, today, f"{lot_id}c{index}")
            if issued != held:  # a card holding the most live offers is passed over
                bonuses.append({"source": "challenge", "id": reward.challenge, "offer": reward.offer})
            held = issued
    if not book.state.receipts and mechanics.actions.first_purchase:
        book.add_lot("bonus", lot_rules.accrue(mechanics, lot_id=f"{lot_id}f", source="action",
                                               points=mechanics.actions.first_purchase, today=today,
                                               ref="first_purchase"), note="first purchase")
        bonuses.append({"source": "action", "id": "first_purchase", "points": mechanics.actions.first_purchase})
    return held, bonuses


def _challenges(progress: tuple[Progress, ...], mechanics: Mechanics, sale: Sale,
                sold: Earning) -> challenge_rules.Step:
    """The sale's step in the card's challenges: spend counts the money paid for payable lines, and a
    receipt of excluded lines only (cigarettes) is no visit and no spend."""
    if sold.pricing.listed and not any(line.payable for line in sold.pricing.lines):
        return challenge_rules.Step(progress)
    return challenge_rules.advance(progress, mechanics, sale, sold.pricing, max(0, sold.paid_payable))


def _prune(by_day: dict[str, int], day: str) -> dict[str, int]:
    oldest = (date.fromisoformat(day) - timedelta(days=SPEND_KEEP_DAYS)).isoformat()
    return {d: amount for d, amount in by_day.items() if d >= oldest}


# --- refunds -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiptTotals:
    """What a receipt gave and what its refunds have undone so far."""

    total: int
    earned: int
    redeemed: int
    refunded: int = 0
    reversed: int = 0
    returned: int = 0
    business_day: str | None = None
    offer_id: str | None = None  # the held offer the receipt redeemed (given back by a full refund)
    paid: int | None = None  # the money paid for it (None: a receipt written before it was kept)


def refund_money(totals: ReceiptTotals, amount: int, points_worth: int, returned_worth: int) -> int:
    """The money `amount` more of the receipt gives back: the amount less the worth of the points given
    back (`returned_worth`; the receipt's were `points_worth`) and less its share of the discount (an
    offer's, a discount card's: what was neither paid nor points), counted on the running total so partial
    refunds add up exactly to the money paid. Without a discount (or a receipt kept before `paid` was):
    the amount less the returned points' worth, as always."""
    spent = amount - returned_worth
    if totals.paid is None or not totals.total:
        return spent
    discount = max(0, totals.total - totals.paid - points_worth)
    refunded = totals.refunded + amount
    return spent - (discount * refunded // totals.total - discount * totals.refunded // totals.total)


def refund_points(totals: ReceiptTotals, amount: int) -> tuple[int, int]:
    """(points to take back, points to give back) for refunding `amount` more of the receipt.
    Computed on the running total, so partial refunds add up exactly to a full one."""
    if amount <= 0:
        raise RuleViolation("A refund amount must be positive.", code="invalid_amount", field="amount")
    if totals.refunded + amount > totals.total:
        raise RuleViolation(f"Only {totals.total - totals.refunded} of this receipt is left to refund.",
                            code="refund_exceeds_receipt", field="amount")
    refunded = totals.refunded + amount
    reverse = totals.earned * refunded // totals.total - totals.reversed if totals.total else 0
    give_back = totals.redeemed * refunded // totals.total - totals.returned if totals.total else 0
    if refunded == totals.total:  # the last refund settles any rounding
        reverse, give_back = totals.earned - totals.reversed, totals.redeemed - totals.returned
    return reverse, give_back


def refund(state: CardState, mechanics: Mechanics, totals: ReceiptTotals, *, amount: int, today: date,  # noqa: PLR0913 (the state, the rules, and the operation's own keyword arguments)
           lot_id: str, receipt_ref: str) -> Outcome:
    """Take back earned points (this receipt's own lot first) and give back redeemed points, in
    proportion to the refunded amount. What was already spent cannot be taken now: that is the
    shortfall, owed by the card and settled from the next points it receives (this refund's returned
    points first). `earned` is minus the points this refund takes back, owed ones included."""
    day = today.isoformat()
    reverse, give_back = refund_points(totals, amount)
    book = _Book(state)
    burn_expired(book, day)
    taken = 0
    if reverse:
        lots = list(book.state.lots)
        own = [lot for lot in lots if lot.ref == receipt_ref and lot.source == "purchase"]
        rest = [lot for lot in lot_rules.spend_order(lots) if lot not in own]
        left = reverse
        drained: dict[str, int] = {}
        for lot in own + rest:  # own lot first, then soonest-expiring (pending ones too)
            if left == 0:
                break
            take = min(lot.remaining, left)
            if take:
                drained[lot.lot_id] = lot.remaining - take
                left -= take
        taken = reverse - left
        new_lots = [replace(lot, remaining=drained.get(lot.lot_id, lot.remaining)) for lot in lots]
        book.record("refund_reverse", -taken, [lot for lot in new_lots if lot.remaining > 0],
                    note=f"shortfall {left}" if left else None, owed=book.state.owed + left)
    if give_back:
        book.add_lot("refund_return", lot_rules.accrue(mechanics, lot_id=lot_id, source="return", points=give_back,
                                                       today=today, ref=receipt_ref))
    # Returned points are money the customer had paid with; returned stamps (a reward) are not.
    worth = mechanics.point_value if kind_named(mechanics.kind).spends_points else 0  # stamps are no money
    refunded_money = refund_money(totals, amount, totals.redeemed * worth, give_back * worth)
    spend = dict(book.state.spend)
    if totals.business_day and totals.business_day in spend:
        spend[totals.business_day] = spend[totals.business_day] - min(refunded_money, spend[totals.business_day])
    held = book.state.offers
    if totals.offer_id and totals.refunded + amount == totals.total:  # the whole receipt: its offer is back
        held = offer_rules.give_back(held, totals.offer_id, receipt_ref)
    after = replace(book.state, spend=spend, revenue=max(0, book.state.revenue - max(0, refunded_money)),
                    offers=held)
    return Outcome(after, tuple(book.entries), earned=-reverse, redeemed=-give_back, shortfall=reverse - taken,
                   settled=book.settled, paid=refunded_money)


# --- bonuses and adjustments ---------------------------------------------------------------------

def bonus(state: CardState, mechanics: Mechanics, *, source: str, points: int, today: date, lot_id: str,  # noqa: PLR0913 (the state, the rules, and the operation's own keyword arguments)
          ref: str | None = None) -> Outcome:
    if points <= 0:
        raise RuleViolation("A bonus must be a positive number of points.", code="invalid_amount", field="amount")
    book = _Book(state)
    burn_expired(book, today.isoformat())
    book.add_lot("bonus", lot_rules.accrue(mechanics, lot_id=lot_id, source=source, points=points, today=today,
                                           ref=ref))
    return Outcome(book.state, tuple(book.entries), earned=points, settled=book.settled)


def adjust(state: CardState, mechanics: Mechanics, *, amount: int, today: date, lot_id: str,  # noqa: PLR0913 (the state, the rules, and the operation's own keyword arguments)
           ref: str | None = None) -> Outcome:
    """A manual correction: a positive amount is a new lot; a negative one drains lots soonest-expiring
    first (pending ones included) and may not take the balance below zero."""
    if amount == 0:
        raise RuleViolation("An adjustment must change the balance.", code="invalid_amount", field="amount")
    day = today.isoformat()
    book = _Book(state)
    burn_expired(book, day)
    if amount > 0:
        book.add_lot("adjust", lot_rules.accrue(mechanics, lot_id=lot_id, source="adjustment", points=amount,
                                                today=today, ref=ref))
    else:
        if -amount > book.state.balance:
            raise RuleViolation(f"The card holds only {book.state.balance} points.", code="insufficient_balance",
                                field="amount")
        left = -amount
        remaining: list[Lot] = []
        for lot in lot_rules.spend_order(book.state.lots):
            take = min(lot.remaining, left)
            left -= take
            if lot.remaining - take:
                remaining.append(replace(lot, remaining=lot.remaining - take))
        book.record("adjust", amount, remaining)
    return Outcome(book.state, tuple(book.entries), earned=amount, settled=book.settled)


def expire(state: CardState, today: date) -> Outcome:
    book = _Book(state)
    burn_expired(book, today.isoformat())
    return Outcome(book.state, tuple(book.entries))
