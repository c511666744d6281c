"""Surveys (issue 16): the customer's one-tap survey page behind the message's signed link, and the
owner's survey report.

The page needs no script: GET shows the question and a button per score (a link scanner that opens
the link answers nothing); each button posts the form with its score; the thank-you page offers an
optional comment, posted to the same address. In the card's language (ru or en)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api import pages
from chalicelib.api.http import FORM, api, form_body, json_response, locale_of
from chalicelib.api.join import client_address
from chalicelib.commands import queries
from chalicelib.core import mechanics as mech
from chalicelib.core import surveys as survey_rules
from chalicelib.core import texts
from chalicelib.errors import AppError, Conflict, InvalidInput, NotFound
from chalicelib.store import programs as program_store
from chalicelib.usecases import guards

# The survey's use cases pull the ledger's write path (the answer's bonus) and the analytics (the report):
# +80 ms on import app (python -X importtime, median of 3 on 2 shared cores); loaded by these routes only.
if TYPE_CHECKING:
    from chalicelib.usecases import surveys as survey_cases
else:
    survey_cases = lazy.module("chalicelib.usecases.surveys")

bp = Blueprint(__name__)

MAX_TOKEN = 160  # a card id (64), the survey (17), the day (8), the signature (32) and the dots


def _action(token: str) -> str:
    return f"/survey/{token}"


def _words(locale: str) -> dict[str, str]:
    return texts.CATALOGUE[texts.language(locale)]


def _message_page(locale: str, status: int, message: str, program_name: str = "", brand: dict | None = None,
                  ) -> Response:
    return pages.render("survey.html", locale, status, brand=brand or {}, program_name=program_name, step="done",
                        message=message)


def _refusal_page(error: AppError, locale: str, survey: survey_cases.OpenSurvey | None = None) -> Response:
    """What a refused survey link or post shows: not found (404), closed (410), answered already (409)."""
    words = _words(locale)
    if isinstance(error, survey_cases.SurveyClosed):
        return _message_page(locale, 410, words["survey_expired"])
    if isinstance(error, Conflict):
        name, brand = (survey.program.name, survey.program.branding) if survey else ("", None)
        return _message_page(locale, 409, words["survey_already"], name, brand)
    return _message_page(locale, 404, words["survey_not_found"])


def _opened(token: str, now: datetime) -> survey_cases.OpenSurvey:
    """The survey behind the link, behind the card-link limits (a miss counts as one, so guessing ends in
    429 long before it could succeed)."""
    address = client_address(bp.current_request)
    guards.before_card_link(address, now)
    if len(token) > MAX_TOKEN:
        guards.card_link_missed(address, now)
        raise NotFound("No such survey.")
    try:
        return survey_cases.open_survey(token, now)
    except NotFound:
        guards.card_link_missed(address, now)
        raise


def _locale(survey: survey_cases.OpenSurvey) -> str:
    return survey.card.locale if survey.card.locale in ("ru", "en") else locale_of(bp.current_request)


def _ask_page(survey: survey_cases.OpenSurvey, token: str, status: int = 200, error: str | None = None) -> Response:
    locale = _locale(survey)
    return pages.render("survey.html", locale, status, brand=survey.program.branding,
                        program_name=survey.program.name, step="ask", kind=survey.link.kind,
                        scale=survey.scale, question=survey.question(locale), action=_action(token), error=error)


def _thanks_page(survey: survey_cases.OpenSurvey, token: str, bonus: int = 0, status: int = 200,
                 error: str | None = None) -> Response:
    return pages.render("survey.html", _locale(survey), status, brand=survey.program.branding,
                        program_name=survey.program.name, step="thanks", bonus=bonus, action=_action(token),
                        comment_max=survey_rules.COMMENT_MAX, error=error,
                        unit=mech.from_stored(survey.program.mechanics).unit)


@bp.route("/survey/{token}", methods=["GET"])
@api
def survey_page(token: str) -> Response:
    """The question and its buttons; 'answered already' once answered."""
    locale = locale_of(bp.current_request)
    try:
        survey = _opened(token, datetime.now(UTC))
    except (NotFound, survey_cases.SurveyClosed) as error:
        return _refusal_page(error, locale)
    if survey.answer is not None:
        return _message_page(_locale(survey), 200, _words(_locale(survey))["survey_already"], survey.program.name,
                             survey.program.branding)
    return _ask_page(survey, token)


@bp.route("/survey/{token}", methods=["POST"], content_types=[FORM])
@api
def survey_answer(token: str) -> Response:
    """`score`: the answer (one tap); `comment`: the thank-you page's comment on it."""
    request, now = bp.current_request, datetime.now(UTC)
    locale = locale_of(request)
    data = form_body(request)
    try:
        survey = _opened(token, now)
    except (NotFound, survey_cases.SurveyClosed) as error:
        return _refusal_page(error, locale)
    words = _words(_locale(survey))
    try:
        if "score" in data:
            answered, bonus = survey_cases.answer(token, data["score"], now)
            log.info("survey_answered", program_id=survey.program.program_id, kind=survey.link.kind)
            return _thanks_page(answered, token, bonus)
        if "comment" in data:
            survey_cases.comment(token, data["comment"], now)
            return _message_page(_locale(survey), 200, words["survey_comment_thanks"], survey.program.name,
                                 survey.program.branding)
        raise InvalidInput("Send a score.", code="required", field="score")
    except InvalidInput as error:
        if error.field == "comment" or "score" not in data and survey.answer is not None:
            return _thanks_page(survey, token, status=400, error=words["form_field_invalid"])
        return _ask_page(survey, token, 400, words["form_field_invalid"])
    except Conflict as error:
        return _refusal_page(error, _locale(survey), survey)


# --- the owner's report ---------------------------------------------------------------------------------

@bp.route("/admin/programs/{program_id}/surveys", methods=["GET"])
@api
def survey_report(program_id: str) -> Response:
    """NPS, CSI and the comments of a period (`?from=&to=`, comments `?limit=&cursor=`), analytics:read."""
    request = bp.current_request
    principal = auth.verify_admin_token(request.headers.get("authorization"))
    principal.require("analytics:read")
    log.bind(actor_role=principal.role)
    program = program_store.get_for_merchant(principal.merchant_id or "", program_id)
    period = queries.read_period(request.query_params)
    page = queries.read_page(request.query_params, max_limit=100)
    return json_response(survey_cases.report(program, period, page, datetime.now(UTC)))
