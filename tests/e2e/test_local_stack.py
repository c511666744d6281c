"""The real local stack, as `make dev` runs it: moto's server, `chalice local`, the seeded demo.
A customer enrolls over HTTP; the data survives a restart; Ctrl-C stops every process."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(method, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Stack:
    def __init__(self, local_dir: Path):
        self.local_dir = local_dir
        self.port, self.db_port = _free_port(), _free_port()
        self.process = None

    @property
    def api(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = {key: value for key, value in os.environ.items()
               if key not in ("STAGE", "TABLE_PREFIX", "PUBLIC_BASE_URL", "ADMIN_JWT_KEYS_FILE", "ADMIN_JWT_ISSUER",
                              "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        env.update({"PORT": str(self.port), "DYNAMODB_PORT": str(self.db_port), "LOCAL_DIR": str(self.local_dir)})
        self.log = open(self.local_dir / "stack-output.txt", "ab")
        seen = len(self.output()) if (self.local_dir / "stack-output.txt").exists() else 0
        self.process = subprocess.Popen([sys.executable, "-m", "chalicelib.cli", "dev"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            if "Ctrl-C stops everything" in self.output()[seen:]:
                return json.loads((self.local_dir / "demo.json").read_text())
            time.sleep(0.2)
        raise AssertionError("the local stack did not come up:\n" + self.output())

    def output(self):
        return (self.local_dir / "stack-output.txt").read_text(errors="replace")

    def stop(self):
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = self.process.wait(timeout=30)
        self.log.close()
        return code


def _port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


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
