"""Property-based fuzzing of the whole HTTP API (Schemathesis, from the served /openapi.json) against
the real local stack, with a fixed seed and a bounded budget.

Every operation gets FUZZ_EXAMPLES generated requests valid by the description and as many invalid
ones (Schemathesis' positive and negative modes; hypothesis shrinking is off, so the budget is the
request count). Requests carry the demo owner's admin token and valid POS signatures (CONTRACT.md
section 4, computed over the exact bytes and path sent); path parameters are swapped for real ids
(program, card, card number, capability key, campaign, POS key, Apple serial and token) about half the
time, so the fuzzer reaches past the 404s; a third of the JSON bodies get one member replaced by raw
hostile JSON (HOSTILE). Checked for every answer:
- no 5xx;
- the status code, content type and body are the ones described for the operation;
- a refused request (any 4xx) wrote nothing: the keys of every item of the tables requests write, and
  each card's balance, status, name and tier, are the same after it as before it (background work of
  the stack - the outbox, wallet state, pass versions - is left out of that fingerprint).
All failures are collected and reported together, each with a curl command to reproduce it.

Rate limits stay on; their counters start over before each operation (see _fresh_limits), since every
request comes from one address.

Budget: FUZZ_SEED (default 20261129) and FUZZ_EXAMPLES (default 10 per operation and mode) from the
environment; the default run makes about 1,000 requests: a minute and a quarter on 2 cores with nothing
else running, up to four minutes when the cores are shared with other test runs.
"""
import hashlib
import hmac
import itertools
import json
import os
import re
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

schemathesis = pytest.importorskip("schemathesis")

import requests  # noqa: E402  (schemathesis' own dependency)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as fixed_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.stack import Stack, enroll  # noqa: E402

SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# Tables only requests write (the outbox and messages are the background's); see _fingerprint.
REQUEST_TABLES = ("merchants", "programs", "pos_keys", "aliases", "cards", "ledger", "receipts", "devices",
                  "campaigns")
CARD_FIELDS = ("balance", "status", "name", "tier")


# Values no JSON encoder produces but an attacker can send, put in place of one member of a generated body
# about a third of the time (Schemathesis itself only generates what Python's json module can write).
HOSTILE = ("[" * 3000 + "]" * 3000, "9" * 5000, "-" + "9" * 400, '"\\ud800"', '"a\\udfffb"', "NaN", "Infinity",
           "-Infinity", "1e999", '{"a": 1, "a": 2}', '{"message": "x"}', "[" * 21 + "]" * 21)
_SLOT = "\u0000hostile\u0000"
TELEGRAM_SECRET = "local-webhook-secret"  # the local stack's default TELEGRAM_WEBHOOK_SECRET (chalicelib/config.py)


class Hostile(requests.auth.AuthBase):
    """Rewrites a JSON body as it goes out: one member's value becomes raw hostile JSON text; then lets
    `inner` (the POS signature) sign the bytes actually sent."""

    def __init__(self, body, member: int, value: str | None, inner=None):
        self.body, self.member, self.value, self.inner = body, member, value, inner

    def __call__(self, request):
        if self.value is not None and isinstance(self.body, dict):
            names = list(self.body) or ["x"]
            doc = {**self.body, names[self.member % len(names)]: _SLOT}
            request.body = json.dumps(doc).replace(json.dumps(_SLOT), self.value).encode()
            request.headers["Content-Length"] = str(len(request.body))
            request.headers["Content-Type"] = "application/json"
        return self.inner(request) if self.inner else request


class PosSignature(requests.auth.AuthBase):
    """Signs the request as it goes on the wire: `{ts}.{METHOD}.{path?query}.{body}` with the key's secret."""

    def __init__(self, key_id: str, secret: str):
        self.key_id, self.secret = key_id, secret

    def __call__(self, request):
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        timestamp = str(int(time.time()))
        message = f"{timestamp}.{request.method}.{request.path_url}.".encode() + body
        request.headers.update({
            "X-Loyalty-Key": self.key_id, "X-Loyalty-Timestamp": timestamp,
            "X-Loyalty-Signature": hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()})
        return request


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("fuzz"))
    demo = stack.start()
    try:
        yield stack, demo
    finally:
        stack.stop()


def _dynamodb(stack):
    import boto3

    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{stack.db_port}",
                        region_name=os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "eu-central-1")),
                        aws_access_key_id="local", aws_secret_access_key="local")


