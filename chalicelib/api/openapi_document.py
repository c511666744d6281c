"""The HTTP API described in OpenAPI 3.1, served at `GET /openapi.json` (api/openapi.py, the route, loads
this module on the first request: its builders and what they read cost ~11 ms that no other route needs).

One place: this module builds the document as a Python dict. Python rather than a JSON file because
the limits it states are the code's own constants (id patterns, slug pattern, money bounds, the JSON
parser's bounds), so the description cannot say one number while the code enforces another, and
repeated shapes (the error body, pages, signed POS calls) are written once. Nothing is built at import:
the first request builds and serialises the document and the process keeps the text (no cold-start
cost for other routes). tests/api/test_openapi.py checks it against the routes Chalice registers, so a
route without an entry here fails that test with its name.
"""
import functools
import json
from collections.abc import Iterable
from typing import Any

from chalicelib.commands import admin as admin_commands
from chalicelib.commands import passkit as passkit_commands
from chalicelib.commands import staff as staff_commands  # accounts
from chalicelib.core import enrollment as enrollment_rules  # accounts: the e-mail pattern
from chalicelib.core import limits as limit_rules
from chalicelib.core import locations, texts
from chalicelib.core import retention as retention_rules
from chalicelib.core import validation as v
from chalicelib.usecases import deliveries
from chalicelib.usecases import member_export as member_export_rules  # issue 19: its limits
from chalicelib.usecases import pos as pos_cases
from chalicelib.usecases import recovery as recovery_rules

Schema = dict[str, Any]  # an OpenAPI object (schema, operation, answer), as JSON
Security = list[dict[str, list[str]]]  # an operation's security requirements

@functools.cache
def document_text() -> str:
    return json.dumps(document(), ensure_ascii=False, separators=(",", ":"))


# --- building blocks -----------------------------------------------------------------------------

def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: tuple[str, ...] = (), /, **properties: Any) -> Schema:
    """An object schema. Answers stay open (new fields may be added); bodies we read are `_closed`."""
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _closed(required: tuple[str, ...] = (), /, **properties: Any) -> Schema:
    """An object schema that refuses members it does not name (a body we read strictly)."""
    return _obj(required, **properties) | {"additionalProperties": False}


# What every string field we read refuses (core/validation.read_str): control characters other than tab
# and newline. A field with its own `pattern` states its full alphabet instead.
_NO_CONTROLS = "^[^\\u0000-\\u0008\\u000b-\\u001f]*$"


def _s(max_len: int = 200, **extra) -> dict:
    return {"type": "string", "maxLength": max_len, "pattern": _NO_CONTROLS, **extra}


def _int(minimum=None, maximum=None) -> dict:
    schema = {"type": "integer"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _localized(max_len: int) -> dict:
    """A program's own text: one string, or one per language (README: Customer texts)."""
    per_language = _closed((), **{lang: _s(max_len, minLength=1) for lang in texts.LANGUAGES}) | {"minProperties": 1}
    return {"anyOf": [_s(max_len), per_language]}


_STRING = {"type": "string"}
_NSTRING = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}

_ERROR_TEXT = {
    400: "Malformed or invalid input (the JSON parser's limits included); `field` names the culprit.",
    401: "Missing or bad credentials.",
    403: "Authenticated, but this role may not do this.",
    404: "Not found (also another merchant's objects).",
    409: "Conflict: a repeated id with another body, a phone already enrolled, or `conflict_retry` (the card kept "
         "changing under the request: nothing was written, send it again after Retry-After).",
    413: "The body is larger than 256 KiB.",
    415: "The Content-Type is not one this route reads.",
    422: "Valid, but refused by the program's rules.",
    429: "Rate limited (`rate_limited`): wait for the seconds in Retry-After.",
    503: "Not now: `busy` (DynamoDB kept refusing the write; nothing was written, retry after Retry-After), or a "
         "service we need could not be reached (`code_not_sent`, `google_wallet_unavailable`: retry in a minute).",
}
_RETRY_AFTER_SCHEMA = {"type": "string", "pattern": "^[1-9][0-9]*$"}
# A 429 always carries Retry-After; a 409 or 503 does when it is contention (errors.TryAgain).
_RETRY_AFTER = {429: {"Retry-After": {"description": "Seconds to wait before retrying.", "required": True,
                                      "schema": _RETRY_AFTER_SCHEMA}},
                409: {"Retry-After": {"description": "Seconds to wait before sending the same request again (with "
                                                     "`conflict_retry` only).", "schema": _RETRY_AFTER_SCHEMA}},
                503: {"Retry-After": {"description": "Seconds to wait before retrying (with `busy`).",
                                      "schema": _RETRY_AFTER_SCHEMA}}}


def _error(status: int, html: bool = False) -> dict:
    """The contract's error body; `html`: a form post gets its page again with the same status instead."""
    answer: Schema = {"description": _ERROR_TEXT[status], "content": {"application/json": {"schema": _ref("Error")}}}
    if html:
        answer["content"]["text/html"] = {"schema": _STRING}
    if status in _RETRY_AFTER:
        answer["headers"] = _RETRY_AFTER[status]
    return answer


def _json(schema: dict, description: str = "OK", headers: dict | None = None) -> dict:
    answer = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


_HTML = {"text/html": {"schema": _STRING}}


def _html(description: str) -> dict:
    return {"description": description, "content": _HTML}


def _answers(ok: dict, *errors: int, html: tuple = ()) -> dict:
    answers = dict(ok)
    for status in errors:
        answers[str(status)] = _error(status, html=status in html)
    return answers


def _path_param(name: str, description: str, **schema) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", **schema}}


def _query(name: str, description: str, required: bool = False, **schema) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _body(schema: dict, *, form: dict | None = None, required: bool = True) -> dict:
    content = {"application/json": {"schema": schema}}
    if form is not None:
        content["application/x-www-form-urlencoded"] = {"schema": form}
    return {"required": required, "content": content}


def _op(summary: str, answers: Schema, *, tag: str, security: Security | None = None,  # noqa: PLR0913 (keywords)
        params: Iterable[Schema] = (), body: Schema | None = None, description: str | None = None) -> Schema:
    operation: Schema = {"summary": summary, "tags": [tag], "responses": answers}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = body
    if security is not None:
        operation["security"] = security
    return operation


_ADMIN: Security = [{"adminBearer": []}]
_POS: Security = [{"posKey": [], "posTimestamp": [], "posSignature": []}]
_APPLE: Security = [{"applePass": []}]
_PUBLIC: Security = []


def _page(item: str) -> dict:
    return _obj(("items", "next_cursor"), items={"type": "array", "items": _ref(item)}, next_cursor=_NSTRING)


def _paging(max_limit: int) -> list:
    return [_query("limit", f"Page size, 1 to {max_limit} (default 50).", type="integer", minimum=1,
                   maximum=max_limit),
            _query("cursor", "`next_cursor` of the previous page.", type="string", maxLength=1024)]


# --- accounts: /admin/me and the staff ----------------------------------------------------------------

def _staff_paths() -> dict[str, Schema]:
    roles = {"type": "string", "enum": list(staff_commands.STAFF_ROLES)}
    member = _obj(("id", "email", "name", "role", "status", "created_at", "location_ids"), id=_STRING, email=_STRING,
                  name=_NSTRING, role=roles, status={"type": "string", "enum": ["invited", "active", "disabled"]},
                  created_at=_STRING, location_ids=_nullable({"type": "array", "items": _STRING}) | {
                      "description": "A cashier's locations; null for the other roles (they see every location)."})
    location_ids = _nullable({"type": "array", "maxItems": 200, "items": _s(64, pattern=f"^{v.ID_PATTERN}$")}) | {
        "description": "A cashier's locations (required, not empty: 422 `location_required`); each an open location "
                       "of one of the merchant's programs (else 422 `unknown_location`, field `location_ids[i]`). "
                       "Other roles take none (422 `invalid_value`)."}
    me = _obj(("subject", "role", "email", "merchant", "permissions"), subject=_STRING,
              role={"type": "string", "enum": ["platform", *staff_commands.STAFF_ROLES]}, email=_NSTRING,
              merchant=_nullable(_obj(("id", "name"), id=_STRING, name=_STRING)),
              permissions={"type": "array", "items": _STRING})
    staff_id = _path_param("staff_id", "A staff member's id (the `sub` of their tokens).", maxLength=64)
    return {
        "/admin/me": {"get": _op(
            "Who the token belongs to: role, merchant and the permissions the console shows pages by (any role)",
            _answers({"200": _json(me)}, 401), tag="staff", security=_ADMIN)},
        "/admin/staff": {
            "get": _op("The merchant's staff, oldest first, removed members included (owner)",
                       _answers({"200": _json(_obj(("items", "next_cursor"), items={"type": "array", "items": member},
                                                   next_cursor={"type": "null"}))}, 401, 403),
                       tag="staff", security=_ADMIN),
            "post": _op("Invite a member: a Cognito user with a temporary password, and our letter (owner)",
                        _answers({"201": _json(member)}, 400, 401, 403, 409, 413, 415, 422, 503),
                        tag="staff", security=_ADMIN,
                        description="The same e-mail again while the invitation is unanswered sends a new letter "
                                    "with a new temporary password. `409 staff_exists`: already on the staff "
                                    "(another role, or signed in); `409 account_exists`: the address has an "
                                    "account elsewhere. `503 accounts_unavailable`: Cognito could not be reached.",
                        body=_body(_closed(("email", "role"),
                                           email=_s(254, pattern=f"^{enrollment_rules.EMAIL_PATTERN}$"), role=roles,
                                           name=_nullable(_s(100)), location_ids=location_ids,
                                           language={"type": "string", "enum": list(staff_commands.LANGUAGES)}))),
        },
        "/admin/staff/{staff_id}": {
            "patch": _op("Change a member's role and/or a cashier's locations (owner); it applies at once",
                         _answers({"200": _json(member)}, 400, 401, 403, 404, 409, 413, 415, 422, 503),
                         tag="staff", security=_ADMIN, params=[staff_id],
                         description="`409 own_account`: your own role; `409 last_owner`: the merchant's last "
                                     "owner; `409 staff_disabled`: a removed member. A change away from cashier "
                                     "clears the locations; to cashier needs them. Neither field: 400.",
                         body=_body(_closed((), role=roles, location_ids=location_ids) | {"minProperties": 1})),
            "delete": _op("Remove a member (owner): no new sign-in, sessions end (record kept as `disabled`)",
                          _answers({"204": {"description": "Removed (or already removed)."}}, 401, 403, 404, 409,
                                   503),
                          tag="staff", security=_ADMIN, params=[staff_id],
                          description="`409 own_account`: yourself; `409 last_owner`: the merchant's last owner."),
        },
    }


# --- intake (issue 15): integrations' settings, web forms, imports ------------------------------------

def _intake_paths() -> dict:
    program_id = _path_param("program_id", "A program's id.", maxLength=64)
    provider = _path_param("provider", "square, shopify, evotor or tilda.",
                           enum=["square", "shopify", "evotor", "tilda"])
    import_id = _path_param("import_id", "An import's id.", maxLength=64)
    connection = _obj(("provider", "program_id", "webhook_url", "created_at"), provider=_STRING, program_id=_STRING,
                      webhook_url=_STRING, created_at=_STRING, options={"type": "object"}, secret=_STRING)
    an_import = _obj(("import_id", "status"), import_id=_STRING, status={
        "enum": ["uploading", "checking", "checked", "running", "done", "failed", "duplicate"]},
        dry_run={"type": "boolean"}, rows=_NINT, valid=_NINT, problem_rows=_NINT, imported={"type": "integer"},
        already={"type": "integer"}, refused={"type": "integer"}, chunks=_NINT, chunks_done={"type": "integer"},
        same_as=_NSTRING, error=_NSTRING, report_url=_STRING,
        problems={"type": "array", "items": _obj(("row", "code", "message"), row={"type": "integer"},
                                                 field=_NSTRING, code=_STRING, message=_STRING)})
    columns = _closed((), **{name: _s(100) for name in ("name", "phone", "email", "birthday", "card_number",
                                                        "balance", "expires_on", "tier", "spend")})
    content = {"type": "string", "maxLength": 300_000, "contentEncoding": "base64"}
    text_ok = {"description": "ok (Tilda's form post, its test=test handshake)", "content": {
        "text/plain": {"schema": _STRING}}}
    return {
        "/admin/programs/{program_id}/integrations": {"get": _op(
            "Connected shops and tills (never their keys)",
            _answers({"200": _json(_obj(("items",), items={"type": "array", "items": connection}))}, 401, 403, 404),
            tag="admin", security=_ADMIN, params=[program_id])},
        "/admin/programs/{program_id}/integrations/{provider}": {
            "put": _op("Connect Square, Shopify, Evotor or a Tilda form (again: replaces the key)",
                       _answers({"201": _json(connection)}, 400, 401, 403, 404, 413, 415),
                       tag="admin", security=_ADMIN, params=[program_id, provider],
                       description="square: {signature_key, notification_url?}; shopify: {secret}; evotor: {} (a "
                                   "token is issued); tilda: {fields?, send_link?} (a hook secret is issued).",
                       body=_body({"type": "object"}, required=False)),
            "delete": _op("Disconnect", _answers({"200": _json(_obj(("provider",), provider=_STRING))}, 401, 403, 404),
                          tag="admin", security=_ADMIN, params=[program_id, provider])},
        "/integrations/tilda/{program_id}/{secret}": {"post": _op(
            "A web form's post (Tilda's webhook): enrols the visitor; the card link goes to them by SMS or e-mail",
            _answers({"200": text_ok, "201": _json(_obj(("status",), status={"const": "enrolled"}))},
                     400, 401, 404, 409, 413, 415, 422, 429, 503),
            tag="join", security=_PUBLIC, params=[
                _path_param("program_id", "The program's id.", maxLength=64),
                _path_param("secret", "The hook's secret, issued on connecting Tilda.", maxLength=100)],
            body=_body({"type": "object", "additionalProperties": _s(500)},
                       form={"type": "object", "additionalProperties": _STRING}))},
        "/admin/programs/{program_id}/imports": {"post": _op(
            "Upload members to import (CSV or XLSX, base64; a bigger file in parts); dry_run=true only checks",
            _answers({"201": _json(an_import)}, 400, 401, 403, 404, 413, 415),
            tag="admin", security=_ADMIN, params=[program_id, _query("dry_run", "true: check only.",
                                                                     enum=["true", "false"])],
            body=_body(_closed(("content",), format={"enum": ["csv", "xlsx"]}, filename=_s(200), content=content,
                               more={"type": "boolean"}, columns=columns)))},
        "/admin/programs/{program_id}/imports/{import_id}/parts": {"post": _op(
            "The next part of an upload", _answers({"200": _json(an_import)}, 400, 401, 403, 404, 409, 413, 415),
            tag="admin", security=_ADMIN, params=[program_id, import_id],
            body=_body(_closed(("part", "content"), part=_int(2, 400), content=content, more={"type": "boolean"})))},
        "/admin/programs/{program_id}/imports/{import_id}/start": {"post": _op(
            "Import the checked rows (after a dry run)", _answers({"200": _json(an_import)}, 400, 401, 403, 404, 409,
                                                                  413, 415),
            tag="admin", security=_ADMIN, params=[program_id, import_id],
            body=_body(_closed(()), required=False))},
        "/admin/programs/{program_id}/imports/{import_id}": {"get": _op(
            "An import's progress and report (format=csv: every row's outcome)",
            _answers({"200": {**_json(an_import), "content": {"application/json": {"schema": an_import},
                                                              "text/csv": {"schema": _STRING}}}},
                     400, 401, 403, 404),
            tag="admin", security=_ADMIN, params=[program_id, import_id, _query("format", "json or csv.",
                                                                                enum=["json", "csv"])])},
        "/admin/programs/{program_id}/imports/{import_id}/links": {"post": _op(
            "Send the imported members their card links (SMS, else e-mail)",
            _answers({"202": _json(_obj(("cards",), cards={"type": "integer"}))}, 400, 401, 403, 404, 413, 415),
            tag="admin", security=_ADMIN, params=[program_id, import_id],
            body=_body(_closed((), channel={"enum": ["auto", "sms", "email"]}), required=False))},
    }


