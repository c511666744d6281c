"""The mechanics pages of the owner's console in a real browser (Debian's Chromium) against the local
stack: a cafe owner sets up a 9+1 stamp card with the tobacco exclusion, a cashier sells and the card
shows its stamps, and the kind is fixed once a customer holds a card; an offer is defined, issued to a
customer on their card's page and withdrawn; the surveys page shows an answer given on the one-tap page;
the wizard's new presets are mechanics the API takes. axe-core runs on every page at a phone's width; a
console error fails the test.

Two tests hold the pages to the JSON
of the issue's contract (/work/shared: common.md's shapes) whatever the backend does: what each form sends
(the program's PATCH answered by the test) and how a card's stamps, offers and challenges and the survey
results are drawn (those reads answered by the test)."""
import hashlib
import hmac
import html
import json
import re
import secrets
import time
import urllib.parse

from playwright.sync_api import Page, Route, expect

from chalicelib.core import mechanics as mech
from tests.browser.console import goto, sign_in, submit
from tests.e2e.stack import Stack, request

CARD_OFFERS = "/admin/cards/{card_id}/offers"
SURVEYS = "/admin/programs/{program_id}/surveys"
STAMP_CARD = {"kind": "stamps", "tiers": [{"id": "base", "name": "Base", "threshold": 0}],
              "stamps": {"per_reward": 9, "per": "item", "skus": [], "categories": [], "min_total": 0,
                         "reward": "Coffee"}}




def _api(stack: Stack, method: str, path: str, body: dict | None = None) -> dict:
    status, _, answer = request(method, stack.api + path, json.dumps(body).encode() if body is not None else None,
                                {"Authorization": f"Bearer {stack.demo['admin_token']}",
                                 "Content-Type": "application/json"})
    assert status < 300, answer
    return json.loads(answer) if answer else {}


def _program(stack: Stack, mechanics: dict | None = None) -> dict:
    """A new program of the demo merchant (its kind is free: nobody holds a card yet)."""
    slug = "mech-" + secrets.token_hex(4)
    body = {"name": "Кофейня " + slug, "slug": slug, "timezone": "Europe/Moscow"}
    if mechanics:
        body["mechanics"] = mechanics
    return _api(stack, "POST", "/admin/programs", body)


def _join(stack: Stack, program: dict, name: str, email: str | None = None) -> dict:
    """A customer joins `program` on its join page (with an e-mail for letters, when given)."""
    join_url = stack.demo["join_url"].rsplit("/", 1)[0] + "/" + program["slug"]
    body = {"name": name, "phone": "+7916" + str(secrets.randbelow(9_000_000) + 1_000_000), "consent": True}
    if email:
        body.update(email=email, marketing_consent=True)
    status, _, answer = request("POST", join_url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    assert status == 201, answer
    return json.loads(answer)


def _saved(stack: Stack, program_id: str, holds, seconds: float = 10) -> dict:
    """The program once `holds(program)` is true: the click's PATCH may still be on its way."""
    deadline = time.monotonic() + seconds
    while True:
        program = _api(stack, "GET", f"/admin/programs/{program_id}")
        if holds(program) or time.monotonic() > deadline:
            return program
        time.sleep(0.1)


def _receipt(stack: Stack, card_number: str, total: int, lines: list[dict] | None = None,
             key: tuple[str, str] | None = None) -> dict:
    """A purchase posted the way a till does, signed with `key` (key id, secret): the demo program's by default."""
    path = "/pos/receipts"
    key_id, secret = key or (stack.demo["pos_key_id"], stack.demo["pos_secret"])
    body: dict = {"receipt_id": "mech-" + secrets.token_hex(6), "card": card_number, "total": total}
    if lines:
        body["lines"] = lines
    raw = json.dumps(body)
    stamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"{stamp}.POST.{path}.{raw}".encode(), hashlib.sha256).hexdigest()
    status, _, answer = request("POST", stack.api + path, raw.encode(), {
        "Content-Type": "application/json", "X-Loyalty-Key": key_id, "X-Loyalty-Timestamp": stamp,
        "X-Loyalty-Signature": signature})
    assert status == 200, answer
    return json.loads(answer)


