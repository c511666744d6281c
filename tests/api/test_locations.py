"""A program's locations (stores): the admin routes, POS keys and receipts that name a location, and joining
at a location (issue 18, part LOC)."""
import json
from datetime import UTC, datetime

import pytest

from chalicelib import moysklad_till
from chalicelib.api import openapi_document
from chalicelib.commands import locations as commands
from chalicelib.core import locations as rules
from chalicelib.errors import Conflict
from chalicelib.store import analytics as analytics_store
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import OutboxItem, Receipt
from chalicelib.usecases import locations
from chalicelib.usecases import moysklad as ms_cases
from chalicelib.usecases import pos as pos_cases
from tests.conftest import PosClient, bearer, body, enroll
from tests.integrations.test_moysklad_till import transport


def _base(program):
    return f"/admin/programs/{program['id']}/locations"


def _add(client, merchant, program, **fields):
    data = {"name": "Tverskaya", **fields}
    response = client.http.post(_base(program), headers=bearer(merchant), body=json.dumps(data))
    assert response.status_code == 201, response.body
    return body(response)


def _patch(client, merchant, program, location_id, data, role="owner"):
    return client.http.patch(f"{_base(program)}/{location_id}", headers=bearer(merchant, role), body=json.dumps(data))


def _error(response):
    return response.status_code, body(response)["error"]["code"], body(response)["error"].get("field")


def _key(client, merchant, program, **fields):
    pos_cases.forget_cached()
    response = client.http.post(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant),
                                body=json.dumps(fields))
    assert response.status_code == 201, response.body
    created = body(response)
    return created, PosClient(client, created["key_id"], created["secret"])


def _refreshes(program):
    return [item for item in OutboxItem.scan() if item.item_key == f"refresh#{program['id']}"]


def _counts(program, location_id):
    period = analytics_store.read_period(analytics_store.scope(program["id"], location_id), "2000-01-01", "2999-12-31")
    total = {}
    for counts in period.days.values():
        for name, value in counts.items():
            total[name] = total.get(name, 0) + value
    return total


# --- the admin routes ------------------------------------------------------------------------------

def test_an_owner_adds_lists_edits_closes_and_reopens_locations(client, merchant, program):
    hours = {"sun": ["10:00-18:00"], "mon": ["09:00-13:00", "14:00-21:00"], "fri": ["22:00-02:00"]}
    first = _add(client, merchant, program, address="Tverskaya 1, Moscow", latitude=55.7601, longitude=37.6186,
                 timezone="Europe/Moscow", hours=hours, relevant_text="Coffee is 20 m away")
    assert first["id"].startswith("loc_") and first["status"] == "open" and first["created_at"]
    assert first["hours"] == {"mon": ["09:00-13:00", "14:00-21:00"], "fri": ["22:00-02:00"], "sun": ["10:00-18:00"]}
    assert (first["latitude"], first["longitude"], first["timezone"]) == (55.7601, 37.6186, "Europe/Moscow")
    second = _add(client, merchant, program, name="Arbat")
    assert second["latitude"] is None and second["hours"] == {} and second["timezone"] is None

    listed = body(client.http.get(_base(program), headers=bearer(merchant)))["items"]
    assert [item["name"] for item in listed] == ["Tverskaya", "Arbat"]  # the owner's order
    assert body(client.http.get(f"{_base(program)}/{first['id']}", headers=bearer(merchant))) == first

    edited = _patch(client, merchant, program, first["id"], {"address": None, "relevant_text": "Come in"})
    assert edited.status_code == 200
    assert body(edited)["address"] is None and body(edited)["relevant_text"] == "Come in"
    assert body(edited)["name"] == "Tverskaya" and body(edited)["hours"] == first["hours"]  # unsent: kept

    closed = body(_patch(client, merchant, program, first["id"], {"status": "closed"}))
    assert closed["status"] == "closed"
    listed = body(client.http.get(_base(program), headers=bearer(merchant)))["items"]
    assert [item["status"] for item in listed] == ["closed", "open"]  # a closed one stays, for history
    assert body(_patch(client, merchant, program, first["id"], {"status": "open"}))["status"] == "open"
    deleted = client.http.delete(f"{_base(program)}/{first['id']}", headers=bearer(merchant))
    assert deleted.status_code in (403, 404, 405)


