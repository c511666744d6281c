"""Scripts meet 429 long before they do harm; people never do. And with the program's phone
confirmation, nobody gets a card for a phone they cannot read texts on, and /join tells a stranger
nothing about who is a member."""
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from chalice.local import LambdaEventConverter

from chalicelib.core import card_number
from chalicelib.core import limits as limit_rules
from chalicelib.errors import RateLimited
from chalicelib.store import ids, ratelimits
from tests.conftest import bearer, body
from tests.conftest import enroll as enrolled
from tests.infra.test_least_privilege import calls  # noqa: F401 (a fixture)

JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(autouse=True)
def _one_window():
    """Each test counts within one 10-minute window: one that would start within a test's run (a test
    takes seconds) is waited for first, else a counter started again mid-test and no 429 came."""
    left = limit_rules.WINDOW - time.time() % limit_rules.WINDOW
    if left < 20:
        time.sleep(left + 0.5)


def _join(client, phone, **fields):
    data = {"name": "Anna", "phone": phone, "consent": True, **fields}
    return client.http.post("/join/coffee", headers=JSON_HEADERS, body=json.dumps(data))


def _phone(n: int) -> str:
    return f"+7916{n:07d}"


def _set_limits(client, merchant, program, **limits):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"limits": limits}))
    assert response.status_code == 200, response.body
    return body(response)["limits"]


def _card_count(client, merchant, program):
    return len(body(client.http.get(f"/admin/programs/{program['id']}/cards?limit=200",
                                    headers=bearer(merchant)))["items"])


@pytest.fixture
def address(monkeypatch):
    """The client address API Gateway reports (requestContext.identity.sourceIp)."""
    def use(ip):
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    use("203.0.113.7")
    return use


def _assert_429(response):
    assert response.status_code == 429, response.body
    assert body(response)["error"]["code"] == "rate_limited"
    assert 1 <= int(response.headers["Retry-After"]) <= limit_rules.WINDOW


# --- /join -----------------------------------------------------------------------------------------

def test_one_address_enrolling_card_after_card_meets_429_at_the_default(client, merchant, program, address):
    limit = limit_rules.DEFAULTS.join_per_address
    for n in range(limit):
        assert _join(client, _phone(n)).status_code == 201
    refused = _join(client, _phone(limit))
    _assert_429(refused)
    assert _card_count(client, merchant, program) == limit  # the refused request wrote no card
    address("198.51.100.20")  # another customer, on another connection, is not held up
    assert _join(client, _phone(limit)).status_code == 201
    header = {"X-Forwarded-For": "192.0.2.99", **JSON_HEADERS}  # a header the caller sets changes nothing
    address("203.0.113.7")
    _assert_429(client.http.post("/join/coffee", headers=header,
                                 body=json.dumps({"name": "A", "phone": _phone(999), "consent": True})))


def test_the_program_limit_counts_every_address(client, merchant, program, address):
    assert _set_limits(client, merchant, program, join_per_program=3)["join_per_program"] == 3
    for n in range(3):
        address(f"198.51.100.{n + 1}")
        assert _join(client, _phone(n)).status_code == 201
    address("198.51.100.50")
    _assert_429(_join(client, _phone(50)))


def test_the_form_gets_429_with_retry_after_too(client, merchant, program, address):
    _set_limits(client, merchant, program, join_per_address=1)
    form = urlencode({"name": "Anna", "phone": _phone(1), "consent": "on"})
    assert client.http.post("/join/coffee", headers=FORM_HEADERS, body=form).status_code == 303
    again = client.http.post("/join/coffee", headers=FORM_HEADERS,
                             body=urlencode({"name": "Boris", "phone": _phone(2), "consent": "on"}))
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1
    assert "Boris" in again.body.decode()  # the form again, filled in, with the reason


