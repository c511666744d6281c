"""The program's locations on the wallet card: the Apple pass names at most ten (the ones the card visits
most first, then its home, then the owner's order) with a lock-screen text each; Google's object carries
the same ten as merchantLocations only when the operator turned them on; the owner's switch takes them off;
and a receipt updates the pass exactly when it changes that list."""
import io
import json
import random
import zipfile
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib import config
from chalicelib.commands.pos import RecordReceipt
from chalicelib.core import locations
from chalicelib.core.locations import Location
from chalicelib.jobs import outbox
from chalicelib.store import cards as card_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store import programs as program_store
from chalicelib.usecases import pos as pos_cases
from chalicelib.wallet import apns, apple, google_standin
from tests.conftest import bearer, body, enroll
from tests.wallet.test_apple_pass import certs, wallet  # noqa: F401 (the signing fixtures)
from tests.wallet.test_google import ISSUER, standin  # noqa: F401 (the Google stand-in fixture)


def _location(number, **fields):
    values = {"location_id": f"L{number:02d}", "name": f"Кофейня №{number}", "latitude": 55.70 + number / 100,
              "longitude": 37.60 + number / 100, "created_at": "2026-11-01T00:00:00Z"}
    return Location(**{**values, **fields})


# Twelve open locations with coordinates, in the owner's order, then one closed and one without coordinates
CHAIN = [*(_location(n) for n in range(1, 13)),
         _location(13, status=locations.CLOSED), _location(14, latitude=None, longitude=None)]


def _with_locations(program, chain=CHAIN):
    stored = program_store.get(program["id"])
    return program_store.save_changes(stored, {"locations": [place.to_json() for place in chain]}, datetime.now(UTC))


def _visits(card_id, home, places):
    """The card as its receipts at the locations left it: its home and receipts per location."""
    card = card_store.get(card_id)
    card.stats = {**(card.stats or {}), "home": home, "places": places}
    card.save()
    return card_store.get(card_id)


def _pass_document(client, card):
    """pass.json out of the real .pkpass the card's holder downloads."""
    url = card["apple_pass_url"].replace("https://loyalty.test", "")
    response = client.http.get(url)
    assert response.status_code == 200
    return json.loads(zipfile.ZipFile(io.BytesIO(response.body)).read("pass.json"))


def _named(document):
    """The pass's locations as the location numbers whose coordinates they carry."""
    by_point = {(place.latitude, place.longitude): place.location_id for place in CHAIN}
    return [by_point[(entry["latitude"], entry["longitude"])] for entry in document.get("locations", [])]


def test_the_pass_names_the_ten_best_open_locations_with_their_lock_screen_texts(client, program, wallet):
    chain = [replace(CHAIN[0], relevant_text="Заходите за капучино!"), *CHAIN[1:]]
    _with_locations(program, chain)
    card = enroll(client)
    # most receipts at 9, then 5 (its home) and 12 one each, and more at the closed 13 and the point-less 14
    _visits(card["card_id"], "L05", {"L09": 3, "L05": 1, "L12": 1, "L13": 5, "L14": 4})

    document = _pass_document(client, card)
    assert _named(document) == ["L09", "L05", "L12", "L01", "L02", "L03", "L04", "L06", "L07", "L08"]
    texts = {name: entry["relevantText"] for name, entry in zip(_named(document), document["locations"], strict=True)}
    assert texts["L01"] == "Заходите за капучино!"  # the owner's own words
    assert texts["L09"] == "Кофейня №9 рядом — покажите карту"  # the default, in the card's language (ru)
    assert all(set(entry) == {"latitude", "longitude", "relevantText"} for entry in document["locations"])
    assert "maxDistance" not in document  # it can only shrink Apple's own radius (README)

    english = enroll(client, phone="+79160000002", locale="en")
    assert _pass_document(client, english)["locations"][1]["relevantText"] == "Кофейня №2 is nearby — show your card"


def test_no_locations_key_without_locations_or_when_the_owner_turns_them_off(client, program, merchant, wallet):
    card = enroll(client)
    assert "locations" not in _pass_document(client, card)  # a program without locations

    _with_locations(program, [CHAIN[12], CHAIN[13]])  # a closed one and one without coordinates only
    assert "locations" not in _pass_document(client, card)

    _with_locations(program)
    assert len(_pass_document(client, card)["locations"]) == 10
    blocked = card_store.get(card["card_id"])
    blocked.status = "blocked"
    assert "locations" not in apple.pass_json(blocked, program_store.get(program["id"]))  # voided: offered nowhere

    def design(**branding):
        return client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"branding": branding}))

    refused = design(locations_on_pass="no")
    assert refused.status_code == 400 and body(refused)["error"]["field"] == "branding.locations_on_pass"
    switched = design(locations_on_pass=False)
    assert switched.status_code == 200 and body(switched)["branding"]["locations_on_pass"] is False
    assert "locations" not in _pass_document(client, card)
    # another design change keeps the switch where the owner left it; null puts it back to the default (on)
    assert design(label_color="#ffffff").status_code == 200
    assert "locations" not in _pass_document(client, card)
    assert design(locations_on_pass=None).status_code == 200
    assert len(_pass_document(client, card)["locations"]) == 10


