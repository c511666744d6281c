"""An error answered to a customer's form, told in the page's language at the field it concerns.

The API's messages are written for integrators ("'name' is required."), in English, naming fields;
a person reads these instead: one catalogue text per field and code (`form_<field>_<code>`), else per
field (`form_<field>_invalid`), else per code (`form_rate_limited`), never an internal name."""
from dataclasses import dataclass

from chalicelib.core import texts
from chalicelib.errors import AppError


@dataclass(frozen=True)
class FieldError:
    field: str | None  # a field the form shows (its message goes under it), or None (the summary only)
    message: str


def told(error: AppError, lang: str, shown: frozenset[str]) -> tuple[FieldError, ...]:
    """Every fault in `error` (all of an enrollment's, see core.enrollment.FormErrors) for a form
    whose fields are `shown`."""
    faults = getattr(error, "errors", None) or (error,)
    return tuple(FieldError(fault.field if fault.field in shown else None, message(fault, lang, shown))
                 for fault in faults)


def message(fault: AppError, lang: str, shown: frozenset[str]) -> str:
    catalogue = texts.CATALOGUE[texts.language(lang)]
    field, code = fault.field, fault.code
    kind = "required" if code == "required" else "invalid"
    candidates = (f"form_{field}_{code}", f"form_{field}_{kind}") if field in shown else ()
    for key in (*candidates, f"form_{code}"):
        if key in catalogue:
            return catalogue[key]
    return catalogue["form_field_invalid" if field in shown else "form_failed"]