def _owner_on(page: Page, stack: Stack, program_id: str, route: str) -> Page:
    """The demo owner signed in, on the given program (read again: a test made it after sign-in began)."""
    sign_in(page, stack)
    page.evaluate("id => LC.loadPrograms(id)", program_id)
    page.wait_for_function("id => LC.program && LC.program.id === id", arg=program_id)
    goto(page, route)
    return page


def test_the_new_pages_draw_in_both_languages_at_a_phone_width_and_are_axe_clean(open_page, stack, axe):
    program = _program(stack)
    for locale, heading in (("ru-RU", {"#/mechanics": "Механика", "#/offers": "Предложения",
                                       "#/challenges": "Задания", "#/surveys": "Опросы"}),
                            ("en-GB", {"#/mechanics": "Mechanics", "#/offers": "Offers",
                                       "#/challenges": "Challenges", "#/surveys": "Surveys"})):
        page = _owner_on(open_page(locale=locale), stack, program["id"], "#/")
        routes = page.eval_on_selector_all("#lc-nav-list a", "links => links.map(a => a.getAttribute('href'))")
        assert set(heading) <= set(routes)
        for route, title in heading.items():
            goto(page, route)
            expect(page.locator("#main h1")).to_have_text(title)
            expect(page.locator("#main [aria-busy=true]")).to_have_count(0)
            if route in ("#/offers", "#/challenges"):
                page.locator("button.mech-add").click()  # an item's every field, labelled
                expect(page.locator("#main input[name$='[0].id']")).to_be_focused()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, route  # no sideways scrolling
            axe(page)


def test_every_new_wizard_preset_is_mechanics_the_api_takes(open_page, stack):
    page = open_page()
    page.goto(f"{stack.api}/console#/sign-in")
    expect(page.locator("input[name=email]")).to_be_visible()
    discount = page.evaluate("LC.mechanicsPreset('discount')")
    stamps = page.evaluate("LC.mechanicsPreset('stamps')")
    assert discount["kind"] == "discount" and [t["discount_percent"] for t in discount["tiers"]] == [5, 10]
    assert stamps["kind"] == "stamps" and stamps["stamps"]["per_reward"] == 9
    assert mech.to_dict(mech.parse(stamps))["stamps"]["per_reward"] == 9
    assert mech.to_dict(mech.parse(discount))["tiers"][1]["discount_percent"] == 10


def test_a_cafe_sets_up_a_9_plus_1_stamp_card_with_a_tobacco_exclusion(open_page, stack, axe):
    program = _program(stack)
    page = _owner_on(open_page(), stack, program["id"], "#/mechanics")
    kind = page.locator("select[name='mechanics.kind']")
    expect(kind).to_be_enabled()
    axe(page)

    kind.select_option("stamps")
    page.locator("input[name='mechanics.stamps.per_reward']").fill("9")
    page.locator("select[name='mechanics.stamps.per']").select_option("item")
    page.locator("input[name='mechanics.stamps.reward.ru']").fill("Бесплатный кофе")
    page.locator("input[name='mechanics.stamps.reward.en']").fill("A free coffee")
    axe(page)
    submit(page, "#main form.mech-kind")
    saved = _saved(stack, program["id"], lambda p: p["mechanics"]["kind"] == "stamps")
    assert saved["mechanics"]["kind"] == "stamps"
    assert saved["mechanics"]["stamps"]["per_reward"] == 9 and saved["mechanics"]["stamps"]["per"] == "item"
    assert saved["mechanics"]["stamps"]["reward"] == {"ru": "Бесплатный кофе", "en": "A free coffee"}

    page.locator(".mech-products button.mech-preset").click()  # "Tobacco: excluded (law)"
    expect(page.locator("input[name='mechanics.products[0].id']")).to_have_value("tobacco")
    expect(page.locator("input[name='mechanics.products[0].amount']")).to_be_hidden()  # excluded: no rate asked
    page.locator(".mech-products button.mech-add").click()
    page.locator("input[name='mechanics.products[1].id']").fill("syrup")
    page.locator("input[name='mechanics.products[1].skus']").fill("SYR-1, SYR-2")
    page.locator("select[name='mechanics.products[1].effect']").select_option("multiplier")
    page.locator("input[name='mechanics.products[1].amount']").fill("20")  # more than the API's 10
    submit(page, "#main .mech-products form")
    amount = page.locator("input[name='mechanics.products[1].amount']")
    expect(amount).to_have_attribute("aria-invalid", "true")  # the API's error, at its field
    expect(amount).to_be_focused()
    axe(page)
    amount.fill("2")
    submit(page, "#main .mech-products form")
    saved = _saved(stack, program["id"], lambda p: len(p["mechanics"]["products"]) == 2)
    tobacco, syrup = saved["mechanics"]["products"]
    assert tobacco["id"] == "tobacco" and tobacco["categories"] == ["tobacco"] and tobacco.get("exclude") is True
    assert syrup["skus"] == ["SYR-1", "SYR-2"] and syrup["multiplier"] == 2
    assert saved["mechanics"]["kind"] == "stamps"  # saving the rules left the kind alone

    # a cashier sells three coffees and a pack of cigarettes: three stamps, none for the tobacco
    key = _api(stack, "POST", f"/admin/programs/{program['id']}/pos-keys", {"label": "till"})
    guest = _join(stack, program, "Первая Гостья")
    _receipt(stack, guest["card_number"], 750_00, key=(key["key_id"], key["secret"]), lines=[
        {"sku": "LATTE", "name": "Латте", "qty": 3, "amount": 540_00, "category": "coffee"},
        {"sku": "CIG-1", "name": "Сигареты", "qty": 1, "amount": 210_00, "category": "tobacco"}])
    page.evaluate("id => LC.loadPrograms(id)", program["id"])
    goto(page, f"#/customers/{urllib.parse.quote(guest['card_id'])}")
    expect(page.locator(".card-balance")).to_have_text("3 / 9 штампов")
    axe(page)


