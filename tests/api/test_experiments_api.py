"""Experiments through the admin API (issue 17): roles, another merchant's experiment is 404, validation
errors name their field, a trigger's experiment started and stopped (and its 409s), the report's shape,
the CSV export of assignments and outcomes in pages, and ROMI by month."""
import csv
import io
import json
from datetime import UTC, datetime

import pytest

from chalicelib.store import cards as card_store
from chalicelib.store import experiments as experiment_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Assignment
from chalicelib.usecases import experiments as experiment_cases
from chalicelib.usecases import pos as pos_cases
from tests.conftest import bearer, body, enroll

WINBACK = {"winback": {"after_days": 30, "bonus": 100}}


def _url(program, tail=""):
    return f"/admin/programs/{program['id']}/experiments{tail}"


@pytest.fixture
def winback(client, merchant, program):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": WINBACK}))
    assert response.status_code == 200, response.body
    pos_cases.forget_cached()
    return program


def _start(client, merchant, program, data=None, role="owner"):
    return client.http.post(_url(program), headers=bearer(merchant, role),
                            body=json.dumps(data if data is not None else {"subject": "winback",
                                                                           "holdout_percent": 50}))


def _error(response):
    return body(response)["error"]


def test_an_owner_starts_lists_reads_and_stops_a_trigger_experiment(client, merchant, winback):
    started = _start(client, merchant, winback, {"subject": "winback", "holdout_percent": 20,
                                                  "variants": [{"name": "Small", "bonus": 50},
                                                               {"name": "Big", "bonus": 200,
                                                                "texts": {"ru": "Скучаем", "en": "We miss you"}}]})
    assert started.status_code == 201, started.body
    view = body(started)
    assert view["subject"] == "winback" and view["status"] == "running" and view["holdout_percent"] == 20
    assert view["name"] == "Win-back offer" and view["campaign_id"] is None and view["windows"] == [7, 14, 30]
    assert [(item["id"], item["name"], item["bonus"], item["share_percent"]) for item in view["variants"]] == [
        ("a", "Small", 50, 40.0), ("b", "Big", 200, 40.0)]
    listed = body(client.http.get(_url(winback), headers=bearer(merchant, "manager")))["items"]
    assert [item["id"] for item in listed] == [view["id"]]
    assert body(client.http.get(_url(winback, f"/{view['id']}"), headers=bearer(merchant)))["id"] == view["id"]
    assert "winback" in program_store.get(winback["id"]).experiments

    again = _start(client, merchant, winback)
    assert again.status_code == 409 and _error(again)["code"] == "experiment_running"

    stopped = client.http.post(_url(winback, f"/{view['id']}/stop"), headers=bearer(merchant, "manager"))
    assert stopped.status_code == 200
    assert body(stopped)["status"] == "stopped" and body(stopped)["stopped_at"]
    assert not (program_store.get(winback["id"]).experiments or {})
    twice = client.http.post(_url(winback, f"/{view['id']}/stop"), headers=bearer(merchant))
    assert twice.status_code == 200 and body(twice)["status"] == "stopped"
    assert _start(client, merchant, winback).status_code == 201  # the trigger is free again


def test_roles_analysts_read_without_campaign_texts_cashiers_nothing(client, merchant, winback):
    view = body(_start(client, merchant, winback, {"subject": "winback", "variants": [
        {"name": "A", "texts": {"en": "Come back"}}, {"name": "B", "texts": {"en": "We miss you"}}]}))
    assert _start(client, merchant, winback, role="analyst").status_code == 403
    analyst = client.http.get(_url(winback, f"/{view['id']}"), headers=bearer(merchant, "analyst"))
    assert analyst.status_code == 200 and [item["texts"] for item in body(analyst)["variants"]] == [None, None]
    owner = body(client.http.get(_url(winback, f"/{view['id']}"), headers=bearer(merchant)))
    assert owner["variants"][1]["texts"] == {"en": "We miss you"}
    assert client.http.get(_url(winback, f"/{view['id']}/report"), headers=bearer(merchant, "analyst")).status_code \
        == 200
    assert client.http.post(_url(winback, f"/{view['id']}/stop"), headers=bearer(merchant, "analyst")).status_code \
        == 403
    for path in ("", f"/{view['id']}", f"/{view['id']}/report", f"/{view['id']}/export"):
        assert client.http.get(_url(winback, path), headers=bearer(merchant, "cashier")).status_code == 403
    assert client.http.get(_url(winback), headers={}).status_code == 401


