"""Analytics against a generated history: four months of enrolments, member and anonymous receipts
(some paid partly with points, one uploaded days late), partial refunds, adjustments, a referral, and
points expiring, with the nightly fold run now and then. Every number the endpoints answer is computed
here again, independently, from what the test itself did (and from the cards' ledgers), and compared."""
import csv
import io
import json
import random
from datetime import UTC, date, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

import pytest

from chalicelib.jobs import analytics as nightly_job
from chalicelib.jobs import triggers
from chalicelib.store import programs as program_store
from chalicelib.usecases import adjustments, enrollment, exports, pos
from tests.conftest import PROGRAM, bearer, body

MOSCOW = ZoneInfo("Europe/Moscow")
POINT_VALUE = 100
HISTORY_DAYS = 75


def local_day(moment: datetime) -> str:
    return moment.astimezone(MOSCOW).date().isoformat()


class History:
    """What happened, as the test recorded it."""

    def __init__(self):
        self.joined: dict[str, str] = {}  # card_id -> local day
        self.sales: list[tuple[str, str | None, int]] = []  # (business day, card_id, money paid)
        self.refunds: list[tuple[str, str | None, int, str]] = []  # (day, card_id, money back, sale day)
        self.numbers: dict[str, str] = {}  # card_id -> card number


@pytest.fixture(scope="module")
def world():
    """One in-process DynamoDB, API client and merchant for the module: the history is built once."""
    from chalice.test import Client
    from moto import mock_aws

    import app
    from chalicelib import config
    from chalicelib.store import cards, merchants, programs
    from chalicelib.store.tables import create_tables

    with mock_aws():
        create_tables(wait=False)
        programs._slug_cache.clear()
        cards._number_cache.clear()
        with Client(app.app, stage_name="test", project_dir=config.PROJECT_ROOT) as client:
            now = datetime.now(UTC)
            yield client, merchants.create("History Cafe", now).merchant_id, merchants.create("Other", now).merchant_id


