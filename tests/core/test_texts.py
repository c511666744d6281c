"""The catalogue of customer texts, its plural rules, and the mechanic kinds the rules are told by."""
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from fractions import Fraction
from typing import assert_type

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core import kinds, ledger, mechanics, products, texts
from chalicelib.core import validation as v
from chalicelib.core.kinds import ReceiptLine
from chalicelib.core.kinds.base import Sale
from chalicelib.errors import InvalidInput

RU_POINTS = texts.WORDS["ru"]["points"]


@pytest.mark.parametrize("n, expected", [
    (0, "баллов"), (1, "балл"), (2, "балла"), (4, "балла"), (5, "баллов"), (11, "баллов"), (12, "баллов"),
    (14, "баллов"), (21, "балл"), (22, "балла"), (25, "баллов"), (101, "балл"), (111, "баллов"), (1000, "баллов"),
])
def test_russian_plural(n: int, expected: str) -> None:
    assert texts.plural(n, RU_POINTS, "ru") == expected


@pytest.mark.parametrize("n, expected", [(0, "points"), (1, "point"), (2, "points"), (21, "points")])
def test_english_plural(n: int, expected: str) -> None:
    assert texts.plural(n, texts.WORDS["en"]["points"], "en") == expected


@given(st.integers(0, 10**9))
def test_russian_plural_depends_on_the_last_two_digits(n: int) -> None:
    assert texts.plural(n, RU_POINTS, "ru") == texts.plural(n % 100 + 100, RU_POINTS, "ru")


def test_every_language_has_every_text_and_word() -> None:
    for lang in texts.LANGUAGES:
        assert set(texts.CATALOGUE[lang]) == set(texts.CATALOGUE[texts.DEFAULT_LANGUAGE]), lang
        assert set(texts.WORDS[lang]) >= {"points", "days"}
    for name in kinds.KINDS:  # each registered kind tells its rules in every language
        assert all(f"rules_earn_{name}" in texts.CATALOGUE[lang] for lang in texts.LANGUAGES), name


def test_rules_are_told_from_the_mechanics() -> None:
    gold = mechanics.parse({"tiers": [{"id": "base", "name": "Base", "threshold": 0, "earn_percent": 5},
                                      {"id": "gold", "name": "Gold", "threshold": 100, "earn_percent": 7.5}],
                            "redeem_cap_percent": 30, "lifetime_days": 1})
    assert texts.rules(gold, "gold", "ru") == ("Начисляем 7.5% от суммы покупки баллами.",
                                               "Баллами можно оплатить до 30% чека.", "Баллы сгорают через 1 день.")
    assert texts.rules_text(gold, None, "en") == ("You earn 5% of every purchase in points. Points can pay up to "
                                                  "30% of a receipt. Points expire after 1 day.")
    forever = replace(gold, lifetime_days=None)
    assert texts.rules(forever, "base", "en") == (  # nothing about expiry when points never expire
        "You earn 5% of every purchase in points.", "Points can pay up to 30% of a receipt.")
    cashback = replace(gold, kind="cashback")
    assert texts.rules(cashback, "gold", "en")[0] == "You get 7.5% of every purchase back as cashback in points."
    assert texts.rules(gold, "base", "de") == texts.rules(gold, "base", "ru")  # unknown languages: the default


def test_trigger_messages_read_right_whatever_the_number() -> None:
    assert texts.expiry_warning(21, date(2026, 3, 5), today=date(2026, 2, 26)) == {
        "ru": "Баллы сгорают 5 марта: 21 балл. Успейте потратить!",
        "en": "Points expire on 5 March: 21 points. Use them in time!"}
    assert texts.expiry_warning(1, date(2027, 1, 2), today=date(2026, 12, 26))["en"] == (
        "Points expire on 2 January 2027: 1 point. Use them in time!")  # another year: said with it
    assert texts.birthday_gift(10, "Аня") == {"ru": "С днём рождения, Аня! Дарим вам 10 баллов.",
                                              "en": "Happy birthday, Аня! A gift from us: 10 points."}
    assert texts.winback_offer(1, None) == {"ru": "Мы соскучились, друг! Возвращайтесь: дарим вам 1 балл.",
                                            "en": "We miss you, friend! Come back for a gift: 1 point."}


def test_kinds_are_registered_by_name_and_validated() -> None:
    assert set(mechanics.KINDS) == set(kinds.KINDS) == {"points", "cashback", "stamps", "discount"}
    assert all(kinds.kind_named(name).name == name for name in kinds.KINDS)


@given(st.integers(0, 10**10), st.integers(0, 10_000), st.integers(1, 100_000))
def test_points_and_cashback_earn_alike(paid: int, earn_bp: int, point_value: int) -> None:
    program = mechanics.Mechanics(point_value=point_value, tiers=(mechanics.Tier("base", "Base", 0, earn_bp),))
    tier = program.tiers[0]
    expected = paid * earn_bp // 10_000 // point_value  # the formula the README gives
    whole = products.price(program, tier, Sale(paid, (), date(2026, 1, 1), "2026-01-01", "r"))  # no lines
    assert kinds.kind_named("points").earn(program, tier, whole, (Fraction(paid),)) == (expected,)
    assert kinds.kind_named("cashback").earn(program, tier, whole, (Fraction(paid),)) == (expected,)


