"""The owner's console in a real browser (Debian's Chromium) against the local stack: sign in, create a
program with the wizard, upload a logo, make a POS key and post a receipt with it, invite a manager who
signs in and sees no owner-only pages. axe-core runs on every page; a console error fails the test.

A request the server refuses shows in Chromium's console as "Failed to load resource", which the harness
counts as an error: so these journeys test refusals the browser itself finds (a required field left
empty), and the API's refusals are tested in tests/api."""
import html
import json
import re
import struct
import time
import zlib

import pytest
from playwright.sync_api import expect

import app
from tests.browser.console import goto, nav_routes, open_console, sign_in, submit
from tests.e2e.stack import request


def test_sign_in_page_is_accessible_and_marks_what_is_missing(open_page, stack, axe):
    page = open_console(open_page(), stack, "#/")
    expect(page.locator("input[name=email]")).to_be_visible()  # not signed in: the sign-in page
    assert page.locator("h1").count() == 1
    axe(page)
    route = page.evaluate("location.hash")
    page.keyboard.press("Tab")  # the keyboard's first stop: the skip link, which lands on the heading
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main h1")).to_be_focused()
    assert page.evaluate("location.hash") == route
    page.locator("input[name=email]").fill(stack.demo["console"]["email"])
    submit(page)
    password = page.locator("input[name=password]")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    expect(page.locator("#main .field-error:not([hidden])")).to_have_text("Заполните это поле.")
    axe(page)


def png(width: int = 96, height: int = 48, rgb: tuple[int, int, int] = (200, 30, 60)) -> bytes:
    """A small solid PNG (a logo to upload)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def signed_post(stack, key_id: str, secret: str, path: str, body: dict) -> tuple[int, dict]:
    """A POS request as a till makes it (the contract's signature)."""
    import hashlib
    import hmac
    raw = json.dumps(body)
    timestamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), f"{timestamp}.POST.{path}.{raw}".encode(), hashlib.sha256).hexdigest()
    status, _, answer = request("POST", stack.api + path, raw.encode(), {
        "Content-Type": "application/json", "X-Loyalty-Key": key_id, "X-Loyalty-Timestamp": timestamp,
        "X-Loyalty-Signature": signature})
    return status, json.loads(answer)


