"""Templates rendered to text: the customer pages' and emails' Jinja2 environment. Their words are the
catalogue's (core/texts.py), in Russian or English; `word(n, "points")` gives a counted word that agrees
with its number."""
import re
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

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(assets.directory("templates"))),
                             autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["linked"] = linked
    return env


# A web link in escaped text: `&amp;` may be part of it, any other character reference ends it.
_LINK = re.compile(r"https?://(?:[^\s<>&]|&amp;)+")


def linked(text: object) -> str:
    """A message's text for an e-mail: escaped, with its web links made clickable (a survey's, a card's).
    The text itself can add no markup."""
    # lazy: markupsafe costs about 10 ms of import (python -X importtime), paid with Jinja2 by the first page
    import markupsafe  # noqa: PLC0415

    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(_LINK.sub(lambda found: f'<a href="{found.group(0)}">{found.group(0)}</a>', escaped))


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