@pytest.fixture(scope="module")
def history(world):
    """Builds the history through the use cases, each at its own moment; returns (program, History, cards)."""
    client, merchant, _ = world
    data = json.loads(json.dumps(PROGRAM))
    data["slug"] = "history"
    data["mechanics"].update(lifetime_days=30)
    created = client.http.post("/admin/programs", headers=bearer(merchant), body=json.dumps(data))
    assert created.status_code == 201, created.body
    program = program_store.get(body(created)["id"])
    rng = random.Random(11)
    record = History()
    open_sales: list[dict] = []  # refundable receipts
    today = datetime.now(UTC).astimezone(MOSCOW).date()
    first = today - timedelta(days=HISTORY_DAYS)
    cards: list[tuple[str, str]] = []  # (card_id, number)
    for offset in range(HISTORY_DAYS + 1):
        day = first + timedelta(days=offset)
        # noon in Moscow; now and then half past midnight of the next Moscow day (21:30 UTC)
        moments = [datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(minutes=m)
                   for m in range(0, 300, 7)]
        if offset % 9 == 4:
            moments.append(datetime(day.year, day.month, day.day, 21, 30, tzinfo=UTC))
        moment = iter(moments)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):  # new members
            now = next(moment)
            form = {"name": rng.choice(("Anna", "Ivan", "=HYPERLINK(\"x\")")), "consent": True,
                    "phone": f"+7916{len(cards) + 1000000:07d}"}
            if cards and rng.random() < 0.15:
                form["ref"] = card_ref(cards[0][0])
            card = enrollment.enroll(program, form, now, "ru")
            cards.append((card.card_id, card.number))
            record.joined[card.card_id] = local_day(now)
            record.numbers[card.card_id] = card.number
        shoppers = rng.sample(cards, k=min(len(cards), rng.choice((0, 1, 2, 3, 4))))
        for card_id, number in shoppers:
            now = next(moment)
            total = rng.randrange(10_000, 300_000, 100)
            quote = pos.quote(program, {"card": number, "total": total}, now)
            redeem = rng.choice((0, 0, quote["max_redeem"]))
            receipt = {"receipt_id": f"s{offset}-{card_id[-5:]}", "card": number, "total": total}
            if redeem:
                receipt["redeem"] = redeem
            answer = pos.post_receipt(program, receipt, now).response
            sale_day = local_day(now)
            record.sales.append((sale_day, card_id, total - answer["redeemed"] * POINT_VALUE))
            open_sales.append({"id": receipt["receipt_id"], "card": card_id, "total": total, "left": total,
                               "day": sale_day})
        for index in range(rng.choice((0, 1, 2))):  # anonymous receipts
            now = next(moment)
            total = rng.randrange(5_000, 100_000, 100)
            pos.post_receipt(program, {"receipt_id": f"a{offset}-{index}", "total": total}, now)
            record.sales.append((local_day(now), None, total))
            open_sales.append({"id": f"a{offset}-{index}", "card": None, "total": total, "left": total,
                               "day": local_day(now)})
        if open_sales and rng.random() < 0.2:  # a partial refund of an earlier receipt
            sale = rng.choice(open_sales)
            amount = min(sale["left"], rng.randrange(1_000, sale["total"] + 1, 100))
            if amount:
                now = next(moment)
                answer = pos.post_refund(program, {"refund_id": f"f{offset}", "receipt_id": sale["id"],
                                                   "amount": amount}, now).response
                sale["left"] -= amount
                record.refunds.append((local_day(now), sale["card"],
                                       max(0, amount - answer["points_returned"] * POINT_VALUE), sale["day"]))
        if cards and offset % 17 == 3:  # a manual correction, up and down
            card = program_card(cards[-1][0])
            adjustments.adjust(program, card, {"amount": 40, "reason": "goodwill", "idempotency_key": f"g{offset}"},
                               "test-owner", next(moment))
            adjustments.adjust(program, program_card(cards[-1][0]),
                               {"amount": -15, "reason": "correction", "idempotency_key": f"c{offset}"},
                               "test-owner", next(moment))
        if offset == 70 and cards:  # a receipt the till uploads six days late
            now = next(moment)
            sold = now - timedelta(days=6)
            pos.post_receipt(program, {"receipt_id": "late", "card": cards[0][1], "total": 55_500,
                                       "created_at": sold.isoformat()}, now)
            record.sales.append((local_day(sold), cards[0][0], 55_500))
        end_of_day = datetime(day.year, day.month, day.day, 20, 50, tzinfo=UTC)
        triggers.expire_points(day, end_of_day)
        if offset % 10 == 9:
            nightly_job.run(day)  # folds what is two days back
    return program, record, cards


def card_ref(card_id):
    from chalicelib.store import cards as card_store

    return card_store.get(card_id).ref_code


def program_card(card_id):
    from chalicelib.store import cards as card_store

    return card_store.get(card_id, consistent=True)


def ledger_of(client, merchant, card_id) -> list[dict]:
    entries, cursor = [], None
    while True:
        path = f"/admin/cards/{card_id}/ledger?limit=200" + (f"&cursor={cursor}" if cursor else "")
        page = body(client.http.get(path, headers=bearer(merchant)))
        entries.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return entries


