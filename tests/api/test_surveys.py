"""Surveys end to end: a receipt through the signed POS route queues the survey's message (after its delay),
the outbox sends it through the card's channels with a signed link, the page answers in one tap, the
score shows in the owner's report and the analytics summary, and the bonus for answering comes once."""
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.errors import TryAgain
from chalicelib.store import cards as card_store
from chalicelib.store import outbox as outbox_store
from chalicelib.usecases import actions, survey_links, telegram_bot
from tests.conftest import TELEGRAM_SECRET, bearer, body, enroll

CHAT = 777
SURVEY = {"kind": "nps", "delay_minutes": 90, "sample_percent": 100, "period_days": 30}


def _set_mechanics(client, merchant, program, **mechanics):
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"mechanics": mechanics}))
    assert response.status_code == 200, response.body
    return body(response)


def _link_telegram(client, card):
    payload = telegram_bot.deep_link(card_store.get(card["card_id"])).split("start=", 1)[1]
    update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": CHAT, "type": "private"},
                                          "from": {"id": CHAT, "language_code": "ru"}, "text": f"/start {payload}"}}
    response = client.http.post("/telegram/webhook", body=json.dumps(update),
                                headers={"Content-Type": "application/json",
                                         "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    assert response.status_code == 200


def _waiting_surveys(card_id):
    return [item for item in outbox_store.due(datetime.now(UTC) + timedelta(days=1))
            if item.card_id == card_id and (item.payload or {}).get("kind") == "survey"]


def _deliver(at):
    """Two rounds of the outbox at `at`: the waiting notice, then the channels' messages it queued."""
    from chalicelib.jobs import outbox
    from chalicelib.wallet import apns

    for _ in range(2):
        outbox.deliver(at, push=lambda token: apns.PushResult(200))


def _token(text):
    return re.search(r"https://loyalty\.test/survey/(\S+)", text).group(1)


@pytest.fixture
def surveyed(client, merchant, program, pos, telegram_bot):
    """A card with a linked Telegram chat that bought once in a program asking NPS after 90 minutes: the
    survey's token as the customer got it, and what the bot was sent."""
    _set_mechanics(client, merchant, program, survey=SURVEY, actions={"survey_answered": 50},
                   messaging={"quiet_hours": None})
    card = enroll(client)
    _link_telegram(client, card)
    sold_at = datetime.now(UTC)
    answer = body(pos.post("/pos/receipts", {"receipt_id": "r-1", "card": card["card_number"], "total": 50000}))
    assert answer["balance"] == 100 + 25
    waiting = _waiting_surveys(card["card_id"])
    assert len(waiting) == 1  # queued with the receipt, in its transaction
    due = datetime.fromtimestamp(int(waiting[0].due_at) / 1_000_000, UTC)
    assert timedelta(minutes=90) <= due - sold_at < timedelta(minutes=91)
    _deliver(due - timedelta(minutes=1))
    assert not [m for m in telegram_bot if "/survey/" in m.get("text", "")]  # not before its delay
    _deliver(due + timedelta(seconds=1))
    sent = [m for m in telegram_bot if "/survey/" in m.get("text", "")]
    assert len(sent) == 1 and sent[0]["chat_id"] == CHAT
    assert "порекомендуете «Coffee Club»" in sent[0]["text"]  # the card's language
    assert "Anna" not in sent[0]["text"] and card["card_number"] not in sent[0]["text"]
    return {"card": card, "token": _token(sent[0]["text"]), "program": program}


def _report(client, merchant, program, role="owner", **query):
    params = "&".join(f"{name}={value}" for name, value in query.items())
    return client.http.get(f"/admin/programs/{program['id']}/surveys?{params}", headers=bearer(merchant, role))


def _post(client, token, **form):
    data = "&".join(f"{name}={value}" for name, value in form.items())
    return client.http.post(f"/survey/{token}", body=data,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_a_receipt_asks_and_the_page_answers_in_one_tap(client, merchant, surveyed):
    token, card, program = surveyed["token"], surveyed["card"], surveyed["program"]
    page = client.http.get(f"/survey/{token}")
    assert page.status_code == 200 and page.headers["Content-Language"] == "ru"
    html = page.body.decode()
    assert "порекомендуете" in html and "<script" not in html
    assert re.findall(r'name="score" value="(\d+)"', html) == [str(n) for n in range(11)]  # one tap: 0..10

    answered = _post(client, token, score="9")
    assert answered.status_code == 200
    assert "Спасибо за ответ" in answered.body.decode() and "50 баллов" in answered.body.decode()
    assert body(client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant)))["balance"] == 125 + 50

    commented = _post(client, token, comment="Great+coffee%2C+slow+queue")
    assert commented.status_code == 200

    again = _post(client, token, score="3")
    assert again.status_code == 409 and "уже ответили" in again.body.decode()
    assert "уже ответили" in client.http.get(f"/survey/{token}").body.decode()

    report = body(_report(client, merchant, program))
    assert report["nps"] == {"score": 100, "promoters": 1, "passives": 0, "detractors": 0, "answers": 1}
    assert report["csi"] is None
    assert [row["nps"]["answers"] for row in report["by_month"]] == [1]
    comments = report["comments"]["items"]
    assert [(c["score"], c["comment"], c["card_id"]) for c in comments] == [
        (9, "Great coffee, slow queue", card["card_id"])]
    summary = body(client.http.get(f"/admin/programs/{program['id']}/analytics/summary", headers=bearer(merchant)))
    assert summary["nps"]["score"] == 100 and summary["csi"] is None
    assert _report(client, merchant, program, "analyst").status_code == 200


def test_the_bonus_for_answering_comes_once_per_card(client, merchant, pos, surveyed):
    token, card = surveyed["token"], surveyed["card"]
    assert _post(client, token, score="10").status_code == 200
    balance = body(client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant)))["balance"]
    # a second survey for the same card (its 99th receipt asked it, past the period): answered, no second bonus
    item = card_store.get(card["card_id"])
    item.perks = {**item.perks, "survey_receipt": 99, "surveyed_on": date.today().isoformat()}
    item.save()
    later = date.today() + timedelta(days=5)
    unsigned = survey_links.unsigned_url(item.card_id, "nps", survey_links.survey_id(item.card_id, 99), later)
    second = _token(survey_links.sign_links(item, unsigned))
    assert _post(client, token, score="9").status_code == 404  # the first is no longer the card's survey
    answered = _post(client, second, score="2")
    assert answered.status_code == 200 and "баллов" not in answered.body.decode()
    assert body(client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant)))["balance"] == balance
    report = body(_report(client, merchant, surveyed["program"]))
    assert report["nps"] == {"score": 0, "promoters": 1, "passives": 0, "detractors": 1, "answers": 2}


