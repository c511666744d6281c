"""How much one caller may do before the answer is 429, and whether joining needs a code sent to the
phone: a program's `limits` object, checked like the rest of its settings.

Every limit counts within fixed windows of WINDOW seconds. The defaults are far above what a cafe
ever sees (a shop's Wi-Fi puts all its customers behind one address), and well below what a script
does (the incident this answers: 200 cards in 16 s from one client)."""
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from chalicelib.core import validation as v

WINDOW = 600  # seconds: one fixed 10-minute window for every counter
MAX_LIMIT = 1_000_000

# Card links (/c/{card_id}...) are not tied to a program until the card is found, so their limits are
# the platform's: views per address, and failed look-ups (a wrong card id or key) per address.
CARD_LINKS_PER_ADDRESS = 600
CARD_LINK_MISSES_PER_ADDRESS = 30

# One-time codes for phone confirmation.
CODE_DIGITS = 6
CODE_SECONDS = 600  # a code is good for 10 minutes
CODE_ATTEMPTS = 5  # wrong guesses before the code is void (a new one must be asked for)
CODES_PER_PHONE = 3  # codes sent to one phone per window (SMS cost, and nobody is flooded)


@dataclass(frozen=True)
class Limits:
    join_per_address: int = 60  # enrollments from one address into the program, per window
    join_refusals_per_address: int = 10  # "already enrolled" and wrong codes answered to one address
    join_per_program: int = 1000  # enrollments into the program from everywhere, per window
    pos_requests_per_key: int = 6000  # signed POS requests of one key, per window (10 a second)
    pos_lookup_misses_per_key: int = 100  # card numbers a POS key looked up that are no card of the program
    phone_confirmation: bool = False  # joining needs the code sent to the phone by SMS


DEFAULTS = Limits()
_COUNTS = tuple(f.name for f in fields(Limits) if f.type is int or f.type == "int")


def from_stored(stored: dict[str, Any] | None) -> Limits:
    known = {name: value for name, value in (stored or {}).items() if name in {f.name for f in fields(Limits)}}
    return replace(DEFAULTS, **known)


def to_dict(limits: Limits) -> dict[str, Any]:
    return asdict(limits)


def parse(data: object, base: Limits | None = None) -> Limits:
    """A program's `limits` object; fields left out keep their current (or default) values."""
    data = v.require_object(data, "limits")
    v.reject_unknown(data, {f.name for f in fields(Limits)}, prefix="limits")
    values: dict[str, int | bool] = {}
    for name in _COUNTS:
        value = v.read_int(data, name, prefix="limits", minimum=1, maximum=MAX_LIMIT)
        if value is not None:
            values[name] = value
    confirmation = v.read_bool(data, "phone_confirmation", prefix="limits")
    if confirmation is not None:
        values["phone_confirmation"] = confirmation
    return replace(base or DEFAULTS, **values)  # type: ignore[arg-type]  # each value of its field's type