def expected(record: History, entries: list[dict], start: str, end: str, window: int) -> dict:
    """The summary, computed from the recorded history alone; `window`: the days a purchase keeps a
    member active (the lifecycle segments' `active_days`)."""
    within = lambda day: start <= day <= end  # noqa: E731
    sales = [s for s in record.sales if within(s[0])]
    refunds = [r for r in record.refunds if within(r[0])]
    revenue = sum(s[2] for s in sales) - sum(r[2] for r in refunds)
    member_revenue = sum(s[2] for s in sales if s[1]) - sum(r[2] for r in refunds if r[1])
    members = [c for c, joined in record.joined.items() if joined <= end]
    visits = {c: sorted(s[0] for s in record.sales if s[1] == c) for c in members}
    in_period = {c: [d for d in days if within(d)] for c, days in visits.items()}
    buyers = [c for c in members if in_period[c]]
    d = date.fromisoformat
    active = lambda c, last: any(d(last) - timedelta(days=window - 1) <= d(x) <= d(last) for x in visits[c])  # noqa
    before = (d(start) - timedelta(days=1)).isoformat()
    s_count = sum(active(c, before) for c in members)
    e_count = sum(active(c, end) for c in members)
    n_count = sum(1 for c in members if visits[c] and within(visits[c][0]))
    spend_to_date = sum(s[2] for s in record.sales if s[1] in members and s[0] <= end) - sum(
        r[2] for r in record.refunds if r[1] in members and r[3] <= end)
    points = [e for e in entries if within(local_day(datetime.fromisoformat(e["at"])))]
    total = lambda *kinds: sum(abs(e["amount"]) for e in points if e["kind"] in kinds)  # noqa: E731
    issued = (total("earn", "bonus") + sum(e["amount"] for e in points if e["kind"] == "adjust" and e["amount"] > 0)
              - total("refund_reverse"))
    redeemed = total("redeem") - total("refund_return")
    expired = total("expire")
    outstanding = sum(e["amount"] for e in entries if local_day(datetime.fromisoformat(e["at"])) <= end)
    pct = lambda a, b: round(a * 100 / b, 2) if b else None  # noqa: E731
    receipts, member_receipts = len(sales), sum(1 for s in sales if s[1])
    return {
        "receipts": receipts, "member_receipts": member_receipts, "revenue": revenue,
        "member_revenue": member_revenue, "sor": pct(member_revenue, revenue),
        "aov": round(revenue / receipts) if receipts else None, "buyers": len(buyers),
        "frequency": round(member_receipts / len(buyers), 2) if buyers else None,
        "repeat_rate": pct(sum(1 for c in buyers if len(in_period[c]) >= 2), len(buyers)),
        "new_members": sum(1 for joined in record.joined.values() if within(joined)),
        "crr": pct(e_count - n_count, s_count),
        "ltv": round(spend_to_date / len(members)) if members else None,
        "points_issued": issued, "points_redeemed": redeemed, "points_expired": expired,
        "redemption_rate": pct(redeemed, issued), "breakage": pct(expired, issued),
        "liability": outstanding * POINT_VALUE,
    }


def test_summary_and_daily_series_match_the_history(world, history):
    (client, merchant, _), (program, record, cards) = world, history
    entries = [e for card_id, _ in cards for e in ledger_of(client, merchant, card_id)]
    assert {e["kind"] for e in entries} >= {"earn", "redeem", "bonus", "expire", "adjust", "refund_reverse"}
    assert len(record.refunds) >= 5 and any(r[1] is None for r in record.refunds)
    today = datetime.now(UTC).astimezone(MOSCOW).date()
    first = today - timedelta(days=HISTORY_DAYS)
    periods = [(first, today), (first + timedelta(days=10), first + timedelta(days=40)),
               (today - timedelta(days=29), today), (today, today),
               (first + timedelta(days=60), today - timedelta(days=1)),
               (first - timedelta(days=30), first - timedelta(days=1))]
    segments = body(client.http.get(f"/admin/programs/{program.program_id}/analytics/segments",
                                    headers=bearer(merchant)))
    window = segments["thresholds"]["active_days"]  # one meaning of "active": the segments' and CRR's
    assert segments["thresholds"]["lifecycle_basis"] == "median_gap" and window != 30
    for start, end in periods:
        path = f"/admin/programs/{program.program_id}/analytics/summary?from={start}&to={end}"
        response = client.http.get(path, headers=bearer(merchant, "analyst"))
        assert response.status_code == 200, response.body
        answer = body(response)
        assert answer["active_days"] == answer["activity_window_days"] == window
        want = expected(record, entries, start.isoformat(), end.isoformat(), window)
        assert {name: answer[name] for name in want} == want, (start, end)
    # the nightly fold leaves one item per closed day: a period reads about one item a day, plus cards
    answer = body(client.http.get(f"/admin/programs/{program.program_id}/analytics/summary?from={first}&to={today}",
                                  headers=bearer(merchant)))
    assert answer["items_read"]["cards"] == len(cards)
    assert answer["items_read"]["days"] <= HISTORY_DAYS + 1 + 8 * 12 + 1

    start = today - timedelta(days=20)
    series = body(client.http.get(f"/admin/programs/{program.program_id}/analytics/daily?from={start}&to={today}",
                                  headers=bearer(merchant)))["days"]
    assert [row["day"] for row in series] == [(start + timedelta(days=n)).isoformat() for n in range(21)]
    for row in series:
        want = expected(record, entries, row["day"], row["day"], window)
        assert (row["receipts"], row["member_receipts"], row["revenue"], row["member_revenue"], row["member_share"],
                row["new_members"], row["points_issued"], row["points_redeemed"], row["points_expired"]) == (
            want["receipts"], want["member_receipts"], want["revenue"], want["member_revenue"], want["sor"],
            want["new_members"], want["points_issued"], want["points_redeemed"], want["points_expired"]), row["day"]


