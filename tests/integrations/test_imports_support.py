"""Helpers for the import property test (a fresh program per example, inside the test's moto)."""
from datetime import UTC, datetime

from chalicelib.commands.imports import Upload
from chalicelib.commands.pos import RecordReceipt
from chalicelib.store import cards as card_store
from chalicelib.store import merchants, programs
from chalicelib.usecases import imports, pos
from chalicelib.usecases import programs as program_cases

_count = [0]


def fresh_program():
    _count[0] += 1
    now = datetime.now(UTC)
    merchant = merchants.create(f"Shop {_count[0]}", now).merchant_id
    created = program_cases.create(merchant, {"name": "P", "slug": f"prop-{_count[0]}", "timezone": "UTC"}, now)
    return programs.get(created.program_id)


def import_rows(program, table):
    content = "\n".join(",".join(row) for row in table).encode()
    view = imports.upload(program, Upload(content, False, "csv", "m.csv"), False, "test", datetime.now(UTC))
    assert view["status"] == "done", view
    return [card_store.card_id_by_phone(program.program_id, row[1]) for row in table[1:]]


def post_receipt(program, card_id, total, receipt_id):
    card = card_store.get(card_id)
    command = RecordReceipt.parse({"receipt_id": receipt_id, "total": total, "card": card.number}, program,
                                  datetime.now(UTC))
    pos.record_receipt(command, program, datetime.now(UTC))
