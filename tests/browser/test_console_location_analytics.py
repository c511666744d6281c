"""Analytics by location in a real browser (Debian's Chromium, a phone-sized page) against the local stack: an
owner of a two-location chain picks a location on the analytics page and sees that location's revenue, and
the "By location" table lists both locations with their share of the revenue; a program without locations
shows neither the select nor the table; an experiment's report read for one location counts only the cards
homed there. axe-core runs on the pages; a console error fails the test.

The chain is a program of its own (the demo program stays as other tests expect it). Its locations are
written on the program item and its day's counters in the `analytics` table of the stack's DynamoDB, as a
receipt at a location writes them (the program's partition and the location's, store/ledger.py), and the
cards' homes in their stats as a first purchase there sets them (no HTTP route posts a receipt at a location
before the locations part is merged): the
numbers themselves, from real receipts, are tested in tests/api/test_location_analytics.py; here the page."""
import json
import secrets
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import boto3
from playwright.sync_api import expect

from tests.browser.console import goto, sign_in
from tests.browser.test_console_experiments import _campaign_with_holdout
from tests.browser.test_console_ops import _api
from tests.e2e.stack import Stack, request

L1, L2 = "loc_centre", "loc_station"
SALES = {L1: (3, 900_00), L2: (1, 300_00), None: (1, 200_00)}  # location -> (receipts, revenue); None: none


def _dynamodb(stack: Stack):
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{stack.db_port}", region_name="eu-central-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def _program(stack: Stack, name: str) -> dict:
    return _api(stack, "POST", "/admin/programs", {"name": name, "slug": "chain-" + secrets.token_hex(4),
                                                   "timezone": "Europe/Moscow"})


def _chain(stack: Stack, sales: dict | None = None) -> dict:
    """A program with two locations and today's sales at each and without one (`sales`: SALES unless told)."""
    program = _program(stack, "Сеть кофеен")
    dynamodb, pid = _dynamodb(stack), program["id"]
    locations = [{"id": L1, "name": "Центр", "address": None, "latitude": None, "longitude": None, "timezone": None,
                  "hours": {}, "relevant_text": None, "status": "open", "created_at": None},
                 {"id": L2, "name": "Вокзал", "address": None, "latitude": None, "longitude": None, "timezone": None,
                  "hours": {}, "relevant_text": None, "status": "open", "created_at": None}]
    dynamodb.update_item(TableName="loyalty-local-programs", Key={"program_id": {"S": pid}},
                         UpdateExpression="SET locations = :l",
                         ExpressionAttributeValues={":l": {"S": json.dumps(locations)}})
    today = datetime.now(ZoneInfo("Europe/Moscow")).date().isoformat()
    for shard, (location, (receipts, revenue)) in enumerate((sales or SALES).items()):
        scopes = [pid] if location is None else [pid, f"{pid}@{location}"]
        for scope in scopes:
            dynamodb.update_item(
                TableName="loyalty-local-analytics",
                Key={"program_id": {"S": scope}, "item_key": {"S": f"s#{today}#{shard}"}},
                UpdateExpression="ADD receipts :r, revenue :m, writes :w",
                ExpressionAttributeValues={":r": {"N": str(receipts)}, ":m": {"N": str(revenue)}, ":w": {"N": "1"}})
    return program


