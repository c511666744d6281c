"""Runs the real local stack (`python -m chalicelib.cli dev`) on free ports in a temporary LOCAL_DIR."""
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

from tests import log_capture

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(method, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Stack:
    def __init__(self, local_dir: Path):
        self.local_dir = local_dir
        self.port, self.db_port, self.apns_port, self.google_port, self.telegram_port = (
            free_port(), free_port(), free_port(), free_port(), free_port())
        self.process = None
        self.sms_port = free_port()
        self.cognito_port = free_port()  # the Cognito user-pool API stand-in (moto's server)

    @property
    def api(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = {key: value for key, value in os.environ.items()
               if key not in ("STAGE", "TABLE_PREFIX", "PUBLIC_BASE_URL", "ADMIN_JWT_KEYS_FILE", "ADMIN_JWT_ISSUER",
                              "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PASS_CERTS_DIR", "PASS_TYPE_ID",
                              "TEAM_ID") and not key.startswith(("GOOGLE_WALLET_", "TELEGRAM_", "COGNITO_"))}
        env.update({"PORT": str(self.port), "DYNAMODB_PORT": str(self.db_port), "APNS_PORT": str(self.apns_port),
                    "GOOGLE_PORT": str(self.google_port), "TELEGRAM_PORT": str(self.telegram_port),
                    "SMS_PORT": str(self.sms_port), "COGNITO_PORT": str(self.cognito_port),
                    "LOCAL_DIR": str(self.local_dir)})
        self.log = open(self.local_dir / "stack-output.txt", "ab")  # noqa: SIM115 - the stack's, until stop()
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

    @property
    def cognito(self):
        return f"http://127.0.0.1:{self.cognito_port}"

    def cognito_call(self, operation, body):
        """A call to the Cognito user-pool API the way the console's browser makes it: a JSON POST naming the
        operation in X-Amz-Target, no AWS signature (these operations are public). Returns (status, JSON)."""
        status, _, answer = request("POST", self.cognito + "/", json.dumps(body).encode(), {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"})
        return status, json.loads(answer or b"{}")

    def emails(self):
        """Every letter the local SES (moto, behind the DynamoDB port) accepted, oldest first:
        [{"destinations": {"ToAddresses": [...]}, "subject", "body" (the HTML), ...}]."""
        status, _, answer = request("GET", f"http://127.0.0.1:{self.db_port}/moto-api/data.json")
        assert status == 200, answer
        return json.loads(answer).get("ses", {}).get("Message", [])

    def last_email(self, to):
        """The last letter sent to `to` (an invitation: its temporary password is in the body), or None."""
        sent = [m for m in self.emails() if to in m.get("destinations", {}).get("ToAddresses", [])]
        return sent[-1] if sent else None

    def output(self):
        return (self.local_dir / "stack-output.txt").read_text(errors="replace")

    def stop(self):
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = self.process.wait(timeout=30)
        self.log.close()
        log_capture.add_output(self.output())  # its logs are searched for personal data with the run's
        return code


def port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def enroll(demo: dict, name: str, phone: str) -> dict:
    """A customer joins the demo program over HTTP (JSON)."""
    status, _, answer = request("POST", demo["join_url"],
                                json.dumps({"name": name, "phone": phone, "consent": True}).encode(),
                                {"Content-Type": "application/json"})
    assert status == 201, answer
    return json.loads(answer)