def _gaps(days):
    ordered = sorted(date.fromisoformat(d) for d in set(days))
    return [(b - a).days for a, b in zip(ordered, ordered[1:], strict=False)]


def test_segments_match_their_definitions(world, history):
    (client, merchant, _), (program, record, _cards) = world, history
    answer = body(client.http.get(f"/admin/programs/{program.program_id}/analytics/segments",
                                  headers=bearer(merchant)))
    today = datetime.now(UTC).astimezone(MOSCOW).date()
    visits = {c: [s[0] for s in record.sales if s[1] == c] for c in record.joined}
    gaps = [gap for days in visits.values() for gap in _gaps(days)]
    if len(gaps) >= 100:
        active = min(max(round(2 * median(gaps)), 14), 180)
        assert answer["thresholds"]["lifecycle_basis"] == "median_gap"
    else:
        active = 30
        assert answer["thresholds"]["lifecycle_basis"] == "fixed"
    sleeping = 2 * active if len(gaps) >= 100 else 90
    want = {"new": 0, "active": 0, "sleeping": 0, "lost": 0}
    for card_id, joined in record.joined.items():
        days = visits[card_id]
        if (today - date.fromisoformat(joined)).days <= 30 and len(days) <= 1:
            want["new"] += 1
        elif not days:
            want["lost"] += 1
        else:
            idle = (today - date.fromisoformat(max(days))).days
            want["active" if idle <= active else "sleeping" if idle <= sleeping else "lost"] += 1
    assert answer["lifecycle"] == want
    assert answer["members"] == len(record.joined)
    # RFM, fixed cuts (a small program): R by days since the last purchase, F by receipts, M by spend
    # against the median buyer's spend over the last 365 days
    spend = {c: sum(s[2] for s in record.sales if s[1] == c) - sum(r[2] for r in record.refunds if r[1] == c)
             for c in record.joined}
    buyers = [c for c in record.joined if visits[c]]
    typical = median(spend[c] for c in buyers)
    m_cuts = [round(typical * f) for f in (0.4, 0.75, 1.5, 3)]
    scores = {}
    for c in buyers:
        idle = (today - date.fromisoformat(max(visits[c]))).days
        r = 5 - sum(idle > cut for cut in (14, 30, 60, 120))
        f = 1 + sum(len(visits[c]) > cut for cut in (1, 2, 5, 11))
        m = 1 + sum(spend[c] > cut for cut in m_cuts)
        scores[f"{r}{f}{m}"] = scores.get(f"{r}{f}{m}", 0) + 1
    assert answer["rfm_scores"] == dict(sorted(scores.items()))
    assert sum(answer["rfm_segments"].values()) == len(buyers)

    # the cards of a segment, page by page, are exactly the ones counted
    seen, cursor = [], None
    while True:
        path = f"/admin/programs/{program.program_id}/analytics/segments/active/cards?limit=3"
        page = body(client.http.get(path + (f"&cursor={cursor}" if cursor else ""), headers=bearer(merchant)))
        assert len(page["items"]) <= 3
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == want["active"] == len({row["id"] for row in seen})
    assert all(row["lifecycle"] == "active" for row in seen)


