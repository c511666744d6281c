"""The Locations page in a real browser (Debian's Chromium, a phone's screen) against the local stack: an owner
adds two locations, creates a POS key for the second and sees it listed with that location. axe-core runs on
the pages; a console error fails the test."""
import json
import secrets

from playwright.sync_api import Page, expect

from tests.browser.console import goto, sign_in, submit
from tests.e2e.stack import Stack, request


def _word() -> str:
    return "".join(secrets.choice("бвгдклмнпрст") + secrets.choice("аеиоу") for _ in range(3)).capitalize()


def _owner(page: Page, stack: Stack, route: str) -> Page:
    sign_in(page, stack)
    page.evaluate("id => LC.selectProgram(id)", stack.demo["program_id"])
    goto(page, route)
    return page


def _add(page: Page, name: str, coordinates: str = "") -> None:
    form = "#main details.location-add form"
    page.locator(f"{form} input[name=name]").fill(name)
    if coordinates:
        page.locator(f"{form} input[name=coordinates]").fill(coordinates)
    submit(page, form)
    expect(page.locator(f".location-item:has-text('{name}')")).to_have_count(1)


def test_an_owner_adds_two_locations_and_a_till_key_for_the_second(open_page, stack, axe):
    first, second = f"Тверская {_word()}", f"Арбат {_word()}"
    page = _owner(open_page(), stack, "#/locations")
    page.locator("#main details.location-add summary").click()
    form = page.locator("#main details.location-add")
    expect(form.locator("input[name='hours.sat']")).to_be_hidden()  # a day not ticked says "closed", no sample hours
    expect(form.locator(".location-day-closed")).to_have_count(7)
    form.locator("input[name='open.mon']").check()
    expect(form.locator("input[name='hours.mon']")).to_have_value("09:00-21:00")  # a real value, not a placeholder
    form.locator("input[name='hours.mon']").fill("")
    form.locator("input[name=name]").fill(first)
    submit(page, "#main details.location-add form")
    expect(form.locator("input[name='hours.mon']")).to_have_attribute("aria-invalid", "true")  # ticked: needs hours
    form.locator("input[name='hours.mon']").fill("09:00-21:00")
    _add(page, first, "55.7601, 37.6186")
    expect(page.locator(f".location-item:has-text('{first}') .location-hours-text")).to_have_text(
        "Пн 09:00-21:00; Выходные: Вт, Ср, Чт, Пт, Сб, Вс")
    expect(form.locator("input[name='hours.mon']")).to_be_hidden()  # the form is new again
    _add(page, second)
    axe(page)
    row = page.locator(f".location-item:has-text('{second}')")
    row.locator("details.location-join summary").click()
    expect(row.locator("a.join-link")).to_contain_text("?location=loc_")

    status, _, answer = request("GET", f"{stack.api}/admin/programs/{stack.demo['program_id']}/locations", None,
                                {"Authorization": f"Bearer {stack.demo['admin_token']}"})
    assert status == 200
    stored = {item["name"]: item for item in json.loads(answer)["items"]}
    assert stored[first]["latitude"] == 55.7601 and stored[first]["hours"] == {"mon": ["09:00-21:00"]}
    assert row.locator("a.join-link").inner_text().endswith(f"?location={stored[second]['id']}")

    goto(page, "#/pos-keys")
    label = f"Касса {_word()}"
    page.locator("#main form input[name=label]").fill(label)
    page.locator("#main form select[name=location_id]").select_option(label=second)
    submit(page, "#main form")
    expect(page.locator(".key-created")).to_be_visible()
    key_row = page.locator(f".key-list tr:has-text('{label}')")
    expect(key_row.locator(".key-location")).to_have_text(second)
    axe(page)
