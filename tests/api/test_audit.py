"""The audit trail (issue 19): every admin write becomes one entry of who, when, from where and what changed
(secrets masked, members' personal data left out), append-only, read back and filtered through
GET /admin/audit, exported as CSV through GET /admin/audit/export."""
import ast
import csv
import io
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from pynamodb.exceptions import PutError

import app
from chalicelib import auth
from chalicelib.core.locations import Location
from chalicelib.store import audit as audit_store
from chalicelib.store.models import AuditEntry
from chalicelib.usecases import audit
from infra import template
from tests.api.test_experiments_api import WINBACK
from tests.api.test_images import assets_folder, picture, upload  # noqa: F401 (fixture)
from tests.api.test_offers import OFFERS
from tests.api.test_staff import as_bearer, invite, pool, sign_in  # noqa: F401 (fixture)
from tests.api.test_till import _cashier, _locations
from tests.conftest import bearer, body, enroll
from tests.integrations.test_imports import CSV
from tests.integrations.test_imports import upload as upload_members

ROOT = Path(__file__).resolve().parents[2]


def _trail(client, merchant, role="owner", **params):
    answer = client.http.get(f"/admin/audit?{urlencode(params)}", headers=bearer(merchant, role))
    assert answer.status_code == 200, answer.body
    return body(answer)


def _latest(client, merchant, action):
    items = _trail(client, merchant, action=action)["items"]
    assert items, f"no {action} entry"
    return items[0]


def _text(response):
    return response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body


def _ok(response, status=(200, 201, 202, 204)):
    assert response.status_code in status, response.body
    return body(response) if response.body and response.headers.get("Content-Type", "").startswith(
        "application/json") else response


# --- every admin write has an action -----------------------------------------------------------------

def test_every_admin_write_route_has_an_action_name():
    """A route added later under /admin that writes (any method but GET) or exports (a GET whose view says
    export) must be named in audit.ROUTES, or listed in audit.NOT_WRITES with the reason it changes nothing."""
    missing = []
    for path, methods in app.app.routes.items():
        if not path.startswith("/admin"):
            continue
        for method, entry in methods.items():
            key = (method, path)
            is_write = method != "GET" or "export" in entry.view_name
            if is_write and key not in audit.ROUTES and key not in audit.NOT_WRITES:
                missing.append(f"{method} {path} ({entry.view_name})")
    assert not missing, "admin routes without an audit action: " + ", ".join(sorted(missing))
    names = [act.action for act in audit.ROUTES.values()]
    assert all(name.count(".") == 1 and name == name.lower() for name in names), names
    assert not set(audit.ROUTES) & set(audit.NOT_WRITES)


# --- who, when, from where, what ----------------------------------------------------------------------

def test_program_settings_record_each_changed_field_before_and_after(client, merchant, program):
    mechanics = {**program["mechanics"], "welcome_bonus": 150}
    edited = client.http.patch(f"/admin/programs/{program['id']}",
                               headers={**bearer(merchant), "User-Agent": "console/1.0"},
                               body=json.dumps({"name": "Tea Club", "mechanics": mechanics,
                                                "branding": {"logo_text": "Tea"}}))
    _ok(edited)
    entry = _latest(client, merchant, "program.update")
    assert entry["actor"] == "test-owner" and entry["role"] == "owner"
    assert entry["source_ip"] == "127.0.0.1" and entry["user_agent"] == "console/1.0"
    assert (entry["method"], entry["route"], entry["status"]) == ("PATCH", "/admin/programs/{program_id}", 200)
    assert (entry["program_id"], entry["target_type"], entry["target_id"]) == (program["id"], "program", program["id"])
    changes = entry["changes"]
    assert changes["name"] == ["Coffee Club", "Tea Club"]
    assert changes["mechanics.welcome_bonus"] == [100, 150]
    assert changes["branding.logo_text"][1] == "Tea"
    assert "timezone" not in changes and "mechanics.tiers" not in changes  # unchanged: not in the entry
    at = datetime.fromisoformat(entry["at"])
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60
    # a write that fails leaves no entry
    refused = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                body=json.dumps({"timezone": "Mars/Olympus"}))
    assert refused.status_code in (400, 422)
    assert len(_trail(client, merchant, action="program.update")["items"]) == 1