def test_forged_expired_and_foreign_links_are_refused(client, merchant, other_merchant, surveyed):
    token, card = surveyed["token"], surveyed["card"]
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert client.http.get(f"/survey/{forged}").status_code == 404
    assert _post(client, forged, score="10").status_code == 404
    assert client.http.get("/survey/not-a-token").status_code == 404
    # the unsigned link as the outbox holds it answers nothing
    assert client.http.get(f"/survey/{token.rsplit('.', 1)[0]}").status_code == 404
    item = card_store.get(card["card_id"])
    past = date.today() - timedelta(days=2)
    asked = survey_links.survey_id(item.card_id, item.perks["survey_receipt"])
    expired = _token(survey_links.sign_links(item, survey_links.unsigned_url(item.card_id, "nps", asked, past)))
    closed = client.http.get(f"/survey/{expired}")
    assert closed.status_code == 410 and "закрыт" in closed.body.decode()
    assert _post(client, expired, score="10").status_code == 410
    # another card's link is never signed for this card
    other = survey_links.unsigned_url("card_someoneelse", "nps", "0" * 16, date.today())
    assert survey_links.sign_links(item, other) == other
    # the owner's report is tenant-checked and needs analytics:read
    assert _report(client, other_merchant, surveyed["program"]).status_code == 404
    assert _report(client, merchant, surveyed["program"], "cashier").status_code == 403


def test_bad_scores_and_comments_are_asked_again(client, surveyed):
    token = surveyed["token"]
    assert _post(client, token, score="11").status_code == 400
    assert _post(client, token, score="-1").status_code == 400
    assert _post(client, token).status_code == 400
    assert _post(client, token, comment="too+early").status_code == 409  # nothing answered yet to comment on
    assert _post(client, token, score="7").status_code == 200
    assert _post(client, token, comment="x" * 501).status_code == 400
    assert _post(client, token, comment="ok").status_code == 200
    assert _post(client, token, comment="again").status_code == 409