def test_exports_page_through_everything(world, history, monkeypatch):
    (client, merchant, _), (program, record, cards) = world, history
    monkeypatch.setattr(exports, "PAGE_ROWS", 7)

    def download(kind, role="owner"):
        text, cursor, pages = "", None, 0
        while True:
            path = f"/admin/programs/{program.program_id}/exports/{kind}" + (f"?cursor={cursor}" if cursor else "")
            response = client.http.get(path, headers=bearer(merchant, role))
            assert response.status_code == 200, response.body
            assert response.headers["Content-Type"].startswith("text/csv")
            text += response.body.decode() if isinstance(response.body, bytes) else response.body
            pages += 1
            cursor = response.headers.get("X-Next-Cursor")
            if not cursor:
                return list(csv.DictReader(io.StringIO(text))), pages

    rows, pages = download("cards")
    assert pages > 1 and sorted(row["id"] for row in rows) == sorted(card_id for card_id, _ in cards)
    assert {row["lifecycle"] for row in rows} <= {"new", "active", "sleeping", "lost"}
    assert all(row["phone"].startswith("'+7916") for row in rows)  # text, not a number or formula
    assert all(not row["name"].startswith("=") for row in rows)  # a formula typed as a name stays text
    assert any(row["name"].startswith("'=") for row in rows)
    analyst_rows, _ = download("cards", "analyst")
    assert "phone" not in analyst_rows[0] and len(analyst_rows) == len(rows)
    receipts, _ = download("receipts")
    assert len([r for r in receipts if r["kind"] == "receipt"]) == len(record.sales)
    assert len([r for r in receipts if r["kind"] == "refund"]) == len(record.refunds)
    ledger, _ = download("ledger")
    assert len(ledger) == sum(len(ledger_of(client, merchant, card_id)) for card_id, _ in cards)


def test_analytics_are_the_merchants_own(world, history):
    (client, _, other_merchant), (program, _, _) = world, history
    for path in ("analytics/summary", "analytics/daily", "analytics/segments", "analytics/segments/active/cards",
                 "exports/cards", "exports/receipts"):
        response = client.http.get(f"/admin/programs/{program.program_id}/{path}", headers=bearer(other_merchant))
        assert response.status_code == 404, path


def test_bad_periods_and_names_get_clear_errors(world, history):
    (client, merchant, _), (program, _, _) = world, history
    base = f"/admin/programs/{program.program_id}"
    for path, field in (("analytics/summary?from=2026-13-01", "from"), ("analytics/summary?to=yesterday", "to"),
                        ("analytics/summary?from=2026-05-02&to=2026-05-01", "from"),
                        ("analytics/daily?from=2020-01-01&to=2026-01-01", "from"),
                        ("analytics/segments/vip/cards", "segment")):
        response = client.http.get(f"{base}/{path}", headers=bearer(merchant))
        assert response.status_code == 400 and body(response)["error"]["field"] == field, path
    assert client.http.get(f"{base}/exports/secrets", headers=bearer(merchant)).status_code == 404
    assert client.http.get(f"{base}/exports/cards?cursor=garbage", headers=bearer(merchant)).status_code == 400


def test_folding_everything_changes_no_number(world, history):
    """(Runs last: it folds today's shards too.)"""
    (client, merchant, _), (program, _, _) = world, history
    path = f"/admin/programs/{program.program_id}/analytics/summary?from=2020-01-01&to=2030-01-01"
    before = body(client.http.get(path, headers=bearer(merchant)))
    today = datetime.now(UTC).date()
    nightly_job.run(today + timedelta(days=3))  # folds every day there is, today's too
    nightly_job.run(today + timedelta(days=3))
    after = body(client.http.get(path, headers=bearer(merchant)))
    before.pop("items_read"), after.pop("items_read")
    assert after == before


def test_the_old_admin_page_address_leads_to_the_consoles_analytics(world):
    client, _, _ = world
    answer = client.http.get("/admin")
    assert answer.status_code == 302 and answer.headers["Location"] == "console#/analytics"
    assert not answer.body


def test_lifecycle_settings_apply_at_once(world):
    client, merchant, _ = world
    data = {**json.loads(json.dumps(PROGRAM)), "slug": "young"}
    program = body(client.http.post("/admin/programs", headers=bearer(merchant), body=json.dumps(data)))
    path = f"/admin/programs/{program['id']}/analytics/segments"
    assert body(client.http.get(path, headers=bearer(merchant)))["thresholds"]["active_days"] == 30
    changed = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                body=json.dumps({"mechanics": {"lifecycle": {"active_days": 10,
                                                                             "lost_after_days": 40}}}))
    assert changed.status_code == 200, changed.body
    cuts = body(client.http.get(path, headers=bearer(merchant)))["thresholds"]
    assert (cuts["active_days"], cuts["sleeping_days"]) == (10, 40)
    wrong = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                              body=json.dumps({"mechanics": {"lifecycle": {"active_days": 50, "lost_after_days": 40}}}))
    assert wrong.status_code == 400 and body(wrong)["error"]["field"] == "mechanics.lifecycle.lost_after_days"
