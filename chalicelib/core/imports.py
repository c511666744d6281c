"""Moving a base in: reading a CSV or XLSX of existing members and checking every row, pure Python.

A file is a header row and one row per member. Columns are found by their header, in English or Russian
(`HEADERS`), in any order and case; unknown columns are ignored. Every row is checked on its own
(`check_row`) and against the rows before it (`Duplicates`): what is wrong is a `Problem` with the row's
number as a spreadsheet shows it (the header is row 1). Nothing here reads the store: whether a phone or a
card number is already a member's is asked by the use case."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree

from chalicelib.core import card_number
from chalicelib.core import phone as phones
from chalicelib.core.enrollment import EMAIL_PATTERN
from chalicelib.errors import AppError, InvalidInput

MAX_ROWS = 200_000
MAX_FILE_BYTES = 40 * 1024 * 1024  # the joined parts of one upload
MAX_CELL = 200
MAX_BALANCE = 10_000_000  # as a manual adjustment may give at most (core.mechanics.MAX_POINTS)
MAX_SPEND = 10**12  # minor units, as a receipt's total

# Our field -> the headers that mean it (compared lower-cased, with spaces, '-' and '_' dropped).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "customer", "имя", "фио", "клиент", "покупатель"),
    "phone": ("phone", "phonenumber", "mobile", "телефон", "мобильный", "номертелефона"),
    "email": ("email", "mail", "почта", "электроннаяпочта", "емейл"),
    "birthday": ("birthday", "birthdate", "dateofbirth", "деньрождения", "датарождения"),
    "card_number": ("card", "cardnumber", "номеркарты", "карта"),
    "balance": ("balance", "points", "bonuses", "баланс", "бонусы", "баллы"),
    "expires_on": ("expireson", "expires", "pointsexpire", "сгорают", "датасгорания"),
    "tier": ("tier", "level", "уровень", "статус"),
    "spend": ("spend", "totalspend", "total", "суммапокупок", "оборот"),
}
_ALIASES = {alias: name for name, aliases in HEADERS.items() for alias in aliases}
_EMAIL = re.compile(EMAIL_PATTERN)
_MONEY = re.compile(r"-?\d+(?:[.,]\d{1,2})?")


@dataclass(frozen=True)
class Problem:
    row: int
    field: str | None
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Member:
    """One row, checked: what the new card will hold. `spend` is in minor units."""

    row: int
    name: str
    phone: str
    email: str | None
    birthday: str | None
    card_number: str | None
    balance: int
    expires_on: str | None
    tier: str | None
    spend: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Member:
        return cls(**data)


# --- reading the file ----------------------------------------------------------------------------

def read_table(content: bytes, file_format: str) -> list[list[str]]:
    """The file's rows of cells (the header first), or 400 `invalid_file` saying why it cannot be read."""
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB.", code="file_too_large")
    rows = read_xlsx(content) if file_format == "xlsx" else read_csv(content)
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise InvalidInput("The file has no rows.", code="invalid_file")
    if len(rows) - 1 > MAX_ROWS:
        raise InvalidInput(f"At most {MAX_ROWS} members in one file.", code="too_many")
    return rows


def read_csv(content: bytes) -> list[list[str]]:
    """UTF-8 (with or without a BOM), or Windows-1251 as Excel saves Russian CSVs; `,`, `;` or tab."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1251")
        except UnicodeDecodeError:
            raise InvalidInput("The CSV is neither UTF-8 nor Windows-1251 text.", code="invalid_file") from None
    if "\x00" in text:
        raise InvalidInput("The CSV holds a NUL character: is it really a CSV?", code="invalid_file")
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as error:
        raise InvalidInput(f"The CSV could not be read: {error}.", code="invalid_file") from None


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAX_XML = 200 * 1024 * 1024  # uncompressed: a zip bomb stops here


def read_xlsx(content: bytes) -> list[list[str]]:
    """The first worksheet of an XLSX (a zip of XML parts) as text cells; dates stay Excel's day numbers,
    which `check_row` reads as dates. Only the standard library: zipfile and ElementTree."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            if sum(info.file_size for info in book.infolist()) > _MAX_XML:
                raise InvalidInput("The XLSX unpacks to more than 200 MB.", code="invalid_file")
            shared = _shared_strings(book)
            return list(_sheet_rows(book.read(_first_sheet(book)), shared))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError):
        raise InvalidInput("The XLSX could not be read: save it again from Excel or send a CSV.",
                           code="invalid_file") from None