def test_csi_asks_one_to_five_and_averages(client, merchant, program, pos, telegram_bot):
    _set_mechanics(client, merchant, program, survey={"kind": "csi", "delay_minutes": 0},
                   messaging={"quiet_hours": None})
    tokens = []
    for index, phone in enumerate(("+79160000011", "+79160000012")):
        card = enroll(client, phone=phone)
        _link_telegram(client, card)
        pos.post("/pos/receipts", {"receipt_id": f"c-{index}", "card": card["card_number"], "total": 1000})
        _deliver(datetime.now(UTC) + timedelta(seconds=1))
        tokens.append(_token([m for m in telegram_bot if "/survey/" in m.get("text", "")][-1]["text"]))
    html = client.http.get(f"/survey/{tokens[0]}").body.decode()
    assert re.findall(r'name="score" value="(\d+)"', html) == ["1", "2", "3", "4", "5"]
    assert _post(client, tokens[0], score="0").status_code == 400
    _post(client, tokens[0], score="5")
    _post(client, tokens[1], score="4")
    report = body(_report(client, merchant, program))
    assert report["csi"] == {"average": 4.5, "answers": 2} and report["nps"] is None
    _post(client, tokens[0], comment="first")
    _post(client, tokens[1], comment="second")
    first = body(_report(client, merchant, program, limit=1))["comments"]
    assert [c["comment"] for c in first["items"]] == ["second"] and first["next_cursor"]  # newest first
    rest = body(_report(client, merchant, program, limit=1, cursor=first["next_cursor"]))["comments"]
    assert [(c["comment"], c["score"], c["kind"]) for c in rest["items"]] == [("first", 5, "csi")]
    long_ago = _report(client, merchant, program, cursor=first["next_cursor"], **{"from": "2020-01-01",
                                                                                  "to": "2020-01-31"})
    assert long_ago.status_code == 400 and body(long_ago)["error"]["code"] == "invalid_cursor"


def test_a_card_is_asked_once_per_period(client, merchant, program, pos):
    _set_mechanics(client, merchant, program, survey={**SURVEY, "period_days": 7})
    card = enroll(client)
    for number in range(3):
        pos.post("/pos/receipts", {"receipt_id": f"p-{number}", "card": card["card_number"], "total": 1000})
    assert len(_waiting_surveys(card["card_id"])) == 1


def test_survey_settings_are_checked_by_field(client, merchant, program):
    for survey, field in (({"kind": "ces"}, "mechanics.survey.kind"),
                          ({"sample_percent": 0}, "mechanics.survey.sample_percent"),
                          ({"delay_minutes": 10081}, "mechanics.survey.delay_minutes"),
                          ({"period_days": 366}, "mechanics.survey.period_days"),
                          ({"often": True}, "mechanics.survey.often")):
        response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                     body=json.dumps({"mechanics": {"survey": survey}}))
        assert response.status_code == 400 and body(response)["error"]["field"] == field, response.body
    saved = _set_mechanics(client, merchant, program, survey={"kind": "csi", "question": {"en": "Happy?"}})
    assert saved["mechanics"]["survey"] == {"kind": "csi", "delay_minutes": 120, "sample_percent": 100,
                                            "period_days": 30, "question": {"en": "Happy?"}}
    assert _set_mechanics(client, merchant, program, survey=None)["mechanics"]["survey"] is None


def test_a_survey_the_card_was_not_asked_cannot_be_answered(client, merchant, pos, surveyed):
    """The link is signed with the card link's key, which its holder knows: a made-up survey (another
    receipt's number, or the asked one kept open for a year) is refused, so nobody can stuff the scores."""
    item = card_store.get(surveyed["card"]["card_id"])
    asked = survey_links.survey_id(item.card_id, item.perks["survey_receipt"])
    for number, last_day in ((7, date.today() + timedelta(days=5)), (None, date.today() + timedelta(days=365))):
        survey = asked if number is None else survey_links.survey_id(item.card_id, number)
        forged = _token(survey_links.sign_links(item, survey_links.unsigned_url(item.card_id, "nps", survey, last_day)))
        assert _post(client, forged, score="0").status_code == 404
    assert body(_report(client, merchant, surveyed["program"]))["nps"] is None


def test_a_bonus_the_card_was_too_busy_to_take_comes_with_the_next_tap(client, merchant, surveyed, monkeypatch):
    """The answer is saved, then its bonus written; when that write gives up (a busy card), tapping again
    answers "already answered" and gives the bonus then, once."""
    token, card = surveyed["token"], surveyed["card"]
    before = body(client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant)))["balance"]
    real, calls = actions.reward, []

    def busy_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise TryAgain("The card is busy with other changes; try again in a moment.")
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "reward", busy_once)
    assert _post(client, token, score="9").status_code == 503
    assert _post(client, token, score="9").status_code == 409
    assert _post(client, token, score="9").status_code == 409
    after = body(client.http.get(f"/admin/cards/{card['card_id']}", headers=bearer(merchant)))["balance"]
    assert after == before + 50


def test_staff_reading_a_cards_messages_cannot_answer_for_the_customer(client, merchant, surveyed):
    """The customer's message carries the signed link; the card's message history (what the console shows)
    keeps the unsigned one, which answers nothing."""
    card = surveyed["card"]
    listed = body(client.http.get(f"/admin/cards/{card['card_id']}/messages", headers=bearer(merchant)))["items"]
    texts = [m.get("text") or "" for m in listed if m["kind"] == "survey"]
    assert texts and all("/survey/" in text for text in texts)
    for text in texts:
        shown = _token(text)
        assert shown != surveyed["token"] and surveyed["token"].startswith(shown)
        assert _post(client, shown, score="10").status_code == 404
