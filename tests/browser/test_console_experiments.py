"""Experiments in the console, in a real browser against the local stack (issue 17): an owner opens the
report of a campaign that kept a control group, after receipts, and sees the groups' table, the verdict,
the chart drawn, and downloads the CSV; the page draws a full report (variants, intervals, ROMI, the
band) on a phone; an owner starts a win-back experiment on the triggers page and stops it from its
report. axe-core runs on the pages; a console error fails the test."""
import csv
import io
import json
import re
import time
from datetime import date, timedelta

import boto3
from playwright.sync_api import Page, Route, expect

from tests.browser.console import goto, sign_in, submit
from tests.browser.test_console_ops import _api, _join, _receipt
from tests.e2e.stack import Stack


def _owner(page: Page, stack: Stack, route: str) -> Page:
    sign_in(page, stack)
    page.evaluate("id => LC.selectProgram(id)", stack.demo["program_id"])
    goto(page, route)
    return page


def _program_path(stack: Stack, tail: str = "") -> str:
    return f"/admin/programs/{stack.demo['program_id']}{tail}"


def _stop_running(stack: Stack) -> None:
    """Earlier tests (or runs) may have left a trigger experiment running: stop them."""
    for item in _api(stack, "GET", _program_path(stack, "/experiments"))["items"]:
        if item["status"] == "running" and item["subject"] != "campaign":
            _api(stack, "POST", _program_path(stack, f"/experiments/{item['id']}/stop"))


def _difference(value, low, high):
    return {"treatment": 20.0, "control": 12.0, "difference": value, "low": low, "high": high, "p_value": 0.0123,
            "significant": low is not None and (low > 0 or high < 0), "method": "two-proportion z-test"}


def _hand_made_report(experiment: dict) -> dict:
    """A report in core/uplift.py's shape (brief h1-uplift.md), with two variants and a known verdict."""
    groups = {"control": {"cards": 100, "conversion": 12.0, "revenue": 15342.7, "visits": 0.152, "points_cost": 3.4},
              "a": {"cards": 450, "conversion": 15.2, "revenue": 18301.1, "visits": 0.2, "points_cost": 9.1},
              "b": {"cards": 450, "conversion": 20.0, "revenue": 20104.0, "visits": 0.25, "points_cost": 12.0}}
    verdict = {"effect": "positive", "text": {"ru": "Конверсия +8,00 п. п. (95% ДИ +1,20 до +14,80)",
                                              "en": "Conversion +8.00 pp (95% CI +1.20 to +14.80)"}}
    comparisons = [{"variant": variant, "against": against, "conversion": _difference(8.0, 1.2, 14.8),
                    "revenue": {**_difference(476.13, -20.4, 972.66), "method": "Welch's t-test"},
                    "visits": {**_difference(0.1, None, None), "method": "Welch's t-test"},
                    "points_cost": {**_difference(8.6, 7.0, 10.2), "method": "Welch's t-test"},
                    "verdict": verdict}
                   for variant, against in (("a", "control"), ("b", "control"), ("b", "a"))]
    days = list(range(14))
    series = [round(0.5 * k, 2) for k in days]
    return {"experiment": {**experiment, "variants": [
                {"id": "a", "name": "Кофе", "share_percent": 45.0, "bonus": 100, "texts": None, "offer": None},
                {"id": "b", "name": "Десерт", "share_percent": 45.0, "bonus": 300, "texts": None, "offer": None}]},
            "as_of": "2026-11-29",
            "groups": [{"variant": "control", "name": "Control", "cards": 100},
                       {"variant": "a", "name": "Кофе", "cards": 450},
                       {"variant": "b", "name": "Десерт", "cards": 450}],
            "windows": [{"days": days_, "complete": days_ == 7, "open": 0 if days_ == 7 else 120, "groups": groups,
                         "comparisons": comparisons} for days_ in (7, 14)],
            "romi": [{"variant": "a", "window": 14, "complete": False, "incremental_revenue": 1331280,
                      "incremental_revenue_low": -91800, "incremental_revenue_high": 2754360,
                      "incremental_margin": None, "bonus_cost": 45000, "message_cost": 0, "cost": 45000, "romi": None,
                      "margin_percent": None}],
            "chart": {"days": days, "groups": {"control": {"conversion": series, "revenue": series},
                                               "a": {"conversion": series, "revenue": series}},
                      "differences": {v: {"conversion": series, "conversion_low": [s - 2 for s in series],
                                          "conversion_high": [s + 2 for s in series], "revenue": series,
                                          "revenue_low": [s - 300 for s in series],
                                          "revenue_high": [s + 300 for s in series]} for v in ("a", "b")}},
            "items_read": {"assignments": 1000, "experiment": 1}}


