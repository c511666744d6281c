"""`python -m chalicelib.cli demo-history`: a few months of made-up trade for the local demo program,
so the analytics page has something to show. Everything goes through the real use cases, each at its
own moment in the past (enrolments, member and anonymous receipts, some paid with points, refunds),
with the daily expiry and the nightly fold run as the days pass. Running it again adds nothing: the
receipts and refunds have fixed ids and the phones are already enrolled.

`make demo` runs it (README, "The local stack"): a progress bar on the terminal instead of the use
cases' log lines (quieted while it runs: a few hundred JSON lines tell an owner nothing), then where
to look, with the ports the stack really uses."""
import contextlib
import json
import logging
import random
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from chalicelib.config import LOCAL_DYNAMODB_PORT, settings
from chalicelib.core import clock
from chalicelib.errors import AppError, Conflict
from chalicelib.jobs import analytics as nightly
from chalicelib.jobs import triggers
from chalicelib.store import cards as card_store
from chalicelib.store.records import Program
from chalicelib.usecases import enrollment, pos

NAMES = ("Anna", "Ivan", "Olga", "Pavel", "Maria", "Sergey", "Elena", "Dmitry", "Irina", "Alexey")


def _enrolled_number(program_id: str, phone: str) -> str:
    card_id = card_store.card_id_by_phone(program_id, phone)
    card = card_store.get(card_id) if card_id else None
    if card is None:
        raise RuntimeError(f"{phone} is enrolled but has no card")
    return card.number


def generate(program: Program, days: int, now: datetime, seed: int = 7,
             progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """`progress(days done, days)` after each day, if given."""
    rng = random.Random(seed)
    today = clock.local_day(now, program.timezone)
    cards: list[str] = []  # card numbers
    done = {"members": 0, "receipts": 0, "refunds": 0}
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        moment = datetime.combine(day, time(9), tzinfo=UTC)
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            moment += timedelta(minutes=rng.randint(5, 40))
            phone = f"+7999{len(cards) + 1:07d}"
            form = {"name": rng.choice(NAMES), "phone": phone, "consent": True}
            try:
                cards.append(enrollment.enroll(program, form, moment, "ru").number)
                done["members"] += 1
            except Conflict:  # enrolled by an earlier run
                cards.append(_enrolled_number(program.program_id, phone))
        regulars = cards[: max(1, len(cards) // 3)]
        for index in range(rng.randint(2, 9)):
            # every draw is made whatever happens next, so a second run makes the same receipts
            moment += timedelta(minutes=rng.randint(3, 25))
            total, member, regular, pays_with_points, refunded = (
                rng.randrange(15_000, 250_000, 100), rng.random() < 0.7, rng.random() < 0.6, rng.random() < 0.2,
                rng.random() < 0.04)
            receipt = {"receipt_id": f"demo-{day}-{index}", "total": total}
            if cards and member:
                receipt["card"] = rng.choice(regulars if regular else cards)
                quote = pos.quote(program, {"card": receipt["card"], "total": total}, moment)
                if quote["max_redeem"] and pays_with_points:
                    receipt["redeem"] = quote["max_redeem"]
            try:
                done["receipts"] += not pos.post_receipt(program, receipt, moment).replay
            except AppError:  # an earlier run's receipt under this id (its points were different then)
                continue
            if refunded:
                refund = {"refund_id": f"demo-{day}-{index}-r", "receipt_id": receipt["receipt_id"],
                          "amount": total // 2}
                with contextlib.suppress(AppError):  # refunded by an earlier run
                    done["refunds"] += not pos.post_refund(program, refund, moment + timedelta(minutes=30)).replay
        evening = datetime.combine(day, time(18), tzinfo=UTC)
        triggers.expire_points(day, evening)
        if progress:
            progress(days - offset + 1, days)
    nightly.run(today)
    return done


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Only warnings and errors from our loggers (and the libraries') while the history is made."""
    loggers = [logging.getLogger("loyalty"), logging.getLogger()]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class ProgressBar:
    """`[########------------] 40/90 days` redrawn in place on a terminal; on anything else (a log file,
    a test's pipe) a line at each quarter, so the output stays a few lines long."""

    WIDTH = 30
    STEPS = 4

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if self.live:
            filled = self.WIDTH * done // max(total, 1)
            self.stream.write(f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} days")
            if done == total:
                self.stream.write("\n")
        else:
            step = self.STEPS * done // max(total, 1)
            if step == self.shown:
                return
            self.shown = step
            self.stream.write(f"{done}/{total} days\n")
        self.stream.flush()


def command() -> str:
    """How to run it against the stack these settings describe: `make demo`, with the stack's ports
    in front when they are not the defaults (what `make dev`'s banner prints)."""
    s = settings()
    moved = []
    port = (s.dynamodb_endpoint or "").rsplit(":", 1)[-1]
    if port and port != LOCAL_DYNAMODB_PORT:
        moved.append(f"DYNAMODB_PORT={port}")
    api_port = s.public_base_url.rsplit(":", 1)[-1]
    if api_port != "8000":
        moved.append(f"PORT={api_port}")
    return " ".join([*moved, "make demo"])


def _api() -> str:
    """The running stack's address as it wrote it in .local/demo.json (its real port), else the settings'."""
    try:
        return str(json.loads((Path(settings().local_dir) / "demo.json").read_text())["api"])
    except (OSError, ValueError, KeyError, TypeError):
        return settings().public_base_url


def summary(done: dict[str, int], days: int) -> str:
    """What was made and where to see it."""
    return (f"{days} days of made-up trade: {done['members']} new members, {done['receipts']} receipts, "
            f"{done['refunds']} refunds.\nLook at them in the console's analytics: {_api()}/console#/analytics")
