"""Enrollment and the card page, as a customer's phone sees them."""
import html as markup
import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from tests.conftest import bearer, body

JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def enroll(client, slug="coffee", **fields):
    data = {"name": "Anna", "phone": "+79160000001", "consent": True, **fields}
    return client.http.post(f"/join/{slug}", headers=JSON_HEADERS, body=json.dumps(data))


def card_count(client, merchant, program):
    return len(body(client.http.get(f"/admin/programs/{program['id']}/cards", headers=bearer(merchant)))["items"])


def test_join_page_renders_in_the_callers_language(client, program):
    russian = client.http.get("/join/coffee", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert russian.status_code == 200
    assert russian.headers["Content-Type"].startswith("text/html")
    assert 'lang="ru"' in russian.body.decode() and "Получить карту" in russian.body.decode()
    english = client.http.get("/join/coffee", headers={"Accept-Language": "en-GB,en;q=0.9"})
    page = english.body.decode()
    assert 'lang="en"' in page and "Get my card" in page and "Coffee Club" in page
    # accessible form: every input has a label
    for field in ("name", "phone", "email", "birthday", "ref", "consent"):
        assert f'for="{field}"' in page and f'id="{field}"' in page


def test_join_page_of_unknown_program_is_404(client, program):
    assert client.http.get("/join/no-such").status_code == 404
    assert client.http.get("/join/BAD_SLUG!").status_code == 404


def test_json_enrollment_answers_the_contract_fields(client, program):
    response = enroll(client, phone="8 (916) 000-00-01", email="Anna@Example.com", birthday="1990-05-17")
    assert response.status_code == 201
    answer = body(response)
    assert set(answer) == {"card_id", "card_number", "balance", "card_url", "apple_pass_url", "google_save_url"}
    assert answer["balance"] == 100  # the program's welcome bonus
    assert len(answer["card_number"]) == 12 and answer["card_number"].isdigit()
    card_url = urlparse(answer["card_url"])
    assert card_url.path == f"/c/{answer['card_id']}" and parse_qs(card_url.query)["k"]
    assert answer["apple_pass_url"].startswith(f"https://loyalty.test/c/{answer['card_id']}/pass.pkpass?k=")
    assert answer["google_save_url"].startswith(f"https://loyalty.test/c/{answer['card_id']}/google?k=")
    # no personal data in the identifiers we hand out
    for value in (answer["card_id"], answer["card_url"]):
        assert "9160000001" not in value and "anna" not in value.lower()


def test_phone_is_normalised_to_e164_and_duplicates_are_409_without_a_link(client, program, merchant):
    first = body(enroll(client, phone="+7 916 000-00-01"))
    again = enroll(client, name="Someone Else", phone="89160000001")
    assert again.status_code == 409
    error = body(again)["error"]
    assert error["code"] == "already_enrolled" and error["field"] == "phone"
    assert first["card_id"] not in again.body.decode() and "/c/" not in again.body.decode()
    assert card_count(client, merchant, program) == 1


def test_form_post_redirects_to_the_card_page(client, program):
    form = urlencode({"name": "Boris", "phone": "9160000002", "consent": "on", "locale": "en"})
    response = client.http.post("/join/coffee", headers=FORM_HEADERS, body=form)
    assert response.status_code == 303
    location = urlparse(response.headers["Location"])
    page = client.http.get(f"{location.path}?{location.query}")
    assert page.status_code == 200
    html = page.body.decode()
    assert "Boris" in html and "<svg" in html and "100" in html


def test_form_errors_come_back_on_the_form_with_the_values_kept(client, program, merchant):
    form = urlencode({"name": "Boris", "phone": "12", "consent": "on"})
    response = client.http.post("/join/coffee", headers={**FORM_HEADERS, "Accept-Language": "en"}, body=form)
    assert response.status_code == 400
    html = response.body.decode()
    assert 'role="alert"' in html and 'value="Boris"' in html and 'aria-invalid="true"' in html
    assert card_count(client, merchant, program) == 0


@pytest.mark.parametrize("fields, field, code", [
    ({"consent": False}, "consent", "consent_required"),
    ({"consent": None}, "consent", "consent_required"),
    ({"name": ""}, "name", "required"),
    ({"name": 5}, "name", "invalid_type"),
    ({"phone": "not a phone"}, "phone", "invalid_phone"),
    ({"phone": "+7 916"}, "phone", "invalid_phone"),
    ({"email": "nobody"}, "email", "invalid_format"),
    ({"birthday": "2090-01-01"}, "birthday", "invalid_value"),
    ({"birthday": "2001-02-29"}, "birthday", "invalid_value"),
    ({"birthday": "17.05.1990"}, "birthday", "invalid_format"),
    ({"ref": "NOSUCHCODE"}, "ref", "unknown_referral"),
    ({"admin": True}, "admin", "unknown_field"),
])
def test_bad_input_is_400_naming_the_field_and_writes_nothing(client, program, merchant, fields, field, code):
    response = enroll(client, **fields)
    assert response.status_code == 400, response.body
    assert body(response)["error"]["code"] == code
    assert body(response)["error"]["field"] == field
    assert card_count(client, merchant, program) == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b"", b"\xff\xfe", b"null"])
