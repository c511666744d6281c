"""Email as a second channel: only with marketing consent, with a working unsubscribe link, and never
at the cost of the wallet message."""
import json
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlparse
from zoneinfo import ZoneInfo

from chalicelib import rendering
from chalicelib.channels import Letter, email
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Message
from chalicelib.usecases import cards as card_views
from chalicelib.usecases import notices
from tests.conftest import enroll, ses_sent

NOON = datetime(2027, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def _notify(program, card_id, text="Two coffees for one today", rounds=1, at=NOON):
    """The message, then what the outbox does with it (`rounds` deliveries, an hour and more apart)."""
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    card = card_store.get(card_id, consistent=True)
    outcome = notices.notify(program_store.get(program["id"]), card, "campaign", {"en": text, "ru": text}, at)
    for round_ in range(rounds):
        outbox.deliver(at + timedelta(hours=2 * round_), push=lambda token: apns.PushResult(200))
    return outcome


def test_email_goes_out_only_with_consent_and_carries_unsubscribe(client, program, ses):
    consenting = enroll(client, email="anna@example.com", marketing_consent=True, locale="en")
    silent = enroll(client, phone="+79160000002", email="boris@example.com")
    assert card_store.get(consenting["card_id"]).consents == {"email": True}
    assert card_store.get(silent["card_id"]).consents == {"email": False}
    _notify(program, consenting["card_id"])
    _notify(program, silent["card_id"])
    sent = ses_sent()
    assert len(sent) == 1 and sent[0].destinations["ToAddresses"] == ["anna@example.com"]
    assert sent[0].subject == "Coffee Club" and "Two coffees for one today" in sent[0].body
    channels = {(m.channel, m.outcome) for m in Message.query(consenting["card_id"])}
    assert channels == {("wallet", "sent"), ("email", "sent")}


def test_form_checkbox_gives_email_consent(client, program, ses):
    form = urlencode({"name": "Vera", "phone": "9160000003", "consent": "on", "email": "v@example.com",
                      "marketing_consent": "on"})
    client.http.post("/join/coffee", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=form)
    card_id = card_store.card_id_by_phone(program["id"], "+79160000003")
    assert card_store.get(card_id).consents == {"email": True}


def test_unsubscribe_asks_then_stops_emails(client, program, ses):
    card = enroll(client, email="anna@example.com", marketing_consent=True)
    url = urlparse(card_views.unsubscribe_url(card_store.get(card["card_id"])))
    link = f"{url.path}?{url.query}"
    page = client.http.get(link)
    assert page.status_code == 200 and "<form" in page.body.decode()
    assert card_store.get(card["card_id"]).consents["email"] is True  # a link scanner's GET changes nothing
    assert client.http.get(f"{url.path}?t=wrong").status_code == 404
    done = client.http.post(link, headers={"Content-Type": "application/x-www-form-urlencoded"},
                            body="List-Unsubscribe=One-Click")
    assert done.status_code == 200 and card_store.get(card["card_id"]).consents["email"] is False
    _notify(program, card["card_id"])
    assert ses_sent() == []
    assert card_store.get(card["card_id"]).notice  # the wallet message still went out


def test_a_failing_email_is_retried_then_recorded_and_never_blocks_the_wallet(client, program, aws):
    card = enroll(client, email="anna@example.com", marketing_consent=True)  # no verified sender: SES refuses
    assert _notify(program, card["card_id"], rounds=1) == "sent"
    assert {(m.channel, m.outcome) for m in Message.query(card["card_id"])} == {("wallet", "sent")}  # retrying
    _notify(program, card["card_id"], text="second", rounds=12, at=NOON + timedelta(minutes=5))
    outcomes = [(m.channel, m.outcome) for m in Message.query(card["card_id"])]
    assert outcomes.count(("email", "failed")) == 2 and ("email", "sent") not in outcomes
    assert card_store.get(card["card_id"]).notice == "second"  # the wallet got both, whatever email did


def test_a_campaign_can_go_by_email_only(client, merchant, program, ses):
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns
    from tests.conftest import bearer, body

    card = enroll(client, email="anna@example.com", marketing_consent=True)
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),  # whatever the hour now
                      body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None}}}))
    created = body(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                    body=json.dumps({"name": "mail", "texts": {"ru": "Письмо"},
                                                     "holdout_percent": 0, "channels": ["email"]})))
    assert created["channels"] == ["email"]
    client.http.post(f"/admin/programs/{program['id']}/campaigns/{created['id']}/send", headers=bearer(merchant))
    outbox.deliver(push=lambda token: apns.PushResult(200))
    assert card_store.get(card["card_id"]).notice is None  # the wallet card was left alone
    assert len(ses_sent()) == 1 and "Письмо" in ses_sent()[0].body
    bad = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                           body=json.dumps({"name": "x", "texts": {"ru": "x"}, "channels": ["sms"]}))
    assert bad.status_code == 400 and body(bad)["error"]["field"] == "channels[0]"