def test_another_merchants_program_and_experiment_are_404(client, merchant, other_merchant, winback):
    view = body(_start(client, merchant, winback))
    for path in (f"/{view['id']}", f"/{view['id']}/report", f"/{view['id']}/export"):
        response = client.http.get(_url(winback, path), headers=bearer(other_merchant))
        assert response.status_code == 404, path
    assert client.http.get(_url(winback), headers=bearer(other_merchant)).status_code == 404
    assert client.http.post(_url(winback, f"/{view['id']}/stop"), headers=bearer(other_merchant)).status_code == 404
    assert _start(client, other_merchant, winback).status_code == 404
    assert client.http.get(f"/admin/programs/{winback['id']}/analytics/romi",
                           headers=bearer(other_merchant)).status_code == 404
    unknown = client.http.get(_url(winback, "/ex_nope/report"), headers=bearer(merchant))
    assert unknown.status_code == 404 and _error(unknown)["code"] == "experiment_not_found"


@pytest.mark.parametrize(("data", "code", "field"), [
    ({}, "required", "subject"),
    ({"subject": "campaign"}, "invalid_choice", "subject"),
    ({"subject": "winback", "holdout_percent": 51}, "out_of_range", "holdout_percent"),
    ({"subject": "winback", "holdout_percent": 0}, "invalid_value", "holdout_percent"),
    ({"subject": "winback", "variants": [{"name": "Only"}]}, "invalid_value", "variants"),
    ({"subject": "winback", "variants": [{"name": "A"}, {"name": "B", "offer": "x"}]}, "unknown_field",
     "variants[1].offer"),
    ({"subject": "winback", "variants": [{"name": "A"}, {"name": "B", "bonus": -1}]}, "out_of_range",
     "variants[1].bonus"),
    ({"subject": "winback", "windows": [7, 120]}, "invalid_value", "windows[1]"),
    ({"subject": "winback", "windows": [7, 7]}, "invalid_value", "windows"),
    ({"subject": "winback", "colour": "red"}, "unknown_field", "colour"),
])
def test_validation_errors_name_their_field(client, merchant, winback, data, code, field):
    response = _start(client, merchant, winback, data)
    assert response.status_code in (400, 422), response.body
    assert (_error(response)["code"], _error(response).get("field")) == (code, field), response.body


def test_a_trigger_that_is_off_cannot_be_tested(client, merchant, program):
    response = _start(client, merchant, program, {"subject": "birthday"})
    assert response.status_code == 400 and _error(response)["code"] == "trigger_off"
    assert _error(response)["field"] == "subject"


def _history(client, merchant, program, cards=6):
    """A running win-back experiment with `cards` cards exposed today, each with a sale of 500.00 the same
    day (the first card's refunded in full), as the receipt path appends them (store/experiments.py)."""
    view = body(_start(client, merchant, program))
    stored = program_store.get(program["id"])
    design = experiment_cases.trigger_design(stored, "winback")
    now = datetime.now(UTC)
    groups = {}
    for n in range(cards):
        joined = enroll(client, name=f"Guest {n}", phone=f"+7916000{n:04d}")
        card = card_store.get(joined["card_id"])
        _, groups[joined["card_number"]], _ = experiment_cases.expose(stored, design, card, now, bonus=100)
        events = [0, 50_000, 25, 1] + ([0, -50_000, -25, 0] if n == 0 else [])
        Assignment(view["id"], joined["card_id"]).update(actions=[Assignment.events.set(events)])
    return view, groups


