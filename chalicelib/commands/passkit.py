"""What Apple's devices send the PassKit web service, read once at the route.

A registration's push token is checked strictly (400 naming `pushToken`); a device's log and its
`passesUpdatedSince` tag are only ever reports and hints from devices, so what cannot be read there is
dropped, never answered with an error (see api/passkit.py)."""
import re
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.core.validation import parse_json
from chalicelib.errors import InvalidInput

# Apple: device tokens are of variable length (do not assume 32 bytes). Its protocols have allowed up
# to 100 bytes (200 hex characters); third-party Android wallets (the AndroidPass scheme) send FCM
# tokens of about 160 characters with ':'. 1024 leaves room for growth and still keeps the stored
# registration and the APNs request path small.
MAX_PUSH_TOKEN = 1024
_PUSH_TOKEN = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_PUSH_TOKEN}}}")
MAX_LOG_LINES = 20
MAX_LOG_CHARS = 300
_LONGEST_TAG = 20  # digits; longer than any tag we issue (microseconds since the epoch)


@dataclass(frozen=True)
class Registration:
    push_token: str


@dataclass(frozen=True)
class DeviceLog:
    lines: tuple[str, ...]  # at most MAX_LOG_LINES, each at most MAX_LOG_CHARS


@dataclass(frozen=True)
class ChangedSince:
    """`?passesUpdatedSince=`: the tag the device holds (0: send every pass it holds)."""

    tag: int


def _report(raw_body: str | bytes | None) -> dict[str, object]:
    """The body as a JSON object; anything else (not JSON, not an object) reads as an empty one."""
    try:
        data = parse_json(raw_body or b"{}")
    except InvalidInput:
        return {}
    return data if isinstance(data, dict) else {}


def read_registration(raw_body: str | bytes | None) -> Registration:
    push_token = _report(raw_body).get("pushToken")
    if not isinstance(push_token, str) or not _PUSH_TOKEN.fullmatch(push_token):
        raise InvalidInput("Send {\"pushToken\": \"...\"}.", code="invalid_push_token", field="pushToken")
    return Registration(push_token)


def read_device_log(raw_body: str | bytes | None) -> DeviceLog:
    """The log lines a device reported; a malformed report reads as none."""
    lines = _report(raw_body).get("logs")
    kept = (lines if isinstance(lines, list) else [])[:MAX_LOG_LINES]
    return DeviceLog(tuple(line[:MAX_LOG_CHARS] for line in kept if isinstance(line, str)))


def read_changed_since(params: Mapping[str, str] | None) -> ChangedSince:
    """A tag we did not issue (not ASCII digits, or longer than any we issue) asks for everything."""
    raw = (params or {}).get("passesUpdatedSince") or "0"
    return ChangedSince(int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= _LONGEST_TAG else 0)