def test_a_receipt_passes_its_lines_to_the_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Sequence[int | None]] = []

    class Counting:
        name = "points"
        spends_points = True

        def earn(self, program: mechanics.Mechanics, tier: mechanics.Tier, pricing: products.Pricing,
                 paid: Sequence[Fraction]) -> tuple[int, ...]:
            seen.append([line.index for line in pricing.lines])
            return tuple(1 if index == 0 else 0 for index in range(len(pricing.lines)))

        def discount(self, program: mechanics.Mechanics, tier: mechanics.Tier, pricing: products.Pricing) -> int:
            return 0

        def earn_phrase(self, program: mechanics.Mechanics, tier: mechanics.Tier) -> kinds.Phrase:
            return kinds.Phrase("rules_earn_points", {"earn": 0})

    monkeypatch.setitem(kinds.KINDS, "points", Counting())
    lines = (ReceiptLine(sku="A1", name="Latte", qty=2, amount=40000),)
    state = ledger.CardState(balance=0, lots=(), tier="base")
    outcome = ledger.receipt(state, mechanics.Mechanics(), total=40000, redeem=0, today=date(2026, 1, 1),
                             lot_id="l1", receipt_ref="r1", lines=lines)
    assert outcome.earned == 1 and seen == [[0]]  # the receipt's one line, priced
    ledger.receipt(state, mechanics.Mechanics(), total=100, redeem=0, today=date(2026, 1, 1), lot_id="l2",
                   receipt_ref="r2")
    assert seen[-1] == [None]  # no lines sent: the kind gets the whole receipt as one line


def test_readers_are_typed_by_what_the_caller_asks() -> None:
    n, percent, basis_points = 5, 5.25, 525
    data: dict[str, object] = {"n": n, "s": " x ", "b": True, "p": percent}
    assert assert_type(v.read_int(data, "n", required=True), int) == n
    assert assert_type(v.read_int(data, "missing", default=0), int) == 0
    assert assert_type(v.read_int(data, "missing"), int | None) is None
    assert assert_type(v.read_str(data, "s", required=True), str) == "x"
    assert assert_type(v.read_str(data, "missing", default="d"), str) == "d"
    assert assert_type(v.read_bool(data, "b", default=False), bool) is True
    assert assert_type(v.read_percent(data, "p", required=True), int) == basis_points


def _russian_points(n: int) -> str:
    """The Russian form by the grammar book's wording, independently of `texts.plural`: a number ending
    in 1 (but not 11) takes «балл», one ending in 2, 3 or 4 (but not 12-14) «балла», the rest «баллов»."""
    last_two = f"{n:02d}"[-2:]
    if last_two[0] == "1":
        return "баллов"
    return {"1": "балл", "2": "балла", "3": "балла", "4": "балла"}.get(last_two[1], "баллов")


@pytest.mark.parametrize("n, expected", [(1, "1 балл"), (2, "2 балла"), (5, "5 баллов"), (11, "11 баллов"),
                                         (21, "21 балл"), (101, "101 балл"), (111, "111 баллов")])
def test_the_issues_examples(n: int, expected: str) -> None:
    assert texts.count(n, "points", "ru") == expected


def test_every_text_with_a_number_agrees_with_it_from_0_to_1000() -> None:
    day, today = date(2026, 12, 31), date(2026, 12, 1)
    for n in range(1001):
        counted = f"{n} {_russian_points(n)}"
        english = f"{n} {'point' if n == 1 else 'points'}"
        verb = "сгорит" if _russian_points(n) == "балл" else "сгорят"
        assert texts.expiry_line(n, day, "ru", today) == f"{counted} {verb} 31 декабря", n
        assert texts.expiry_line(n, day, "en", today).startswith(f"{english} expire"), n
        for message in (texts.birthday_gift(n, "Аня"), texts.winback_offer(n, "Аня"),
                        texts.expiry_warning(n, day, today=today)):
            assert counted in message["ru"] and english in message["en"], (n, message)
        assert texts.text("telegram_balance", "ru", program="P", balance=n, points=texts.word(n, "points", "ru"),
                          available=n, tier="T").startswith(f"«P»: {counted},")


def test_owners_texts_fill_their_placeholders_with_counted_points() -> None:
    own = {"expiry_warning": {"ru": "{date} сгорит часть баллов — {points}", "en": "{points} go on {date}"}}
    assert texts.expiry_warning(3, date(2026, 5, 9), own, today=date(2026, 5, 2)) == {
        "ru": "9 мая сгорит часть баллов — 3 балла", "en": "3 points go on 9 May"}
    assert texts.birthday_gift(5, "Ян", {"birthday_gift": {"en": "{name}: {bonus}"}}) == {
        "ru": "С днём рождения, Ян! Дарим вам 5 баллов.", "en": "Ян: 5 points"}  # ru: the default


def test_owners_texts_may_use_only_their_triggers_placeholders() -> None:
    with pytest.raises(InvalidInput) as refused:
        texts.parse_messages({"winback_offer": {"en": "Hi {name}, {name.__class__}"}})
    assert refused.value.field == "messages.winback_offer.en" and refused.value.code == "unknown_placeholder"
    kept = texts.parse_messages({"winback_offer": {"en": "Hi {name}"}}, {"birthday_gift": {"ru": "{bonus}"}})
    assert kept == {"winback_offer": {"en": "Hi {name}"}, "birthday_gift": {"ru": "{bonus}"}}
    assert texts.parse_messages({"birthday_gift": {"ru": ""}}, kept) == {"winback_offer": {"en": "Hi {name}"}}
