"""Small, strict readers for untrusted JSON: each names the field that is wrong.

`parse_json` is the one way untrusted JSON text becomes Python values. It is strict and bounded, so no
body can make the parser itself fail (a RecursionError, a ValueError on a 5,000-digit integer, a lone
surrogate that cannot be encoded later) and no value reaches a use case that JSON interoperability
would not allow: nesting at most MAX_DEPTH levels, integers within +-(2**53 - 1) (never converting a
longer digit string), finite numbers only (no NaN/Infinity), no lone surrogates, no duplicate keys.

JSON gives us dicts, lists, str, int, float, bool and None. Python counts bool as int, so the readers
check types exactly: `true` is never a number and `1` is never a boolean.
"""
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Any, Literal, Protocol, overload

from chalicelib.errors import InvalidInput

ID_PATTERN = r"[A-Za-z0-9._:\-]{1,64}"  # ids callers choose: receipt, refund, idempotency keys

MAX_DEPTH = 20  # levels of nested objects/arrays; our deepest body (a program's tiers) uses 4
MAX_SAFE_INTEGER = 2**53 - 1  # what every JSON implementation reads exactly
_MAX_INT_DIGITS = len(str(MAX_SAFE_INTEGER))
_MAX_NUMBER_CHARS = 40  # a float's text, e.g. -1.2345678901234567e-308
_SURROGATE = re.compile("[\ud800-\udfff]")
_FIRST_PRINTABLE = 32  # code points below are control characters (only newline and tab are let through)
_DECIMALS_TOLERANCE = 1e-6  # how far from whole basis points binary floats may land (5.25 * 100)

JsonObject = dict[str, Any]  # a JSON object as parse_json gives it: its values are any JSON value
Fields = Mapping[str, object]  # what the readers read from: a JSON object, a form, a stored document


class _Bad:
    """What a parser hook leaves where a value was refused, so the walk can name its field."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message


class _Duplicate(dict[str, object]):
    """An object that repeated a key."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.duplicate = key


def _int(text: str) -> int | _Bad:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        return _Bad("number_too_large", f"Integers must be within +-{MAX_SAFE_INTEGER}.")
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else _Bad(
        "number_too_large", f"Integers must be within +-{MAX_SAFE_INTEGER}.")


def _float(text: str) -> float | _Bad:
    value = float(text) if len(text) <= _MAX_NUMBER_CHARS else math.inf
    return value if math.isfinite(value) else _Bad("number_too_large", "The number is too large.")


def _constant(text: str) -> _Bad:
    return _Bad("invalid_number", f"{text} is not a JSON number.")


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            return _Duplicate(key)
        seen[key] = value
    return seen


