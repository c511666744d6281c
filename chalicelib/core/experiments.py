"""Experiments: a random control share (the holdout) kept from a campaign or a trigger, and two to four
variants of what the treated cards get (a bonus size, a message text, an offer). Pure.

Assignment is a hash of the experiment's and the card's ids (`assign`), so a re-run, a fan-out chunk or
a retry puts the same card in the same group without remembering anything first. Once a card is
exposed (the campaign reached it, the trigger fired for it) it carries a `Trial` on its item until its
longest window ends; each of its receipts and refunds in that time becomes an `Event` of the
experiment (`events_of`), appended to the card's assignment in the receipt's own transaction. The
report (core/uplift.py) reads only the experiment's assignments.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from chalicelib.core import validation as v
from chalicelib.core.ledger import CardState
from chalicelib.core.mechanics import Mechanics
from chalicelib.errors import InvalidInput

CONTROL = "control"
VARIANT_IDS = ("a", "b", "c", "d")
TRIGGERS = ("birthday", "winback", "expiry_warning", "offers", "challenges")
SUBJECTS = ("campaign", *TRIGGERS)
# what a variant may change, per subject: a bonus size, the message text, an offer to hold
CHANGES = {"campaign": ("bonus", "texts", "offer"), "birthday": ("bonus", "texts"), "winback": ("bonus", "texts"),
           "expiry_warning": ("texts",), "offers": (), "challenges": ()}
DEFAULT_HOLDOUT_BP = {"campaign": 1000}  # 10% for campaigns; a trigger's holdout is off until the owner starts one
DEFAULT_WINDOWS = (7, 14, 30)
MAX_WINDOW = 90
MAX_TRIALS = 10  # experiments a card takes part in at once (each adds an item to its receipts' transaction)
BUCKETS = 10_000  # assignment resolution: a basis point of the cards


@dataclass(frozen=True)
class Event:
    """One receipt or refund of the card after its exposure."""

    offset: int  # days after the exposure day (0 = the exposure day itself), program-local days; >= 0
    revenue: int  # money paid, minor units (a refund: negative)
    points: int  # points the sale gave the card (a refund: negative, the points taken back)
    visit: int  # 1 for a sale, 0 for a refund


@dataclass(frozen=True)
class Exposure:
    """One card in the experiment."""

    variant: str  # "control" or a treatment variant id ("a", "b", "c", "d")
    exposed_on: date
    bonus: int = 0  # points the experiment itself gave this card (0 for control)
    message_cost: int = 0  # minor units: what the experiment's message to this card cost (0 for control)
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class Variant:
    """What one treated group gets instead of the subject's own settings (None: the subject's own)."""

    id: str
    name: str
    bonus: int | None = None
    texts: dict[str, str] | None = None
    offer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "bonus": self.bonus, "texts": self.texts, "offer": self.offer}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Variant:
        return Variant(str(data["id"]), str(data.get("name") or data["id"]), data.get("bonus"), data.get("texts"),
                       data.get("offer"))


@dataclass(frozen=True)
class Design:
    """How an experiment splits cards: `holdout_bp` of them (basis points) to control, the rest evenly
    over `variants` (one variant: the subject as configured)."""

    experiment_id: str
    holdout_bp: int
    variants: tuple[Variant, ...] = (Variant("a", "A"),)
    windows: tuple[int, ...] = DEFAULT_WINDOWS

    def to_json(self) -> dict[str, Any]:
        return {"id": self.experiment_id, "holdout_bp": self.holdout_bp,
                "variants": [variant.to_json() for variant in self.variants], "windows": list(self.windows)}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Design:
        return Design(str(data["id"]), int(data["holdout_bp"]),
                      tuple(Variant.from_json(item) for item in data.get("variants") or [{"id": "a", "name": "A"}]),
                      tuple(int(days) for days in data.get("windows") or DEFAULT_WINDOWS))

    def variant(self, variant_id: str) -> Variant | None:
        return next((item for item in self.variants if item.id == variant_id), None)


def bucket(experiment_id: str, card_id: str) -> int:
    """The card's place in 0..BUCKETS-1 for this experiment: uniform, independent between experiments."""
    digest = hashlib.sha256(f"{experiment_id}\x00{card_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign(design: Design, card_id: str) -> str:
    """The card's group: CONTROL or a variant id, the same every time it is asked."""
    place = bucket(design.experiment_id, card_id)
    if place < design.holdout_bp:
        return CONTROL
    treated = BUCKETS - design.holdout_bp
    return design.variants[(place - design.holdout_bp) * len(design.variants) // treated].id


@dataclass(frozen=True)
class Trial:
    """A card's part in an experiment, kept on the card until `ends_on` (exposure + the longest window)."""

    experiment_id: str
    variant: str
    exposed_on: str  # program-local day
    ends_on: str  # first day no longer counted

    def to_json(self) -> list[str]:
        return [self.experiment_id, self.variant, self.exposed_on, self.ends_on]

    @staticmethod
    def from_json(data: object) -> Trial | None:
        """None for anything but the four texts we write (a hand-edited item must not fail a receipt)."""
        if isinstance(data, list) and len(data) >= 4 and all(isinstance(part, str) for part in data[:4]):  # noqa: PLR2004
            try:
                date.fromisoformat(data[2])
            except ValueError:
                return None
            return Trial(data[0], data[1], data[2], data[3])
        return None


def trial(design: Design, variant: str, exposed_on: date) -> Trial:
    return Trial(design.experiment_id, variant, exposed_on.isoformat(),
                 (exposed_on + timedelta(days=max(design.windows))).isoformat())


def trials_of(stored: object) -> tuple[Trial, ...]:
    if not isinstance(stored, list):
        return ()
    return tuple(trial for item in stored if (trial := Trial.from_json(item)) is not None)


def joined(trials: tuple[Trial, ...], new: Trial, keep: frozenset[str] = frozenset()) -> tuple[Trial, ...]:
    """The card's trials with `new` (once per experiment). Past MAX_TRIALS the oldest campaign's trial is
    no longer followed (its report then misses this card's later purchases); a running trigger
    experiment's (`keep`: their ids) never is. Prune first (`kept`)."""
    result = [item for item in trials if item.experiment_id != new.experiment_id] + [new]
    while len(result) > MAX_TRIALS:
        oldest = next((index for index, item in enumerate(result[:-1]) if item.experiment_id not in keep), None)
        if oldest is None:
            break  # all of them running triggers' (at most five): nothing is dropped
        result.pop(oldest)
    return tuple(result)


def is_in(trials: tuple[Trial, ...], experiment_id: str) -> Trial | None:
    return next((item for item in trials if item.experiment_id == experiment_id), None)


def events_of(trials: tuple[Trial, ...], day: date, *, revenue: int, points: int,
              visit: int) -> list[tuple[str, Event]]:
    """A sale (visit 1) or refund (visit 0) on `day` as an event of each trial it falls in."""
    found = []
    for item in trials:
        exposed = date.fromisoformat(item.exposed_on)
        if exposed <= day and day.isoformat() < item.ends_on:
            found.append((item.experiment_id, Event((day - exposed).days, revenue, points, visit)))
    return found


# --- reading an owner's design -------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    """An experiment's settings as an owner sent them (validated)."""

    holdout_bp: int
    variants: tuple[Variant, ...] = field(default=(Variant("a", "A"),))
    windows: tuple[int, ...] = DEFAULT_WINDOWS


def read_settings(data: v.Fields, subject: str, *, prefix: str = "") -> Settings:
    """`holdout_percent` (0-50; a campaign's default 10), `variants` (2-4, each `{"name", and what the subject
    lets it change}`; none: one variant, the subject as configured), `windows` (1-3 distinct days, 1-90)."""
    holdout = v.read_percent(data, "holdout_percent", prefix=prefix, maximum=50,
                             default=DEFAULT_HOLDOUT_BP.get(subject, 1000))
    raw = data.get("variants")
    variants: tuple[Variant, ...] = (Variant("a", "A"),)
    if raw is not None:
        if not CHANGES[subject]:
            raise InvalidInput("This trigger's experiment keeps a control group only: it takes no variants.",
                               code="invalid_value", field=_at(prefix, "variants"))
        items = v.read_list(data, "variants", prefix=prefix, max_items=len(VARIANT_IDS))
        if len(items) < 2:  # noqa: PLR2004 (an A/B test needs two)
            raise InvalidInput("Give two to four variants, or none.", code="invalid_value",
                               field=_at(prefix, "variants"))
        variants = tuple(_variant(item, VARIANT_IDS[index], subject, _at(prefix, f"variants[{index}]"))
                         for index, item in enumerate(items))
    windows: tuple[int, ...] = DEFAULT_WINDOWS
    if data.get("windows") is not None:
        days = v.read_list(data, "windows", prefix=prefix, max_items=3)
        checked = []
        for index, item in enumerate(days):
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= MAX_WINDOW:
                raise InvalidInput(f"A window is a whole number of days from 1 to {MAX_WINDOW}.",
                                   code="invalid_value", field=_at(prefix, f"windows[{index}]"))
            checked.append(item)
        if not checked or len(set(checked)) != len(checked):
            raise InvalidInput("Give one to three different windows, in days.", code="invalid_value",
                               field=_at(prefix, "windows"))
        windows = tuple(sorted(checked))
    return Settings(holdout, variants, windows)


def _at(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _variant(raw: object, variant_id: str, subject: str, p: str) -> Variant:
    data = v.require_object(raw, p)
    allowed = CHANGES[subject]
    v.reject_unknown(data, {"name", *allowed}, p)
    name = v.read_str(data, "name", prefix=p, max_len=60) or variant_id.upper()
    bonus = v.read_int(data, "bonus", prefix=p, minimum=0, maximum=10_000_000) if "bonus" in allowed else None
    texts = None
    raw_texts = v.read_object(data, "texts", prefix=p) if "texts" in allowed else None
    if raw_texts is not None:
        v.reject_unknown(raw_texts, {"ru", "en"}, f"{p}.texts")
        texts = {lang: text for lang in ("ru", "en")
                 if (text := v.read_str(raw_texts, lang, prefix=f"{p}.texts", max_len=300))}
        if not texts:
            raise InvalidInput("Write the variant's text in Russian, English or both.", code="required",
                               field=f"{p}.texts")
    offer = v.read_str(data, "offer", prefix=p, max_len=40, pattern=v.ID_PATTERN, strip=False) \
        if "offer" in allowed else None
    return Variant(variant_id, name, bonus, texts, offer)


# --- what a program runs, and what a receipt does with it ---------------------------------------------

RECEIPT_SUBJECTS = ("offers", "challenges")  # triggers a card meets at the till: exposed by its receipt


def running(stored: object) -> dict[str, Design]:
    """The program's running trigger experiments (Program.experiments) by subject."""
    if not isinstance(stored, dict):
        return {}
    return {subject: Design.from_json(data) for subject, data in stored.items()
            if subject in TRIGGERS and isinstance(data, dict)}


def kept(trials: tuple[Trial, ...], today: date, designs: dict[str, Design]) -> tuple[Trial, ...]:
    """The trials a card keeps: those still counting, and those of the program's running trigger
    experiments (a card stays in its group while the experiment runs, counted or not)."""
    running_ids = {design.experiment_id for design in designs.values()}
    day = today.isoformat()
    return tuple(item for item in trials if item.ends_on > day or item.experiment_id in running_ids)


def without(mechanics: Mechanics, subjects: set[str]) -> Mechanics:
    """The mechanics a held-out card's receipt runs under: no challenges (so no challenge gives it a
    reward; `hold` then keeps its progress as it was). Automatic offers still run (their counts of units
    bought go on as for everyone) and `hold` takes back what they issued."""
    return replace(mechanics, challenges=()) if "challenges" in subjects else mechanics


def hold(state: CardState, before: CardState, subjects: set[str], mechanics: Mechanics) -> CardState:
    """A held-out card's state after its receipt: its challenge progress as it was (frozen, not lost: it
    goes on when the experiment stops), and no offer issued automatically by this receipt."""
    if "challenges" in subjects:
        state = replace(state, challenges=before.challenges)
    if "offers" in subjects:
        automatic = {offer.id for offer in mechanics.offers if offer.auto is not None}
        known = {item.held_id for item in before.offers}
        state = replace(state, offers=tuple(item for item in state.offers
                                            if item.held_id in known or item.offer not in automatic))
    return state


def for_card_only(mechanics: Mechanics, subjects: set[str]) -> Mechanics:
    """The mechanics as a held-out card's holder sees them: without the challenges or automatic offers."""
    if "challenges" in subjects:
        mechanics = replace(mechanics, challenges=())
    if "offers" in subjects:
        mechanics = replace(mechanics, offers=tuple(replace(offer, auto=None) for offer in mechanics.offers))
    return mechanics


def for_card(mechanics: Mechanics, stored: object, card_id: str) -> Mechanics:
    """The mechanics as one card's holder sees them: without the challenges (or automatic offers) a
    running experiment keeps from its control group, so the card page and the wallet card of a control
    card show none (the group is the card's before it is exposed, as after: `assign`)."""
    held = {subject for subject in RECEIPT_SUBJECTS
            if (design := running(stored).get(subject)) is not None and assign(design, card_id) == CONTROL}
    return for_card_only(mechanics, held) if held else mechanics