def test_a_full_report_is_drawn_on_a_phone_with_intervals_verdicts_romi_and_band(open_page, stack, axe):
    """The page against a report in the final shape (the statistics come from core/uplift.py): the route
    answers a hand-made report so every part of the page is exercised whatever the data."""
    _stop_running(stack)
    _winback_on(stack)
    started = _api(stack, "POST", _program_path(stack, "/experiments"), {"subject": "winback", "holdout_percent": 10})
    page = open_page()
    report = _hand_made_report(started)

    def answer(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(report))

    page.route(re.compile(r".*/experiments/[^/]+/report$"), answer)
    _owner(page, stack, f"#/experiments/{started['id']}")
    expect(page.locator("#main h1")).to_have_text(started["name"])
    table = page.locator(".experiments-table")
    expect(table.locator("tbody tr")).to_have_count(3)  # control, A, B
    expect(table.locator("tbody tr[data-group=b] td[data-metric=conversion]")).to_have_text("20%")
    expect(page.locator(".experiments-comparison")).to_have_count(3)
    first = page.locator(".experiments-comparison").first
    expect(first.locator(".experiments-verdict")).to_have_text(re.compile("^Конверсия \\+8,00"))
    expect(first.locator("li[data-metric=conversion]")).to_contain_text("+8 п. п. (от 1,2 до 14,8)")
    expect(first.locator("li[data-metric=visits]")).to_contain_text("мало данных для интервала")
    expect(page.locator(".experiments-no-margin")).to_be_visible()  # ROMI asks for the margin
    expect(page.locator(".experiments-uncertain")).to_have_count(1)
    romi = page.locator(".experiments-romi-card[data-variant=a]")  # a card per variant, named as the verdict does
    expect(romi.locator("h3")).to_have_text("Кофе")
    expect(romi.locator(".experiments-romi-sentence")).to_have_count(0)  # the margin notice says it instead
    box = romi.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390  # on the phone's screen, no sideways scroll
    method = first.locator(".experiments-method li[data-method=conversion]")
    expect(method).not_to_be_visible()  # methods behind "How is this computed?"
    first.locator(".experiments-method summary").click()
    expect(method).to_be_visible()
    expect(method).to_contain_text("p = 0,0123")
    expect(page.locator(".experiments-read")).not_to_be_visible()  # items read only in the details
    expect(page.get_by_text("Получили")).to_have_count(0)
    expect(page.locator("svg.experiments-chart")).to_have_count(2)
    expect(page.locator("svg.experiments-chart polygon.band")).to_have_count(4)  # 2 charts x 2 variants
    width = page.locator("svg.experiments-chart").first.evaluate("n => n.getBoundingClientRect().width")
    assert 280 <= width <= 390  # drawn at its shown width on the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables scroll inside their box
    expect(first.locator("h3")).to_have_text("Кофе против контрольной группы")
    expect(page.locator(".experiments-comparison h3").last).to_have_text("Десерт против «Кофе»")
    expect(page.locator("[data-window-select]")).to_have_value("0")  # the longest window ended for every card
    expect(page.locator(".experiments-window [role=status]")).to_have_text("Окно закрыто у всех карт.")
    page.locator("[data-window-select]").select_option("1")
    expect(page.locator(".experiments-window [role=status]")).to_contain_text("У 120 карт окно ещё идёт")
    axe(page)
    _api(stack, "POST", _program_path(stack, f"/experiments/{started['id']}/stop"))


