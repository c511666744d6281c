"""A 9+1 stamp card on the real local stack, from enrolment to a redeemed reward: a cafe sets the program
up over the admin API, a customer joins and adds the card to Apple Wallet (a registered device) and
Google Wallet, the till sells nine coffees and then gives the tenth with `rewards: 1`. Each wallet
follows: the Apple pass shows 9 / 9 and a reward, then 0 / 9 and no reward field after the APNs
stand-in got the push; the Google object (the stand-in's copy) says the same."""
import hashlib
import hmac
import io
import json
import time
import urllib.request
import zipfile

from tests.e2e.stack import Stack, request

STAMP_PROGRAM = {
    "name": "Nine Plus One", "slug": "nine-plus-one", "timezone": "Europe/Moscow",
    "mechanics": {"kind": "stamps", "stamps": {"per_reward": 9, "per": "item",
                                               "reward": {"ru": "Бесплатный кофе", "en": "A free coffee"}}},
}
COFFEE = {"sku": "cappuccino", "name": "Cappuccino", "qty": 1, "amount": 25000, "category": "coffee"}


def _json(method, url, data, headers):
    status, _, answer = request(method, url, json.dumps(data).encode(), {"Content-Type": "application/json", **headers})
    return status, json.loads(answer or b"{}")


def _sell(api, key_id, secret, data):
    raw = json.dumps(data).encode()
    ts = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"{ts}.POST./pos/receipts.".encode() + raw, hashlib.sha256).hexdigest()
    status, _, answer = request("POST", f"{api}/pos/receipts", raw, {
        "Content-Type": "application/json", "X-Loyalty-Key": key_id, "X-Loyalty-Timestamp": ts,
        "X-Loyalty-Signature": signature})
    assert status == 200, answer
    return json.loads(answer)


def _fields(pkpass):
    document = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
    card = document["storeCard"]
    return {field["key"]: field["value"] for group in ("headerFields", "secondaryFields") for field in card[group]}


def _until(check, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    return check()


def test_a_stamp_card_from_enrolment_to_a_redeemed_reward_in_both_wallets(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        owner = {"Authorization": f"Bearer {demo['admin_token']}"}
        status, program = _json("POST", f"{stack.api}/admin/programs", STAMP_PROGRAM, owner)
        assert status == 201, program
        status, key = _json("POST", f"{stack.api}/admin/programs/{program['id']}/pos-keys", {}, owner)
        assert status == 201, key
        status, card = _json("POST", f"{stack.api}/join/{STAMP_PROGRAM['slug']}",
                             {"name": "Olga", "phone": "+79162229001", "consent": True, "locale": "en"}, {})
        assert status == 201, card

        # Apple: the pass downloaded and a device registered for its updates
        status, _, pkpass = request("GET", card["apple_pass_url"])
        assert status == 200 and _fields(pkpass)["stamps"] == "0 / 9"
        document = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
        service, pass_type, serial = document["webServiceURL"], document["passTypeIdentifier"], document["serialNumber"]
        auth = {"Authorization": f"ApplePass {document['authenticationToken']}", "Content-Type": "application/json"}
        status, _, _ = request("POST", f"{service}/v1/devices/phone/registrations/{pass_type}/{serial}",
                               json.dumps({"pushToken": "stamp-push-token"}).encode(), auth)
        assert status == 201
        # Google: the save link inserts the loyalty object
        opener = urllib.request.build_opener(_NoRedirect)
        assert opener.open(card["google_save_url"], timeout=10).status == 302

        def google_points():
            status, _, raw = request("GET", f"http://127.0.0.1:{stack.google_port}/standin/state")
            objects = json.loads(raw)["resources"]["loyaltyObject"]
            found = [item for object_id, item in objects.items() if object_id.endswith(card["card_id"])]
            return (found[0]["loyaltyPoints"], found[0]["secondaryLoyaltyPoints"]) if found else None

        for n in range(9):
            answer = _sell(stack.api, key["key_id"], key["secret"], {"receipt_id": f"coffee-{n}",
                                                                     "card": card["card_number"], "total": 25000,
                                                                     "lines": [COFFEE]})
        assert answer["stamps"] == 9 and answer["rewards_available"] == 1
        fields = _fields(request("GET", f"{service}/v1/passes/{pass_type}/{serial}", headers=auth)[2])
        assert fields["stamps"] == "9 / 9" and fields["rewards"] == 1
        assert _until(lambda: google_points() == ({"label": "Stamps", "balance": {"string": "9 / 9"}},
                                                  {"label": "Rewards", "balance": {"int": 1}}))

        pushes_file = tmp_path / "logs" / "apns-pushes.jsonl"
        pushed_before = len(pushes_file.read_text().splitlines()) if pushes_file.exists() else 0
        free = dict(COFFEE, amount=0)  # the tenth coffee, given for the full card
        answer = _sell(stack.api, key["key_id"], key["secret"],
                       {"receipt_id": "coffee-free", "card": card["card_number"], "total": 0, "lines": [free],
                        "rewards": 1})
        assert answer["rewards_redeemed"] == 1 and answer["stamps"] == 0

        pushes = _until(lambda: pushes_file.exists() and len(pushes_file.read_text().splitlines()) > pushed_before)
        assert pushes, "no push reached the APNs stand-in after the reward"
        last = json.loads(pushes_file.read_text().splitlines()[-1])
        assert last["path"] == "/3/device/stamp-push-token" and last["topic"] == pass_type
        fields = _fields(request("GET", f"{service}/v1/passes/{pass_type}/{serial}", headers=auth)[2])
        assert fields["stamps"] == "0 / 9" and "rewards" not in fields
        assert _until(lambda: google_points() == ({"label": "Stamps", "balance": {"string": "0 / 9"}},
                                                  {"label": "Rewards", "balance": {"int": 0}}))
    finally:
        assert stack.stop() == 0, stack.output()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep the save link's 302: following it would leave for pay.google.com."""

    def http_error_302(self, req, fp, code, msg, headers):
        fp.status = code
        return fp