def test_a_program_created_and_its_status_changed(client, merchant, program):
    created = _latest(client, merchant, "program.create")
    assert created["target_id"] == program["id"] and created["status"] == 201
    # what it started with, each as [null, value]: the trail can tell every setting's history from its start
    assert created["changes"]["slug"] == [None, program["slug"]]
    assert created["changes"]["name"] == [None, program["name"]]
    assert created["changes"]["mechanics.kind"][1] == program["mechanics"]["kind"]
    _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                          body=json.dumps({"status": "paused"})))
    assert _latest(client, merchant, "program.update")["changes"] == {"status": ["active", "paused"]}


def test_branding_images_upload_and_removal(client, merchant, program):
    _ok(upload(client, program["id"], "logo", picture(300, 100), merchant=merchant))
    entry = _latest(client, merchant, "branding.image_upload")
    assert entry["target_id"] == program["id"] and entry["detail"] == {"kind": "logo"}
    (field, (before, after)), = entry["changes"].items()
    assert field == "branding.images.logo" and before is None and len(after) == 16
    _ok(client.http.delete(f"/admin/programs/{program['id']}/images/logo", headers=bearer(merchant)))
    assert _latest(client, merchant, "branding.image_remove")["changes"] == {"branding.images.logo": [after, None]}


def test_pos_keys_created_and_revoked_without_their_secret(client, merchant, program):
    created = _ok(client.http.post(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant),
                                   body=json.dumps({"label": "Till 1"})))
    _ok(client.http.delete(f"/admin/programs/{program['id']}/pos-keys/{created['key_id']}", headers=bearer(merchant)))
    made, revoked = _latest(client, merchant, "pos_key.create"), _latest(client, merchant, "pos_key.revoke")
    assert (made["target_type"], made["target_id"]) == ("pos_key", created["key_id"])
    assert made["detail"] == {"label": "Till 1", "location_id": None}
    assert (revoked["target_type"], revoked["target_id"]) == ("pos_key", created["key_id"])
    assert revoked["detail"]["status"] == "revoked"
    everything = json.dumps(_trail(client, merchant))
    assert created["secret"] not in everything and auth.pos_secret_hash(created["secret"]) not in everything


def test_an_adjustment_keeps_points_and_card_not_the_reason(client, merchant, program):
    card = enroll(client)
    _ok(client.http.post(f"/admin/cards/{card['card_id']}/adjustments", headers=bearer(merchant),
                         body=json.dumps({"amount": -40, "reason": "Anna Petrova complained",
                                          "idempotency_key": "adj-1"})))
    entry = _latest(client, merchant, "card.adjust")
    assert (entry["target_type"], entry["target_id"], entry["program_id"]) == ("card", card["card_id"], program["id"])
    assert entry["detail"] == {"amount": -40, "replay": False}
    everything = json.dumps(_trail(client, merchant))
    assert "Petrova" not in everything and "adj-1" not in everything


def test_blocking_a_card_and_renaming_its_holder(client, merchant, program):
    card = enroll(client, name="Anna Secretname")
    _ok(client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant),
                          body=json.dumps({"status": "blocked", "name": "Anna Newname"})))
    entry = _latest(client, merchant, "card.update")
    assert entry["target_id"] == card["card_id"] and entry["program_id"] == program["id"]
    assert entry["changes"] == {"card.status": ["active", "blocked"], "card.name": ["***", "***"]}
    everything = json.dumps(_trail(client, merchant))
    assert "Secretname" not in everything and "Newname" not in everything and "+7916" not in everything


def test_a_campaign_created_and_sent(client, merchant, program):
    enroll(client)
    created = _ok(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant, "manager"),
                                   body=json.dumps({"name": "Cake day", "texts": {"ru": "Торт!"},
                                                    "audience": {"kind": "all"}, "holdout_percent": 0})))
    _ok(client.http.post(f"/admin/programs/{program['id']}/campaigns/{created['id']}/send",
                         headers=bearer(merchant, "manager")))
    made, sent = _latest(client, merchant, "campaign.create"), _latest(client, merchant, "campaign.send")
    assert made["actor"] == "test-manager" and made["role"] == "manager"
    assert (made["target_type"], made["target_id"]) == ("campaign", created["id"])
    assert made["detail"]["name"] == "Cake day" and made["detail"]["audience"]["kind"] == "all"
    assert made["detail"]["audience_size"] == 1
    assert (sent["target_type"], sent["target_id"]) == ("campaign", created["id"])
    assert sent["detail"]["status"] == "sent" and sent["detail"]["counts"]["audience"] == 1
    campaign_entries = _trail(client, merchant, action="campaign.")["items"]
    assert [item["action"] for item in campaign_entries] == ["campaign.send", "campaign.create"]


