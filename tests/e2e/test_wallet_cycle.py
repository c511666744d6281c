"""Apple Wallet on the real local stack: a device registers for a pass, a receipt arrives over the
POS API, the APNs stand-in receives an HTTP/2 push within seconds, and the device fetches the new pass."""
import hashlib
import hmac
import io
import json
import time
import urllib.request
import zipfile

from tests.e2e.stack import Stack, enroll, request


def test_a_purchase_reaches_the_wallet_within_seconds(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        card = enroll(demo, "Wallet", "+79162220001")
        status, headers, pkpass = request("GET", card["apple_pass_url"])
        assert status == 200 and headers["Content-Type"] == "application/vnd.apple.pkpass"
        document = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
        service, token = document["webServiceURL"], document["authenticationToken"]
        pass_type, serial = document["passTypeIdentifier"], document["serialNumber"]
        auth = {"Authorization": f"ApplePass {token}", "Content-Type": "application/json"}
        status, _, _ = request("POST", f"{service}/v1/devices/device1/registrations/{pass_type}/{serial}",
                               json.dumps({"pushToken": "phone-push-token"}).encode(), auth)
        assert status == 201
        status, _, listed = request("GET", f"{service}/v1/devices/device1/registrations/{pass_type}")
        tag = json.loads(listed)["lastUpdated"]

        raw = json.dumps({"receipt_id": "wallet-1", "card": card["card_number"], "total": 100000}).encode()
        ts = str(int(time.time()))
        signature = hmac.new(demo["pos_secret"].encode(), f"{ts}.POST./pos/receipts.".encode() + raw,
                             hashlib.sha256).hexdigest()
        status, _, _ = request("POST", f"{stack.api}/pos/receipts", raw, {
            "Content-Type": "application/json", "X-Loyalty-Key": demo["pos_key_id"], "X-Loyalty-Timestamp": ts,
            "X-Loyalty-Signature": signature})
        assert status == 200
        pushed_at = time.monotonic()

        pushes_file = tmp_path / "logs" / "apns-pushes.jsonl"
        pushes = []
        while time.monotonic() - pushed_at < 10 and not pushes:
            if pushes_file.exists():
                pushes = [json.loads(line) for line in pushes_file.read_text().splitlines()]
            time.sleep(0.2)
        assert pushes, "no push reached the APNs stand-in"
        assert pushes[0]["path"] == "/3/device/phone-push-token" and pushes[0]["topic"] == pass_type
        assert pushes[0]["http_version"] == "2"

        status, _, listed = request("GET", f"{service}/v1/devices/device1/registrations/{pass_type}"
                                           f"?passesUpdatedSince={tag}")
        assert status == 200 and json.loads(listed)["serialNumbers"] == [serial]
        status, _, pkpass = request("GET", f"{service}/v1/passes/{pass_type}/{serial}", headers=auth)
        document = json.loads(zipfile.ZipFile(io.BytesIO(pkpass)).read("pass.json"))
        assert document["storeCard"]["headerFields"][0]["value"] == 150  # 100 welcome + 50 earned (pending)
    finally:
        assert stack.stop() == 0, stack.output()


def test_google_link_on_the_local_stack(tmp_path):
    import jwt as pyjwt

    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        card = enroll(demo, "Android", "+79162220002")
        opener = urllib.request.build_opener(NoRedirect)
        response = opener.open(card["google_save_url"], timeout=10)
        location = response.headers["Location"]
        assert response.status == 302 and location.startswith("https://pay.google.com/gp/v/save/")
        claims = pyjwt.decode(location.rsplit("/", 1)[1], options={"verify_signature": False})
        assert claims["payload"]["loyaltyObjects"][0]["id"].endswith(card["card_id"])
    finally:
        assert stack.stop() == 0, stack.output()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Keep the 302 itself: its Location is the answer under test."""

    def http_error_302(self, req, fp, code, msg, headers):
        fp.status = code
        fp.headers = headers
        return fp
