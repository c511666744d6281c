"""Challenges: "visit 3 times in 14 days: +300", spend goals, a product bought N times, streaks.

Defined in `mechanics.challenges`; each card's progress is kept on its item (`Progress`) and moved
by its receipts; a completion gives its reward once, through the ledger (a bonus lot) or as an offer.
Pure.

How a card's run at one challenge moves (`advance`):
- a window opens at the first sale that counts towards the goal and lasts `window_days` (that day
  included); a window that ends unfinished is forgotten, and the next counted sale opens another;
- a window that reaches the target gives the reward once and closes; with `repeat` the next counted
  sale opens a new one, without it the challenge is done for the card;
- the streak is the number of windows completed back to back: a window opened within `window_days`
  after the previous completion continues it, a later one (or a window that ends unfinished) breaks
  it; every `streak_bonus.every` windows in a row give the bonus's points too.
Days are the sale's program-local day at the till (`Sale.sold_on`), so receipts sent late count on
the day they happened, but never before the open window or the last completion (windows never overlap).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core import program_texts
from chalicelib.core import validation as v
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import InvalidInput

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics
    from chalicelib.core.products import PricedLine, Pricing

GOALS = ("visits", "spend", "product")
MAX_CHALLENGES = 20
MAX_POINTS = 10_000_000  # as every other bonus in the mechanics
MAX_TARGET = 10**12  # a spend goal is money in minor units
MAX_MATCHES = 50  # SKUs or categories a product goal lists
_ID = r"[a-z0-9_-]+"


@dataclass(frozen=True)
class Goal:
    type: str  # visits (a receipt; one a day), spend (money paid, minor units), product (units bought)
    target: int
    skus: tuple[str, ...] = ()  # a product goal: the lines that count (by SKU or by category)
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class StreakBonus:
    every: int  # windows completed back to back
    points: int


@dataclass(frozen=True)
class Challenge:
    id: str
    name: str = ""  # in the program's first language; `names` has every language written
    goal: Goal = Goal("visits", 1)
    window_days: int = 14
    points: int = 0  # the reward: points (a bonus lot, source `challenge`) …
    offer: str | None = None  # … or an offer (an OfferDef id) issued to the card
    repeat: bool = True
    streak_bonus: StreakBonus | None = None
    names: dict[str, str] = field(default_factory=dict, compare=False)

    def name_in(self, lang: str | None) -> str:
        return program_texts.pick(self.names, lang) or self.name


@dataclass(frozen=True)
class Progress:
    """A card's progress in one challenge. `data` is what the card item keeps (see `_Run`)."""

    challenge: str
    data: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"challenge": self.challenge, **self.data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress:
        rest = {key: value for key, value in data.items() if key != "challenge"}
        return cls(data["challenge"], rest)


@dataclass(frozen=True)
class Reward:
    """What a completed challenge gives: points (a bonus lot, source `challenge`) or an offer.
    `streak`: the streak bonus of a completion, not the completion's own reward."""

    challenge: str
    points: int = 0
    offer: str | None = None  # an OfferDef id to issue
    streak: bool = False


@dataclass(frozen=True)
class Step:
    progress: tuple[Progress, ...]
    rewards: tuple[Reward, ...] = ()


# --- definitions -------------------------------------------------------------------------------------

_FIELDS = {"id", "name", "goal", "window_days", "reward", "repeat", "streak_bonus"}


def parse(raw: object, prefix: str) -> tuple[Challenge, ...]:
    """`mechanics.challenges` from admin JSON, naming the wrong field. Whether a reward's offer exists is
    `check_offers`'s question (the offers are parsed next to this)."""
    return v.read_definitions(raw, prefix, most=MAX_CHALLENGES, noun="challenge", parse_one=_challenge)


def _challenge(raw: object, p: str) -> Challenge:
    item = v.require_object(raw, p)
    v.reject_unknown(item, _FIELDS, p)
    challenge_id = v.read_str(item, "id", prefix=p, required=True, max_len=32, pattern=_ID)
    name = program_texts.read(item, "name", prefix=p, required=True, max_len=80)
    goal = _goal(item.get("goal"), f"{p}.goal")
    reward = v.read_object(item, "reward", prefix=p)
    if reward is None:
        raise InvalidInput(f"'{p}.reward' is required.", code="required", field=f"{p}.reward")
    v.reject_unknown(reward, {"points", "offer"}, f"{p}.reward")
    points = v.read_int(reward, "points", prefix=f"{p}.reward", minimum=1, maximum=MAX_POINTS)
    offer = v.read_str(reward, "offer", prefix=f"{p}.reward", max_len=32, pattern=_ID)
    if (points is None) == (offer is None):
        raise InvalidInput("A challenge's reward is either points or an offer.", code="invalid_value",
                           field=f"{p}.reward")
    streak = v.read_object(item, "streak_bonus", prefix=p)
    bonus = None
    if streak is not None:
        v.reject_unknown(streak, {"every", "points"}, f"{p}.streak_bonus")
        bonus = StreakBonus(v.read_int(streak, "every", prefix=f"{p}.streak_bonus", required=True, minimum=2,
                                       maximum=100),
                            v.read_int(streak, "points", prefix=f"{p}.streak_bonus", required=True, minimum=1,
                                       maximum=MAX_POINTS))
    return Challenge(id=challenge_id, name=program_texts.pick(name, None) or "",
                     names=dict(name) if isinstance(name, dict) else {}, goal=goal,
                     window_days=v.read_int(item, "window_days", prefix=p, minimum=1, maximum=365, default=14),
                     points=points or 0, offer=offer, repeat=v.read_bool(item, "repeat", prefix=p, default=True),
                     streak_bonus=bonus)