def test_csv_exports_and_reads(client, merchant, program):
    enroll(client)
    _ok(client.http.get(f"/admin/programs/{program['id']}/exports/cards", headers=bearer(merchant)))
    entry = _latest(client, merchant, "program.export")
    assert entry["method"] == "GET" and entry["detail"] == {"kind": "cards"} and entry["target_id"] == program["id"]
    # reads are not entries
    _ok(client.http.get(f"/admin/programs/{program['id']}", headers=bearer(merchant)))
    _ok(client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant)))
    actions = {item["action"] for item in _trail(client, merchant)["items"]}
    assert actions == {"program.create", "program.export"}


def test_locations_added_and_edited(client, merchant, program):
    base = f"/admin/programs/{program['id']}/locations"
    added = _ok(client.http.post(base, headers=bearer(merchant), body=json.dumps({"name": "Tverskaya"})))
    _ok(client.http.patch(f"{base}/{added['id']}", headers=bearer(merchant),
                          body=json.dumps({"name": "Arbat", "status": "closed"})))
    made, edited = _latest(client, merchant, "location.create"), _latest(client, merchant, "location.update")
    assert (made["target_type"], made["target_id"]) == ("location", added["id"])
    assert made["changes"]["location.name"] == [None, "Tverskaya"]
    assert (edited["target_type"], edited["target_id"]) == ("location", added["id"])
    assert edited["changes"] == {"location.name": ["Tverskaya", "Arbat"], "location.status": ["open", "closed"]}


def test_staff_invited_and_their_role_changed_by_a_signed_in_owner(client, merchant, pool):
    idp, _, client_id, _ = pool
    assert invite(client, merchant, "boss@example.com", "owner").status_code == 201
    owner = as_bearer(sign_in(idp, client_id, "boss@example.com", password=None)["IdToken"])
    invited = invite(client, merchant, "anna.manager@example.com", "manager", headers=owner)
    assert invited.status_code == 201, invited.body
    staff_id = body(invited)["id"]
    _ok(client.http.patch(f"/admin/staff/{staff_id}", headers=owner, body=json.dumps({"role": "analyst"})))
    _ok(client.http.delete(f"/admin/staff/{staff_id}", headers=owner))
    entries = _trail(client, merchant, action="staff.", target_id=staff_id)["items"]
    assert [item["action"] for item in entries] == ["staff.remove", "staff.update", "staff.invite"]
    removed, changed, made = entries
    assert made["actor_email"] == "boss@example.com" and made["role"] == "owner" and made["actor"] != "test-owner"
    assert made["changes"] == {"staff.role": [None, "manager"]}
    assert changed["changes"] == {"staff.role": ["manager", "analyst"]}
    assert removed["changes"] == {"staff.status": ["invited", "disabled"]}
    assert "anna.manager" not in json.dumps(entries)  # the invited person's address stays in the staff record


# --- reading: owners only, one merchant's own, filters, pages --------------------------------------------

def test_only_owners_read_and_each_merchant_its_own(client, merchant, other_merchant, program):
    for role in ("manager", "analyst", "cashier"):
        for path in ("/admin/audit", "/admin/audit/export"):
            refused = client.http.get(path, headers=bearer(merchant, role))
            assert refused.status_code == 403 and body(refused)["error"]["code"] == "forbidden"
    assert client.http.get("/admin/audit").status_code == 401
    assert _trail(client, other_merchant)["items"] == []
    assert _trail(client, other_merchant, program_id=program["id"])["items"] == []
    # a cursor of one merchant read by another starts in the reader's own partition
    for index in range(3):
        _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                              body=json.dumps({"name": f"Club {index}"})))
    cursor = _trail(client, merchant, limit=1)["next_cursor"]
    assert cursor and _trail(client, other_merchant, cursor=cursor)["items"] == []