# --- the document --------------------------------------------------------------------------------

def document() -> dict:
    # lazy: analytics and exports (loaded by the admin API only on use, +25 ms on import app) and the channel
    # registry with its channels (+13 ms, as notices measured); median of 5
    from chalicelib.channels import registry as channel_registry
    from chalicelib.usecases import analytics, exports

    id_pattern = f"^{v.ID_PATTERN}$"
    push_token = passkit_commands.MAX_PUSH_TOKEN
    card_status = {"type": "string", "enum": ["active", "blocked"]}
    channel = {"type": "string", "enum": list(channel_registry.offered())}
    campaign_state = {"type": "string", "enum": ["draft", "scheduled", "sending", "sent"]}
    limit_counts = [name for name in limit_rules.to_dict(limit_rules.DEFAULTS) if name != "phone_confirmation"]
    settled = _int(1) | {"description": "Owed points (see `owed`) taken from the points this operation gave; "
                                        "`balance` is after that."}
    money = _int(0, pos_cases.MAX_TOTAL)
    program_id = _path_param("program_id", "A program's id.", maxLength=64)
    card_id = _path_param("card_id", "A card's id.", maxLength=64)
    slug = _path_param("slug", "The program's slug (as in its join link).", maxLength=40)
    card_key = _query("k", "The card's capability key (from `card_url`).", required=True, type="string",
                      maxLength=128)
    period = [_query("from", "First day, YYYY-MM-DD (default: 29 days before `to`).", type="string", format="date"),
              _query("to", "Last day, YYYY-MM-DD (default: today in the program's time zone).", type="string",
                     format="date")]

    schemas = {
        "Error": _closed(("error",), error=_closed(
            ("code", "message"), code={"type": "string", "pattern": "^[a-z0-9_]+$"},
            message={"type": "string", "minLength": 1}, field={"type": "string", "minLength": 1},
            errors={"type": "array", "minItems": 2, "description": "An enrolment form's faults, all of them (the "
                    "first is the error itself).", "items": _obj(("code", "message"), code=_STRING,
                                                                 message=_STRING, field=_STRING)})),
        "Mechanics": {"type": "object", "description": "Earning and spending rules (README: Points)."},
        "Branding": _closed((), background_color=_s(40), foreground_color=_s(40), label_color=_s(40),
                         logo_text=_nullable(_localized(40)), organization_name=_nullable(_s(80)),
                         description=_nullable(_localized(200)), terms=_nullable(_localized(2000)),
                         website=_nullable(_s(300, pattern="^https://")),
                         locations_on_pass=_nullable({"type": "boolean", "default": True, "description": "The wallet "
                                                      "card names the program's locations (README: Locations on the "
                                                      "wallet card); null: the default."})),
        "Limits": _closed((), phone_confirmation={"type": "boolean", "default": False},
                       **{name: _int(1, limit_rules.MAX_LIMIT) | {"default": getattr(limit_rules.DEFAULTS, name)}
                          for name in limit_counts})
        | {"description": "Rate limits (per 10-minute window) and phone confirmation (README: Enrollment). In a "
                          "body, fields left out keep their values."},
        "Program": _obj(("id", "merchant_id", "name", "slug", "timezone", "currency", "country", "status",
                         "mechanics", "branding", "limits", "created_at", "updated_at"),
                        id=_STRING, merchant_id=_STRING,
                        name=_STRING, slug=_STRING, timezone=_STRING, currency=_STRING, country=_STRING,
                        status={"type": "string", "enum": ["active", "paused"]}, mechanics={"type": "object"},
                        branding={"type": "object"},
                        limits={**_ref("Limits"), "required": [*limit_counts, "phone_confirmation"]},
                        messages=_ref("ProgramMessages"),
                        images={"type": "object", "description": "Each uploaded image (README: Card images): "
                                "its version and URLs, for previews"},
                        created_at=_NSTRING, updated_at=_NSTRING),
        # texts: the owner's trigger texts (README: Customer texts)
        "ProgramMessages": _closed((), **{trigger: _closed((), **{lang: _nullable(_s(texts.MESSAGE_MAX)) for lang in
                                                                   texts.LANGUAGES}) for trigger in texts.TRIGGERS})
        | {"description": "The owner's texts for the trigger messages, per trigger and language; {placeholders} "
                          "as each trigger lists them (GET .../messages). In a body, null or \"\" removes a text "
                          "(the default applies again); texts not sent stay as they are."},
        "TriggerText": _obj(("trigger", "locale", "text", "default", "overridden", "placeholders"),
                            trigger={"type": "string", "enum": list(texts.TRIGGERS)},
                            locale={"type": "string", "enum": list(texts.LANGUAGES)}, text=_STRING, default=_STRING,
                            overridden={"type": "boolean"}, placeholders={"type": "array", "items": _STRING}),
        "Merchant": _obj(("id", "name", "status"), id=_STRING, name=_STRING, status=_STRING, created_at=_NSTRING),
        "PosKey": _obj(("key_id", "program_id", "status"), key_id=_STRING, program_id=_STRING, label=_NSTRING,
                       status=_STRING, created_at=_NSTRING, revoked_at=_NSTRING),
        "CardRow": _obj(("id", "number", "name", "balance", "tier", "status", "created_at", "last_visit_on"),
                        id=_STRING, number=_STRING, name=_NSTRING, balance=_int(0), tier=_NSTRING,
                        tier_name=_STRING, status=card_status, created_at=_NSTRING, last_visit_on=_NSTRING),
        "Card": _obj(("id", "program_id", "number", "name", "status", "balance", "available", "owed", "tier",
                      "tier_name", "created_at", "last_visit_on"),
                     id=_STRING, program_id=_STRING, number=_STRING, name=_NSTRING,
                     status=card_status, balance=_int(0), available=_int(0),
                     owed=_int(0) | {"description": "Points refunds took back that had already been spent: taken "
                                                    "from the next points the card receives."},
                     tier=_NSTRING, tier_name=_NSTRING,
                     created_at=_NSTRING, last_visit_on=_NSTRING, phone=_NSTRING, email=_NSTRING,
                     birthday=_NSTRING, locale=_NSTRING, ref_code=_NSTRING, referred_by=_NSTRING,
                     next_expiry_on=_NSTRING,
                     lots={"type": "array", "items": _obj(("source", "points", "remaining"), source=_NSTRING,
                                                          points={"type": "integer"}, remaining={"type": "integer"},
                                                          available_on=_NSTRING, expires_on=_NSTRING)},
                     wallets={"type": "object"}, stats={"type": "object"}, card_url=_STRING,
                     apple_pass_url=_STRING, google_save_url=_STRING,
                     home_location={"type": ["object", "null"], "description": "The card's home location (where "
                                    "it joined, else where it first bought): {id, name, status}; name null for a "
                                    "location no longer on the program; null: no home yet.",
                                    "properties": {"id": _STRING, "name": _NSTRING, "status": _NSTRING}},
                     places={"type": "array", "description": "Receipts at each location, most first.",
                             "items": _obj(("id", "name", "receipts"), id=_STRING, name=_NSTRING,
                                           receipts=_int(0))})
        | {"description": "Analysts get the fields up to `last_visit_on` only (no contacts, no links)."},
        "LedgerEntry": _obj(("at", "kind", "amount", "balance_after"), at=_STRING, kind=_STRING, source=_NSTRING,
                            amount={"type": "integer"}, balance_after={"type": "integer"},
                            cause={"type": "object"}, actor=_NSTRING, reason=_NSTRING),
        "Campaign": _obj(("id", "name", "audience", "texts", "channels", "bonus", "send_at", "status", "counts",
                          "last_error", "created_by", "created_at", "started_at", "sent_at"),
                         id=_STRING, name=_STRING, status=campaign_state, audience={"type": "object"},
                         texts={"type": "object"},
                         channels={"type": "array", "items": channel},
                         bonus=_int(0), send_at=_NSTRING,
                         counts=_obj(("delivered", "failed"), **{name: _int(0) for name in (
                             "audience", "processed", "sent", "queued", "skipped", "bonuses", "chunks", "delivered",
                             "failed")})
                         | {"description": "A send's progress: cards in the audience, processed so far, messaged, "
                                           "queued for quiet hours, skipped, bonuses given (chunks: sent to the jobs "
                                           "queue); e-mail and Telegram messages delivered and failed, as the outbox "
                                           "sends them."},
                         last_error=_NSTRING, audience_size=_int(0), created_by=_NSTRING, created_at=_NSTRING,
                         started_at=_NSTRING, sent_at=_NSTRING),
        "Enrolment": _obj(("card_id", "card_number", "balance", "card_url", "apple_pass_url", "google_save_url"),
                          card_id=_STRING, card_number=_STRING, balance={"type": "integer"}, card_url=_STRING,
                          apple_pass_url=_STRING, google_save_url=_STRING),
        "PosCard": _obj(("card_number", "name", "balance", "available", "tier", "tier_name", "status"),
                        card_number=_STRING, name=_NSTRING, balance=_int(0), available=_int(0), tier=_STRING,
                        tier_name=_NSTRING, status=card_status),
        "Quote": _obj(("card_number", "balance", "available", "max_redeem", "earn", "earn_with_max_redeem", "tier"),
                      card_number=_STRING, balance=_int(0), available=_int(0), max_redeem=_int(0), earn=_int(0),
                      earn_with_max_redeem=_int(0), tier=_STRING),
        "ReceiptAnswer": _obj(("receipt_id", "card", "earned", "redeemed", "balance", "available", "tier"),
                              receipt_id=_STRING, card=_NSTRING, earned=_int(0),
                              redeemed=_int(0), balance=_NINT, available=_NINT, tier=_NSTRING, settled=settled),
        "RefundAnswer": _obj(("refund_id", "receipt_id", "points_reversed", "points_returned", "balance"),
                             refund_id=_STRING, receipt_id=_STRING,
                             points_reversed=_int(0) | {"description": "The receipt's earned points taken back "
                                                        "pro rata, all of them (owed ones included)."},
                             points_returned=_int(0), balance=_NINT,
                             shortfall=_int(1) | {"description": "Of `points_reversed`, those the customer had "
                                                  "already spent: the card owes them (its balance stops at 0)."},
                             settled=settled),
        "Adjustment": _obj(("card_id", "amount", "reason", "idempotency_key", "balance", "actor"),
                           card_id=_STRING, amount={"type": "integer"}, reason=_STRING, idempotency_key=_STRING,
                           balance=_int(0), actor=_NSTRING, settled=settled),
        "OutboxItem": _obj(("id", "kind", "card_id", "campaign_id", "attempts", "reason", "created_at", "parked_at"),
                           id=_STRING, kind={"type": "string", "enum": [*deliveries.KINDS.values(), "other"]},
                           card_id=_NSTRING, campaign_id=_NSTRING, attempts=_int(0), reason=_NSTRING,
                           created_at=_STRING, parked_at=_NSTRING),
        "ReceiptLine": _closed(("amount",), sku=_nullable(_s(64)), name=_nullable(_s(200)),
                            qty={"type": "number", "minimum": 0, "maximum": 1_000_000},
                            amount=_int(-pos_cases.MAX_TOTAL, pos_cases.MAX_TOTAL)),
    }
    card_number = _s(32, description="The 12-digit card number (spaces and dashes allowed).")
    receipt_body = _closed(("receipt_id", "total"),
                        receipt_id=_s(64, pattern=id_pattern), card=_nullable(card_number), total=money,
                        currency=_s(3, pattern="^[A-Z]{3}$"), redeem=money,
                        lines={"type": "array", "maxItems": 500, "items": _ref("ReceiptLine")},
                        created_at=_s(40, description="ISO-8601 with an offset."))
    mail_part = "[^@\\s\\u0000-\\u001f]"
    join_fields = dict(name=_s(100, minLength=1), phone=_s(32, minLength=1, description="Normalised to E.164 with "
                                                                                        "the program's country."),
                       email=_s(254, pattern=f"^{mail_part}{{1,64}}@{mail_part}+\\.{mail_part}{{2,}}$"),
                       birthday=_s(10, pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="A real date in the past."),
                       ref=_s(16, pattern="^[A-Za-z0-9]+$", description="Another card's referral code (an unknown "
                                                                        "one is a 400)."),
                       locale={"type": "string", "enum": ["ru", "en"]},
                       code=_s(16, description="The one-time code texted to the phone (only for programs that "
                                               "confirm phones; elsewhere it is an unknown field)."))
    join_json = _closed(("name", "phone", "consent"), consent={"const": True},
                     marketing_consent={"type": "boolean"}, **join_fields)
    yes = {"type": "string", "enum": ["on", "true", "yes", "1"], "description": "A checkbox: any of these means yes."}
    join_form = _obj(("name", "phone", "consent"), consent=yes, marketing_consent=yes, **join_fields)
    program_fields = dict(name=_s(80, minLength=1), timezone=_s(64), currency=_s(3, pattern="^[A-Z]{3}$"),
                          country=_s(2), mechanics=_ref("Mechanics"), branding=_ref("Branding"),
                          limits=_ref("Limits"), messages=_ref("ProgramMessages"))
    retry_writes = (409, 503)

    paths = {
        "/openapi.json": {"get": _op("This document", {"200": _json({"type": "object"}, "The OpenAPI 3.1 document.")},
                                     tag="meta", security=_PUBLIC)},
        "/.well-known/jwks.json": {"get": _op(
            "Public keys of the built-in admin token issuer",
            {"200": _json(_obj(("keys",), keys={"type": "array", "items": {"type": "object"}}))},
            tag="meta", security=_PUBLIC)},
        "/admin": {"get": _op("The old analytics page's address: a redirect to the console's analytics page",
                              {"302": {"description": "To `console#/analytics` (relative: a stage prefix stays).",
                                       "headers": {"Location": {"schema": _STRING, "required": True}}}},
                              tag="admin", security=_PUBLIC)},
        # --- customers
        "/join/{slug}": {
            "get": _op("The enrolment page", _answers({"200": _html("The form."), "404": _html("No such program.")},
                                                      429),
                       tag="customers", security=_PUBLIC,
                       params=[slug, _query("ref", "A referral code to prefill.", type="string", maxLength=64),
                               _query("lang", "ru or en.", type="string", enum=["ru", "en"])]),
            "post": _op("Enrol: a new card", _answers(
                {"201": _json(_ref("Enrolment"), "The card (JSON)."),
                 "202": _json(_obj(("status", "expires_in"), status={"const": "code_sent"},
                                   expires_in=_int(1, limit_rules.CODE_SECONDS)),
                              "The program confirms phones and no `code` was sent: a code was texted to the phone "
                              "(the same answer for a member's number). Post again with `code`."),
                 "303": {"description": "A form post: go to the card page.",
                         "headers": {"Location": {"schema": _STRING, "required": True}}},
                 "200": _html("A form post that needs a second step (the code field, after a code was texted).")},
                400, 404, 409, 413, 415, 422, 429, 503, html=(400, 404, 409, 422, 429, 503)),
                tag="customers", security=_PUBLIC, params=[slug],
                body=_body(join_json, form=join_form),
                description="A form post that is refused gets the form again as HTML with the error's status, "
                            "every fault told at its field in the page's language (its hidden `locale`). A JSON "
                            "400 names the first faulty field; with more than one, `error.errors` lists them all. "
                            "Errors beyond the fields': `409 already_enrolled` (points to POST "
                            "/join/{slug}/recover), `400 invalid_code` (a wrong, used or "
                            "expired code), `429 rate_limited` (per address and program), `503 code_not_sent` "
                            "(the SMS gateway could not be reached)."),
        },
        # --- pages: lost card links, the site's icon
        "/join/{slug}/recover": {"post": _op(
            "Send a member's card link again", _answers(
                {"202": {"description": "The same answer whether or not anyone enrolled with that phone or e-mail: "
                                        "a member's link went to the phone (SMS) or address they enrolled with.",
                         "content": {"application/json": {"schema": _obj(
                             ("status", "message"), status={"const": "sent_if_member"}, message=_STRING)}, **_HTML}}},
                400, 404, 413, 415, 429, html=(400, 404, 429)),
            tag="customers", security=_PUBLIC, params=[slug],
            body=_body(_closed((), phone=_s(32), email=_s(254), contact=_s(254), locale=_s(5)),
                       form=_obj((), phone=_s(32), email=_s(254), contact=_s(254), locale=_s(5))),
            description="Exactly one of `phone`, `email` or `contact` (the join page's box: an e-mail address if it "
                        "has an @, else a phone). The link is never in the answer. `429 rate_limited`: "
                        f"{recovery_rules.PER_CONTACT} links per phone or address and {recovery_rules.PER_ADDRESS} "
                        "asks per client address, per program and 10-minute window. A form post gets the join "
                        "page again (202 with the notice, or the error at the box).")},
        "/favicon.ico": {method: _op(
            summary, {"200": {"description": "A 32 x 32 PNG, cached for a week.", "content": {"image/png": {
                "schema": {"type": "string", "contentMediaType": "image/png"}}}}},
            tag="customers", security=_PUBLIC) for method, summary in (("get", "The site's icon"),
                                                                      ("head", "The icon's headers (no body)"))},
        "/c/{card_id}": {"get": _op(
            "The card page (behind its capability link)",
            _answers({"200": _html("The card page."), "404": _html("No such card, or a wrong key.")}, 429),
            tag="customers", security=_PUBLIC,
            params=[card_id, card_key, _query("lang", "ru or en.", type="string", enum=["ru", "en"])])},
        "/c/{card_id}/pass.pkpass": {
            method: _op(summary, _answers({"200": {
                "description": "The pass.", "headers": {"Last-Modified": {"schema": _STRING, "required": True}},
                "content": {"application/vnd.apple.pkpass": {"schema": {
                    "type": "string", "contentMediaType": "application/vnd.apple.pkpass"}}}}}, 404, 429),
                tag="customers", security=_PUBLIC, params=[card_id, card_key])
            for method, summary in (("get", "The signed Apple Wallet pass"),
                                    ("head", "The pass's headers (no body)"))},
        "/c/{card_id}/google": {"get": _op(
            "Redirect to Google Wallet's save link",
            _answers({"302": {"description": "To https://pay.google.com/gp/v/save/<jwt>.",
                              "headers": {"Location": {"schema": _s(2048, pattern="^https://"), "required": True}}},
                      "403": {**_error(403), "description": "`card_blocked`: a blocked card gets no save link."},
                      "503": {**_error(503), "description": "`google_wallet_unavailable`: Google Wallet is not "
                                                            "configured, or did not accept the card just now."}},
                     404, 429),
            tag="customers", security=_PUBLIC, params=[card_id, card_key])},
        # --- issue 16, part H3 (challenges): the customer's profile page and its bonus (api/profile.py)
        "/c/{card_id}/profile": {
            "get": _op("The card's profile page: e-mail address and birthday (behind the card's link)",
                       _answers({"200": _html("The form."), "404": _html("No such card, or a wrong key.")}, 429),
                       tag="customers", security=_PUBLIC,
                       params=[card_id, card_key, _query("lang", "ru or en.", type="string", enum=["ru", "en"])]),
            "post": _op("Complete the profile: save the e-mail address and birthday; with both on the card, the "
                        "program's `profile_completed` bonus, once", _answers(
                {"200": _json(_obj(("email", "birthday", "complete", "bonus", "balance"), email=_NSTRING,
                                   birthday=_NSTRING, complete={"type": "boolean"},
                                   bonus={"oneOf": [{"type": "null"}, _obj(
                                       ("source", "id", "points", "balance"), source={"const": "action"},
                                       id={"const": "profile_completed"}, points=_int(1), balance=_int(0))]},
                                   balance=_int(0)),
                              "JSON: what the card now has; `bonus` is the bonus this post gave (null: the program "
                              "has none, the card had it before, or the card is blocked)."),
                 "303": {"description": "A form post: back to the card page, its link with `&profile=saved` "
                                        "(and `&bonus=<points>` when this post gave the bonus).",
                         "headers": {"Location": {"schema": _STRING, "required": True}}}},
                400, 404, 409, 413, 415, 429, html=(400, 404, 409, 429)),
                tag="customers", security=_PUBLIC, params=[card_id, card_key],
                body=_body(_closed((), email=_s(254), birthday=_s(10), locale=_s(5)),
                           form=_obj((), email=_s(254), birthday=_s(10), locale=_s(5))),
                description="Either field may be sent alone (the other stays as it is); with neither on the card "
                            "nor in the post, `400 required` for both. Every fault is told at once (`error.errors` "
                            "in JSON; each at its field on the page). A birthday already on the card is not "
                            "changed here: `400 birthday_locked`. `409 edit_conflict`: the card changed meanwhile, "
                            "send again. A form post that is refused gets the page again with the error's status."),
        },
        "/u/{card_id}": {
            method: _op(summary, _answers({"200": _html(text), "404": _html("No such card or token.")}, 413, 415,
                                          429),
                        tag="customers", security=_PUBLIC,
                        params=[card_id, _query("t", "The unsubscribe token from the e-mail.", required=True,
                                                type="string", maxLength=128)])
            for method, summary, text in (("get", "Unsubscribe page (asks)", "The question."),
                                          ("post", "Unsubscribe from e-mails (RFC 8058 one-click too)", "Done."))},
        "/static/passes/{design}/{name}": {"get": _op(
            "A pass design's image (Google Wallet fetches logos from here)",
            _answers({"200": {"description": "PNG.", "content": {"image/png": {"schema": {
                "type": "string", "contentMediaType": "image/png"}}}}}, 404),
            tag="customers", security=_PUBLIC,
            params=[_path_param("design", "default or a program slug.", maxLength=40),
                    _path_param("name", "e.g. logo@2x.png.", maxLength=40)])},
        "/static/programs/{program_id}/google-logo.png": {
            method: _op(summary, _answers({"200": {"description": "PNG, 660 x 660.", "content": {"image/png": {
                "schema": {"type": "string", "contentMediaType": "image/png"}}}}}, 404),
                tag="customers", security=_PUBLIC, params=[program_id])
            for method, summary in (("get", "A program's logo for Google Wallet, drawn from its branding "
                                            "(Google fetches it)"),
                                    ("head", "The logo's headers (no body)"))},
        # --- the owner's console (console-core): the shell, its assets, its settings, the poster
        "/console": {"get": _op("The owner's console (HTML shell; the script signs in with Cognito)",
                                {"200": _html("The shell: <html lang> from the lc_lang cookie or Accept-Language.")},
                                tag="console", security=_PUBLIC)},
        "/console/assets/{version}/{name}": {"get": _op(
            "The console's script or stylesheet, versioned by content (cached for a year, immutable; gzip when "
            "accepted)",
            _answers({"200": {"description": "The file.", "content": {
                "application/javascript": {"schema": _STRING}, "text/css": {"schema": _STRING}}}}, 404),
            tag="console", security=_PUBLIC,
            params=[_path_param("version", "The hash the shell names; another is 404.", maxLength=64),
                    _path_param("name", "console.js or console.css.", maxLength=40)])},
        "/console/config.json": {"get": _op(
            "What the console needs: the Cognito region, pool, client id and endpoint; languages; the join links' "
            "base URL",
            {"200": _json(_obj(("cognito", "languages", "public_base_url"), public_base_url=_s(300),
                               cognito=_obj(("region", "user_pool_id", "client_id", "endpoint"), region=_s(40),
                                            user_pool_id=_NSTRING, client_id=_NSTRING, endpoint=_s(300)),
                               languages={"type": "array", "items": _s(5)}))},
            tag="console", security=_PUBLIC)},
        "/console/slugs/{slug}": {"get": _op(
            "Whether a join-link slug is well formed and free (the wizard asks as the owner types)",
            {"200": _json(_obj(("slug", "valid", "available"), slug=_STRING, valid={"type": "boolean"},
                               available={"type": "boolean"}))},
            tag="console", security=_PUBLIC, params=[_path_param("slug", "The slug to check.", maxLength=200)])},
        "/console/poster/{slug}": {"get": _op(
            "A printable poster of a program's join link: name, welcome bonus, QR code (print CSS, A4 or A5)",
            _answers({"200": _html("The poster."), "404": _error(404)}, 400),
            tag="console", security=_PUBLIC,
            params=[slug, _query("size", "Paper size.", type="string", enum=["a4", "a5"]),
                    _query("lang", "ru or en.", type="string", enum=["ru", "en"])])},
        "/console/qr": {"post": _op(
            "A short text as an SVG QR code (posted, so the text is in no URL; nothing logs it)",
            _answers({"200": {"description": "SVG.", "content": {"image/svg+xml": {"schema": _STRING}}}},
                     400, 413, 415),
            tag="console", security=_PUBLIC,
            body=_body(_closed(("text",), text=_s(512, minLength=1))))},
        # --- Apple's PassKit web service
        "/passkit/v1/devices/{device_id}/registrations/{pass_type_id}/{serial}": {
            "post": _op("Register a device for a pass's updates", _answers(
                {"201": {"description": "Registered."}, "200": {"description": "Already registered."}},
                400, 401, 413, 415, 503),
                tag="passkit", security=_APPLE,
                params=[_path_param("device_id", "Device library identifier.", maxLength=128),
                        _path_param("pass_type_id", "Pass type identifier.", maxLength=128),
                        _path_param("serial", "The pass's serial number.", maxLength=128)],
                body=_body(_obj(("pushToken",),
                                pushToken=_s(push_token, pattern=f"^[A-Za-z0-9._:\\-]{{1,{push_token}}}$")))),
            "delete": _op("Unregister a device", _answers({"200": {"description": "Unregistered."}}, 400, 401),
                          tag="passkit", security=_APPLE,
                          params=[_path_param("device_id", "Device library identifier.", maxLength=128),
                                  _path_param("pass_type_id", "Pass type identifier.", maxLength=128),
                                  _path_param("serial", "The pass's serial number.", maxLength=128)]),
        },
        "/passkit/v1/devices/{device_id}/registrations/{pass_type_id}": {"get": _op(
            "Serial numbers of the device's passes changed since a tag", _answers(
                {"200": _json(_obj(("serialNumbers", "lastUpdated"),
                                   serialNumbers={"type": "array", "items": _STRING}, lastUpdated=_STRING)),
                 "204": {"description": "None changed."}}, 400),
            tag="passkit", security=_PUBLIC,
            params=[_path_param("device_id", "Device library identifier.", maxLength=128),
                    _path_param("pass_type_id", "Pass type identifier.", maxLength=128),
                    _query("passesUpdatedSince", "The `lastUpdated` tag of the previous answer.", type="string",
                           maxLength=32)])},
        "/passkit/v1/passes/{pass_type_id}/{serial}": {
            method: _op(summary, _answers(
                {"200": {"description": "The pass.", "headers": {"Last-Modified": {"schema": _STRING}},
                         "content": {"application/vnd.apple.pkpass": {"schema": {
                             "type": "string", "contentMediaType": "application/vnd.apple.pkpass"}}}},
                 "304": {"description": "Not modified since If-Modified-Since."}}, 401),
                tag="passkit", security=_APPLE,
                params=[_path_param("pass_type_id", "Pass type identifier.", maxLength=128),
                        _path_param("serial", "The pass's serial number.", maxLength=128),
                        {"name": "If-Modified-Since", "in": "header", "required": False,
                         "schema": {"type": "string", "maxLength": 64}}])
            for method, summary in (("get", "The latest version of a pass"),
                                    ("head", "The latest version's headers (no body)"))
        },
        "/passkit/v1/log": {"post": _op(
            "Devices report problems (logged, digit runs masked)", {"200": {"description": "Noted."}},
            tag="passkit", security=_PUBLIC,
            body=_body(_obj(logs={"type": "array", "items": _STRING}), required=False))},
        # --- Google and Telegram callbacks
        "/google/callbacks": {"post": _op(
            "Google Wallet save/delete callback (signed by Google; duplicates recognised by nonce)",
            _answers({"200": _json(_obj(("status",), status={"type": "string", "enum": ["recorded", "duplicate"]},
                                        event=_NSTRING))}, 400, 401, 413, 415),
            tag="callbacks", security=_PUBLIC,
            body=_body(_obj(("signature", "intermediateSigningKey", "protocolVersion", "signedMessage"),
                            signature=_s(16384, minLength=1), protocolVersion=_s(64, minLength=1),
                            signedMessage=_s(16384, minLength=1),
                            intermediateSigningKey=_obj(("signedKey", "signatures"), signedKey=_s(16384, minLength=1),
                                                        signatures={"type": "array", "minItems": 1, "maxItems": 8,
                                                                    "items": _s(16384, minLength=1)}))))},
        "/telegram/webhook": {"post": _op(
            "Telegram bot updates (every update from Telegram is answered 200, also ones ignored)",
            _answers({"200": _json(_obj(("ok",), ok={"const": True}))}, 401, 413, 415),
            tag="callbacks", security=[{"telegramSecret": []}],
            body=_body(_obj(update_id={"type": "integer"}, message=_obj(
                message_id={"type": "integer"}, text=_STRING,
                chat=_obj(("id",), id={"type": "integer"}, type=_STRING),
                **{"from": _obj(id={"type": "integer"}, language_code=_STRING)})), required=False))},
        # --- POS
        "/pos/cards/{number}": {"get": _op(
            "Look a card up by its number", _answers({"200": _json(_ref("PosCard"))}, 400, 401, 404, 429),
            tag="pos", security=_POS, params=[_path_param("number", "The card number.", maxLength=32)])},
        "/pos/quote": {"post": _op(
            "What the customer may spend and would earn (writes nothing)",
            _answers({"200": _json(_ref("Quote"))}, 400, 401, 404, 413, 415, 422, 429), tag="pos", security=_POS,
            body=_body(_closed(("card", "total"), card=card_number, total=money,
                            currency=_s(3, pattern="^[A-Z]{3}$"),
                            lines={"type": "array", "maxItems": 500, "items": _ref("ReceiptLine")})))},
        "/pos/receipts": {"post": _op(
            "Post a receipt (idempotent on receipt_id)",
            _answers({"200": _json(_ref("ReceiptAnswer"), headers={"Idempotent-Replay": {
                "description": "true when this is the first answer again.", "schema": _STRING}})},
                400, 401, 404, 413, 415, 422, 429, *retry_writes),
            tag="pos", security=_POS, body=_body(receipt_body))},
        "/pos/refunds": {"post": _op(
            "Refund (part of) a receipt (idempotent on refund_id)",
            _answers({"200": _json(_ref("RefundAnswer"), headers={"Idempotent-Replay": {"schema": _STRING}})},
                     400, 401, 404, 413, 415, 422, 429, *retry_writes),
            tag="pos", security=_POS,
            body=_body(_closed(("refund_id", "receipt_id", "amount"),
                            refund_id=_s(64, pattern=id_pattern), receipt_id=_s(64, pattern=id_pattern),
                            amount=_int(1, pos_cases.MAX_TOTAL))))},
        "/integrations/{provider}/events": {"post": _op(
            "A POS provider's event: a receipt or a refund in the provider's own shape and signature",
            _answers({"200": _json({"oneOf": [_ref("ReceiptAnswer"), _ref("RefundAnswer")]}, headers={
                "Idempotent-Replay": {"schema": _STRING}})},
                400, 401, 404, 409, 413, 415, 422, 429, *retry_writes),
            tag="pos", security=_PUBLIC,
            description="Each provider checks its own signature (`signed`: the POS key headers of /pos/receipts "
                        "over this path) and maps its event to a receipt or refund; the answers are those of "
                        "/pos/receipts and /pos/refunds. An unknown provider is 404 `unknown_provider`.",
            params=[_path_param("provider", "A registered provider's name (README: Adding a POS provider).",
                                maxLength=64)],
            body=_body({"type": "object"}))},
        # --- admin
        "/admin/merchants": {
            "get": _op("Merchants (platform operator)", _answers({"200": _json(_page("Merchant"))}, 400, 401, 403),
                       tag="admin", security=_ADMIN, params=_paging(100)),
            "post": _op("Create a merchant (platform operator)",
                        _answers({"201": _json(_ref("Merchant"))}, 400, 401, 403, 413, 415),
                        tag="admin", security=_ADMIN,
                        body=_body(_closed(("name",), name=_s(120, minLength=1)))),
        },
        "/admin/merchants/{merchant_id}": {"get": _op(
            "A merchant", _answers({"200": _json(_ref("Merchant"))}, 401, 403, 404), tag="admin", security=_ADMIN,
            params=[_path_param("merchant_id", "A merchant's id.", maxLength=64)])},
        "/admin/programs": {
            "get": _op("The merchant's programs", _answers({"200": _json(_page("Program"))}, 400, 401, 403),
                       tag="admin", security=_ADMIN, params=_paging(100)),
            "post": _op("Create a program", _answers({"201": _json(_ref("Program"))}, 400, 401, 403, 409, 413, 415),
                        tag="admin", security=_ADMIN,
                        body=_body(_closed(("name", "slug"),
                                        slug=_s(40, pattern=f"^{admin_commands.SLUG_PATTERN}$"), **program_fields))),
        },
        "/admin/programs/{program_id}": {
            "get": _op("A program", _answers({"200": _json(_ref("Program"))}, 401, 403, 404), tag="admin",
                       security=_ADMIN, params=[program_id]),
            "patch": _op("Change a program (its slug never changes)",
                         _answers({"200": _json(_ref("Program"))}, 400, 401, 403, 404, 409, 413, 415),
                         tag="admin", security=_ADMIN, params=[program_id],
                         body=_body(_closed((), status={"type": "string", "enum": ["active", "paused"]},
                                         **program_fields))),
        },
        # texts
        "/admin/programs/{program_id}/messages": {"get": _op(
            "The texts the program's triggers send (birthday gift, win-back offer, expiry warning), in each "
            "language: the owner's or the default, with the default and the {placeholders} each may use",
            _answers({"200": _json(_obj(("items",), items={"type": "array", "items": _ref("TriggerText")}))},
                     401, 403, 404),
            tag="admin", security=_ADMIN, params=[program_id])},
        "/admin/programs/{program_id}/passes/refresh": {"post": _op(
            "Re-issue every card's pass after a design change (in the background)",
            _answers({"202": _json(_obj(("program_id", "status"), program_id=_STRING, status=_STRING))},
                     401, 403, 404, 413),
            tag="admin", security=_ADMIN, params=[program_id])},
        "/admin/programs/{program_id}/outbox": {"get": _op(
            "Parked deliveries (given up on after repeated failures, or refused for good), with their reasons "
            "(owner, manager)",
            _answers({"200": _json(_page("OutboxItem"))}, 400, 401, 403, 404), tag="admin", security=_ADMIN,
            params=[program_id, _query("state", "Which items: only `parked` for now (the default).", type="string",
                                       enum=list(deliveries.STATES)), *_paging(100)])},
        "/admin/programs/{program_id}/outbox/{item_id}/retry": {"post": _op(
            "Put a parked item back in the queue, due now, its attempts from zero (owner, manager)",
            _answers({"202": _json({"allOf": [_ref("OutboxItem"), _obj(("state",), state={"const": "queued"})]},
                                   "Queued again.")}, 400, 401, 403, 404, 413),
            tag="admin", security=_ADMIN,
            params=[program_id, _path_param("item_id", "A parked item's `id`.", maxLength=400)])},
        "/admin/programs/{program_id}/campaigns": {"post": _op(
            "Create a campaign (a draft, or scheduled with send_at; owner, manager: analysts get 403)",
            _answers({"201": _json(_ref("Campaign"))}, 400, 401, 403, 404, 413, 415, 422),
            tag="admin", security=_ADMIN, params=[program_id],
            body=_body(_closed(("name", "texts"), name=_s(120, minLength=1),
                            audience={"type": "object"},
                            texts=_closed((), ru=_s(300), en=_s(300)),
                            bonus=_int(0, 10_000_000), send_at=_s(40),
                            channels={"type": "array", "maxItems": len(channel_registry.offered()),
                                      "items": channel})))},
        "/admin/programs/{program_id}/campaigns/{campaign_id}": {"get": _op(
            "A campaign with its counts (owner, manager: analysts get 403)",
            _answers({"200": _json(_ref("Campaign"))}, 401, 403, 404),
            tag="admin", security=_ADMIN,
            params=[program_id, _path_param("campaign_id", "A campaign's id.", maxLength=64)])},
        "/admin/programs/{program_id}/campaigns/{campaign_id}/send": {"post": _op(
            "Send a campaign now, or carry on with a send that stopped (owner, manager)",
            _answers({"200": _json({"allOf": [_ref("Campaign"), _obj(status={"const": "sent"})]},
                                   "Sent: every card of its audience done, with the final counts."),
                      "202": _json({"allOf": [_ref("Campaign"), _obj(status={"const": "sending"})]},
                                   "Its cards went to the jobs queue (a large audience): it finishes by itself; "
                                   "`counts` shows the progress."),
                      "409": {**_error(409), "description": "`already_sent`; `campaign_in_progress` (another send "
                                                            "is working on it now); `conflict_retry` (Retry-After)."},
                      "503": {**_error(503), "description": "`busy`: its cards were busy; the send carries on by "
                                                            "itself, or send it again after Retry-After."}},
                     401, 403, 404, 413),
            tag="admin", security=_ADMIN,
            params=[program_id, _path_param("campaign_id", "A campaign's id.", maxLength=64)])},
        "/admin/programs/{program_id}/pos-keys": {
            "get": _op("POS keys (never their secrets)", _answers({"200": _json(_page("PosKey"))}, 400, 401, 403, 404),
                       tag="admin", security=_ADMIN, params=[program_id, *_paging(100)]),
            "post": _op("Create a POS key (the secret is shown this once)",
                        _answers({"201": _json({"allOf": [_ref("PosKey"), _obj(("secret",), secret=_STRING)]})},
                                 400, 401, 403, 404, 413, 415),
                        tag="admin", security=_ADMIN, params=[program_id],
                        body=_body(_closed((), label=_nullable(_s(80))), required=False)),
        },
        "/admin/programs/{program_id}/pos-keys/{key_id}": {"delete": _op(
            "Revoke a POS key", _answers({"200": _json(_ref("PosKey"))}, 401, 403, 404), tag="admin",
            security=_ADMIN, params=[program_id, _path_param("key_id", "A POS key's id.", maxLength=64)])},
        "/admin/programs/{program_id}/cards": {"get": _op(
            "Cards, newest first, or a search by card number or phone",
            _answers({"200": _json(_page("CardRow"))}, 400, 401, 403, 404), tag="admin", security=_ADMIN,
            params=[program_id, *_paging(200),
                    _query("q", "A card number or a phone number (an analyst's phone search is 403, member or "
                                 "not).", type="string", maxLength=40)])},
        # --- console-ops: the console's customer search
        "/admin/programs/{program_id}/customers": {"get": _op(
            "Find customers by card number, phone or name, newest first",
            _answers({"200": _json(_page("CardRow"))}, 400, 401, 403, 404), tag="admin", security=_ADMIN,
            params=[program_id, *_paging(100),
                    _query("q", "A card number, a phone number (403 for a role that sees no contacts) or words "
                                "of the holder's name (any case and order).", required=True, type="string",
                           maxLength=100)],
            description="A name search reads up to 2,000 cards a request, newest first; fewer than `limit` "
                        "items with a `next_cursor` means: more cards remain to be searched.")},
        "/admin/programs/{program_id}/audience-size": {"post": _op(
            "How many cards a campaign audience reaches today (nothing is written)",
            _answers({"200": _json(_closed(("audience_size",), audience_size=_int(0)))},
                     400, 401, 403, 404, 413, 415),
            tag="admin", security=_ADMIN, params=[program_id],
            body=_body(_closed((), audience={"type": "object"})))},
        "/admin/cards/{card_id}": {
            "get": _op("A card (contacts only for roles that may see them)",
                       _answers({"200": _json(_ref("Card"))}, 401, 403, 404), tag="admin", security=_ADMIN,
                       params=[card_id]),
            "patch": _op("Block or unblock a card, or correct the holder's name",
                         _answers({"200": _json(_ref("Card"))}, 400, 401, 403, 404, 409, 413, 415, 503),
                         tag="admin", security=_ADMIN, params=[card_id],
                         body=_body(_closed((), status={"type": "string", "enum": ["active", "blocked"]},
                                         name=_s(100)))),
        },
        "/admin/cards/{card_id}/ledger": {"get": _op(
            "A card's ledger, newest first", _answers({"200": _json(_page("LedgerEntry"))}, 400, 401, 403, 404),
            tag="admin", security=_ADMIN, params=[card_id, *_paging(200)])},
        "/admin/cards/{card_id}/adjustments": {"post": _op(
            "Adjust a balance by hand (idempotent on idempotency_key)",
            _answers({"201": _json(_ref("Adjustment")),
                      "200": _json(_ref("Adjustment"), "The first answer again (Idempotent-Replay: true).")},
                     400, 401, 403, 404, 409, 413, 415, 422, 503),
            tag="admin", security=_ADMIN, params=[card_id],
            body=_body(_closed(("amount", "reason", "idempotency_key"), amount=_int(-10_000_000, 10_000_000),
                            reason=_s(500, minLength=1), idempotency_key=_s(64, pattern=id_pattern))))},
        "/admin/programs/{program_id}/analytics/summary": {"get": _op(
            "A period's figures", _answers({"200": _json({"type": "object"})}, 400, 401, 403, 404), tag="analytics",
            security=_ADMIN, params=[program_id, *period])},
        "/admin/programs/{program_id}/analytics/daily": {"get": _op(
            "A period's figures day by day",
            _answers({"200": _json(_obj(("from", "to", "days"), days={"type": "array"}))}, 400, 401, 403, 404),
            tag="analytics", security=_ADMIN, params=[program_id, *period])},
        "/admin/programs/{program_id}/analytics/segments": {"get": _op(
            "Members by lifecycle and RFM segment", _answers({"200": _json({"type": "object"})}, 401, 403, 404),
            tag="analytics", security=_ADMIN, params=[program_id])},
        "/admin/programs/{program_id}/analytics/segments/{segment}/cards": {"get": _op(
            "The cards of one segment", _answers({"200": _json(_obj(("items", "next_cursor"),
                                                                     items={"type": "array"},
                                                                     next_cursor=_NSTRING))}, 400, 401, 403, 404),
            tag="analytics", security=_ADMIN,
            params=[program_id, _path_param("segment", "A lifecycle or RFM segment name.",
                                             enum=list(analytics.SEGMENT_NAMES)),
                    *_paging(200)])},
        "/admin/programs/{program_id}/exports/{kind}": {"get": _op(
            "A page of CSV (cards, receipts or ledger); the next page is in X-Next-Cursor and Link",
            _answers({"200": {"description": "CSV.", "content": {"text/csv": {"schema": _STRING}},
                              "headers": {"X-Next-Cursor": {"schema": _STRING}}}}, 400, 401, 403, 404),
            tag="analytics", security=_ADMIN,
            params=[program_id, _path_param("kind", "What to export.", enum=list(exports.KINDS)),
                    _query("cursor", "X-Next-Cursor of the previous page.", type="string", maxLength=1024)])},
        # --- accounts: who is signed in, and the merchant's staff (owners)
        **_staff_paths(),
    }
    paths.update(_intake_paths())  # intake (issue 15)
    _add_design(paths, schemas, program_id, card_id)
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Loyalty cards API", "version": "1",
                 "description": "Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}` (see the README's "
                                "Errors). JSON bodies are parsed strictly: at most "
                                f"{v.MAX_DEPTH} levels of nesting, integers within +-{v.MAX_SAFE_INTEGER}, no "
                                "NaN/Infinity, no lone surrogates, no duplicate keys, at most 256 KiB. An integer "
                                "is written as one: `100.0` or `1e2` where an integer is due is `400 invalid_type` "
                                "(JSON Schema would count them as integers; the API does not)."},
        "servers": [{"url": "/"}],
        "security": _ADMIN,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "adminBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                "description": "Admin token (aud loyalty-admin; roles owner, manager, analyst, "
                                               "cashier, platform), or a staff member's Cognito ID token."},
                "posKey": {"type": "apiKey", "in": "header", "name": "X-Loyalty-Key",
                           "description": "The POS key id."},
                "posTimestamp": {"type": "apiKey", "in": "header", "name": "X-Loyalty-Timestamp",
                                 "description": "Unix seconds, within 300 s of the server clock."},
                "posSignature": {"type": "apiKey", "in": "header", "name": "X-Loyalty-Signature",
                                 "description": "Lowercase hex HMAC-SHA256(secret, "
                                                "\"{timestamp}.{METHOD}.{path}.{body}\"), path with its query."},
                "applePass": {"type": "apiKey", "in": "header", "name": "Authorization",
                              "description": "`ApplePass <authenticationToken>` (Apple's PassKit web service)."},
                "telegramSecret": {"type": "apiKey", "in": "header", "name": "X-Telegram-Bot-Api-Secret-Token"},
            },
        },
    }
    _moysklad(document)  # moysklad (issue 15)
    _products(document)  # products (issue 16, part H1)
    _offers(document)  # offers (issue 16, part H2)
    _surveys(paths, schemas, program_id, period)  # surveys (issue 16)
    _experiments(document, program_id)  # experiments (issue 17)
    _locations(document, program_id)  # locations and POS keys' locations (issue 18)
    _location_analytics(document, program_id)  # analytics by location (issue 18)
    _till(document)  # the cashier's till (issue 18)
    _telegram_app(document)  # the Telegram Mini App (issue 18)
    _audit(document)  # the audit trail (issue 19)
    _member_export(document)  # a member's data export (issue 19)
    _erasure(document)  # erasing a member (issue 19)
    _retention(document)  # the retention setting (issue 19)
    _consents(document)  # consent records (issue 19)
    return document


