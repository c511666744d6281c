"""The admin and developer command line: `python -m chalicelib.cli --help`.

It uses the local stack's settings unless STAGE (and the settings of that stage) say otherwise:
`.chalice/config.json`'s values for the stage fill whatever the environment does not set.
"""
import argparse
import json
import os
import secrets
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from chalicelib.config import settings, stage_environment


def _apply_stage_defaults() -> None:
    stage = os.environ.setdefault("STAGE", "local")
    for name, value in stage_environment(stage).items():
        os.environ.setdefault(name, value)
    if stage == "local":  # moto accepts any credentials; botocore insists on having some
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")


# The stage's settings before the modules below load: the store's models read them as they load
# (store/models.py), and so does devstack. Setting only what is unset, it changes nothing a caller set.
_apply_stage_defaults()

from chalicelib import auth, demo_history, devstack, moysklad_till  # noqa: E402
from chalicelib.accounts import invitation as letters  # noqa: E402 - accounts: `staff invite`
from chalicelib.commands import staff as staff_commands  # noqa: E402
from chalicelib.errors import AppError  # noqa: E402
from chalicelib.jobs import JOBS  # noqa: E402
from chalicelib.store import merchants, programs  # noqa: E402
from chalicelib.store.tables import create_tables  # noqa: E402
from chalicelib.usecases import audit, telegram_bot  # noqa: E402 - `staff invite`'s trail, `telegram-menu`
from chalicelib.usecases import staff as staff_cases  # noqa: E402
from chalicelib.wallet import apple, devcerts  # noqa: E402


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_merchant_create(args: argparse.Namespace) -> int:
    print(merchants.create(args.name, _now()).merchant_id)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    if args.role != "platform":
        if not args.merchant:
            raise SystemExit("--merchant is required for this role")
        merchants.get(args.merchant)  # a clear error for a mistyped id
    print(auth.issue_token(subject=args.sub or f"cli-{args.role}", merchant_id=args.merchant, role=args.role,
                           ttl=args.ttl or settings().admin_token_ttl, now=_now()))
    return 0


# Jobs that keep where they got to and never go back over days marked done (jobs/retention.py): run by hand,
# they take no day still to come (the next day is allowed: a program's local day may already be there).
REMEMBERS_PROGRESS = frozenset({"retention"})


def cmd_run_job(args: argparse.Namespace) -> int:
    job = JOBS.get(args.name)
    if job is None:
        known = ", ".join(sorted(JOBS)) or "none yet"
        raise SystemExit(f"unknown job '{args.name}' (known: {known})")
    day = date.fromisoformat(args.date) if args.date else None  # None: each program's own local day
    if args.name in REMEMBERS_PROGRESS and day is not None and day > _now().date() + timedelta(days=1):
        raise SystemExit(f"'{args.name}' remembers the last day it has done: a run for a day still to come "
                         "would mark every day up to it as done, and members due before then would be kept. "
                         "Give today or an earlier day.")
    print(json.dumps(job(day), default=str))
    return 0


def cmd_create_tables(args: argparse.Namespace) -> int:
    created = create_tables()
    print(f"created {len(created)} table(s): {', '.join(created) or 'all existed'}")
    return 0


def _rotate(keys: list[dict[str, Any]]) -> None:
    """The new key signs from now on; the old ones still verify tokens already issued."""
    for key in keys:
        key["active"] = False
    keys.append(auth.new_key_entry(f"k{len(keys) + 1}-{_now():%Y%m%d%H%M%S}"))


def _retire(keys: list[dict[str, Any]], kid: str | None) -> None:
    if not kid or all(k["kid"] != kid for k in keys):
        raise SystemExit("name a key to retire: keys retire KID")
    if len(keys) == 1:
        raise SystemExit("that is the only key; rotate first")
    keys[:] = [k for k in keys if k["kid"] != kid]
    if not any(k.get("active") for k in keys):
        keys[-1]["active"] = True