def test_already_enrolled_is_no_free_membership_oracle(client, merchant, program, address):
    limit = limit_rules.DEFAULTS.join_refusals_per_address
    members = [_phone(n) for n in range(limit + 1)]
    address("198.51.100.1")
    for phone in members:
        assert _join(client, phone).status_code == 201
    address("203.0.113.66")  # someone probing which numbers are members
    for phone in members[:limit]:
        answer = _join(client, phone)
        assert answer.status_code == 409 and body(answer)["error"]["code"] == "already_enrolled"
    _assert_429(_join(client, members[limit]))  # the next probe learns nothing
    _assert_429(_join(client, _phone(500)))  # nor does an honest-looking enrollment from that address


# --- card links --------------------------------------------------------------------------------------

def test_guessing_card_link_keys_ends_in_429_even_for_the_right_key(client, program, address):
    card = enrolled(client)
    card_id = card["card_id"]
    for _ in range(limit_rules.CARD_LINK_MISSES_PER_ADDRESS):
        assert client.http.get(f"/c/{card_id}?k={ids.new_secret(16)}").status_code == 404
    _assert_429(client.http.get(f"/c/{card_id}?k={ids.new_secret(16)}"))
    right = card["card_url"].split("loyalty.test", 1)[1]
    _assert_429(client.http.get(right))  # a guesser that hit the key now would learn nothing
    _assert_429(client.http.get(f"/c/{card_id}/pass.pkpass?k=x"))
    address("198.51.100.9")
    assert client.http.get(right).status_code == 200  # the card's owner, elsewhere, is not locked out


# --- POS keys --------------------------------------------------------------------------------------

def _unknown_number() -> str:
    return card_number.from_random(ids.random_digits(card_number.LENGTH - 1))


def test_a_pos_key_looking_up_numbers_that_are_no_card_meets_429(client, merchant, program, pos):
    _set_limits(client, merchant, program, pos_lookup_misses_per_key=3)
    card = enrolled(client)
    for _ in range(3):
        answer = pos.get(f"/pos/cards/{_unknown_number()}")
        assert answer.status_code == 404 and body(answer)["error"]["code"] == "card_not_found"
    _assert_429(pos.get(f"/pos/cards/{card['card_number']}"))  # blocked before the look-up
    _assert_429(pos.post("/pos/receipts", {"receipt_id": "r-x", "card": card["card_number"], "total": 1000}))


def test_numbers_that_are_no_card_count_through_the_webhook_too(client, merchant, program, pos):
    """The signed webhook (POST /integrations/signed/events) is the POS API by another door: a probe of
    card numbers there counts against the key as on /pos/cards."""
    _set_limits(client, merchant, program, pos_lookup_misses_per_key=3)
    card = enrolled(client)
    for n in range(3):
        answer = pos.post("/integrations/signed/events", {"type": "receipt", "data": {
            "receipt_id": f"probe-{n}", "card": _unknown_number(), "total": 0}})
        assert answer.status_code == 404 and body(answer)["error"]["code"] == "card_not_found"
    _assert_429(pos.get(f"/pos/cards/{card['card_number']}"))


def test_a_pos_key_has_a_request_budget(client, merchant, program, pos):
    _set_limits(client, merchant, program, pos_requests_per_key=4)
    card = enrolled(client)
    for n in range(4):
        assert pos.post("/pos/receipts", {"receipt_id": f"r{n}", "card": card["card_number"],
                                          "total": 1000}).status_code == 200
    refused = pos.post("/pos/receipts", {"receipt_id": "r9", "card": card["card_number"], "total": 1000})
    _assert_429(refused)
    history = client.http.get(f"/admin/cards/{card['card_id']}/ledger", headers=bearer(merchant))
    assert not any(entry.get("cause_id") == "r9" for entry in body(history)["items"])  # nothing was written


# --- the counters themselves -------------------------------------------------------------------------