def test_malformed_bodies_are_400(client, program, raw):
    response = client.http.post("/join/coffee", headers=JSON_HEADERS, body=raw)
    assert response.status_code == 400
    assert body(response)["error"]["code"] == "invalid_json"


def test_oversized_body_is_413(client, program):
    huge = json.dumps({"name": "A" * (300 * 1024), "phone": "+79160000001", "consent": True})
    response = client.http.post("/join/coffee", headers=JSON_HEADERS, body=huge)
    assert response.status_code == 413
    assert body(response)["error"]["code"] == "payload_too_large"


def test_referral_code_is_stored_and_gives_the_referred_bonus(client, program, merchant):
    referrer = body(enroll(client))
    ref_code = body(client.http.get(f"/admin/cards/{referrer['card_id']}", headers=bearer(merchant)))["ref_code"]
    friend = body(enroll(client, name="Friend", phone="+79160000009", ref=ref_code.lower()))
    assert friend["balance"] == 100 + 50  # welcome + referred bonus
    card = body(client.http.get(f"/admin/cards/{friend['card_id']}", headers=bearer(merchant)))
    assert card["referred_by"] == referrer["card_id"]
    assert sorted(lot["source"] for lot in card["lots"]) == ["referral", "welcome"]


def test_card_page_needs_the_right_key(client, program):
    answer = body(enroll(client))
    good = urlparse(answer["card_url"])
    assert client.http.get(f"{good.path}?{good.query}").status_code == 200
    assert client.http.get(good.path).status_code == 404
    assert client.http.get(f"{good.path}?k=wrong").status_code == 404
    assert client.http.get("/c/c_doesnotexist?k=whatever").status_code == 404


def test_card_page_shows_balance_tier_qr_number_and_wallet_links(client, program):
    answer = body(enroll(client))
    url = urlparse(answer["card_url"])
    html = client.http.get(f"{url.path}?{url.query}&lang=en").body.decode()
    number = answer["card_number"]
    assert f"{number[:4]} {number[4:8]} {number[8:]}" in html
    assert "Base" in html and ">100 <" in html
    assert "<svg" in html and "/pass.pkpass?k=" in html and "/google?k=" in html
    assert "Add to Apple Wallet" in html


def test_unsupported_content_type_gets_the_contract_error_shape(client, program):
    response = client.http.post("/join/coffee", headers={"Content-Type": "text/plain"}, body=b"hello")
    assert response.status_code == 415
    assert body(response)["error"]["code"] == "unsupported_media_type"


# --- the join form's errors: all at once, in the page's language, each at its field -----------------

def _visible(html):
    """The page's text as a person reads it (no markup, no style sheet)."""
    return markup.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S)))


def _field_message(html, field):
    """The message under `field` (the element its aria-describedby names), or None."""
    if f'id="{field}"' not in html:
        return None
    tag = re.search(rf'<input[^>]*id="{field}"[^>]*>', html).group(0)
    if 'aria-invalid="true"' not in tag:
        return None
    described = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    return markup.unescape(re.search(rf'<p class="field-message" id="{described}">([^<]*)</p>', html).group(1))


