"""The admin API: programs with field-level errors, POS keys shown once, cards listed and searched."""
import hashlib
import hmac
import json

import pytest

from tests.conftest import bearer, body, enroll


def _programs(client, merchant):
    return body(client.http.get("/admin/programs", headers=bearer(merchant)))["items"]


def test_program_defaults_and_echo(client, program):
    assert program["slug"] == "coffee" and program["timezone"] == "Europe/Moscow" and program["currency"] == "RUB"
    assert program["mechanics"]["tiers"][1] == {"id": "gold", "name": "Gold", "threshold": 1000000, "earn_percent": 10}
    assert program["mechanics"]["redeem_cap_percent"] == 30 and program["mechanics"]["point_value"] == 100
    assert program["branding"]["background_color"].startswith("#")


@pytest.mark.parametrize("data, field, status", [
    ({"name": "X", "slug": "coffee"}, "slug", 409),
    ({"name": "X", "slug": "admin"}, "slug", 400),
    ({"name": "X", "slug": "Bad Slug"}, "slug", 400),
    ({"name": "X", "slug": "ok-slug", "timezone": "Mars/Base"}, "timezone", 400),
    ({"name": 5, "slug": "ok-slug"}, "name", 400),
    ({"name": "X", "slug": "ok-slug", "extra": 1}, "extra", 400),
    ({"name": "X", "slug": "ok-slug", "mechanics": {"tiers": [{"id": "a", "name": "A", "threshold": 5,
                                                               "earn_percent": 5}]}},
     "mechanics.tiers[0].threshold", 400),
    ({"name": "X", "slug": "ok-slug", "mechanics": {"redeem_cap_percent": 30.333}}, "mechanics.redeem_cap_percent",
     400),
    ({"name": "X", "slug": "ok-slug", "mechanics": {"welcome_bonus": True}}, "mechanics.welcome_bonus", 400),
    ({"name": "X", "slug": "ok-slug", "branding": {"background_color": "red"}}, "branding.background_color", 400),
])
def test_refused_programs_name_the_field_and_write_nothing(client, merchant, program, data, field, status):
    response = client.http.post("/admin/programs", headers=bearer(merchant), body=json.dumps(data))
    assert response.status_code == status, response.body
    assert body(response)["error"]["field"] == field
    assert len(_programs(client, merchant)) == 1


@pytest.mark.parametrize("raw, status, code", [
    (b"{oops", 400, "invalid_json"), (b"[]", 400, "invalid_json"), (b"", 400, "invalid_json"),
    (json.dumps({"name": "x" * 300_000}).encode(), 413, "payload_too_large"),
])
def test_malformed_bodies(client, merchant, raw, status, code):
    response = client.http.post("/admin/programs", headers=bearer(merchant), body=raw)
    assert response.status_code == status and body(response)["error"]["code"] == code


def test_patch_changes_only_what_is_sent_and_never_the_slug(client, merchant, program):
    path = f"/admin/programs/{program['id']}"
    response = client.http.patch(path, headers=bearer(merchant), body=json.dumps({"mechanics": {"pending_days": 3}}))
    assert response.status_code == 200
    updated = body(response)
    assert updated["mechanics"]["pending_days"] == 3
    assert updated["mechanics"]["welcome_bonus"] == 100
    assert updated["mechanics"]["tiers"] == program["mechanics"]["tiers"]
    refused = client.http.patch(path, headers=bearer(merchant), body=json.dumps({"slug": "new"}))
    assert refused.status_code == 400 and body(refused)["error"]["code"] == "immutable"


