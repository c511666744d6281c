"""A member who lost their card link gets it again (issue 15, item 5): sent to what they enrolled with,
never shown, the same answer for strangers, and rate-limited."""
import json
import re
from urllib.parse import urlencode

import pytest

from chalicelib.usecases import recovery
from tests.api.test_limits import address, sms  # noqa: F401 (fixtures: the SMS stand-in, the client address)
from tests.conftest import body, enroll, ses_sent

JSON_HEADERS = {"Content-Type": "application/json"}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def recover(client, slug="coffee", **fields):
    return client.http.post(f"/join/{slug}/recover", headers=JSON_HEADERS, body=json.dumps(fields))


def texts_to(sent, phone):
    return [m["text"] for m in sent if m["to"] == phone.lstrip("+")]


def test_a_member_gets_the_card_link_by_sms_and_the_answer_never_shows_it(client, program, sms, caplog):  # noqa: F811
    card = enroll(client, phone="+79160000001")
    caplog.clear()
    response = recover(client, phone="8 (916) 000-00-01")
    assert response.status_code == 202
    assert body(response)["status"] == "sent_if_member"
    assert texts_to(sms, "+79160000001") == [f"Ваша карта «Coffee Club»: {card['card_url']}"]
    key = re.search(r"k=([\w-]+)", card["card_url"]).group(1)
    assert key not in response.body.decode()
    assert key not in caplog.text and card["card_url"] not in caplog.text
    assert "card_link_resent" in caplog.text


def test_a_stranger_gets_the_same_answer_and_nobody_gets_a_message(client, program, sms):  # noqa: F811
    enroll(client, phone="+79160000001")
    member = recover(client, phone="+79160000001")
    stranger = recover(client, phone="+79160000002")
    assert (stranger.status_code, stranger.body) == (member.status_code, member.body)
    assert texts_to(sms, "+79160000002") == []


def test_a_member_who_gave_an_email_gets_the_link_by_email(client, program, ses, sms):  # noqa: F811
    card = enroll(client, phone="+79160000001", email="Anna@Example.com", locale="en")
    response = recover(client, email="anna@example.COM")
    assert response.status_code == 202
    mails = [m for m in ses_sent() if "anna@example.com" in m.destinations["ToAddresses"]]
    assert len(mails) == 1 and card["card_url"] in mails[0].body
    assert mails[0].subject == "Your Coffee Club card"
    assert sms == []  # the e-mail asked about is where it goes, not the phone
    assert recover(client, email="other@example.com").body == response.body
    assert len(ses_sent()) == 1


def test_the_join_page_form_answers_in_its_language_without_the_link(client, program, sms):  # noqa: F811
    card = enroll(client, phone="+79160000001")
    form = urlencode({"contact": "+7 916 000 00 01", "locale": "en"})
    response = client.http.post("/join/coffee/recover", headers={**FORM_HEADERS, "Accept-Language": "ru"}, body=form)
    assert response.status_code == 202
    html = response.body.decode()
    assert "If you are a member, we sent the link" in html and card["card_id"] not in html
    assert len(texts_to(sms, "+79160000001")) == 1


@pytest.mark.parametrize("fields, field", [
    ({}, "contact"), ({"contact": ""}, "contact"), ({"contact": "hello"}, "contact"),
    ({"email": "nobody@"}, "email"), ({"phone": "12"}, "phone"),
    ({"phone": "+79160000001", "email": "a@example.com"}, "email"), ({"card": "x"}, "card"),
])
def test_what_is_not_a_phone_or_an_address_is_400_naming_the_field(client, program, fields, field):
    response = recover(client, **fields)
    assert response.status_code == 400
    assert body(response)["error"]["field"] == field


def test_a_bad_contact_on_the_page_is_told_at_its_box(client, program):
    form = urlencode({"contact": "hello", "locale": "ru"})
    html = client.http.post("/join/coffee/recover", headers=FORM_HEADERS, body=form).body.decode()
    assert 'id="contact-error"' in html and "ни на номер телефона, ни на адрес" in html and 'value="hello"' in html


def test_links_to_one_phone_are_limited(client, program, sms, address):  # noqa: F811
    enroll(client, phone="+79160000001")
    for _ in range(recovery.PER_CONTACT):
        assert recover(client, phone="+79160000001").status_code == 202
    address("198.51.100.9")  # another client cannot flood the member either
    limited = recover(client, phone="+79160000001")
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    assert len(texts_to(sms, "+79160000001")) == recovery.PER_CONTACT


def test_asks_from_one_client_are_limited(client, program, sms, address):  # noqa: F811
    for n in range(recovery.PER_ADDRESS):
        assert recover(client, phone=f"+7916000{n:04d}").status_code == 202
    assert recover(client, phone="+79169999999").status_code == 429
    address("198.51.100.9")
    assert recover(client, phone="+79169999999").status_code == 202


def test_an_unknown_program_is_404(client, program):
    assert recover(client, slug="no-such", phone="+79160000001").status_code == 404