def test_the_report_has_the_uplift_shape_and_counts_what_it_read(client, merchant, winback):
    view, groups = _history(client, merchant, winback)
    response = client.http.get(_url(winback, f"/{view['id']}/report"), headers=bearer(merchant))
    assert response.status_code == 200, response.body
    report = body(response)
    assert report["experiment"]["id"] == view["id"]
    assert {"as_of", "groups", "windows", "romi", "chart", "items_read"} <= set(report)
    assert report["items_read"] == {"assignments": 6, "experiment": 1}
    cards = {group["variant"]: group["cards"] for group in report["groups"]}
    assert sum(cards.values()) == 6 and set(cards) == {"control", "a"}
    assert cards["control"] == sum(1 for group in groups.values() if group == "control")
    assert {"days", "groups", "differences"} <= set(report["chart"])
    # exposed today: no window has ended for any card, and six cards are too few for a verdict
    assert [(row["days"], row["complete"], row["open"]) for row in report["windows"]] == [
        (7, False, 6), (14, False, 6), (30, False, 6)]
    for row in report["windows"]:
        assert [(item["variant"], item["against"], item["verdict"]["effect"]) for item in row["comparisons"]] == [
            ("a", "control", "too_few")]
        assert set(row["comparisons"][0]["verdict"]["text"]) == {"ru", "en"}
    assert [(item["variant"], item["window"], item["complete"]) for item in report["romi"]] == [("a", 30, False)]
    assert report["chart"]["days"] == []  # no day after exposure has ended yet


def test_the_export_pages_its_rows_and_keeps_numbers_numbers(client, merchant, winback, monkeypatch):
    view, groups = _history(client, merchant, winback, cards=5)
    monkeypatch.setattr(experiment_cases, "EXPORT_PAGE", 2)
    url, rows, pages = _url(winback, f"/{view['id']}/export"), [], 0
    while url:
        response = client.http.get(url, headers=bearer(merchant, "analyst"))
        assert response.status_code == 200, response.body
        assert response.headers["Content-Type"].startswith("text/csv")
        assert response.headers["Content-Disposition"].startswith(f'attachment; filename="experiment-{view["id"]}')
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        page = list(csv.reader(io.StringIO(text)))
        if pages == 0:
            assert page[0] == ["card", "group", "exposed_on", "bonus", "message_cost",
                               *[f"{name}_{days}d" for days in (7, 14, 30) for name in ("visits", "revenue", "points")],
                               "location_id"]
            page = page[1:]
        else:
            assert page and page[0][0] != "card"  # the header comes once
        rows += page
        pages += 1
        cursor = response.headers.get("X-Next-Cursor")
        assert bool(cursor) == ("Link" in response.headers)
        url = _url(winback, f"/{view['id']}/export?cursor={cursor}") if cursor else None
    assert pages == 3 and len(rows) == 5
    assert {row[0]: row[1] for row in rows} == groups
    first = next(iter(groups))  # sold and refunded in full: one visit, nothing paid, no points kept
    assert [row[5:8] for row in rows if row[0] == first] == [["1", "0", "0"]]
    assert all(row[5:8] == ["1", "50000", "25"] for row in rows if row[0] != first)


def test_a_negative_amount_is_written_as_a_number_and_text_is_defused(client, merchant, winback):
    view, _ = _history(client, merchant, winback, cards=1)
    item = next(iter(experiment_store.page(view["id"], 10, None)[0]))
    item.number = "=HYPERLINK(\"http://x\")"
    item.events = [0, -500, -5, 0]
    item.save()
    text = client.http.get(_url(winback, f"/{view['id']}/export"), headers=bearer(merchant)).body
    row = list(csv.reader(io.StringIO(text.decode() if isinstance(text, bytes) else text)))[1]
    assert row[0] == "'=HYPERLINK(\"http://x\")" and row[6] == "-500" and row[7] == "-5"


def test_romi_by_month_reads_the_summaries(client, merchant, winback):
    view, _ = _history(client, merchant, winback, cards=2)
    client.http.get(_url(winback, f"/{view['id']}/report"), headers=bearer(merchant))
    url = f"/admin/programs/{winback['id']}/analytics/romi"
    month = datetime.now(UTC).strftime("%Y-%m")
    response = client.http.get(f"{url}?from={month}&to={month}", headers=bearer(merchant, "analyst"))
    assert response.status_code == 200 and isinstance(body(response)["months"], list)
    for bad, field in (("from=2026-13", "from"), ("to=26-01", "to"), ("from=2026-05&to=2026-04", "from")):
        wrong = client.http.get(f"{url}?{bad}", headers=bearer(merchant))
        assert wrong.status_code == 400 and (_error(wrong)["code"], _error(wrong)["field"]) == ("invalid_value", field)
    assert client.http.get(url, headers=bearer(merchant, "cashier")).status_code == 403