def _winback_on(stack: Stack) -> None:
    _api(stack, "PATCH", _program_path(stack), {"mechanics": {"winback": {"after_days": 30, "bonus": 150}}})


def test_an_owner_starts_a_winback_experiment_and_stops_it_from_its_report(open_page, stack, axe):
    _stop_running(stack)
    _winback_on(stack)
    page = _owner(open_page(), stack, "#/triggers")
    box = page.locator(".triggers-experiment[data-subject=winback]")
    expect(box.locator("input[name=holdout_percent]")).to_have_value("10")
    box.locator("input[name=holdout_percent]").fill("20")
    box.locator("[data-action=add-variant]").click()
    variants = box.locator(".experiments-variant")
    expect(variants).to_have_count(2)
    variants.nth(0).locator("input[name$='.bonus']").fill("100")
    variants.nth(1).locator("input[name$='.bonus']").fill("300")
    variants.nth(1).locator("input[name$='.name']").fill("Щедрый")
    submit(page, ".triggers-experiment[data-subject=winback]")
    expect(box.locator(".triggers-x-running")).to_contain_text("20%")
    axe(page)
    running = [item for item in _api(stack, "GET", _program_path(stack, "/experiments"))["items"]
               if item["subject"] == "winback" and item["status"] == "running"]
    assert len(running) == 1
    assert [(v["name"], v["bonus"]) for v in running[0]["variants"]] == [("A", 100), ("Щедрый", 300)]

    box.locator("a", has_text="Открыть отчёт").click()
    expect(page.locator("#main h1")).to_have_text(running[0]["name"])
    expect(page.locator(".experiments-meta")).to_contain_text("контрольная группа 20%")
    page.locator("[data-action=stop]").click()
    page.locator("dialog.confirm button.danger").click()
    expect(page.locator(".experiments-meta")).to_contain_text("Остановлен")
    expect(page.locator("[data-action=stop]")).to_have_count(0)
    assert _api(stack, "GET", _program_path(stack, f"/experiments/{running[0]['id']}"))["status"] == "stopped"
    goto(page, "#/experiments")
    expect(page.locator(f".experiments-list tr[data-experiment='{running[0]['id']}']")).to_contain_text("Остановлен")
    axe(page)


def _campaign_with_holdout(stack: Stack, program_id: str | None = None, name: str = "Торт с контролем") -> dict:
    """A campaign to every customer (of the demo program, or `program_id`), half of them kept as control (so
    that both groups of a small demo audience have the cards an interval needs), sent now."""
    base = f"/admin/programs/{program_id or stack.demo['program_id']}/campaigns"
    campaign = _api(stack, "POST", base, {"name": name, "audience": {"kind": "all"},
                                          "texts": {"ru": "Завтра торт в подарок!"}, "channels": ["wallet"],
                                          "holdout_percent": 50})
    sent = _api(stack, "POST", f"{base}/{campaign['id']}/send")
    deadline = time.monotonic() + 30
    while sent["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.5)
        sent = _api(stack, "GET", f"{base}/{campaign['id']}")
    assert sent["status"] == "sent" and sent["experiment_id"] == sent["id"], sent
    return sent


def _sent_days_ago(stack: Stack, experiment_id: str, days: int) -> None:
    """The campaign's exposure moved `days` back, as if it had been sent then (the local stack has no clock
    to turn): each assignment's `exposed_on` in the stack's DynamoDB. Its events keep their offsets from
    exposure, so the purchases made after the send count on its day 0."""
    dynamodb = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{stack.db_port}", region_name="eu-central-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    table = "loyalty-local-assignments"
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table, KeyConditionExpression="experiment_id = :id",
        ExpressionAttributeValues={":id": {"S": experiment_id}})
    for page in pages:
        for item in page["Items"]:
            day = (date.fromisoformat(item["exposed_on"]["S"]) - timedelta(days=days)).isoformat()
            dynamodb.update_item(TableName=table, Key={"experiment_id": item["experiment_id"],
                                                       "card_id": item["card_id"]},
                                 UpdateExpression="SET exposed_on = :day",
                                 ExpressionAttributeValues={":day": {"S": day}})