def test_changes_the_pass_shows_ask_for_every_pass_to_be_refreshed(client, merchant, program):
    location = _add(client, merchant, program, latitude=55.75, longitude=37.61)
    assert len(_refreshes(program)) == 1
    for item in _refreshes(program):
        item.delete()
    _patch(client, merchant, program, location["id"], {"address": "Somewhere 2", "hours": {"mon": ["08:00-20:00"]}})
    assert _refreshes(program) == []  # the pass shows neither
    _patch(client, merchant, program, location["id"], {"relevant_text": "We are near"})
    assert len(_refreshes(program)) == 1


@pytest.mark.parametrize(("data", "code", "field"), [
    ({}, "required", "name"),
    ({"name": ""}, "required", "name"),
    ({"name": "x" * 81}, "invalid_length", "name"),
    ({"name": "A", "address": "x" * 201}, "invalid_length", "address"),
    ({"name": "A", "latitude": 55.7}, "required", "longitude"),
    ({"name": "A", "longitude": 37.6}, "required", "latitude"),
    ({"name": "A", "latitude": 91, "longitude": 0}, "out_of_range", "latitude"),
    ({"name": "A", "latitude": 0, "longitude": -180.5}, "out_of_range", "longitude"),
    ({"name": "A", "latitude": True, "longitude": 0}, "invalid_type", "latitude"),
    ({"name": "A", "latitude": "55", "longitude": 0}, "invalid_type", "latitude"),
    ({"name": "A", "timezone": "Mars/Olympus"}, "invalid_timezone", "timezone"),
    ({"name": "A", "hours": {"monday": ["09:00-18:00"]}}, "unknown_field", "hours.monday"),
    ({"name": "A", "hours": {"mon": ["9-18"]}}, "invalid_format", "hours.mon[0]"),
    ({"name": "A", "hours": {"tue": ["09:00-18:00", "25:00-26:00"]}}, "invalid_format", "hours.tue[1]"),
    ({"name": "A", "hours": {"mon": ["09:00-09:00"]}}, "invalid_value", "hours.mon[0]"),
    ({"name": "A", "hours": {"mon": ["01:00-02:00"] * 5}}, "too_many", "hours.mon"),
    ({"name": "A", "hours": {"wed": ["14:00-21:00", "09:00-14:30"]}}, "invalid_value", "hours.wed[0]"),
    ({"name": "A", "hours": {"sat": ["22:00-02:00", "10:00-22:30"]}}, "invalid_value", "hours.sat[0]"),
    ({"name": "A", "hours": ["09:00-18:00"]}, "invalid_type", "hours"),
    ({"name": "A", "relevant_text": "x" * 121}, "invalid_length", "relevant_text"),
    ({"name": "A", "status": "closed"}, "unknown_field", "status"),
    ({"name": "A\u0007"}, "invalid_value", "name"),
])
def test_a_bad_location_is_refused_naming_its_field(client, merchant, program, data, code, field):
    response = client.http.post(_base(program), headers=bearer(merchant), body=json.dumps(data))
    assert _error(response) == (400, code, field)


def test_names_are_unique_and_a_program_holds_at_most_so_many(client, merchant, program, monkeypatch):
    first = _add(client, merchant, program, name="Arbat")
    taken = client.http.post(_base(program), headers=bearer(merchant), body=json.dumps({"name": " ARBAT "}))
    assert _error(taken) == (409, "location_name_taken", "name")
    other = _add(client, merchant, program, name="Tverskaya")
    assert _error(_patch(client, merchant, program, other["id"], {"name": "arbat"})) == (
        409, "location_name_taken", "name")
    assert _patch(client, merchant, program, first["id"], {"name": "ARBAT"}).status_code == 200  # its own name
    assert _error(_patch(client, merchant, program, first["id"], {"latitude": 10})) == (400, "required", "longitude")
    gone = _patch(client, merchant, program, first["id"], {"status": "gone"})
    assert _error(gone)[1:] == ("invalid_choice", "status")

    monkeypatch.setattr(rules, "MAX_LOCATIONS", 2)
    too_many = client.http.post(_base(program), headers=bearer(merchant), body=json.dumps({"name": "Third"}))
    assert _error(too_many)[:2] == (422, "too_many_locations")


