"""The Apple pass and the Google object of a stamp card, a discount card, and a card holding offers and
in challenges: the fields a customer sees, the strip of stamps, the notices, Google's limits; every pass
checked by the validator with the design's pass.strings.

The program's mechanics are given as core objects (`mech.from_stored` answers them) and the offer and
challenge views in the shape common.md fixes for them, so these tests read what the surfaces do with
a stamp card, a discount or an offer, whichever part computes them."""
import io
import json
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from PIL import Image

from chalicelib.core import card_faces
from chalicelib.core import mechanics as mech
from chalicelib.core import stamps as stamp_rules
from chalicelib.core.lots import Lot
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.wallet import apple, google
from tests.conftest import enroll
from tests.wallet.test_apple_pass import certs, wallet  # noqa: F401 (the signing fixtures)

TODAY = date(2026, 11, 29)


REWARD = {"ru": "Бесплатный кофе", "en": "A free coffee"}


STAMPS = replace(mech.Mechanics(), kind="stamps", stamps=stamp_rules.StampRules(per_reward=9, reward=REWARD))
DISCOUNT = replace(mech.Mechanics(), kind="discount", tiers=(
    mech.Tier("base", "Base", 0, 0, discount_bp=1000), mech.Tier("gold", "Gold", 5_000_000, 0, discount_bp=1500)))


def _offer(held_id, name, status="live", until="2026-12-31"):
    return {"id": held_id, "offer": "dessert", "name": name, "reward": {"type": "free_item", "item": "Dessert"},
            "valid_until": until, "status": status}


@pytest.fixture
def shown(monkeypatch):
    """Set what the program is (`shown.mechanics`) and what offer and challenge views the card has."""

    class Shown:
        mechanics = mech.Mechanics()
        offers: list = []
        challenges: list = []

    monkeypatch.setattr(mech, "from_stored", lambda data: Shown.mechanics)
    monkeypatch.setattr(card_faces, "offer_views", lambda held, mechanics, lang, today: Shown.offers)
    monkeypatch.setattr(card_faces, "challenge_views", lambda progress, mechanics, lang, today: Shown.challenges)
    return Shown


_phones = iter(range(79160000100, 79160009999))


def _card(client, balance, locale="ru", pending=0):
    """A card holding `balance` stamps, `pending` of them not yet spendable (earned today, waiting days)."""
    card = card_store.get(enroll(client, locale=locale, phone=f"+{next(_phones)}")["card_id"])
    card.balance = balance
    ready = Lot("ready", "purchase", balance - pending, balance - pending, "2026-11-01", "2026-11-01", None)
    waiting = Lot("waiting", "purchase", pending, pending, TODAY.isoformat(), "2026-12-13", None)
    card.lots = [card_store.to_attribute(lot) for lot in (ready, waiting) if lot.remaining]
    return card


def _pass(card, program):
    document = apple.pass_json(card, program_store.get(program["id"]), today=TODAY)
    apple.validate(document, local=True, strings=apple.design().strings)
    return document


def _fields(document, group):
    return {field["key"]: field for field in document["storeCard"][group]}


def test_a_stamp_card_shows_its_stamps_and_rewards_instead_of_points(client, program, shown):
    shown.mechanics = STAMPS
    document = _pass(_card(client, 15), program)  # one full card and 6 stamps on the next
    header = _fields(document, "headerFields")
    assert list(header) == ["stamps"]
    assert header["stamps"]["value"] == "6 / 9" and header["stamps"]["changeMessage"] == "stamps_change"
    rewards = _fields(document, "secondaryFields")["rewards"]
    assert rewards["value"] == 1 and rewards["label"] == "rewards_label"

    full = _pass(_card(client, 9, locale="en"), program)
    assert _fields(full, "headerFields")["stamps"]["value"] == "9 / 9"  # a full card waits for its reward
    redeemed = _pass(_card(client, 0), program)
    assert _fields(redeemed, "headerFields")["stamps"]["value"] == "0 / 9"
    assert "rewards" not in _fields(redeemed, "secondaryFields")
    # 12 stamps of which 7 earned today and still pending: the till would refuse a reward, so none is shown
    waiting = _pass(_card(client, 12, pending=7), program)
    assert _fields(waiting, "headerFields")["stamps"]["value"] == "9 / 9"
    assert "rewards" not in _fields(waiting, "secondaryFields")


