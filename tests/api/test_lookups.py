"""The console's look-ups: customers by card number, phone or words of a name; an audience's size."""
import json
from urllib.parse import quote

from chalicelib.store import listings
from tests.conftest import bearer, body, enroll


def _find(client, program, merchant, q, role="owner", **params):
    extra = "".join(f"&{name}={value}" for name, value in params.items())
    return client.http.get(f"/admin/programs/{program['id']}/customers?q={quote(q, safe='')}{extra}",
                           headers=bearer(merchant, role))


def _names(response):
    return [card["name"] for card in body(response)["items"]]


def test_a_name_is_found_in_any_case_word_order_and_with_yo(client, merchant, program):
    enroll(client, name="Анна Иванова", phone="+79160000001")
    enroll(client, name="Пётр Семёнов", phone="+79160000002")
    enroll(client, name="Иван Петров", phone="+79160000003")
    assert _names(_find(client, program, merchant, "иванова анна")) == ["Анна Иванова"]
    assert _names(_find(client, program, merchant, "семенов")) == ["Пётр Семёнов"]
    assert _names(_find(client, program, merchant, "ИВАН")) == ["Иван Петров", "Анна Иванова"]  # newest first
    assert _names(_find(client, program, merchant, "Ольга")) == []
    enroll(client, name="Анна 2-я", phone="+79160000004")
    assert _names(_find(client, program, merchant, "2-я")) == ["Анна 2-я"]  # letters with digits: a name


def test_a_phone_or_a_card_number_finds_the_one_card(client, merchant, program):
    anna = enroll(client, name="Анна", phone="+79160000001")
    enroll(client, name="Борис", phone="+79160000002")
    assert _names(_find(client, program, merchant, "8 916 000-00-01")) == ["Анна"]
    assert _names(_find(client, program, merchant, anna["card_number"])) == ["Анна"]
    refused = _find(client, program, merchant, "+79160000001", role="analyst")  # sees no phones
    assert refused.status_code == 403 and body(refused)["error"]["field"] == "q"
    assert _names(_find(client, program, merchant, "анна", role="analyst")) == ["Анна"]


def test_a_name_search_pages_on_with_a_cursor(client, merchant, program):
    for n in range(5):
        enroll(client, name=f"Мария {n}", phone=f"+7916000001{n}")
    enroll(client, name="Олег", phone="+79160000020")
    first = body(_find(client, program, merchant, "мария", limit=2))
    assert [c["name"] for c in first["items"]] == ["Мария 4", "Мария 3"] and first["next_cursor"]
    second = body(_find(client, program, merchant, "мария", limit=2, cursor=first["next_cursor"]))
    assert [c["name"] for c in second["items"]] == ["Мария 2", "Мария 1"]


def test_one_request_reads_a_bounded_slice_and_says_where_to_go_on(client, merchant, program, monkeypatch):
    for n in range(4):
        enroll(client, name=f"Гость {n}", phone=f"+7916000003{n}")
    enroll(client, name="Гостья Вера", phone="+79160000040")
    monkeypatch.setattr(listings, "NAME_SEARCH_BUDGET", 2)
    pages, cursor = [], None
    while True:
        page = body(_find(client, program, merchant, "вера", **({"cursor": cursor} if cursor else {})))
        pages.append([c["name"] for c in page["items"]])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == [["Гостья Вера"], [], []]  # 5 cards, 2 a request: the newest first, then on to the end


def test_bad_queries_name_the_field(client, merchant, program):
    for q in ("", "   ", "x" * 101, "12345", "!!!", "12-34"):
        answer = _find(client, program, merchant, q)
        assert answer.status_code == 400 and body(answer)["error"]["field"] == "q", q


def test_another_merchants_program_is_not_found(client, merchant, other_merchant, program):
    enroll(client, name="Анна", phone="+79160000001")
    assert _find(client, program, other_merchant, "анна").status_code == 404


def _size(client, program, merchant, data, role="owner"):
    return client.http.post(f"/admin/programs/{program['id']}/audience-size", headers=bearer(merchant, role),
                            body=json.dumps(data))


def test_an_audience_is_sized_before_any_campaign_exists(client, merchant, program, pos):
    regular = enroll(client, name="Анна", phone="+79160000001")
    enroll(client, name="Борис", phone="+79160000002")
    assert pos.post("/pos/receipts", {"receipt_id": "r1", "card": regular["card_number"], "total": 50000}
                    ).status_code == 200
    sizes = {kind: body(_size(client, program, merchant, {"audience": audience}))["audience_size"]
             for kind, audience in {"all": {"kind": "all"}, "buyers": {"kind": "filter", "min_visits": 1},
                                    "new": {"kind": "new"}, "default": None}.items()}
    assert sizes == {"all": 2, "buyers": 1, "new": 2, "default": 2}


def test_a_bad_audience_names_its_field_and_an_analyst_may_not_size_one(client, merchant, program):
    bad = _size(client, program, merchant, {"audience": {"kind": "tier", "tier": "platinum"}})
    assert bad.status_code == 400 and body(bad)["error"]["field"] == "audience.tier"
    extra = _size(client, program, merchant, {"audience": {"kind": "all"}, "texts": {}})
    assert extra.status_code == 400 and body(extra)["error"]["field"] == "texts"
    assert _size(client, program, merchant, {}, role="analyst").status_code == 403
