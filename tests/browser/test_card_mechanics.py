"""The card page of a stamp card holding an offer and in a challenge, on a 390 x 844 phone: the stamp grid
is one image named "6 of 9 stamps" (a check mark, not colour alone, marks a stamp), the offer and the
challenge's progress bar are read by name, and axe finds nothing serious.

The first test renders the page in-process (its mechanics and views given as in
tests/wallet/test_mechanics_passes.py) and serves it to Chromium; the second builds the same card on
the real local stack through the admin and POS APIs, once the parts that compute stamps, offers and
challenges have landed."""
import hashlib
import hmac
import json
import time

from chalicelib.store import cards as card_store
from tests.conftest import enroll
from tests.e2e.stack import request
from tests.wallet.test_mechanics_passes import STAMPS, _offer, shown  # noqa: F401 (the fixture)

CARD_HOST = "https://loyalty.test"


def _check_card_page(page, axe, stamps_name):
    grid = page.get_by_role("img", name=stamps_name)
    assert grid.is_visible()
    assert page.locator("#stamps .stamp.filled").first.inner_text() == "✓"  # a mark, not colour alone
    offers = page.get_by_role("region", name="Your offers")
    assert "Free dessert" in offers.inner_text()
    bar = page.get_by_role("progressbar", name="Three visits")
    assert bar.is_visible()
    axe(page)


def test_a_stamp_card_with_an_offer_and_a_challenge_reads_well(client, program, shown, open_page, axe):  # noqa: F811
    shown.mechanics = STAMPS
    shown.offers = [_offer("h1", "Free dessert")]
    shown.challenges = [{"id": "visits", "name": "Three visits", "progress": 2, "target": 3,
                         "ends_on": "2026-12-12", "completed": 0, "streak": 0}]
    card = enroll(client)
    stored = card_store.get(card["card_id"])
    stored.balance = 6
    stored.save()
    path = card["card_url"].replace(CARD_HOST, "") + "&lang=en"
    html = client.http.get(path).body.decode()
    page = open_page(locale="en-GB")
    page.route(f"{CARD_HOST}/**", lambda route: route.fulfill(
        status=200 if route.request.resource_type == "document" else 204, body=html, content_type="text/html"))
    page.goto(CARD_HOST + path)
    _check_card_page(page, axe, "6 of 9 stamps")
    assert page.locator("#stamps .stamp.filled").count() == 6


def test_the_same_card_on_the_local_stack(stack, open_page, axe):
    api, owner = stack.api, {"Authorization": f"Bearer {stack.demo['admin_token']}", "Content-Type": "application/json"}
    mechanics = {"kind": "stamps", "stamps": {"per_reward": 9, "per": "item", "reward": "A free coffee"},
                 "offers": [{"id": "dessert", "name": "Free dessert", "conditions": {}, "valid_days": 30,
                             "reward": {"type": "free_item", "item": "Dessert"}}],
                 "challenges": [{"id": "visits", "name": "Three visits", "goal": {"type": "visits", "target": 3},
                                 "window_days": 14, "reward": {"points": 1}, "repeat": True}]}
    status, _, raw = request("POST", f"{api}/admin/programs", json.dumps(
        {"name": "Browser Stamps", "slug": "browser-stamps", "timezone": "Europe/Moscow",
         "mechanics": mechanics}).encode(), owner)
    assert status == 201, raw
    program = json.loads(raw)
    key = json.loads(request("POST", f"{api}/admin/programs/{program['id']}/pos-keys", b"{}", owner)[2])
    status, _, raw = request("POST", f"{api}/join/browser-stamps", json.dumps(
        {"name": "Vera", "phone": "+79165557001", "consent": True}).encode(), {"Content-Type": "application/json"})
    card = json.loads(raw)
    coffee = {"sku": "cappuccino", "name": "Cappuccino", "qty": 6, "amount": 150000}
    raw = json.dumps({"receipt_id": "browser-1", "card": card["card_number"], "total": 150000,
                      "lines": [coffee]}).encode()
    ts = str(int(time.time()))
    signature = hmac.new(key["secret"].encode(), f"{ts}.POST./pos/receipts.".encode() + raw,
                         hashlib.sha256).hexdigest()
    assert request("POST", f"{api}/pos/receipts", raw, {
        "Content-Type": "application/json", "X-Loyalty-Key": key["key_id"], "X-Loyalty-Timestamp": ts,
        "X-Loyalty-Signature": signature})[0] == 200
    status, _, raw = request("POST", f"{api}/admin/cards/{card['card_id']}/offers", json.dumps(
        {"offer": "dessert", "idempotency_key": "browser-offer"}).encode(), owner)
    assert status == 201, raw
    page = open_page(locale="en-GB")
    page.goto(card["card_url"] + "&lang=en")
    _check_card_page(page, axe, "6 of 9 stamps")