def parse_json(raw: bytes | str, code: str = "invalid_json") -> object:
    """The JSON value in `raw`, or InvalidInput naming the field at fault (see the module's docstring)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw  # strict: raw surrogates are invalid
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant,
                           object_pairs_hook=_object)
    except UnicodeDecodeError:
        raise InvalidInput("The body is not valid UTF-8.", code=code) from None
    except RecursionError:
        raise InvalidInput(f"JSON may be nested at most {MAX_DEPTH} levels deep.", code="too_deep") from None
    except ValueError:
        raise InvalidInput("The body is not valid JSON.", code=code) from None
    _check_tree(value)
    return value


def _check_tree(root: object) -> None:
    stack: list[tuple[object, str, int]] = [(root, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        _check_value(value, path)
        if not isinstance(value, (dict, list)):
            continue
        if depth >= MAX_DEPTH:  # named by its top-level member: the full path would be 20 levels long
            raise InvalidInput(f"JSON may be nested at most {MAX_DEPTH} levels deep.", code="too_deep",
                               field=re.split(r"[.\[]", path)[0] or None)
        if isinstance(value, _Duplicate):
            field = _path(path, value.duplicate)
            raise InvalidInput(f"The key '{field}' appears twice.", code="duplicate_key", field=field)
        if isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise InvalidInput("A key contains a lone surrogate (not a character).", code="invalid_string",
                                       field=path or None)
                stack.append((item, _path(path, key), depth + 1))
        else:
            stack.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value))


def _check_value(value: object, path: str) -> None:
    """A refused number, or a string with a lone surrogate, at `path`."""
    if isinstance(value, _Bad):
        raise InvalidInput(value.message if not path else f"'{path}': {value.message}", code=value.code,
                           field=path or None)
    if isinstance(value, str) and _SURROGATE.search(value):
        raise InvalidInput(f"'{path or 'body'}' contains a lone surrogate (not a character).",
                           code="invalid_string", field=path or None)


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _fetch(data: Fields, name: str, prefix: str, required: bool) -> tuple[str, Any]:
    """(dotted field name, value); a missing required value is an error, a missing optional one None."""
    field = _path(prefix, name)
    value = data.get(name)
    if value is None and required:
        raise InvalidInput(f"'{field}' is required.", code="required", field=field)
    return field, value


def require_object(value: object, field: str = "") -> JsonObject:
    if not isinstance(value, dict):
        raise InvalidInput("Expected a JSON object.", code="invalid_type", field=field or None)
    return value


def reject_unknown(data: Fields, allowed: Collection[str], prefix: str = "") -> None:
    for name in data:
        if name not in allowed:
            raise InvalidInput(f"Unknown field '{name}'.", code="unknown_field", field=_path(prefix, name))


# The readers' overloads say what a caller gets: `required=True` or a default of the reader's type
# gives that type; otherwise the value may be absent (None). The implementation is one function each.

@overload
def read_str(data: Fields, name: str, *, prefix: str = "", required: Literal[True], default: None = None,
             min_len: int = 0, max_len: int = 200, pattern: str | None = None, strip: bool = True,
             choices: Collection[str] | None = None) -> str: ...
@overload
def read_str(data: Fields, name: str, *, prefix: str = "", required: bool = False, default: str,
             min_len: int = 0, max_len: int = 200, pattern: str | None = None, strip: bool = True,
             choices: Collection[str] | None = None) -> str: ...
@overload
def read_str(data: Fields, name: str, *, prefix: str = "", required: bool = False, default: None = None,
             min_len: int = 0, max_len: int = 200, pattern: str | None = None, strip: bool = True,
             choices: Collection[str] | None = None) -> str | None: ...
def read_str(  # noqa: PLR0913 (keyword options are the readers' contract)
        data: Fields, name: str, *, prefix: str = "", required: bool = False, default: str | None = None,
        min_len: int = 0, max_len: int = 200, pattern: str | None = None, strip: bool = True,
        choices: Collection[str] | None = None) -> str | None:
    field, value = _fetch(data, name, prefix, required)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}' must be a string.", code="invalid_type", field=field)
    if strip:
        value = value.strip()
    if required and not value:
        raise InvalidInput(f"'{field}' is required.", code="required", field=field)
    if not value and not required:
        return default
    if len(value) < min_len or len(value) > max_len:
        raise InvalidInput(f"'{field}' must be {min_len} to {max_len} characters long.",
                           code="invalid_length", field=field)
    if "\x00" in value or any(ord(ch) < _FIRST_PRINTABLE and ch not in "\n\t" for ch in value):
        raise InvalidInput(f"'{field}' contains control characters.", code="invalid_value", field=field)
    if pattern and not re.fullmatch(pattern, value):
        raise InvalidInput(f"'{field}' has an invalid format.", code="invalid_format", field=field)
    if choices is not None and value not in choices:
        raise InvalidInput(f"'{field}' must be one of: {', '.join(sorted(choices))}.",
                           code="invalid_choice", field=field)
    return value


@overload
def read_int(data: Fields, name: str, *, prefix: str = "", required: Literal[True], default: None = None,
             minimum: int | None = None, maximum: int | None = None) -> int: ...
@overload
def read_int(data: Fields, name: str, *, prefix: str = "", required: bool = False, default: int,
             minimum: int | None = None, maximum: int | None = None) -> int: ...
@overload
def read_int(data: Fields, name: str, *, prefix: str = "", required: bool = False, default: None = None,
             minimum: int | None = None, maximum: int | None = None) -> int | None: ...
def read_int(  # noqa: PLR0913 (keyword options are the readers' contract)
        data: Fields, name: str, *, prefix: str = "", required: bool = False, default: int | None = None,
        minimum: int | None = None, maximum: int | None = None) -> int | None:
    field, value = _fetch(data, name, prefix, required)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"'{field}' must be an integer.", code="invalid_type", field=field)
    if minimum is not None and value < minimum:
        raise InvalidInput(f"'{field}' must be at least {minimum}.", code="out_of_range", field=field)
    if maximum is not None and value > maximum:
        raise InvalidInput(f"'{field}' must be at most {maximum}.", code="out_of_range", field=field)
    return value


@overload
def read_percent(data: Fields, name: str, *, prefix: str = "", required: Literal[True], default: None = None,
                 maximum: int = 100) -> int: ...
@overload
def read_percent(data: Fields, name: str, *, prefix: str = "", required: bool = False, default: int,
                 maximum: int = 100) -> int: ...
@overload
def read_percent(data: Fields, name: str, *, prefix: str = "", required: bool = False, default: None = None,
                 maximum: int = 100) -> int | None: ...
def read_percent(  # noqa: PLR0913 (keyword options are the readers' contract)
        data: Fields, name: str, *, prefix: str = "", required: bool = False, default: int | None = None,
        maximum: int = 100) -> int | None:
    """A percentage with at most two decimals, returned in basis points (5.25 -> 525)."""
    field, value = _fetch(data, name, prefix, required)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"'{field}' must be a number.", code="invalid_type", field=field)
    if not 0 <= value <= maximum:  # before any arithmetic: 1e308 * 100 is no number to round
        raise InvalidInput(f"'{field}' must be between 0 and {maximum}.", code="out_of_range", field=field)
    basis_points = round(value * 100)
    if abs(value * 100 - basis_points) > _DECIMALS_TOLERANCE:
        raise InvalidInput(f"'{field}' may have at most two decimals.", code="invalid_value", field=field)
    return basis_points


@overload
def read_bool(data: Fields, name: str, *, prefix: str = "", required: Literal[True], default: None = None) -> bool: ...
@overload
def read_bool(data: Fields, name: str, *, prefix: str = "", required: bool = False, default: bool) -> bool: ...
@overload
def read_bool(data: Fields, name: str, *, prefix: str = "", required: bool = False,
              default: None = None) -> bool | None: ...
def read_bool(data: Fields, name: str, *, prefix: str = "", required: bool = False,
              default: bool | None = None) -> bool | None:
    field, value = _fetch(data, name, prefix, required)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidInput(f"'{field}' must be true or false.", code="invalid_type", field=field)
    return value


def read_list(data: Fields, name: str, *, prefix: str = "", max_items: int = 100) -> list[Any]:
    field = _path(prefix, name)
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"'{field}' must be a list.", code="invalid_type", field=field)
    if len(value) > max_items:
        raise InvalidInput(f"'{field}' may hold at most {max_items} items.", code="too_many", field=field)
    return value


def read_object(data: Fields, name: str, *, prefix: str = "") -> JsonObject | None:
    value = data.get(name)
    if value is None:
        return None
    return require_object(value, _path(prefix, name))


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def parse_day(value: object, field: str) -> date:
    """A calendar day written YYYY-MM-DD."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):  # ASCII digits only
        raise InvalidInput(f"'{field}' must be a date written YYYY-MM-DD.", code="invalid_format", field=field)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"'{field}' is not a real calendar date.", code="invalid_value", field=field) from None
    if not FIRST_DAY <= day <= LAST_DAY:  # days are shifted and spanned: year 1 or 9999 overflows
        raise InvalidInput(f"'{field}' must be between {FIRST_DAY} and {LAST_DAY}.", code="out_of_range", field=field)
    return day


class Defined(Protocol):
    """A program's definition (a product rule, an offer, a challenge): named by an id unique in its list."""

    @property
    def id(self) -> str: ...


def read_definitions[D: Defined](raw: object, prefix: str, *, most: int, noun: str,
                                 parse_one: Callable[[object, str], D]) -> tuple[D, ...]:
    """A list of a program's definitions (`mechanics.products`, `.offers`, `.challenges`): null is none,
    at most `most`, each read by `parse_one` at `prefix[i]`, their ids unique."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInput(f"'{prefix}' must be a list.", code="invalid_type", field=prefix)
    if len(raw) > most:
        raise InvalidInput(f"At most {most} {noun}s.", code="too_many", field=prefix)
    found: list[D] = []
    for index, item in enumerate(raw):
        one = parse_one(item, f"{prefix}[{index}]")
        if any(known.id == one.id for known in found):
            raise InvalidInput(f"The {noun} id '{one.id}' is used twice.", code="duplicate",
                               field=f"{prefix}[{index}].id")
        found.append(one)
    return tuple(found)