def test_a_concurrent_edit_is_a_conflict_not_a_lost_location(client, merchant, program):
    read = program_store.get(program["id"])
    now = datetime.now(UTC)
    locations.add(read, commands.read_new_location({"name": "One"}), now)
    with pytest.raises(Conflict) as refused:
        locations.add(read, commands.read_new_location({"name": "Two"}), now)  # over the version read before
    assert refused.value.code == "edit_conflict"
    names = [item["name"] for item in body(client.http.get(_base(program), headers=bearer(merchant)))["items"]]
    assert names == ["One"]


def test_another_merchants_program_and_an_unknown_location_are_not_found(client, merchant, other_merchant, program):
    location = _add(client, merchant, program)
    assert client.http.get(_base(program), headers=bearer(other_merchant)).status_code == 404
    assert client.http.get(f"{_base(program)}/{location['id']}", headers=bearer(other_merchant)).status_code == 404
    assert client.http.post(_base(program), headers=bearer(other_merchant),
                            body=json.dumps({"name": "Mine"})).status_code == 404
    assert _patch(client, other_merchant, program, location["id"], {"status": "closed"}).status_code == 404
    assert _error(client.http.get(f"{_base(program)}/loc_nope", headers=bearer(merchant)))[:2] == (
        404, "location_not_found")
    assert body(client.http.get(f"{_base(program)}/{location['id']}", headers=bearer(merchant)))["status"] == "open"


def test_an_analyst_reads_locations_but_cannot_change_them(client, merchant, program):
    location = _add(client, merchant, program)
    assert client.http.get(_base(program), headers=bearer(merchant, "analyst")).status_code == 200
    assert client.http.get(f"{_base(program)}/{location['id']}", headers=bearer(merchant, "analyst")).status_code == 200
    refused = client.http.post(_base(program), headers=bearer(merchant, "analyst"), body=json.dumps({"name": "B"}))
    assert refused.status_code == 403
    assert _patch(client, merchant, program, location["id"], {"status": "closed"}, role="analyst").status_code == 403
    assert client.http.get(_base(program)).status_code == 401


# --- POS keys and receipts ---------------------------------------------------------------------------

def test_a_location_key_signs_receipts_of_its_location_and_refunds_count_there(client, merchant, program):
    card = enroll(client)
    first = _add(client, merchant, program, name="Tverskaya")
    second = _add(client, merchant, program, name="Arbat")
    key, till = _key(client, merchant, program, label="Arbat till", location_id=second["id"])
    assert key["location_id"] == second["id"]
    listed = body(client.http.get(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant)))["items"]
    assert {item["key_id"]: item["location_id"] for item in listed}[key["key_id"]] == second["id"]

    answer = till.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000})
    assert answer.status_code == 200 and body(answer)["location_id"] == second["id"]
    assert Receipt.get(program["id"], "receipt#r1").location_id == second["id"]
    again = till.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 100000})
    assert again.headers.get("Idempotent-Replay") == "true" and body(again)["location_id"] == second["id"]

    mismatch = till.post("/pos/receipts", {"receipt_id": "r2", "total": 500, "location_id": first["id"]})
    assert _error(mismatch) == (422, "location_mismatch", "location_id")
    same = till.post("/pos/receipts", {"receipt_id": "r3", "total": 500, "location_id": second["id"]})
    assert same.status_code == 200

    refund = till.post("/pos/refunds", {"refund_id": "f1", "receipt_id": "r1", "amount": 40000})
    assert refund.status_code == 200
    assert Receipt.get(program["id"], "refund#f1").location_id == second["id"]
    at_arbat = _counts(program, second["id"])
    assert (at_arbat["receipts"], at_arbat["refunds"], at_arbat["refunded"]) == (2, 1, 40000)
    assert at_arbat["revenue"] == 100000 + 500 - 40000
    assert _counts(program, first["id"]) == {}
    whole = _counts(program, None)
    assert whole["receipts"] == 2 and whole["revenue"] == at_arbat["revenue"]