# --- offers (issue 16, part H2): the offers a card holds, redeemed on a receipt, issued by campaigns ------

def _offers(document: dict) -> None:
    paths, schemas = document["paths"], document["components"]["schemas"]
    id_pattern = f"^{v.ID_PATTERN}$"
    reward = {"oneOf": [
        _obj(("type", "points"), type={"const": "points"}, points=_int(1)),
        _obj(("type", "percent"), type={"const": "percent"}, percent={"type": "number", "minimum": 0, "maximum": 100}),
        _obj(("type", "item"), type={"const": "free_item"}, item=_STRING, sku=_STRING)]}
    schemas["HeldOffer"] = _obj(
        ("id", "offer", "name", "reward", "valid_until", "status"),
        id=_STRING | {"description": "The held offer's id on the card: what a receipt's `offer_id` names."},
        offer=_STRING | {"description": "The offer's definition in the program's `mechanics.offers`."},
        name=_STRING, reward=_nullable(reward), valid_until=_NSTRING | {"description": "Its last valid day."},
        status={"type": "string", "enum": ["live", "used", "expired"]},
        sku=_STRING | {"description": "A personal offer's product (favourite product)."})
    card_id = _path_param("card_id", "A card's id.", maxLength=64)
    paths["/admin/cards/{card_id}/offers"] = {
        "get": _op("The offers a card holds: live, used and expired ones (kept 90 days), newest first",
                   _answers({"200": _json(_obj(("items",), items={"type": "array", "items": _ref("HeldOffer")}))},
                            401, 403, 404),
                   tag="admin", security=_ADMIN, params=[card_id]),
        "post": _op("Issue one of the program's offers to a card (idempotent on idempotency_key)",
                    _answers({"201": _json(_ref("HeldOffer")),
                              "200": _json(_ref("HeldOffer"), "The first answer again (Idempotent-Replay: true).")},
                             400, 401, 403, 404, 409, 413, 415, 422, 503),
                    tag="admin", security=_ADMIN, params=[card_id],
                    description="`404 offer_not_found`: the program defines no such offer; `409 too_many_offers`: "
                                "the card holds 20 live offers; `422 card_blocked`. The holder gets an "
                                "`offer_issued` message (quiet hours and the weekly cap apply).",
                    body=_body(_closed(("offer", "idempotency_key"), offer=_s(40, pattern=id_pattern),
                                       idempotency_key=_s(64, pattern=id_pattern))))}
    paths["/admin/cards/{card_id}/offers/{held_id}"] = {"delete": _op(
        "Take an offer back from a card (used or not; again: the same answer)",
        _answers({"204": {"description": "Taken back."}}, 401, 403, 404, 409, 503),
        tag="admin", security=_ADMIN,
        params=[card_id, _path_param("held_id", "The held offer's `id`.", maxLength=64)])}
    receipt = paths["/pos/receipts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    receipt["properties"]["offer_id"] = _s(64, pattern=id_pattern) | {
        "description": "A held offer redeemed with this receipt (once; a full refund gives it back). Refusals "
                       "(422, field offer_id): offer_not_found, offer_used, offer_expired, offer_not_applicable."}
    answer = schemas["ReceiptAnswer"]["properties"]
    answer["offer"] = {"allOf": [_ref("HeldOffer"), _obj(points=_int(1), discount=_int(1))],
                       "description": "The offer redeemed: bonus `points` (in `earned`) or `discount` (minor units "
                                      "the till takes off)."}
    answer.setdefault("discount", _int(0) | {"description": "Minor units the till takes off the receipt."})
    answer["bonuses"] = {"type": "array",
                         "description": "Bonuses this receipt gave besides its points: a completed challenge's "
                                        "(`streak`: its streak bonus), the first purchase's.",
                         "items": _obj(("source", "id"), source={"type": "string", "enum": ["challenge", "action"]},
                                       id=_STRING, points=_int(1), offer=_STRING, streak={"type": "boolean"})}
    schemas["Card"]["properties"]["challenges"] = {
        "type": "array", "description": "The card's progress in the program's challenges (when it has any).",
        "items": _obj(("id", "name", "progress", "target", "ends_on", "completed", "streak", "done"),
                      id=_STRING, name=_STRING, progress=_int(0), target=_int(1), ends_on=_NSTRING,
                      completed=_int(0), streak=_int(0), done={"type": "boolean"})}
    schemas["Quote"]["properties"]["offers"] = {
        "type": "array", "items": {"allOf": [_ref("HeldOffer"), _obj(applicable={"type": "boolean"})]},
        "description": "The card's live offers, each saying whether it applies to this sale."}
    schemas["Campaign"]["properties"]["offer"] = _NSTRING | {
        "description": "The offer (a definition's id) each card reached is issued, once."}
    create = paths["/admin/programs/{program_id}/campaigns"]["post"]["requestBody"]["content"]["application/json"]
    create["schema"]["properties"]["offer"] = _s(40, pattern=id_pattern)