def test_a_hanging_email_service_is_a_bounded_wait_and_the_round_goes_on(client, program, aws, monkeypatch):
    """SES accepts the connection and never answers: the send gives up after its read timeout (not
    botocore's 60 s, retried), the message is recorded as of unknown outcome and not sent again (SES
    takes no idempotency key), and the other items of the round are delivered."""
    import socket
    import threading

    from chalicelib import config
    from chalicelib.channels import email
    from chalicelib.jobs import outbox
    from chalicelib.store import devices
    from chalicelib.wallet import apns

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes connections; nobody reads or answers
    monkeypatch.setenv("SES_ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setattr(email, "READ_TIMEOUT", 0.5, raising=False)
    config.reset()
    email._client.cache_clear()
    card = enroll(client, email="anna@example.com", marketing_consent=True)
    other = enroll(client, phone="+79160000002")
    devices.register("dev", "pass.dev.loyalty.local", other["card_id"], "tok", NOON)
    notices.notify(program_store.get(program["id"]), card_store.get(card["card_id"]), "campaign", {"ru": "Hi"}, NOON)
    card_store.touch_pass(other["card_id"], NOON)
    from chalicelib.store import outbox as outbox_store

    for item in outbox_store.pass_changed(card_store.get(other["card_id"], consistent=True), NOON):
        item.save()
    pushed, rounds = [], []

    def run():
        for hours in (0, 2, 6):
            rounds.append(outbox.deliver(NOON + timedelta(hours=hours),
                                         push=lambda token: (pushed.append(token), apns.PushResult(200))[1]))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    try:
        assert not worker.is_alive(), "a hanging SES held the outbox round"
        assert pushed == ["tok"]
        outcomes = [(m.channel, m.outcome) for m in Message.query(card["card_id"])]
        assert ("email", "unknown") in outcomes and ("email", "sent") not in outcomes
        assert outcomes.count(("email", "unknown")) == 1
    finally:
        silent.close()
        monkeypatch.undo()
        config.reset()
        email._client.cache_clear()


def test_an_email_unsubscribed_before_it_leaves_is_not_counted_as_delivered(client, merchant, program, ses):
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns
    from tests.conftest import bearer, body

    card = enroll(client, email="anna@example.com", marketing_consent=True)
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None}}}))
    created = body(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                    body=json.dumps({"name": "mail", "texts": {"ru": "Письмо"},
                                                     "holdout_percent": 0, "channels": ["email"]})))
    client.http.post(f"/admin/programs/{program['id']}/campaigns/{created['id']}/send", headers=bearer(merchant))
    url = urlparse(card_views.unsubscribe_url(card_store.get(card["card_id"])))
    client.http.post(f"{url.path}?{url.query}", headers={"Content-Type": "application/x-www-form-urlencoded"},
                     body="List-Unsubscribe=One-Click")  # before the outbox's round
    outbox.deliver(push=lambda token: apns.PushResult(200))
    assert ses_sent() == []
    assert ("email", "skipped") in {(m.channel, m.outcome) for m in Message.query(card["card_id"])}
    campaign = body(client.http.get(f"/admin/programs/{program['id']}/campaigns/{created['id']}",
                                    headers=bearer(merchant)))
    assert campaign["counts"]["delivered"] == 0 and campaign["counts"]["failed"] == 0


def test_a_messages_links_are_clickable_in_its_email_and_its_text_adds_no_markup():
    html = rendering.render_text("email.html", "en", program_name="Cafe", brand={}, card_url="https://c.test/c/1",
                                 unsubscribe_url="https://c.test/u/1",
                                 text='Rate us: https://c.test/survey/a.n1?x=1&y=2 <b>"bold"</b>')
    assert '<a href="https://c.test/survey/a.n1?x=1&amp;y=2">https://c.test/survey/a.n1?x=1&amp;y=2</a>' in html
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_an_emails_subject_says_what_it_is_when_the_catalogue_knows_its_kind():
    assert email.subject(Letter("survey", "…", "Coffee Club"), "en") == "Coffee Club: how was your visit?"
    assert email.subject(Letter("survey", "…", "Кофейня"), "ru") == "Кофейня: как вам у нас?"
    assert email.subject(Letter("campaign", "…", "Coffee Club"), "en") == "Coffee Club"
