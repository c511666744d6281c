"""A program's branding: what the wallet card and the pages look like. Validated like mechanics.
Its description, terms and logo text may be written per language (core/program_texts.py).
`locations_on_pass`: whether the wallet card names the program's locations, so that the phone offers
it near one of them (core/locations.py for_pass); on unless the owner turns it off."""
import re
from typing import Any

from chalicelib.core import program_texts
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

DEFAULTS = {
    "background_color": "#1f2937",
    "foreground_color": "#ffffff",
    "label_color": "#d1d5db",
    "logo_text": None,
    "organization_name": None,
    "description": None,
    "terms": None,
    "website": None,
    "locations_on_pass": True,
}
_SHORT_HEX = 3  # '#rgb'
_CHANNEL_MAX = 255
_TEXT_LIMITS = {"logo_text": 40, "organization_name": 80, "description": 200, "terms": 2000}
LOCALIZED = ("logo_text", "description", "terms")  # a string, or {"ru": …, "en": …}


def parse_color(value: object, field: str) -> str:
    """'#RRGGBB', '#RGB' or 'rgb(r, g, b)' to canonical '#rrggbb'."""
    if not isinstance(value, str):
        raise InvalidInput(f"'{field}' must be a colour string.", code="invalid_type", field=field)
    text = value.strip().lower()
    match = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", text)
    if match:
        hex_part = match.group(1)
        if len(hex_part) == _SHORT_HEX:
            hex_part = "".join(ch * 2 for ch in hex_part)
        return "#" + hex_part
    match = re.fullmatch(r"rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)", text)
    if match and all(int(part) <= _CHANNEL_MAX for part in match.groups()):
        return "#" + "".join(f"{int(part):02x}" for part in match.groups())
    raise InvalidInput(f"'{field}' must be a colour like #1f2937 or rgb(31, 41, 55).",
                       code="invalid_format", field=field)


def as_rgb(color: str) -> str:
    """'#1f2937' -> 'rgb(31, 41, 55)', the form Apple Wallet documents."""
    return "rgb({}, {}, {})".format(*(int(color[i:i + 2], 16) for i in (1, 3, 5)))


def parse(data: object, base: dict[str, Any] | None = None) -> dict[str, Any]:
    data = v.require_object(data, "branding")
    v.reject_unknown(data, DEFAULTS, "branding")
    result: dict[str, Any] = dict(DEFAULTS)
    result.update(base or {})
    for name in ("background_color", "foreground_color", "label_color"):
        if data.get(name) is not None:
            result[name] = parse_color(data[name], f"branding.{name}")
    for name, limit in _TEXT_LIMITS.items():
        if name in data:
            result[name] = (program_texts.read(data, name, prefix="branding", max_len=limit) if name in LOCALIZED
                            else v.read_str(data, name, prefix="branding", max_len=limit))
    if "locations_on_pass" in data:  # null: back to the default
        result["locations_on_pass"] = v.read_bool(data, "locations_on_pass", prefix="branding", default=True)
    if "website" in data:
        result["website"] = v.read_str(data, "website", prefix="branding", max_len=300,
                                       pattern=r"https://[^\s<>\"']+")
    return result


def in_language(branding: dict[str, Any] | None, lang: str | None) -> dict[str, Any]:
    """The branding as a reader of `lang` sees it: each text of LOCALIZED in their language (see
    program_texts.pick), everything else as stored."""
    brand = dict(branding or {})
    for name in LOCALIZED:
        if name in brand:
            brand[name] = program_texts.pick(brand[name], lang)
    return brand


def locations_on_pass(branding: dict[str, Any] | None) -> bool:
    """Whether the program's wallet cards carry its locations (the owner's switch; on when never set)."""
    return (branding or {}).get("locations_on_pass", True) is not False
