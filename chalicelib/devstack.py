"""`make dev`: the whole platform on one machine.

Starts moto's server as the DynamoDB endpoint (data restored from and saved to a snapshot in
.local/, so it survives restarts: chalicelib.local_dynamodb takes consistent snapshots itself),
creates the tables, makes the development certificates and the admin signing key, seeds the demo
merchant and program, starts the stand-ins (APNs, Google Wallet, Telegram, SMS) and serves the API
with `chalice local`. It supervises them: a process that exits is started again (the DynamoDB from
its last snapshot), and only one that keeps crashing stops the stack. Ctrl-C stops every process it
started, the DynamoDB last (it saves the data as it stops).
"""
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import botocore.session

from chalicelib import auth, demo_history
from chalicelib.accounts import cognito
from chalicelib.commands import staff as staff_commands
from chalicelib.config import PROJECT_ROOT, reset, settings
from chalicelib.jobs import outbox
from chalicelib.store import merchants, pos_keys, programs
from chalicelib.store.tables import create_tables
from chalicelib.usecases import programs as program_cases
from chalicelib.usecases import staff as staff_cases
from chalicelib.wallet import devcerts, google_standin
from infra.template import staff_pool_requests

ROOT = Path(PROJECT_ROOT)
LOCAL = Path(settings().local_dir)  # LOCAL_DIR, default .local/
SNAPSHOT = LOCAL / "dynamodb-snapshot.json"
DEMO_FILE = LOCAL / "demo.json"
PIDS_FILE = LOCAL / "pids.json"  # the running children's process ids, by name
SNAPSHOT_EVERY = 5  # seconds between snapshots when data changed (a crash loses at most this much)
RESTARTS = 5  # a child that exits this many times within RESTART_WINDOW seconds stops the stack
RESTART_WINDOW = 60
OUTBOX_EVERY = 1  # seconds between deliveries of pending wallet updates