# --- design: card images, and the console's admin reads (campaigns list, a card's messages) ----------

def _add_design(paths: dict, schemas: dict, program_id: Schema, card_id: Schema) -> None:
    # lazy: only to keep this part's block in one place; 0 ms (api/design.py has loaded it already)
    from chalicelib.wallet import images  # noqa: PLC0415

    png = {"description": "PNG.", "content": {"image/png": {"schema": {"type": "string",
                                                                        "contentMediaType": "image/png"}}}}
    image_body = {"required": True, "content": {
        kind: {"schema": {"type": "string", "contentMediaType": kind}} for kind in ("image/png", "image/jpeg")}}
    kind = _path_param("kind", "Which image: `logo`, `icon` or `strip`.", enum=list(images.KINDS))
    schemas["ProgramImage"] = _obj(("kind", "version", "urls"), kind={"type": "string", "enum": list(images.KINDS)},
                                   version=_STRING,
                                   urls={"type": "object", "additionalProperties": {"type": "string"},
                                         "description": "Every size's public URL, by name (logo@2x, hero, …)."})
    schemas["CardMessage"] = _obj(("kind", "channel", "status", "reason", "text", "sent_at"),
                                  kind=_STRING, channel=_STRING, status=_STRING, reason=_NSTRING, text=_NSTRING,
                                  sent_at=_STRING)
    paths["/admin/programs/{program_id}/images/{kind}"] = {
        "put": _op("Upload the card's logo, icon or strip (PNG or JPEG, at most "
                   f"{images.MAX_UPLOAD_BYTES // (1024 * 1024)} MB), resized to every size both wallets "
                   "need (owner)",
                   _answers({"200": _json(_ref("ProgramImage"))}, 400, 401, 403, 404, 409, 413, 415),
                   tag="admin", security=_ADMIN, params=[program_id, kind], body=image_body),
        "delete": _op("Go back to the default design's image of this kind (owner)",
                      _answers({"204": {"description": "Removed."}}, 401, 403, 404, 409),
                      tag="admin", security=_ADMIN, params=[program_id, kind]),
    }
    paths["/admin/programs/{program_id}/images"] = {"get": _op(
        "The program's uploaded images with every size's URL, by kind (kinds not there use the default design)",
        _answers({"200": _json(_obj(("items",), items={"type": "object",
                                                       "additionalProperties": _ref("ProgramImage")}))},
                 401, 403, 404),
        tag="admin", security=_ADMIN, params=[program_id])}
    paths["/static/programs/{program_id}/images/{version}/{file_name}"] = {
        method: _op(summary, _answers({"200": png}, 404), tag="customers", security=_PUBLIC,
                    params=[program_id, _path_param("version", "The image's version.", maxLength=40),
                            _path_param("file_name", "A size's name, e.g. logo@2x.png, google-logo.png.",
                                        maxLength=40)])
        for method, summary in (("get", "An uploaded program image in one size (cached for a year: immutable)"),
                                ("head", "The image's headers (no body)"))}
    paths["/admin/programs/{program_id}/campaigns"]["get"] = _op(
        "The program's campaigns, newest first", _answers({"200": _json(_page("Campaign"))}, 400, 401, 403, 404),
        tag="admin", security=_ADMIN, params=[program_id, *_paging(100)])
    paths["/admin/cards/{card_id}/messages"] = {"get": _op(
        "The messages a card was sent, newest first (kind, channel, what became of it, the text)",
        _answers({"200": _json(_page("CardMessage"))}, 400, 401, 403, 404),
        tag="admin", security=_ADMIN, params=[card_id, *_paging(200)])}