def test_an_owner_reads_a_campaigns_experiment_and_downloads_its_csv(open_page, stack, axe, tmp_path):
    cards = [_join(stack, f"Гость Эксперимента {n}") for n in range(20)]
    campaign = _campaign_with_holdout(stack)
    for card in cards:  # everyone buys after the send: the control cards too
        _receipt(stack, card["card_number"], 45_000)
    _sent_days_ago(stack, campaign["experiment_id"], 10)
    page = _owner(open_page(accept_downloads=True), stack, f"#/campaigns/{campaign['id']}")
    expect(page.locator(".campaigns-experiment")).to_contain_text("Контрольная группа: 50%")
    page.locator(".campaigns-experiment-link").click()
    expect(page.locator("#main h1")).to_have_text(campaign["name"])
    expect(page.locator("[data-window-select] option")).to_have_count(3)
    page.locator("[data-window-select]").select_option("0")  # 7 days: ended for every card
    expect(page.locator(".experiments-window [role=status]")).to_have_text("Окно закрыто у всех карт.")
    expect(page.locator(".experiments-table tbody tr[data-group=control]")).to_be_visible()
    expect(page.locator(".experiments-table tbody tr[data-group=a]")).to_be_visible()
    expect(page.locator(".experiments-verdict").first).not_to_be_empty()
    expect(page.locator("svg.experiments-chart")).to_have_count(2)
    expect(page.locator("svg.experiments-chart").first.locator("polyline.line")).to_have_count(1)
    axe(page)
    with page.expect_download() as download:
        page.locator("[data-action=download]").click()
    saved = tmp_path / "experiment.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"experiment-{campaign['experiment_id']}-demo.csv"
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(rows) == campaign["counts"]["audience"]
    assert "a" in {row["group"] for row in rows} <= {"control", "a"}
    numbers = {card["card_number"] for card in cards}
    bought = [row for row in rows if row["card"] in numbers]
    assert len(bought) == len(cards)
    assert all(row["visits_7d"] == "1" and row["revenue_7d"] == "45000" for row in bought)


def test_an_owner_sets_the_economics_and_builds_an_ab_campaign_with_a_control_group(open_page, stack, axe):
    page = _owner(open_page(), stack, "#/mechanics")
    economics = page.locator("form.mech-economics")
    economics.locator("input[name='mechanics.economics.margin_percent']").fill("35")
    economics.locator("input[name='mechanics.economics.message_prices.sms']").fill("4.5")
    submit(page, "form.mech-economics")
    expect(economics.locator(".mech-economics-saved")).to_contain_text("Сохранено")  # inside the block
    deadline = time.monotonic() + 10
    while True:
        saved = _api(stack, "GET", _program_path(stack))["mechanics"]["economics"]
        if saved["margin_percent"] == 35 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert saved["margin_percent"] == 35 and saved["message_prices"]["sms"] == 450
    axe(page)

    goto(page, "#/campaigns")
    builder = page.locator("form.campaigns-builder")
    expect(builder.locator("input[name=holdout_percent]")).to_have_value("10")
    builder.locator("input[name=name]").fill("Два текста")
    builder.locator("textarea[name='texts.ru']").fill("Кофе дня со скидкой")
    builder.locator("input[name=holdout_percent]").fill("20")
    builder.locator("[data-action=add-variant]").click()
    variants = builder.locator(".experiments-variant")
    expect(variants).to_have_count(2)
    variants.nth(0).locator("input[name$='.name']").fill("Кофе")
    variants.nth(0).locator("textarea[name$='.texts.ru']").fill("Кофе дня за полцены")
    variants.nth(1).locator("input[name$='.name']").fill("Десерт")
    variants.nth(1).locator("textarea[name$='.texts.ru']").fill("Десерт к кофе в подарок")
    variants.nth(1).locator("input[name$='.bonus']").fill("50")
    builder.locator("select[name=when]").select_option("later")
    builder.locator("input[name=send_at]").fill("2030-06-01T10:00")
    axe(page)
    submit(page, "#main form.campaigns-builder")
    expect(page.locator(".campaigns-experiment")).to_contain_text("Контрольная группа: 20%")
    expect(page.locator(".campaigns-experiment")).to_contain_text("Кофе, Десерт")
    shown = page.locator(".campaigns-variants li")  # each variant's text and bonus on the campaign's page
    expect(shown).to_have_count(2)
    expect(shown.nth(0)).to_contain_text("Кофе дня за полцены")
    expect(shown.nth(1)).to_contain_text("бонус 50 баллов")
    expect(shown.nth(1)).to_contain_text("Десерт к кофе в подарок")
    campaign_id = page.evaluate("location.hash").split("/")[-1]
    campaign = _api(stack, "GET", _program_path(stack, f"/campaigns/{campaign_id}"))
    assert campaign["holdout_percent"] == 20 and campaign["status"] == "scheduled"
    assert [(v["name"], v["texts"], v["bonus"]) for v in campaign["variants"]] == [
        ("Кофе", {"ru": "Кофе дня за полцены"}, None), ("Десерт", {"ru": "Десерт к кофе в подарок"}, 50)]