def cmd_keys(args: argparse.Namespace) -> int:
    path = settings().admin_keys_file
    if not path:
        raise SystemExit("ADMIN_JWT_KEYS_FILE is not set for this stage (in AWS the keys live in Secrets Manager).")
    document: dict[str, list[dict[str, Any]]] = {"keys": []}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    keys = document["keys"]
    if args.action == "init":
        if keys:
            print(f"{path} already holds {len(keys)} key(s)")
            return 0
        keys.append(auth.new_key_entry("k1"))
    elif args.action == "rotate":
        _rotate(keys)
    elif args.action == "retire":
        _retire(keys, args.kid)
    if args.action != "list":
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
        os.chmod(path, 0o600)
    for key in keys:
        print(f"{key['kid']}\t{'signs' if key.get('active') else 'verifies only'}\t{key.get('created_at', '')}")
    return 0


def cmd_certs(args: argparse.Namespace) -> int:
    s = settings()
    if not s.certs_dir:
        raise SystemExit("PASS_CERTS_DIR is not set for this stage")
    paths = devcerts.generate(Path(s.certs_dir), s.pass_type_id, s.team_id)
    print("\n".join(str(p) for p in paths.values()))
    return 0


SECRET_SETTINGS = {"admin-keys": "ADMIN_JWT_KEYS_SECRET", "pass-certs": "PASS_CERTS_SECRET",
                   "google": "GOOGLE_WALLET_SERVICE_ACCOUNT_SECRET", "apns-key": "APNS_SECRET",
                   "telegram": "TELEGRAM_SECRET"}


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def secret_document(kind: str, args: argparse.Namespace, current: str | None,
                    values: dict[str, str]) -> dict[str, Any]:
    """What a secret of this kind holds, checked before it is stored."""
    if kind == "admin-keys":
        keys = json.loads(current)["keys"] if current else []
        _rotate(keys)
        return {"keys": keys}
    if kind == "pass-certs":
        return _pass_certificates(args, values)
    if not args.file:
        raise SystemExit(f"{kind} needs --file")
    if kind == "telegram":  # the token from @BotFather; the webhook secret is made here
        previous = json.loads(current) if current else {}
        return {"bot_token": _read(args.file).strip(),
                "webhook_secret": previous.get("webhook_secret") or secrets.token_urlsafe(32)}
    if kind == "google":
        document: dict[str, Any] = json.loads(_read(args.file))
        missing = {"client_email", "private_key", "token_uri"} - set(document)
        if missing:
            raise SystemExit(f"not a service-account key file (missing {', '.join(sorted(missing))})")
        return document
    return {"p8": _read(args.file)}


def _pass_certificates(args: argparse.Namespace, values: dict[str, str]) -> dict[str, Any]:
    if not (args.cert and args.key and args.wwdr):
        raise SystemExit("pass-certs needs --cert pass.pem --key pass.key --wwdr wwdr.pem")
    certificate = x509.load_pem_x509_certificate(_read(args.cert).encode())
    try:
        apple.check_certificate(certificate, values["PASS_TYPE_ID"], values["TEAM_ID"], _now())
    except apple.PassError as error:
        raise SystemExit(f"error: {error}") from None
    return {"pass_pem": _read(args.cert), "pass_key": _read(args.key), "wwdr_pem": _read(args.wwdr)}


def cmd_secrets(args: argparse.Namespace) -> int:
    """Store a secret in AWS Secrets Manager under the name the stage's settings give (values never
    touch the repo or the template)."""
    import boto3  # lazy: boto3, +125 ms on the start of every other command

    values = stage_environment(args.stage)
    setting = SECRET_SETTINGS[args.kind]
    name = values.get(setting)
    if not name:
        raise SystemExit(f"{setting} is not set for stage {args.stage} in .chalice/config.json")
    client = boto3.client("secretsmanager")
    try:
        current = client.get_secret_value(SecretId=name)["SecretString"]
    except client.exceptions.ResourceNotFoundException:
        current = None
    document = json.dumps(secret_document(args.kind, args, current, values))
    if current is None:
        client.create_secret(Name=name, SecretString=document)
    else:
        client.put_secret_value(SecretId=name, SecretString=document)
    print(f"stored {args.kind} in {name}")
    return 0


