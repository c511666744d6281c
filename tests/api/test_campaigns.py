"""Campaigns: the audience size before sending, the bonus once per card, counts afterwards, audiences
by tier, lifecycle, birthdays and filters, scheduled sends, and who may do it."""
import json
from datetime import datetime, timedelta, timezone

from chalicelib.store import cards as card_store
from chalicelib.usecases import campaigns
from tests.conftest import bearer, body, enroll


def _create(client, merchant, program, role="owner", **data):
    payload = {"name": "Cake day", "texts": {"ru": "Торт!", "en": "Cake!"}, **data}
    return client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant, role),
                            body=json.dumps(payload))


def test_preview_send_bonus_once_and_counts(client, merchant, program, pos):
    cards = [enroll(client, phone=f"+7916000000{i}") for i in range(3)]
    pos.post("/pos/receipts", {"receipt_id": "big", "card": cards[0]["card_number"], "total": 2000000})  # -> gold
    created = _create(client, merchant, program, audience={"kind": "all"}, bonus=25)
    assert created.status_code == 201
    campaign = body(created)
    assert campaign["audience_size"] == 3 and campaign["status"] == "draft"
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant, "manager"))
    assert sent.status_code == 200
    counts = body(sent)["counts"]
    assert counts["audience"] == 3 and counts["bonuses"] == 3
    assert counts.get("sent", 0) + counts.get("queued", 0) + counts.get("skipped", 0) == 3
    assert card_store.get(cards[1]["card_id"]).balance == 125
    again = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                             headers=bearer(merchant))
    assert again.status_code == 409 and body(again)["error"]["code"] == "already_sent"
    assert card_store.get(cards[1]["card_id"]).balance == 125


def test_audiences(client, merchant, program, pos):
    rich = enroll(client, phone="+79160000001", birthday="1990-" + datetime.now(timezone.utc).strftime("%m") + "-01")
    poor = enroll(client, phone="+79160000002")
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": rich["card_number"], "total": 1500000})
    sizes = {}
    for name, audience in (("tier", {"kind": "tier", "tier": "gold"}),
                           ("filter", {"kind": "filter", "min_spend": 1000000}),
                           ("visits", {"kind": "filter", "max_visits": 0}),
                           ("birthdays", {"kind": "birthdays_this_month"}),
                           ("new", {"kind": "new"}), ("lost", {"kind": "lost"})):
        sizes[name] = body(_create(client, merchant, program, audience=audience))["audience_size"]
    assert sizes == {"tier": 1, "filter": 1, "visits": 1, "birthdays": 1, "new": 2, "lost": 0}
    assert poor["card_id"] != rich["card_id"]


def test_bad_campaigns_name_the_field(client, merchant, program):
    for data, field in (({"audience": {"kind": "vip"}}, "audience.kind"),
                        ({"audience": {"kind": "tier", "tier": "platinum"}}, "audience.tier"),
                        ({"audience": {"kind": "filter"}}, "audience"),
                        ({"texts": {}}, "texts"), ({"texts": {"de": "Hallo"}}, "texts.de"),
                        ({"send_at": "tomorrow"}, "send_at"), ({"bonus": -1}, "bonus")):
        response = _create(client, merchant, program, **data)
        assert response.status_code == 400 and body(response)["error"]["field"] == field, data


def test_scheduled_campaign_goes_out_when_due(client, merchant, program):
    from chalicelib.store import programs as program_store

    enroll(client)
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    campaign = body(_create(client, merchant, program, send_at=later.isoformat()))
    assert campaign["status"] == "scheduled"
    assert campaigns.run_due(datetime.now(timezone.utc))["campaigns"] == 0
    assert campaigns.run_due(later + timedelta(minutes=1))["campaigns"] == 1
    stored = campaigns.get(program_store.get(program["id"]), campaign["id"])
    assert stored.status == "sent" and campaigns.progress(stored)["audience"] == 1


def test_roles_and_tenancy(client, merchant, other_merchant, program):
    assert _create(client, merchant, program, role="analyst").status_code == 403
    assert _create(client, other_merchant, program).status_code == 404
    campaign = body(_create(client, merchant, program))
    assert client.http.get(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}",
                           headers=bearer(other_merchant)).status_code == 404


def test_rfm_audiences_use_the_analytics_segments(client, merchant, program, pos):
    buyer = enroll(client, phone="+79160000011")
    enroll(client, phone="+79160000012")  # never bought: no RFM score, in no RFM audience
    pos.post("/pos/receipts", {"receipt_id": "r1", "card": buyer["card_number"], "total": 150000})
    segments = body(client.http.get(f"/admin/programs/{program['id']}/analytics/segments", headers=bearer(merchant)))
    (segment, count), = [(name, n) for name, n in segments["rfm_segments"].items() if n]
    assert count == 1
    created = body(_create(client, merchant, program, audience={"kind": "rfm", "segment": segment}))
    assert created["audience_size"] == 1
    other = next(name for name in segments["rfm_segments"] if name != segment)
    assert body(_create(client, merchant, program, audience={"kind": "rfm", "segment": other}))["audience_size"] == 0
    wrong = _create(client, merchant, program, audience={"kind": "rfm", "segment": "vip"})
    assert wrong.status_code == 400 and body(wrong)["error"]["field"] == "audience.segment"