def test_an_owner_picks_a_location_and_compares_the_locations(open_page, stack, axe):
    chain = _chain(stack)
    bare = _program(stack, "Одна кофейня")
    page = sign_in(open_page(), stack)
    page.evaluate("id => LC.selectProgram(id)", chain["id"])
    goto(page, "#/analytics")
    revenue = page.locator(".analytics-tile[data-figure=revenue] .analytics-tile-value")
    money = lambda amount: page.evaluate("v => LC.money(v, 'RUB')", amount)  # noqa: E731 (the page's own format)
    expect(revenue).to_have_text(money(1400_00))  # all locations: the program's revenue

    rows = page.locator(".analytics-by-location tbody tr")
    expect(rows).to_have_count(3)  # both locations and the receipts without one
    centre, station = rows.nth(0), rows.nth(1)
    expect(centre.locator("th")).to_have_text("Центр")
    expect(centre.locator("[data-col=revenue]")).to_have_text(money(900_00))
    expect(centre.locator("[data-col=share]")).to_contain_text("64,3")  # 900 of 1,400
    expect(station.locator("th")).to_have_text("Вокзал")
    expect(station.locator("[data-col=revenue]")).to_have_text(money(300_00))
    expect(rows.nth(2).locator("[data-col=revenue]")).to_have_text(money(200_00))

    select = page.locator("[data-location-select]")
    expect(select.locator("option")).to_have_count(3)
    select.select_option(L1)
    expect(revenue).to_have_text(money(900_00))
    expect(page.locator(".analytics-tile[data-figure=receipts] .analytics-tile-value")).to_have_text("3")
    expect(page.locator(".analytics-location-note")).to_be_visible()
    expect(rows).to_have_count(3)  # the comparison stays
    axe(page)
    select.select_option(L2)
    expect(revenue).to_have_text(money(300_00))
    select.select_option("")
    expect(revenue).to_have_text(money(1400_00))
    expect(page.locator(".analytics-location-note")).to_be_hidden()
    # the page fits a phone: nothing wider than the screen but the table's own scroller
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    page.evaluate("id => LC.selectProgram(id)", bare["id"])
    goto(page, "#/")
    goto(page, "#/analytics")
    expect(page.locator(".analytics-tile[data-figure=revenue]")).to_be_visible()
    expect(page.locator("[data-location-select]")).to_have_count(0)
    expect(page.locator(".analytics-locations")).to_have_count(0)


def test_an_experiment_report_by_location(open_page, stack, axe):
    """A campaign with a control group to a chain's cards homed at both locations: the report for one location
    counts only that location's cards, in both groups."""
    chain = _chain(stack)
    dynamodb = _dynamodb(stack)
    homes = [L1, L1, L1, L1, L2, L2]
    for index, home in enumerate(homes):
        status, _, answer = request("POST", f"{stack.api}/join/{chain['slug']}", json.dumps(
            {"name": f"Гость {index}", "phone": f"+7916{secrets.randbelow(9_000_000) + 1_000_000}", "consent": True}
        ).encode(), {"Content-Type": "application/json"})
        assert status == 201, answer
        # the home a first purchase there gives (card.stats, store/cards.put_state)
        dynamodb.update_item(TableName="loyalty-local-cards", Key={"card_id": {"S": json.loads(answer)["card_id"]}},
                             UpdateExpression="SET stats = :s",
                             ExpressionAttributeValues={":s": {"S": json.dumps({"home": home, "places": {home: 1}})}})
    campaign = _campaign_with_holdout(stack, chain["id"], "Торт по точкам")

    page = sign_in(open_page(), stack)
    page.evaluate("id => LC.selectProgram(id)", chain["id"])
    goto(page, f"#/experiments/{campaign['id']}")
    expect(page.locator("#main h1")).to_have_text("Торт по точкам")
    cards = page.locator(".experiments-table tbody tr td:nth-of-type(1)")

    def shown() -> int:
        return sum(int(text.replace("\u00a0", "").replace(" ", "")) for text in cards.all_inner_texts())

    expect(cards.first).to_be_visible()
    assert shown() == len(homes)
    select = page.locator("[data-location-select]")
    select.select_option(L1)
    expect(page.locator(".experiments-location-note")).to_be_visible()
    page.wait_for_function("n => [...document.querySelectorAll('.experiments-table tbody tr td:nth-of-type(1)')]"
                           ".reduce((s, td) => s + Number(td.textContent.replace(/\\s/g, '')), 0) === n",
                           arg=homes.count(L1))
    axe(page)
    select.select_option(L2)
    page.wait_for_function("n => [...document.querySelectorAll('.experiments-table tbody tr td:nth-of-type(1)')]"
                           ".reduce((s, td) => s + Number(td.textContent.replace(/\\s/g, '')), 0) === n",
                           arg=homes.count(L2))
    assert shown() == homes.count(L2)


