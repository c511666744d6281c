"""What customers read: the program's own texts in their language, tier names (never ids), the card
page's expiry and blocked facts, and the trigger texts owners edit."""
import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlparse

import pytest

from chalicelib.core import clock, texts
from chalicelib.jobs import triggers
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Message
from chalicelib.wallet import apple, google
from tests.conftest import bearer, body, enroll

TIERS = [{"id": "base", "name": {"ru": "Новичок", "en": "Newcomer"}, "threshold": 0, "earn_percent": 5},
         {"id": "gold", "name": "Gold", "threshold": 1000000, "earn_percent": 10}]
BRANDING = {"description": {"ru": "Кофейня у дома", "en": "The corner cafe"},
            "terms": {"ru": "Правила кофейни", "en": "The cafe's terms"}, "logo_text": {"ru": "Кофе", "en": "Coffee"}}


def _patch(client, merchant, program, data):
    return client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant), body=json.dumps(data))


@pytest.fixture
def localized(client, merchant, program):
    """The test program with its texts and first tier's name in Russian and English."""
    response = _patch(client, merchant, program, {"branding": BRANDING, "mechanics": {
        "tiers": TIERS, "lifetime_by_source": {"welcome": 31}}})
    assert response.status_code == 200, response.body
    return body(response)


def _page(client, url: str, lang: str) -> str:
    parts = urlparse(url)
    return client.http.get(f"{parts.path}?{parts.query}&lang={lang}").body.decode()


# --- program texts per language ----------------------------------------------------------------------

def test_program_texts_per_language_are_kept_and_echoed(localized):
    assert localized["branding"]["description"] == {"ru": "Кофейня у дома", "en": "The corner cafe"}
    assert localized["mechanics"]["tiers"][0]["name"] == {"ru": "Новичок", "en": "Newcomer"}
    assert localized["mechanics"]["tiers"][1]["name"] == "Gold"  # a plain string stays valid


@pytest.mark.parametrize("data, field", [
    ({"branding": {"description": {"ru": "Да", "de": "Ja"}}}, "branding.description.de"),
    ({"branding": {"terms": {"en": "  "}}}, "branding.terms.en"),
    ({"branding": {"logo_text": {"en": "x" * 41}}}, "branding.logo_text.en"),
    ({"branding": {"description": {}}}, "branding.description"),
    ({"branding": {"description": {"ru": 5}}}, "branding.description.ru"),
    ({"mechanics": {"tiers": [{"id": "base", "name": {"fr": "Base"}, "threshold": 0, "earn_percent": 5}]}},
     "mechanics.tiers[0].name.fr"),
    ({"mechanics": {"tiers": [{"id": "base", "name": {}, "threshold": 0, "earn_percent": 5}]}},
     "mechanics.tiers[0].name"),
])
def test_wrong_program_texts_name_the_language(client, merchant, program, data, field):
    response = _patch(client, merchant, program, data)
    assert response.status_code == 400, response.body
    assert body(response)["error"]["field"] == field


def test_a_reader_gets_their_language_else_the_programs_first():
    from chalicelib.core import program_texts

    both = {"en": "Coffee", "ru": "Кофе"}  # written in English first: English is the program's main language
    assert program_texts.pick(both, "ru") == "Кофе" and program_texts.pick(both, "en") == "Coffee"
    assert program_texts.pick({"en": "Coffee"}, "ru") == "Coffee"
    assert program_texts.pick(both, None) == "Coffee" and program_texts.pick(both, "de") == "Coffee"
    assert program_texts.pick("Кофе", "en") == "Кофе" and program_texts.pick(None, "en") is None


def test_pages_show_the_program_texts_in_the_page_language(client, localized):
    ru, en = (client.http.get(f"/join/coffee?lang={lang}").body.decode() for lang in ("ru", "en"))
    assert "Кофейня у дома" in ru and "Правила кофейни" in ru and "The corner cafe" not in ru
    assert "The corner cafe" in en and "The cafe&#39;s terms" in en and "Кофейня" not in en
    card_url = enroll(client)["card_url"]
    assert "Новичок" in _page(client, card_url, "ru") and "Newcomer" in _page(client, card_url, "en")
    assert ">base<" not in _page(client, card_url, "en")  # the tier's name, never its id