def test_the_kind_is_fixed_once_a_customer_holds_a_card(open_page, stack, axe):
    program = _program(stack)
    page = _owner_on(open_page(locale="en-GB"), stack, program["id"], "#/mechanics")
    expect(page.locator("select[name='mechanics.kind']")).to_be_enabled()
    _join(stack, program, "First Guest")
    goto(page, "#/customers")
    goto(page, "#/mechanics")
    kind = page.locator("select[name='mechanics.kind']")
    expect(kind).to_be_disabled()
    hint = page.locator(".mech-kind-section .field", has=kind).locator(".hint")
    expect(hint).to_contain_text("Make a new program for another kind")
    assert hint.get_attribute("id") in kind.get_attribute("aria-describedby")  # read out with the select
    axe(page)


def test_an_offer_is_defined_issued_to_a_customer_shown_on_their_card_and_withdrawn(open_page, stack, axe):
    program = _program(stack)
    customer = _join(stack, program, "Гость С Предложением")
    page = _owner_on(open_page(), stack, program["id"], "#/offers")
    page.locator("button.mech-add").click()
    page.locator("input[name='mechanics.offers[0].id']").fill("free-dessert")
    page.locator("input[name='mechanics.offers[0].name.ru']").fill("Десерт в подарок")
    page.locator("select[name='mechanics.offers[0].reward.type']").select_option("free_item")
    page.locator("input[name='mechanics.offers[0].reward.item']").fill("Десерт")
    page.locator("input[name='mechanics.offers[0].conditions.days.sat']").check()
    page.locator("input[name='mechanics.offers[0].conditions.days.sun']").check()
    page.locator("input[name='mechanics.offers[0].valid_days']").fill("14")
    axe(page)
    submit(page, "#main .offers-defs form")
    saved = _saved(stack, program["id"], lambda p: len(p["mechanics"]["offers"]) == 1)
    offer = saved["mechanics"]["offers"][0]
    assert offer["id"] == "free-dessert" and offer["reward"]["type"] == "free_item"
    assert offer["conditions"]["days"] == ["sat", "sun"] and offer["valid_days"] == 14

    goto(page, f"#/customers/{urllib.parse.quote(customer['card_id'])}")
    expect(page.locator(".card-offers")).to_contain_text("На карте нет предложений")
    page.locator(".card-offers select[name=offer]").select_option("free-dessert")
    submit(page, "#main .card-offers form.offers-issue")
    held = page.locator(".offers-held li")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("Десерт в подарок")
    expect(held).to_contain_text("действует")
    axe(page)
    held_now = _api(stack, "GET", f"/admin/cards/{customer['card_id']}/offers")["items"]
    assert [o["offer"] for o in held_now if o["status"] == "live"] == ["free-dessert"]

    page.locator("button.offers-withdraw").click()
    page.locator("dialog.confirm button.danger").click()
    expect(page.locator("button.offers-withdraw")).to_have_count(0)
    left = _api(stack, "GET", f"/admin/cards/{customer['card_id']}/offers")["items"]
    assert not [o for o in left if o["status"] == "live"]

    # a campaign issues it to a segment: every customer of the program here
    goto(page, "#/campaigns")
    page.locator("input[name=name]").fill("Десерт всем")
    page.locator("select[name=offer]").select_option("free-dessert")
    page.locator("textarea[name='texts.ru']").fill("Десерт ждёт вас на карте")
    page.locator("input[name=holdout_percent]").fill("0")  # the one customer gets it: no control group
    expect(page.locator(".campaigns-size")).to_have_text("Получат: 1")
    axe(page)
    submit(page, "#main form.campaigns-builder")
    page.locator("dialog.confirm button.danger").click()
    expect(page.locator(".campaigns-results")).to_contain_text("Предложение: Десерт в подарок")
    expect(page.locator(".campaigns-results")).to_contain_text("Отправлена", timeout=20_000)
    held_now = _api(stack, "GET", f"/admin/cards/{customer['card_id']}/offers")["items"]
    assert [o["offer"] for o in held_now if o["status"] == "live"] == ["free-dessert"]