def test_the_platform_reads_its_own_entries(client, merchant):
    raw = auth.issue_token(subject="ops", merchant_id=None, role="platform", ttl=600, now=datetime.now(UTC))
    platform = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
    made = _ok(client.http.post("/admin/merchants", headers=platform, body=json.dumps({"name": "New Shop"})))
    answer = _ok(client.http.get("/admin/audit", headers=platform))
    assert [(item["action"], item["target_id"], item["actor"]) for item in answer["items"]] == [
        ("merchant.create", made["id"], "ops")]
    assert _trail(client, merchant)["items"] == []


def test_filters_and_pages(client, merchant, program):
    card = enroll(client)
    for index in range(5):
        _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                              body=json.dumps({"name": f"Club {index}"})))
    _ok(client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant, "manager"),
                          body=json.dumps({"status": "blocked"})))
    everything = _trail(client, merchant)["items"]
    assert len(everything) == 7
    times = [item["at"] for item in everything]
    assert times == sorted(times, reverse=True)  # newest first
    assert [item["action"] for item in _trail(client, merchant, action="card.")["items"]] == ["card.update"]
    assert len(_trail(client, merchant, action="program.update")["items"]) == 5
    assert _trail(client, merchant, action="program.")["items"][-1]["action"] == "program.create"
    assert _trail(client, merchant, action="program")["items"] == []  # exact unless it ends in '.'
    assert [item["actor"] for item in _trail(client, merchant, actor="test-manager")["items"]] == ["test-manager"]
    assert len(_trail(client, merchant, target_id=card["card_id"])["items"]) == 1
    assert len(_trail(client, merchant, program_id=program["id"])["items"]) == 7
    # pages: two at a time, no entry twice, none missed
    seen, cursor = [], None
    while True:
        page = _trail(client, merchant, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        seen.extend(item["entry_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [item["entry_id"] for item in everything]
    # a filter that matches little still pages (fewer items than asked, with a cursor) until the end
    found, cursor = [], None
    for _ in range(10):
        page = _trail(client, merchant, limit=1, action="program.create", **({"cursor": cursor} if cursor else {}))
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [item["action"] for item in found] == ["program.create"]


def test_time_filters(client, merchant, program):
    entries = _trail(client, merchant)["items"]
    at = datetime.fromisoformat(entries[0]["at"])
    today, tomorrow = at.date().isoformat(), (at.date() + timedelta(days=1)).isoformat()
    assert len(_trail(client, merchant, **{"from": today, "to": today})["items"]) == 1
    assert _trail(client, merchant, **{"from": tomorrow})["items"] == []
    assert _trail(client, merchant, to=(at.date() - timedelta(days=1)).isoformat())["items"] == []
    assert len(_trail(client, merchant, **{"from": entries[0]["at"], "to": entries[0]["at"]})["items"]) == 1
    later = (at + timedelta(microseconds=1)).isoformat()
    assert _trail(client, merchant, **{"from": later})["items"] == []
    assert len(_trail(client, merchant, to=at.replace(tzinfo=None).isoformat())["items"]) == 1  # no offset: UTC


@pytest.mark.parametrize(("query", "field"), [
    ("from=yesterday", "from"), ("to=2026-02-30", "to"), ("from=2026-05-02&to=2026-05-01", "from"),
    ("limit=0", "limit"), ("limit=201", "limit"), ("limit=ten", "limit"), ("cursor=not-ours", "cursor"),
    ("cursor=WyJhIiwiYiJd", "cursor"), ("from=0001-01-01T00:00:00", "from"), ("action=" + "a" * 300, "action"),
])
def test_bad_queries_are_clear_errors(client, merchant, program, query, field):
    for path in ("/admin/audit", "/admin/audit/export"):
        if field == "limit" and path.endswith("export"):
            continue  # an export's pages have their own size
        refused = client.http.get(f"{path}?{query}", headers=bearer(merchant))
        assert refused.status_code in (400, 422), refused.body
        assert body(refused)["error"]["field"] == field


# --- the CSV export --------------------------------------------------------------------------------------

def test_the_export_is_csv_with_json_columns_and_defused_formulas(client, merchant, program):
    _ok(client.http.patch(f"/admin/programs/{program['id']}",
                          headers={**bearer(merchant), "User-Agent": "=HYPERLINK(\"http://evil\")"},
                          body=json.dumps({"name": "Чайный клуб"})))
    answer = client.http.get("/admin/audit/export?action=program.update", headers=bearer(merchant))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
    text = _text(answer)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(audit.CSV_COLUMNS) and len(rows) == 1
    row = rows[0]
    assert row["action"] == "program.update" and row["user_agent"].startswith("'=HYPERLINK")
    assert json.loads(row["changes"]) == {"name": ["Coffee Club", "Чайный клуб"]}
    assert row["detail"] == ""
    # the export is itself an entry, with how many rows it gave
    exported = _latest(client, merchant, "audit.export")
    assert exported["detail"] == {"rows": 1} and exported["method"] == "GET"


def test_the_export_pages_with_a_cursor_that_keeps_the_filters(client, merchant, program, monkeypatch):
    monkeypatch.setattr(audit, "EXPORT_ROWS", 2)
    for index in range(3):
        _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                              body=json.dumps({"name": f"Club {index}"})))
    first = client.http.get("/admin/audit/export?action=program.update", headers=bearer(merchant))
    cursor = first.headers["X-Next-Cursor"]
    assert f"action=program.update&cursor={cursor}" in first.headers["Link"]
    second = client.http.get(f"/admin/audit/export?action=program.update&cursor={cursor}", headers=bearer(merchant))
    rows = [row for page in (first, second) for row in csv.reader(io.StringIO(_text(page)))]
    assert rows[0][0] == "entry_id" and [row[0] for row in rows[1:]].count("entry_id") == 0
    assert len(rows) == 4 and "X-Next-Cursor" not in second.headers


# --- append-only, expiring ----------------------------------------------------------------------------------

def test_no_function_may_rewrite_or_delete_the_trail():
    for function, tables in template.ACCESS.items():
        granted = tables.get("audit", [])
        assert not {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} & set(granted), function
    assert template.ACCESS["api"]["audit"] == ["dynamodb:PutItem", "dynamodb:Query"]


def test_only_the_audit_store_touches_entries_and_it_only_puts_and_queries():
    for path in (ROOT / "chalicelib").rglob("*.py"):
        if path.name in ("models.py", "audit.py") and path.parent.name == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            imported = isinstance(node, ast.ImportFrom) and any(alias.name == "AuditEntry" for alias in node.names)
            reached = isinstance(node, ast.Attribute) and node.attr == "AuditEntry"
            assert not imported and not reached, f"{path}:{node.lineno} reaches AuditEntry"
    tree = ast.parse((ROOT / "chalicelib" / "store" / "audit.py").read_text(encoding="utf-8"))
    called = {node.func.attr for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert called & {"update", "delete", "batch_write", "scan"} == set()
    assert {"save", "query"} <= called


def test_entries_expire_by_ttl(client, merchant, program, monkeypatch):
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")
    from chalicelib import config
    config.reset()
    try:
        _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                              body=json.dumps({"name": "Later"})))
    finally:
        monkeypatch.delenv("AUDIT_RETENTION_DAYS")
        config.reset()
    (entry,) = [item for item in AuditEntry.query(merchant) if item.action == "program.update"]
    assert abs((entry.expires_at - datetime.now(UTC)) - timedelta(days=30)) < timedelta(minutes=1)
    (created,) = [item for item in AuditEntry.query(merchant) if item.action == "program.create"]
    assert abs((created.expires_at - datetime.now(UTC)) - timedelta(days=1825)) < timedelta(minutes=1)
    table = template.build("dev")["Resources"]["AuditTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_a_repeated_key_is_refused_not_overwritten(client, merchant):
    entry = audit_store.Entry(merchant_id=merchant, entry_id="aud_x", at="2026-01-01T00:00:00.000000+00:00",
                              actor="a", action="program.update")
    audit_store.append(entry, datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(PutError):
        audit_store.append(entry.__class__(**{**entry.__dict__, "actor": "b"}), datetime.now(UTC) + timedelta(days=1))
    assert [item.actor for item in AuditEntry.query(merchant)] == ["a"]


# --- when the trail cannot be written ------------------------------------------------------------------------

def test_a_failed_write_is_tried_again_once(client, merchant, program, monkeypatch):
    real, tries = audit_store.append, []

    def flaky(entry, expires):
        tries.append(entry.entry_id)
        if len(tries) == 1:
            raise PutError("throttled")
        real(entry, expires)

    monkeypatch.setattr(audit_store, "append", flaky)
    _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=json.dumps({"name": "X"})))
    assert len(tries) == 2 and tries[0] == tries[1]
    monkeypatch.undo()
    assert _latest(client, merchant, "program.update")["changes"] == {"name": ["Coffee Club", "X"]}


