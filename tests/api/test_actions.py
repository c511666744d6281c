"""Challenges and bonuses for actions as a customer and a till meet them: three visits through the signed
POS route give their reward once, completing the profile on the card page gives its bonus once, and the
first purchase's bonus comes with the first receipt only."""
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlparse, urlsplit

import pytest

from tests.conftest import bearer, body, enroll

THREE_VISITS = {"id": "three", "name": {"ru": "Три визита", "en": "Three visits"},
                "goal": {"type": "visits", "target": 3}, "window_days": 14, "reward": {"points": 300}}


def _set_mechanics(client, merchant, program, **mechanics):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": mechanics}))
    assert response.status_code == 200, response.body
    return body(response)


def _card(client, merchant, card_id):
    card = body(client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant)))
    entries = body(client.http.get(f"/admin/cards/{card_id}/ledger?limit=200", headers=bearer(merchant)))["items"]
    assert card["balance"] == sum(e["amount"] for e in entries) == sum(lot["remaining"] for lot in card["lots"])
    return card, entries


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


# --- challenges -----------------------------------------------------------------------------------------

def test_three_visits_in_fourteen_days_give_300_points_once(client, merchant, program, pos):
    _set_mechanics(client, merchant, program, challenges=[THREE_VISITS])
    card = enroll(client)

    sent = {}

    def sell(receipt_id, days_ago):
        sent[receipt_id] = {"receipt_id": receipt_id, "card": card["card_number"], "total": 10000,
                            "created_at": _days_ago(days_ago)}
        response = pos.post("/pos/receipts", sent[receipt_id])
        assert response.status_code in (200, 201), response.body
        return body(response)

    assert "bonuses" not in sell("r1", 10)
    assert "bonuses" not in sell("r2", 10)  # the same day again: still one visit
    assert "bonuses" not in sell("r3", 5)
    third = sell("r4", 1)
    assert third["bonuses"] == [{"source": "challenge", "id": "three", "points": 300}]
    assert third["balance"] == 100 + 4 * 5 + 300  # the bonus on top of what the receipts earned
    assert "bonuses" not in sell("r5", 1)  # the completing day again opens no new window
    assert body(pos.post("/pos/receipts", sent["r4"]))["bonuses"] == third["bonuses"]  # a replay: the same answer
    view, entries = _card(client, merchant, card["card_id"])
    challenge_entries = [e for e in entries if e["source"] == "challenge"]
    assert [(e["kind"], e["amount"]) for e in challenge_entries] == [("bonus", 300)]
    assert view["balance"] == 100 + 5 * 5 + 300
    assert view["challenges"] == [{"id": "three", "name": "Три визита", "progress": 0, "target": 3,
                                   "ends_on": None, "completed": 1, "streak": 1, "done": False}]


def test_the_admin_card_view_shows_progress_in_a_live_window(client, merchant, program, pos):
    _set_mechanics(client, merchant, program, challenges=[THREE_VISITS])
    card = enroll(client)
    (before,) = _card(client, merchant, card["card_id"])[0]["challenges"]
    assert (before["progress"], before["ends_on"]) == (0, None)
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": card["card_number"], "total": 10000})
    (shown,) = _card(client, merchant, card["card_id"])[0]["challenges"]
    assert (shown["progress"], shown["target"], shown["completed"]) == (1, 3, 0)
    assert shown["ends_on"] is not None


def test_a_challenge_naming_an_undefined_offer_or_a_wrong_goal_is_refused(client, merchant, program):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": {"challenges": [
                                     {**THREE_VISITS, "goal": {"type": "visits", "target": 0}}]}}))
    assert response.status_code == 400
    assert body(response)["error"]["field"] == "mechanics.challenges[0].goal.target"


# --- the first purchase ---------------------------------------------------------------------------------

def test_the_first_purchase_bonus_comes_once_even_after_a_full_refund(client, merchant, program, pos):
    _set_mechanics(client, merchant, program, actions={"first_purchase": 70})
    card = enroll(client)
    first = body(pos.post("/pos/receipts", {"receipt_id": "f1", "card": card["card_number"], "total": 10000}))
    assert first["bonuses"] == [{"source": "action", "id": "first_purchase", "points": 70}]
    refund = pos.post("/pos/refunds", {"refund_id": "x1", "receipt_id": "f1", "amount": 10000})
    assert refund.status_code in (200, 201), refund.body
    again = body(pos.post("/pos/receipts", {"receipt_id": "f2", "card": card["card_number"], "total": 10000}))
    assert "bonuses" not in again
    entries = _card(client, merchant, card["card_id"])[1]
    assert [e["amount"] for e in entries if e["source"] == "action"] == [70]


# --- the profile ------------------------------------------------------------------------------------------

def _profile_path(card) -> str:
    url = urlparse(card["card_url"])
    return f"{url.path}/profile?{url.query}"


def _post_json(client, path, data):
    return client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(data))


def _post_form(client, path, data):
    return client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body=urlencode(data))


@pytest.fixture
def rewarding(client, merchant, program):
    return _set_mechanics(client, merchant, program, actions={"profile_completed": 50})


def test_completing_the_profile_gives_its_bonus_once(client, merchant, program, rewarding):
    card = enroll(client)
    path = _profile_path(card)
    first = _post_json(client, path, {"email": "Anna@Example.com", "birthday": "1990-05-17"})
    assert first.status_code == 200, first.body
    assert body(first) == {"email": "anna@example.com", "birthday": "1990-05-17", "complete": True,
                           "bonus": {"source": "action", "id": "profile_completed", "points": 50, "balance": 150},
                           "balance": 150, "marketing_consent": False}  # the offers box: not ticked
    second = body(_post_json(client, path, {"email": "anna@example.com", "birthday": "1990-05-17"}))
    assert second["bonus"] is None and second["balance"] == 150
    view, entries = _card(client, merchant, card["card_id"])
    assert [(e["kind"], e["source"], e["amount"]) for e in entries if e["source"] == "action"] == [
        ("bonus", "action", 50)]
    assert (view["email"], view["birthday"], view["balance"]) == ("anna@example.com", "1990-05-17", 150)