def test_a_window_ends_and_the_counter_starts_again(aws):
    start = 1_800_000_000 // limit_rules.WINDOW * limit_rules.WINDOW
    for _ in range(2):
        ratelimits.take("t", "who", 2, start + 1)
    with pytest.raises(RateLimited) as refused:
        ratelimits.take("t", "who", 2, start + 100)
    assert refused.value.retry_after == limit_rules.WINDOW - 100
    ratelimits.take("t", "someone-else", 2, start + 100)
    ratelimits.take("t", "who", 2, start + limit_rules.WINDOW)  # the next window


def test_rate_limits_can_be_switched_off_for_load_tests(aws, monkeypatch):
    from chalicelib import config

    monkeypatch.setenv("RATE_LIMITS", "off")
    config.reset()
    try:
        for _ in range(5):
            ratelimits.take("t", "who", 1, 1_800_000_000)
    finally:
        monkeypatch.delenv("RATE_LIMITS")
        config.reset()


@pytest.mark.parametrize("limits, field", [
    ({"join_per_address": 0}, "limits.join_per_address"),
    ({"join_per_program": "many"}, "limits.join_per_program"),
    ({"phone_confirmation": "yes"}, "limits.phone_confirmation"),
    ({"per_minute": 5}, "limits.per_minute"),
])
def test_limits_are_checked_like_every_setting(client, merchant, program, limits, field):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"limits": limits}))
    assert response.status_code == 400 and body(response)["error"]["field"] == field


def test_a_program_shows_its_limits_and_keeps_unchanged_ones(client, merchant, program):
    assert program["limits"] == limit_rules.to_dict(limit_rules.DEFAULTS)
    changed = _set_limits(client, merchant, program, join_per_address=50)
    assert changed["join_per_address"] == 50 and changed["join_per_program"] == limit_rules.DEFAULTS.join_per_program
    assert _set_limits(client, merchant, program, phone_confirmation=True)["join_per_address"] == 50


# --- phone confirmation ------------------------------------------------------------------------------