def test_owner_journey_wizard_design_pos_key_receipt_and_a_manager(open_page, stack, axe, tmp_path):
    page = sign_in(open_page(), stack)
    axe(page)
    # the wizard: a new program from the presets; the slug follows the name and is checked as typed
    goto(page, "#/wizard")
    axe(page)
    slug = f"bakery-{int(time.time()) % 100000}"
    page.locator("input[name=name]").fill("Bakery Test")
    page.locator("input[name=slug]").fill(slug)
    expect(page.locator(".slug-status")).to_contain_text(f"/join/{slug}")
    page.locator("select[name=preset]").select_option("tiers")
    submit(page)
    expect(page.locator("#main h1")).to_contain_text("Bakery Test")
    expect(page.locator(".join-panel .join-link")).to_have_text(re.compile(f"/join/{slug}$"))
    expect(page.locator(".join-panel img.qr")).to_have_attribute("src", re.compile("^blob:"))
    poster = page.locator(".join-panel a[href*='/console/poster/']").first.get_attribute("href")
    assert poster.startswith(f"/console/poster/{slug}")
    axe(page)
    status, _, answer = request("GET", f"{stack.api}{poster}")
    assert status == 200 and "Bakery Test" in answer.decode() and "<svg" in answer.decode()

    # card design: the preview follows the fields; saved through the program's validation
    goto(page, "#/design")
    page.locator("input[name='branding.logo_text']").fill("Bakery")
    expect(page.locator(".apple-card .wallet-logo-text")).to_have_text("Bakery")
    submit(page, "#main form.design-form")
    expect(page.locator("form.design-form .banner-ok")).to_be_visible()
    axe(page)

    # a customer joins, so the key's test quotes a real card
    status, _, joined = request("POST", f"{stack.api}/join/{slug}", json.dumps(
        {"name": "Vera", "phone": "+79160001122", "consent": True}).encode(), {"Content-Type": "application/json"})
    assert status == 201, joined
    card = json.loads(joined)["card_number"]

    # a POS key: the secret shown once, the browser's own signed test, then a receipt signed in Python
    goto(page, "#/pos-keys")
    page.locator("input[name=label]").fill("Front till")
    submit(page)
    secret = page.locator(".key-created .secret").inner_text().strip()
    key_id = page.locator(".key-created .key-id").inner_text().strip()
    assert len(secret) >= 64 and key_id
    page.locator(".key-created button.primary").click()
    expect(page.locator(".key-test-result")).to_contain_text(card)
    expect(page.locator(".key-list table")).to_contain_text("Front till")
    axe(page)
    status, receipt = signed_post(stack, key_id, secret, "/pos/receipts",
                                  {"receipt_id": "console-test-1", "card": card, "total": 100000})
    assert status == 200, receipt
    assert receipt["earned"] > 0

    # invite a manager; they sign in with the e-mailed temporary password and choose their own
    goto(page, "#/staff")
    axe(page)
    manager = f"manager-{int(time.time())}@example.com"
    page.locator("input[name=email]").fill(manager)
    page.locator("select[name=role]").select_option("manager")
    submit(page)
    expect(page.locator(".staff-list")).to_contain_text(manager)
    # the form is ready for the next person with the default role, never quietly "owner"
    assert page.locator("select[name=role]").input_value() == "manager"
    assert page.locator("input[name=email]").input_value() == ""
    letter = stack.last_email(manager)
    assert letter is not None
    found = re.search(r"(?:Временный пароль|Temporary password): ([^<\s]+)", html.unescape(letter["body"]))
    assert found, letter
    temporary = found.group(1)

    other = open_page(locale="en-GB")
    open_console(other, stack, "#/sign-in")
    other.locator("input[name=email]").fill(manager)
    other.locator("input[name=password]").fill(temporary)
    submit(other)
    expect(other.locator("#main h1")).to_have_text("Choose a password")
    axe(other)
    other.locator("input[name=password]").fill("Manager-Passw0rd!")
    submit(other)
    expect(other.locator("#lc-nav-list a").first).to_be_attached()
    routes = nav_routes(other)
    assert "#/pos-keys" in routes  # managers may list the keys
    for owner_only in ("#/staff", "#/design", "#/wizard"):
        assert owner_only not in routes
    goto(other, "#/staff")
    expect(other.locator("#main .notice")).to_have_text("This section is not available for your role.")
    goto(other, "#/pos-keys")
    expect(other.locator("#main form")).to_have_count(0)  # no creating keys
    expect(other.locator("#main button.danger")).to_have_count(0)  # no revoking
    axe(other)


IMAGES_ROUTE = "/admin/programs/{program_id}/images/{kind}"