def test_a_whole_program_key_names_the_location_in_the_body(client, merchant, program, pos):
    first = _add(client, merchant, program, name="Tverskaya")
    closed = _add(client, merchant, program, name="Arbat")
    _patch(client, merchant, program, closed["id"], {"status": "closed"})
    keys = body(client.http.get(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant)))["items"]
    assert keys[0]["location_id"] is None  # the whole program

    central = pos.post("/pos/receipts", {"receipt_id": "c1", "total": 700, "location_id": first["id"]})
    assert central.status_code == 200 and body(central)["location_id"] == first["id"]
    assert Receipt.get(program["id"], "receipt#c1").location_id == first["id"]
    assert _counts(program, first["id"])["receipts"] == 1
    plain = pos.post("/pos/receipts", {"receipt_id": "c2", "total": 700})
    assert plain.status_code == 200 and "location_id" not in body(plain)
    assert Receipt.get(program["id"], "receipt#c2").location_id is None
    for unknown in (closed["id"], "loc_unknown"):
        refused = pos.post("/pos/receipts", {"receipt_id": "c3", "total": 700, "location_id": unknown})
        assert _error(refused) == (422, "unknown_location", "location_id")
    bad = pos.post("/pos/receipts", {"receipt_id": "c4", "total": 700, "location_id": 5})
    assert _error(bad) == (400, "invalid_type", "location_id")


def test_a_key_takes_only_an_open_location_of_its_program(client, merchant, other_merchant, program):
    closed = _add(client, merchant, program, name="Old")
    _patch(client, merchant, program, closed["id"], {"status": "closed"})
    other = body(client.http.post("/admin/programs", headers=bearer(other_merchant),
                                  body=json.dumps({"name": "Other", "slug": "other"})))
    foreign = _add(client, other_merchant, other, name="Theirs")
    for location_id in (closed["id"], foreign["id"], "loc_nope"):
        response = client.http.post(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant),
                                    body=json.dumps({"location_id": location_id}))
        assert _error(response) == (422, "unknown_location", "location_id")
    response = client.http.post(f"/admin/programs/{program['id']}/pos-keys", headers=bearer(merchant),
                                body=json.dumps({"location_id": ["x"]}))
    assert _error(response) == (400, "invalid_type", "location_id")


# --- joining at a location -------------------------------------------------------------------------

def _join_at(client, location_id, phone="+79160000002", slug="coffee"):
    data = {"name": "Boris", "phone": phone, "consent": True}
    response = client.http.post(f"/join/{slug}?location={location_id}", headers={"Content-Type": "application/json"},
                                body=json.dumps(data))
    assert response.status_code == 201, response.body
    return body(response)


def test_a_card_that_joins_at_a_location_has_it_as_home_and_keeps_it(client, merchant, program):
    home = _add(client, merchant, program, name="Tverskaya")
    elsewhere = _add(client, merchant, program, name="Arbat")
    joined = _join_at(client, home["id"])
    card = card_store.get(joined["card_id"])
    assert card.stats["home"] == home["id"]
    assert _counts(program, home["id"])["new_members"] == 1
    assert _counts(program, None)["new_members"] == 1

    _, till = _key(client, merchant, program, location_id=elsewhere["id"])
    sold = till.post("/pos/receipts", {"receipt_id": "j1", "card": joined["card_number"], "total": 1000})
    assert sold.status_code == 200
    stats = card_store.get(joined["card_id"]).stats
    assert stats["home"] == home["id"] and stats["places"] == {elsewhere["id"]: 1}

    page = client.http.get(f"/join/coffee?location={home['id']}")
    assert page.status_code == 200 and f"/join/coffee?location={home['id']}" in page.body.decode()
    # switching the page's language keeps the location (else the card would join without a home)
    assert f'href="?location={home["id"]}&amp;lang=en"' in page.body.decode()
    plain = client.http.get("/join/coffee").body.decode()
    assert 'href="?lang=en"' in plain


def test_an_unknown_or_closed_location_in_the_link_is_ignored(client, merchant, program):
    closed = _add(client, merchant, program, name="Old")
    _patch(client, merchant, program, closed["id"], {"status": "closed"})
    for index, location_id in enumerate((closed["id"], "loc_unknown", "%3Cscript%3E", "x" * 300)):
        joined = _join_at(client, location_id, phone=f"+7916000001{index}")
        assert "home" not in card_store.get(joined["card_id"]).stats
        page = client.http.get(f"/join/coffee?location={location_id}")
        assert page.status_code == 200 and "?location=" not in page.body.decode()
    assert _counts(program, closed["id"]) == {}