@pytest.mark.parametrize("lang, name_message, consent_message", [
    ("ru", "Введите имя.", "Чтобы получить карту, отметьте согласие с правилами программы."),
    ("en", "Enter your name.", "To get the card, tick your consent to the program's terms."),
])
def test_every_form_error_is_told_at_its_field_in_the_pages_language(client, program, merchant, lang,
                                                                     name_message, consent_message):
    # the page's hidden `locale` decides, whatever the browser prefers (an English page answers in English)
    other = "en" if lang == "ru" else "ru"
    form = urlencode({"name": "", "phone": "12", "email": "anna@", "birthday": "2090-01-01", "ref": "Ab1",
                      "locale": lang})
    response = client.http.post("/join/coffee", headers={**FORM_HEADERS, "Accept-Language": other}, body=form)
    assert response.status_code == 400
    html = response.body.decode()
    assert f'lang="{lang}"' in html
    assert _field_message(html, "name") == name_message
    assert _field_message(html, "consent") == consent_message
    for field in ("phone", "email", "birthday"):
        assert _field_message(html, field), field
    assert _field_message(html, "ref") is None  # a well-formed code is not an error until it is looked up
    # the summary at the top links to each field; no API wording, no internal field names
    for field in ("name", "phone", "email", "birthday", "consent"):
        assert f'<a href="#{field}">' in html
    words = _visible(html)
    assert "'name'" not in words and "required" not in words and "invalid" not in words, words
    # nothing typed is lost
    assert 'value="12"' in html and 'value="anna@"' in html and 'value="2090-01-01"' in html and 'value="Ab1"' in html
    assert card_count(client, merchant, program) == 0


def test_the_consent_box_is_marked_required(client, program):
    html = client.http.get("/join/coffee?lang=en").body.decode()
    consent = re.search(r'<input[^>]*id="consent"[^>]*>', html).group(0)
    assert "required" in consent and 'aria-required="true"' in consent


def test_json_enrollment_answers_the_first_error_and_lists_them_all(client, program):
    response = enroll(client, name="", phone="12", consent=False)
    assert response.status_code == 400
    error = body(response)["error"]
    assert (error["code"], error["field"]) == ("required", "name")
    assert [(e["field"], e["code"]) for e in error["errors"]] == [
        ("name", "required"), ("phone", "invalid_phone"), ("consent", "consent_required")]
    single = body(enroll(client, name=""))["error"]
    assert "errors" not in single  # one fault: the contract's error body as before


@pytest.mark.parametrize("lang, words", [("ru", "«Уже участник?»"), ("en", '"Already a member?"')])
def test_an_enrolled_phone_is_pointed_to_the_recovery_form(client, program, lang, words):
    enroll(client)
    form = urlencode({"name": "Anna", "phone": "+79160000001", "consent": "on", "locale": lang})
    response = client.http.post("/join/coffee", headers=FORM_HEADERS, body=form)
    assert response.status_code == 409
    html = response.body.decode()
    message = _field_message(html, "phone")
    assert words in message
    assert 'action="/join/coffee/recover"' in html and "/c/" not in html


# --- layout facts a phone relies on ------------------------------------------------------------------

def test_the_welcome_bonus_comes_before_the_form(client, program):
    html = client.http.get("/join/coffee?lang=en").body.decode()
    assert html.index("Welcome bonus") < html.index("<form")
    assert html.index('type="submit"') < html.index("Already a member?")


def _card_html(client, user_agent=None):
    answer = body(enroll(client))
    url = urlparse(answer["card_url"])
    headers = {"User-Agent": user_agent} if user_agent else {}
    return client.http.get(f"{url.path}?{url.query}&lang=en", headers=headers).body.decode()


IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " \
         "Version/17.5 Mobile/15E148 Safari/604.1"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) " \
          "Chrome/126.0.0.0 Mobile Safari/537.36"
MAC_SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) " \
             "Version/17.5 Safari/605.1.15"
DESKTOP_CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"


@pytest.mark.parametrize("agent, apple, google", [
    (IPHONE, True, False), (MAC_SAFARI, True, False), (ANDROID, False, True),
    (DESKTOP_CHROME, True, True), (None, True, True),
])
def test_the_card_page_offers_the_wallet_of_the_device(client, program, agent, apple, google):
    html = _card_html(client, agent)
    assert ("Add to Apple Wallet" in html) is apple
    assert ("Save to Google Wallet" in html) is google


def test_the_wallet_buttons_come_right_after_the_balance(client, program):
    html = _card_html(client)
    balance, apple, qr = html.index('class="balance"'), html.index("Add to Apple Wallet"), html.index("<svg")
    assert balance < apple < qr


def test_a_blocked_card_page_does_not_ask_to_show_the_code(client, program, merchant):
    answer = body(enroll(client))
    blocked = client.http.patch(f"/admin/cards/{answer['card_id']}", headers={**bearer(merchant), **JSON_HEADERS},
                                body=json.dumps({"status": "blocked"}))
    assert blocked.status_code == 200
    url = urlparse(answer["card_url"])
    html = client.http.get(f"{url.path}?{url.query}&lang=en").body.decode()
    assert "This card is blocked" in html
    assert "Show this code at the counter" not in html