def _desktop_report(experiment: dict) -> dict:
    """One unnamed variant ("A"), the margin set, a revenue difference that goes below zero, p = 0."""
    report = _hand_made_report(experiment)
    report["experiment"]["variants"] = [{"id": "a", "name": "A", "share_percent": 90.0, "bonus": 150, "texts": None,
                                         "offer": None}]
    report["groups"] = [{"variant": "control", "name": "Control", "cards": 100},
                        {"variant": "a", "name": "A", "cards": 900}]
    for window in report["windows"]:
        window["groups"] = {k: v for k, v in window["groups"].items() if k != "b"}
        window["comparisons"] = [{**window["comparisons"][0], "conversion": {
            **window["comparisons"][0]["conversion"], "p_value": 0}}]
    report["romi"] = [{"variant": "a", "window": 30, "complete": True, "incremental_revenue": 19341005,
                       "incremental_revenue_low": 11493536, "incremental_revenue_high": 27188474,
                       "incremental_margin": 11604603, "bonus_cost": 6300000, "message_cost": 330000, "cost": 6630000,
                       "romi": 75.03, "margin_percent": 60}]
    differences = report["chart"]["differences"]["a"]
    differences["revenue_low"] = [-214630 + 10 * k for k in range(14)]  # −₽2,146.30 at the bottom of the axis
    report["chart"]["differences"] = {"a": differences}
    return report