def test_programs_page_by_page(client, merchant, program):
    for index in range(3):
        client.http.post("/admin/programs", headers=bearer(merchant),
                         body=json.dumps({"name": f"P{index}", "slug": f"p-{index}x"}))
    seen, cursor = [], None
    while True:
        query = f"?limit=1&cursor={cursor}" if cursor else "?limit=1"
        page = body(client.http.get(f"/admin/programs{query}", headers=bearer(merchant)))
        seen += [p["slug"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == ["coffee", "p-0x", "p-1x", "p-2x"]
    bad = client.http.get("/admin/programs?cursor=garbage!", headers=bearer(merchant))
    assert bad.status_code == 400 and body(bad)["error"]["code"] == "invalid_cursor"


def test_pos_key_secret_is_shown_once_and_stored_as_a_hash_that_verifies(client, merchant, program):
    from chalicelib import auth
    from chalicelib.store import pos_keys

    path = f"/admin/programs/{program['id']}/pos-keys"
    created = body(client.http.post(path, headers=bearer(merchant), body=json.dumps({"label": "till 1"})))
    assert len(created["secret"]) > 64
    listed = client.http.get(path, headers=bearer(merchant)).body.decode()
    assert created["secret"] not in listed and "secret" not in listed
    stored = pos_keys.get(created["key_id"])
    assert stored.secret_hash == hashlib.sha256(created["secret"].encode()).hexdigest()
    message = b"1700000000.POST./pos/receipts.{}"
    expected = hmac.new(created["secret"].encode(), message, hashlib.sha256).hexdigest()
    assert auth.pos_signature(stored.secret_hash, "1700000000", "POST", "/pos/receipts", b"{}") == expected
    revoked = client.http.delete(f"{path}/{created['key_id']}", headers=bearer(merchant))
    assert revoked.status_code == 200 and body(revoked)["status"] == "revoked"
    assert client.http.delete(f"{path}/pk_nope", headers=bearer(merchant)).status_code == 404
    assert client.http.post(path, headers=bearer(merchant, "manager"), body="{}").status_code == 403


def test_cards_list_search_and_contacts_by_role(client, merchant, program):
    first = enroll(client, phone="+79160000001")
    second = enroll(client, name="Boris", phone="+79160000002")
    path = f"/admin/programs/{program['id']}/cards"
    page = body(client.http.get(f"{path}?limit=1", headers=bearer(merchant)))
    assert page["items"][0]["id"] == second["card_id"] and page["next_cursor"]
    rest = body(client.http.get(f"{path}?limit=1&cursor={page['next_cursor']}", headers=bearer(merchant)))
    assert rest["items"][0]["id"] == first["card_id"]
    number = first["card_number"]
    spaced = f"{number[:4]} {number[4:8]} {number[8:]}"
    assert [c["id"] for c in body(client.http.get(f"{path}?q={spaced.replace(' ', '%20')}",
                                                  headers=bearer(merchant)))["items"]] == [first["card_id"]]
    by_phone = body(client.http.get(f"{path}?q=8%20916%20000-00-02", headers=bearer(merchant)))["items"]
    assert [c["id"] for c in by_phone] == [second["card_id"]]
    assert body(client.http.get(f"{path}?q=%2B79169999999", headers=bearer(merchant)))["items"] == []
    assert client.http.get(f"{path}?q=hello", headers=bearer(merchant)).status_code == 400
    owner_view = body(client.http.get(f"/admin/cards/{first['card_id']}", headers=bearer(merchant)))
    assert owner_view["phone"] == "+79160000001" and owner_view["balance"] == 100
    analyst_view = body(client.http.get(f"/admin/cards/{first['card_id']}", headers=bearer(merchant, "analyst")))
    assert "phone" not in analyst_view and "card_url" not in analyst_view and analyst_view["balance"] == 100


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_one_phone_written_four_ways_is_one_card(client, merchant, program):
    """Arabic-Indic, Persian, fullwidth and Devanagari digits are the same digits: one card, three 409s,
    and the admin search finds that card however the number is written."""
    first = enroll(client, phone="+7 916 123-45-67")
    for written in ("+٧ (٩١٦) ١٢٣-٤٥-٦٧", "۸ ۹۱۶ ۱۲۳ ۴۵ ۶۷", "８（９１６）１２３－４５－６７", "+७ ९१६ १२३ ४५ ६७"):
        again = client.http.post("/join/coffee", headers={"Content-Type": "application/json"},
                                 body=json.dumps({"name": "Twin", "phone": written, "consent": True}))
        assert again.status_code == 409 and body(again)["error"]["code"] == "already_enrolled", written
        found = body(client.http.get(f"/admin/programs/{program['id']}/cards?q={_q(written)}",
                                     headers=bearer(merchant)))["items"]
        assert [card["id"] for card in found] == [first["card_id"]], written
    listed = body(client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant)))["items"]
    assert len(listed) == 1
    assert body(client.http.get(f"/admin/cards/{first['card_id']}", headers=bearer(merchant)))["phone"] == \
        "+79161234567"
    odd = client.http.post("/join/coffee", headers={"Content-Type": "application/json"},
                           body=json.dumps({"name": "Odd", "phone": "+7 916 123 45 6\u00b2", "consent": True}))
    assert odd.status_code == 400 and body(odd)["error"]["field"] == "phone"


