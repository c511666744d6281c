"""Templates rendered to text: the customer pages' and emails' Jinja2 environment. Their words are the
catalogue's (core/texts.py), in Russian or English; `word(n, "points")` gives a counted word that agrees
with its number."""
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from chalicelib import assets
from chalicelib.core import branding, texts

if TYPE_CHECKING:  # only for the annotation: Jinja2 itself loads on first use (below)
    import jinja2

@lru_cache(maxsize=1)
def environment() -> "jinja2.Environment":
    # lazy: Jinja2 costs about 48 ms of import (python -X importtime, 2 cores), paid by the first page
    # instead of every cold start (the POS and the passkit routes never render a page)
    import jinja2  # noqa: PLC0415

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(assets.directory("templates"))),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render_text(template: str, locale: str, **context: Any) -> str:
    """A template rendered to a string (pages, emails); the program's own texts in `brand` (description,
    terms, logo text) in the page's language."""
    other = "en" if locale == "ru" else "ru"
    if "brand" in context:
        context["brand"] = branding.in_language(context["brand"], locale)
    counted: Callable[[int, str], str] = partial(texts.word, lang=locale)
    words = texts.CATALOGUE[texts.language(locale)]
    return environment().get_template(template).render(t=words, locale=locale, other_locale=other,
                                                        word=counted, **context)