def test_a_first_receipt_at_a_location_makes_it_home(client, merchant, program):
    card = enroll(client)
    location = _add(client, merchant, program)
    _, till = _key(client, merchant, program, location_id=location["id"])
    till.post("/pos/receipts", {"receipt_id": "h1", "card": card["card_number"], "total": 1000})
    assert card_store.get(card["card_id"]).stats["home"] == location["id"]


def test_the_api_description_names_the_weekdays_and_statuses_of_core():
    assert openapi_document._WEEKDAYS == rules.WEEKDAYS
    assert openapi_document._LOCATION_STATUSES == [rules.OPEN, rules.CLOSED]


def test_a_locations_poster_carries_its_own_join_link(client, merchant, program):
    location = _add(client, merchant, program, name="Arbat 12")
    page = client.http.get(f"/console/poster/coffee?lang=en&location={location['id']}").body.decode()
    assert "Arbat 12" in page and f"/join/coffee?location={location['id']}" in page
    _patch(client, merchant, program, location["id"], {"status": "closed"})
    page = client.http.get(f"/console/poster/coffee?lang=en&location={location['id']}").body.decode()
    assert "Arbat 12" not in page and "?location=" not in page  # a closed one: the program's poster


# --- MoySklad connections ------------------------------------------------------------------------

def test_a_moysklad_connection_of_a_location_makes_its_sales_carry_it(client, merchant, program):
    location = _add(client, merchant, program, name="Arbat")
    path = f"/admin/programs/{program['id']}/integrations/moysklad"
    refused = client.http.post(path, headers=bearer(merchant), body=json.dumps({"location_id": "loc_nope"}))
    assert _error(refused) == (422, "unknown_location", "location_id")
    ms_cases.forget_cached()
    created = body(client.http.post(path, headers=bearer(merchant),
                                    body=json.dumps({"label": "Arbat till", "location_id": location["id"]})))
    assert created["location_id"] == location["id"]
    assert body(client.http.get(path, headers=bearer(merchant)))["items"][0]["location_id"] == location["id"]
    till = moysklad_till.Till(transport(client, created["base_url"]), created["token"], out=lambda line: None)
    till.sell("ms-sale-1", "1", None, {"positions": [moysklad_till.position("500.00", "1") | {
        "discountPercent": 0, "discountedPrice": 500.0}], "bonusProgram": {"bonusValueToSpend": 0,
                                                                           "bonusValueToEarn": 0}})
    assert Receipt.get(program["id"], "receipt#moysklad:ms-sale-1").location_id == location["id"]
    assert _counts(program, location["id"])["receipts"] == 1


def test_our_signed_webhook_follows_the_same_rules_with_the_key_that_signs_it(client, merchant, program, pos):
    first = _add(client, merchant, program, name="Tverskaya")
    second = _add(client, merchant, program, name="Arbat")
    _, till = _key(client, merchant, program, location_id=second["id"])
    hook = "/integrations/signed/events"
    sold = till.post(hook, {"type": "receipt", "data": {"receipt_id": "w1", "total": 900}})
    assert sold.status_code == 200 and body(sold)["location_id"] == second["id"]
    assert Receipt.get(program["id"], "receipt#w1").location_id == second["id"]
    mismatch = till.post(hook, {"type": "receipt", "data": {"receipt_id": "w2", "total": 900,
                                                             "location_id": first["id"]}})
    assert _error(mismatch) == (422, "location_mismatch", "location_id")
    central = pos.post(hook, {"type": "receipt", "data": {"receipt_id": "w3", "total": 900,
                                                           "location_id": first["id"]}})
    assert central.status_code == 200 and Receipt.get(program["id"], "receipt#w3").location_id == first["id"]
    unknown = pos.post(hook, {"type": "receipt", "data": {"receipt_id": "w4", "total": 900, "location_id": "loc_x"}})
    assert _error(unknown) == (422, "unknown_location", "location_id")


# --- found in review: receipts of two stores, a store closed between a sale and its retry, room on the item ------