def cmd_demo_history(args: argparse.Namespace) -> int:
    if os.environ.get("STAGE") != "local":
        raise SystemExit("demo-history writes made-up trade: it runs only against the local stack (STAGE=local)")
    try:
        program = programs.by_slug(args.slug)
    except Exception as error:  # noqa: BLE001 - no local DynamoDB there: say what to do instead of a traceback
        raise SystemExit(f"no local stack at {settings().dynamodb_endpoint} ({type(error).__name__}): start it "
                         "(make dev), and give this command the same DYNAMODB_PORT if you moved it") from None
    if program is None:
        raise SystemExit(f"no program '{args.slug}': start the local stack (make dev) first")
    with demo_history.quiet():
        done = demo_history.generate(program, args.days, _now(), progress=demo_history.ProgressBar())
    print(demo_history.summary(done, args.days), file=sys.stderr)
    print(json.dumps(done))  # the last line, for scripts
    return 0


# --- intake (issue 15): senders of sample webhooks -----------------------------------------------------

def _demo() -> dict[str, Any]:
    path = Path(settings().local_dir) / "demo.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _post(url: str, headers: dict[str, str], body: bytes, method: str = "POST") -> tuple[int, str]:
    # lazy: only the senders speak HTTP; urllib.request costs the other commands +4 ms of import
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _connect(base: str, program_id: str, provider: str, admin_token: str, data: dict[str, Any]) -> dict[str, Any]:
    status, text = _post(f"{base}/admin/programs/{program_id}/integrations/{provider}",
                         {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
                         json.dumps(data).encode(), method="PUT")
    if status != 201:
        raise SystemExit(f"connecting {provider} failed: {status} {text}")
    return dict(json.loads(text))


def cmd_send_webhook(args: argparse.Namespace) -> int:
    """Sign and post a sample Square, Shopify or Tilda event to a running stack (`make dev`)."""
    from chalicelib.integrations import samples  # lazy: the senders only, +3 ms on every other command

    demo = _demo()
    base = (args.base or demo.get("api") or "http://127.0.0.1:8000").rstrip("/")
    program_id = args.program or demo.get("program_id")
    if not program_id:
        raise SystemExit("--program is required (or run `make dev`, which writes .local/demo.json)")
    key, url = args.key, None
    if args.connect:  # connect the provider with a fresh key first, as the owner would in the admin API
        token = args.admin_token or demo.get("admin_token")
        if not token:
            raise SystemExit("--connect needs --admin-token (or .local/demo.json)")
        key = key or secrets.token_urlsafe(24)
        data = {"square": {"signature_key": key}, "shopify": {"secret": key}, "tilda": {}}[args.provider]
        connected = _connect(base, program_id, args.provider, token, data)
        key = connected.get("secret", key)
        url = connected["webhook_url"]
        print(f"connected {args.provider}: webhook URL {url}")
    if not key:
        raise SystemExit("--key is required: the signing key, app secret or hook secret given when connecting "
                         "(or --connect)")
    if args.provider == "tilda":
        url = url or f"{base}/integrations/tilda/{program_id}/{key}"
        headers, body = samples.tilda(args.kind, name=args.name, phone=args.phone or "+79160000099", email=args.email)
    else:
        url = url or f"{base}/integrations/{args.provider}/events?program={program_id}"
        if args.provider == "square":
            headers, body = samples.square(args.kind, key, url, payment_id=args.id or secrets.token_hex(12),
                                           amount=args.amount, currency=args.currency, card=args.card)
        else:
            headers, body = samples.shopify(args.kind, key, order_id=int(args.id or secrets.randbelow(10**18)),
                                            amount=f"{args.amount // 100}.{args.amount % 100:02d}",
                                            currency=args.currency, card=args.card, phone=args.phone)
    status, text = _post(url, headers, body)
    print(f"{status} {text}")
    return 0 if status < 300 else 1


def cmd_dev(args: argparse.Namespace) -> int:
    return devstack.run()


def cmd_telegram_menu(args: argparse.Namespace) -> int:
    """The bot's default menu button opens the Mini App (Telegram's setChatMenuButton without a chat)."""
    if args.program and programs.by_slug(args.program) is None:
        raise SystemExit(f"no program with the slug '{args.program}'")
    url = telegram_bot.set_default_menu_button(args.program, args.language)
    print(url)
    return 0


# --- accounts: the staff ------------------------------------------------------------------------

def cmd_staff_invite(args: argparse.Namespace) -> int:
    """The operator's way to a merchant's first owner (and any member): a Cognito user and the invitation."""
    if not settings().cognito_user_pool_id:
        raise SystemExit("COGNITO_USER_POOL_ID is not set: give the stack's StaffUserPoolId output")
    merchants.get(args.merchant)  # a clear error for a mistyped id
    body = {"email": args.email, "role": args.role, "name": args.name, "language": args.language}
    if args.location_ids:  # a cashier's stores: comma-separated location ids
        body["location_ids"] = [part.strip() for part in args.location_ids.split(",") if part.strip()]
    new = staff_commands.read_invitation(body)
    deliver = _print_invitation if args.print_password else None
    now = _now()
    member = staff_cases.invite(args.merchant, new, "cli", now, deliver=deliver)
    audit.record(args.merchant, actor="cli", action="staff.invite", now=now, target_type="staff",
                 target_id=member["id"], changes=audit.diff("staff", None, {
                     "role": new.role, "location_ids": None if new.location_ids is None else list(new.location_ids)}))
    print(json.dumps(member, ensure_ascii=False))
    return 0


def _print_invitation(invitation: Any) -> None:
    """--print-password: the letter on the terminal instead of SES (an account whose SES is in the sandbox)."""
    subject, text, _ = letters.letter(invitation)
    print(f"{subject}\n\n{text}\n", file=sys.stderr)


def _staff_commands(sub: Any) -> None:
    staff = sub.add_parser("staff", help="the merchants' console users (Cognito)").add_subparsers(
        dest="action", required=True)
    invite = staff.add_parser("invite", help="invite a member of a merchant's staff (the first owner, say)")
    invite.add_argument("--merchant", required=True)
    invite.add_argument("--email", required=True)
    invite.add_argument("--role", required=True, choices=auth.STAFF_ROLES)
    invite.add_argument("--name")
    invite.add_argument("--language", default="ru", choices=("ru", "en"))
    invite.add_argument("--location-ids", help="a cashier's locations (stores): ids separated by commas")
    invite.add_argument("--print-password", action="store_true",
                        help="print the letter (with the temporary password) here instead of sending it")
    invite.set_defaults(func=cmd_staff_invite)


def _send_webhook_parser(sub: Any) -> None:
    sender = sub.add_parser("send-webhook", help="sign and post a sample Square, Shopify or Tilda event (intake)")
    sender.add_argument("provider", choices=("square", "shopify", "tilda"))
    sender.add_argument("--kind", default="receipt", choices=("receipt", "refund", "form", "test"),
                        help="square/shopify: receipt or refund; tilda: form or test (the handshake)")
    sender.add_argument("--program", help="the program's id (default: the demo program of .local/demo.json)")
    sender.add_argument("--base", help="the API's base URL (default: .local/demo.json's api)")
    sender.add_argument("--key", help="Square's signature key, Shopify's app secret or the Tilda hook's secret")
    sender.add_argument("--connect", action="store_true", help="connect the provider first with a fresh key")
    sender.add_argument("--admin-token", help="an owner's token for --connect (default: .local/demo.json's)")
    sender.add_argument("--card", help="a card number to put in the sale")
    sender.add_argument("--phone", help="the customer's phone (Shopify, Tilda)")
    sender.add_argument("--email", help="the visitor's e-mail (Tilda)")
    sender.add_argument("--name", default="Web Form Visitor", help="the visitor's name (Tilda)")
    sender.add_argument("--amount", type=int, default=150000, help="minor units (default 150000)")
    sender.add_argument("--currency", default="RUB")
    sender.add_argument("--id", help="the payment or order id (refund: of the sale to refund)")
    sender.set_defaults(func=cmd_send_webhook)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__.splitlines()[0])
    sub = root.add_subparsers(dest="command", required=True)

    merchant = sub.add_parser("merchant", help="merchants").add_subparsers(dest="action", required=True)
    create = merchant.add_parser("create", help="create a merchant and print its id")
    create.add_argument("--name", required=True)
    create.set_defaults(func=cmd_merchant_create)

    token = sub.add_parser("token", help="print an admin JWT")
    token.add_argument("--merchant")
    token.add_argument("--role", required=True, choices=auth.ROLES)
    token.add_argument("--ttl", type=int, help="seconds (default ADMIN_JWT_TTL)")
    token.add_argument("--sub", help="subject: who the token is for")
    token.set_defaults(func=cmd_token)

    job = sub.add_parser("run-job", help="run a scheduled job as if on a given day")
    job.add_argument("name")
    job.add_argument("--date", help="YYYY-MM-DD (default: today, in each program's time zone)")
    job.set_defaults(func=cmd_run_job)

    sub.add_parser("create-tables", help="create the stage's DynamoDB tables").set_defaults(func=cmd_create_tables)

    keys = sub.add_parser("keys", help="the built-in issuer's signing keys (local file)")
    keys.add_argument("action", choices=("init", "list", "rotate", "retire"))
    keys.add_argument("kid", nargs="?")
    keys.set_defaults(func=cmd_keys)

    sub.add_parser("certs", help="(re)create the development certificate chain").set_defaults(func=cmd_certs)

    secrets = sub.add_parser("secrets", help="store a secret for a deployed stage in AWS Secrets Manager")
    secrets.add_argument("kind", choices=sorted(SECRET_SETTINGS),
                         help="admin-keys (adds a new signing key), pass-certs, google, apns-key, telegram")
    secrets.add_argument("--stage", required=True, choices=("dev", "prod"))
    secrets.add_argument("--file", help="google: the service-account JSON; apns-key: the .p8 file; "
                                        "telegram: a file holding the bot token")
    secrets.add_argument("--cert", help="pass-certs: the Pass Type ID certificate (PEM)")
    secrets.add_argument("--key", help="pass-certs: its private key (PEM)")
    secrets.add_argument("--wwdr", help="pass-certs: Apple's WWDR G4 intermediate (PEM)")
    secrets.set_defaults(func=cmd_secrets)
    sub.add_parser("dev", help="run the local stack (what `make dev` calls)").set_defaults(func=cmd_dev)
    menu = sub.add_parser("telegram-menu", help="set the bot's default menu button to open the Mini App (/tg/app)")
    menu.add_argument("--program", help="a program's slug: the Mini App offers that program's card")
    menu.add_argument("--language", choices=("ru", "en"), default="ru", help="the button's words")
    menu.set_defaults(func=cmd_telegram_menu)
    history = sub.add_parser("demo-history", help="local stack only: months of made-up trade for the analytics page")
    history.add_argument("--slug", default="demo")
    history.add_argument("--days", type=int, default=90)
    history.set_defaults(func=cmd_demo_history)
    _staff_commands(sub)  # accounts
    moysklad_till.add_parser(sub)  # moysklad: the till simulator (chalicelib/moysklad_till.py)
    _send_webhook_parser(sub)  # intake (issue 15)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _apply_stage_defaults()
    try:
        return args.func(args)
    except Exception as exc:  # a clear line, not a traceback, for the usual mistakes
        if isinstance(exc, AppError):
            raise SystemExit(f"error: {exc.message}") from None
        raise


if __name__ == "__main__":
    sys.exit(main())