DEMO_MECHANICS = {
    "kind": "points",
    "point_value": 100,
    "tiers": [
        {"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5},
        {"id": "silver", "name": "Silver", "threshold": 1500000, "earn_percent": 7},
        {"id": "gold", "name": "Gold", "threshold": 5000000, "earn_percent": 10},
    ],
    "tier_window_days": 365,
    "tier_downgrade": "monthly",
    "redeem_cap_percent": 30,
    "min_redeem_points": 10,
    "welcome_bonus": 100,
    "referral": {"referrer_bonus": 200, "referred_bonus": 100},
    "lifetime_days": 365,
    "lifetime_by_source": {"welcome": 30, "birthday": 14, "winback": 14},
    "pending_days": 1,
    "expiry_warning_days": 7,
    "birthday": {"bonus": 300, "days_before": 3},
    "winback": {"after_days": 45, "bonus": 150},
    "activity_window_days": 90,
}
DEMO_BRANDING = {
    "background_color": "#3b2f2f", "foreground_color": "#fff8e7", "label_color": "#e8c07d",
    "logo_text": "Demo Coffee", "organization_name": "Demo Coffee",
    "description": "Кофе с собой и выпечка. Баллы за каждую покупку.",
    "terms": "1 балл = 1 ₽. Баллами можно оплатить до 30% чека.", "website": "https://example.com",
}


def _say(text: str = "") -> None:
    print(text, flush=True)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_port(port: int, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited early (code {process.returncode}).")
        if _port_open(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start listening on port {port} within {seconds} s.")


def _required(value: str | None, setting: str) -> str:
    """A setting the local stage always has (config.py gives it a default there)."""
    if not value:
        raise SystemExit(f"{setting} is not set: the local stack needs it")
    return value


def _die_with_parent() -> None:
    """Children get SIGTERM if this process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError):  # not Linux: no such call, and the session below still holds them
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setsid()  # and the terminal's Ctrl-C reaches us only: we stop them after saving the data


def _spawn(args: list[str], log_path: Path | None = None,
           env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    # the child's log stays open as long as the child runs: no `with`, the process owns it
    output = open(log_path, "ab") if log_path else None  # noqa: SIM115
    # preexec_fn although threads run (PLW1509): the child only calls prctl and setsid before exec
    return subprocess.Popen(args, cwd=ROOT, env=env or os.environ.copy(), stdout=output or None,
                            stderr=subprocess.STDOUT if output else None,
                            preexec_fn=_die_with_parent)  # noqa: PLW1509


def _client() -> Any:  # botocore's clients carry no types
    s = settings()
    return botocore.session.get_session().create_client("dynamodb", endpoint_url=s.dynamodb_endpoint,
                                                         region_name=s.region)


def _verify_sender() -> None:
    """moto's SES sends only from a verified identity (as SES does); verify the local sender."""
    s = settings()
    ses = botocore.session.get_session().create_client("sesv2", endpoint_url=s.ses_endpoint, region_name=s.region)
    with contextlib.suppress(ses.exceptions.AlreadyExistsException):
        ses.create_email_identity(EmailIdentity=s.email_from)


def snapshot_items() -> int:
    """How many items the last snapshot holds (what a (re)started DynamoDB loads)."""
    if not SNAPSHOT.exists():
        return 0
    tables = json.loads(SNAPSHOT.read_text()).get("tables", {})
    return sum(len(t if isinstance(t, list) else t.get("items", [])) for t in tables.values())


class Child:
    """A process of the local stack: how to start it, and its current process."""

    def __init__(self, name: str, args: list[str], port: int, log_path: Path | None, what: str, *,
                 after: Callable[[], None] | None = None) -> None:
        self.name, self.args, self.port, self.log_path, self.what, self.after = name, args, port, log_path, what, after
        self.process: subprocess.Popen[bytes] | None = None
        self.exits: list[float] = []

    def start(self) -> None:
        self.process = _spawn(self.args, self.log_path)
        _wait_port(self.port, self.process, self.what)
        if self.after:
            self.after()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _started(children: list[Child], child: Child) -> None:
    children.append(child)
    child.start()


def _write_pids(children: list[Child]) -> None:
    pids = {child.name: child.process.pid for child in children if child.process is not None}
    temporary = PIDS_FILE.with_suffix(".tmp")  # written whole, then renamed: a reader never sees half a file
    temporary.write_text(json.dumps(pids, indent=2) + "\n")
    os.replace(temporary, PIDS_FILE)


def supervise(children: list[Child], stop: threading.Event) -> int:
    """Start again any child that exited; give up (1) on one that keeps crashing."""
    while not stop.wait(0.5):
        for child in children:
            code = child.process.poll() if child.process is not None else -1
            if code is None:
                continue
            now = time.monotonic()
            child.exits = [moment for moment in child.exits if now - moment < RESTART_WINDOW] + [now]
            if len(child.exits) >= RESTARTS:
                _say(f"{child.what} exited {len(child.exits)} times within {RESTART_WINDOW} s (last code {code}); "
                     "stopping the stack")
                return 1
            _say(f"{child.what} exited (code {code}); starting it again")
            try:
                child.start()
            except SystemExit as error:
                _say(f"{child.what} did not come back: {error}")
                continue
            _write_pids(children)
            _say(f"{child.what} is back (process {child.process.pid if child.process else '?'})")
    return 0


def _database_ready() -> None:
    """After the DynamoDB (re)started from its snapshot: any table it lacks, and the email sender."""
    create_tables()
    _verify_sender()


def ensure_secrets() -> None:
    s = settings()
    key_file = Path(_required(s.admin_keys_file, "ADMIN_JWT_KEYS_FILE"))
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(json.dumps({"keys": [auth.new_key_entry("dev-1")]}, indent=2))
        key_file.chmod(0o600)
        _say(f"created the admin signing key in {key_file}")
    certs = Path(_required(s.certs_dir, "PASS_CERTS_DIR"))
    if not devcerts.present(certs):
        devcerts.generate(certs, s.pass_type_id, s.team_id)
        _say(f"created the development certificate chain in {certs}/")
    if not (certs / "apns-standin.pem").exists():
        devcerts.tls_server(certs)


def seed_demo(port: int) -> dict[str, Any]:
    """The demo merchant and program `demo`, and a POS key; reuses what exists."""
    now = datetime.now(UTC)
    previous = json.loads(DEMO_FILE.read_text()) if DEMO_FILE.exists() else {}
    program = programs.by_slug("demo")
    if program is None:
        merchant = merchants.create("Demo Coffee", now)
        program = program_cases.create(merchant.merchant_id, {
            "name": "Demo Coffee", "slug": "demo", "timezone": "Europe/Moscow", "currency": "RUB",
            "country": "RU", "mechanics": DEMO_MECHANICS, "branding": DEMO_BRANDING}, now)
    key = pos_keys.get(previous.get("pos_key_id", "")) if previous.get("pos_secret") else None
    if key is None or key.program_id != program.program_id or key.status != "active":
        secret = auth.new_pos_secret()
        key = pos_keys.create(program_id=program.program_id, merchant_id=program.merchant_id,
                              secret_hash=auth.pos_secret_hash(secret), label="demo POS", created_by="make dev",
                              now=now)
    else:
        secret = previous["pos_secret"]
    token = auth.issue_token(subject="demo-owner", merchant_id=program.merchant_id, role="owner",
                             ttl=30 * 24 * 3600, now=now)
    api = settings().public_base_url
    demo = {"api": api, "merchant_id": program.merchant_id, "program_id": program.program_id, "slug": program.slug,
            "join_url": f"{api}/join/{program.slug}", "admin_token": token, "pos_key_id": key.key_id,
            "pos_secret": secret,
            "console": {"email": DEMO_OWNER_EMAIL, "url": f"{api}/console",
                        "password": previous.get("console", {}).get("password") or cognito.temporary_password()}}
    _write_demo(demo)
    return demo


def _write_demo(demo: dict[str, Any]) -> None:
    DEMO_FILE.write_text(json.dumps(demo, indent=2) + "\n")
    DEMO_FILE.chmod(0o600)


# --- accounts: the local Cognito stand-in and the demo owner ----------------------------------------
DEMO_OWNER_EMAIL = "owner@demo.local"


def _staff_pool() -> dict[str, str]:
    """A fresh pool and console client in the stand-in (moto keeps nothing across restarts), made from the
    template's definition; their ids go into this process's environment, which the API inherits."""
    s = settings()
    idp = botocore.session.get_session().create_client("cognito-idp", endpoint_url=s.cognito_endpoint,
                                                        region_name=s.cognito_region)
    pool_request, client_request = staff_pool_requests("dev")
    pool_id = idp.create_user_pool(PoolName="loyalty-local-staff", **pool_request)["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True},
                                 MfaConfiguration="OPTIONAL")
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, **client_request)["UserPoolClient"]["ClientId"]
    ids = {"COGNITO_USER_POOL_ID": pool_id, "COGNITO_CLIENT_ID": client_id}
    os.environ.update(ids)
    reset()
    cognito.forget_client()
    auth.reset_keys()
    return ids


def ensure_demo_owner(demo: dict[str, Any]) -> None:
    """The demo merchant's owner in the pool (made again after every start of the stand-in), with the
    password `.local/demo.json` keeps, so the banner's credentials sign in to the console."""
    new = staff_commands.read_invitation({"email": demo["console"]["email"], "role": "owner", "name": "Demo Owner",
                                          "language": "ru"})
    staff_cases.add_with_password(demo["merchant_id"], new, demo["console"]["password"], datetime.now(UTC))


def _cognito_child(port: int, demo: dict[str, Any], children: list["Child"]) -> "Child":
    """moto's server as the Cognito user-pool API (CORS on, as the console in a browser needs). When it
    comes back after a crash, its pool is new: the demo owner is made again and the API restarted (by the
    supervisor) with the new pool's ids."""
    def ready() -> None:
        ids = _staff_pool()
        ensure_demo_owner(demo)
        demo["console"].update(cognito_endpoint=settings().cognito_endpoint, region=settings().cognito_region,
                               user_pool_id=ids["COGNITO_USER_POOL_ID"], client_id=ids["COGNITO_CLIENT_ID"])
        _write_demo(demo)
        api = next((child for child in children if child.name == "api"), None)
        if api is not None:
            api.stop()

    return Child("cognito", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port,
                 LOCAL / "logs" / "cognito.log", "the Cognito stand-in (moto)", after=ready)


def _banner(demo: dict[str, Any]) -> None:
    api = demo["api"]
    _say()
    _say("=" * 72)
    _say(f" The loyalty platform runs at {api}")
    _say("=" * 72)
    _say(f" Enrollment page (open on a phone or in a browser): {demo['join_url']}")
    _say(f" Public keys of the admin tokens:                  {api}/.well-known/jwks.json")
    _say(" Apple Wallet pushes go to the local APNs stand-in; each is logged in "
         f"{LOCAL / 'logs' / 'apns-pushes.jsonl'}")
    _say(f" Google Wallet: {settings().google_api_base}")
    _say(f" Telegram Bot API stand-in: {settings().telegram_api_base} (messages in {LOCAL / 'logs' / 'telegram.log'}); "
         "webhook: POST /telegram/webhook")
    _say(f" Telegram Mini App in a stand-in client: {settings().telegram_api_base}/standin/client?user_id=100001"
         f"&first_name=Anna&phone=79160000099&lang=ru&app={api}/tg/app%3Fprogram%3D{demo['slug']}")
    _say(f" SMS gateway stand-in: {settings().sms_base_url} (one-time codes in {LOCAL / 'logs' / 'sms.log'})")
    _say(f" Console (sign in):  {demo['console']['url']}")
    _say(f"   e-mail {demo['console']['email']}   password {demo['console']['password']}")
    _say(f" Cognito stand-in: {settings().cognito_endpoint} (user pool {settings().cognito_user_pool_id}); "
         f"invitation letters: {settings().ses_endpoint}/moto-api/data.json (ses > Message)")
    _say(f" Analytics in the console:  {api}/console#/analytics")
    _say(f"   some made-up trade to look at: {demo_history.command()}")
    _say(f" Everything below is also in {DEMO_FILE}")
    _say()
    _say(" Admin (owner) token, valid 30 days:")
    _say(f"   export TOKEN={demo['admin_token']}")
    _say(f"   curl -s {api}/admin/programs -H \"Authorization: Bearer $TOKEN\"")
    _say(f"   curl -s {api}/admin/programs/{demo['program_id']}/cards -H \"Authorization: Bearer $TOKEN\"")
    _say()
    _say(" Enroll from the command line:")
    _say(f"   curl -s -X POST {api}/join/demo -H 'Content-Type: application/json' \\")
    _say("     -d '{\"name\":\"Anna\",\"phone\":\"+79160000001\",\"consent\":true}'")
    _say()
    _say(" A signed POS receipt (put a card number from the enrollment answer into CARD):")
    _say(f"   SECRET=$(python3 -c 'import json;print(json.load(open(\"{DEMO_FILE}\"))[\"pos_secret\"])')")
    _say("   CARD=<card_number>; BODY='{\"receipt_id\":\"r-1\",\"card\":\"'$CARD'\",\"total\":150000}'; \\")
    _say("   TS=$(date +%s); SIG=$(printf '%s' \"$TS.POST./pos/receipts.$BODY\" | \\")
    _say("     openssl dgst -sha256 -mac HMAC -macopt key:\"$SECRET\" | sed 's/^.* //'); \\")
    _say(f"   curl -s -X POST {api}/pos/receipts -H 'Content-Type: application/json' \\")
    _say(f"     -H \"X-Loyalty-Key: {demo['pos_key_id']}\" -H \"X-Loyalty-Timestamp: $TS\" \\")
    _say("     -H \"X-Loyalty-Signature: $SIG\" -d \"$BODY\"")
    _say()
    _say(" Ctrl-C stops everything (the data is kept in .local/).")
    _say("=" * 72)


def _interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt


def _port_of(url: str | None, setting: str) -> int:
    return int(_required(url, setting).rsplit(":", 1)[1])


def _refuse_busy(ports: dict[str, int]) -> None:
    """Stop before starting anything when a port is taken, naming the setting that moves it."""
    for what, busy in ports.items():
        if _port_open(busy):
            raise SystemExit(f"Port {busy} is already in use: stop what runs there or set {what}=<another port>.")


def run() -> int:
    # Ctrl-C and `kill` both stop the stack cleanly, even when started in the background by a
    # non-interactive shell (which would otherwise leave SIGINT ignored).
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    s = settings()
    port = int(os.environ.get("PORT", "8000"))
    dynamodb_port = _port_of(s.dynamodb_endpoint, "DYNAMODB_ENDPOINT")
    apns_port = _port_of(s.apns_base_url, "APNS_BASE_URL")
    google_port = int(os.environ.get("GOOGLE_PORT", "8003"))
    telegram_port = _port_of(s.telegram_api_base, "TELEGRAM_API_BASE")
    sms_port = _port_of(s.sms_base_url, "SMS_BASE_URL")
    cognito_port = _port_of(s.cognito_endpoint, "COGNITO_ENDPOINT")
    google_local = not os.environ.get("GOOGLE_WALLET_ISSUER_ID")
    LOCAL.mkdir(exist_ok=True)
    (LOCAL / "logs").mkdir(exist_ok=True)
    # metric lines (every outbox round writes one) go to a file, for this process and its children
    os.environ.setdefault("METRICS_FILE", str(LOCAL / "logs" / "metrics.jsonl"))
    _refuse_busy({"PORT": port, "DYNAMODB_PORT": dynamodb_port, "APNS_PORT": apns_port,
                  "TELEGRAM_PORT": telegram_port, "SMS_PORT": sms_port, "COGNITO_PORT": cognito_port,
                  **({"GOOGLE_PORT": google_port} if google_local else {})})
    children: list[Child] = []
    stop = threading.Event()
    try:
        database = Child("dynamodb", [sys.executable, "-m", "chalicelib.local_dynamodb", "--port", str(dynamodb_port),
                                      "--snapshot", str(SNAPSHOT), "--every", str(SNAPSHOT_EVERY)],
                         dynamodb_port, LOCAL / "logs" / "dynamodb.log", "the local DynamoDB (moto)",
                         after=_database_ready)
        restored = snapshot_items()
        _started(children, database)
        _say(f"local DynamoDB on 127.0.0.1:{dynamodb_port}: {restored} items restored from .local/")
        ensure_secrets()
        demo = seed_demo(port)
        _started(children, _cognito_child(cognito_port, demo, children))
        certs = Path(_required(s.certs_dir, "PASS_CERTS_DIR"))
        _started(children, Child("apns", [sys.executable, "-m", "chalicelib.wallet.apns_standin",
                                          "--port", str(apns_port), "--cert", str(certs / "apns-standin.pem"),
                                          "--key", str(certs / "apns-standin.key"),
                                          "--log", str(LOCAL / "logs" / "apns-pushes.jsonl")],
                                 apns_port, LOCAL / "logs" / "apns.log", "the APNs stand-in"))
        if google_local:  # no Google settings in the environment: a local stand-in with its own account
            account_file = _google_account(google_port)
            os.environ.update({"GOOGLE_WALLET_ISSUER_ID": LOCAL_ISSUER,
                               "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE": str(account_file),
                               "GOOGLE_WALLET_API_BASE": f"http://127.0.0.1:{google_port}/walletobjects/v1",
                               "GOOGLE_WALLET_CALLBACK_KEYS_URL": f"http://127.0.0.1:{google_port}/keys"})
            reset()
            _started(children, Child("google", [sys.executable, "-m", "chalicelib.wallet.google_standin",
                                                "--port", str(google_port), "--service-account", str(account_file),
                                                "--issuer", LOCAL_ISSUER],
                                     google_port, LOCAL / "logs" / "google.log", "the Google Wallet stand-in"))
        _started(children, Child("telegram", [sys.executable, "-m", "chalicelib.channels.telegram_standin",
                                              "--port", str(telegram_port),
                                              "--token", _required(s.telegram_bot_token, "TELEGRAM_BOT_TOKEN")],
                                 telegram_port, LOCAL / "logs" / "telegram.log", "the Telegram stand-in"))
        _started(children, Child("sms", [sys.executable, "-m", "chalicelib.channels.sms_standin",
                                         "--port", str(sms_port), "--api-id", _required(s.sms_api_id, "SMS_API_ID")],
                                 sms_port, LOCAL / "logs" / "sms.log", "the SMS stand-in"))
        threading.Thread(target=_outbox_loop, args=(stop,), daemon=True).start()
        # chalice local behind the stand-in for API Gateway's answers of its own (an unknown route: 404)
        _started(children, Child("api", [sys.executable, "-m", "chalicelib.gateway_standin", "local", "--stage",
                                         "local", "--no-autoreload", "--host", "127.0.0.1", "--port", str(port)],
                                 port, None, "chalice local"))
        _write_pids(children)
        _banner(demo)
        return supervise(children, stop)
    except KeyboardInterrupt:
        _say("\nstopping…")
        return 0
    finally:
        stop.set()
        # the API first (no write is in flight), the DynamoDB last (it saves a snapshot as it stops)
        for child in reversed(children):
            child.stop()
        if children and children[0].process is not None and children[0].process.returncode == 0:
            _say(f"saved {snapshot_items()} items to .local/")
        PIDS_FILE.unlink(missing_ok=True)


LOCAL_ISSUER = "3388000000000001"


def _google_account(google_port: int) -> Path:
    """A generated service account whose token_uri is the stand-in's (regenerated when the port moves)."""
    path = LOCAL / "google" / "service-account.json"
    token_uri = f"http://127.0.0.1:{google_port}/token"
    if not path.exists() or json.loads(path.read_text()).get("token_uri") != token_uri:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(google_standin.new_service_account(token_uri), indent=2))
        path.chmod(0o600)
    return path


def _outbox_loop(stop: threading.Event) -> None:
    """What the outbox schedule (and, in AWS, the table's stream) does: deliver pushes within seconds."""
    while not stop.wait(OUTBOX_EVERY):
        try:
            outbox.deliver()
        except Exception as exc:  # noqa: BLE001 - a broken round is logged; the next one tries again
            _say(f"outbox: {type(exc).__name__}: {exc}")