def test_the_same_receipt_from_another_stores_key_is_another_sale_not_the_first_ones_answer(client, merchant, program):
    """Two stores' tills number receipts themselves: the same id and body from another location's key is a
    409 (the sale refused, so the till says so), never a replay of the first store's sale."""
    tverskaya, arbat = _add(client, merchant, program, name="Tverskaya"), _add(client, merchant, program, name="Arbat")
    _, at_1 = _key(client, merchant, program, location_id=tverskaya["id"])
    _, at_2 = _key(client, merchant, program, location_id=arbat["id"])
    sale = {"receipt_id": "1", "card": None, "total": 25000}
    first = at_1.post("/pos/receipts", sale)
    assert first.status_code == 200 and body(first)["location_id"] == tverskaya["id"]
    second = at_2.post("/pos/receipts", sale)
    assert _error(second) == (409, "receipt_conflict", None)
    again = at_1.post("/pos/receipts", sale)  # the first store's own retry still replays
    assert again.status_code == 200 and again.headers.get("Idempotent-Replay") == "true"
    assert body(again) == body(first)
    assert _counts(program, tverskaya["id"])["receipts"] == 1 and not _counts(program, arbat["id"])


def test_a_retry_after_its_location_closed_gets_the_first_answer(client, merchant, program, pos):
    arbat = _add(client, merchant, program, name="Arbat")
    sale = {"receipt_id": "c-1", "total": 700, "location_id": arbat["id"]}
    first = pos.post("/pos/receipts", sale)
    assert first.status_code == 200
    _patch(client, merchant, program, arbat["id"], {"status": "closed"})
    pos_cases.forget_cached()
    again = pos.post("/pos/receipts", sale)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replay") == "true", again.body
    assert body(again) == body(first)
    new = pos.post("/pos/receipts", {**sale, "receipt_id": "c-2"})  # a new sale there is refused
    assert _error(new) == (422, "unknown_location", "location_id")


def test_locations_that_would_not_fit_on_the_program_are_a_422_not_a_500(client, merchant, program):
    """Long Russian names, addresses and texts (each within its length): stored JSON escapes every letter as
    6 bytes, so the program item fills before 200 locations; the owner is told, and nothing is lost."""
    def cyrillic(index):
        return {"name": (f"{index:03d}" + "Кофейня" * 12)[:80],
                "address": ("г. Москва, ул. Большая Никитская, д. 1 " * 6)[:200],
                "relevant_text": ("Кофейня рядом — покажите карту и получите " * 3)[:120],
                "latitude": 55.1, "longitude": 37.1, "timezone": "Europe/Moscow",
                "hours": {day: ["08:00-13:00", "14:00-22:00"] for day in ("mon", "tue", "wed", "thu", "fri")}}
    stored = [rules.Location(f"loc_{index:016d}", created_at="2026-11-29T00:00:00+00:00",
                                 **{**cyrillic(index), "hours": {day: tuple(spans) for day, spans in
                                                                 cyrillic(index)["hours"].items()}}).to_json()
              for index in range(60)]
    program_store.save_changes(program_store.get(program["id"]), {"locations": stored}, datetime.now(UTC))
    answers = []
    for index in range(60, 200):
        answer = client.http.post(_base(program), headers=bearer(merchant), body=json.dumps(cyrillic(index)))
        answers.append(answer.status_code)
        if answer.status_code != 201:
            assert _error(answer) == (422, "too_many_locations", None)
            break
    assert answers[-1] == 422 and set(answers[:-1]) <= {201}
    kept = body(client.http.get(_base(program), headers=bearer(merchant)))["items"]
    assert len(kept) == 60 + len(answers) - 1
    assert rules.stored_size(rules.from_stored(kept)) <= rules.MAX_STORED_BYTES


def test_a_locations_join_link_names_the_location_under_the_program(client, merchant, program):
    """/join/{slug}?location=: the page says where the customer joins (escaped); a stale link names nothing."""
    arbat = _add(client, merchant, program, name="Кофейня на Арбате <b>")
    page = client.http.get(f"/join/coffee?location={arbat['id']}").body.decode()
    assert '<p class="join-location">Кофейня на Арбате &lt;b&gt;</p>' in page
    assert page.index("join-location") > page.index("<h1>")
    assert "join-location" not in client.http.get("/join/coffee").body.decode()
    assert "join-location" not in client.http.get("/join/coffee?location=loc_unknown").body.decode()