def test_every_new_label_and_notice_is_in_both_languages(client, program):
    design = apple.design()
    keys = {field[name] for items in design.template["fields"].values() for field in items
            for name in ("label", "changeMessage") if name in field and field[name] != "%@"}
    for lang in ("ru", "en"):
        assert keys <= set(design.strings[lang]), lang
    assert all("%@" in design.strings[lang]["offer_new"] for lang in ("ru", "en"))


@pytest.mark.parametrize(("held", "stamped"), [(6, 6), (9, 9), (0, 0)])
def test_the_strip_is_drawn_with_the_stamps(client, program, shown, wallet, held, stamped):  # noqa: F811
    shown.mechanics = STAMPS
    card = _card(client, held)
    archive = zipfile.ZipFile(io.BytesIO(apple.build(card, program_store.get(program["id"]))))
    manifest = json.loads(archive.read("manifest.json"))
    for name, size in (("strip.png", (375, 123)), ("strip@2x.png", (750, 246)), ("strip@3x.png", (1125, 369))):
        picture = Image.open(io.BytesIO(archive.read(name)))
        assert picture.size == size
        assert archive.read(name) != apple.design().files[name]  # not the design's own strip
        assert manifest[name] == apple._sha1(archive.read(name))
    picture = Image.open(io.BytesIO(archive.read("strip@3x.png"))).convert("RGB")
    centres = [(round(1125 / 2 + (column - 4) * 1125 / 9), 369 // 2) for column in range(9)]
    background = picture.getpixel((2, 2))
    # a stamped circle is filled at its edge (a check mark runs through its centre); an empty one is a ring
    filled = [picture.getpixel((x - 30, y)) != background for x, y in centres]
    assert filled == [True] * stamped + [False] * (9 - stamped)


def test_the_strip_is_drawn_once_per_look(shown):
    card_faces_strip = apple.images.stamps_strip
    card_faces_strip.cache_clear()
    first = card_faces_strip(3, 9, "#1f2937", "#ffffff")
    assert card_faces_strip(3, 9, "#1f2937", "#ffffff") is first
    assert card_faces_strip.cache_info().hits == 1
    assert card_faces_strip(4, 9, "#1f2937", "#ffffff") != first


def test_fifty_stamps_fit_in_rows():
    assert apple.images.stamp_rows(50) == (10, 10, 10, 10, 10)
    assert apple.images.stamp_rows(12) == (6, 6)
    assert apple.images.stamp_rows(9) == (9,)


def test_other_kinds_keep_the_designs_strip(client, program, wallet):  # noqa: F811
    card = card_store.get(enroll(client)["card_id"])
    archive = zipfile.ZipFile(io.BytesIO(apple.build(card, program_store.get(program["id"]))))
    assert archive.read("strip@2x.png") == apple.design().files["strip@2x.png"]


def test_a_discount_card_shows_its_percent(client, program, shown):
    shown.mechanics = DISCOUNT
    document = _pass(_card(client, 0), program)
    header = _fields(document, "headerFields")
    assert list(header) == ["discount"] and header["discount"]["value"] == "10%"
    assert header["discount"]["changeMessage"] == "discount_change"


def test_live_offers_are_back_fields_at_most_five_and_a_new_one_is_told(client, program, shown):
    shown.offers = [_offer(f"h{n}", f"Offer {n}") for n in range(7)] + [_offer("used", "Gone", status="used"),
                                                                       _offer("old", "Old", status="expired")]
    card = _card(client, 100, locale="en")
    card.perks = {"offers": [{"held_id": f"h{n}", "offer": "dessert", "issued_on": "2026-11-01", "expires_on": None}
                             for n in range(7)]}  # h6 the card's latest
    back = _pass(card, program)["storeCard"]["backFields"]
    offers = [field for field in back if field["key"].startswith("offer")]
    assert [field["key"] for field in offers] == ["offers", "offer_h5", "offer_h4", "offer_h3", "offer_h2"]
    assert offers[0]["value"] == "Offer 6 — free: Dessert until 31 December 2026"
    assert offers[0]["changeMessage"] == "offer_new" and offers[0]["label"] == "offer_label"
    assert not any("changeMessage" in field for field in offers[1:])
    assert back[0]["key"] == "offers"  # no notice yet: the offers come first

    # a new offer arrives: the newest field's value changes, with its notice
    shown.offers = [*shown.offers, _offer("h7", "Free dessert")]
    card.perks["offers"].append({"held_id": "h7", "offer": "dessert", "issued_on": "2026-11-29", "expires_on": None})
    newest = _fields(_pass(card, program), "backFields")["offers"]
    assert newest["value"].startswith("Free dessert") and newest["changeMessage"] == "offer_new"

    # the newest is used at the till: the next one moves up, and no "new offer" is told
    shown.offers = [*shown.offers[:-1], _offer("h7", "Free dessert", status="used")]
    moved = _fields(_pass(card, program), "backFields")
    assert moved["offers"]["value"].startswith("Offer 6") and "changeMessage" not in moved["offers"]
    assert not {"offer_used", "offer_old", "offer_h7"} & set(moved)


def test_challenges_progress_is_a_back_field(client, program, shown):
    shown.challenges = [{"id": "visits", "name": {"ru": "Три визита", "en": "Three visits"}, "progress": 2,
                         "target": 3, "ends_on": "2026-12-12", "completed": 1, "streak": 2},
                        {"id": "spend", "name": "Spend 5000", "progress": 1200, "target": 5000, "ends_on": None,
                         "completed": 0, "streak": 0}]
    back = _fields(_pass(_card(client, 100, locale="en"), program), "backFields")
    assert back["challenges"]["value"] == "Three visits: 2 / 3, until 12 December, 2 in a row\nSpend 5000: 1200 / 5000"
    assert back["challenges"]["label"] == "challenges_label"


def test_a_points_pass_is_as_before(client, program):
    document = _pass(card_store.get(enroll(client)["card_id"]), program)
    assert [field["key"] for field in document["storeCard"]["headerFields"]] == ["balance"]
    assert not any(field["key"].startswith(("offer_", "challenges", "stamps", "rewards", "discount"))
                   for group in apple.FIELD_GROUPS for field in document["storeCard"].get(group, []))


# --- Google --------------------------------------------------------------------------------------------

def _object(card, program):
    return google.loyalty_object("3388000000012345", card, program_store.get(program["id"]), today=TODAY)


def test_google_shows_stamps_as_points_and_rewards_as_secondary_points(client, program, shown):
    shown.mechanics = STAMPS
    document = _object(_card(client, 15, locale="en"), program)
    assert document["loyaltyPoints"] == {"label": "Stamps", "balance": {"string": "6 / 9"}}
    assert document["secondaryLoyaltyPoints"] == {"label": "Rewards", "balance": {"int": 1}}
    assert _object(_card(client, 0), program)["secondaryLoyaltyPoints"]["balance"] == {"int": 0}
    waiting = _object(_card(client, 12, pending=7), program)  # a full card, its reward waiting for the stamps
    assert waiting["secondaryLoyaltyPoints"]["balance"] == {"int": 0}
    assert waiting["loyaltyPoints"]["balance"] == {"string": "9 / 9"}


def test_google_shows_a_discount_as_a_text_module(client, program, shown):
    shown.mechanics = DISCOUNT
    document = _object(_card(client, 0, locale="en"), program)
    assert document["loyaltyPoints"] == {"label": "Discount", "balance": {"string": "10%"}}
    assert {"id": "discount", "header": "Discount", "body": "Your discount: 10%"} in document["textModulesData"]


def test_google_text_modules_stay_within_ten_with_unique_ids(client, program, shown):
    shown.mechanics = DISCOUNT
    shown.offers = [_offer(f"h{n}", f"Offer {n}") for n in range(12)]
    shown.challenges = [{"id": "visits", "name": "Three visits", "progress": 1, "target": 3, "ends_on": None,
                         "completed": 0, "streak": 0}]
    modules = _object(_card(client, 0, locale="en"), program)["textModulesData"]
    ids = [module["id"] for module in modules]
    assert len(ids) == google.MAX_TEXT_MODULES and len(set(ids)) == len(ids)
    assert ids[:4] == ["rules", "tier", "discount", "challenges"] and ids[4] == "offer-h11"
    assert all(len(module["header"]) <= google.MAX_HEADER for module in modules)


def test_google_points_object_is_unchanged(client, program):
    document = _object(card_store.get(enroll(client)["card_id"]), program)
    assert document["loyaltyPoints"]["balance"] == {"int": 100}
    assert [module["id"] for module in document["textModulesData"]] == ["rules", "tier"]