def _goal(raw: object, p: str) -> Goal:
    if raw is None:
        raise InvalidInput(f"'{p}' is required.", code="required", field=p)
    goal = v.require_object(raw, p)
    v.reject_unknown(goal, {"type", "target", "skus", "categories"}, p)
    kind = v.read_str(goal, "type", prefix=p, required=True, choices=GOALS)
    target = v.read_int(goal, "target", prefix=p, required=True, minimum=1, maximum=MAX_TARGET)
    skus = _names(goal, "skus", p)
    categories = _names(goal, "categories", p)
    if kind == "product" and not skus and not categories:
        raise InvalidInput("A product goal names the products that count: 'skus' or 'categories'.",
                           code="required", field=f"{p}.skus")
    if kind != "product" and (skus or categories):
        raise InvalidInput("Only a product goal lists products.", code="invalid_value",
                           field=f"{p}.{'skus' if skus else 'categories'}")
    return Goal(kind, target, skus, categories)


def _names(data: v.Fields, name: str, p: str) -> tuple[str, ...]:
    values = v.read_list(data, name, prefix=p, max_items=MAX_MATCHES)
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip() or len(value) > 64:  # as long as a line's sku
            raise InvalidInput(f"'{p}.{name}[{index}]' must be a non-empty string of at most 64 characters.",
                               code="invalid_value", field=f"{p}.{name}[{index}]")
    return tuple(value.strip() for value in values)


def check_offers(challenges: tuple[Challenge, ...], offer_ids: set[str], prefix: str = "mechanics.challenges") -> None:
    """A challenge rewarding an offer names one the program defines (mechanics.parse calls this with
    its offers' ids)."""
    for index, challenge in enumerate(challenges):
        if challenge.offer is not None and challenge.offer not in offer_ids:
            raise InvalidInput(f"No offer '{challenge.offer}' in 'mechanics.offers'.", code="invalid_value",
                               field=f"{prefix}[{index}].reward.offer")


def to_json(challenges: tuple[Challenge, ...]) -> list[dict[str, Any]]:
    return [_challenge_json(challenge) for challenge in challenges]


def _challenge_json(c: Challenge) -> dict[str, Any]:
    goal: dict[str, Any] = {"type": c.goal.type, "target": c.goal.target}
    if c.goal.type == "product":
        goal.update(skus=list(c.goal.skus), categories=list(c.goal.categories))
    return {"id": c.id, "name": dict(c.names) if c.names else c.name, "goal": goal, "window_days": c.window_days,
            "reward": {"offer": c.offer} if c.offer else {"points": c.points}, "repeat": c.repeat,
            "streak_bonus": ({"every": c.streak_bonus.every, "points": c.streak_bonus.points}
                             if c.streak_bonus else None)}


# --- a card's progress ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Run:
    """A card's run at one challenge, as `Progress.data` keeps it on the card item (days are ISO dates)."""

    start: str | None = None  # the open window's first day (None: no window open)
    count: int = 0  # visits, money or units counted in the open window
    last_visit: str | None = None  # the last day a visit was counted (one visit a day)
    completed: int = 0  # windows completed, ever
    streak: int = 0  # windows completed back to back, up to the last completion
    completed_on: str | None = None  # the day the last window was completed
    done: bool = False  # completed and not repeated: the card has finished this challenge

    @classmethod
    def of(cls, data: dict[str, Any]) -> _Run:
        return cls(start=data.get("start"), count=int(data.get("count", 0)), last_visit=data.get("last_visit"),
                   completed=int(data.get("completed", 0)), streak=int(data.get("streak", 0)),
                   completed_on=data.get("completed_on"), done=bool(data.get("done", False)))

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"start": self.start, "count": self.count, "completed": self.completed,
                                "streak": self.streak}
        for name, value in (("last_visit", self.last_visit), ("completed_on", self.completed_on)):
            if value is not None:
                data[name] = value
        if self.done:
            data["done"] = True
        return data


