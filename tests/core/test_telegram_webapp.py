"""Telegram Mini App data checked as Telegram documents it: the HMAC with the bot token, auth_date
freshness, the user read strictly, and the contact a Mini App gets from requestContact()."""
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from chalicelib.core import telegram_webapp as webapp
from chalicelib.errors import Unauthorized

TOKEN = "123456:ABC-test-token"
NOW = 1_800_000_000
USER = {"id": 279058397, "first_name": "Анна", "last_name": "К", "username": "anna", "language_code": "ru",
        "allows_write_to_pm": True}


def _fields(**extra):
    return {"query_id": "AAHdF6IQAAAAAN0XohDhrOrc", "user": json.dumps(USER, ensure_ascii=False),
            "auth_date": str(NOW - 10), "signature": "sIgNaTuRe_Ed25519-base64url", **extra}


def _independent_sign(fields: dict[str, str], token: str) -> str:
    """Telegram's recipe written out again, independently of the module under test."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    return urlencode({**fields, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})


def _refused(raw, code, **kwargs):
    with pytest.raises(Unauthorized) as caught:
        webapp.verify_init_data(raw, kwargs.get("token", TOKEN), kwargs.get("now", NOW), kwargs.get("max_age", 3600))
    assert caught.value.status == 401 and caught.value.code == code
    return caught.value


def test_valid_init_data_gives_the_user():
    init = webapp.verify_init_data(_independent_sign(_fields(), TOKEN), TOKEN, NOW, 3600)
    assert init.user.id == 279058397 and init.user.name == "Анна К" and init.user.locale == "ru"
    assert init.auth_date == NOW - 10
    assert webapp.verify_init_data(webapp.sign(_fields(), TOKEN), TOKEN, NOW, 3600) == init  # our signer agrees


def test_the_signature_field_stays_in_the_check_string():
    """Bot API 8.0's `signature` is a received field: leaving it out of the HMAC check would refuse
    genuine data, and data signed without it does not pass with it added."""
    fields = _fields()
    without = {key: value for key, value in fields.items() if key != "signature"}
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    wrong = hmac.new(secret, webapp.data_check_string(without).encode(), hashlib.sha256).hexdigest()
    _refused(urlencode({**fields, "hash": wrong}), "bad_init_data")


@pytest.mark.parametrize("field", ["query_id", "user", "auth_date", "signature"])
def test_any_tampered_field_is_refused(field):
    pairs = dict(parse_qsl(_independent_sign(_fields(), TOKEN)))
    pairs[field] = str(int(pairs[field]) - 1) if field == "auth_date" else pairs[field].replace("A", "B") + "x"
    _refused(urlencode(pairs), "bad_init_data")


def test_an_added_field_or_a_tampered_hash_is_refused():
    raw = _independent_sign(_fields(), TOKEN)
    _refused(raw + "&start_param=other", "bad_init_data")
    pairs = dict(parse_qsl(raw))
    pairs["hash"] = ("0" if pairs["hash"][0] != "0" else "1") + pairs["hash"][1:]
    _refused(urlencode(pairs), "bad_init_data")


def test_stale_and_future_data_are_refused():
    _refused(_independent_sign(_fields(auth_date=str(NOW - 3601)), TOKEN), "stale_init_data")
    assert webapp.verify_init_data(_independent_sign(_fields(auth_date=str(NOW - 3599)), TOKEN), TOKEN, NOW, 3600)
    _refused(_independent_sign(_fields(auth_date=str(NOW + webapp.SKEW + 5)), TOKEN), "stale_init_data")
    assert webapp.verify_init_data(_independent_sign(_fields(auth_date=str(NOW + 30)), TOKEN), TOKEN, NOW, 3600)


def test_missing_hash_wrong_token_and_missing_data():
    fields = _fields()
    _refused(urlencode(fields), "bad_init_data")  # no hash at all
    _refused(_independent_sign(fields, "654321:other-bot"), "bad_init_data")
    for nothing in (None, "", "   ", 42, ["user"]):
        _refused(nothing, "telegram_init_missing")


@pytest.mark.parametrize("raw", [
    "%%%", "hash", "a=1&a=2", "user=%FF%FE&auth_date=1&hash=" + "0" * 64, "x" * 10_000, "=" * 500,
    "user=" + quote("\x00") + "&hash=" + "z" * 64, "&".join(f"k{n}=v" for n in range(100)),
])
def test_garbage_is_a_401_never_anything_else(raw):
    _refused(raw, "bad_init_data")


@pytest.mark.parametrize("user", [
    "not json", "[1]", json.dumps({"first_name": "A"}), json.dumps({"id": "5", "first_name": "A"}),
    json.dumps({"id": True, "first_name": "A"}), json.dumps({"id": -5, "first_name": "A"}),
    json.dumps({"id": 5, "first_name": ""}), json.dumps({"id": 5, "first_name": "A\u0007"}),
    json.dumps({"id": 5, "first_name": "A", "language_code": 7}), "NaN", "[" * 5000 + "]" * 5000,
])
def test_the_user_is_read_strictly_even_when_signed(user):
    _refused(_independent_sign(_fields(user=user), TOKEN), "bad_init_data")


def _contact(user_id=USER["id"], auth_date=NOW - 5, **extra):
    contact = {"user_id": user_id, "phone_number": "79161234567", "first_name": "Анна", **extra}
    return _independent_sign({"contact": json.dumps(contact), "auth_date": str(auth_date)}, TOKEN)


def test_a_shared_contact_is_verified_and_must_be_the_users_own():
    shared = webapp.verify_contact(_contact(), TOKEN, NOW, 3600, USER["id"])
    assert shared.phone == "79161234567" and shared.first_name == "Анна" and shared.user_id == USER["id"]
    with pytest.raises(Unauthorized) as caught:
        webapp.verify_contact(_contact(user_id=5550001), TOKEN, NOW, 3600, USER["id"])  # another user's contact
    assert caught.value.code == "bad_init_data"
    with pytest.raises(Unauthorized) as caught:
        webapp.verify_contact(_contact(auth_date=NOW - 7200), TOKEN, NOW, 3600, USER["id"])
    assert caught.value.code == "stale_init_data"
    tampered = _contact().replace("79161234567", "79990000000")
    with pytest.raises(Unauthorized) as caught:
        webapp.verify_contact(tampered, TOKEN, NOW, 3600, USER["id"])
    assert caught.value.code == "bad_init_data"
    with pytest.raises(Unauthorized) as caught:  # initData is no contact
        webapp.verify_contact(_independent_sign(_fields(), TOKEN), TOKEN, NOW, 3600, USER["id"])
    assert caught.value.code == "bad_init_data"
