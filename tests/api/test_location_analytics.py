"""Analytics by location (README "Analytics by location"): a two-location chain with receipts at each, receipts
without a location, a refund at location 1, and cards homed at each. Every figure is computed here again from
what the test did and compared with what the routes answer: the summary and daily series by location, the
comparison whose rows and "unassigned" add up to the program's totals, segments and their cards by home, the
nightly fold of the location partitions (one taken off the list included), the experiment report by the home
at exposure, and the exports' location columns."""
import csv
import io
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.core import clock
from chalicelib.core.locations import Location
from chalicelib.store import analytics as analytics_store
from chalicelib.store import programs as program_store
from chalicelib.store import staff as staff_store
from chalicelib.store.models import AnalyticsItem, Assignment
from chalicelib.store.staff import Member
from chalicelib.usecases import analytics, enrollment, pos
from chalicelib.usecases import experiments as experiment_cases
from tests.conftest import bearer, body

L1, L2 = "loc_centre", "loc_station"
DAYS_AGO = 5  # the history's day: old enough for the nightly fold (two days back), inside the default period


@dataclass
class Chain:
    """What the test did, to compute every figure again."""

    program_id: str
    day: str  # the program-local day of every sale
    now: datetime  # the moment of the sales
    cards: dict[str, str] = field(default_factory=dict)  # name -> card id
    numbers: dict[str, str] = field(default_factory=dict)  # name -> card number
    sales: list[tuple[str | None, str | None, int, int]] = field(default_factory=list)  # (location, card, paid, earned)
    # (location, card, money back, points taken back)
    refunds: list[tuple[str | None, str | None, int, int]] = field(default_factory=list)

    def figures(self, location):
        """receipts, revenue, member receipts and revenue, refunds, refunded and points earned net, `location`:
        one location, "all": every sale, None: the sales without a location."""
        def at(where):
            return location in ("all", where)
        sales = [sale for sale in self.sales if at(sale[0])]
        refunds = [refund for refund in self.refunds if at(refund[0])]
        refunded = sum(refund[2] for refund in refunds)
        member_refunded = sum(refund[2] for refund in refunds if refund[1])
        return {"receipts": len(sales), "revenue": sum(sale[2] for sale in sales) - refunded,
                "member_receipts": sum(1 for sale in sales if sale[1]),
                "member_revenue": sum(sale[2] for sale in sales if sale[1]) - member_refunded,
                "refunds": len(refunds), "refunded": refunded,
                "points_issued": sum(sale[3] for sale in sales) - sum(refund[3] for refund in refunds)}


def _program(program_id):
    return program_store.get(program_id)


def _sell(chain, receipt_id, total, *, card=None, location=None):
    program = _program(chain.program_id)
    data = {"receipt_id": receipt_id, "total": total, **({"card": chain.numbers[card]} if card else {})}
    command = replace(RecordReceipt.parse(data, program, chain.now), location_id=location)
    answer = pos.record_receipt(command, program, chain.now).response
    chain.sales.append((location, card, total, answer["earned"] if card else 0))
    return answer


@pytest.fixture
def chain(client, merchant, program):
    """Two locations (the second closed later in some tests), four cards: Anna and Boris homed at location 1
    (their first purchase there; Boris buys at location 2 as well), Vera homed at location 2, Gleb with no
    purchase and no home; anonymous receipts at location 1 and without a location; a refund at location 1."""
    now = datetime.now(UTC) - timedelta(days=DAYS_AGO)
    stored = _program(program["id"])
    locations = [Location(L1, "Centre", latitude=55.75, longitude=37.61).to_json(),
                 Location(L2, "Station", latitude=55.77, longitude=37.65).to_json()]
    program_store.save_changes(stored, {"locations": locations}, now)
    made = Chain(program["id"], clock.local_day(now, stored.timezone).isoformat(), now)
    joined = now - timedelta(hours=1)
    for index, name in enumerate(("anna", "boris", "vera", "gleb")):
        card = enrollment.enroll(_program(program["id"]), {"name": name.title(), "consent": True,
                                                            "phone": f"+7916555000{index}"}, joined, "en")
        made.cards[name], made.numbers[name] = card.card_id, card.number
    _sell(made, "r1", 100_000, card="anna", location=L1)
    _sell(made, "r2", 200_000, card="boris", location=L1)
    _sell(made, "r3", 50_000, card="vera", location=L2)
    _sell(made, "r4", 70_000, card="boris", location=L2)
    _sell(made, "r5", 30_000, location=L1)
    _sell(made, "r6", 10_000)
    _sell(made, "r7", 40_000, card="anna")
    refund = pos.record_refund(RecordRefund.parse({"refund_id": "f1", "receipt_id": "r1", "amount": 25_000}),
                               _program(program["id"]), now).response
    made.refunds.append((L1, "anna", 25_000, refund["points_reversed"]))
    return made


