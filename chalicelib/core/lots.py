"""Point lots: each accrual is a lot with the day it becomes spendable and the day it is gone.

Days are the program's own calendar days (ISO strings), computed by the caller from the time zone.
"""
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from chalicelib.core.mechanics import Mechanics


@dataclass(frozen=True)
class Lot:
    lot_id: str
    source: str
    points: int
    remaining: int
    earned_on: str
    available_on: str
    expires_on: str | None
    ref: str | None = None

    def spendable(self, today: str) -> bool:
        return self.available_on <= today and (self.expires_on is None or today < self.expires_on)


def accrue(mechanics: Mechanics, *, lot_id: str, source: str, points: int, today: date,  # noqa: PLR0913
           ref: str | None = None, pending: bool = False) -> Lot:
    """A new lot. Purchases wait `pending_days` before they can be spent (to absorb refunds);
    bonuses are spendable at once. Each source may have its own lifetime."""
    if points <= 0:
        raise ValueError("a lot holds a positive number of points")
    available = today + timedelta(days=mechanics.pending_days if pending else 0)
    lifetime = mechanics.lifetime_for(source)
    expires = (available + timedelta(days=lifetime)).isoformat() if lifetime else None
    return Lot(lot_id, source, points, points, today.isoformat(), available.isoformat(), expires, ref)


def balance(lots: Iterable[Lot]) -> int:
    return sum(lot.remaining for lot in lots)


def available(lots: Iterable[Lot], today: str) -> int:
    return sum(lot.remaining for lot in lots if lot.spendable(today))


def next_expiry(lots: Iterable[Lot]) -> str | None:
    """The soonest day on which some of these points expire (what the expiry sweep is keyed by)."""
    days = [lot.expires_on for lot in lots if lot.remaining > 0 and lot.expires_on]
    return min(days) if days else None


def spend_order(lots: Iterable[Lot]) -> list[Lot]:
    """Soonest-expiring first; never-expiring last; ties by when they were earned."""
    return sorted(lots, key=lambda lot: (lot.expires_on is None, lot.expires_on or "", lot.earned_on, lot.lot_id))


def drain(lots: Iterable[Lot], points: int, today: str) -> tuple[list[Lot], list[tuple[str, int]]]:
    """Take `points` from the spendable lots, soonest-expiring first. Returns the new lots (emptied
    ones dropped) and what was taken from each lot. The caller checks availability first."""
    lots = tuple(lots)
    if points > available(lots, today):
        raise ValueError("not enough spendable points")
    taken: list[tuple[str, int]] = []
    left = points
    by_id = {lot.lot_id: lot for lot in lots}
    for lot in spend_order(lots):
        if left == 0:
            break
        if not lot.spendable(today) or lot.remaining == 0:
            continue
        take = min(lot.remaining, left)
        by_id[lot.lot_id] = replace(lot, remaining=lot.remaining - take)
        taken.append((lot.lot_id, take))
        left -= take
    return [lot for lot in by_id.values() if lot.remaining > 0], taken
