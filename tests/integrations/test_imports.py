"""Moving a base in: the dry run's report, the import through the jobs queue, a file uploaded again, parts,
XLSX, the CSV report, and balance = lots = ledger for imported cards and receipts after them."""
import base64
import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.core import imports as rules
from chalicelib.queue.budget import UNLIMITED
from tests.conftest import bearer, body, enroll

CSV = """name;phone;email;birthday;card number;balance;expires on;tier;total spend
Анна Иванова;8 916 100-00-01;anna@example.com;12.03.1990;;1500;2099-12-31;Gold;12 345,50
Boris;+7 916 100 00 02;;;;0;;;
Bad Phone;12ab;;;;10;;;
Dup;8 916 100 00 01;;;;5;;;
Old Points;+79161000005;;;;7;2001-01-01;;
No Tier;+79161000006;;;;7;;Platinum;
Existing;+79160000001;;;;7;;;
"""


def upload(client, merchant, program_id, content: bytes, dry_run=True, file_format="csv", more=False, **extra):
    data = {"format": file_format, "filename": f"members.{file_format}", "more": more,
            "content": base64.b64encode(content).decode(), **extra}
    query = "?dry_run=true" if dry_run else ""
    return client.http.post(f"/admin/programs/{program_id}/imports{query}", headers=bearer(merchant),
                            body=json.dumps(data))


def cards_of(client, merchant, program_id):
    return body(client.http.get(f"/admin/programs/{program_id}/cards?limit=100", headers=bearer(merchant)))["items"]


def test_the_dry_run_reports_every_rows_problems_with_row_numbers_and_writes_no_card(client, merchant, program):
    enroll(client)  # +79160000001: already a member
    answer = upload(client, merchant, program["id"], CSV.encode())
    assert answer.status_code == 201, answer.body
    report = body(answer)
    assert report["status"] == "checked" and report["dry_run"] is True
    assert (report["rows"], report["valid"], report["problem_rows"]) == (7, 2, 5)
    found = {(p["row"], p["code"]) for p in report["problems"]}
    assert found == {(4, "invalid_phone"), (5, "duplicate_phone"), (6, "already_expired"), (7, "unknown_tier"),
                     (8, "already_member")}
    assert len(cards_of(client, merchant, program["id"])) == 1


def test_the_import_runs_through_the_queue_with_import_entries_lots_tier_and_spend(client, merchant, program):
    checked = body(upload(client, merchant, program["id"], CSV.encode()))
    started = client.http.post(f"/admin/programs/{program['id']}/imports/{checked['import_id']}/start",
                               headers=bearer(merchant), body="")
    assert started.status_code == 200, started.body
    done = body(client.http.get(f"/admin/programs/{program['id']}/imports/{checked['import_id']}",
                                headers=bearer(merchant)))
    assert done["status"] == "done" and done["imported"] == 3  # Anna, Boris, and "Existing" (no member yet)
    anna = next(c for c in cards_of(client, merchant, program["id"]) if c["name"] == "Анна Иванова")
    card = body(client.http.get(f"/admin/cards/{anna['id']}", headers=bearer(merchant)))
    assert card["balance"] == 1500 and card["tier"] == "gold"
    ledger = body(client.http.get(f"/admin/cards/{anna['id']}/ledger", headers=bearer(merchant)))["items"]
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in ledger] == [("import", 1500, 1500)]
    from chalicelib.store import cards as card_store

    stored = card_store.get(anna["id"])
    assert [(lot.points, lot.expires_on, lot.source) for lot in card_store.lots_of(stored)] == [
        (1500, "2099-12-31", "import")]
    assert sum(stored.stats["spend"].values()) == 1234550  # 12 345,50 RUB carried over, in kopecks


def test_uploading_the_same_file_again_changes_nothing(client, merchant, program):
    first = body(upload(client, merchant, program["id"], CSV.encode(), dry_run=False))
    assert first["status"] == "done"
    before = cards_of(client, merchant, program["id"])
    again = body(upload(client, merchant, program["id"], CSV.encode(), dry_run=False))
    assert again["status"] == "duplicate" and again["same_as"] == first["import_id"]
    restart = client.http.post(f"/admin/programs/{program['id']}/imports/{first['import_id']}/start",
                               headers=bearer(merchant), body="")
    assert restart.status_code == 200
    assert len(cards_of(client, merchant, program["id"])) == len(before)


def test_a_chunk_worked_twice_creates_each_member_once(client, merchant, program):
    from chalicelib.store import imports as import_store
    from chalicelib.usecases import imports

    first = body(upload(client, merchant, program["id"], CSV.encode(), dry_run=False))
    chunk = import_store.chunk(program["id"], first["import_id"], 0)
    import_store.save_results(chunk, {}, done=False)  # as if the task were redelivered before it finished
    import_store.set_fields(import_store.get(program["id"], first["import_id"]), datetime.now(UTC), status="running")
    counts = imports.work_rows({"program_id": program["id"], "import_id": first["import_id"], "chunk": 0}, UNLIMITED)
    assert counts == {"imported": 0, "already": 3}
    assert len(cards_of(client, merchant, program["id"])) == 3