def _get(client, merchant, path, role="owner"):
    return client.http.get(path, headers=bearer(merchant, role))


def _analytics(client, merchant, chain, what, query=""):
    answer = _get(client, merchant, f"/admin/programs/{chain.program_id}/analytics/{what}{query}")
    assert answer.status_code == 200, answer.body
    return body(answer)


def test_the_summary_of_a_location_counts_its_sales_and_the_members_whose_home_it_is(client, merchant, chain):
    summary = _analytics(client, merchant, chain, "summary", f"?location_id={L1}")
    expected = chain.figures(L1)
    assert expected["receipts"] == 3 and expected["revenue"] == 100_000 + 200_000 + 30_000 - 25_000
    for name in ("receipts", "revenue", "member_receipts", "member_revenue", "refunds", "refunded", "points_issued"):
        assert summary[name] == expected[name], name
    assert summary["location_id"] == L1
    # members: Anna and Boris (home: location 1), over all their purchases (Boris's at location 2, Anna's
    # without a location count too)
    assert summary["members"] == 2 and summary["buyers"] == 2
    assert summary["frequency"] == 2.0  # r1, r7 (Anna) and r2, r4 (Boris): 4 receipts, 2 buyers
    assert summary["repeat_rate"] == 100.0
    lifetime = (100_000 - 25_000 + 40_000) + (200_000 + 70_000)
    assert summary["ltv"] == round(lifetime / 2)
    balances = sum(int(body(_get(client, merchant, f"/admin/cards/{chain.cards[name]}"))["balance"])
                   for name in ("anna", "boris"))
    assert summary["outstanding_points"] == balances > 0

    second = _analytics(client, merchant, chain, "summary", f"?location_id={L2}")
    assert (second["receipts"], second["revenue"], second["members"], second["buyers"]) == (2, 120_000, 1, 1)
    whole = _analytics(client, merchant, chain, "summary")
    assert whole["location_id"] is None
    assert (whole["receipts"], whole["revenue"], whole["members"]) == (7, chain.figures("all")["revenue"], 4)


def test_the_daily_series_of_a_location(client, merchant, chain):
    daily = _analytics(client, merchant, chain, "daily", f"?location_id={L2}")
    rows = {row["day"]: row for row in daily["days"]}
    assert rows[chain.day]["receipts"] == 2 and rows[chain.day]["revenue"] == 120_000
    assert rows[chain.day]["member_share"] == 100.0
    assert sum(row["receipts"] for row in daily["days"]) == 2
    first = {row["day"]: row for row in _analytics(client, merchant, chain, "daily", f"?location_id={L1}")["days"]}
    assert first[chain.day]["revenue"] == chain.figures(L1)["revenue"]
    assert first[chain.day]["member_revenue"] == chain.figures(L1)["member_revenue"]


