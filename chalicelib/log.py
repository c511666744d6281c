"""Structured JSON logs, one object per line, with the request id when there is one.

Callers pass ids and counts, never personal data (names, phones, emails) or secrets: the
`redact` guard below drops any field whose name says it might hold one.
"""
import contextvars
import json
import logging
import re
import sys
import time
from collections.abc import Mapping
from types import MappingProxyType

_SENSITIVE = {"phone", "email", "name", "secret", "token", "password", "key", "birthday", "authorization", "body"}
_logger = logging.getLogger("loyalty")
if not _logger.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    _logger.addHandler(_handler)
    _logger.setLevel(logging.INFO)
    _logger.propagate = False

# Per request: the local server (and a test's threads) serve requests at once in one process, so the
# fields live in a context variable, not in a module-wide dict that one request's lines would share.
# Read-only: `bind` sets a new mapping, so no request ever changes the one another sees.
_context: contextvars.ContextVar[Mapping[str, object]] = contextvars.ContextVar(
    "log_context", default=MappingProxyType({}))


def bind(**fields: object) -> None:
    """Set fields (e.g. request_id) that every following line of this request carries, until `clear()`."""
    _context.set({**_context.get(), **fields})


def clear() -> None:
    _context.set({})


# What a message from elsewhere (an exception's text, a provider's error) may carry about a person: SES names
# the addresses it refused, a carrier the number. Replaced wherever such text is logged or kept.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+\d{10,15}\b")


def scrub(text: str) -> str:
    """`text` without e-mail addresses and phone numbers in E.164 (each replaced by a placeholder)."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def redact(fields: Mapping[str, object]) -> dict[str, object]:
    clean = {}
    for name, value in fields.items():
        parts = name.lower().split("_")
        if parts[-1] != "id" and _SENSITIVE.intersection(parts):
            continue
        clean[name] = value
    return clean


def _emit(level: int, event: str, fields: Mapping[str, object]) -> None:
    if not _logger.isEnabledFor(level):
        return
    record: dict[str, object] = {"ts": round(time.time(), 3), "level": logging.getLevelName(level).lower(),
                                 "event": event}
    record.update(_context.get())
    record.update(redact(fields))
    _logger.log(level, scrub(json.dumps(record, default=str, ensure_ascii=False)))


def info(event: str, **fields: object) -> None:
    _emit(logging.INFO, event, fields)


def warning(event: str, **fields: object) -> None:
    _emit(logging.WARNING, event, fields)


def error(event: str, **fields: object) -> None:
    _emit(logging.ERROR, event, fields)
