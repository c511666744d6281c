"""`python -m chalicelib.cli demo-history`: a few months of made-up trade for the local demo program,
so the analytics page has something to show. Everything goes through the real use cases, each at its
own moment in the past (enrolments, member and anonymous receipts, some paid with points, refunds),
with the daily expiry, the win-back gifts and the nightly fold run as the days pass. Running it again adds
nothing: the receipts and refunds have fixed ids, the phones are already enrolled, and the experiments
below are looked for by name before they are made.

Experiments (issue 17), so the experiments page has a report to read: the program's economics (margin
60%, an SMS 4 rubles) are set if they were not; a win-back experiment (20% of the lapsing customers kept
as control) runs from the first day; and CAMPAIGN_DAYS_AGO days before today a cohort of SLEEPERS
customers who joined, bought once and went quiet gets a campaign "to sleeping customers" with the
default 10% holdout and a bonus. Over the next 30 days a treated sleeper comes back with probability
COME_BACK["treated"] (40%), a control one with COME_BACK["control"] (15%): the true effect the report
should find. Their receipts go through the till like any other, so the experiment's events are the real
ones.

`make demo` runs it (README, "The local stack"): a progress bar on the terminal instead of the use
cases' log lines (quieted while it runs: a few hundred JSON lines tell an owner nothing), then where
to look, with the ports the stack really uses."""
import contextlib
import json
import logging
import random
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from chalicelib.commands import admin as admin_commands
from chalicelib.commands import locations as location_commands
from chalicelib.config import LOCAL_DYNAMODB_PORT, settings
from chalicelib.core import clock, segments
from chalicelib.core import experiments as experiment_rules
from chalicelib.core import mechanics as mech
from chalicelib.errors import AppError, Conflict
from chalicelib.jobs import analytics as nightly
from chalicelib.jobs import triggers
from chalicelib.store import campaigns as campaign_store
from chalicelib.store import cards as card_store
from chalicelib.store import experiments as experiment_store
from chalicelib.store import programs as program_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import analytics, campaigns, enrollment, experiments, pos
from chalicelib.usecases import locations as location_cases
from chalicelib.usecases import programs as program_cases

NAMES = ("Anna", "Ivan", "Olga", "Pavel", "Maria", "Sergey", "Elena", "Dmitry", "Irina", "Alexey")
ACTOR = "demo-history"
ECONOMICS = {"margin_percent": 60, "message_prices": {"wallet": 0, "email": 0, "telegram": 0, "sms": 400}}
WINBACK = {"after_days": 30, "bonus": 200}  # turned on with these when the program has no win-back
WINBACK_HOLDOUT = 20
CAMPAIGN_DAYS_AGO = 35
CAMPAIGN_NAME = "Мы скучаем: бонус спящим клиентам"
CAMPAIGN = {"name": CAMPAIGN_NAME, "audience": {"kind": "sleeping"}, "bonus": 150, "holdout_percent": 10,
            "texts": {"ru": "Давно не виделись! Дарим 150 баллов: ждём вас на кофе.",
                      "en": "It has been a while! Here are 150 points: come by for a coffee."}}
SLEEPERS = 480  # customers who joined, bought once and went quiet: the campaign's audience (about 48 in control)
COME_BACK = {"control": 0.15, "treated": 0.40}  # chance of a sleeper's purchase within 30 days of the campaign
RETURN_DAYS = 30
# the demo chain's two coffee shops (issue 18): the day's trade is split between them, 60 / 40
LOCATIONS = ({"name": "Кофейня на Арбате", "address": "Москва, ул. Арбат, 12", "latitude": 55.7512,
              "longitude": 37.5926, "hours": {day: ["08:00-22:00"] for day in ("mon", "tue", "wed", "thu", "fri")}},
             {"name": "Кофейня на Тверской", "address": "Москва, Тверская ул., 7", "latitude": 55.7584,
              "longitude": 37.6117, "hours": {day: ["09:00-21:00"] for day in ("mon", "tue", "wed", "thu", "fri",
                                                                                  "sat", "sun")}})
LOCATION_SHARE = 0.6  # of the receipts at the first


def _enrolled(program_id: str, phone: str) -> Card:
    card_id = card_store.card_id_by_phone(program_id, phone)
    card = card_store.get(card_id) if card_id else None
    if card is None:
        raise RuntimeError(f"{phone} is enrolled but has no card")
    return card


def _enrolled_number(program_id: str, phone: str) -> str:
    return str(_enrolled(program_id, phone).number)