# --- surveys (issue 16): the one-tap survey page and the owner's report -------------------------------------

def _surveys(paths: dict, schemas: dict, program_id: Schema, period: list) -> None:
    nps = _nullable(_obj(("score", "promoters", "passives", "detractors", "answers"),
                         score=_int(-100, 100) | {"description": "% promoters (9-10) - % detractors (0-6), "
                                                                 "rounded half up."},
                         promoters=_int(0), passives=_int(0), detractors=_int(0), answers=_int(1)))
    csi = _nullable(_obj(("average", "answers"), average={"type": "number", "minimum": 1, "maximum": 5},
                         answers=_int(1)))
    schemas["SurveyReport"] = _obj(
        ("from", "to", "nps", "csi", "by_month", "comments"), **{"from": _STRING, "to": _STRING}, nps=nps, csi=csi,
        by_month={"type": "array", "items": _obj(("month", "nps", "csi"), month=_STRING, nps=nps, csi=csi)},
        comments=_obj(("items", "next_cursor"), next_cursor=_NSTRING, items={"type": "array", "items": _obj(
            ("answered_at", "score", "comment", "card_id", "kind"), answered_at=_STRING, score=_int(0, 10),
            comment=_NSTRING, card_id=_STRING, kind={"type": "string", "enum": ["nps", "csi"]})}))
    paths["/admin/programs/{program_id}/surveys"] = {"get": _op(
        "Survey answers of a period: NPS, CSI, month by month, and the comments newest first (analytics:read)",
        _answers({"200": _json(_ref("SurveyReport"))}, 400, 401, 403, 404),
        tag="analytics", security=_ADMIN, params=[program_id, *period, *_paging(100)],
        description="`limit` and `cursor` page the comments; the figures are the whole period's.")}
    token = _path_param("token", "The survey link's token (from the message).", maxLength=200)
    refusals = {"404": _html("No such survey (a wrong or forged link)."),
                "410": _html("The survey is closed (more than 14 days after it was sent).")}
    paths["/survey/{token}"] = {
        "get": _op("The survey page: the question and one button per score", _answers(
            {"200": _html("The question, or 'answered already'."), **refusals}, 429),
            tag="customers", security=_PUBLIC, params=[token]),
        "post": _op("Answer the survey (one tap), or leave a comment on the answer", _answers(
            {"200": _html("Thank you (with the comment box after a score)."), **refusals,
             "400": {**_error(400, html=True), "description": "A score outside the scale or a comment over 500 "
                     "characters: the page again (HTML); a body that is no form at all: the contract's error."},
             "409": _html("Answered (or commented) already.")}, 413, 415, 429),
            tag="customers", security=_PUBLIC, params=[token],
            body={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": _obj(
                (), score=_s(2), comment=_s(500))}}},
            description="A form post: `score` (NPS 0-10, CSI 1-5) answers, once; `comment` (after a score) adds "
                        "a comment, once."),
    }


# --- moysklad (issue 15): MoySklad LoyaltyAPI 1.0 and the owner's connections -----------------------------
# The till's routes answer MoySklad's own error shape (`{"errors": [...]}`), not the contract's: the one place
# the API speaks another system's protocol (tests/api/test_openapi.py checks both shapes).
_MS_JSON = "application/json"
_MS_TEXT = {401: "Missing, unknown or revoked token (code 401).",
            404: "No such customer in the program (code 404).",
            409: "A sale or return id sent before with another body (code 409).",
            412: "A missing or wrong parameter (code 999, `parameter` names it), or a customer who must confirm a "
                 "code first (code 28001).",
            422: "Refused by the program's rules, e.g. more points than the customer may spend (code 422).",
            429: "Too many requests on this connection (code 429).",
            503: "Try again shortly (code 503)."}


def _ms_error(status: int) -> dict:
    item = _obj(("error", "code", "error_message"), error=_STRING, parameter=_STRING, code=_int(),
                error_message=_STRING)
    answer: Schema = {"description": _MS_TEXT[status],
                      "content": {_MS_JSON: {"schema": _obj(("errors",), errors={"type": "array", "minItems": 1,
                                                                                  "items": item})}}}
    if status in _RETRY_AFTER:
        answer["headers"] = _RETRY_AFTER[status]
    return answer


def _ms_op(summary: str, ok: dict, *errors: int, params: Iterable[Schema] = (), body: bool = False) -> Schema:
    answers: dict = dict(ok)
    for status in (401, 429, 503, *errors):
        answers[str(status)] = _ms_error(status)
    if body:
        answers["413"], answers["415"] = _error(413), _error(415)
    connection = _path_param("connection_id", "The connection's id (in the base URL).", maxLength=64)
    return _op(summary, answers, tag="moysklad", security=[{"moyskladToken": []}], params=[connection, *params],
               body=_body({"type": "object"}) if body else None,
               description="MoySklad LoyaltyAPI 1.0 (README: MoySklad): MoySklad's documented request and answer.")


def _moysklad(document: dict) -> None:
    """Adds the MoySklad routes and the token's security scheme to the document."""
    store = _query("retailStoreId", "The till's retail store (MoySklad's id).", required=True, type="string",
                   maxLength=100)
    created = {"201": {"description": "Done (no body)."}}
    program_id = _path_param("program_id", "A program's id.", maxLength=64)
    connection = _obj(("connection_id", "program_id", "base_url", "verify_spending", "status", "created_at"),
                      connection_id=_STRING, program_id=_STRING, label=_NSTRING, base_url=_STRING,
                      verify_spending={"type": "boolean"}, status={"type": "string", "enum": ["active", "revoked"]},
                      created_at=_STRING, revoked_at=_NSTRING)
    base = "/moysklad/{connection_id}"
    document["paths"].update({
        f"{base}/counterparty": {
            "get": _ms_op("Find a customer by card number or phone", {"200": _json(_obj(("rows",), rows={
                "type": "array", "items": {"type": "object"}}))}, 412,
                params=[_query("search", "A card number or phone.", type="string", maxLength=100), store]),
            "post": _ms_op("Register a customer (412 with code 28001 when a code must confirm the phone)",
                           created, 404, 412, body=True)},
        f"{base}/counterparty/detail": {"post": _ms_op(
            "A customer's balance", {"200": _json(_obj(("bonusProgram",), bonusProgram=_obj(
                ("agentBonusBalance",), agentBonusBalance=_int())))}, 404, 412, body=True)},
        f"{base}/counterparty/verify": {"post": _ms_op(
            "Text a code to a customer being registered", {"200": _json(_obj(
                ("verificationCode",), verificationCode=_STRING, timeForRepeat=_int(), messageForCashier=_STRING))},
            412, body=True)},
        f"{base}/retaildemand/recalc": {"post": _ms_op(
            "The receipt with the points' discount and the points to spend and earn",
            {"200": _json(_obj(("agent", "positions", "bonusProgram", "needVerification"),
                               agent={"type": "object"}, positions={"type": "array"}, bonusProgram={"type": "object"},
                               needVerification={"type": "boolean"}))}, 404, 412, body=True)},
        f"{base}/retaildemand/verify": {"post": _ms_op(
            "Text the card's holder a code before points are spent", {"200": _json(_obj(
                ("verificationCode",), verificationCode=_STRING, timeForRepeat=_int(), messageForCashier=_STRING))},
            404, 412, body=True)},
        f"{base}/retaildemand": {"post": _ms_op("A sale (a receipt; the same sale again changes nothing)", created,
                                                409, 412, 422, body=True)},
        f"{base}/retailsalesreturn": {"post": _ms_op(
            "A return: the linked sale's points reversed in proportion", created, 409, 412, 422, body=True)},
        f"{base}/giftcard": {"get": _ms_op(
            "A gift card (we sell none: INVALID)", {"200": _json(_obj(("name", "id", "status"), name=_STRING,
                                                                      id=_STRING, status=_STRING))}, 412,
            params=[_query("name", "The gift card's number.", required=True, type="string", maxLength=100), store])},
        "/admin/programs/{program_id}/integrations/moysklad": {
            "get": _op("MoySklad connections (never their tokens; owner)",
                       _answers({"200": _json(_obj(("items", "next_cursor"),
                                                   items={"type": "array", "items": connection},
                                                   next_cursor=_NSTRING))}, 400, 401, 403, 404),
                       tag="admin", security=_ADMIN, params=[program_id, *_paging(100)]),
            "post": _op("Connect MoySklad: a token (shown this once) and the base URL to paste into MoySklad (owner)",
                        _answers({"201": _json({"allOf": [connection, _obj(("token",), token=_STRING)]})},
                                 400, 401, 403, 404, 413, 415),
                        tag="admin", security=_ADMIN, params=[program_id],
                        body=_body(_closed((), label=_nullable(_s(80)), verify_spending={"type": "boolean"}),
                                   required=False))},
        "/admin/programs/{program_id}/integrations/moysklad/{connection_id}": {"delete": _op(
            "Revoke a MoySklad connection (owner)", _answers({"200": _json(connection)}, 401, 403, 404),
            tag="admin", security=_ADMIN,
            params=[program_id, _path_param("connection_id", "The connection's id.", maxLength=64)])},
    })
    document["components"]["securitySchemes"]["moyskladToken"] = {
        "type": "apiKey", "in": "header", "name": "Lognex-Discount-API-Auth-Token",
        "description": "The connection's token (MoySklad sends it with every request)."}


# --- products (issue 16, part H1): stamp and discount cards, product rules, line-by-line answers ---------