def test_a_receipt_updates_the_pass_exactly_when_it_changes_the_locations_named(client, program, wallet):
    _with_locations(program)
    card_id = enroll(client)["card_id"]
    now = datetime.now(UTC)
    steps = [("L03", True),  # its first location: home, first on the pass
             ("L03", False),  # again at the first: the list stays
             ("L07", True),  # the 7th moves up to second
             ("L07", False),  # a tie with its home, which stays first
             ("L07", True)]  # the 7th overtakes the home
    for number, (location_id, changes) in enumerate(steps):
        before = card_store.get(card_id)
        shown_before = apple.pass_json(before, program_store.get(program["id"])).get("locations")
        # a small sale: no points, so only the locations could change what the card shows
        sale = RecordReceipt.parse({"receipt_id": f"loc-{number}", "card": before.number, "total": 100},
                                   program_store.get(program["id"]), now)
        pos_cases.record_receipt(replace(sale, location_id=location_id), program_store.get(program["id"]), now)
        after = card_store.get(card_id)
        assert int(after.balance) == int(before.balance)
        shown_after = apple.pass_json(after, program_store.get(program["id"]))["locations"]
        assert (shown_after != shown_before) is changes, location_id
        assert (int(after.pass_version or 0) > int(before.pass_version or 0)) is changes, location_id
    assert _named({"locations": shown_after})[:3] == ["L07", "L03", "L01"]


def test_the_ranking_a_pass_is_updated_on_stands_for_the_list_on_every_program():
    """The program-free summary store/cards.shown_on_pass compares gives the same list whenever it is equal."""
    chain = list(CHAIN)
    cases = [("L05", {"L05": 1}), ("L05", {"L05": 2}), ("L05", {"L05": 2, "L07": 1}), ("L05", {"L05": 2, "L07": 2}),
             ("L07", {"L05": 2, "L07": 2}), ("L05", {"L05": 1, "L13": 9}), ("L05", {"L05": 1, "L13": 1})]
    for (home_a, places_a) in cases:
        for (home_b, places_b) in cases:
            if locations.visit_ranking(places_a, home_a) == locations.visit_ranking(places_b, home_b):
                assert locations.for_pass(chain, places_a, home_a) == locations.for_pass(chain, places_b, home_b)
    assert locations.visit_ranking({"L05": 2, "L07": 2}, "L05") == (("L05",), ("L07",))
    assert locations.visit_ranking({"L05": 2, "L07": 2}, None) == (("L05", "L07"),)


def test_the_passes_shortcut_over_the_stored_locations_picks_what_for_pass_picks():
    """on_card (every pass served) builds only the ten it names; for_pass is the rule it must follow."""
    draw = random.Random(18)
    for _ in range(500):
        chain = [_location(n, status=locations.CLOSED if draw.random() < 0.15 else locations.OPEN,
                           latitude=None if draw.random() < 0.15 else 55.0) for n in range(draw.randint(0, 25))]
        draw.shuffle(chain)
        ids = [place.location_id for place in chain] + ["L99"]  # a removed location the card once bought at
        places = {key: draw.randint(0, 3) for key in draw.sample(ids, k=min(len(ids), draw.randint(0, 12)))}
        home = draw.choice([*ids, None])
        assert locations.on_card([place.to_json() for place in chain], {"places": places, "home": home}) == \
            locations.for_pass(chain, places, home)


def test_default_texts_stay_short_and_the_validator_refuses_what_apple_would_not_read():
    long_name = _location(1, name="Кофейня " + "очень " * 20 + "далеко")
    for lang in ("ru", "en", None, "de"):
        text = locations.pass_text(long_name, lang)
        assert len(text) <= locations.PASS_TEXT_MAX and "…" in text
    assert locations.pass_text(long_name, "de").endswith("рядом — покажите карту")  # other languages: Russian
    document = {"latitude": 55.7, "longitude": 37.6, "relevantText": "near"}
    with pytest.raises(apple.PassError):
        apple._validate_locations([document] * 11)
    with pytest.raises(apple.PassError):
        apple._validate_locations([{**document, "latitude": 95.0}])
    with pytest.raises(apple.PassError):
        apple._validate_locations([])
    apple._validate_locations([document] * 10)


