"""Enrollment and the card page, as a customer's phone sees them."""
import json
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