def _items(db, table: str) -> list:
    items, start = [], {}
    while True:
        page = db.scan(TableName=f"loyalty-local-{table}", ConsistentRead=True, **start)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _fingerprint(db, keys: dict) -> str:
    """What a refused request must not change: every item's key in the request-written tables, and what
    a card holder would notice on a card."""
    parts = []
    for table, items in zip(REQUEST_TABLES, _POOL.map(lambda table: _items(db, table), REQUEST_TABLES), strict=True):
        for item in items:
            fields = CARD_FIELDS if table == "cards" else ()
            parts.append(json.dumps([table, {name: item[name] for name in keys[table]},
                                     {name: item.get(name) for name in fields}], sort_keys=True))
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


_POOL = ThreadPoolExecutor(max_workers=len(REQUEST_TABLES))


def _real_ids(stack, demo) -> dict:
    """Objects the fuzzer may aim at: two cards, a spare program and POS key (so PATCH and DELETE on them
    do not switch the demo off), a campaign."""
    api, auth = stack.api, {"Authorization": f"Bearer {demo['admin_token']}"}
    cards = [enroll(demo, name, phone) for name, phone in (("Fuzz One", "+79160000101"),
                                                           ("Fuzz Two", "+79160000102"))]
    spare_program = requests.post(f"{api}/admin/programs", headers=auth, timeout=10,
                                  json={"name": "Spare", "slug": "spare"}).json()
    confirming = requests.post(f"{api}/admin/programs", headers=auth, timeout=10,  # /join's code step
                               json={"name": "Confirm", "slug": "confirm", "limits": {"phone_confirmation": True}})
    assert confirming.status_code == 201, confirming.text
    spare_key = requests.post(f"{api}/admin/programs/{demo['program_id']}/pos-keys", headers=auth, timeout=10,
                              json={"label": "spare"}).json()
    campaign = requests.post(f"{api}/admin/programs/{demo['program_id']}/campaigns", headers=auth, timeout=10,
                             json={"name": "Fuzz", "texts": {"en": "Hello"}}).json()
    receipt = {"receipt_id": "fuzz-r1", "card": cards[1]["card_number"], "total": 100_000}
    raw = json.dumps(receipt).encode()
    answer = requests.post(f"{api}/pos/receipts", data=raw, timeout=10, headers={"Content-Type": "application/json"},
                           auth=PosSignature(demo["pos_key_id"], demo["pos_secret"]))
    assert answer.status_code == 200, answer.text
    db = _dynamodb(stack)
    stored = {item["card_id"]["S"]: item for item in _items(db, "cards")}
    first = stored[cards[0]["card_id"]]
    access_key = urllib.parse.parse_qs(urllib.parse.urlsplit(cards[0]["card_url"]).query)["k"][0]
    return {
        "program_id": demo["program_id"], "spare_program_id": spare_program["id"], "slug": demo["slug"],
        "confirming_slug": "confirm",
        "merchant_id": demo["merchant_id"], "card_id": cards[0]["card_id"], "serial": cards[1]["card_id"],
        "number": cards[1]["card_number"], "k": access_key, "campaign_id": campaign["id"],
        "t": hmac.new(access_key.encode(), b"unsubscribe:email", hashlib.sha256).hexdigest()[:32],  # e-mails' link
        "key_id": spare_key["key_id"], "receipt_id": receipt["receipt_id"], "pass_type_id": "pass.dev.loyalty.local",
        "design": "default",
        "auth_token": stored[cards[1]["card_id"]]["auth_token"]["S"], "first_balance": first["balance"]["N"],
    }


