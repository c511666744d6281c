"""Surveys after a purchase: the customer's one-tap answer behind the message's signed link, the comment
after it, the `survey_answered` bonus, and the owner's report (NPS, CSI, by month, the comments).

The receipt asks (core/surveys.due, the message queued in usecases/decisions.survey_messages, its link
signed when sent in usecases/notices.py); this module is what the link's page does:
- `open_survey`: the survey a token names, with its answer if there is one; 404 for a token we did not
  sign, 410 after its last day;
- `answer`: the score, once per survey (409 `survey_answered` for a second), counted in the analytics
  with the answer's write; then the `survey_answered` bonus, once per card (its own ledger record, so a
  repeat, a retry or a second survey gives nothing more);
- `comment`: an optional comment on the answer, once.
"""
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from chalicelib.commands.queries import PageQuery, PeriodQuery
from chalicelib.core import clock
from chalicelib.core import mechanics as mech
from chalicelib.core import surveys as survey_rules
from chalicelib.errors import AppError, Conflict, NotFound
from chalicelib.store import analytics as analytics_store
from chalicelib.store import programs as program_store
from chalicelib.store import surveys as survey_store
from chalicelib.store.records import Card, Program
from chalicelib.usecases import actions, analytics
from chalicelib.usecases.survey_links import SurveyLink, open_link, question

MAX_REPORT_DAYS = 3660


class SurveyClosed(AppError):
    """410: the survey's time to answer has passed."""

    status = 410
    code = "survey_closed"


@dataclass(frozen=True)
class OpenSurvey:
    link: SurveyLink
    program: Program
    answer: survey_store.Answer | None

    @property
    def card(self) -> Card:
        return self.link.card

    @property
    def scale(self) -> range:
        low, high = survey_rules.SCALES[self.link.kind]
        return range(low, high + 1)

    def question(self, lang: str) -> str:
        settings = mech.from_stored(self.program.mechanics).survey
        return question(settings, self.link.kind, self.program.name, lang)


def open_survey(token: str, now: datetime) -> OpenSurvey:
    """The survey behind a link: NotFound for a token we did not sign (or a card or program gone),
    SurveyClosed after its last day (program-local)."""
    link = open_link(token)
    program = program_store.get(link.card.program_id)
    if program is None:
        raise NotFound("No such survey.")
    if clock.local_day(now, program.timezone) > link.last_day:
        raise SurveyClosed("This survey is closed.")
    return OpenSurvey(link, program, survey_store.answer_of(program.program_id, link.card.card_id, link.survey_id))


def answer(token: str, raw_score: object, now: datetime) -> tuple[OpenSurvey, int]:
    """Record the score; returns the survey and the bonus points it gave (0: none, or given before)."""
    survey = open_survey(token, now)
    if survey.answer is not None:
        _answered_before(survey, now)
    kind = survey.link.kind
    score = survey_rules.read_score(kind, raw_score)
    program, card = survey.program, survey.card
    day = clock.local_day(now, program.timezone).isoformat()
    answered_at = now.astimezone(UTC).isoformat(timespec="microseconds")  # comments list newest first by it
    recorded = survey_store.Answer(card.card_id, kind, score, day, answered_at, None)
    if not survey_store.save_answer(program.program_id, card.card_id, survey.link.survey_id, recorded,
                                    survey_rules.answer_counts(kind, score)):
        _answered_before(survey, now)
    return OpenSurvey(survey.link, program, recorded), _reward(program, card, now)


def _answered_before(survey: OpenSurvey, now: datetime) -> None:
    """A survey answered already: 409. Its bonus is given first if an earlier answer's bonus failed to be
    written (a busy card, a timeout): the ledger's record makes it once per card, so asking again is safe."""
    _reward(survey.program, survey.card, now)
    raise Conflict("This survey was answered already.", code="survey_answered")


def comment(token: str, raw_comment: object, now: datetime) -> OpenSurvey:
    """Add the comment to the survey's answer (once; an empty one adds nothing)."""
    survey = open_survey(token, now)
    if survey.answer is None:
        raise Conflict("Answer the survey first.", code="survey_not_answered")
    text = survey_rules.read_comment(raw_comment)
    if text is None:
        return survey
    if survey.answer.comment is not None or not survey_store.save_comment(
            survey.program.program_id, survey.card.card_id, survey.link.survey_id, text):
        raise Conflict("A comment was left on this survey already.", code="survey_commented")
    return survey


def _reward(program: Program, card: Card, now: datetime) -> int:
    """The `survey_answered` action bonus, once per card (usecases/actions.py): the points given now, 0
    when there is none, the card had it, or is blocked."""
    given = actions.reward(program, card, "survey_answered", now)
    return given["points"] if given is not None else 0


# --- the owner's report -------------------------------------------------------------------------------

class CommentRow(TypedDict):
    answered_at: str
    score: int
    comment: str | None
    card_id: str
    kind: str


class CommentsPage(TypedDict):
    items: list[CommentRow]
    next_cursor: str | None


SurveyReport = TypedDict("SurveyReport", {
    "from": str, "to": str, "nps": dict[str, int] | None, "csi": dict[str, Any] | None,
    "by_month": list[dict[str, Any]], "comments": CommentsPage})
SurveyReport.__doc__ = "A period's survey answers: NPS and CSI, month by month, and the comments newest first."


def report(program: Program, asked: PeriodQuery, page: PageQuery, now: datetime) -> SurveyReport:
    start, end = analytics.period(program, asked, now, MAX_REPORT_DAYS)
    days = analytics_store.read_period(program.program_id, start.isoformat(), end.isoformat()).days
    found, cursor = survey_store.comments_newest_first(program.program_id, start.isoformat(), end.isoformat(),
                                                       page.limit, page.cursor)
    items: list[CommentRow] = [{"answered_at": row.answered_at, "score": row.score, "comment": row.comment,
                                "card_id": row.card_id, "kind": row.kind} for row in found]
    totals = survey_rules.totals(days.values())
    return {"from": start.isoformat(), "to": end.isoformat(), "nps": survey_rules.nps(totals),
            "csi": survey_rules.csi(totals), "by_month": survey_rules.by_month(days),
            "comments": {"items": items, "next_cursor": cursor}}