def _first_sheet(book: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheet = workbook.find("m:sheets/m:sheet", _NS)
    if sheet is None:
        raise ValueError("no sheet")
    rel_id = sheet.get(_REL)
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    for rel in rels:
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else "xl/" + target
    raise ValueError("no sheet target")


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    try:
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
    except KeyError:
        return []
    return ["".join(t.text or "" for t in item.iter(f"{{{_NS['m']}}}t")) for item in root.findall("m:si", _NS)]


def _column(ref: str) -> int:
    index = 0
    for char in ref:
        if not char.isalpha():
            break
        index = index * 26 + (ord(char.upper()) - 64)
    return index - 1


def _sheet_rows(xml: bytes, shared: list[str]) -> Iterator[list[str]]:
    root = ElementTree.fromstring(xml)
    for row in root.iterfind("m:sheetData/m:row", _NS):
        cells: dict[int, str] = {}
        for position, cell in enumerate(row.findall("m:c", _NS)):
            column = _column(cell.get("r", "")) if cell.get("r") else position
            kind = cell.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{{{_NS['m']}}}t"))
            else:
                raw = cell.find("m:v", _NS)
                text = raw.text if raw is not None and raw.text is not None else ""
                value = shared[int(text)] if kind == "s" and text else text
            cells[column] = value
        if cells:
            yield [cells.get(i, "") for i in range(max(cells) + 1)]


# --- the header ------------------------------------------------------------------------------------

def _key(header: str) -> str:
    return re.sub(r"[\s\-_.]", "", header.strip().lower())


def columns(header: list[str], names: dict[str, str] | None = None) -> dict[str, int]:
    """Our field -> its column. `names` (field -> header) overrides the usual names. A file without a name
    or phone column is 400 `missing_column`."""
    wanted = {_key(h): field for field, h in (names or {}).items()}
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        field = wanted.get(_key(raw)) or _ALIASES.get(_key(raw))
        if field and field not in found:
            found[field] = index
    for needed in ("name", "phone"):
        if needed not in found:
            raise InvalidInput(f"The file has no '{needed}' column (the first row names the columns).",
                               code="missing_column", field=needed)
    return found


# --- checking one row ------------------------------------------------------------------------------

_EXCEL_EPOCH = date(1899, 12, 30)


def _day(text: str) -> date | None:
    """YYYY-MM-DD, DD.MM.YYYY, or an Excel day number (an XLSX date cell)."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        if re.fullmatch(r"\d{1,6}(?:\.0+)?", text):
            return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    except (ValueError, OverflowError):
        return None
    return None


def _cell(row: list[str], where: dict[str, int], field: str) -> str:
    index = where.get(field)
    return row[index].strip() if index is not None and index < len(row) else ""


def minor_units(text: str) -> int | None:
    """'12 345,50' or '12345.5' (major units, at most two decimals) -> 1234550, exactly (no floats)."""
    clean = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if not _MONEY.fullmatch(clean):
        return None
    try:
        value = Decimal(clean.replace(",", ".")) * 100
    except InvalidOperation:
        return None
    return int(value)


class _Row:
    """One row's cells and the problems found in them so far."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number, self.cells, self.problems = number, cells, list[Problem]()

    def problem(self, field: str, code: str, message: str) -> None:
        self.problems.append(Problem(self.number, field, code, message))

    def phone(self, country: str) -> str:
        try:
            return phones.normalise(self.cells["phone"], country)
        except AppError:
            self.problem("phone", "invalid_phone", f"Not a phone number: '{self.cells['phone'][:40]}'.")
            return ""

    def email(self) -> str | None:
        email = self.cells["email"].lower() or None
        if email and not _EMAIL.fullmatch(email):
            self.problem("email", "invalid_email", "Not an e-mail address.")
        return email

    def birthday(self, today: date) -> str | None:
        if not self.cells["birthday"]:
            return None
        day = _day(self.cells["birthday"])
        if day is None or day > today or day.year < today.year - 120:
            self.problem("birthday", "invalid_date",
                         "The birthday must be a real past date (YYYY-MM-DD or DD.MM.YYYY).")
            return None
        return day.isoformat()

    def card_number(self) -> str | None:
        if not self.cells["card_number"]:
            return None
        number = card_number.normalise(self.cells["card_number"])
        if number is None:
            self.problem("card_number", "invalid_card_number",
                         "Card numbers here are 12 digits with a check digit; leave the cell empty for a new number.")
        return number

    def balance(self) -> int:
        text = self.cells["balance"]
        if not text:
            return 0
        if re.fullmatch(r"\d{1,8}", text) and int(text) <= MAX_BALANCE:
            return int(text)
        self.problem("balance", "invalid_balance", f"The balance must be whole points from 0 to {MAX_BALANCE}.")
        return 0

    def expires_on(self, today: date) -> str | None:
        if not self.cells["expires_on"]:
            return None
        day = _day(self.cells["expires_on"])
        if day is None:
            self.problem("expires_on", "invalid_date", "The expiry must be a date (YYYY-MM-DD or DD.MM.YYYY).")
        elif day <= today:
            self.problem("expires_on", "already_expired", "These points have already expired.")
        else:
            return day.isoformat()
        return None

    def tier(self, tiers: tuple[tuple[str, str], ...]) -> str | None:
        if not self.cells["tier"]:
            return None
        tier = _tier(self.cells["tier"], tiers)
        if tier is None:
            self.problem("tier", "unknown_tier", f"No such tier in this program: '{self.cells['tier'][:40]}' "
                                                 f"(the program's tiers: {', '.join(t[0] for t in tiers)}).")
        return tier

    def spend(self) -> int:
        if not self.cells["spend"]:
            return 0
        amount = minor_units(self.cells["spend"])
        if amount is None or amount < 0 or amount > MAX_SPEND:
            self.problem("spend", "invalid_amount", "The total spend must be an amount of money like 12345.50.")
            return 0
        return amount


def check_row(number: int, row: list[str], where: dict[str, int], *, country: str,
              tiers: tuple[tuple[str, str], ...], today: date) -> tuple[Member | None, list[Problem]]:
    """One row as a member, or the problems that keep it out (every one of them, not just the first)."""
    cells = _Row(number, {field: _cell(row, where, field) for field in HEADERS})
    if any(len(value) > MAX_CELL for value in cells.cells.values()):
        cells.problem("row", "invalid_length", f"A cell is longer than {MAX_CELL} characters.")
    name = cells.cells["name"]
    if not name:
        cells.problem("name", "required", "The name is empty.")
    member = Member(number, name, cells.phone(country), cells.email(), cells.birthday(today), cells.card_number(),
                    cells.balance(), cells.expires_on(today), cells.tier(tiers), cells.spend())
    return (None, cells.problems) if cells.problems else (member, [])


def _tier(text: str, tiers: tuple[tuple[str, str], ...]) -> str | None:
    """A tier by its id or its name, in any case; `tiers` is (id, name) of each."""
    for tier_id, name in tiers:
        if text.lower() in (tier_id.lower(), name.lower()):
            return tier_id
    return None


class Duplicates:
    """Phones and card numbers seen earlier in the same file."""

    def __init__(self) -> None:
        self.phones: dict[str, int] = {}
        self.numbers: dict[str, int] = {}

    def check(self, member: Member) -> list[Problem]:
        problems = []
        first = self.phones.setdefault(member.phone, member.row)
        if first != member.row:
            problems.append(Problem(member.row, "phone", "duplicate_phone", f"The same phone as row {first}."))
        if member.card_number:
            first = self.numbers.setdefault(member.card_number, member.row)
            if first != member.row:
                problems.append(Problem(member.row, "card_number", "duplicate_card_number",
                                        f"The same card number as row {first}."))
        return problems