def _save(client, card):
    return client.http.get(card["google_save_url"].replace("https://loyalty.test", ""))


def test_google_gets_merchant_locations_only_when_the_operator_turns_them_on(client, program, merchant, standin,
                                                                           monkeypatch):
    _with_locations(program)
    card = enroll(client)
    _visits(card["card_id"], "L05", {"L09": 3, "L05": 1})
    object_id, class_id = f"{ISSUER}.{card['card_id']}", f"{ISSUER}.{program['id']}"

    assert _save(client, card).status_code == 302  # off (the default): nothing Google could refuse is sent
    assert "merchantLocations" not in standin["state"].resources["loyaltyObject"][object_id]
    assert not {"merchantLocations", "locations"} & set(standin["state"].resources["loyaltyClass"][class_id])

    monkeypatch.setenv("GOOGLE_MERCHANT_LOCATIONS", "on")
    config.reset()
    refused = _save(client, card)  # an issuer Google has not allowlisted: the whole object is refused
    assert refused.status_code == 503 and body(refused)["error"]["code"] == "google_wallet_unavailable"
    # and an update after a sale is parked at once, Google's reason shown to the program's admins
    pos_cases.post_receipt(program_store.get(program["id"]), {"receipt_id": "g-loc", "card": card["card_number"],
                                                              "total": 100000}, datetime.now(UTC))
    outbox.deliver(push=lambda token: apns.PushResult(200))
    parked, _ = outbox_store.parked(program["id"], 10)
    assert [item.item_key for item in parked] == [f"google#{card['card_id']}"]
    assert "not allowlisted for Merchant Locations" in parked[0].last_error

    standin["state"].merchant_locations = True  # allowlisted
    assert _save(client, card).status_code == 302
    stored = standin["state"].resources["loyaltyObject"][object_id]
    apple_pass = apple.pass_json(card_store.get(card["card_id"]), program_store.get(program["id"]))
    assert stored["merchantLocations"] == [{"latitude": entry["latitude"], "longitude": entry["longitude"]}
                                           for entry in apple_pass["locations"]]  # the same ten, in the same order
    assert len(stored["merchantLocations"]) == 10 and "locations" not in stored

    client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                      body=json.dumps({"branding": {"locations_on_pass": False}}))
    assert _save(client, card).status_code == 302
    assert standin["state"].resources["loyaltyObject"][object_id]["merchantLocations"] == []  # cleared, not left behind


def test_the_standin_refuses_merchant_locations_as_google_does():
    place = {"latitude": 55.7, "longitude": 37.6}
    assert google_standin.merchant_locations_fault({"merchantLocations": [place]}, allowlisted=False) == \
        google_standin.NOT_ALLOWLISTED
    assert google_standin.merchant_locations_fault({"id": "x"}, allowlisted=False) is None
    assert google_standin.merchant_locations_fault({"merchantLocations": [place] * 10}, allowlisted=True) is None
    assert google_standin.merchant_locations_fault({"merchantLocations": [place] * 11}, allowlisted=True)
    assert google_standin.merchant_locations_fault({"merchantLocations": [{"latitude": 91, "longitude": 0}]},
                                                   allowlisted=True)


def test_no_pass_update_when_the_owner_turned_locations_off(client, program, merchant, wallet):
    _with_locations(program)
    off = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                            body=json.dumps({"branding": {"locations_on_pass": False}}))
    assert off.status_code == 200
    card_id = enroll(client)["card_id"]
    now = datetime.now(UTC)
    for number, location_id in enumerate(["L03", "L07", "L07"]):
        before = card_store.get(card_id)
        stored = program_store.get(program["id"])
        sale = RecordReceipt.parse({"receipt_id": f"off-{number}", "card": before.number, "total": 100}, stored, now)
        pos_cases.record_receipt(replace(sale, location_id=location_id), stored, now)
        after = card_store.get(card_id)
        shown_before = {k: v for k, v in apple.pass_json(before, stored).items() if k != "serialNumber"}
        shown_after = {k: v for k, v in apple.pass_json(after, stored).items() if k != "serialNumber"}
        assert shown_before == shown_after  # nothing on the pass changed (no points on a 1.00 sale, no locations)
        # README: the pass is marked changed "exactly when that can change the list"; here it cannot
        assert int(after.pass_version or 0) == int(before.pass_version or 0), (location_id, "pushed for nothing")
