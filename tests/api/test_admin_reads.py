"""The console's reads: a program's campaigns newest first, and the messages a card was sent, page by
page, each merchant seeing only its own."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store import cards as card_store
from chalicelib.store import messages as message_store
from tests.conftest import bearer, body, enroll


def _campaign(client, merchant, program_id, name):
    response = client.http.post(f"/admin/programs/{program_id}/campaigns", headers=bearer(merchant),
                                body=json.dumps({"name": name, "texts": {"ru": f"Привет: {name}"},
                                                 "holdout_percent": 0}))  # the card is sent to, whatever its id
    assert response.status_code == 201, response.body
    return body(response)


def _list(client, path, merchant, role="owner"):
    return client.http.get(path, headers=bearer(merchant, role))


def test_campaigns_are_listed_newest_first_page_by_page(client, merchant, program):
    made = [_campaign(client, merchant, program["id"], f"c{index}") for index in range(5)]
    path = f"/admin/programs/{program['id']}/campaigns"
    seen, cursor, pages = [], None, 0
    while True:
        response = _list(client, f"{path}?limit=2" + (f"&cursor={cursor}" if cursor else ""), merchant)
        assert response.status_code == 200, response.body
        page = body(response)
        assert len(page["items"]) <= 2
        seen += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [c["name"] for c in seen] == ["c4", "c3", "c2", "c1", "c0"]
    assert [c["id"] for c in seen] == [c["id"] for c in reversed(made)]
    # each as GET .../campaigns/{id} shows it, without counting its audience again
    assert seen[0] == {name: value for name, value in made[4].items() if name != "audience_size"}


def test_campaigns_of_another_merchant_or_for_an_analyst_are_not_shown(client, merchant, other_merchant, program):
    _campaign(client, merchant, program["id"], "mine")
    path = f"/admin/programs/{program['id']}/campaigns"
    assert _list(client, path, other_merchant).status_code == 404
    assert _list(client, path, merchant, "analyst").status_code == 403
    assert [c["name"] for c in body(_list(client, path, merchant, "manager"))["items"]] == ["mine"]


def test_a_program_without_campaigns_lists_none(client, merchant, program):
    assert body(_list(client, f"/admin/programs/{program['id']}/campaigns", merchant)) == {"items": [],
                                                                                         "next_cursor": None}


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJ4Il0"])
def test_a_cursor_we_did_not_issue_is_400(client, merchant, program, cursor):
    response = _list(client, f"/admin/programs/{program['id']}/campaigns?cursor={cursor}", merchant)
    assert response.status_code == 400 and body(response)["error"]["field"] == "cursor"


def test_a_cards_messages_newest_first_with_what_became_of_them(client, merchant, program):
    card = enroll(client)
    stored = card_store.get(card["card_id"])
    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    message_store.save_record(stored, "birthday", "sent", "С днём рождения!", start)
    message_store.save_record(stored, "campaign", "sent", "Скидка", start + timedelta(hours=1), channel="email")
    message_store.save_record(stored, "winback", "skipped", "Вернитесь", start + timedelta(hours=2),
                              reason="weekly_cap")
    path = f"/admin/cards/{card['card_id']}/messages"
    first = body(_list(client, f"{path}?limit=2", merchant))
    assert [m["kind"] for m in first["items"]] == ["winback", "campaign"]
    assert first["items"][0] == {"kind": "winback", "channel": "wallet", "status": "skipped", "reason": "weekly_cap",
                                 "text": "Вернитесь", "sent_at": "2026-11-01T11:00:00.000000+00:00"}
    assert first["items"][1]["channel"] == "email"
    rest = body(_list(client, f"{path}?limit=2&cursor={first['next_cursor']}", merchant))
    assert [m["kind"] for m in rest["items"]] == ["birthday"] and rest["next_cursor"] is None


def test_a_sent_campaign_shows_on_the_cards_messages(client, merchant, program):
    # quiet hours off, whatever the hour now: between 22:00 and 09:00 in Moscow the message would wait (queued)
    off = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                            body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None}}}))
    assert off.status_code == 200, off.body
    card = enroll(client)
    campaign = _campaign(client, merchant, program["id"], "Осень")
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant))
    assert sent.status_code == 200, sent.body
    items = body(_list(client, f"/admin/cards/{card['card_id']}/messages", merchant))["items"]
    expected = {"kind": "campaign", "channel": "wallet", "status": "sent", "text": "Привет: Осень"}
    assert expected.items() <= items[0].items()
    for role in ("analyst",):  # analysts read cards, not campaign texts (a cashier reads no card: the till only)
        seen = body(_list(client, f"/admin/cards/{card['card_id']}/messages", merchant, role))["items"]
        assert seen[0]["kind"] == "campaign" and seen[0]["text"] is None


def test_another_merchants_card_messages_are_404(client, merchant, other_merchant, program):
    card = enroll(client)
    message_store.save_record(card_store.get(card["card_id"]), "birthday", "sent", "Hi", datetime.now(UTC))
    path = f"/admin/cards/{card['card_id']}/messages"
    assert _list(client, path, other_merchant).status_code == 404
    assert _list(client, "/admin/cards/c_unknown/messages", merchant).status_code == 404
    assert len(body(_list(client, path, merchant, "analyst"))["items"]) == 1  # cards:read