def test_the_bonus_waits_until_both_are_on_the_card(client, merchant, program, rewarding):
    card = enroll(client)
    path = _profile_path(card)
    half = body(_post_json(client, path, {"email": "anna@example.com"}))
    assert (half["complete"], half["bonus"], half["balance"]) == (False, None, 100)
    whole = body(_post_json(client, path, {"birthday": "1990-05-17"}))
    assert whole["complete"] and whole["bonus"]["points"] == 50 and whole["email"] == "anna@example.com"


def test_a_form_post_goes_back_to_the_card_page_saying_what_it_gave(client, merchant, program, rewarding):
    card = enroll(client)
    path = _profile_path(card)
    page = client.http.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "+50 points" in page.body.decode()
    saved = _post_form(client, path, {"email": "anna@example.com", "birthday": "1990-05-17", "locale": "en"})
    assert saved.status_code == 303
    assert saved.headers["Location"] == card["card_url"] + "&profile=saved&bonus=50"
    location = urlsplit(saved.headers["Location"])
    back = client.http.get(f"{location.path}?{location.query}", headers={"Accept-Language": "en"})
    assert "Profile complete: you got 50 points." in back.body.decode()
    again = _post_form(client, path, {"email": "anna@example.com", "birthday": "1990-05-17", "locale": "en"})
    assert again.headers["Location"] == card["card_url"] + "&profile=saved"
    assert _card(client, merchant, card["card_id"])[0]["balance"] == 150


def test_every_fault_is_told_at_once_in_the_pages_language(client, program, rewarding):
    card = enroll(client)
    path = _profile_path(card)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    page = _post_form(client, path, {"email": "not-an-address", "birthday": tomorrow, "locale": "ru"})
    assert page.status_code == 400
    html = page.body.decode()
    assert "Проверьте адрес эл. почты" in html and "Укажите настоящую дату рождения" in html
    assert 'value="not-an-address"' in html  # what was typed is kept
    refused = _post_json(client, path, {"email": "not-an-address", "birthday": tomorrow})
    assert [e["field"] for e in body(refused)["error"]["errors"]] == ["email", "birthday"]
    nothing = _post_json(client, path, {})
    assert [e["code"] for e in body(nothing)["error"]["errors"]] == ["required", "required"]


def test_a_birthday_on_the_card_is_not_changed_here(client, program, rewarding):
    card = enroll(client, birthday="1990-05-17")
    path = _profile_path(card)
    refused = _post_json(client, path, {"email": "anna@example.com", "birthday": "1991-01-01"})
    assert refused.status_code == 400 and body(refused)["error"]["code"] == "birthday_locked"
    done = body(_post_json(client, path, {"email": "anna@example.com", "birthday": "1990-05-17"}))
    assert done["bonus"]["points"] == 50


def test_a_wrong_key_is_no_card(client, program, rewarding):
    card = enroll(client)
    path = _profile_path(card).replace("k=", "k=x")
    assert _post_json(client, path, {"email": "anna@example.com"}).status_code == 404
    assert _post_form(client, path, {"email": "anna@example.com"}).status_code == 404
    assert client.http.get(path).status_code == 404


def test_a_blocked_card_saves_its_profile_but_earns_nothing(client, merchant, program, rewarding):
    card = enroll(client)
    blocked = client.http.patch(f"/admin/cards/{card['card_id']}", headers=bearer(merchant),
                                body=json.dumps({"status": "blocked"}))
    assert blocked.status_code == 200, blocked.body
    answer = body(_post_json(client, _profile_path(card), {"email": "anna@example.com", "birthday": "1990-05-17"}))
    assert answer["complete"] and answer["bonus"] is None and answer["balance"] == 100


def test_without_a_bonus_in_the_program_the_profile_is_saved_all_the_same(client, program):
    card = enroll(client)
    answer = body(_post_json(client, _profile_path(card), {"email": "anna@example.com", "birthday": "1990-05-17"}))
    assert answer["complete"] and answer["bonus"] is None


def test_a_stamp_cards_pages_count_its_bonuses_in_stamps(client, merchant, program):
    """On a stamp card every bonus is stamps: the join page, the profile page and the card page after the
    profile say "stamps", not "points"."""
    _set_mechanics(client, merchant, program, kind="stamps", welcome_bonus=2, actions={"profile_completed": 1},
                   tiers=[{"id": "base", "name": "Base", "threshold": 0}],
                   stamps={"per_reward": 9, "reward": {"ru": "Кофе", "en": "A coffee"}})
    join = client.http.get("/join/coffee", headers={"Accept-Language": "en"}).body.decode()
    assert "2 stamps" in join and "2 points" not in join
    card = enroll(client)
    path = _profile_path(card)
    page = client.http.get(path, headers={"Accept-Language": "en"}).body.decode()
    assert "+1 stamp" in page and "point" not in page
    saved = _post_form(client, path, {"email": "anna@example.com", "birthday": "1990-05-17", "locale": "en"})
    location = urlsplit(saved.headers["Location"])
    back = client.http.get(f"{location.path}?{location.query}", headers={"Accept-Language": "en"}).body.decode()
    assert "Profile complete: you got 1 stamp." in back