def test_a_lost_entry_keeps_the_write_and_is_logged_and_counted(client, merchant, program, monkeypatch, capsys,
                                                                 caplog):
    def broken(entry, expires):
        raise PutError("the table is gone")

    monkeypatch.setattr(audit_store, "append", broken)
    edited = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                               body=json.dumps({"name": "Still saved"}))
    assert edited.status_code == 200 and body(edited)["name"] == "Still saved"
    logged = [json.loads(record.getMessage()) for record in caplog.records]
    failed = [line for line in logged if line.get("event") == "audit_write_failed"]
    assert len(failed) == 1 and failed[0]["level"] == "error" and failed[0]["action"] == "program.update"
    assert "Still saved" not in json.dumps(failed)
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert any(line.get("AuditWriteFailed") == 1 for line in printed)
    assert "AuditWriteFailedAlarm" in template.build("dev")["Resources"]


# --- work without a request ----------------------------------------------------------------------------------

def test_record_for_system_work(client, merchant, program):
    audit.record(merchant, actor="system:retention", action="card.erase", now=datetime.now(UTC),
                 program_id=program["id"], target_type="card", target_id="c_gone",
                 detail={"reason": "inactive", "months": 24, "api_token": "t0ps3cret"})
    (entry,) = _trail(client, merchant, actor="system:retention")["items"]
    assert (entry["action"], entry["target_id"], entry["program_id"]) == ("card.erase", "c_gone", program["id"])
    assert entry["detail"] == {"reason": "inactive", "months": 24, "api_token": "***"}
    assert entry["source_ip"] is None and entry["status"] is None