def test_a_challenge_and_action_bonuses_are_set_up_and_a_card_shows_its_progress(open_page, stack, axe):
    program = _program(stack)
    page = _owner_on(open_page(locale="en-GB"), stack, program["id"], "#/challenges")
    page.locator("button.mech-add").click()
    page.locator("input[name='mechanics.challenges[0].id']").fill("three-lattes")
    page.locator("input[name='mechanics.challenges[0].name.en']").fill("Three lattes")
    page.locator("select[name='mechanics.challenges[0].goal.type']").select_option("product")
    page.locator("input[name='mechanics.challenges[0].goal.target']").fill("3")
    page.locator("input[name='mechanics.challenges[0].goal.skus']").fill("LATTE")
    page.locator("input[name='mechanics.challenges[0].reward.points']").fill("300")
    axe(page)
    submit(page, "#main .challenges-defs form")
    saved = _saved(stack, program["id"], lambda p: len(p["mechanics"]["challenges"]) == 1)
    challenge = saved["mechanics"]["challenges"][0]
    assert challenge["goal"] == {"type": "product", "target": 3, "skus": ["LATTE"], "categories": []}
    assert challenge["reward"] == {"points": 300} and challenge["window_days"] == 14

    goto(page, "#/mechanics")
    page.locator("input[name='mechanics.actions.first_purchase']").fill("25")
    submit(page, "#main form.mech-actions")
    saved = _saved(stack, program["id"], lambda p: p["mechanics"]["actions"]["first_purchase"] == 25)
    assert saved["mechanics"]["actions"]["first_purchase"] == 25

    key = _api(stack, "POST", f"/admin/programs/{program['id']}/pos-keys", {"label": "till"})
    guest = _join(stack, program, "Latte Lover")
    _receipt(stack, guest["card_number"], 360_00, key=(key["key_id"], key["secret"]), lines=[
        {"sku": "LATTE", "name": "Latte", "qty": 2, "amount": 360_00}])
    goto(page, f"#/customers/{urllib.parse.quote(guest['card_id'])}")
    progress = page.locator(".card-challenges li", has_text="Three lattes")
    expect(progress).to_contain_text("2 of 3")
    expect(progress.locator("progress")).to_have_accessible_name("Three lattes")
    expect(page.locator(".card-ledger")).to_contain_text("+25")  # the first purchase's bonus
    axe(page)


def _survey_link(stack: Stack, email: str, seconds: float = 20) -> str:
    """The survey's one-tap link as the customer got it: in the letter the stack's outbox sent (it runs
    every second; the outbox itself holds the link unsigned until it is sent)."""
    deadline = time.monotonic() + seconds
    while True:
        letters = [json.dumps(letter, ensure_ascii=False) for letter in stack.emails()
                   if email in letter.get("destinations", {}).get("ToAddresses", [])]
        for letter in letters:
            found = re.search(r"https?://[^\s\"<>]+/survey/[\w.~-]+", html.unescape(letter))
            if found:
                return found.group(0)
        assert time.monotonic() < deadline, letters
        time.sleep(0.3)

