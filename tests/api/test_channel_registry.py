"""A channel is one class and one registration line: a toy channel, defined here, reaches a card from a
campaign and from a notice, is recorded like the others, and the outbox retries and parks its messages
like email's and Telegram's."""
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.channels import Letter, Recipient, Refused
from chalicelib.channels import registry as channels
from chalicelib.jobs import outbox
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import Message, OutboxItem
from chalicelib.usecases import notices
from chalicelib.wallet import apns
from tests.conftest import bearer, body, enroll

NOON = datetime(2027, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))


class Pigeon:
    """A toy channel: carries a message to any card whose customer has a phone, unless told to fail."""

    name = "test_pigeon"
    with_card = False
    offered = True

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failure: Exception | None = None

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.phone)

    def send(self, recipient: Recipient, letter: Letter) -> None:
        if self.failure is not None:
            raise self.failure
        self.sent.append((recipient.card_id, letter.text))

    def is_permanent(self, error: Exception) -> bool:
        return isinstance(error, Refused)


@pytest.fixture
def pigeon():
    channel = channels.register(Pigeon())  # the one registration line
    yield channel
    channels.unregister(channel.name)


def _deliver(at: datetime) -> dict:
    return outbox.deliver(at, push=lambda token: apns.PushResult(200))


def _records(card_id: str) -> list:
    return [m for m in Message.query(card_id) if m.channel == "test_pigeon"]


def test_a_campaign_reaches_a_card_through_a_registered_channel(client, merchant, program, pigeon):
    card = enroll(client)
    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),  # whatever the hour now
                      body=json.dumps({"mechanics": {"messaging": {"quiet_hours": None}}}))
    created = body(client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                                    body=json.dumps({"name": "coo", "texts": {"ru": "Курлык"},
                                                     "holdout_percent": 0, "channels": ["test_pigeon"]})))
    assert created["channels"] == ["test_pigeon"]
    client.http.post(f"/admin/programs/{program['id']}/campaigns/{created['id']}/send", headers=bearer(merchant))
    _deliver(datetime.now(ZoneInfo("UTC")))
    assert pigeon.sent == [(card["card_id"], "Курлык")]
    assert card_store.get(card["card_id"]).notice is None  # the wallet card was left alone
    assert [m.outcome for m in _records(card["card_id"])] == ["sent"]
    shown = body(client.http.get(f"/admin/programs/{program['id']}/campaigns/{created['id']}",
                                 headers=bearer(merchant)))
    assert shown["counts"]["delivered"] == 1
    bad = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                           body=json.dumps({"name": "x", "texts": {"ru": "x"}, "channels": ["sms"]}))
    assert body(bad)["error"]["message"] == f"Channels are {', '.join(channels.offered()[:-1])} and test_pigeon."


def test_a_notice_goes_through_every_offered_channel_including_a_registered_one(client, program, pigeon):
    card = enroll(client)
    stored = program_store.get(program["id"])
    assert notices.notify(stored, card_store.get(card["card_id"], consistent=True), "campaign",
                          {"ru": "Привет"}, NOON) == "sent"
    _deliver(NOON)
    assert pigeon.sent == [(card["card_id"], "Привет")]
    assert card_store.get(card["card_id"]).notice == "Привет"  # and the wallet, as before


def test_the_outbox_retries_then_parks_a_registered_channels_message(client, merchant, program, pigeon):
    card = enroll(client)
    stored = program_store.get(program["id"])
    pigeon.failure = RuntimeError("the pigeon got lost")
    notices.notify(stored, card_store.get(card["card_id"], consistent=True), "campaign", {"ru": "Раз"}, NOON,
                   channel_names=["test_pigeon"])
    counts = _deliver(NOON)
    assert counts["retry"] == 1 and pigeon.sent == []
    [waiting] = [i for i in OutboxItem.query("wallet") if i.item_key.startswith("test_pigeon#")]
    assert int(waiting.attempts) == 1 and "lost" in waiting.last_error
    pigeon.failure = Refused("no such dovecote")  # refused for good: parked at once
    counts = _deliver(NOON + timedelta(hours=2))
    assert counts["dead"] == 1
    assert [m.outcome for m in _records(card["card_id"])] == ["failed"]
    parked = body(client.http.get(f"/admin/programs/{program['id']}/outbox", headers=bearer(merchant)))
    assert [item["kind"] for item in parked["items"]] == ["test_pigeon"]
    pigeon.failure = None  # an admin sends it back, and it goes out
    client.http.post(f"/admin/programs/{program['id']}/outbox/{parked['items'][0]['id']}/retry",
                     headers=bearer(merchant))
    _deliver(NOON + timedelta(hours=3))
    assert pigeon.sent == [(card["card_id"], "Раз")]