def _products(document: dict) -> None:
    """A line's `category`, a receipt's `rewards`, and what quotes and receipt answers add by kind."""
    schemas = document["components"]["schemas"]
    schemas["ReceiptLine"]["properties"]["category"] = _nullable(_s(64, description=(
        "The POS's product group (\"coffee\", \"tobacco\"): product rules and stamp cards match it.")))
    receipt = document["paths"]["/pos/receipts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    receipt["properties"]["rewards"] = _int(0, 1000) | {"description": "A stamp card's full cards redeemed "
                                                        "(per_reward stamps each); 422 for other kinds."}
    schemas["PricedLine"] = _obj(("index", "earn", "payable", "rule"), index=_NINT | {
        "description": "The line's place in `lines`; null: money of the total the lines do not list."},
        earn=_int(0), payable={"type": "boolean"}, rule=_NSTRING)
    by_kind = dict(
        lines={"type": "array", "items": _ref("PricedLine"), "description": "When lines were sent."},
        payable=_int(0) | {"description": "Money points and offers may pay for (excluded lines are not)."},
        discount=_int(0) | {"description": "Minor units off: a discount card's, plus a percentage offer's."},
        discount_percent={"type": "number"}, paid=_int(0) | {"description": "A discount card: total - discount."},
        stamps=_int(0), per_reward=_int(2, 50), rewards_available=_int(0))
    schemas["Quote"]["properties"].update(by_kind, kind={"type": "string", "enum": ["points", "cashback", "stamps",
                                                                                    "discount"]},
                                          stamps_earn=_int(0))
    schemas["ReceiptAnswer"]["properties"].update(by_kind, rewards_redeemed=_int(0))


# --- experiments (issue 17): control groups, A/B variants, uplift, ROMI -----------------------------------

_NUMBER = {"type": "number"}
_NNUMBER = {"type": ["number", "null"]}
_SUBJECTS = ["campaign", "birthday", "winback", "expiry_warning", "offers", "challenges"]
_EXPERIMENT_ERRORS = (
    "`404 experiment_not_found`: no such experiment in this program (another merchant's too); "
    "`409 experiment_running`: the trigger already has one running; `409 not_stoppable`: a campaign's "
    "experiment ends with its send; `400 trigger_off`: the trigger is off in the mechanics; `400 invalid_value`, "
    "`out_of_range`, `invalid_choice`, `unknown_field`, `required` name the field.")


def _variant_body(subject_note: str) -> Schema:
    return _closed(("name",), name=_s(60),
                   texts=_closed((), ru=_s(300), en=_s(300)) | {"minProperties": 1},
                   bonus=_int(0, 10_000_000), offer=_s(40, pattern=f"^{v.ID_PATTERN}$")) | {
        "description": f"What this variant's share gets instead of the subject's own settings. {subject_note}"}


def _design_properties(subject_note: str) -> dict[str, Schema]:
    """The experiment settings a campaign's or a trigger experiment's body may carry."""
    return {
        "holdout_percent": {"type": "number", "minimum": 0, "maximum": 50, "description":
                            "The control share kept out (no message, bonus or offer): 0-50, two decimals; "
                            "10 by default for a campaign."},
        "variants": {"type": "array", "minItems": 2, "maxItems": 4, "items": _variant_body(subject_note),
                     "description": "Two to four variants splitting the treated cards evenly (A/B test); none: "
                                    "one, the subject as configured."},
        "windows": {"type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": True, "items": _int(1, 90),
                    "description": "Days after exposure each result is measured over (default [7, 14, 30])."}}


def _experiment_schemas(schemas: dict) -> None:
    variant = _obj(("id", "name", "share_percent", "bonus", "texts", "offer"),
                   id={"type": "string", "enum": ["a", "b", "c", "d"]}, name=_STRING, share_percent=_NUMBER,
                   bonus=_nullable(_int(0)), texts=_nullable({"type": "object"}) | {
                       "description": "null for roles that may not read campaigns (analysts)."},
                   offer=_NSTRING)
    schemas["ExperimentVariant"] = variant
    schemas["Experiment"] = _obj(
        ("id", "name", "subject", "campaign_id", "holdout_percent", "variants", "windows", "status", "created_by",
         "created_at", "stopped_at"),
        id=_STRING, name=_STRING, subject={"type": "string", "enum": _SUBJECTS},
        campaign_id=_NSTRING | {"description": "The campaign's id (a campaign's experiment has the same id)."},
        holdout_percent=_NUMBER, variants={"type": "array", "items": _ref("ExperimentVariant")},
        windows={"type": "array", "items": _int(1, 90)},
        status={"type": "string", "enum": ["running", "stopped", "finished"]},
        created_by=_NSTRING, created_at=_STRING, stopped_at=_NSTRING,
        summary=_nullable({"type": "object"}) | {"description": "What its last report left for ROMI by month."})
    metrics = {"cards": _int(0), "conversion": _NNUMBER, "revenue": _NNUMBER, "visits": _NNUMBER,
               "points_cost": _NNUMBER}
    difference = _obj(("treatment", "control", "difference", "low", "high", "p_value", "significant", "method"),
                      treatment=_NNUMBER, control=_NNUMBER, difference=_NNUMBER,
                      low=_NNUMBER | {"description": "95% interval, low end (null: too few cards or no variance)."},
                      high=_NNUMBER, p_value=_NNUMBER, significant={"type": "boolean"},
                      method={"type": "string", "enum": ["two-proportion z-test", "Welch's t-test"]})
    schemas["UpliftDifference"] = difference
    verdict = _obj(("effect", "text"), effect={"type": "string", "enum": [
        "positive", "negative", "none_found", "too_early", "too_few"]},
        text=_obj(("ru", "en"), ru=_STRING, en=_STRING))
    comparison = _obj(("variant", "against", "conversion", "revenue", "visits", "points_cost", "verdict"),
                      variant=_STRING, against=_STRING | {"description": "control, or an earlier variant's id."},
                      conversion=_ref("UpliftDifference"), revenue=_ref("UpliftDifference"),
                      visits=_ref("UpliftDifference"), points_cost=_ref("UpliftDifference"), verdict=verdict)
    window = _obj(("days", "complete", "open", "groups", "comparisons"), days=_int(1, 90),
                  complete={"type": "boolean"}, open=_int(0) | {"description": "Cards still inside this window."},
                  groups={"type": "object", "additionalProperties": _obj(tuple(metrics), **metrics),
                          "description": "By group: control and each variant's id."},
                  comparisons={"type": "array", "items": comparison})
    romi = _obj(("variant", "window", "complete", "incremental_revenue", "incremental_revenue_low",
                 "incremental_revenue_high", "incremental_margin", "bonus_cost", "message_cost", "cost", "romi",
                 "margin_percent"),
                variant=_STRING, window=_int(1, 90), complete={"type": "boolean"}, incremental_revenue=_NNUMBER,
                incremental_revenue_low=_NNUMBER, incremental_revenue_high=_NNUMBER, incremental_margin=_NNUMBER,
                bonus_cost=_NNUMBER, message_cost=_NNUMBER, cost=_NNUMBER,
                romi=_NNUMBER | {"description": "(incremental margin - cost) / cost, percent; null when the cost is "
                                                "0 or the margin is not set (mechanics.economics)."},
                margin_percent=_NNUMBER)
    series = {"type": "array", "items": _NNUMBER}
    chart = _obj(("days", "groups", "differences"), days={"type": "array", "items": _int(0)},
                 groups={"type": "object", "additionalProperties": _obj(("conversion", "revenue"),
                                                                        conversion=series, revenue=series)},
                 differences={"type": "object", "additionalProperties": _obj(
                     (), **{name: series for name in ("conversion", "conversion_low", "conversion_high", "revenue",
                                                      "revenue_low", "revenue_high")})})
    schemas["ExperimentReport"] = _obj(
        ("experiment", "as_of", "groups", "windows", "romi", "chart", "items_read"),
        experiment=_ref("Experiment"), as_of={"type": "string", "format": "date"},
        groups={"type": "array", "items": _obj(("variant", "name", "cards"), variant=_STRING, name=_STRING,
                                               cards=_int(0))},
        windows={"type": "array", "items": window}, romi={"type": "array", "items": romi}, chart=chart,
        items_read=_obj(("assignments", "experiment"), assignments=_int(0), experiment=_int(0)) | {
            "description": "DynamoDB items this report read: the experiment's cards, and the experiment."})


def _experiments(document: dict, program_id: Schema) -> None:
    paths, schemas = document["paths"], document["components"]["schemas"]
    _experiment_schemas(schemas)
    experiment_id = _path_param("experiment_id", "An experiment's id (a campaign's experiment: the campaign's id).",
                                maxLength=64)
    base = "/admin/programs/{program_id}/experiments"
    triggers = [name for name in _SUBJECTS if name != "campaign"]
    start = _closed(("subject",), subject={"type": "string", "enum": triggers}, name=_s(120),
                    **_design_properties("A trigger's variant may change: birthday and winback `bonus` and `texts`; "
                                         "expiry_warning `texts`; offers and challenges nothing (a holdout only)."))
    paths[base] = {
        "get": _op("The program's experiments, newest first (owner, manager, analyst)",
                   _answers({"200": _json(_obj(("items",), items={"type": "array", "items": _ref("Experiment")}))},
                            401, 403, 404),
                   tag="experiments", security=_ADMIN, params=[program_id]),
        "post": _op("Start a trigger's experiment: a holdout and/or variants, until stopped (owner, manager)",
                    _answers({"201": _json(_ref("Experiment"))}, 400, 401, 403, 404, 409, 413, 415),
                    tag="experiments", security=_ADMIN, params=[program_id], description=_EXPERIMENT_ERRORS,
                    body=_body(start))}
    paths[base + "/{experiment_id}"] = {"get": _op(
        "An experiment", _answers({"200": _json(_ref("Experiment"))}, 401, 403, 404),
        tag="experiments", security=_ADMIN, params=[program_id, experiment_id])}
    paths[base + "/{experiment_id}/stop"] = {"post": _op(
        "Stop a trigger's experiment (again: the same answer); its cards' windows still count",
        _answers({"200": _json(_ref("Experiment"))}, 401, 403, 404, 409),
        tag="experiments", security=_ADMIN, params=[program_id, experiment_id], description=_EXPERIMENT_ERRORS)}
    paths[base + "/{experiment_id}/report"] = {"get": _op(
        "The experiment's uplift per window, verdicts, ROMI and daily chart (reads the experiment's cards + 1)",
        _answers({"200": _json(_ref("ExperimentReport"))}, 401, 403, 404),
        tag="experiments", security=_ADMIN, params=[program_id, experiment_id])}
    paths[base + "/{experiment_id}/export"] = {"get": _op(
        "A page of CSV: each card's group, exposure, cost and per window visits, revenue and points; the next page "
        "is in X-Next-Cursor and Link",
        _answers({"200": {"description": "CSV.", "content": {"text/csv": {"schema": _STRING}},
                          "headers": {"X-Next-Cursor": {"schema": _STRING}}}}, 400, 401, 403, 404),
        tag="experiments", security=_ADMIN,
        params=[program_id, experiment_id,
                _query("cursor", "X-Next-Cursor of the previous page.", type="string", maxLength=1024)])}
    month = "^[0-9]{4}-(0[1-9]|1[0-2])$"
    paths["/admin/programs/{program_id}/analytics/romi"] = {"get": _op(
        "ROMI summed by the month experiments started (from their last reports)",
        _answers({"200": _json(_obj(("months",), months={"type": "array", "items": _obj(
            ("month", "incremental_margin", "cost", "romi"), month=_STRING, incremental_margin=_NNUMBER,
            cost=_NNUMBER, romi=_NNUMBER)}))}, 400, 401, 403, 404),
        tag="experiments", security=_ADMIN,
        params=[program_id, _query("from", "First month, YYYY-MM.", type="string", pattern=month),
                _query("to", "Last month, YYYY-MM.", type="string", pattern=month)])}
    # campaigns keep a control group (10% unless told) and may split into variants
    campaign = schemas["Campaign"]["properties"]
    campaign["experiment_id"] = _NSTRING | {"description": "Its experiment (null: holdout 0 and one variant)."}
    campaign["holdout_percent"] = _NUMBER
    campaign["variants"] = {"type": "array", "items": _ref("ExperimentVariant")}
    campaign["counts"]["properties"]["held_out"] = _int(0) | {
        "description": "Cards of the audience kept as control: no message, bonus or offer."}
    create = paths["/admin/programs/{program_id}/campaigns"]["post"]["requestBody"]["content"]["application/json"]
    create["schema"]["properties"].update(_design_properties("A campaign's variant may change `texts`, `bonus` and "
                                                             "`offer`."))
    schemas["Mechanics"]["properties"] = {"economics": _obj(
        (), margin_percent=_nullable({"type": "number", "minimum": 0, "maximum": 100}) | {
            "description": "Gross margin on sales, percent: ROMI's incremental margin (null: not set, no ROMI)."},
        message_prices={"type": "object", "additionalProperties": _int(0), "description":
                        "Minor units per message by channel (wallet, email, telegram, sms): ROMI's message cost."})}


# --- locations (issue 18): a program's stores, and the POS keys and receipts that name them -------

# core/locations.py's weekdays and statuses (written out: this block adds no import to the module's top)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LOCATION_STATUSES = ["open", "closed"]


def _location_fields() -> dict[str, Schema]:
    """A location's fields as a body sends them (POST: `name` required; PATCH: any, `null` clears)."""
    span = {"type": "string", "pattern": "^ *([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00) *$",
            "description": "HH:MM-HH:MM; an end before the start runs over midnight (22:00-02:00)."}
    hours = _closed((), **{day: {"type": "array", "maxItems": 4, "items": span} for day in _WEEKDAYS})
    return {"name": _s(80, minLength=1), "address": _nullable(_s(200)),
            "latitude": _nullable({"type": "number", "minimum": -90, "maximum": 90}),
            "longitude": _nullable({"type": "number", "minimum": -180, "maximum": 180}),
            "timezone": _nullable(_s(64) | {"description": "An IANA time zone; null: the program's."}),
            "hours": _nullable(hours | {"description": "Opening hours by weekday; a day left out is closed."}),
            "relevant_text": _nullable(_s(120) | {"description": "The lock-screen line near it (Apple)."}),
            "external_ids": _nullable(_closed((), **{provider: _s(128, pattern="^[A-Za-z0-9_\\-:.]{1,128}$")
                                                     for provider in locations.EXTERNAL_PROVIDERS})
                                      | {"description": "The POS providers' ids of this store: their sales made "
                                                        "there carry this location. null or {}: none."})}


