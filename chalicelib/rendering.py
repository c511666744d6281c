"""Templates rendered to text: the customer pages' and emails' Jinja2 environment. Their words are the
catalogue's (core/texts.py), in Russian or English; `word(n, "points")` gives a counted word that agrees
with its number."""
from collections.abc import Callable
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from chalicelib import assets
from chalicelib.core import texts
from chalicelib.core.mechanics import Mechanics, Tier

if TYPE_CHECKING:  # only for the annotation: Jinja2 itself loads on first use (below)
    import jinja2

# The catalogue under the name the blueprints and guards read it by (api/pages.py, api/join.py,
# usecases/guards.py); new code imports chalicelib.core.texts.
STRINGS = texts.CATALOGUE
_PER_PERCENT = 100


@lru_cache(maxsize=1)
def environment() -> "jinja2.Environment":
    # lazy: Jinja2 costs about 48 ms of import (python -X importtime, 2 cores), paid by the first page
    # instead of every cold start (the POS and the passkit routes never render a page)
    import jinja2  # noqa: PLC0415

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(assets.directory("templates"))),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def _rules_from_figures(context: dict[str, Any], locale: str) -> tuple[str, ...]:
    """The card page's rules from the figures its view code passes (`earn_percent`, `redeem_cap`,
    `lifetime_days`) when it passes no `rules` (texts.rules of the program's mechanics and the card's
    tier, which also tells a cashback program's own first line): told with the catalogue's words."""
    tier = Tier("shown", "", 0, round(context["earn_percent"] * _PER_PERCENT))
    told = Mechanics(tiers=(tier,), redeem_cap_bp=round(context["redeem_cap"] * _PER_PERCENT),
                     lifetime_days=context.get("lifetime_days"))
    return texts.rules(told, tier.id, locale)


def render_text(template: str, locale: str, **context: Any) -> str:
    """A template rendered to a string (pages, emails)."""
    other = "en" if locale == "ru" else "ru"
    if "rules" not in context and "earn_percent" in context:
        context["rules"] = _rules_from_figures(context, locale)
    counted: Callable[[int, str], str] = partial(texts.word, lang=locale)
    return environment().get_template(template).render(t=STRINGS[locale], locale=locale, other_locale=other,
                                                        word=counted, **context)