def test_the_surveys_page_shows_an_answer_given_on_the_one_tap_page(open_page, stack, axe):
    program = _program(stack, {"survey": {"kind": "nps", "delay_minutes": 0, "sample_percent": 100, "period_days": 1},
                               "messaging": {"quiet_hours": None}})
    key = _api(stack, "POST", f"/admin/programs/{program['id']}/pos-keys", {"label": "till"})
    email = f"survey-{secrets.token_hex(3)}@example.com"
    customer = _join(stack, program, "Гость Опроса", email=email)
    _receipt(stack, customer["card_number"], 450_00, key=(key["key_id"], key["secret"]))
    link = urllib.parse.urlsplit(_survey_link(stack, email)).path
    comment = "Очень вкусный кофе " + secrets.token_hex(2)
    for form in ({"score": "10"}, {"comment": comment}):  # the tap, then the thank-you page's comment
        status, _, answer = request("POST", stack.api + link, urllib.parse.urlencode(form).encode(),
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, answer

    page = _owner_on(open_page(), stack, program["id"], "#/surveys")
    expect(page.locator(".surveys-tile[data-figure=nps] .surveys-tile-value")).to_be_visible()
    promoters = page.locator(".surveys-tile[data-figure=promoters] .surveys-tile-value")
    assert int(promoters.inner_text()) >= 1
    expect(page.locator(".surveys-comment-list")).to_contain_text(comment)
    axe(page)
    page.locator("input[name=from]").fill("2000-01-01")
    page.locator("input[name=to]").fill("2000-01-31")
    submit(page, "#main form.surveys-period")
    expect(page.locator(".surveys-summary")).to_contain_text("За этот период ответов нет")

def _answer_program_patches(page: Page, program: dict, sent: list[dict]) -> None:
    """Answer the program's GET and PATCH in the browser (the sections merged into the program), keeping
    each PATCH body in `sent`: what the console sends, whatever the stack's mechanics take yet."""
    held = {"program": program}

    def handle(route: Route) -> None:
        if route.request.method == "PATCH":
            body = json.loads(route.request.post_data or "{}")
            sent.append(body)
            held["program"] = {**held["program"], "mechanics": {**held["program"]["mechanics"], **body["mechanics"]}}
        elif route.request.method != "GET":
            route.continue_()
            return
        route.fulfill(status=200, content_type="application/json", body=json.dumps(held["program"]))
    page.route(f"**/admin/programs/{program['id']}", handle)


def _wait_sent(page: Page, sent: list[dict], n: int, seconds: float = 10) -> None:
    """Until the browser has sent `n` PATCHes (the test's route handler runs while Playwright waits)."""
    deadline = time.monotonic() + seconds
    while len(sent) < n:
        assert time.monotonic() < deadline, sent
        page.wait_for_timeout(50)


def test_each_form_sends_the_contracts_mechanics_json(open_page, stack, axe):
    program = _program(stack)
    page = open_page()
    sent: list[dict] = []
    _answer_program_patches(page, program, sent)
    _owner_on(page, stack, program["id"], "#/mechanics")
    page.locator("select[name='mechanics.kind']").select_option("stamps")
    page.locator("input[name='mechanics.stamps.reward.ru']").fill("Бесплатный кофе")
    page.locator("input[name='mechanics.stamps.categories']").fill("coffee, tea")
    page.locator("input[name='mechanics.stamps.min_total']").fill("150.50")
    submit(page, "#main form.mech-kind")
    _wait_sent(page, sent, 1)
    page.locator(".mech-products button.mech-preset").click()
    page.locator(".mech-products button.mech-add").click()
    page.locator("input[name='mechanics.products[1].id']").fill("syrup")
    page.locator("input[name='mechanics.products[1].skus']").fill("SYR-1")
    page.locator("select[name='mechanics.products[1].effect']").select_option("earn_percent")
    page.locator("input[name='mechanics.products[1].amount']").fill("12.5")
    page.locator("input[name='mechanics.products[1].until']").fill("2026-12-31")
    submit(page, "#main .mech-products form")
    _wait_sent(page, sent, 2)
    page.locator("input[name='mechanics.actions.profile_completed']").fill("50")
    submit(page, "#main form.mech-actions")
    _wait_sent(page, sent, 3)
    page.locator("input[name=survey_on]").check()
    page.locator("select[name='mechanics.survey.kind']").select_option("csi")
    page.locator("input[name='mechanics.survey.delay_minutes']").fill("0")
    submit(page, "#main form.mech-survey")
    _wait_sent(page, sent, 4)
    page.locator("select[name='mechanics.kind']").select_option("discount")
    page.locator("input[name='mechanics.tiers[0].discount_percent']").fill("7.5")
    submit(page, "#main form.mech-kind")
    _wait_sent(page, sent, 5)
    axe(page)
    assert sent[0] == {"mechanics": {"kind": "stamps", "stamps": {
        "per_reward": 9, "per": "item", "skus": [], "categories": ["coffee", "tea"], "min_total": 15050,
        "reward": {"ru": "Бесплатный кофе"}}}}
    assert sent[1] == {"mechanics": {"products": [
        {"id": "tobacco", "skus": [], "categories": ["tobacco"], "exclude": True},
        {"id": "syrup", "skus": ["SYR-1"], "categories": [], "earn_percent": 12.5, "until": "2026-12-31"}]}}
    assert sent[2] == {"mechanics": {"actions": {"profile_completed": 50, "survey_answered": 0, "first_purchase": 0}}}
    assert sent[3] == {"mechanics": {"survey": {"kind": "csi", "delay_minutes": 0, "sample_percent": 100,
                                                "period_days": 30}}}
    assert sent[4]["mechanics"]["kind"] == "discount" and sent[4]["mechanics"]["stamps"] is None
    assert [tier["discount_percent"] for tier in sent[4]["mechanics"]["tiers"]] == [7.5]

    goto(page, "#/offers")
    page.locator("button.mech-add").click()
    page.locator("input[name='mechanics.offers[0].id']").fill("weekend-coffee")
    submit(page, "#main .offers-defs form")  # no name in any language: marked, nothing sent
    expect(page.locator("input[name='mechanics.offers[0].name.ru']")).to_have_attribute("aria-invalid", "true")
    assert len(sent) == 5
    page.locator("input[name='mechanics.offers[0].name.en']").fill("Weekend coffee")
    page.locator("select[name='mechanics.offers[0].reward.type']").select_option("percent")
    page.locator("input[name='mechanics.offers[0].reward.percent']").fill("20")
    for day in ("sat", "sun"):
        page.locator(f"input[name='mechanics.offers[0].conditions.days.{day}']").check()
    page.locator("input[name='mechanics.offers[0].conditions.hours.from']").fill("08:00")
    page.locator("input[name='mechanics.offers[0].conditions.hours.to']").fill("12:00")
    page.locator("input[name='mechanics.offers[0].auto.on']").check()
    axe(page)
    submit(page, "#main .offers-defs form")
    _wait_sent(page, sent, 6)
    assert sent[5] == {"mechanics": {"offers": [{
        "id": "weekend-coffee", "name": {"en": "Weekend coffee"}, "reward": {"type": "percent", "percent": 20},
        "conditions": {"days": ["sat", "sun"], "hours": ["08:00", "12:00"]}, "valid_days": 30,
        "auto": {"rule": "favourite_product", "min_units": 5, "every_days": 60}}]}}

    goto(page, "#/challenges")
    page.locator("button.mech-add").click()
    page.locator("input[name='mechanics.challenges[0].id']").fill("three-visits")
    page.locator("input[name='mechanics.challenges[0].name.ru']").fill("Три визита")
    page.locator("select[name='mechanics.challenges[0].reward.type']").select_option("offer")  # the offer above
    page.locator("input[name='mechanics.challenges[0].streak.on']").check()
    page.locator("input[name='mechanics.challenges[0].streak_bonus.points']").fill("50")
    axe(page)
    submit(page, "#main .challenges-defs form")
    _wait_sent(page, sent, 7)
    assert sent[6] == {"mechanics": {"challenges": [{
        "id": "three-visits", "name": {"ru": "Три визита"}, "goal": {"type": "visits", "target": 3}, "window_days": 14,
        "reward": {"offer": "weekend-coffee"}, "repeat": True, "streak_bonus": {"every": 3, "points": 50}}]}}


def test_a_cards_stamps_offers_and_challenges_and_the_survey_results_are_drawn(open_page, stack, axe):
    program = _program(stack)
    guest = _join(stack, program, "Гостья")
    page = open_page()
    held = [{"id": "h1", "offer": "o1", "name": {"ru": "Кофе в подарок"}, "status": "live", "valid_until": "2026-12-30",
             "reward": {"type": "free_item", "item": "Кофе"}},
            {"id": "h0", "offer": "o1", "name": "Старое", "status": "expired", "valid_until": "2026-10-01",
             "reward": {"type": "points", "points": 50}}]
    issued: list[dict] = []

    def offers(route: Route) -> None:
        if route.request.method == "POST":
            issued.append(json.loads(route.request.post_data or "{}"))
            route.fulfill(status=201, content_type="application/json", body=json.dumps(held[0]))
        elif route.request.method == "DELETE":
            held[0] = {**held[0], "status": "used"}
            route.fulfill(status=204, body="")
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps({"items": held}))

    def card(route: Route) -> None:
        answer = route.fetch()
        view = {**answer.json(), "balance": 15, "available": 15, "challenges": [
            {"id": "c1", "name": {"ru": "Три визита"}, "progress": 2, "target": 3, "ends_on": "2026-12-10",
             "completed": 1, "streak": 1}]}
        route.fulfill(response=answer, body=json.dumps(view))

    results = {"from": "2026-10-31", "to": "2026-11-29",
               "nps": {"score": 40, "promoters": 6, "passives": 2, "detractors": 2, "answers": 10},
               "csi": {"average": 4.25, "answers": 4},
               "by_month": [{"month": "2026-11", "nps": {"score": 40, "answers": 10},
                             "csi": {"average": 4.25, "answers": 4}}],
               "comments": {"items": [{"answered_at": "2026-11-20T10:00:00Z", "score": 9, "comment": "Вкусно",
                                       "card_id": guest["card_id"], "kind": "nps"}], "next_cursor": "next"}}
    older = {"items": [{"answered_at": "2026-11-19T10:00:00Z", "score": 3, "comment": "Долго", "card_id": None,
                        "kind": "nps"}],
             "next_cursor": None}

    def surveys(route: Route) -> None:
        body = {**results, "comments": older} if "cursor=next" in route.request.url else results
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/admin/cards/*/offers**", offers)
    page.route(f"**/admin/cards/{guest['card_id']}", card)
    page.route(f"**/admin/programs/{program['id']}/surveys**", surveys)
    _owner_on(page, stack, program["id"], "#/")
    page.evaluate("""id => LC.programs.forEach(p => { if (p.id === id) Object.assign(p.mechanics, {kind: 'stamps',
        stamps: {per_reward: 9}, offers: [{id: 'o1', name: {ru: 'Кофе в подарок'}}]}); })""", program["id"])
    goto(page, f"#/customers/{guest['card_id']}")
    expect(page.locator(".card-balance")).to_have_text("6 / 9 штампов")  # 15 stamps: one full card and 6
    expect(page.locator(".card-summary")).to_contain_text("Наград к получению")
    expect(page.locator(".offers-held li")).to_have_count(2)
    expect(page.locator(".offers-held li").first).to_contain_text("бесплатно: Кофе · действует")
    expect(page.locator(".offers-withdraw")).to_have_count(1)  # only a live offer is withdrawn
    expect(page.locator(".card-challenges")).to_contain_text("2 из 3")
    expect(page.locator(".card-challenges progress")).to_have_accessible_name("Три визита")
    axe(page)
    submit(page, "#main form.offers-issue")
    expect(page.locator("#lc-toasts")).to_contain_text("Предложение выдано")
    assert issued[0]["offer"] == "o1" and len(issued[0]["idempotency_key"]) >= 16
    page.locator("button.offers-withdraw").click()
    page.locator("dialog.confirm button.danger").click()
    expect(page.locator(".offers-withdraw")).to_have_count(0)

    goto(page, "#/surveys")
    expect(page.locator(".surveys-tile[data-figure=nps] .surveys-tile-value")).to_have_text("+40")
    expect(page.locator(".surveys-tile[data-figure=csi] .surveys-tile-value")).to_have_text("4,25")
    expect(page.locator(".surveys-months tbody tr")).to_have_count(1)
    page.locator(".surveys-comments button").click()
    expect(page.locator(".surveys-comment-list li")).to_have_count(2)
    expect(page.locator(".surveys-comment-list")).to_contain_text("Долго")
    expect(page.locator(".surveys-comment-list li").first).to_contain_text("Оценка 9 из 10")
    expect(page.locator("input[name=from]")).to_have_value("2026-10-31")  # the period the API answered for
    axe(page)
