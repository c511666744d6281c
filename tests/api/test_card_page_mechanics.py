"""The customer's card page of a stamp card, a discount card, and a card holding offers and in challenges;
the "complete your profile" form while it earns a bonus. The mechanics and views are given as in
tests/wallet/test_mechanics_passes.py."""
import re
from dataclasses import replace

from chalicelib.core import actions
from chalicelib.core.lots import Lot
from chalicelib.store import cards as card_store
from tests.conftest import enroll
from tests.wallet.test_mechanics_passes import DISCOUNT, STAMPS, _offer, shown  # noqa: F401 (the fixture)


def _page(client, card, lang="ru"):
    response = client.http.get(f"/c/{card['card_id']}?k={card['card_url'].split('k=')[1]}&lang={lang}")
    assert response.status_code == 200
    return response.body.decode()


def _with_balance(card, balance, pending=0):
    """The card holds `balance` stamps in its lots, `pending` of them earned today and not yet spendable."""
    stored = card_store.get(card["card_id"])
    stored.balance = balance
    ready = Lot("ready", "purchase", balance - pending, balance - pending, "2026-01-01", "2026-01-01", None)
    waiting = Lot("waiting", "purchase", pending, pending, "2026-01-01", "2999-01-01", None)
    stored.lots = [card_store.to_attribute(lot) for lot in (ready, waiting) if lot.remaining]
    stored.save()


def test_a_stamp_card_shows_a_grid_of_stamps_with_its_name(client, program, shown):  # noqa: F811
    shown.mechanics = STAMPS
    card = enroll(client)
    _with_balance(card, 15)
    page = _page(client, card, "en")
    grid = re.search(r'<div class="stamps" id="stamps" role="img" aria-label="([^"]+)">(.*?)</div>', page, re.S)
    assert grid and grid.group(1) == "6 of 9 stamps"
    assert grid.group(2).count('class="stamp filled">✓') == 6 and grid.group(2).count('class="stamp"') == 3
    assert "Ready to collect: A free coffee × 1" in page
    assert "A full card: A free coffee" in page
    assert "Balance" not in page  # no points on a stamp card

    russian = _page(client, card, "ru")
    assert 'aria-label="6 из 9 штампов"' in russian and "Можно получить: Бесплатный кофе × 1" in russian


def test_a_redeemed_card_shows_no_reward_to_collect(client, program, shown):  # noqa: F811
    shown.mechanics = STAMPS
    card = enroll(client)
    _with_balance(card, 0)
    page = _page(client, card, "en")
    assert 'aria-label="0 of 9 stamps"' in page and "Ready to collect" not in page


def test_a_full_card_whose_stamps_are_pending_promises_no_reward_yet(client, program, shown):  # noqa: F811
    """12 stamps of which 7 still wait their days: the till refuses a reward, so the page offers none."""
    shown.mechanics = STAMPS
    card = enroll(client)
    _with_balance(card, 12, pending=7)
    page = _page(client, card, "en")
    assert 'aria-label="9 of 9 stamps"' in page and "Ready to collect" not in page


def test_a_discount_card_shows_its_discount_and_the_next_tiers(client, program, shown):  # noqa: F811
    shown.mechanics = DISCOUNT
    page = _page(client, enroll(client), "en")
    assert "Your discount: 10%" in page and "Tier Gold: 15% off" in page


def test_live_offers_and_challenges_are_listed(client, program, shown):  # noqa: F811
    shown.offers = [_offer("h1", "Free dessert"), _offer("h2", "Used one", status="used"),
                    _offer("h3", "Old one", status="expired")]
    shown.challenges = [{"id": "visits", "name": "Three visits", "progress": 2, "target": 3,
                         "ends_on": "2026-12-12", "completed": 0, "streak": 2}]
    page = _page(client, enroll(client), "en")
    assert "Your offers" in page and "<strong>Free dessert</strong> — free: Dessert" in page
    assert "Used one" not in page and "Old one" not in page
    assert "<strong>Three visits</strong>: 2 / 3" in page
    assert '<progress max="3" value="2" aria-labelledby="challenge-1">' in page
    assert "2 in a row" in page


def test_the_profile_form_shows_while_it_earns_a_bonus(client, program, shown):  # noqa: F811
    shown.mechanics = replace(shown.mechanics, actions=actions.ActionBonuses(profile_completed=50))
    card = enroll(client)
    page = _page(client, card, "en")
    assert "Complete your profile: +50 points" in page
    assert f'action="/c/{card["card_id"]}/profile?k=' in page
    assert 'name="email"' in page and 'name="birthday"' in page

    stored = card_store.get(card["card_id"])
    stored.birthday = "1990-05-01"
    stored.save()
    page = _page(client, card, "en")  # only what the card lacks is asked
    assert 'name="email"' in page and 'name="birthday"' not in page

    stored.email = "anna@example.com"
    stored.save()
    assert "Complete your profile" not in _page(client, card, "en")  # nothing left to complete


def test_without_a_profile_bonus_there_is_no_form(client, program):
    page = _page(client, enroll(client), "en")
    assert "Complete your profile" not in page and 'class="stamps"' not in page and "Your offers" not in page
