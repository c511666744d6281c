"""The programs a scheduled job goes over: each daily trigger, the tier review, the nightly analytics
and the campaigns' schedule visit every program. Programs are few (a table of hundreds, read whole in a
scan of a page or two); cards are never scanned: their walks go through the day-keyed indexes
(store/cards.py)."""
from collections.abc import Iterator

from chalicelib.store import programs as program_store
from chalicelib.store.records import Program


def programs() -> Iterator[Program]:
    """Every program, whatever its status."""
    yield from program_store.scan()


def active_programs() -> list[Program]:
    """The programs that run: a paused or closed program gets no expiry, gifts, reviews or upkeep."""
    return [program for program in program_store.scan() if program.status == "active"]