def _plus(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def window_end(challenge: Challenge, start: str) -> str:
    """The last day of a window opened on `start`."""
    return _plus(start, challenge.window_days - 1)


def _open_window(challenge: Challenge, run: _Run, day: str) -> _Run:
    """The run with a window open on `day`: the one already open, or a new one (an ended unfinished
    window breaks the streak; so does a new window opened too long after the last completion)."""
    if run.start is not None and day <= window_end(challenge, run.start):
        return run
    streak = run.streak
    if run.start is not None or not _continues_streak(challenge, run, day):
        streak = 0
    return replace(run, start=day, count=0, streak=streak)


def _continues_streak(challenge: Challenge, run: _Run, day: str) -> bool:
    return run.completed_on is not None and day <= _plus(run.completed_on, challenge.window_days)


def _units(lines: tuple[PricedLine, ...], goal: Goal) -> int:
    """Units of a product goal's products among priced lines: whole items, a weighed line as one."""
    units = 0
    for line in lines:
        matches = (line.sku is not None and line.sku in goal.skus) or (
            line.category is not None and line.category in goal.categories)
        if matches and not line.excluded and line.amount > 0:
            units += max(1, math.floor(line.qty))
    return units


def _counted(challenge: Challenge, run: _Run, day: str, pricing: Pricing, paid: int) -> int:
    goal = challenge.goal
    if goal.type == "visits":
        return 0 if run.last_visit == day else 1
    if goal.type == "spend":
        return max(0, paid)
    return _units(pricing.lines, goal)


def _advance_one(challenge: Challenge, run: _Run, sale: Sale, pricing: Pricing, paid: int) -> tuple[_Run, list[Reward]]:
    if run.done:
        return run, []
    # A receipt sent late (a till that was offline) counts no earlier than the open window's first day,
    # or the last completion's: windows never overlap.
    day = max(sale.sold_on, run.start or run.completed_on or sale.sold_on)
    opened = _open_window(challenge, run, day)
    amount = _counted(challenge, opened, day, pricing, paid)
    if not amount:
        return run, []  # a sale that counts for nothing opens no window
    run = replace(opened, count=opened.count + amount,
                  last_visit=day if challenge.goal.type == "visits" else opened.last_visit)
    if run.count < challenge.goal.target:
        return run, []
    streak = run.streak + 1
    rewards = [Reward(challenge.id, points=challenge.points, offer=challenge.offer)]
    if challenge.streak_bonus is not None and streak % challenge.streak_bonus.every == 0:
        rewards.append(Reward(challenge.id, points=challenge.streak_bonus.points, streak=True))
    finished = _Run(completed=run.completed + 1, streak=streak, completed_on=day, last_visit=run.last_visit,
                    done=not challenge.repeat)
    return finished, rewards


def advance(progress: tuple[Progress, ...], mechanics: Mechanics, sale: Sale, pricing: Pricing, paid: int) -> Step:
    """This sale's effect on the card's challenges (`paid`: the money paid, points excluded). Progress
    in challenges the program no longer has is dropped."""
    known = {item.challenge: item for item in progress}
    after: list[Progress] = []
    rewards: list[Reward] = []
    for challenge in mechanics.challenges:
        before = known.get(challenge.id)
        run, given = _advance_one(challenge, _Run.of(before.data) if before else _Run(), sale, pricing, paid)
        rewards.extend(given)
        if before is not None or run != _Run():
            after.append(Progress(challenge.id, run.to_data()))
    return Step(tuple(after), tuple(rewards))


# --- what the card page and the pass show ------------------------------------------------------------

def views(progress: tuple[Progress, ...], mechanics: Mechanics, lang: str | None, today: date) -> list[dict[str, Any]]:
    """Each of the program's challenges as the card's holder sees it on `today`: `progress` towards
    `target` in the window open now (0 and `ends_on` null when none is), windows `completed`, the
    current `streak` (0 once it can no longer continue), and `done` when finished for good."""
    known = {item.challenge: _Run.of(item.data) for item in progress}
    day = today.isoformat()
    shown = []
    for challenge in mechanics.challenges:
        run = known.get(challenge.id, _Run())
        live = run.start is not None and day <= window_end(challenge, run.start)
        shown.append({"id": challenge.id, "name": challenge.name_in(lang),
                      "progress": _shown_progress(challenge, run, live), "target": challenge.goal.target,
                      "ends_on": window_end(challenge, run.start) if live and run.start else None,
                      "completed": run.completed, "streak": _shown_streak(challenge, run, live, day),
                      "done": run.done})
    return shown


def _shown_progress(challenge: Challenge, run: _Run, live: bool) -> int:
    if run.done:
        return challenge.goal.target
    return min(run.count, challenge.goal.target) if live else 0


def _shown_streak(challenge: Challenge, run: _Run, live: bool, day: str) -> int:
    """An open window already holds its streak (opening it late zeroed it); without one, the streak
    lives while a window opened today would still continue it; an unfinished window ended it."""
    if live or run.done:
        return run.streak
    if run.start is None and _continues_streak(challenge, run, day):
        return run.streak
    return 0