def test_a_text_written_in_one_language_is_shown_to_every_reader(client, merchant, program):
    _patch(client, merchant, program, {"branding": {"description": {"ru": "Только по-русски"}}})
    assert "Только по-русски" in client.http.get("/join/coffee?lang=en").body.decode()


def test_the_pass_and_the_google_object_speak_the_holders_language(client, localized):
    card = card_store.get(enroll(client, locale="en")["card_id"])
    stored = program_store.get(localized["id"])
    document = apple.pass_json(card, stored)
    fields = {f["key"]: f["value"] for group in document["storeCard"].values() for f in group}
    assert document["logoText"] == "Coffee" and fields["tier"] == "Newcomer" and fields["terms"] == "The cafe's terms"
    russian = card_store.get(enroll(client, phone="+79160000002", locale="ru")["card_id"])
    assert {f["key"]: f["value"] for f in apple.pass_json(russian, stored)["storeCard"]["secondaryFields"]}[
        "tier"] == "Новичок"
    loyalty = google.loyalty_object("issuer", card, stored)
    assert loyalty["secondaryLoyaltyPoints"]["balance"]["string"] == "Newcomer"
    assert {m["id"]: m["body"] for m in loyalty["textModulesData"]}["tier"] == "Newcomer"
    about = google.loyalty_class("issuer", stored)["textModulesData"][0]
    assert about["body"] == "Кофейня у дома"  # the class's default language
    assert about["localizedBody"]["translatedValues"] == [{"language": "en", "value": "The corner cafe"}]


def test_the_pass_announces_a_new_balance_without_a_counted_word():
    strings = apple.design("default").strings
    assert strings["ru"]["balance_change"] == "Баланс: %@" and strings["en"]["balance_change"] == "Balance: %@"


# --- the card page's facts ----------------------------------------------------------------------------

def test_the_card_page_states_the_nearest_expiring_points_and_their_day(client, localized):
    card_url = enroll(client)["card_url"]  # the welcome bonus: 100 points for 31 days
    today = clock.local_day(datetime.now(UTC), "Europe/Moscow")
    expires = today + timedelta(days=31)
    ru, en = _page(client, card_url, "ru"), _page(client, card_url, "en")
    assert f"100 баллов сгорят {texts.day_text(expires, 'ru', today)}" in ru
    assert f"100 points expire on {texts.day_text(expires, 'en', today)}" in en
    assert expires.isoformat() not in ru and "Баллы за покупки сгорают через 365 дней." in ru


def test_a_blocked_card_page_says_so_and_not_show_this_code(client, merchant, program):
    answer = enroll(client)
    client.http.patch(f"/admin/cards/{answer['card_id']}", headers=bearer(merchant),
                      body=json.dumps({"status": "blocked"}))
    ru, en = _page(client, answer["card_url"], "ru"), _page(client, answer["card_url"], "en")
    assert texts.CATALOGUE["ru"]["blocked"] in ru and texts.CATALOGUE["ru"]["show_qr"] not in ru
    assert texts.CATALOGUE["en"]["blocked"] in en and texts.CATALOGUE["en"]["show_qr"] not in en


def test_nearest_expiry_counts_every_lot_of_that_day_and_skips_burnt_ones():
    from chalicelib.core.lots import Lot
    from chalicelib.usecases.cards import nearest_expiry

    lots = [Lot("a", "welcome", 50, 20, "2026-01-01", "2026-01-01", "2026-02-01"),
            Lot("b", "purchase", 70, 70, "2026-01-02", "2026-01-02", "2026-02-01"),
            Lot("c", "purchase", 10, 10, "2026-01-02", "2026-01-02", "2026-01-10"),  # due: burnt tonight
            Lot("d", "purchase", 10, 10, "2026-01-02", "2026-01-02", None)]
    assert nearest_expiry(lots, date(2026, 1, 10)) == (date(2026, 2, 1), 90)
    assert nearest_expiry(lots[3:], date(2026, 1, 10)) is None


# --- trigger texts owners edit ------------------------------------------------------------------------

