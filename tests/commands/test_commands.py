"""The commands at the edge: each reader refuses with the field-named errors the routes always gave, and
what it returns is frozen (a use case cannot change what the caller sent)."""
import dataclasses
import json
from datetime import date

import pytest

from chalicelib.commands import admin, google, join, passkit, queries, telegram
from chalicelib.errors import InvalidInput


def refusal(read, *args, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(InvalidInput) as caught:
        read(*args, **kwargs)
    return caught.value.code, caught.value.field


def test_admin_bodies_refuse_as_the_routes_did():
    assert refusal(admin.read_new_merchant, {"name": "A", "x": 1}) == ("unknown_field", "x")
    assert refusal(admin.read_new_merchant, {}) == ("required", "name")
    assert refusal(admin.read_new_pos_key, {"label": 5}) == ("invalid_type", "label")
    assert refusal(admin.read_card_edit, {}) == ("required", None)
    assert refusal(admin.read_card_edit, {"status": "gone"}) == ("invalid_choice", "status")
    assert refusal(admin.read_new_program, [1]) == ("invalid_type", None)
    assert refusal(admin.read_new_program, {"name": "P", "slug": "admin"}) == ("invalid_value", "slug")
    assert refusal(admin.read_new_program, {"name": "P", "slug": "shop", "timezone": "Mars/Base"}) == (
        "invalid_timezone", "timezone")


def test_a_new_program_gets_every_setting_with_its_default():
    new = admin.read_new_program({"name": " Cafe ", "slug": "cafe"})
    assert (new.slug, new.name, new.timezone, new.currency, new.country) == (
        "cafe", "Cafe", "Europe/Moscow", "RUB", "RU")
    assert new.mechanics.tiers and new.limits is not None and isinstance(new.branding, dict)
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.slug = "other"  # type: ignore[misc]


def test_pages_and_periods_read_the_query_once():
    assert queries.read_page(None) == queries.PageQuery(limit=50, cursor=None)
    assert queries.read_page({"limit": "200", "cursor": ""}, max_limit=200) == queries.PageQuery(200, None)
    assert refusal(queries.read_page, {"limit": "²"}) == ("invalid_value", "limit")
    assert refusal(queries.read_page, {"limit": "101"}) == ("invalid_value", "limit")
    assert queries.read_period({"from": "2026-01-01"}) == queries.PeriodQuery(start=date(2026, 1, 1), end=None)
    # `to` is checked first, as the analytics routes always did
    assert refusal(queries.read_period, {"from": "x", "to": "y"}) == ("invalid_format", "to")


def test_a_join_post_sets_the_code_apart_only_with_confirmation_on():
    data = {"name": "A", "phone": "+79160000001", "consent": True, "code": "123456", "locale": "en"}
    confirming = join.read_join_post(data, confirming=True, page_locale="ru")
    assert (confirming.code, confirming.locale, "code" in confirming.values) == ("123456", "en", False)
    plain = join.read_join_post(data, confirming=False, page_locale="ru")
    assert plain.code is None and plain.values["code"] == "123456"  # the form check refuses it as unknown
    assert refusal(join.read_enrollment, plain, country="RU", today=date(2026, 1, 1)) == ("unknown_field", "code")
    assert join.read_join_post({"locale": ["en"]}, confirming=False, page_locale="ru").locale == "ru"
    form = join.read_enrollment(confirming, country="RU", today=date(2026, 1, 1))
    assert (form.name, form.phone) == ("A", "+79160000001")


def test_apple_devices_bodies():
    assert passkit.read_registration(b'{"pushToken": "ab:cd"}').push_token == "ab:cd"
    too_long = b'{"pushToken": "' + b"a" * 1025 + b'"}'
    for body in (b"", b"[]", b'{"pushToken": 5}', b'{"pushToken": "a b"}', b"{", too_long):
        assert refusal(passkit.read_registration, body) == ("invalid_push_token", "pushToken")
    lines = json.dumps({"logs": ["x" * 400, 5, *["line"] * 30]}).encode()
    kept = passkit.read_device_log(lines).lines
    assert len(kept) == 19 and kept[0] == "x" * 300  # 20 read, the number dropped
    assert passkit.read_device_log(b"not json").lines == () == passkit.read_device_log(b"[1]").lines
    assert passkit.read_changed_since({"passesUpdatedSince": "12"}).tag == 12
    assert passkit.read_changed_since({"passesUpdatedSince": "1" * 21}).tag == 0
    assert passkit.read_changed_since({"passesUpdatedSince": "٣"}).tag == 0


def test_a_google_callback_is_its_signed_shape_or_400_naming_the_field():
    body = {"protocolVersion": "ECv2SigningOnly", "signature": "s", "signedMessage": "{}",
            "intermediateSigningKey": {"signedKey": "k", "signatures": ["a", "b"]}}
    assert google.read_callback(body).signed() == body
    assert refusal(google.read_callback, {**body, "signature": ""}) == ("invalid_callback", "signature")
    assert refusal(google.read_callback, {**body, "intermediateSigningKey": []}) == (
        "invalid_callback", "intermediateSigningKey")
    bad = {**body, "intermediateSigningKey": {"signedKey": "k", "signatures": ["a", 1]}}
    assert refusal(google.read_callback, bad) == ("invalid_callback", "intermediateSigningKey.signatures[1]")


def test_a_telegram_update_reads_whatever_it_is():
    assert telegram.read_message({"message": {"chat": {"id": 7}, "text": " /qr ",
                                              "from": {"language_code": "en-GB"}}}) == telegram.Message(7, "/qr", "en")
    assert telegram.read_message([1]) == telegram.Message(None, "", "ru")
    assert telegram.read_message({"message": {"chat": {"id": True}, "text": 5}}).chat_id is None