# --- state stays with its request ----------------------------------------------------------------------------

def test_notes_outside_an_admin_write_go_nowhere(client, merchant, program):
    audit.begin(method="GET", route="/c/{card_id}", path_params={}, source_ip=None, user_agent=None)
    audit.note(target_id="x")
    audit.changed("s", {"a": 1}, {"a": 2})
    audit.finish(200, datetime.now(UTC), audit.Actor("someone", merchant, "owner", None))
    audit.begin(method="PATCH", route="/admin/programs/{program_id}", path_params={"program_id": "p"},
                source_ip=None, user_agent=None)
    audit.changed("s", {"a": 1}, {"a": 2})
    audit.begin(method="PATCH", route="/admin/programs/{program_id}", path_params={"program_id": "p"},
                source_ip=None, user_agent=None)  # the next request starts: the last one's notes are gone
    audit.finish(200, datetime.now(UTC), audit.Actor("someone", merchant, "owner", None))
    entries = _trail(client, merchant, actor="someone")["items"]
    assert len(entries) == 1 and entries[0]["changes"] is None


def test_requests_in_threads_keep_their_own_entries(client, merchant, program):
    barrier, errors = threading.Barrier(2), []

    def request(route, action_id):
        try:
            audit.begin(method="PATCH", route=route, path_params={"program_id": action_id}, source_ip=action_id,
                        user_agent=None)
            audit.note(marker=action_id)
            barrier.wait(timeout=5)
            audit.changed("s", {"who": None}, {"who": action_id})
            barrier.wait(timeout=5)
            audit.finish(200, datetime.now(UTC), audit.Actor(f"thread-{action_id}", merchant, "owner", None))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=request, args=("/admin/programs/{program_id}", name)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for name in ("a", "b"):
        (entry,) = _trail(client, merchant, actor=f"thread-{name}")["items"]
        assert entry["detail"] == {"marker": name} and entry["changes"] == {"s.who": [None, name]}
        assert entry["source_ip"] == name and entry["target_id"] == name


def test_masking_by_field_name():
    assert audit.is_secret("signing_key") and audit.is_secret("webhook_secret") and audit.is_secret("token")
    assert audit.is_secret("password_hash") and audit.is_secret("api-key")
    assert not audit.is_secret("key_id") and not audit.is_secret("name") and not audit.is_secret("monkey")
    changes = audit.diff("integration", {"signing_key": "old", "options": {"api_token": "a", "x": 1}},
                         {"signing_key": "new", "options": {"api_token": "b", "x": 2}})
    assert changes == {"integration.signing_key": ["***", "***"],
                       "integration.options": [{"api_token": "***", "x": 1}, {"api_token": "***", "x": 2}]}