def test_the_comparison_adds_up_to_the_program(client, merchant, chain):
    compared = _analytics(client, merchant, chain, "locations")
    rows = {row["location_id"]: row for row in compared["items"]}
    assert [row["location_id"] for row in compared["items"]] == [L1, L2]  # the owner's order
    assert rows[L1]["name"] == "Centre" and rows[L1]["status"] == "open"
    for location in (L1, L2):
        expected = chain.figures(location)
        for name in ("receipts", "revenue", "member_revenue", "refunds", "refunded", "points_issued"):
            assert rows[location][name] == expected[name], (location, name)
    assert rows[L1]["members"] == 2 and rows[L2]["members"] == 1
    assert rows[L2]["aov"] == 60_000 and rows[L2]["member_share"] == 100.0
    unassigned = compared["unassigned"]
    assert (unassigned["receipts"], unassigned["revenue"], unassigned["member_revenue"]) == (2, 50_000, 40_000)
    assert unassigned["members"] == 1  # Gleb: no purchase, no home
    whole = _analytics(client, merchant, chain, "summary")
    for name in ("receipts", "revenue", "member_revenue", "refunds", "refunded", "points_issued", "points_redeemed",
                 "new_members", "members"):
        assert sum(row[name] for row in compared["items"]) + unassigned[name] == whole[name], name
    assert compared["items_read"]["cards"] == 4


def test_segments_by_location_hold_only_its_homed_cards(client, merchant, chain):
    segments = _analytics(client, merchant, chain, "segments", f"?location_id={L1}")
    whole = _analytics(client, merchant, chain, "segments")
    assert segments["members"] == 2 and whole["members"] == 4 and segments["location_id"] == L1
    assert segments["thresholds"] == whole["thresholds"]  # the program's thresholds
    listed = set()
    for name, count in segments["lifecycle"].items():
        if count:
            cards = _analytics(client, merchant, chain, f"segments/{name}/cards", f"?location_id={L1}")["items"]
            assert len(cards) == count
            assert {card["home_location"] for card in cards} == {L1}
            listed |= {card["id"] for card in cards}
    assert listed == {chain.cards["anna"], chain.cards["boris"]}
    second = _analytics(client, merchant, chain, "segments", f"?location_id={L2}")
    assert second["members"] == 1


def test_an_unknown_location_and_another_merchants_program_are_not_found(client, merchant, other_merchant, chain):
    base = f"/admin/programs/{chain.program_id}/analytics"
    for path in (f"{base}/summary?location_id=nowhere", f"{base}/daily?location_id=nowhere",
                 f"{base}/segments?location_id=nowhere", f"{base}/segments/active/cards?location_id=nowhere",
                 f"{base}/summary?location_id={'x' * 5000}", f"{base}/summary?location_id=%00%0A"):
        answer = _get(client, merchant, path)
        assert answer.status_code == 404, path
        assert body(answer)["error"]["code"] == "location_not_found"
        assert body(answer)["error"]["field"] == "location_id"
    for path in (f"{base}/locations", f"{base}/summary?location_id={L1}", f"{base}/segments?location_id={L1}"):
        answer = _get(client, other_merchant, path)
        assert answer.status_code == 404, path
        assert body(answer)["error"]["code"] != "location_not_found"  # the program itself is not theirs
    assert _get(client, merchant, f"{base}/locations", role="analyst").status_code == 200


def test_a_closed_location_still_answers(client, merchant, chain):
    program = _program(chain.program_id)
    closed = [{**item, "status": "closed"} if item["id"] == L2 else item for item in program.locations]
    program_store.save_changes(program, {"locations": closed}, datetime.now(UTC))
    summary = _analytics(client, merchant, chain, "summary", f"?location_id={L2}")
    assert summary["revenue"] == 120_000
    rows = {row["location_id"]: row for row in _analytics(client, merchant, chain, "locations")["items"]}
    assert rows[L2]["status"] == "closed" and rows[L2]["revenue"] == 120_000


def _shards(scope):
    return [item.item_key for item in AnalyticsItem.query(scope) if item.item_key.startswith("s#")]