def _whole(value):
    """9228.0 for 9228: JSON Schema counts a whole float as an integer, the API does not (400 invalid_type, as
    the document says), so generated ones would never get past the type check."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    if isinstance(value, dict):
        return {name: _whole(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_whole(item) for item in value]
    return value


def _aim(case, real: dict, aim: bool, variant: int) -> None:
    """Swap generated path parameters (and the card key) for real ones; `variant` picks, for the join
    form, the demo program or the one that confirms phones by a texted code."""
    if not aim:
        return
    for name in list(case.path_parameters or {}):
        if name == "program_id" and case.method.upper() in ("PATCH", "DELETE") and "pos-keys" not in case.path:
            case.path_parameters[name] = real["spare_program_id"]
        elif name == "slug" and variant % 2:
            case.path_parameters[name] = real["confirming_slug"]
        elif name in real:
            case.path_parameters[name] = real[name]
    for name in ("k", "t"):  # the card's capability key, its unsubscribe token
        if case.query is not None and name in case.query:
            case.query[name] = real[name]
    if isinstance(case.body, dict) and "phone" in case.body and case.path.startswith("/join/"):
        case.body["phone"] = f"+7916{next(_PHONES):07d}"  # a new member's phone (a generated one rarely parses)
    if isinstance(case.body, dict):  # POS bodies: a real card and a real receipt to refund
        for name, value in (("card", real["number"]), ("receipt_id", real["receipt_id"])):
            if name in case.body and not (name == "receipt_id" and "/pos/receipts" in case.path):
                case.body[name] = value
    if "/passkit/" in case.path and "{serial}" in case.path:
        case.headers = {**(case.headers or {}), "Authorization": f"ApplePass {real['auth_token']}"}


_PHONES = itertools.count(200)


def _fresh_limits(db) -> None:
    """Rate-limit counters start over (as if the 10-minute window had passed): each operation's own
    requests may still meet a 429, but one operation's misses (wrong card links, refused enrollments)
    do not leave every later operation on those routes answered 429 (nothing deeper would be reached)."""
    for item in _items(db, "guards"):
        if not item["guard_key"]["S"].startswith("code#"):  # one-time codes stay
            db.delete_item(TableName="loyalty-local-guards", Key={"guard_key": item["guard_key"]})


def _operations(schema) -> list:
    """Every described operation; FUZZ_ONLY (a piece of 'METHOD /path', to chase one finding) narrows it."""
    only = os.environ.get("FUZZ_ONLY", "")
    operations = [result.ok() for result in schema.get_all_operations()]
    return [operation for operation in operations if only in f"{operation.method.upper()} {operation.path}"]


def test_fuzz_the_api_on_the_local_stack(stack, capsys):
    stack, demo = stack
    real = _real_ids(stack, demo)
    schema = schemathesis.openapi.from_url(f"{stack.api}/openapi.json")
    schema.config.update(base_url=stack.api)
    operations = _operations(schema)
    db = _dynamodb(stack)
    keys = {table: [k["AttributeName"] for k in
                    db.describe_table(TableName=f"loyalty-local-{table}")["Table"]["KeySchema"]]
            for table in REQUEST_TABLES}
    session = requests.Session()
    admin = {"Authorization": f"Bearer {demo['admin_token']}"}
    pos_auth = PosSignature(demo["pos_key_id"], demo["pos_secret"])
    failures, figures = [], {"requests": 0, "refused": 0, "hostile": 0, "by_status": {}, "by_operation": {},
                             "samples": {}}
    state = {"fingerprint": None}
    started = time.monotonic()

    def run(case, aim: bool, with_token: bool, hostile: str | None, member: int) -> None:
        if isinstance(case.body, (dict, list)):
            case.body = _whole(case.body)
        _aim(case, real, aim, member)
        security = json.dumps(case.operation.definition.raw.get("security", "adminBearer"))
        headers, auth = {}, None
        if "posKey" in security:
            auth = pos_auth
        elif "adminBearer" in security and with_token:
            headers = admin
        elif "telegramSecret" in security and with_token:
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        if hostile is not None and isinstance(case.body, dict) and case.media_type == "application/json":
            auth = Hostile(case.body, member, hostile, auth)
            figures["hostile"] += 1
        else:
            hostile = None
        if state["fingerprint"] is None:  # the previous request was answered 2xx/3xx and may have written
            state["fingerprint"] = _fingerprint(db, keys)
        before = state["fingerprint"]
        try:
            response = case.call(session=session, headers=headers, auth=auth, timeout=20)
        except requests.RequestException as error:
            failures.append(f"{case.method} {case.path}: no answer ({type(error).__name__})\n"
                            f"{case.as_curl_command(headers=headers)}")
            state["fingerprint"] = None
            return
        figures["requests"] += 1
        figures["by_status"][response.status_code] = figures["by_status"].get(response.status_code, 0) + 1
        seen = figures["by_operation"].setdefault(f"{case.method} {case.path}", {})
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        text = response.content[:300].decode(errors="replace")  # passes and images are binary
        figures["samples"].setdefault(f"{case.method} {case.path} {response.status_code}", text[:200])
        problems = []
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - Schemathesis' FailureGroup: collected
            problems.append(str(error)[:1500])
        state["fingerprint"] = None
        if 400 <= response.status_code < 500:
            figures["refused"] += 1
            state["fingerprint"] = _fingerprint(db, keys)  # also the next request's "before"
            if state["fingerprint"] != before:
                problems.append(f"a refused request ({response.status_code}) changed the stored data")
        if problems:
            failures.append(f"{case.method} {case.path} -> {response.status_code}: {text}\n"
                            + "\n".join(problems) + f"\n{case.as_curl_command(headers=headers)}")

    # First the answers random data rarely reaches, each once and checked the same way: an enrollment by
    # JSON and by form, the texted code's 202, a wrong code and the right one, a refund, a phone search,
    # the parked items, the Google link, HEAD on the pass.
    by_name = {f"{operation.method.upper()} {operation.path}": operation for operation in operations}
    card_link = {"card_id": real["card_id"]}
    person = {"name": "Fuzz Explicit", "consent": True}
    explicit = [
        ("POST /join/{slug}", dict(path_parameters={"slug": real["slug"]}, media_type="application/json",
                                   body={**person, "phone": "+79160000190", "email": "fuzz@example.com"})),
        ("POST /join/{slug}", dict(path_parameters={"slug": real["slug"]},
                                   media_type="application/x-www-form-urlencoded",
                                   body={**person, "phone": "+79160000191", "consent": "on"})),
        ("POST /join/{slug}", dict(path_parameters={"slug": real["confirming_slug"]}, media_type="application/json",
                                   body={**person, "phone": "+79160000192"})),
        ("POST /join/{slug}", dict(path_parameters={"slug": real["confirming_slug"]}, media_type="application/json",
                                   body={**person, "phone": "+79160000192", "code": "x"})),
        ("POST /join/{slug}", dict(path_parameters={"slug": real["confirming_slug"]}, media_type="application/json",
                                   body={**person, "phone": "+79160000192", "code": "{code}"})),
        ("POST /pos/refunds", dict(media_type="application/json",
                                   body={"refund_id": "fuzz-x1", "receipt_id": real["receipt_id"], "amount": 500})),
        ("GET /admin/programs/{program_id}/cards", dict(path_parameters={"program_id": real["program_id"]},
                                                        query={"q": "+79160000101"})),
        ("GET /admin/programs/{program_id}/outbox", dict(path_parameters={"program_id": real["program_id"]},
                                                         query={"state": "parked", "limit": 5})),
        ("GET /c/{card_id}/google", dict(path_parameters=card_link, query={"k": real["k"]})),
        ("HEAD /c/{card_id}/pass.pkpass", dict(path_parameters=card_link, query={"k": real["k"]})),
    ]
    for name, parts in explicit:
        if name not in by_name:
            continue
        if parts.get("body", {}).get("code") == "{code}":  # the code the SMS stand-in was given
            texts = requests.get(f"http://127.0.0.1:{stack.sms_port}/standin/sent", timeout=10).json()["sent"]
            parts["body"]["code"] = re.search(r"\b[0-9]{6}\b", [text for text in texts
                                                                  if text["to"] == "79160000192"][-1]["text"])[0]
        run(by_name[name].Case(**parts), False, True, None, 0)

    for operation in operations:
        _fresh_limits(db)
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            @fixed_seed(SEED)
            @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), aim=st.booleans(),
                   with_token=st.integers(0, 9).map(lambda n: n > 0),
                   hostile=st.one_of(st.none(), st.none(), st.sampled_from(HOSTILE)),
                   member=st.integers(0, 20))
            def fuzz(case, aim, with_token, hostile, member):
                run(case, aim, with_token, hostile, member)

            try:
                fuzz()
            except Unsatisfiable:  # nothing to make invalid (e.g. an operation without inputs)
                continue

    seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"\nfuzz: seed {SEED}, {len(operations)} operations x {EXAMPLES} examples x 2 modes: "
              f"{figures['requests']} requests ({figures['refused']} refused, {figures['hostile']} with a hostile "
              f"JSON value) in {seconds:.0f} s; statuses "
              f"{dict(sorted(figures['by_status'].items()))}; {len(failures)} failures")
        if os.environ.get("FUZZ_VERBOSE"):
            for name, statuses in sorted(figures["by_operation"].items()):
                print(f"  {name}: {dict(sorted(statuses.items()))}")
                if os.environ["FUZZ_VERBOSE"] == "2":  # and the first answer of each status
                    for status in sorted(statuses):
                        print(f"    {status}: {figures['samples'][f'{name} {status}']!r}")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures[:25])