def test_a_report_on_a_desktop_keeps_romi_in_view_signs_on_the_axis_and_names_the_variant(open_page, stack, axe):
    """Issue 17's trial: the ROMI column overflowed at 1280 px, the chart's negative labels lost their sign, the
    single group was "Treated" while the verdict said variant "A", p = 0 read as a bare 0; an experiment that
    reached nobody showed an empty table; the list page had no ROMI by month."""
    _stop_running(stack)
    _winback_on(stack)
    started = _api(stack, "POST", _program_path(stack, "/experiments"), {"subject": "winback", "holdout_percent": 10})
    page = open_page(viewport={"width": 1280, "height": 900})
    answers = {"report": _desktop_report(started)}
    page.route(re.compile(r".*/experiments/[^/]+/report$"), lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answers["report"])))
    months = [{"month": "2026-10", "experiments": 1, "incremental_margin": 11604603, "cost": 6630000, "romi": 75.03},
              {"month": "2026-11", "experiments": 2, "incremental_margin": None, "cost": 45000, "romi": None}]
    page.route(re.compile(r".*/analytics/romi(\?.*)?$"), lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"months": months})))
    _owner(page, stack, f"#/experiments/{started['id']}")
    expect(page.locator("#main h1")).to_have_text(started["name"])
    # 3. the group by its own name, never "Treated"
    expect(page.locator(".experiments-table tbody tr[data-group=a] th")).to_have_text("Вариант A")
    expect(page.locator(".experiments-comparison h3").first).to_have_text("Вариант A против контрольной группы")
    # 1. the ROMI figure in view without sideways scroll, and a sentence an owner reads
    value = page.locator(".experiments-romi-card[data-variant=a] .experiments-romi-value dd")
    expect(value).to_have_text("+75,03%")
    box, panel = value.bounding_box(), page.locator(".experiments-romi").bounding_box()
    assert box and panel and box["x"] + box["width"] <= panel["x"] + panel["width"] + 0.5
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.evaluate("[...document.querySelectorAll('.ops-section')].every(n => n.scrollWidth <= n.clientWidth)")
    sentence = re.compile(r"^Каждый потраченный 1\s₽ принёс 1,75\s₽ маржи\.$")  # margin ÷ cost = 1.75
    expect(page.locator(".experiments-romi-sentence")).to_have_text(sentence)
    # 4. p = 0 is "< 0.0001", behind the details
    first = page.locator(".experiments-comparison").first
    first.locator(".experiments-method summary").click()
    expect(first.locator(".experiments-method li[data-method=conversion]")).to_contain_text("p < 0,0001")
    # 2. the axis keeps the sign and the label fits inside the chart
    labels = page.locator("svg.experiments-chart[data-chart=revenue] text.y-label")
    expect(labels.last).to_have_text(re.compile(r"^−2\s146,30\s₽$"))
    assert labels.last.evaluate("n => n.getBBox().x") >= 0
    axe(page)
    # 5. an experiment that reached nobody says so instead of an empty table
    answers["report"] = {**answers["report"], "groups": [{"variant": "control", "name": "Control", "cards": 0},
                                                         {"variant": "a", "name": "A", "cards": 0}],
                         "romi": [], "chart": {"days": [], "groups": {}, "differences": {}}}
    goto(page, "#/experiments")
    goto(page, f"#/experiments/{started['id']}")
    expect(page.locator(".experiments-nobody")).to_have_text(re.compile("^Пока никто не получил"))
    expect(page.locator(".experiments-table")).to_have_count(0)
    # 7. ROMI by month on the list page, money with the currency sign, the margin notice for an unknown month
    goto(page, "#/experiments")
    monthly = page.locator(".experiments-monthly")
    margin = monthly.locator("tr[data-month='2026-10'] td[data-col=margin]")
    expect(margin).to_have_text(re.compile(r"^\+116\s046,03\s₽$"))
    expect(monthly.locator("tr[data-month='2026-10'] td[data-col=romi]")).to_have_text("+75,03%")
    expect(monthly.locator("tr[data-month='2026-11'] td[data-col=romi]")).to_have_text("—")
    expect(monthly.locator(".experiments-no-margin")).to_be_visible()
    axe(page)
    _api(stack, "POST", _program_path(stack, f"/experiments/{started['id']}/stop"))


def test_the_campaign_builder_warns_of_a_control_group_too_small_for_a_verdict(open_page, stack):
    page = _owner(open_page(), stack, "#/campaigns")
    builder = page.locator("form.campaigns-builder")
    expect(builder.locator(".campaigns-size")).to_contain_text(re.compile(r"\d"))
    size = _api(stack, "POST", _program_path(stack, "/audience-size"), {"audience": {"kind": "all"}})["audience_size"]
    assert 0 < size < 300  # the demo's audience: 10% of it is fewer than 30 cards
    warning = builder.locator(".campaigns-holdout-warning")
    expect(warning).to_be_visible()  # the default 10%
    builder.locator("input[name=holdout_percent]").fill("5")
    expect(warning).to_contain_text(f"около {int(size * 5 / 100 + 0.5)} карт")
    expect(warning).to_contain_text("хотя бы 30")
    builder.locator("input[name=name]").fill("Маленький контроль")
    builder.locator("textarea[name='texts.ru']").fill("Кофе дня")
    page.locator("#main form.campaigns-builder button[type=submit]").click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_contain_text("хотя бы 30")
    dialog.locator("button:not(.danger)").click()
    builder.locator("input[name=holdout_percent]").fill("0")  # no control group: nothing to warn of
    expect(warning).to_be_hidden()