def _messages(client, merchant, program, role="owner"):
    return client.http.get(f"/admin/programs/{program['id']}/messages", headers=bearer(merchant, role))


def test_trigger_texts_list_the_defaults_and_the_owners_overrides(client, merchant, program):
    listing = body(_messages(client, merchant, program))["items"]
    assert len(listing) == len(texts.TRIGGERS) * len(texts.LANGUAGES)
    birthday_ru = next(i for i in listing if (i["trigger"], i["locale"]) == ("birthday_gift", "ru"))
    assert birthday_ru == {"trigger": "birthday_gift", "locale": "ru", "text": birthday_ru["default"],
                           "default": texts.CATALOGUE["ru"]["birthday_gift"], "overridden": False,
                           "placeholders": ["name", "bonus"]}
    own = "{name}, с праздником! {bonus} уже на карте."
    changed = _patch(client, merchant, program, {"messages": {"birthday_gift": {"ru": own}}})
    assert changed.status_code == 200 and body(changed)["messages"] == {"birthday_gift": {"ru": own}}
    listing = body(_messages(client, merchant, program, "analyst"))["items"]
    birthday_ru = next(i for i in listing if (i["trigger"], i["locale"]) == ("birthday_gift", "ru"))
    assert birthday_ru["text"] == own and birthday_ru["overridden"] is True
    _patch(client, merchant, program, {"messages": {"winback_offer": {"en": "Come back, {name}!"}}})
    assert body(_patch(client, merchant, program, {"messages": {"birthday_gift": {"ru": None}}}))["messages"] == {
        "winback_offer": {"en": "Come back, {name}!"}}  # null: the default again; the other text stays


@pytest.mark.parametrize("messages, field, code", [
    ({"birthday_gift": {"ru": "Дарим {points}"}}, "messages.birthday_gift.ru", "unknown_placeholder"),
    ({"expiry_warning": {"en": "{date}: {bonus}"}}, "messages.expiry_warning.en", "unknown_placeholder"),
    ({"birthday_gift": {"de": "Hallo"}}, "messages.birthday_gift.de", "unknown_field"),
    ({"anniversary": {"ru": "Ура"}}, "messages.anniversary", "unknown_field"),
    ({"winback_offer": {"ru": "x" * 301}}, "messages.winback_offer.ru", "invalid_length"),
    ({"winback_offer": "text"}, "messages.winback_offer", "invalid_type"),
])
def test_wrong_trigger_texts_name_the_text(client, merchant, program, messages, field, code):
    response = _patch(client, merchant, program, {"messages": messages})
    assert response.status_code == 400 and body(response)["error"] == {**body(response)["error"], "field": field,
                                                                         "code": code}


def test_trigger_texts_of_another_merchant_are_not_found(client, other_merchant, program):
    assert _messages(client, other_merchant, program).status_code == 404


def test_the_birthday_job_sends_the_owners_text_with_counted_points(client, merchant, program):
    _patch(client, merchant, program, {"mechanics": {"birthday": {"bonus": 21}}, "messages": {
        "birthday_gift": {"ru": "{name}, с праздником! Дарим {bonus}.", "en": "Cheers, {name}: {bonus}!"}}})
    card_id = enroll(client, birthday="1990-03-05", locale="ru")["card_id"]
    triggers.birthdays(date(2027, 3, 5), now=datetime(2027, 3, 5, 9, 0, tzinfo=UTC))  # noon in Moscow
    sent = [(m.kind, m.text) for m in Message.query(card_id)]
    assert ("birthday", "Anna, с праздником! Дарим 21 балл.") in sent, sent


def test_admin_card_rows_and_views_name_the_tier(client, merchant, localized):
    card_id = enroll(client)["card_id"]
    row = body(client.http.get(f"/admin/programs/{localized['id']}/cards", headers=bearer(merchant)))["items"][0]
    assert (row["tier"], row["tier_name"]) == ("base", "Новичок")  # the program's first language
    view = body(client.http.get(f"/admin/cards/{card_id}", headers=bearer(merchant)))
    assert (view["tier"], view["tier_name"]) == ("base", "Новичок")