def test_the_command_line_invitation_is_recorded(client, merchant, pool, capsys):
    from chalicelib import cli

    assert cli.main(["staff", "invite", "--merchant", merchant, "--email", "first.owner@example.com",
                     "--role", "owner"]) == 0
    member = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (entry,) = _trail(client, merchant, actor="cli")["items"]
    assert (entry["action"], entry["target_type"], entry["target_id"]) == ("staff.invite", "staff", member["id"])
    assert entry["changes"] == {"staff.role": [None, "owner"]} and "first.owner" not in json.dumps(entry)


def test_huge_changes_keep_their_field_names(client, merchant, program, monkeypatch):
    monkeypatch.setattr(audit, "MAX_ENTRY_CHARS", 200)
    texts = {"ru": "Длинный текст " * 10, "en": "A long text " * 10}
    _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                          body=json.dumps({"name": "Long", "branding": {"logo_text": "x" * 40},
                                           "messages": {"birthday_gift": texts}})))
    changes = _latest(client, merchant, "program.update")["changes"]
    assert set(changes) >= {"name", "branding.logo_text", "messages.birthday_gift"}
    assert all(set(value) == {"omitted_chars"} for value in changes.values())


def test_till_sales_and_refunds_by_a_cashier(client, merchant, program):
    _locations(program["id"], Location("loc-2", "Arbat"))
    cashier, number = _cashier(merchant, "loc-2"), enroll(client)["card_number"]
    sale = {"location_id": "loc-2", "receipt_id": "r-1", "card": number, "total": 100000}
    quote = {"location_id": "loc-2", "card": number, "total": 100000}
    _ok(client.http.post("/admin/till/quote", headers=cashier, body=json.dumps(quote)), status=(200,))
    _ok(client.http.post("/admin/till/receipts", headers=cashier, body=json.dumps(sale)))
    _ok(client.http.post("/admin/till/refunds", headers=cashier,
                         body=json.dumps({"location_id": "loc-2", "refund_id": "f-1", "receipt_id": "r-1",
                                          "amount": 50000})))
    refund, sold = _trail(client, merchant, action="till.")["items"]
    assert (sold["action"], sold["actor"], sold["role"]) == ("till.sale", "test-cashier", "cashier")
    assert (sold["program_id"], sold["target_type"], sold["target_id"]) == (program["id"], "receipt", "r-1")
    assert sold["detail"]["location_id"] == "loc-2" and sold["detail"]["earned"] > 0
    assert (refund["action"], refund["target_id"], refund["detail"]["refund_id"]) == ("till.refund", "r-1", "f-1")
    assert number not in json.dumps([refund, sold])


def test_integrations_connected_without_their_keys_or_tokens(client, merchant, program):
    base = f"/admin/programs/{program['id']}/integrations"
    _ok(client.http.put(f"{base}/square", headers=bearer(merchant),
                        body=json.dumps({"signature_key": "sq-signature-key-123"})))
    tilda = _ok(client.http.put(f"{base}/tilda", headers=bearer(merchant), body=json.dumps({})))
    moysklad = _ok(client.http.post(f"{base}/moysklad", headers=bearer(merchant), body=json.dumps({"label": "Shop"})))
    _ok(client.http.delete(f"{base}/square", headers=bearer(merchant)))
    _ok(client.http.delete(f"{base}/moysklad/{moysklad['connection_id']}", headers=bearer(merchant)))
    entries = _trail(client, merchant, action="integration.")["items"]
    assert [(item["action"], item["target_type"], item["target_id"]) for item in entries] == [
        ("integration.disconnect", "connection", moysklad["connection_id"]),
        ("integration.disconnect", "integration", "square"),
        ("integration.connect", "connection", moysklad["connection_id"]),
        ("integration.connect", "integration", "tilda"),
        ("integration.connect", "integration", "square")]
    assert entries[2]["detail"]["label"] == "Shop"
    everything = json.dumps(_trail(client, merchant))
    for secret in ("sq-signature-key-123", tilda["secret"], moysklad["token"]):
        assert secret not in everything


