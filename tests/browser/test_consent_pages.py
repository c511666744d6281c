"""The profile page's "Email me offers" box in a real browser (issue 19, consent records): ticked, the
e-mail consent is given and the page shows it ticked; unticked, it is withdrawn; the page passes axe-core."""
from urllib.parse import urlparse

from tests.e2e.stack import enroll


def test_a_member_ticks_and_unticks_the_offers_box_on_the_profile_page(stack, open_page, axe):
    card = enroll(stack.demo, "Vera", "+79165550077")
    link = urlparse(card["card_url"])
    profile = f"{link.scheme}://{link.netloc}/c/{card['card_id']}/profile?{link.query}&lang=en"
    page = open_page(locale="en-GB")
    page.goto(profile)
    box = page.get_by_role("checkbox", name="Email me offers")
    assert box.is_visible() and not box.is_checked()
    axe(page)
    page.fill("#email", "vera@example.com")
    box.check()
    page.get_by_role("button").filter(has_text="Save").first.click()
    page.wait_for_url(lambda url: "profile=saved" in url)
    page.goto(profile)
    assert page.get_by_role("checkbox", name="Email me offers").is_checked()  # read back from the records
    page.get_by_role("checkbox", name="Email me offers").uncheck()
    page.get_by_role("button").filter(has_text="Save").first.click()
    page.wait_for_url(lambda url: "profile=saved" in url)
    page.goto(profile)
    assert not page.get_by_role("checkbox", name="Email me offers").is_checked()