def test_an_analyst_cannot_find_a_card_by_phone(client, merchant, program):
    """Analysts see no phones, so a phone search (which would confirm a number is a member) is refused
    before any lookup, for members and strangers alike; searching by card number still works."""
    card = enroll(client, phone="+79160000001")
    path = f"/admin/programs/{program['id']}/cards"
    for query in ("+79160000001", "8 916 000-00-01", "+79169999999", "٨٩١٦٠٠٠٠٠٠١", "+7 916 123"):
        refused = client.http.get(f"{path}?q={_q(query)}", headers=bearer(merchant, "analyst"))
        assert refused.status_code == 403 and body(refused)["error"] == {
            "code": "forbidden", "field": "q",
            "message": "This role sees no phone numbers, so it searches by card number only."}, query
    by_number = body(client.http.get(f"{path}?q={card['card_number']}", headers=bearer(merchant, "analyst")))
    assert [c["id"] for c in by_number["items"]] == [card["card_id"]]
    assert client.http.get(f"{path}?q=%2B79160000001", headers=bearer(merchant, "manager")).status_code == 200


def test_an_analyst_cannot_read_campaigns(client, merchant, program):
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                               body=json.dumps({"name": "Cake day", "texts": {"ru": "Торт!", "en": "Cake!"}}))
    assert created.status_code == 201
    path = f"/admin/programs/{program['id']}/campaigns/{body(created)['id']}"
    refused = client.http.get(path, headers=bearer(merchant, "analyst"))
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "forbidden"
    assert client.http.get(path, headers=bearer(merchant, "manager")).status_code == 200


def test_csv_exports_defuse_every_formula_prefix_in_every_text_cell(client, merchant, program, pos):
    """Whatever a POS or a person chose (a receipt id starting with '-', a name or a reason starting
    with '=', '@', '+', a fullwidth '＝', or spaces then '='), no text cell of an export starts a formula;
    numbers (a negative amount) stay numbers."""
    import csv
    import io

    card = enroll(client, name="@SUM(1+1)")
    pos.post("/pos/receipts", {"receipt_id": "-2-3", "card": card["card_number"], "total": 100000})
    pos.post("/pos/refunds", {"refund_id": "-1", "receipt_id": "-2-3", "amount": 1000})
    for reason, key in (("=HYPERLINK(\"http://x\")", "k1"), ("＝1+1", "k2"), ("  =1+1", "k3"), ("\t=1", "k4")):
        adjusted = client.http.post(f"/admin/cards/{card['card_id']}/adjustments", headers=bearer(merchant),
                                    body=json.dumps({"amount": -1, "reason": reason, "idempotency_key": key}))
        assert adjusted.status_code == 201, adjusted.body
    cells = []
    for kind in ("cards", "receipts", "ledger"):
        response = client.http.get(f"/admin/programs/{program['id']}/exports/{kind}", headers=bearer(merchant))
        text = response.body.decode() if isinstance(response.body, bytes) else response.body
        rows = list(csv.reader(io.StringIO(text)))
        cells += [value for row in rows[1:] for value in row]
        if kind == "receipts":
            ids = [row[rows[0].index("id")] for row in rows[1:] if row[0] in ("receipt", "refund")]
            assert sorted(ids) == ["'-1", "'-2-3"]
        if kind == "ledger":
            amounts = [row[rows[0].index("amount")] for row in rows[1:]]
            assert "-1" in amounts  # a number, left as it is
    texts = [value for value in cells if not value.lstrip("-").isdigit()]
    assert texts and not [value for value in texts if value.lstrip()[:1] in ("=", "+", "-", "@", "＝", "\t", "\r")]
    assert "'@SUM(1+1)" in cells and "'＝1+1" in cells and "'=1" in cells


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "  =1", "\u00a0+1", "＝1", "＋1", "－1",
                                  "＠A1", "﹦1"])
def test_every_formula_start_is_defused(text):
    from chalicelib.usecases import exports

    assert exports.cell(text) == "'" + text
    assert exports.cell("Anna") == "Anna" and exports.cell(-500) == -500 and exports.cell(None) == ""