def generate(program: Program, days: int, now: datetime, seed: int = 7,
             progress: Callable[[int, int], None] | None = None, *, sleepers: int = SLEEPERS) -> dict[str, int]:
    """`progress(days done, days)` after each day, if given. `sleepers`: the campaign's cohort (the
    campaign is made only when the history is long enough for its customers to have gone quiet)."""
    rng = random.Random(seed)
    today = clock.local_day(now, program.timezone)
    cards: list[str] = []  # card numbers
    done = {"members": 0, "receipts": 0, "refunds": 0, "experiments": 0}
    start = datetime.combine(today - timedelta(days=days), time(8), tzinfo=UTC)
    program = _economics(program, start)
    program, shops = _locations(program, start)
    program, done["experiments"] = _winback_experiment(program, start)
    cohort = Cohort(program, sleepers, seed) if days >= CAMPAIGN_DAYS_AGO + segments.NEW_DAYS + 2 else None
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        if cohort is not None and offset == CAMPAIGN_DAYS_AGO:
            _add(done, cohort.campaign(datetime.combine(day, time(8), tzinfo=UTC), days - offset))
        _trade(program, day, rng, cards, done, shops=shops)
        if cohort is not None and offset < CAMPAIGN_DAYS_AGO:
            done["receipts"] += cohort.come_back(day, CAMPAIGN_DAYS_AGO - offset)
        evening = datetime.combine(day, time(18), tzinfo=UTC)
        triggers.expire_points(day, evening)
        triggers.winback(day, evening)
        if progress:
            progress(days - offset + 1, days)
    nightly.run(today)
    return done


def _locations(program: Program, now: datetime) -> tuple[Program, tuple[str, ...]]:
    """The demo chain's locations (made once: a second run finds them by name) and their ids."""
    for fields in LOCATIONS:
        if not any(location.name == fields["name"] for location in location_cases.of(program)):
            program, _ = location_cases.add(program, location_commands.read_new_location(fields), now)
    names = [fields["name"] for fields in LOCATIONS]
    return program, tuple(location.location_id for location in location_cases.of(program) if location.name in names)


def _trade(program: Program, day: date, rng: random.Random, cards: list[str], done: dict[str, int], *,  # noqa: PLR0913 (the day's draws and what they go to)
           shops: tuple[str, ...] = ()) -> None:
    """A day of the regulars' trade: a few enrolments, receipts (some paying with points), a few refunds,
    at the chain's locations (`shops`; a draw of their own, so the rest of the history stays as it was)."""
    where = random.Random(f"{day}-locations")
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
        receipt: dict[str, object] = {"receipt_id": f"demo-{day}-{index}", "total": total}
        if shops:
            receipt["location_id"] = shops[0] if where.random() < LOCATION_SHARE or len(shops) == 1 else shops[1]
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