def test_the_nightly_fold_folds_the_locations_and_keeps_their_numbers(client, merchant, chain):
    before = {location: _analytics(client, merchant, chain, "summary", f"?location_id={location}")
              for location in (L1, L2)}
    compared = _analytics(client, merchant, chain, "locations")
    # a night that sees both locations listed, before the sales' day has closed: nothing folded yet
    program = _program(chain.program_id)
    analytics.nightly(program, chain.now + timedelta(hours=2))
    assert _shards(analytics_store.scope(chain.program_id, L2))
    # location 2 taken off the list: its partition is still folded, from the nights that saw it
    program_store.save_changes(program, {"locations": [item for item in program.locations if item["id"] == L1]},
                               datetime.now(UTC))
    done = analytics.nightly(_program(chain.program_id), datetime.now(UTC))
    assert done["locations"] == 2 and done["location_days_folded"] == 2
    for location in (L1, L2):
        scope = analytics_store.scope(chain.program_id, location)
        assert _shards(scope) == []
        assert AnalyticsItem.get(scope, f"d#{chain.day}").revenue == chain.figures(location)["revenue"]
    after = _analytics(client, merchant, chain, "summary", f"?location_id={L1}")
    for name in ("receipts", "revenue", "member_revenue", "refunded", "points_issued", "members", "ltv"):
        assert after[name] == before[L1][name], name
    # the location no longer listed is no longer compared: its numbers count as unassigned
    again = _analytics(client, merchant, chain, "locations")
    assert [row["location_id"] for row in again["items"]] == [L1]
    assert again["unassigned"]["revenue"] == compared["unassigned"]["revenue"] + 120_000
    assert again["items"][0]["revenue"] == compared["items"][0]["revenue"]


def _csv(client, merchant, chain, kind):
    answer = _get(client, merchant, f"/admin/programs/{chain.program_id}/exports/{kind}")
    assert answer.status_code == 200, answer.body
    return list(csv.DictReader(io.StringIO(answer.body.decode())))


def test_exports_carry_the_home_location_and_the_receipts_location(client, merchant, chain):
    rows = _csv(client, merchant, chain, "cards")
    # the new columns come last: no older column moves (the owner's export has the contacts before them)
    assert list(rows[0])[-5:] == ["phone", "email", "birthday", "home_location", "home_location_name"]
    cards = {row["id"]: row for row in rows}
    assert cards[chain.cards["anna"]]["home_location"] == L1
    assert cards[chain.cards["anna"]]["home_location_name"] == "Centre"
    assert cards[chain.cards["vera"]]["home_location_name"] == "Station"
    assert cards[chain.cards["gleb"]]["home_location"] == "" == cards[chain.cards["gleb"]]["home_location_name"]
    receipt_rows = _csv(client, merchant, chain, "receipts")
    assert list(receipt_rows[0])[-3:] == ["location_id", "actor", "actor_email"]
    receipts = {(row["kind"], row["id"]): row for row in receipt_rows}
    assert receipts[("receipt", "r3")]["location_id"] == L2
    assert receipts[("receipt", "r6")]["location_id"] == ""
    assert receipts[("refund", "f1")]["location_id"] == L1  # a refund counts at its sale's location
    assert {row["actor"] for row in receipts.values()} == {""} == {row["actor_email"] for row in receipts.values()}


def test_a_cashiers_receipt_names_the_cashier_in_the_export(client, merchant, chain):
    """`actor` is the staff id; `actor_email` the staff member's e-mail (from the merchant's staff list; empty
    for someone no longer on it)."""
    program = _program(chain.program_id)
    stamp = chain.now.isoformat()
    staff_store.insert(Member(merchant_id=program.merchant_id, staff_id="staff_cashier_1", username="olga@example.com",
                              email="olga@example.com", name=None, role="cashier", status="active", language="ru",
                              created_at=stamp, created_by=None, updated_at=stamp, locations=(L2,)))
    for receipt_id, actor in (("t1", "staff_cashier_1"), ("t2", "staff_gone")):
        command = replace(RecordReceipt.parse({"receipt_id": receipt_id, "total": 5_000}, program, chain.now),
                          location_id=L2, actor=actor)
        pos.record_receipt(command, program, chain.now)
    receipts = {row["id"]: row for row in _csv(client, merchant, chain, "receipts")}
    assert (receipts["t1"]["location_id"], receipts["t1"]["actor"], receipts["t1"]["actor_email"]) == (
        L2, "staff_cashier_1", "olga@example.com")
    assert (receipts["t2"]["actor"], receipts["t2"]["actor_email"]) == ("staff_gone", "")


