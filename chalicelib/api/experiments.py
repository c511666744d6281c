"""Admin routes for experiments (issue 17): a program's control groups and A/B variants, their reports
(uplift with 95% intervals, verdicts, ROMI, the daily chart), the CSV of assignments and outcomes, and
ROMI by month. Scoped to the token's merchant like every /admin/programs route: another merchant's
program or experiment is 404. Campaign experiments are made with their campaign (api/admin.py); the
triggers' are started and stopped here."""
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib import auth, lazy, log
from chalicelib.api.http import JSON, api, json_body, json_response, query
from chalicelib.errors import InvalidInput
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program

# The experiments' use case pulls the channels, the notices and the uplift statistics, and the export
# the CSV writer with analytics (+25 ms on import app): only these routes load them.
if TYPE_CHECKING:
    from chalicelib.usecases import experiments, exports
else:
    experiments, exports = (lazy.module(f"chalicelib.usecases.{name}") for name in ("experiments", "exports"))

bp = Blueprint(__name__)
MONTH = re.compile(r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")
BASE = "/admin/programs/{program_id}/experiments"


def _now() -> datetime:
    return datetime.now(UTC)


def _principal(permission: str) -> auth.Principal:
    principal = auth.verify_admin_token(bp.current_request.headers.get("authorization"))
    principal.require(permission)
    log.bind(actor_role=principal.role)
    return principal


def _program(permission: str, program_id: str) -> tuple[auth.Principal, Program]:
    principal = _principal(permission)
    return principal, program_store.get_for_merchant(principal.merchant_id or "", program_id)


def _shown(principal: auth.Principal, view: dict[str, Any]) -> dict[str, Any]:
    """A campaign's texts are not for those who may not read campaigns (analysts): their variants' texts
    are left out, as the campaign routes leave them out."""
    if principal.can("campaigns:read"):
        return view
    return {**view, "variants": [{**variant, "texts": None} for variant in view.get("variants", [])]}


@bp.route(BASE, methods=["GET"])
@api
def list_experiments(program_id: str) -> Response:
    principal, program = _program("experiments:read", program_id)
    return json_response({"items": [_shown(principal, dict(item)) for item in experiments.listing(program)]})


@bp.route(BASE, methods=["POST"], content_types=[JSON])
@api
def start_experiment(program_id: str) -> Response:
    principal, program = _program("experiments:write", program_id)
    view = experiments.start(program, json_body(bp.current_request), principal.subject, _now())
    log.info("experiment_started", program_id=program.program_id, experiment_id=view["id"], subject=view["subject"])
    return json_response(view, 201)


@bp.route(BASE + "/{experiment_id}", methods=["GET"])
@api
def get_experiment(program_id: str, experiment_id: str) -> Response:
    principal, program = _program("experiments:read", program_id)
    return json_response(_shown(principal, dict(experiments.view(experiments.get(program, experiment_id)))))


@bp.route(BASE + "/{experiment_id}/stop", methods=["POST"])
@api
def stop_experiment(program_id: str, experiment_id: str) -> Response:
    principal, program = _program("experiments:write", program_id)
    view = experiments.stop(program, experiment_id, principal.subject, _now())
    log.info("experiment_stopped", program_id=program.program_id, experiment_id=experiment_id)
    return json_response(view)


@bp.route(BASE + "/{experiment_id}/report", methods=["GET"])
@api
def experiment_report(program_id: str, experiment_id: str) -> Response:
    principal, program = _program("experiments:read", program_id)
    answer = experiments.report(program, experiment_id, _now(), query(bp.current_request, "location_id"))
    answer["experiment"] = _shown(principal, dict(answer["experiment"]))
    log.info("experiment_report", program_id=program.program_id, experiment_id=experiment_id,
             items_read=answer.get("items_read"))
    return json_response(answer)


def columns_of(windows: list[int]) -> tuple[str, ...]:
    """The export's columns: the card, its group and cost, then visits, revenue and points per window, and
    the card's home location when it was exposed (empty: none)."""
    per_window = tuple(f"{name}_{days}d" for days in windows for name in ("visits", "revenue", "points"))
    return ("card", "group", "exposed_on", "bonus", "message_cost", *per_window, "location_id")


@bp.route(BASE + "/{experiment_id}/export", methods=["GET"])
@api
def export_experiment(program_id: str, experiment_id: str) -> Response:
    _, program = _program("experiments:read", program_id)
    experiment = experiments.get(program, experiment_id)
    cursor = query(bp.current_request, "cursor")
    rows, following = experiments.export_page(program, experiment_id, cursor, limit=experiments.EXPORT_PAGE)
    text = exports.table(columns_of([int(days) for days in experiment.windows]), rows, cursor is None)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="experiment-{experiment_id}-{program.slug}.csv"'}
    if following:
        headers["X-Next-Cursor"] = following
        headers["Link"] = (f"</admin/programs/{program.program_id}/experiments/{experiment_id}/export"
                           f'?cursor={following}>; rel="next"')
    log.info("experiment_export_page", program_id=program.program_id, experiment_id=experiment_id,
             more=bool(following))
    return Response(body=text, status_code=200, headers=headers)


def _month(name: str) -> str | None:
    raw = query(bp.current_request, name)
    if raw is not None and not MONTH.match(raw):
        raise InvalidInput(f"'{name}' is a month: YYYY-MM.", code="invalid_value", field=name)
    return raw


@bp.route("/admin/programs/{program_id}/analytics/romi", methods=["GET"])
@api
def monthly_romi(program_id: str) -> Response:
    _, program = _program("experiments:read", program_id)
    first, last = _month("from"), _month("to")
    if first and last and first > last:
        raise InvalidInput("'from' comes after 'to'.", code="invalid_value", field="from")
    return json_response({"months": experiments.monthly_romi(program, first, last)})
