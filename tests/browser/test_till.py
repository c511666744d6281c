"""The cashier's till in a real browser (Debian's Chromium) against the local stack: a cashier invited at one
location signs in, lands on the till, scans a customer's wallet-card QR with the phone's camera, sees the
balance, sells with points, sees the new balance, then refunds the sale from today's list.

The camera is Chromium's fake capture device playing a Y4M file whose frames show the card's QR code
(made here with segno and Pillow): the same getUserMedia, video and QR reading as on a phone. Headless
Chromium on Linux has no BarcodeDetector, so this reads the QR with the vendored jsQR (the fallback).
This test launches its own Chromium with the camera flags; the other browser tests' browser is untouched.
The owner adds the two locations through the admin API (POST /admin/programs/{id}/locations)."""
import html
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import segno
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, Watched
from tests.browser.console import open_console, sign_in, submit, wait_for_page
from tests.e2e.stack import Stack, request

WIDTH, HEIGHT = 640, 480  # the fake camera's frames (4:2:0: both even)
PHONE_360 = {"width": 360, "height": 780}  # the narrowest phone the till is made for


def y4m_of_qr(text: str, path: Path, frames: int = 3) -> Path:
    """A YUV4MPEG2 (C420) video whose every frame shows `text` as a QR code on white, as a phone's camera
    would see a wallet card held up to it."""
    qr = segno.make_qr(text, error="m")  # a QR code, never a Micro QR (which jsQR and phones do not read)
    side = 360
    code = Image.new("L", (side, side), 255)
    matrix = qr.matrix
    module = side // (len(matrix) + 8)  # a quiet zone of four modules on each side
    offset = (side - module * len(matrix)) // 2
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                code.paste(0, (offset + x * module, offset + y * module,
                               offset + (x + 1) * module, offset + (y + 1) * module))
    frame = Image.new("L", (WIDTH, HEIGHT), 230)
    frame.paste(code, ((WIDTH - side) // 2, (HEIGHT - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


def _api(stack: Stack, method: str, path: str, body: dict | None = None) -> dict:
    status, _, answer = request(method, stack.api + path, json.dumps(body).encode() if body is not None else None,
                                {"Authorization": f"Bearer {stack.demo['admin_token']}",
                                 "Content-Type": "application/json"})
    assert status < 300, answer
    return json.loads(answer) if answer else {}


def _location(stack: Stack, name: str) -> str:
    """A new location of the demo program, added as the owner adds one; its id."""
    return _api(stack, "POST", f"/admin/programs/{stack.demo['program_id']}/locations", {"name": name})["id"]


@contextmanager
def camera_chromium(playwright: Playwright, video: Path) -> Iterator[Browser]:
    """A Chromium of its own whose camera plays `video`; the camera permission prompt is answered yes. Launched
    from the run's one Playwright driver (conftest.playwright_driver: a second sync driver in the same thread
    is refused once the other browser tests started theirs)."""
    flags = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             f"--use-file-for-fake-video-capture={video}"]
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
    try:
        yield launched
    finally:
        launched.close()


def _cashier_signs_in(page: Page, stack: Stack, email: str) -> None:
    letter = stack.last_email(email)
    found = re.search(r"(?:Временный пароль|Temporary password): ([^<\s]+)", html.unescape(letter["body"]))
    assert found, letter
    open_console(page, stack, "#/sign-in")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(found.group(1))
    submit(page)
    page.locator("input[name=password]").fill("Cashier-Passw0rd!")
    submit(page)


def test_a_cashier_scans_sells_with_points_and_refunds(stack, axe, tmp_path, playwright_driver):
    suffix = secrets.token_hex(2)  # the stack is shared: other browser tests add locations of their own
    _location(stack, f"Тверская {suffix}")
    arbat_name = f"Арбат {suffix}"
    arbat = _location(stack, arbat_name)
    status, _, answer = request("POST", stack.demo["join_url"], json.dumps(
        {"name": "Анна Кассова", "phone": "+7916" + str(secrets.randbelow(9_000_000) + 1_000_000),
         "consent": True}).encode(), {"Content-Type": "application/json"})
    assert status == 201, answer
    customer = json.loads(answer)
    video = y4m_of_qr(customer["card_number"], tmp_path / "camera.y4m")  # the pass's QR holds the card number
    email = f"cashier-{secrets.token_hex(3)}@example.com"

    with camera_chromium(playwright_driver, video) as browser:
        _owner_invites_a_cashier(browser, stack, axe, email, arbat_name)
        _sell_and_refund(browser, stack, axe, customer, email, arbat, arbat_name)


def _owner_invites_a_cashier(browser: Browser, stack: Stack, axe, email: str, place: str) -> None:
    """The owner invites the cashier from the staff page, ticking the one location they work at."""
    watched = Watched()
    context = browser.new_context(locale="en-GB", viewport=PHONE_360, device_scale_factor=2)
    page = context.new_page()
    watched.watch(page)
    try:
        sign_in(page, stack, route="#/staff")
        page.locator("input[name=email]").fill(email)
        page.locator("select[name=role]").select_option("cashier")
        picker = page.locator(".staff-invite-locations")
        expect(picker).to_be_visible()
        picker.get_by_label(re.compile("^" + re.escape(place))).check()
        page.locator("select[name=language]").select_option("en")
        axe(page)
        submit(page)
        member = page.locator(".staff-member", has_text=email)
        expect(member.locator(".staff-member-locations")).to_have_text(f"Locations: {place}")
    finally:
        context.close()
    assert not watched.problems, "\n".join(watched.problems)


def _sell_and_refund(browser: Browser, stack: Stack, axe, customer: dict, email: str, arbat: str,  # noqa: PLR0913
                     place: str) -> None:
    watched = Watched()
    context = browser.new_context(locale="en-GB", viewport=PHONE_360, device_scale_factor=2)
    context.set_default_timeout(15_000)
    page = context.new_page()
    watched.watch(page)
    try:
        _cashier_signs_in(page, stack, email)
        wait_for_page(page, "#/till")  # a cashier lands on the till
        expect(page.locator(".till-find")).to_be_visible()
        assert page.eval_on_selector_all("#lc-nav-list a", "links => links.map(a => a.getAttribute('href'))") \
            == ["#/till", "#/account"]  # the till and their account, nothing else
        expect(page.locator(".till-place")).to_contain_text(place)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"]  # no sideways scroll
        axe(page)

        page.locator("button.till-scan").click()
        expect(page.locator("video.till-video")).to_be_visible()
        card = page.locator(".till-card")
        expect(card).to_be_visible(timeout=20_000)  # read from the camera, then looked up
        expect(page.locator(".till-camera video")).to_have_count(0)  # the camera is off once it read the code
        expect(card.locator("h2")).to_have_text("Анна Кассова")
        balance = int(card.locator("[data-fact=balance]").inner_text().replace("\u00a0", "").replace(",", ""))
        assert balance == customer["balance"] > 0

        page.locator("input[name=total]").fill("1000")  # typed: "At most N" comes without leaving the field
        expect(page.locator(".till-quote")).to_contain_text("At most")
        points = int(page.locator("input[name=redeem]").get_attribute("max"))
        assert 1 < points <= balance
        quote = page.locator(".till-quote")

        def hinted() -> int:  # "At most N · The customer earns M": M, for the points now in the field
            expect(quote).to_contain_text("earns")
            return int(re.sub(r"\D", "", quote.inner_text().split("earns")[1]))

        page.locator("input[name=redeem]").fill(str(points - 1))  # the hint follows the points being spent
        expected = _api(stack, "POST", "/admin/till/quote", {
            "location_id": arbat, "card": customer["card_number"], "total": 100000, "redeem": points - 1})
        expect(quote).to_contain_text(f"earns {expected['earn_with_redeem']}")
        page.locator("input[name=redeem]").fill(str(points + 7))  # more than allowed: lowered, and said
        page.locator("input[name=redeem]").press("Tab")
        expect(page.locator(".till-clamped")).to_be_visible()
        expect(page.locator(".till-clamped")).to_contain_text(str(points))
        expect(page.locator("input[name=redeem]")).to_have_value(str(points))
        page.wait_for_timeout(400)  # the debounced quote for the lowered points
        promised = hinted()
        page.locator(".till-sale button[type=submit]").click()
        answer = page.locator(".till-answer")
        expect(answer).to_be_visible(timeout=15_000)
        redeemed = int(answer.locator("[data-fact=redeemed]").inner_text())
        earned = int(answer.locator("[data-fact=earned]").inner_text())
        new_balance = int(answer.locator("[data-fact=balance]").inner_text().replace("\u00a0", "").replace(",", ""))
        assert redeemed == points and earned > 0 and new_balance == balance - points + earned
        assert earned == promised  # the hint said what the sale earns, points spent included
        expect(page.locator(".till-card [data-fact=balance]")).to_have_text(str(new_balance))  # the card as it is now
        assert _api(stack, "GET", f"/admin/cards/{customer['card_id']}")["balance"] == new_balance
        axe(page)

        page.locator(".till-find button", has_text="Refund").click()
        sale = page.locator(".till-receipt").first
        expect(sale).to_contain_text(customer["card_number"][-4:], timeout=15_000)
        sale.locator("button.danger").click()
        page.locator("dialog.confirm button.danger").click()
        expect(page.locator(".till-receipt").first).to_contain_text("fully refunded", timeout=15_000)
        assert _api(stack, "GET", f"/admin/cards/{customer['card_id']}")["balance"] == balance
        axe(page)

        typed = " ".join(customer["card_number"][i:i + 4] for i in range(0, 12, 4))  # no camera: typed, spaced
        page.locator("input[name=card]").fill(typed)
        page.locator("input[name=card]").press("Enter")
        expect(page.locator(".till-card [data-fact=balance]")).to_have_text(str(balance))
    finally:
        context.close()
    assert not watched.problems, "\n".join(watched.problems)
