"""How long an invocation may start new work: each run checks its budget before each step and hands the
rest to the jobs queue when it is spent (see fanout.py)."""
import time
from typing import Any

RESERVE_SHARE = 0.2  # of an invocation's time, kept for the step under way and the hand-over
RESERVE_MIN = 5.0  # seconds


class Budget:
    """How long this invocation may start new work. `spent()` is checked before each step (a card, an
    index page, a program), so a step that starts finishes well within the function's timeout."""

    def __init__(self, seconds: float | None = None) -> None:
        self.until = None if seconds is None else time.monotonic() + seconds

    def spent(self) -> bool:
        return self.until is not None and time.monotonic() >= self.until

    @classmethod
    def of_lambda(cls, context: Any) -> "Budget":
        """The budget of a Lambda invocation (`context` is Lambda's; None outside Lambda: no limit)."""
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return cls()
        seconds = remaining() / 1000
        return cls(max(0.0, seconds - max(RESERVE_MIN, RESERVE_SHARE * seconds)))


UNLIMITED = Budget()
