"""NPS and CSI surveys after a purchase: whether a sale asks one, and the scores' arithmetic. Pure.

A program's `mechanics.survey` asks one question a while after a purchase: NPS ("how likely are you to
recommend us", 0 to 10) or CSI ("how satisfied are you", 1 to 5). Which receipts ask is decided by a
hash of the receipt's id against `sample_percent` (the same receipt always decides the same way, so a
replayed or retried receipt never asks twice and the share asked is the share set), and a card is asked
at most once per `period_days` (the day it was last asked is kept on the card: `CardState.surveyed_on`).

Answers are counted by day like the other analytics counters (`answer_counts`), so a period's NPS and
CSI are sums of its days' counters:
- NPS = % promoters (9-10) - % detractors (0-6) of the period's answers, a whole number from -100 to 100
  (rounded half up: 12.5 is 13, -12.5 is -12); passives (7-8) count in the answers only;
- CSI = the average score (1-5), two decimals.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.core import program_texts
from chalicelib.core import validation as v
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import InvalidInput

if TYPE_CHECKING:
    from chalicelib.core.mechanics import Mechanics

KINDS = ("nps", "csi")
SCALES = {"nps": (0, 10), "csi": (1, 5)}  # the lowest and highest score, both allowed
PROMOTER, PASSIVE = 9, 7  # NPS: 9-10 promote, 7-8 are passive, 0-6 detract
MAX_DELAY_MINUTES = 10080  # a week
QUESTION_MAX = 200
COMMENT_MAX = 500
_FIELDS = {"kind", "delay_minutes", "sample_percent", "period_days", "question"}

# The daily counters an answer adds to (core/analytics.py keeps them with the others).
COUNTERS = ("survey_promoters", "survey_passives", "survey_detractors", "survey_csi_sum", "survey_csi_answers")


@dataclass(frozen=True)
class SurveySettings:
    kind: str = "nps"
    delay_minutes: int = 120  # after the purchase; then moved past the program's quiet hours
    sample_percent: int = 100  # of receipts with a card that ask
    period_days: int = 30  # a card is asked at most once in this many days
    question: program_texts.Localized | None = None  # the owner's own wording; None: the catalogue's


def parse(raw: object, prefix: str) -> SurveySettings | None:
    """`mechanics.survey` as sent: null turns surveys off; an object is the whole setting (fields left
    out take their defaults). Errors name the field (`mechanics.survey.sample_percent`)."""
    if raw is None:
        return None
    data = v.require_object(raw, prefix)
    v.reject_unknown(data, _FIELDS, prefix)
    base = SurveySettings()
    return SurveySettings(
        kind=v.read_str(data, "kind", prefix=prefix, choices=KINDS, default=base.kind),
        delay_minutes=v.read_int(data, "delay_minutes", prefix=prefix, minimum=0, maximum=MAX_DELAY_MINUTES,
                                 default=base.delay_minutes),
        sample_percent=v.read_int(data, "sample_percent", prefix=prefix, minimum=1, maximum=100,
                                  default=base.sample_percent),
        period_days=v.read_int(data, "period_days", prefix=prefix, minimum=1, maximum=365, default=base.period_days),
        question=program_texts.read(data, "question", prefix=prefix, max_len=QUESTION_MAX),
    )


def to_json(settings: SurveySettings | None) -> dict[str, Any] | None:
    if settings is None:
        return None
    data: dict[str, Any] = {"kind": settings.kind, "delay_minutes": settings.delay_minutes,
                            "sample_percent": settings.sample_percent, "period_days": settings.period_days}
    if settings.question is not None:
        data["question"] = dict(settings.question) if isinstance(settings.question, dict) else settings.question
    return data


# --- who is asked ----------------------------------------------------------------------------------

def sampled(receipt_ref: str, sample_percent: int) -> bool:
    """Whether a receipt falls in the sample: its id's hash, as a number 0..9999, below the share set.
    Receipt ids are the POS's (often sequential): a hash spreads them evenly."""
    bucket = int(hashlib.sha256(f"survey:{receipt_ref}".encode()).hexdigest()[:8], 16) % 10_000
    return bucket < sample_percent * 100


def due(surveyed_on: str | None, mechanics: Mechanics, sale: Sale) -> bool:
    """Whether this sale asks its card a survey (sampling and at most one per period)."""
    settings = mechanics.survey
    if settings is None:
        return False
    if surveyed_on is not None:
        since = (sale.today - timedelta(days=settings.period_days - 1)).isoformat()
        if surveyed_on >= since:  # asked within the period (today included)
            return False
    return sampled(sale.receipt_ref, settings.sample_percent)


def expires_on(asked_at: date, valid_days: int) -> date:
    """The last day a survey sent on `asked_at` can be answered."""
    return asked_at + timedelta(days=valid_days)


# --- answers ---------------------------------------------------------------------------------------

def read_score(kind: str, raw: object) -> int:
    """A score as a form posts it (a string of digits) or JSON does (an integer), within the kind's scale."""
    low, high = SCALES[kind]
    text = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 2) or not low <= int(text) <= high:  # noqa: PLR2004 (10 has two digits)
        raise InvalidInput(f"'score' must be a whole number from {low} to {high}.", code="invalid_value",
                           field="score")
    return int(text)


def read_comment(raw: object) -> str | None:
    """An optional comment: at most COMMENT_MAX characters, no control characters but newlines."""
    comment = v.read_str({"comment": raw}, "comment", max_len=COMMENT_MAX)
    return comment or None


def nps_group(score: int) -> str:
    if score >= PROMOTER:
        return "promoters"
    return "passives" if score >= PASSIVE else "detractors"


def answer_counts(kind: str, score: int) -> dict[str, int]:
    """The daily counters one answer adds."""
    if kind == "nps":
        return {f"survey_{nps_group(score)}": 1}
    return {"survey_csi_sum": score, "survey_csi_answers": 1}


def nps(counts: Mapping[str, int]) -> dict[str, int] | None:
    """A period's NPS from its counters; None without an NPS answer."""
    promoters, passives = counts.get("survey_promoters", 0), counts.get("survey_passives", 0)
    detractors = counts.get("survey_detractors", 0)
    answers = promoters + passives + detractors
    if not answers:
        return None
    score = (200 * (promoters - detractors) + answers) // (2 * answers)  # 100 (P - D) / N, rounded half up
    return {"score": score, "promoters": promoters, "passives": passives, "detractors": detractors,
            "answers": answers}


def csi(counts: Mapping[str, int]) -> dict[str, Any] | None:
    """A period's CSI (the average score) from its counters; None without a CSI answer."""
    answers = counts.get("survey_csi_answers", 0)
    if not answers:
        return None
    return {"average": round(counts.get("survey_csi_sum", 0) / answers, 2), "answers": answers}


def totals(days: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The survey counters of several days added up."""
    summed: dict[str, int] = {}
    for counts in days:
        for name in COUNTERS:
            if counts.get(name):
                summed[name] = summed.get(name, 0) + counts[name]
    return summed


def by_month(days: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """NPS and CSI of each calendar month with answers among `days` ({ISO day: counters}), oldest first."""
    months: dict[str, list[Mapping[str, int]]] = {}
    for day, counts in sorted(days.items()):
        months.setdefault(day[:7], []).append(counts)
    rows = []
    for month, counted in months.items():
        summed = totals(counted)
        if summed:
            rows.append({"month": month, "nps": nps(summed), "csi": csi(summed)})
    return rows