# --- a POS provider's store ids: Square, Shopify and Evotor sales carry the location they were made at --------

def test_a_location_names_the_providers_store_ids_once_each(client, merchant, program):
    arbat = _add(client, merchant, program, name="Arbat",
                 external_ids={"square": "L88917AVBK2S5", "shopify": "655441491"})
    assert arbat["external_ids"] == {"square": "L88917AVBK2S5", "shopify": "655441491"}
    tver = _add(client, merchant, program, name="Tverskaya")
    assert tver["external_ids"] == {}
    taken = _patch(client, merchant, program, tver["id"], {"external_ids": {"square": "L88917AVBK2S5"}})
    assert _error(taken) == (409, "external_id_taken", "external_ids.square")
    for bad, field in (({"clover": "x"}, "external_ids.clover"), ({"square": "has space"}, "external_ids.square"),
                       ({"square": 5}, "external_ids.square"), ("L88917AVBK2S5", "external_ids")):
        refused = _patch(client, merchant, program, tver["id"], {"external_ids": bad})
        assert refused.status_code == 400 and _error(refused)[2] == field, (bad, refused.body)
    _patch(client, merchant, program, arbat["id"], {"status": "closed"})  # a closed store frees its ids
    moved = _patch(client, merchant, program, tver["id"], {"external_ids": {"square": "L88917AVBK2S5"}})
    assert moved.status_code == 200 and body(moved)["external_ids"] == {"square": "L88917AVBK2S5"}
    cleared = _patch(client, merchant, program, tver["id"], {"external_ids": None})
    assert body(cleared)["external_ids"] == {}


def test_square_and_evotor_sales_carry_the_location_their_store_is_mapped_to(client, merchant, program):
    from tests.integrations.conftest import SQUARE_KEY, connect
    from tests.integrations.test_evotor import receipt as evotor_receipt
    from tests.integrations.test_evotor import send as evotor_send
    from tests.integrations.test_square import payment_event
    from tests.integrations.test_square import send as square_send

    evotor_store = "20170607-7AF4-40C5-80A2-8F26F0A4C4E1"
    arbat = _add(client, merchant, program, name="Arbat", external_ids={"square": "S8GWD5R9QB376",
                                                                           "evotor": evotor_store})
    square = connect(client, merchant, program["id"], "square", {"signature_key": SQUARE_KEY})
    sold = square_send(client, square, payment_event())  # Square's payment.location_id is S8GWD5R9QB376
    assert sold.status_code == 200, sold.body
    assert body(sold)["location_id"] == arbat["id"]
    assert Receipt.get(program["id"], "receipt#square:hYy9pRFVxpDsO1FB05SunFWUe9JZY").location_id == arbat["id"]

    evotor = connect(client, merchant, program["id"], "evotor")
    mapped = evotor_receipt()
    mapped[0]["data"]["storeId"] = evotor_store
    at_arbat = evotor_send(client, evotor, mapped)
    assert at_arbat.status_code == 200 and body(at_arbat)["location_id"] == arbat["id"]
    elsewhere = evotor_send(client, evotor, evotor_receipt())  # a store nobody mapped: no location, as before
    assert elsewhere.status_code == 200 and "location_id" not in body(elsewhere)
    assert _counts(program, arbat["id"])["receipts"] == 2


def test_a_shopify_pos_order_carries_the_location_its_numeric_store_id_is_mapped_to(client, merchant, program):
    from tests.integrations.conftest import SHOPIFY_SECRET, connect
    from tests.integrations.test_shopify import order
    from tests.integrations.test_shopify import send as shopify_send

    arbat = _add(client, merchant, program, name="Arbat", external_ids={"shopify": "655441491"})
    shop = connect(client, merchant, program["id"], "shopify", {"secret": SHOPIFY_SECRET})
    paid = order() | {"location_id": 655441491}  # Shopify's POS orders name their store with a number
    answer = shopify_send(client, shop, "orders/paid", paid)
    assert answer.status_code == 200, answer.body
    assert body(answer)["location_id"] == arbat["id"]
