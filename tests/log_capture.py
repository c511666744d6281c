"""Personal data stays out of logs and metrics (issue 19, item 6): what a whole test run logs is kept and
searched, at the end of the run, for the phones, e-mail addresses and names the run created.

- Logs: every line of the app's structured log (`chalicelib.log`, logger 'loyalty', at the level production
  uses), the EMF metric records (`chalicelib.metrics.emit`), and the output of the local stacks the e2e tests
  start (tests/e2e/stack.py hands it over when a stack stops).
- Personal data the run created: the name, phone and e-mail of every card and staff member built through
  the models (wrapped constructors), and anything that looks like a phone in E.164 or an e-mail address.
A hit fails the run (conftest.pytest_sessionfinish) with the line and what it held; `scan` is tested on its
own too (tests/test_log_capture.py), so the search cannot silently find nothing.
"""
import json
import logging
import re
import threading
from collections.abc import Iterable

from chalicelib import metrics
from chalicelib.store.models import Card, StaffMember

_lock = threading.Lock()
LINES: list[str] = []  # what the run logged, in order
NAMES: set[str] = set()
PHONES: set[str] = set()
EMAILS: set[str] = set()

_E164 = re.compile(r"\+\d{10,15}\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Names the tests give that are also words of our own log lines and routes (an event, a field, a stage).
_NOT_NAMES = frozenset({"test", "demo", "admin", "owner", "manager", "analyst", "cashier", "platform", "coffee",
                        "card", "cards", "program", "member", "customer", "guest", "none", "null", "true", "false",
                        "telegram", "local", "store", "shop", "name", "user"})


class _Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to judge here
            return
        with _lock:
            LINES.append(line)


def add_lines(lines: Iterable[str]) -> None:
    with _lock:
        LINES.extend(lines)


def add_output(text: str) -> None:
    """A local stack's output: every line counts (its JSON logs, the local gateway's request log, the
    stand-ins' lines) except its banner for the developer, which shows an example customer on purpose."""
    kept, in_banner = [], False
    for line in text.splitlines():
        if not in_banner and line.startswith("=" * 72):
            in_banner = True
        if not in_banner:
            kept.append(line)
        elif "Ctrl-C stops everything" in line:
            in_banner = False
    add_lines(kept)


def _remember(name: object = None, phone: object = None, email: object = None) -> None:
    with _lock:
        if isinstance(name, str) and len(name.strip()) >= 3 and name.strip().lower() not in _NOT_NAMES:
            NAMES.add(name.strip())
        if isinstance(phone, str) and phone.strip():
            PHONES.add(phone.strip())
        if isinstance(email, str) and "@" in email:
            EMAILS.add(email.strip())


def _wrap_init(model: type) -> None:
    original = getattr(model, "__init__")  # noqa: B009 - a class's constructor, replaced below

    def __init__(self, *args, **kwargs):  # noqa: N807 - the wrapped constructor keeps its name
        _remember(kwargs.get("name"), kwargs.get("phone"), kwargs.get("email"))
        original(self, *args, **kwargs)

    setattr(model, "__init__", __init__)  # noqa: B010


def _wrap_metrics() -> None:
    original = metrics.emit

    def emit(values: dict, unit: str = "Count", **dimensions) -> None:
        add_lines([json.dumps({"metric": values, "dimensions": dimensions}, default=str, ensure_ascii=False)])
        original(values, unit, **dimensions)

    metrics.emit = emit


def start() -> None:
    """Begin keeping the run's logs and remembering the personal data it creates (once per run)."""
    logger = logging.getLogger("loyalty")
    if any(isinstance(handler, _Collector) for handler in logger.handlers):
        return
    collector = _Collector(level=logging.INFO)  # what production keeps: the app logs at INFO
    logger.addHandler(collector)
    _wrap_init(Card)
    _wrap_init(StaffMember)
    _wrap_metrics()


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def scan(lines: Iterable[str], names: Iterable[str] = (), phones: Iterable[str] = (),
         emails: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(what was found, the line) for each line that holds personal data: a phone in E.164 or as its bare
    digits (10 or more), an e-mail address, or one of the names as a whole word."""
    digit_forms = {_digits(phone) for phone in phones if len(_digits(phone)) >= 10}
    name_pattern = None
    wanted = sorted({name for name in names if name}, key=len, reverse=True)
    if wanted:
        name_pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in wanted) + r")(?!\w)")
    found = []
    for line in lines:
        hits = _E164.findall(line) + _EMAIL.findall(line)
        hits += [f"{email}" for email in emails if email in line]
        hits += [digits for digits in digit_forms if digits in line and re.search(rf"(?<!\d){digits}(?!\d)", line)]
        if name_pattern is not None:
            hits += name_pattern.findall(line)
        if hits:
            found.append((", ".join(sorted(set(hits))), line))
    return found


def report() -> list[tuple[str, str]]:
    with _lock:
        return scan(list(LINES), set(NAMES), set(PHONES), set(EMAILS))