def _locations(document: dict, program_id: Schema) -> None:
    """The paths and schemas of a program's locations, the location of a POS key, a MoySklad connection
    and a receipt."""
    paths, schemas = document["paths"], document["components"]["schemas"]
    location_id = _s(64, pattern=f"^{v.ID_PATTERN}$")
    nullable_number = {"type": ["number", "null"]}
    schemas["Location"] = _obj(
        ("id", "name", "address", "latitude", "longitude", "timezone", "hours", "relevant_text", "status",
         "created_at"),
        id=_STRING, name=_STRING, address=_NSTRING, latitude=nullable_number, longitude=nullable_number,
        timezone=_NSTRING, hours={"type": "object", "additionalProperties": {"type": "array", "items": _STRING}},
        relevant_text=_NSTRING, status={"type": "string", "enum": _LOCATION_STATUSES},
        created_at=_NSTRING, external_ids={"type": "object", "additionalProperties": _STRING})
    fields = _location_fields()
    base = "/admin/programs/{program_id}/locations"
    one = _path_param("location_id", "A location's id.", maxLength=64)
    paths[base] = {
        "get": _op("The program's locations (stores), closed ones too, in the order they were added",
                   _answers({"200": _json(_obj(("items",), items={"type": "array", "items": _ref("Location")}))},
                            401, 403, 404), tag="admin", security=_ADMIN, params=[program_id]),
        "post": _op("Add a location (store)", _answers({"201": _json(_ref("Location"))}, 400, 401, 403, 404, 409,
                                                       413, 415, 422),
                    tag="admin", security=_ADMIN, params=[program_id], body=_body(_closed(("name",), **fields)),
                    description="`400` names the field; `409 location_name_taken` (names are unique, whatever "
                                "the case); `409 edit_conflict` (the program changed meanwhile); `422 "
                                "too_many_locations` (at most 200). Latitude and longitude come both or neither. "
                                "`409 external_id_taken`: another open location has that provider's store id.")}
    paths[base + "/{location_id}"] = {
        "get": _op("A location", _answers({"200": _json(_ref("Location"))}, 401, 403, 404), tag="admin",
                   security=_ADMIN, params=[program_id, one]),
        "patch": _op("Edit, close or reopen a location (only the fields sent change)",
                     _answers({"200": _json(_ref("Location"))}, 400, 401, 403, 404, 409, 413, 415),
                     tag="admin", security=_ADMIN, params=[program_id, one],
                     body=_body(_closed((), **fields, status={"type": "string", "enum": _LOCATION_STATUSES})
                                | {"minProperties": 1}),
                     description="`status: closed` closes it: it stays (receipts and analytics name it), leaves "
                                 "the pass and takes no new POS keys; `open` reopens it. There is no DELETE.")}
    unknown = " An unknown or closed location is `422 unknown_location` (field location_id)."
    keys = paths["/admin/programs/{program_id}/pos-keys"]["post"]
    keys["requestBody"]["content"]["application/json"]["schema"]["properties"]["location_id"] = _nullable(
        location_id) | {"description": "The open location whose receipts it signs; null: the whole program." + unknown}
    keys["responses"]["422"] = _error(422)
    schemas["PosKey"]["properties"]["location_id"] = _NSTRING | {"description": "null: the whole program."}
    receipt = paths["/pos/receipts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    receipt["properties"]["location_id"] = location_id | {
        "description": "Where it was sold, sent by a whole-program key (a central POS of several locations). A "
                       "location's key sets its own: another one is `422 location_mismatch`." + unknown}
    schemas["ReceiptAnswer"]["properties"]["location_id"] = _STRING | {
        "description": "The location it was sold at (absent: none)."}
    moysklad = paths["/admin/programs/{program_id}/integrations/moysklad"]
    moysklad["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["location_id"] = _nullable(
        location_id) | {"description": "The open location its sales are made at; null: the whole program." + unknown}
    moysklad["post"]["responses"]["422"] = _error(422)
    connection = moysklad["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["items"]
    connection["items"]["properties"]["location_id"] = _NSTRING
    join = paths["/join/{slug}"]
    where = _query("location", "A location's join link (its poster's QR): the card's home location. An unknown "
                               "or closed one is ignored.", type="string", maxLength=200)
    join["get"]["parameters"].append(where)
    join["post"].setdefault("parameters", []).append(where)
    paths["/console/poster/{slug}"]["get"]["parameters"].append(_query(
        "location", "An open location's poster: its name and its own join link (otherwise the program's).",
        type="string", maxLength=200))


# --- analytics by location (issue 18) ----------------------------------------------------------


_LOCATION_FILTER = ("One location's figures (an id of the program's locations, closed ones included; README "
                    "\"Analytics by location\"); absent: the whole program's. Not the program's: 404 "
                    "location_not_found.")
_LOCATION_FILTERED = {  # (path, method): what `location_id` keeps
    ("/admin/programs/{program_id}/analytics/summary", "get"):
        "Counted figures (receipts, revenue, refunds, points, new members) at the location; member figures "
        "(members, buyers, frequency, repeat rate, CRR, LTV, outstanding points) of the cards whose home it is.",
    ("/admin/programs/{program_id}/analytics/daily", "get"): "The days' counted figures at the location.",
    ("/admin/programs/{program_id}/analytics/segments", "get"):
        "The members whose home it is, cut by the program's thresholds.",
    ("/admin/programs/{program_id}/analytics/segments/{segment}/cards", "get"): "The cards whose home it is.",
    ("/admin/programs/{program_id}/experiments/{experiment_id}/report", "get"):
        "The cards whose home was the location when exposed, in every group (groups are drawn at random, so the "
        "comparison stays fair within a location); the experiment's ROMI summary is left as it was.",
}


def _location_query(keeps: str) -> Schema:
    return _query("location_id", f"{_LOCATION_FILTER} {keeps}", type="string", maxLength=200)


def _location_analytics(document: dict, program_id: Schema) -> None:
    """Analytics by location: `?location_id=` on the analytics and experiment-report reads, and the
    comparison of the locations."""
    paths = document["paths"]
    for (path, method), keeps in _LOCATION_FILTERED.items():
        operation = paths[path][method]
        operation["parameters"] = [*operation.get("parameters", []), _location_query(keeps)]
        operation["responses"].setdefault("404", _error(404))
    figures = {"receipts": _int(0), "revenue": _int(), "member_revenue": _int(),
               "member_share": _NNUMBER | {"description": "member_revenue / revenue, percent."},
               "aov": _NINT | {"description": "Average receipt: revenue / receipts (minor units)."},
               "refunds": _int(), "refunded": _int(), "new_members": _int(), "points_issued": _int(),
               "points_redeemed": _int(),
               "members": _int(0) | {"description": "Cards whose home it is, joined by `to`."}}
    row = _obj(("location_id", "name", "status", *figures), location_id=_STRING, name=_STRING,
               status={"type": "string", "enum": ["open", "closed"]}, **figures)
    period = [_query("from", "First day, YYYY-MM-DD (default: 29 days before `to`).", type="string", format="date"),
              _query("to", "Last day, YYYY-MM-DD (default: today in the program's time zone).", type="string",
                     format="date")]
    paths["/admin/programs/{program_id}/analytics/locations"] = {"get": _op(
        "A period's figures location by location, and what no listed location took (one period read per location, "
        "one pass over the cards)",
        _answers({"200": _json(_obj(
            ("from", "to", "items", "unassigned", "items_read"), **{"from": _STRING, "to": _STRING},
            items={"type": "array", "items": row, "description": "Every location, closed ones too, in the owner's "
                                                                 "order."},
            unassigned=_obj(tuple(figures), **figures) | {
                "description": "Receipts without a location (or at one no longer listed) and members without a "
                               "home: with the items, the program's totals."},
            items_read=_obj(("days", "cards"), days=_int(0), cards=_int(0))))}, 400, 401, 403, 404),
        tag="analytics", security=_ADMIN, params=[program_id, *period])}


# --- the cashier's till (issue 18) ------------------------------------------------------------


_TILL_PLACE = ("Where the till is: `location_id` (one of `GET /admin/till`'s locations), or for a program without "
               "locations (owners and managers) `program_id` with no `location_id`. Neither: 400 `required` "
               "(field location_id); a location the caller may not sell at (a cashier's other locations, a closed "
               "one, another merchant's): 404 `location_not_found`, as if it did not exist.")


def _till_body(pos_schema: Schema) -> Schema:
    """A POS body (as the POS routes describe it) plus where the till is."""
    schema = json.loads(json.dumps(pos_schema))  # a copy: the POS route keeps its own
    schema["properties"].update(
        location_id=_s(64, pattern=f"^{v.ID_PATTERN}$", description="The location sold at."),
        program_id=_s(64, pattern=f"^{v.ID_PATTERN}$",
                      description="A program without locations (with no location_id); with a location, its program."))
    return schema


def _till(document: dict) -> None:
    """The cashier's till, the POS API's answers for a staff member's session."""
    paths, schemas = document["paths"], document["components"]["schemas"]
    place_params = [
        _query("location_id", "The till's location (see GET /admin/till).", type="string", maxLength=64),
        _query("program_id", "A program without locations (owners and managers), with no location_id.",
               type="string", maxLength=64)]
    schemas["TillView"] = _obj(
        ("locations", "programs_without_locations"),
        locations={"type": "array", "items": _obj(
            ("id", "name", "address", "program_id", "program_name", "currency", "kind"), id=_STRING, name=_STRING,
            address=_NSTRING, program_id=_STRING, program_name=_STRING, currency=_STRING, kind=_STRING)},
        programs_without_locations={"type": "array", "items": _obj(
            ("program_id", "program_name", "currency", "kind"), program_id=_STRING, program_name=_STRING,
            currency=_STRING, kind=_STRING)})
    schemas["TillReceipt"] = _obj(
        ("receipt_id", "card_last4", "total", "redeemed", "earned", "refunded_amount", "created_at", "actor"),
        receipt_id=_STRING, card_last4=_NSTRING | {"description": "The card's last four digits (null: no card)."},
        total=_int(0), redeemed=_int(0), earned=_int(), refunded_amount=_int(0),
        created_at=_STRING, actor=_NSTRING | {"description": "The staff member who sold it (null: a POS system)."})
    pos_paths = paths["/pos/quote"]["post"], paths["/pos/receipts"]["post"], paths["/pos/refunds"]["post"]
    quote_body, receipt_body, refund_body = (
        _till_body(op["requestBody"]["content"]["application/json"]["schema"]) for op in pos_paths)
    quote_body["properties"]["redeem"] = _int(0, 10**12) | {
        "description": "Points the customer means to spend: the answer adds earn_with_redeem, "
                                          "the earn of that receipt. More than max_redeem (or under the program's "
                                          "minimum) is 422 naming redeem."}
    schemas["TillQuote"] = {"allOf": [_ref("Quote"), _obj(earn_with_redeem=_int(0) | {
        "description": "What the receipt earns paid with `redeem` points (only when redeem was sent)."})]}
    replay = {"Idempotent-Replay": {"description": "true when this is the first answer again.", "schema": _STRING}}
    retry_writes = (409, 503)
    paths["/admin/till"] = {"get": _op(
        "Where the caller may sell: a cashier's open locations; an owner's or manager's every open location and the "
        "programs without locations (till:write)",
        _answers({"200": _json(_ref("TillView"))}, 401, 403), tag="till", security=_ADMIN)}
    paths["/admin/till/cards/{number}"] = {"get": _op(
        "Look a card up at the till, as GET /pos/cards/{number} answers (till:write)",
        _answers({"200": _json(_ref("PosCard"))}, 400, 401, 403, 404, 429), tag="till", security=_ADMIN,
        description=_TILL_PLACE + " `number`: the 12 digits, with spaces or dashes, or the text of the card's QR "
                                  "(the card number). A number that is no card of the program is 404 "
                                  "`card_not_found` and counts against the staff member's misses (then 429).",
        params=[_path_param("number", "The card number (typed or scanned).", maxLength=64), *place_params])}
    paths["/admin/till/quote"] = {"post": _op(
        "What the customer may spend and would earn at the till (writes nothing; till:write)",
        _answers({"200": _json(_ref("TillQuote"))}, 400, 401, 403, 404, 413, 415, 422, 429), tag="till",
        security=_ADMIN, description=_TILL_PLACE + " With `redeem`, the answer's `earn_with_redeem` is the earn of the "
                                                   "receipt paid with those points (what the till's hint shows).",
        body=_body(quote_body))}
    paths["/admin/till/receipts"] = {
        "post": _op(
            "Sell at the till: a POS receipt signed by the platform on the staff member's behalf (idempotent on "
            "receipt_id; till:write)",
            _answers({"200": _json(_ref("ReceiptAnswer"), headers=replay)}, 400, 401, 403, 404, 413, 415, 422, 429,
                     *retry_writes),
            tag="till", security=_ADMIN, body=_body(receipt_body),
            description=_TILL_PLACE + " The receipt keeps the location and the staff member (`actor`). The same "
                                      "receipt_id with the same body is the first answer again (Idempotent-Replay: "
                                      "true); with another body (another location too): 409 `receipt_conflict`."),
        "get": _op(
            "Today's receipts at the till's location, newest first: what a refund is picked from (till:write)",
            _answers({"200": _json(_obj(("items",), items={"type": "array", "items": _ref("TillReceipt")}))},
                     400, 401, 403, 404, 429),
            tag="till", security=_ADMIN, description=_TILL_PLACE,
            params=[*place_params, _query("limit", "At most this many, 1 to 100 (default 30).", type="integer",
                                          minimum=1, maximum=100)]),
    }
    paths["/admin/till/refunds"] = {"post": _op(
        "Refund (part of) a receipt sold at the till's location (idempotent on refund_id; till:write)",
        _answers({"200": _json(_ref("RefundAnswer"), headers=replay)}, 400, 401, 403, 404, 413, 415, 422, 429,
                 *retry_writes),
        tag="till", security=_ADMIN, body=_body(refund_body),
        description=_TILL_PLACE + " A receipt sold elsewhere (or not at all) is 404 `receipt_not_found`.")}


# --- the Telegram Mini App (issue 18) -----------------------------------------------------------


def _telegram_app(document: dict) -> None:
    """The Telegram Mini App's page, session and join."""
    slug = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$", "maxLength": 40,
            "description": "The program's slug (as in its join link)."}
    signed = {"type": "string", "maxLength": 8192}
    program = _obj(("slug", "name", "consent", "welcome_bonus", "unit", "colors"), slug=_STRING, name=_STRING,
                   consent=_STRING, welcome_bonus=_int(0), unit=_STRING,
                   colors={"type": "object", "additionalProperties": _STRING})
    entry = _obj(("at", "kind", "amount", "balance_after"), at=_STRING, kind=_STRING, source=_NSTRING,
                 amount={"type": "integer"}, balance_after={"type": "integer"})
    card = _obj(("number", "number_display", "balance", "available", "tier_name", "qr_svg", "history", "card_url"),
                number=_STRING, number_display=_STRING, name=_NSTRING, balance={"type": "integer"},
                points_word=_STRING, available={"type": "integer"}, tier_name=_STRING, expiry=_NSTRING,
                blocked={"type": "boolean"}, kind=_STRING, stamps={"type": ["object", "null"]},
                discount={"type": ["object", "null"]}, offers={"type": "array", "items": {"type": "object"}},
                challenges={"type": "array", "items": {"type": "object"}},
                rules={"type": "array", "items": _STRING},
                qr_svg={"type": "string", "description": "The card number's QR code, an SVG document."},
                history={"type": "array", "items": entry, "description": "The latest ledger entries, newest first."},
                card_url=_STRING, apple_pass_url=_STRING, google_save_url=_STRING)
    session = _obj(("card", "program", "locale"), card=_nullable(_ref("TelegramAppCard")),
                   program=_nullable(_ref("TelegramAppProgram")), locale={"type": "string", "enum": ["ru", "en"]})
    joined = _obj(("card", "program", "locale", "created"), card=_ref("TelegramAppCard"),
                  program=_ref("TelegramAppProgram"), locale={"type": "string", "enum": ["ru", "en"]},
                  created={"type": "boolean"})
    document["components"]["schemas"].update({"TelegramAppCard": card, "TelegramAppProgram": program})
    unverified = {**_error(401), "description": "`telegram_init_missing` (no initData), `bad_init_data` (not "
                                                "Telegram's, not for this bot, malformed, or a contact of another "
                                                "user), `stale_init_data` (signed longer ago than "
                                                "TELEGRAM_INIT_MAX_AGE, or in the future)."}
    document["paths"].update({
        "/tg/app": {"get": _op(
            "The card inside Telegram: the Mini App's page (the same for everyone; no personal data)",
            {"200": _html("The page: it loads Telegram's web-app script and /tg/app.js, which post initData.")},
            tag="customers", security=_PUBLIC,
            params=[_query("program", "The slug of the program the Mini App offers.", type="string", maxLength=64),
                    _query("lang", "ru or en (the page follows the Telegram user's language anyway).",
                           type="string", enum=["ru", "en"])])},
        "/tg/app.js": {"get": _op(
            "The Mini App's script", {"200": {"description": "JavaScript.", "content": {
                "text/javascript": {"schema": _STRING}}}}, tag="customers", security=_PUBLIC)},
        "/tg/app/session": {"post": _op(
            "The Telegram user's card (initData verified first), or the program to join",
            _answers({"200": _json(session, "`card` null: no card linked to this Telegram user (in this program)."),
                      "401": unverified}, 400, 404, 413, 415),
            tag="customers", security=_PUBLIC,
            body=_body(_closed(("init_data",), init_data=signed, program=slug)),
            description="`init_data` is `Telegram.WebApp.initData` as the Mini App received it; `program` the slug "
                        "the Mini App was opened for (404 when there is no such active program). The card is the "
                        "one the user's private chat with the bot links.")},
        "/tg/app/join": {"post": _op(
            "Enrol inside Telegram with the contact Telegram signed (no typed phone, no SMS code)",
            _answers({"201": _json(joined, "A new card, linked to the user's chat."),
                      "200": _json(joined, "The phone is a member's: that card is linked to the chat (no second "
                                           "card)."),
                      "401": unverified}, 400, 404, 409, 413, 415, 429, 503),
            tag="customers", security=_PUBLIC,
            body=_body(_closed(("init_data", "program", "contact"), init_data=signed, program=slug, contact=signed,
                               consent={"type": "boolean"})),
            description="`contact` is the raw string `WebApp.requestContact()` gave the Mini App "
                        "(`contact=<JSON>&auth_date=…&hash=…`), signed like initData; its `user_id` must be the "
                        "initData user's. `consent` (the program's terms) is required for a new card "
                        "(`400 consent_required`). The join page's rate limits apply (`429`).")},
    })