@pytest.mark.skipif(IMAGES_ROUTE not in app.app.routes, reason="the design part's image route is not merged yet")
def test_an_uploaded_logo_shows_in_both_previews(open_page, stack, axe, tmp_path):
    page = sign_in(open_page(), stack, route="#/design")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    page.locator("input[type=file][name=logo]").set_input_files(str(logo))
    page.locator(".image-field", has=page.locator("input[name=logo]")).locator("button.primary").click()
    apple_logo = page.locator(".apple-card img.preview-logo")
    expect(apple_logo).to_have_attribute("src", re.compile("/static/programs/.+/images/"))
    page.wait_for_function("() => { const i = document.querySelector('.apple-card img.preview-logo');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    expect(page.locator(".google-card img.preview-logo")).to_be_attached()
    axe(page)


def invite(page, stack, role: str) -> tuple[str, str]:
    """The signed-in owner invites someone from the staff page; returns their e-mail and the temporary
    password of the letter the local SES kept."""
    goto(page, "#/staff")
    email = f"{role}-{time.time_ns()}@example.com"
    page.locator("input[name=email]").fill(email)
    page.locator("select[name=role]").select_option(role)
    submit(page)
    expect(page.locator(".staff-list")).to_contain_text(email)
    letter = stack.last_email(email)
    found = re.search(r"(?:Временный пароль|Temporary password): ([^<\s]+)", html.unescape(letter["body"]))
    assert found, letter
    return email, found.group(1)


def test_account_language_totp_and_sign_out_for_an_analyst(open_page, stack, axe):
    email, temporary = invite(sign_in(open_page(), stack), stack, "analyst")
    page = open_console(open_page(), stack, "#/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(temporary)
    submit(page)
    page.locator("input[name=password]").fill("Analyst-Passw0rd!")
    submit(page)
    expect(page.locator("#lc-nav-list a").first).to_be_attached()
    assert "#/pos-keys" not in nav_routes(page) and "#/staff" not in nav_routes(page)

    # the language: switched on the account page, the whole console follows and a reload keeps it
    goto(page, "#/account")
    axe(page)
    page.locator("#main select").first.select_option("en")
    expect(page.locator("#main h1")).to_have_text("Account")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.locator("#main h1")).to_have_text("Account")  # the tab's session and the language survive

    # TOTP: the secret and its QR code, the first code turns it on, and the next sign-in asks for a code
    page.locator("#main section button.primary").first.click()
    expect(page.locator(".mfa-secret")).not_to_be_empty()
    expect(page.locator("#main img.qr")).to_have_attribute("src", re.compile("^blob:"))
    axe(page)
    page.locator("input[name=code]").fill("123456")  # the local stand-in takes any six digits
    submit(page, "#main section form")
    expect(page.locator("#main .banner-ok")).to_contain_text("Sign-in with a code is on")

    # signing out forgets the tokens and calls GlobalSignOut with the access token. moto's stand-in looks for
    # the token only in us-east-1 on an unsigned call (our local pool is elsewhere) and refuses it, so the
    # test answers that one call as Cognito would
    sign_outs = []

    def cognito_sign_out(route):
        if route.request.headers.get("x-amz-target", "").endswith(".GlobalSignOut"):
            sign_outs.append(json.loads(route.request.post_data or "{}"))
            route.fulfill(status=200, content_type="application/x-amz-json-1.1", body="{}",
                          headers={"Access-Control-Allow-Origin": "*"})
        else:
            route.continue_()
    page.route(f"{stack.cognito}/**", cognito_sign_out)
    page.locator("button.sign-out").click()
    expect(page.locator("input[name=email]")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert len(sign_outs) == 1 and sign_outs[0]["AccessToken"]
    page.unroute(f"{stack.cognito}/**")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill("Analyst-Passw0rd!")
    submit(page)
    expect(page.locator("#main h1")).to_have_text("Code from your app")
    page.locator("input[name=code]").fill("654321")
    submit(page)
    expect(page.locator("#lc-nav-list a").first).to_be_attached()


def test_every_wizard_preset_is_mechanics_the_api_takes(open_page, stack):
    from chalicelib.core import mechanics as mech
    page = open_console(open_page(), stack, "#/sign-in")
    expect(page.locator("input[name=email]")).to_be_visible()
    parsed = {preset: mech.parse(page.evaluate("p => LC.mechanicsPreset(p)", preset), None)
              for preset in ("cashback", "tiers", "welcome")}
    assert parsed["cashback"].kind == "cashback" and parsed["cashback"].tiers[0].earn_bp == 500
    assert [tier.name for tier in parsed["tiers"].tiers] == ["Базовый", "Серебро", "Золото"]
    assert parsed["welcome"].welcome_bonus == 200 and parsed["welcome"].lifetime_by_source == {"welcome": 31}