def test_a_failed_section_says_so_and_tries_again_while_the_others_show(open_page, stack):
    """One request failing leaves the other sections drawn; its own section shows the error and a "Try again"
    that draws it; a location's requests carry only their parameters; an export whose page fails says so next
    to its buttons. (The failure is a 429, a request shed under load: the harness takes any 5xx the page logs
    as a problem of the test, while the page treats every failed answer alike.)"""
    chain = _chain(stack)
    page = sign_in(open_page(), stack)
    page.evaluate("id => LC.selectProgram(id)", chain["id"])
    failing = {"on": True}

    def daily(route):
        if failing["on"]:
            route.fulfill(status=429, content_type="application/json",
                          body=json.dumps({"error": {"code": "throttled", "message": "Too many requests"}}))
        else:
            route.continue_()
    page.route("**/analytics/daily*", daily)
    goto(page, "#/analytics")
    revenue = page.locator(".analytics-tile[data-figure=revenue] .analytics-tile-value")
    money = lambda amount: page.evaluate("v => LC.money(v, 'RUB')", amount)  # noqa: E731
    expect(revenue).to_have_text(money(1400_00))  # the summary is drawn though the daily series failed
    expect(page.locator(".analytics-by-location tbody tr")).to_have_count(3)
    expect(page.locator(".analytics-lifecycle, .analytics-thresholds").first).to_be_visible()
    retry = page.locator(".analytics-charts .analytics-error [data-retry]")
    expect(retry).to_be_visible()
    expect(page.locator(".loading")).to_have_count(0)  # nothing stays on "Loading…"
    failing["on"] = False
    retry.click()
    expect(page.locator(".analytics-charts svg.analytics-chart")).to_have_count(4)
    expect(page.locator(".analytics-error")).to_have_count(0)

    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/analytics/summary" in r.url else None)
    page.locator("[data-location-select]").select_option(L1)
    expect(revenue).to_have_text(money(900_00))
    assert asked and all(parse_qs(urlsplit(url).query) == {"location_id": [L1]} for url in asked), asked
    asked.clear()
    page.locator("[data-location-select]").select_option(L2)
    expect(revenue).to_have_text(money(300_00))
    assert asked and all(parse_qs(urlsplit(url).query) == {"location_id": [L2]} for url in asked), asked
    expect(page.locator(".analytics-period")).to_contain_text(":")  # the period line is the page's, not the query's

    page.route("**/exports/receipts*", lambda route: route.fulfill(
        status=429, content_type="application/json", body=json.dumps({"error": {"code": "throttled"}})))
    page.locator("[data-export=receipts]").click()
    expect(page.locator(".analytics-export-error")).to_be_visible()
    expect(page.locator("[data-export=receipts]")).to_be_enabled()


def test_the_by_location_table_fits_a_desktop_and_names_home(open_page, stack, axe):
    """At 1280 px the comparison's columns all show without a scroll; a tiny share reads "<0.1%", not 0%;
    "home" is explained next to the table."""
    chain = _chain(stack, {L1: (5, 5_000_000_00), L2: (1, 1_00), None: (0, 0)})
    page = sign_in(open_page(viewport={"width": 1280, "height": 900}), stack)
    page.evaluate("id => LC.selectProgram(id)", chain["id"])
    goto(page, "#/analytics")
    rows = page.locator(".analytics-by-location tbody tr")
    expect(rows).to_have_count(3)
    wide, room = page.evaluate("() => { const t = document.querySelector('.analytics-by-location');"
                               " return [t.scrollWidth, t.parentElement.clientWidth]; }")
    assert wide <= room, (wide, room)
    expect(rows.nth(1).locator("[data-col=share]")).to_have_text("<0,1%")
    expect(page.locator(".analytics-home-note")).to_contain_text("где он вступил")
    expect(page.locator(".analytics-by-location thead [data-col=member_share] abbr")).to_have_attribute(
        "title", "Доля участников")
    axe(page)
    page.locator("[data-location-select]").select_option(L2)
    expect(page.locator(".analytics-tile[data-figure=buyers] .analytics-tile-sub")).to_contain_text(
        "для которых точка домашняя")