def test_a_file_in_parts_and_the_csv_report(client, merchant, program):
    content = CSV.encode()
    half = len(content) // 2
    first = body(upload(client, merchant, program["id"], content[:half], more=True))
    assert first["status"] == "uploading"
    url = f"/admin/programs/{program['id']}/imports/{first['import_id']}"
    part = client.http.post(f"{url}/parts", headers=bearer(merchant), body=json.dumps(
        {"part": 2, "content": base64.b64encode(content[half:]).decode()}))
    assert part.status_code == 200, part.body
    assert body(part)["status"] == "checked" and body(part)["valid"] == 3
    report = client.http.get(f"{url}?format=csv", headers=bearer(merchant))
    assert report.headers["Content-Type"].startswith("text/csv")
    lines = report.body.decode().splitlines()
    assert lines[0] == "row,outcome,field,message,card_id"
    assert lines[3].startswith("4,invalid_phone,phone,")


def test_other_merchants_and_analysts_see_no_import(client, merchant, other_merchant, program):
    checked = body(upload(client, merchant, program["id"], CSV.encode()))
    url = f"/admin/programs/{program['id']}/imports/{checked['import_id']}"
    assert client.http.get(url, headers=bearer(other_merchant)).status_code == 404
    assert client.http.get(url, headers=bearer(merchant, "analyst")).status_code == 403


def xlsx(rows: list[list[str]]) -> bytes:
    """A minimal workbook as Excel writes one: shared strings, a sheet with typed cells."""
    strings: list[str] = []

    def cell(ref, value):
        if isinstance(value, int):
            return f'<c r="{ref}"><v>{value}</v></c>'
        strings.append(value)
        return f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>'

    sheet_rows = "".join(
        f'<row r="{r + 1}">' + "".join(cell(f"{chr(65 + c)}{r + 1}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("xl/workbook.xml", f'<workbook {ns} {rel_ns}><sheets><sheet name="Members" sheetId="1" '
                                         'r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
                      '2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x"/>'
                      '</Relationships>')
        book.writestr("xl/worksheets/sheet1.xml", f"<worksheet {ns}><sheetData>{sheet_rows}</sheetData></worksheet>")
        book.writestr("xl/sharedStrings.xml", f"<sst {ns}>" + "".join(f"<si><t>{s}</t></si>" for s in strings)
                      + "</sst>")
    return buffer.getvalue()


def test_an_xlsx_with_excel_dates_is_read_with_the_standard_library(client, merchant, program):
    content = xlsx([["Имя", "Телефон", "Дата рождения", "Баллы"], ["Вера", "+79161000009", 32947, 40]])
    checked = body(upload(client, merchant, program["id"], content, file_format="xlsx", dry_run=False))
    assert checked["status"] == "done" and checked["imported"] == 1, checked
    vera = cards_of(client, merchant, program["id"])[0]
    card = body(client.http.get(f"/admin/cards/{vera['id']}", headers=bearer(merchant)))
    assert card["birthday"] == "1990-03-15" and card["balance"] == 40


def test_a_broken_file_fails_with_a_reason():
    with pytest.raises(Exception, match="XLSX"):
        rules.read_table(b"not a zip", "xlsx")
    with pytest.raises(Exception, match="phone"):
        rules.columns(["name", "email"])


# --- balance = lots = ledger, whatever is imported and bought after ------------------------------------

@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(balances=st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=4),
       totals=st.lists(st.integers(min_value=0, max_value=500_000), max_size=3),
       expires=st.sampled_from(["", "2099-01-01"]))
def test_an_import_and_receipts_keep_balance_lots_and_ledger_equal(aws, balances, totals, expires):
    from chalicelib.store import cards as card_store
    from tests.integrations.test_imports_support import fresh_program, import_rows, post_receipt

    program = fresh_program()
    rows = [[f"Member {i}", f"+7916200{i:04d}", str(balance), expires] for i, balance in enumerate(balances)]
    card_ids = import_rows(program, [["name", "phone", "balance", "expires on"], *rows])
    for index, total in enumerate(totals):
        post_receipt(program, card_ids[index % len(card_ids)], total, f"r{index}")
    for card_id in card_ids:
        card = card_store.get(card_id, consistent=True)
        lots = sum(lot.remaining for lot in card_store.lots_of(card))
        entries, _ = card_store.ledger_page(card_id, 500, None)
        assert int(card.balance) == lots == sum(int(e.amount) for e in entries)


def test_dates_in_the_file_are_read_as_days():
    assert rules._day("15.03.1990") == date(1990, 3, 15)
    assert rules._day("1990-03-15") == date(1990, 3, 15)
    assert rules._day("32947") == date(1990, 3, 15)
    assert rules._day("31.02.1990") is None
    assert rules.minor_units("12 345,50") == 1234550


def test_imported_points_are_outstanding_but_not_issued_in_the_period(client, merchant, program):
    checked = body(upload(client, merchant, program["id"], CSV.encode()))
    client.http.post(f"/admin/programs/{program['id']}/imports/{checked['import_id']}/start",
                     headers=bearer(merchant), body="")
    summary = body(client.http.get(f"/admin/programs/{program['id']}/analytics/summary", headers=bearer(merchant)))
    imported = 1500 + 7  # Anna's and "Existing"'s balances (Boris had none)
    assert summary["outstanding_points"] == imported
    assert summary["points_issued"] == 0
