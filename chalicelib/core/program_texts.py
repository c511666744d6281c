"""A program's own words in each language it offers: its description, terms, logo text and tier names.

An owner writes each of them as a plain string (one language: every reader sees it) or as an object
with one text per language, `{"ru": "Кофейня у дома", "en": "The corner cafe"}`. The first language
of the object is the program's main one: a reader whose language the owner did not write sees it.
`pick` is the one place that choice is made (pages, passes, Google objects, messages, admin views).
"""
from collections.abc import Mapping

from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

LOCALES = ("ru", "en")  # the languages customers read (core/texts.py's catalogue has each)

Localized = str | dict[str, str]  # what is stored and answered: a plain text or {locale: text}


def pick(value: object, lang: str | None) -> str | None:
    """The text for a reader of `lang`: theirs if the owner wrote it, else the program's first
    language's, else any; a plain string is everyone's. None when there is no text."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        if lang is not None and value.get(lang):
            return str(value[lang])
        return next((str(text) for text in value.values() if text), None)
    return None


def read(data: v.Fields, name: str, *, prefix: str, max_len: int, required: bool = False) -> Localized | None:
    """A text as the owner sent it: a string (as ever), or an object of known locales, each a non-empty
    string within `max_len` (errors name the locale: `branding.description.en`)."""
    raw = data.get(name)
    if not isinstance(raw, dict):
        return v.read_str(data, name, prefix=prefix, max_len=max_len, required=required)
    field = f"{prefix}.{name}"
    if not raw:
        raise InvalidInput(f"'{field}' needs a text in at least one language: {', '.join(LOCALES)}.",
                           code="required", field=field)
    v.reject_unknown(raw, LOCALES, field)
    return {locale: v.read_str(raw, locale, prefix=field, max_len=max_len, required=True) for locale in raw}