def test_an_experiment_reports_by_the_home_at_exposure(client, merchant, program, chain):
    # more cards homed at each location, then a campaign with a holdout sent to every card
    for index in range(12):
        name = f"extra{index}"
        card = enrollment.enroll(_program(chain.program_id), {"name": "X", "consent": True,
                                                              "phone": f"+7916777{index:04d}"}, chain.now, "en")
        chain.cards[name], chain.numbers[name] = card.card_id, card.number
        _sell(chain, f"x{index}", 10_000, card=name, location=L1 if index % 2 else L2)
    homes = {name: (L1 if name in ("anna", "boris") or (name.startswith("extra") and int(name[5:]) % 2) else
                    L2 if name == "vera" or name.startswith("extra") else None) for name in chain.cards}
    created = client.http.post(f"/admin/programs/{program['id']}/campaigns", headers=bearer(merchant),
                               body=json.dumps({"name": "Come back", "texts": {"ru": "Ждём!", "en": "Come!"},
                                                "bonus": 50, "holdout_percent": 40}))
    assert created.status_code == 201, created.body
    campaign = body(created)
    sent = client.http.post(f"/admin/programs/{program['id']}/campaigns/{campaign['id']}/send",
                            headers=bearer(merchant))
    assert sent.status_code == 200, sent.body
    base = f"/admin/programs/{program['id']}/experiments/{campaign['id']}"
    whole = body(_get(client, merchant, f"{base}/report"))
    assert sum(group["cards"] for group in whole["groups"]) == len(chain.cards)
    for location in (L1, L2):
        answer = _get(client, merchant, f"{base}/report?location_id={location}")
        assert answer.status_code == 200, answer.body
        report = body(answer)
        assert report["location_id"] == location
        assert sum(group["cards"] for group in report["groups"]) == sum(
            1 for home in homes.values() if home == location)
        assert report["items_read"]["assignments"] == len(chain.cards)  # every assignment read, some kept
    missing = _get(client, merchant, f"{base}/report?location_id=nowhere")
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "location_not_found"
    rows = list(csv.DictReader(io.StringIO(_get(client, merchant, f"{base}/export").body.decode())))
    by_number = {row["card"]: row["location_id"] for row in rows}
    assert {by_number[chain.numbers[name]] or None for name in chain.cards} == {L1, L2, None}
    assert all(by_number[chain.numbers[name]] == (homes[name] or "") for name in chain.cards)


THREE_VISITS = {"id": "three", "name": "Three visits", "goal": {"type": "visits", "target": 3}, "window_days": 14,
                "reward": {"points": 300}}


def test_a_receipt_that_exposes_a_card_records_its_home(client, merchant, program, chain):
    """A challenges holdout: a card joins with its first counted receipt (the ledger's transaction), and its
    assignment keeps the home the card has after that receipt (a first purchase at a location makes it home)."""
    patched = client.http.patch(f"/admin/programs/{chain.program_id}", headers=bearer(merchant),
                                body=json.dumps({"mechanics": {"challenges": [THREE_VISITS]}}))
    assert patched.status_code == 200, patched.body
    started = experiment_cases.start(_program(chain.program_id), {"subject": "challenges", "holdout_percent": 50},
                                     "owner", datetime.now(UTC))
    chain.now = datetime.now(UTC)
    for index in range(10):
        name = f"new{index}"
        card = enrollment.enroll(_program(chain.program_id), {"name": "N", "consent": True,
                                                              "phone": f"+7916888{index:04d}"}, chain.now, "en")
        chain.cards[name], chain.numbers[name] = card.card_id, card.number
        _sell(chain, f"n{index}", 10_000, card=name, location=L1 if index < 6 else L2)  # its first: its home
    _sell(chain, "v-again", 10_000, card="vera", location=L1)  # Vera's home stays location 2
    assignments = {item.card_id: item.location_id for item in Assignment.query(started["id"])}
    expected = {chain.cards[f"new{index}"]: L1 if index < 6 else L2 for index in range(10)}
    expected[chain.cards["vera"]] = L2
    assert {card_id: assignments.get(card_id) for card_id in expected} == expected
    base = f"/admin/programs/{chain.program_id}/experiments/{started['id']}/report"
    for location, count in ((L1, 6), (L2, 5)):
        report = body(_get(client, merchant, f"{base}?location_id={location}"))
        assert sum(group["cards"] for group in report["groups"]) == count