@pytest.fixture
def sms(monkeypatch):
    """The SMS gateway stand-in on a free port; yields the messages it received."""
    import socket

    from chalicelib import config
    from chalicelib.channels import sms as channel
    from chalicelib.channels import sms_standin

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server, sent = sms_standin.serve(port, "test-api-id")
    monkeypatch.setenv("SMS_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("SMS_API_ID", "test-api-id")
    config.reset()
    channel._api_id.cache_clear()
    yield sent
    server.shutdown()
    monkeypatch.delenv("SMS_BASE_URL")
    monkeypatch.delenv("SMS_API_ID")
    config.reset()
    channel._api_id.cache_clear()


def _code(sent, phone):
    import re

    texts = [m["text"] for m in sent if m["to"] == phone.lstrip("+")]
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


@pytest.fixture
def confirming(client, merchant, program, sms):
    _set_limits(client, merchant, program, phone_confirmation=True)
    return sms


def test_with_confirmation_a_card_needs_the_code_texted_to_the_phone(client, merchant, program, confirming, address):
    sent = confirming
    first = _join(client, _phone(1))
    assert first.status_code == 202 and body(first) == {"status": "code_sent", "expires_in": limit_rules.CODE_SECONDS}
    assert _card_count(client, merchant, program) == 0  # nothing yet
    code = _code(sent, _phone(1))
    assert "Coffee Club" in sent[-1]["text"]
    wrong = _join(client, _phone(1), code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 400 and body(wrong)["error"] == {
        "code": "invalid_code", "field": "code", "message": body(wrong)["error"]["message"]}
    stranger = _join(client, _phone(2), code=code)  # a code works only for the phone it was sent to
    assert stranger.status_code == 400
    joined = _join(client, _phone(1), code=code)
    assert joined.status_code == 201 and body(joined)["balance"] == 100
    again = _join(client, _phone(1), name="Another", code=code)  # used up
    assert again.status_code == 400 and body(again)["error"]["code"] == "invalid_code"


def test_with_confirmation_members_and_strangers_get_the_same_answer(client, merchant, program, confirming, address):
    sent = confirming
    member = _phone(1)
    assert _join(client, member).status_code == 202
    assert _join(client, member, code=_code(sent, member)).status_code == 201
    address("203.0.113.99")  # someone else tries the member's number and a fresh one
    as_member, as_stranger = _join(client, member), _join(client, _phone(7))
    assert (as_member.status_code, body(as_member)) == (as_stranger.status_code, body(as_stranger))
    # only whoever reads the member's texts learns that the number has a card, and never its link
    answer = _join(client, member, code=_code(sent, member))
    assert answer.status_code == 409 and body(answer)["error"]["code"] == "already_enrolled"
    assert "card_url" not in answer.body.decode()


def test_a_code_dies_after_too_many_wrong_guesses(client, program, confirming, address):
    sent = confirming
    assert _join(client, _phone(1)).status_code == 202
    code = _code(sent, _phone(1))
    wrong = [c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c != code]
    for guess in wrong[:limit_rules.CODE_ATTEMPTS]:
        assert _join(client, _phone(1), code=guess).status_code == 400
    address("198.51.100.3")  # even from elsewhere, the right code no longer works
    assert _join(client, _phone(1), code=code).status_code == 400


def test_codes_to_one_phone_are_limited(client, program, confirming, address):
    for n in range(limit_rules.CODES_PER_PHONE):
        address(f"198.51.100.{n + 1}")
        assert _join(client, _phone(1)).status_code == 202
    address("198.51.100.99")
    _assert_429(_join(client, _phone(1)))
    assert len(confirming) == limit_rules.CODES_PER_PHONE


def test_an_expired_code_is_refused(aws):
    from chalicelib.store import codes

    then = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    codes.issue("p1", "+79160000001", "123456", then, limit_rules.CODE_SECONDS)
    assert not codes.redeem("p1", "+79160000001", "123456", then + timedelta(seconds=limit_rules.CODE_SECONDS), 5)
    codes.issue("p1", "+79160000001", "123456", then, limit_rules.CODE_SECONDS)
    assert codes.redeem("p1", "+79160000001", "123456", then + timedelta(seconds=limit_rules.CODE_SECONDS - 1), 5)


def test_the_form_asks_for_the_code_and_then_gives_the_card(client, program, confirming, address):
    values = {"name": "Anna", "phone": "8 916 000-00-01", "consent": "on"}
    asked = client.http.post("/join/coffee", headers={**FORM_HEADERS, "Accept-Language": "en"},
                             body=urlencode(values))
    page = asked.body.decode()
    assert asked.status_code == 200 and 'name="code"' in page and 'autocomplete="one-time-code"' in page
    assert 'value="Anna"' in page
    done = client.http.post("/join/coffee", headers=FORM_HEADERS,
                            body=urlencode({**values, "code": _code(confirming, "+79160000001")}))
    assert done.status_code == 303 and "/c/" in done.headers["Location"]


def test_a_gateway_failure_is_a_503_not_a_500(client, merchant, program, sms, monkeypatch, address):
    from chalicelib import config
    from chalicelib.channels import sms as channel

    _set_limits(client, merchant, program, phone_confirmation=True)
    monkeypatch.setenv("SMS_API_ID", "wrong")
    config.reset()
    channel._api_id.cache_clear()
    answer = _join(client, _phone(1))
    assert answer.status_code == 503 and body(answer)["error"]["code"] == "code_not_sent"


def test_the_api_role_allows_what_the_guards_use(client, merchant, program, confirming, address, calls):
    """The IAM map in infra/template.py covers the counters and the codes (see tests/infra)."""
    from tests.infra.test_least_privilege import _allowed

    calls.clear()
    assert _join(client, _phone(1)).status_code == 202
    assert _join(client, _phone(1), code="999999" if _code(confirming, _phone(1)) != "999999" else "0").status_code \
        == 400
    assert _join(client, _phone(1), code=_code(confirming, _phone(1))).status_code == 201
    client.http.get("/c/nope?k=nope")
    assert {table for _, table, _ in calls if table.endswith("guards")}
    assert _allowed("api", calls) == []
