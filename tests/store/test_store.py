"""The store against moto's DynamoDB: tables from the one definition, aliases that make keys unique,
and every access path the later work needs."""
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from chalicelib.core import mechanics as mech
from chalicelib.errors import Conflict
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.store.models import ALL_MODELS, Card
from chalicelib.store.tables import create_tables, table_definitions
from chalicelib.usecases import enrollment
from chalicelib.usecases import programs as program_cases

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_created_tables_match_the_definitions(aws):
    client = boto3.client("dynamodb")
    for definition in table_definitions():
        table = client.describe_table(TableName=definition["TableName"])["Table"]
        assert table["KeySchema"] == definition["KeySchema"]
        indexes = {i["IndexName"]: i["KeySchema"] for i in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {i["IndexName"]: i["KeySchema"] for i in definition.get("GlobalSecondaryIndexes", [])}
    assert len(table_definitions()) == len(ALL_MODELS)
    assert create_tables() == []  # a second call changes nothing


def test_a_stack_kept_from_an_older_schema_gets_its_changed_index_rebuilt(aws):
    """`make dev` keeps its data across versions: an index whose key changed (by_expiry was keyed by
    `program#day` alone) is rebuilt by create_tables, and the cards already there are found through it."""
    client = boto3.client("dynamodb")
    program = _program(lifetime_days=30)
    card = enrollment.enroll(program, {"name": "Old", "phone": "+79160000077", "consent": True}, NOW, "ru")
    cards = {d["TableName"]: d for d in table_definitions()}["loyalty-test-cards"]
    client.update_table(TableName=cards["TableName"],
                        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_expiry"}}])
    client.update_table(TableName=cards["TableName"], AttributeDefinitions=[
        {"AttributeName": "expiry_key", "AttributeType": "S"}], GlobalSecondaryIndexUpdates=[{"Create": {
            "IndexName": "by_expiry", "KeySchema": [{"AttributeName": "expiry_key", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}}])
    assert create_tables() == []
    indexes = {i["IndexName"]: i["KeySchema"]
               for i in client.describe_table(TableName=cards["TableName"])["Table"]["GlobalSecondaryIndexes"]}
    wanted = {i["IndexName"]: i["KeySchema"] for i in cards["GlobalSecondaryIndexes"]}
    assert indexes == wanted
    due, _ = card_store.due_for_expiry(program.program_id, "2027-12-31", None, 10)
    assert [c.card_id for c in due] == [card.card_id]


def test_every_access_path_has_a_key(aws):
    cards = {d["TableName"]: d for d in table_definitions()}["loyalty-test-cards"]
    assert {i["IndexName"] for i in cards["GlobalSecondaryIndexes"]} == {
        "by_program", "by_expiry", "by_birthday", "by_last_visit", "by_tier"}


def _program(merchant_id="m_1", slug="shop", **mechanics):
    data = {"name": "Shop", "slug": slug, "mechanics": {"welcome_bonus": 100, **mechanics}}
    return program_cases.create(merchant_id, data, NOW)


def _enroll(program, phone="+79160000001", **extra):
    return enrollment.enroll(program, {"name": "Anna", "phone": phone, "consent": True, **extra}, NOW, "ru")


def test_slug_is_unique_across_merchants(aws):
    _program("m_1")
    with pytest.raises(Conflict) as raised:
        _program("m_2")
    assert raised.value.code == "slug_taken"
    assert program_store.by_slug("shop").merchant_id == "m_1"


def test_card_is_found_by_number_phone_and_referral_code(aws):
    program = _program()
    card = _enroll(program, birthday="1990-03-15")
    assert card_store.card_id_by_number(card.number) == card.card_id
    assert card_store.card_id_by_phone(program.program_id, "+79160000001") == card.card_id
    assert card_store.card_id_by_ref(program.program_id, card.ref_code) == card.card_id
    assert card_store.card_id_by_phone("p_other", "+79160000001") is None


def test_same_phone_may_join_two_programs_but_not_one_twice(aws):
    first, second = _program(slug="first"), _program(slug="second")
    _enroll(first)
    _enroll(second)
    with pytest.raises(Conflict):
        _enroll(first)
    stored = list(Card.scan())
    assert len(stored) == 2


def test_welcome_bonus_is_a_lot_and_a_ledger_entry(aws):
    program = _program(lifetime_by_source={"welcome": 30})
    card = card_store.get(_enroll(program).card_id, consistent=True)
    lots = card_store.lots_of(card)
    assert [(lot.source, lot.remaining) for lot in lots] == [("welcome", 100)]
    # the program's day in Moscow is 2026-11-20; welcome points live 30 days
    assert lots[0].expires_on == (date(2026, 11, 20) + timedelta(days=30)).isoformat()
    entries, _ = card_store.ledger_page(card.card_id, 10, None)
    assert [(e.kind, e.source, e.amount, e.balance_after) for e in entries] == [("bonus", "welcome", 100, 100)]


def test_day_indexes_find_cards_by_expiry_and_birthday(aws):
    program = _program(lifetime_by_source={"welcome": 30})
    card = _enroll(program, birthday="1990-03-15")
    expiry_day = card_store.lots_of(card)[0].expires_on
    by_expiry, _ = card_store.due_for_expiry(program.program_id, expiry_day, None, 10)
    assert [c.card_id for c in by_expiry] == [card.card_id]
    assert card_store.due_for_expiry(program.program_id, "2000-01-01", None, 10)[0] == []  # not due yet
    assert by_expiry[0].balance == 100  # the index carries the whole card: one read per due card
    by_birthday = list(Card.by_birthday.query(f"{program.program_id}#03-15"))
    assert [c.card_id for c in by_birthday] == [card.card_id]
    assert list(Card.by_birthday.query(f"{program.program_id}#03-16")) == []


def test_cards_of_a_program_page_by_page_newest_first(aws):
    program = _program()
    other = _program(slug="other")
    created = []
    for index in range(5):
        card = enrollment.enroll(program, {"name": f"N{index}", "phone": f"+7916000000{index}", "consent": True},
                                 NOW + timedelta(seconds=index), "ru")
        created.append(card.card_id)
    _enroll(other)
    seen, cursor = [], None
    while True:
        page, cursor = card_store.list_for_program(program.program_id, 2, cursor)
        seen += [c.card_id for c in page]
        if not cursor:
            break
    assert seen == list(reversed(created))


def test_mechanics_are_stored_as_validated_json(aws):
    program = program_store.get(_program(pending_days=2).program_id)
    assert mech.from_stored(program.mechanics).pending_days == 2
    assert program.mechanics["tiers"][0]["earn_percent"] == 5


def test_a_program_from_the_store_is_frozen_and_a_concurrent_edit_is_a_409(aws):
    from dataclasses import FrozenInstanceError

    from chalicelib.commands import admin as commands

    created = _program()
    first, second = program_store.get(created.program_id), program_store.get(created.program_id)  # two admins
    with pytest.raises(FrozenInstanceError):
        first.name = "Changed in place"
    assert program_store.get(created.program_id).name == "Shop"
    edited = program_cases.update(first, commands.read_program_changes({"name": "Shop One"}, first), NOW)
    assert (edited.name, edited.version, first.name) == ("Shop One", first.version + 1, "Shop")
    with pytest.raises(Conflict) as raised:  # the second admin read it before the first edit
        program_cases.update(second, commands.read_program_changes({"name": "Shop Two"}, second), NOW)
    assert (raised.value.code, raised.value.status) == ("edit_conflict", 409)
    assert program_store.get(created.program_id) == edited  # what the first edit returned is what is stored

def test_a_cards_channel_marks_are_store_functions(aws):
    from chalicelib.store import card_channels

    card = _enroll(_program())
    card_channels.withdraw_email_consent(card, NOW)
    card_channels.link_telegram(card, 4242, NOW)
    assert card_channels.card_of_chat(4242).card_id == card.card_id and card_channels.card_of_chat(1) is None
    card_channels.set_google_notices(card, [100, 200])
    assert card_channels.set_google_state(card.card_id, "saved") is True
    assert card_channels.set_google_state("c_gone", "saved") is False  # a card we no longer have: nothing written
    stored = card_store.get(card.card_id, consistent=True)
    assert (stored.consents["email"], int(stored.telegram_chat_id), stored.google_state) == (False, 4242, "saved")
    assert card_channels.google_notices_since(stored, 150) == [200]


def test_export_pages_and_cards_by_id(aws):
    from chalicelib.store import listings

    program = _program()
    cards = [_enroll(program, f"+7916000001{n}") for n in range(3)]
    assert listings.cards_by_ids([]) == []
    assert {c.card_id for c in listings.cards_by_ids([c.card_id for c in cards] + ["c_gone"])} == {
        c.card_id for c in cards}
    first, cursor = listings.ledger_page(program.program_id, 2, None)
    rest, end = listings.ledger_page(program.program_id, 2, cursor)
    assert len(first) == 2 and len(rest) == 1 and end is None  # one welcome entry per card
    assert listings.receipts_page(program.program_id, 10, None) == ([], None)
