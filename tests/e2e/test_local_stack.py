"""The real local stack, as `make dev` runs it: moto's server, `chalice local`, the seeded demo.
A customer enrolls over HTTP; the data survives a restart; Ctrl-C stops every process."""
import json

from tests.e2e.stack import Stack
from tests.e2e.stack import port_in_use as _port_in_use
from tests.e2e.stack import request as _request


def test_enroll_over_http_and_keep_the_data_across_a_restart(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        assert set(demo) == {"api", "merchant_id", "program_id", "slug", "join_url", "admin_token", "pos_key_id",
                             "pos_secret", "console"}
        assert demo["join_url"] == f"{stack.api}/join/demo"
        output = stack.output()
        assert demo["join_url"] in output and demo["admin_token"] in output and "X-Loyalty-Signature" in output
        for name in ("root.pem", "wwdr.pem", "pass.pem", "pass.key"):
            assert (tmp_path / "certs" / name).is_file()

        status, headers, page = _request("GET", demo["join_url"], headers={"Accept-Language": "en"})
        assert status == 200 and b"Get my card" in page

        form = b"name=Anna&phone=8+916+000-00-01&consent=on"
        status, headers, _ = _request("POST", demo["join_url"], form,
                                      {"Content-Type": "application/x-www-form-urlencoded"})
        # urllib follows the 303 to the card page itself
        assert status == 200
        status, _, answer = _request("POST", demo["join_url"],
                                     json.dumps({"name": "Boris", "phone": "+79160000002", "consent": True}).encode(),
                                     {"Content-Type": "application/json"})
        assert status == 201
        card = json.loads(answer)
        assert card["balance"] == 100
        status, _, page = _request("GET", card["card_url"])
        assert status == 200 and b"<svg" in page and b"Boris" in page

        auth = {"Authorization": f"Bearer {demo['admin_token']}"}
        status, _, listing = _request("GET", f"{stack.api}/admin/programs/{demo['program_id']}/cards", headers=auth)
        assert status == 200 and len(json.loads(listing)["items"]) == 2
    finally:
        code = stack.stop()
    assert code == 0
    assert not _port_in_use(stack.port) and not _port_in_use(stack.db_port)  # every process stopped

    restarted = stack.start()
    try:
        assert restarted["program_id"] == demo["program_id"] and restarted["pos_key_id"] == demo["pos_key_id"]
        auth = {"Authorization": f"Bearer {restarted['admin_token']}"}
        status, _, listing = _request("GET", f"{stack.api}/admin/programs/{demo['program_id']}/cards", headers=auth)
        assert status == 200
        assert sorted(item["name"] for item in json.loads(listing)["items"]) == ["Anna", "Boris"]
        status, _, page = _request("GET", card["card_url"])
        assert status == 200
    finally:
        assert stack.stop() == 0, stack.output()


# --- supervision and consistent snapshots --------------------------------------------------------

import os  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from tests.e2e.stack import enroll as _enroll  # noqa: E402
from tests.e2e.test_concurrency import _card, _post  # noqa: E402


def _pids(stack):
    return json.loads((stack.local_dir / "pids.json").read_text())


def _comes_back(stack, name, old_pid, port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert stack.process.poll() is None, stack.output()  # the stack itself never stopped
        pid = _pids(stack).get(name)
        if pid and pid != old_pid and _port_in_use(port):
            return pid
        time.sleep(0.2)
    raise AssertionError(f"{name} did not come back:\n{stack.output()}")


def test_a_crashed_stand_in_is_started_again_and_the_api_keeps_working(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        pids = _pids(stack)
        assert set(pids) >= {"dynamodb", "apns", "google", "telegram", "sms", "api"}
        for name, port in (("telegram", stack.telegram_port), ("apns", stack.apns_port),
                           ("google", stack.google_port), ("sms", stack.sms_port)):
            os.kill(pids[name], signal.SIGKILL)
            _comes_back(stack, name, pids[name], port)
        assert "the Telegram stand-in exited" in stack.output() and "the SMS stand-in is back" in stack.output()
        card = _enroll(demo, "After", "+79163330001")
        status, _, _ = _request("GET", card["card_url"])
        assert status == 200
        status, _, sent = _request("GET", f"http://127.0.0.1:{stack.telegram_port}/standin/sent")
        assert status == 200  # the restarted stand-in answers
    finally:
        assert stack.stop() == 0, stack.output()
    assert not (tmp_path / "pids.json").exists()
    for port in (stack.port, stack.db_port, stack.telegram_port, stack.sms_port):
        assert not _port_in_use(port)


def test_a_killed_dynamodb_comes_back_with_every_card_agreeing_with_its_ledger(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        cards = [_enroll(demo, "Load", f"+7916444{n:04d}") for n in range(6)]
        stop = threading.Event()

        def spend(index):
            n = 0
            while not stop.is_set():
                card = cards[(index + n) % len(cards)]
                _post(stack, demo, "/pos/receipts", {"receipt_id": f"w{index}-{n}", "card": card["card_number"],
                                                     "total": 30000 + n, "redeem": 1 if n % 3 else 0})
                n += 1

        with ThreadPoolExecutor(4) as pool:
            for index in range(4):
                pool.submit(spend, index)
            time.sleep(7)  # writes all along, snapshots every 5 s in between
            old = _pids(stack)["dynamodb"]
            os.kill(old, signal.SIGKILL)  # in the middle of writes: nothing is saved on the way out
            _comes_back(stack, "dynamodb", old, stack.db_port)
            time.sleep(1)
            stop.set()
        for card in cards:
            state, entries = _card(stack, demo, card["card_id"])
            assert entries, "the card's ledger is there"
            assert state["balance"] == sum(e["amount"] for e in entries), (state, entries)
        assert _enroll(demo, "After", "+79164449999")["balance"] == 100  # and the API works on
    finally:
        assert stack.stop() == 0, stack.output()