def _add(done: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        done[key] = done.get(key, 0) + value


def _economics(program: Program, now: datetime) -> Program:
    """The program's margin and message prices (what ROMI is counted with), when it has none, and a
    win-back when it has none (the win-back experiment needs one)."""
    mechanics = mech.from_stored(program.mechanics)
    wanted: dict[str, object] = {}
    if mechanics.margin_bp is None:
        wanted["economics"] = ECONOMICS
    if not (mechanics.winback_after_days and mechanics.winback_bonus):
        wanted["winback"] = WINBACK
    if not wanted:
        return program
    changes = admin_commands.read_program_changes({"mechanics": wanted}, program)
    return program_cases.update(program, changes, now)


def _winback_experiment(program: Program, now: datetime) -> tuple[Program, int]:
    """The win-back trigger's experiment from the history's first day (one made by an earlier run, or by
    the owner, is kept). Returns the program as it now is and how many experiments were made."""
    if program.experiments and "winback" in program.experiments:
        return program, 0
    if any(item.subject == "winback" for item in experiment_store.of_program(program.program_id)):
        return program, 0  # stopped by the owner: not started again
    experiments.start(program, {"subject": "winback", "holdout_percent": WINBACK_HOLDOUT,
                                "name": "Win-back: 20% control"}, ACTOR, now)
    return program_store.get(program.program_id) or program, 1


class Cohort:
    """The customers a campaign to sleeping customers wakes: they join, buy once and go quiet before the
    campaign (made on its day, so that they are "sleeping" by the program's own thresholds then), and
    come back after it, the treated ones more often. Every draw is made up front from the seed, so a
    second run makes the same receipts (it finds the campaign and its customers and adds nothing)."""

    def __init__(self, program: Program, size: int, seed: int) -> None:
        self.program, self.size = program, size
        draws = random.Random(seed + 1)
        # per customer: the chance drawn against COME_BACK, the days after the campaign of the first and of
        # a second purchase (when there is one), and the receipts' totals
        self.plans = [(draws.random(), draws.randrange(1, RETURN_DAYS), draws.random() < 0.3,
                       draws.randrange(2, 15), draws.randrange(20_000, 200_000, 100),
                       draws.randrange(20_000, 200_000, 100)) for _ in range(size)]
        self.numbers: list[str] = []
        self.returning: dict[int, list[tuple[int, str, int]]] = {}  # day after the campaign -> (customer, id, total)

    def campaign(self, moment: datetime, history_days: int) -> dict[str, int]:
        """Make the cohort and send the campaign at `moment` (or find them made by an earlier run); plan
        the customers' returns by their groups."""
        done = {"members": 0, "receipts": 0, "experiments": 0}
        program = self.program
        found = next((item for item in campaign_store.newest_first(program.program_id, 100, None)[0]
                      if item.name == CAMPAIGN_NAME), None)
        if found is None:
            done.update(self._cohort(moment, history_days))
            found = campaigns.create(program, CAMPAIGN, ACTOR, moment)
            done["experiments"] += 1
        if found.status != "sent":
            with contextlib.suppress(Conflict):  # being sent (a resumed send carries on by itself)
                campaigns.send(program, found, moment)
        design = campaigns.design(found)
        cards = [_enrolled(program.program_id, self._phone(i)) for i in range(self.size)]
        self.numbers = [str(card.number) for card in cards]
        for i, card in enumerate(cards):
            chance, first, again, later, total, second = self.plans[i]
            group = experiment_rules.assign(design, card.card_id) if design is not None else "a"
            treated = "control" if group == experiment_rules.CONTROL else "treated"
            if chance < COME_BACK[treated]:
                self.returning.setdefault(first, []).append((i, f"demo-back-{i}-1", total))
                if again and first + later < RETURN_DAYS:
                    self.returning.setdefault(first + later, []).append((i, f"demo-back-{i}-2", second))
        return done

    def _phone(self, index: int) -> str:
        return f"+7998{index + 1:07d}"

    def _cohort(self, moment: datetime, history_days: int) -> dict[str, int]:
        """The sleepers: each joined more than NEW_DAYS days before `moment` and bought once, as long ago as
        the program's thresholds call sleeping on that day (within the history's days)."""
        program = self.program
        cuts = analytics.thresholds(program, moment)  # stored for the day: the campaign's audience reads it
        latest = min(cuts.sleeping_days, history_days)
        if cuts.active_days + 1 > latest:
            return {}
        shape = random.Random(self.size)
        made = {"members": 0, "receipts": 0}
        for i in range(self.size):
            idle = shape.randint(cuts.active_days + 1, latest)
            joined = shape.randint(max(idle, segments.NEW_DAYS + 1), max(idle, segments.NEW_DAYS + 1, history_days))
            at = moment - timedelta(days=joined) + timedelta(minutes=i)
            form = {"name": shape.choice(NAMES), "phone": self._phone(i), "consent": True}
            try:
                number = enrollment.enroll(program, form, at, "ru").number
                made["members"] += 1
            except Conflict:
                number = _enrolled_number(program.program_id, self._phone(i))
            total = shape.randrange(15_000, 150_000, 100)
            receipt = {"receipt_id": f"demo-sleeper-{i}", "card": number, "total": total}
            with contextlib.suppress(AppError):
                made["receipts"] += not pos.post_receipt(program, receipt, moment - timedelta(days=idle)).replay
        return made

    def come_back(self, day: date, after: int) -> int:
        """The cohort's receipts `after` days after the campaign (on `day`); returns how many were new."""
        made = 0
        for n, (i, receipt_id, total) in enumerate(self.returning.get(after, [])):
            at = datetime.combine(day, time(14), tzinfo=UTC) + timedelta(minutes=n)
            with contextlib.suppress(AppError):  # an earlier run's receipt
                made += not pos.post_receipt(self.program, {"receipt_id": receipt_id, "card": self.numbers[i],
                                                            "total": total}, at).replay
        return made


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
    made = (f"{days} days of made-up trade: {done['members']} new members, {done['receipts']} receipts, "
            f"{done['refunds']} refunds, at two coffee shops.\nLook at them in the console's analytics (by location "
            f"too): {_api()}/console#/analytics")
    if done.get("experiments"):
        made += (f"\n{done['experiments']} experiments (a campaign to sleeping customers with a control group, "
                 f"a win-back with one): {_api()}/console#/experiments")
    return made