def test_experiments_started_and_stopped(client, merchant, program):
    _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                          body=json.dumps({"mechanics": WINBACK})))
    base = f"/admin/programs/{program['id']}/experiments"
    started = _ok(client.http.post(base, headers=bearer(merchant),
                                   body=json.dumps({"subject": "winback", "holdout_percent": 20})))
    _ok(client.http.post(f"{base}/{started['id']}/stop", headers=bearer(merchant, "manager")))
    stop, start = _trail(client, merchant, action="experiment.")["items"]
    assert (start["target_type"], start["target_id"]) == ("experiment", started["id"])
    assert start["detail"] == {"name": started["name"], "subject": "winback", "holdout_percent": 20,
                               "status": "running"}
    assert (stop["target_id"], stop["actor"], stop["detail"]["status"]) == (started["id"], "test-manager", "stopped")
    assert _latest(client, merchant, "program.update")["changes"]["mechanics.winback"][1] == WINBACK["winback"]


def test_offers_issued_and_withdrawn(client, merchant, program):
    _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                          body=json.dumps({"mechanics": {"offers": OFFERS}})))
    card = enroll(client)
    issued = _ok(client.http.post(f"/admin/cards/{card['card_id']}/offers", headers=bearer(merchant, "manager"),
                                  body=json.dumps({"offer": "bonus", "idempotency_key": "k1"})))
    held_id = issued["id"]
    _ok(client.http.delete(f"/admin/cards/{card['card_id']}/offers/{held_id}", headers=bearer(merchant)))
    withdrawn, given = _trail(client, merchant, action="offer.")["items"]
    assert (given["target_type"], given["target_id"], given["program_id"]) == ("card", card["card_id"], program["id"])
    assert given["detail"] == {"id": held_id, "offer": "bonus", "status": "live"}
    assert (withdrawn["target_id"], withdrawn["detail"]) == (card["card_id"], {"held_id": held_id})


def test_an_import_of_members_is_recorded_without_their_data(client, merchant, program):
    checked = _ok(upload_members(client, merchant, program["id"], CSV.encode()))
    _ok(client.http.post(f"/admin/programs/{program['id']}/imports/{checked['import_id']}/start",
                         headers=bearer(merchant), body=""))
    started, uploaded = _trail(client, merchant, action="import.")["items"]
    assert (uploaded["target_type"], uploaded["target_id"]) == ("import", checked["import_id"])
    assert uploaded["detail"] == {"status": "checked", "dry_run": True, "rows": 7, "valid": 3, "problem_rows": 4}
    assert (started["action"], started["target_id"]) == ("import.start", checked["import_id"])
    everything = json.dumps(_trail(client, merchant), ensure_ascii=False)
    for personal in ("Анна", "anna@example.com", "916 100", "Boris", "members.csv"):
        assert personal not in everything


def test_a_cursor_outside_the_time_filters_is_refused_not_read(client, merchant, program):
    """DynamoDB refuses a start key outside the query's key range (ValidationException: a 500 in AWS, though
    moto reads on): a cursor from a listing without `from`/`to`, sent with filters it does not lie within (an
    edited link), answers 400 invalid_cursor, like the other cursors here (store/surveys.py)."""
    for index in range(3):
        _ok(client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                              body=json.dumps({"name": f"Club {index}"})))
    cursor = _trail(client, merchant, limit=1)["next_cursor"]
    at = datetime.fromisoformat(_trail(client, merchant, limit=1)["items"][0]["at"])
    later, earlier = (at + timedelta(days=1)).date().isoformat(), (at - timedelta(days=1)).date().isoformat()
    for path in ("/admin/audit", "/admin/audit/export"):
        for bounds in ({"from": later}, {"to": earlier}, {"from": earlier, "to": earlier}):
            refused = client.http.get(f"{path}?{urlencode({**bounds, 'cursor': cursor})}", headers=bearer(merchant))
            assert refused.status_code == 400, (path, bounds, refused.status_code)
            assert body(refused)["error"] == {"code": "invalid_cursor", "field": "cursor",
                                              "message": body(refused)["error"]["message"]}
        # within the range it reads on as before
        assert client.http.get(f"{path}?{urlencode({'from': earlier, 'cursor': cursor})}",
                               headers=bearer(merchant)).status_code == 200
    # a cursor that is no key DynamoDB could take (a lone surrogate cannot be sent as UTF-8)
    import base64
    odd = base64.urlsafe_b64encode(json.dumps("\ud800#x").encode()).decode().rstrip("=")
    refused = client.http.get(f"/admin/audit?cursor={odd}", headers=bearer(merchant))
    assert refused.status_code == 400 and body(refused)["error"]["code"] == "invalid_cursor"
