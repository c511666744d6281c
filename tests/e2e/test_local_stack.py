"""The real local stack, as `make dev` runs it: moto's server, `chalice local`, the seeded demo.
A customer enrolls over HTTP; the data survives a restart; Ctrl-C stops every process."""
import json

from tests.e2e.stack import Stack, port_in_use as _port_in_use
from tests.e2e.stack import request as _request


def test_enroll_over_http_and_keep_the_data_across_a_restart(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        assert set(demo) == {"api", "merchant_id", "program_id", "slug", "join_url", "admin_token", "pos_key_id",
                             "pos_secret"}
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