def _audit(document: dict) -> None:
    """The audit trail's reads and export (issue 19)."""
    paths, schemas = document["paths"], document["components"]["schemas"]
    schemas["AuditEntry"] = _obj(
        ("entry_id", "at", "actor", "action", "changes", "detail"),
        entry_id=_STRING, at=_STRING | {"description": "UTC, ISO 8601 with microseconds."},
        actor=_STRING | {"description": "A staff member's sub, 'platform'-token subject, 'cli' or 'system:<job>'."},
        actor_email=_NSTRING, role=_NSTRING, source_ip=_NSTRING, user_agent=_NSTRING,
        action=_STRING | {"description": "A stable dotted name per route: program.update, card.adjust, ..."},
        method=_NSTRING, route=_NSTRING, program_id=_NSTRING, target_type=_NSTRING, target_id=_NSTRING,
        status=_NINT, changes={"type": ["object", "null"], "description": "{field: [before, after]}; secrets and "
                                                                          "personal fields as \"***\"."},
        detail={"type": ["object", "null"]})
    filters = [
        _query("program_id", "Only this program's entries.", type="string", maxLength=200),
        _query("actor", "Only this actor's (a staff sub, or system:retention).", type="string", maxLength=200),
        _query("action", "An action (program.update), or a prefix ending in '.' (card.).", type="string",
               maxLength=200),
        _query("target_id", "Only entries about this id (a card, a key, a campaign...).", type="string",
               maxLength=200),
        _query("from", "From this UTC day (YYYY-MM-DD) or time (ISO 8601), inclusive.", type="string",
               maxLength=40),
        _query("to", "To this UTC day (the whole day) or time, inclusive.", type="string", maxLength=40)]
    cursor = _query("cursor", "`next_cursor` (X-Next-Cursor) of the previous page.", type="string", maxLength=1024)
    paths["/admin/audit"] = {"get": _op(
        "The audit trail, newest first: who changed what, when and from where (audit:read)",
        _answers({"200": _json(_page("AuditEntry"))}, 400, 401, 403), tag="audit", security=_ADMIN,
        description="An owner reads their merchant's entries, a platform token the platform's. The time filters "
                    "are a key range; the others are applied to the entries read, so a page may hold fewer items "
                    "than `limit` and still carry a `next_cursor`: follow it until it is null.",
        params=[*filters, _query("limit", "Page size, 1 to 200 (default 50).", type="integer", minimum=1,
                                 maximum=200), cursor])}
    paths["/admin/audit/export"] = {"get": _op(
        "The audit trail as CSV pages, the same filters; the next page is in X-Next-Cursor and Link (audit:read)",
        _answers({"200": {"description": "CSV (UTF-8), the header row on the first page; changes and detail as "
                                         "JSON.", "content": {"text/csv": {"schema": _STRING}},
                          "headers": {"X-Next-Cursor": {"schema": _STRING}}}}, 400, 401, 403),
        tag="audit", security=_ADMIN, params=[*filters, cursor])}


def _member_export(document: dict) -> None:
    """A member's data: the owner's export and the member's request from the card page (issue 19)."""
    rules = member_export_rules
    card_id = _path_param("card_id", "A card's id.", maxLength=64)
    card_key = _query("k", "The card's capability key (from `card_url`).", required=True, type="string",
                      maxLength=128)
    token = _query("t", "The link's one-time token, as the e-mail, text or Telegram message gave it.", required=True,
                   type="string", maxLength=rules.MAX_TOKEN)
    objects = {"type": "array", "items": {"type": "object"}}
    exported = _obj(
        ("format", "exported_at", "program", "profile", "consents", "card", "lots", "ledger", "receipts", "messages",
         "wallet", "telegram", "experiments", "surveys", "offers", "referrals", "truncated"),
        format={"const": rules.FORMAT}, exported_at=_STRING,
        program=_obj(("id", "name"), id=_STRING, name=_STRING),
        profile=_obj(("name", "phone", "email", "birthday", "locale", "created_at"), name=_NSTRING, phone=_NSTRING,
                     email=_NSTRING, birthday=_NSTRING, locale=_NSTRING, created_at=_NSTRING),
        consents=objects,
        card=_obj(("card_id", "number", "status", "tier", "balance", "owed"), card_id=_STRING, number=_STRING,
                  status=_STRING, tier=_NSTRING, tier_name=_NSTRING, balance={"type": "integer"},
                  available={"type": "integer"}, owed={"type": "integer"}, created_at=_NSTRING,
                  last_visit_on=_NSTRING, erased_at=_NSTRING, home_location={"type": ["object", "null"]},
                  stats={"type": "object"}, challenges=objects, products={"type": "object"}, surveyed_on=_NSTRING),
        lots=objects, ledger={"type": "array", "items": _ref("LedgerEntry")}, receipts=objects, messages=objects,
        wallet=_obj(("apple_devices", "google"), apple_devices={"type": "array", "items": _obj(
            ("device", "registered_at", "updated_at"), device={"type": "string", "pattern": "^[0-9a-f]{16}$"},
            registered_at=_STRING, updated_at=_STRING)}, google=_obj(("state", "error"), state=_NSTRING,
                                                                    error=_NSTRING), notice=_NSTRING),
        telegram=_obj(("linked", "chat"), linked={"type": "boolean"},
                      chat={"type": ["string", "null"], "pattern": "^[0-9a-f]{16}$"}),
        experiments=objects, surveys=objects, offers=objects,
        referrals=_obj(("code", "referred_by"), code=_NSTRING, referred_by=_NSTRING,
                       friends_rewarded={"type": "integer"}),
        truncated=_obj(("ledger", "messages", "receipts", "lines"), ledger={"type": "boolean"},
                       messages={"type": "boolean"}, receipts={"type": "boolean"}, lines={"type": "boolean"}))
    document["components"]["schemas"]["MemberExport"] = exported
    download = {"Content-Disposition": {"description": "`attachment; filename=\"member-<card number>.json\"`.",
                                        "required": True, "schema": _STRING}}
    sections = ("Sections and limits: README, \"A member's data: the export\". At most "
                f"{rules.LEDGER_CAP} ledger entries, {rules.MESSAGES_CAP} messages, {rules.RECEIPTS_CAP} receipts "
                f"and {rules.LINES_CAP} receipt lines, the newest; `truncated` says what was left out.")
    sent = _obj(("status", "channel", "to", "expires_in", "message"), status={"const": "sent"},
                channel={"type": "string", "enum": ["email", "sms", "telegram"]},
                to={"type": "string", "description": "Where it went, masked: `a***@mail.ru`, `+7 *** ***-45-67`."},
                expires_in={"const": rules.LINK_SECONDS}, message=_STRING)
    locale = {"type": "string", "enum": list(texts.LANGUAGES)}
    document["paths"].update({
        "/admin/cards/{card_id}/export": {"get": _op(
            "Everything held about a card's member, as one JSON document to download (the owner's)",
            _answers({"200": _json(_ref("MemberExport"), "The document.", download)}, 401, 403, 404),
            tag="admin", security=_ADMIN, params=[card_id],
            description="Permission `members:export` (the owner's; other roles 403). Another merchant's card is "
                        "404. The export is recorded in the audit trail. " + sections)},
        "/c/{card_id}/data": {"post": _op(
            "The member asks for their data: a one-time link goes to the contact they enrolled with",
            _answers({"202": {"description": "Sent: JSON says the channel and the contact, masked; a form post "
                                             "gets a page saying so. Never the link itself.",
                              "content": {"application/json": {"schema": sent}, **_HTML}}},
                     400, 403, 404, 413, 415, 422, 429, 503, html=(400, 403, 404, 422, 429, 503)),
            tag="customers", security=_PUBLIC, params=[card_id, card_key],
            body=_body(_closed((), locale=locale), form=_obj((), locale=locale), required=False),
            description="The card page's \"Get my data\" button. The link goes to the card's e-mail, else an SMS "
                        "to its phone, else its Telegram chat; it works for "
                        f"{rules.LINK_SECONDS // 3600} hours and {rules.LINK_USES} downloads, and a new ask "
                        f"replaces it. At most {rules.ASKS_PER_DAY} asks per card per UTC day (429 `rate_limited`). "
                        "403 `card_blocked`: a blocked card; 404: no such card, a wrong key, or an erased card; "
                        "422 `no_contact`: nowhere to send it; 503 `link_not_sent`: the channel failed, ask again "
                        "in a few minutes.")},
        "/c/{card_id}/data.json": {"get": _op(
            "The member's link: their data as one JSON document to download",
            _answers({"200": _json(_ref("MemberExport"), "The document (the same as the owner's export).", download),
                      "404": _html("The link is wrong, expired, used up or replaced, or the card was blocked or "
                                   "erased since: the page says to ask again.")}, 429),
            tag="customers", security=_PUBLIC, params=[card_id, token],
            description="Each download is recorded in the audit trail (actor `member`). Wrong tokens count "
                        "towards the card links' limits per client address (429).")},
    })


def _erasure(document: dict) -> None:
    """Erasing a member (issue 19)."""
    paths, schemas = document["paths"], document["components"]["schemas"]
    erased_status = {"type": "string", "enum": ["active", "blocked", "erased"]}
    for name in ("Card", "CardRow"):
        properties = schemas[name]["properties"]
        properties["status"] = erased_status
        properties["number"] = properties["name"] = _NSTRING | {"description": "null once the member was erased."}
    card = schemas["Card"]["properties"]
    card["erased_at"] = _NSTRING | {"description": "When the member's data was erased (status `erased`); null: never."}
    for link in ("card_url", "apple_pass_url", "google_save_url"):
        card[link] = _NSTRING | {"description": "null for an erased member's card: its old links answer 404."}
    schemas["Erasure"] = _obj(
        ("card_id", "status", "erased_at", "removed"), card_id=_STRING, status={"const": "erased"},
        erased_at=_STRING | {"description": "When it was erased (UTC); a repeated call answers the first erasure."},
        removed={"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                 "description": "What was removed or blanked, by kind: aliases, guards, messages, outbox_items, "
                                "ledger_reasons, receipts, survey_comments, assignments, import_rows."})
    paths["/admin/cards/{card_id}/erase"] = {"post": _op(
        "Erase a card's member: every personal field removed or anonymised, the wallet cards voided (owner)",
        _answers({"200": _json(_ref("Erasure"))}, 400, 401, 403, 404, 409, 413, 415, 422, 503),
        tag="admin", security=_ADMIN, params=[_path_param("card_id", "A card's id.", maxLength=64)],
        description="Irreversible. `confirm` must be the card's number (spaces and dashes aside), else `422 "
                    "confirm_mismatch` (field `confirm`); an erased card answers its erasure again, 200, whatever "
                    "`confirm` says. Amounts, dates, the ledger's arithmetic and the analytics stay; the card keeps "
                    "its id and balance with status `erased`. Another merchant's card: 404. The owner's alone: "
                    "other roles get 403. `409 erase_conflict`: the card kept changing; try again.",
        body=_body(_closed((), confirm=_s(64))))}


def _retention(document: dict) -> None:
    """The program's `retention` setting (issue 19): in the Program answer, and in the bodies
    that create and change a program."""
    months = _nullable(_int(retention_rules.MONTHS_MIN, retention_rules.MONTHS_MAX))
    setting = _closed((), inactive_months=months | {
        "description": "Erase a member who has not bought (or, never having bought, joined) for this many months; "
                       "null: never."},
                      messages_months=months | {
        "description": "Delete message records (and parked deliveries) older than this many months; null: never."})
    document["components"]["schemas"]["Retention"] = setting | {
        "description": "How long members' data is kept (README: Retention). In a PATCH, a field left out keeps its "
                       "value; null switches that deletion off."}
    sent = _nullable(_ref("Retention")) | {"description": "null: keep everything (the default)."}
    schemas = document["components"]["schemas"]
    schemas["Program"]["properties"]["retention"] = _nullable(
        _ref("Retention") | {"required": list(retention_rules.FIELDS)}) | {
        "description": "How long members' data is kept; null: for ever."}
    programs = document["paths"]["/admin/programs"]["post"]
    program = document["paths"]["/admin/programs/{program_id}"]["patch"]
    for operation in (programs, program):
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        body["properties"]["retention"] = sent


def _consents(document: dict) -> None:
    """Consent records in the card's admin view (issue 19): each consent given and withdrawn;
    the profile page's e-mail offers box; the Mini App's words about the bot's messages."""
    schemas, paths = document["components"]["schemas"], document["paths"]
    ways = ["join_page", "telegram_app", "telegram_bot", "moysklad", "web_form", "import", "profile"]
    schemas["ConsentRecord"] = _obj(
        ("purpose", "channel", "version", "text", "given_at", "given_via", "withdrawn_at", "withdrawn_via"),
        purpose={"type": "string", "enum": ["terms", "marketing"]},
        channel={"type": ["string", "null"], "enum": ["email", "sms", "telegram", None],
                 "description": "The channel of a marketing consent; null for the terms."},
        version=_STRING | {"description": "The first 12 hex digits of the SHA-256 of `text`; 'legacy' for a card "
                                          "made before records were kept."},
        text=_NSTRING | {"description": "The exact words the member was shown, in their language (null: legacy)."},
        given_at=_NSTRING | {"description": "UTC time (null: a legacy Telegram link of unknown time)."},
        given_via=_NSTRING | {"description": "How it was given: " + ", ".join(ways) + " (null: legacy)."},
        withdrawn_at=_NSTRING,
        withdrawn_via=_NSTRING | {"description": "How it was withdrawn: unsubscribe_link, telegram_bot, profile, "
                                                  "relinked (the chat linked another card), replaced (given again "
                                                  "in other words); null while it stands."})
    schemas["Card"]["properties"]["consents"] = {
        "type": "array", "items": _ref("ConsentRecord"),
        "description": "Every consent the member gave and withdrew, oldest first (roles that see contacts). A "
                       "channel carries marketing only while its latest record is not withdrawn."}
    schemas["TelegramAppProgram"]["properties"]["telegram_consent"] = _STRING | {
        "description": "What the bot will send to the chat, shown on the join screen; joining records it as the "
                       "card's Telegram consent."}
    post = paths["/c/{card_id}/profile"]["post"]
    box = {"description": "The e-mail offers box: true gives the e-mail marketing consent (needs an address: "
                          "`400 email_required`), false withdraws it; absent: unchanged."}
    content = post["requestBody"]["content"]
    content["application/json"]["schema"]["properties"]["marketing_consent"] = {"type": "boolean"} | box
    form = content["application/x-www-form-urlencoded"]["schema"]["properties"]
    form["marketing_consent"] = {"type": "string", "enum": ["on", "off"]} | box
    form["marketing_shown"] = {"type": "string", "description": "The page drew the offers box: an unticked box "
                                                                "(not sent) withdraws the consent."}
    answer = post["responses"]["200"]["content"]["application/json"]["schema"]
    answer["properties"]["marketing_consent"] = {"type": "boolean", "description": "The e-mail consent stands."}
