"""What callers see of a card: the admin view, the customer's card page, the enrollment answer."""
import hashlib
import hmac
from collections.abc import Iterable
from datetime import date, datetime
from email.utils import formatdate
from typing import Any, NotRequired, TypedDict

from chalicelib.commands.admin import CardEdit
from chalicelib.config import settings
from chalicelib.core import card_faces, card_number, lots, texts
from chalicelib.core import challenges as challenge_rules
from chalicelib.core import experiments as trial_rules
from chalicelib.core import locations as places_of
from chalicelib.core import mechanics as mech
from chalicelib.core import phone as phones
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.store import card_channels, card_edits, devices
from chalicelib.store import cards as card_store
from chalicelib.store.records import Card, LedgerEntry, Program
from chalicelib.usecases import audit

MAX_ID = 64  # no id we issue is longer: a longer one is no card, without a lookup
_LONGEST_QUERY = 40  # a card number or a phone, with spaces


class CardLinks(TypedDict):
    card_url: str
    apple_pass_url: str
    google_save_url: str


class EnrollmentAnswer(CardLinks):
    card_id: str
    card_number: str
    balance: int


class CardRow(TypedDict):
    """A card in the admin's list."""

    id: str
    number: str | None  # None: an erased member's card
    name: str | None
    balance: int
    tier: str
    tier_name: str  # what people call the tier (the program's first language); `tier` is its id
    status: str
    created_at: str
    last_visit_on: str | None


class LotView(TypedDict):
    """A lot of points on a card, as admins see it."""

    source: str
    points: int
    remaining: int
    available_on: str
    expires_on: str | None


class GoogleWalletView(TypedDict):
    state: str | None
    error: str | None


class WalletsView(TypedDict):
    apple_devices: int
    google: GoogleWalletView


class HomeLocation(TypedDict):
    """The card's home location (where it joined, else where it first bought), named as the program lists it."""

    id: str
    name: str | None  # None: a location no longer on the program
    status: str | None


class PlaceView(TypedDict):
    """Receipts the card has had at one location."""

    id: str
    name: str | None
    receipts: int


class CardAdminView(TypedDict):
    """A card as admins see it (the API's Card); the keys from `phone` on only for roles that see contacts."""

    id: str
    program_id: str
    number: str | None  # None: an erased member's card
    name: str | None
    status: str
    balance: int
    available: int
    owed: int
    tier: str | None
    tier_name: str | None
    created_at: str | None
    last_visit_on: str | None
    erased_at: NotRequired[str | None]  # when the member was erased (usecases/erasure.py); None: never
    phone: NotRequired[str | None]
    email: NotRequired[str | None]
    birthday: NotRequired[str | None]
    locale: NotRequired[str | None]
    ref_code: NotRequired[str | None]
    referred_by: NotRequired[str | None]
    next_expiry_on: NotRequired[str | None]
    lots: NotRequired[list[LotView]]
    stats: NotRequired[dict[str, Any]]
    wallets: NotRequired[WalletsView]
    card_url: NotRequired[str | None]
    apple_pass_url: NotRequired[str | None]
    google_save_url: NotRequired[str | None]
    challenges: NotRequired[list[dict[str, Any]]]  # issue 16, part H3: progress (core/challenges.py views)
    home_location: NotRequired[HomeLocation | None]
    places: NotRequired[list[PlaceView]]
    consents: NotRequired[list[dict[str, Any]]]  # issue 19: every consent given and withdrawn (core/consents.py)



class LedgerCause(TypedDict):
    type: str | None
    id: str | None


class LedgerEntryView(TypedDict):
    """A ledger entry as admins see it (the API's LedgerEntry)."""

    at: str
    kind: str
    source: str | None
    amount: int
    balance_after: int
    cause: LedgerCause
    actor: str | None
    reason: str | None


class StampsFacts(TypedDict):
    """A stamp card on the page: a grid of `per_reward` stamps, `filled` of them stamped."""

    per_reward: int
    filled: int
    rewards: int
    label: str  # the grid's accessible name: "6 of 9 stamps"
    reward_rule: str | None  # "A full card: a free coffee"
    rewards_line: str | None  # "Ready to collect: a free coffee × 1"; None while none is held


class DiscountFacts(TypedDict):
    yours: str  # "Your discount: 10%"
    next: str | None  # "Tier Gold: 15% off"


class OfferFacts(TypedDict):
    name: str
    reward: str
    until: str | None  # "until 31 December"


class ChallengeFacts(TypedDict):
    name: str
    progress: int
    target: int
    share: int  # percent of the goal, for the bar
    until: str | None
    streak: str | None  # "2 in a row"


class ProfileFacts(TypedDict):
    """The "complete your profile" form: shown while the bonus for it is there to take."""

    title: str  # "Complete your profile: +50 points"
    action: str  # part H3's POST /c/{card_id}/profile?k=…
    needs_email: bool  # the form asks only for what the card lacks
    needs_birthday: bool


class CardPageFacts(TypedDict):
    """What the card page says about a card (templates/card.html), in the page's language."""

    tier_name: str
    expiry: str | None  # "120 баллов сгорят 31 декабря": the nearest lot that will expire, or None
    blocked: bool
    rules: tuple[str, ...]
    kind: str
    stamps: StampsFacts | None
    discount: DiscountFacts | None
    offers: list[OfferFacts]
    challenges: list[ChallengeFacts]
    profile: ProfileFacts | None


def page_facts(card: Card, program: Program, locale: str, today: date) -> CardPageFacts:
    """The card page's facts: the tier by its name in the reader's language (never its id), the amount
    and day of the nearest points to expire, whether the card is blocked, the program's rules; and the
    mechanics beyond points as core/card_faces.py tells them (stamps, discount, offers, challenges), with
    the profile form while completing the profile earns a bonus."""
    mechanics = trial_rules.for_card(mech.from_stored(program.mechanics), program.experiments, card.card_id)
    nearest = nearest_expiry(card_store.lots_of(card), today)
    state = card_store.state_of(card)
    lang = texts.language(locale)
    shown = card_faces.faces(mechanics, balance=int(card.balance), tier_id=card.tier, offers=state.offers,
                             challenges=state.challenges, lang=lang, today=today, state=state)
    return {"tier_name": mechanics.tier(card.tier).name_in(locale),
            "expiry": texts.expiry_line(nearest[1], nearest[0], locale, today, mechanics.unit) if nearest else None,
            "blocked": card.status == "blocked",
            "rules": texts.rules(mechanics, card.tier, locale),
            "kind": mechanics.kind,
            "stamps": _stamps_facts(shown.stamps, lang),
            "discount": _discount_facts(shown.discount, lang),
            "offers": [{"name": offer.name, "reward": offer.reward,
                        "until": texts.text("offer_until", lang, day=texts.day_text(
                            date.fromisoformat(offer.valid_until), lang, today)) if offer.valid_until else None}
                       for offer in shown.offers],
            "challenges": [{"name": one.name, "progress": one.progress, "target": one.target, "share": one.share,
                            "until": texts.text("challenge_until", lang, day=texts.day_text(
                                date.fromisoformat(one.ends_on), lang, today)) if one.ends_on else None,
                            "streak": texts.text("challenge_streak", lang, count=one.streak) if one.streak > 1
                            else None}
                           for one in shown.challenges],
            "profile": _profile_facts(card, mechanics, lang)}


def _stamps_facts(stamps: card_faces.StampCard | None, lang: str) -> StampsFacts | None:
    if stamps is None:
        return None
    label = texts.text("stamps_aria", lang, filled=stamps.filled, per_reward=stamps.per_reward,
                       stamps=texts.word(stamps.per_reward, "stamps_of", lang))
    ready = None
    if stamps.rewards:
        ready = (texts.text("rewards_ready", lang, reward=stamps.reward, count=stamps.rewards) if stamps.reward
                 else texts.text("rewards_ready_plain", lang, count=stamps.rewards))
    return {"per_reward": stamps.per_reward, "filled": stamps.filled, "rewards": stamps.rewards, "label": label,
            "reward_rule": texts.text("stamps_reward", lang, reward=stamps.reward) if stamps.reward else None,
            "rewards_line": ready}


def _discount_facts(shown: card_faces.Discount | None, lang: str) -> DiscountFacts | None:
    if shown is None:
        return None
    upper = (texts.text("discount_next", lang, tier=shown.next_tier, percent=shown.next_percent)
             if shown.next_tier else None)
    return {"yours": texts.text("discount_yours", lang, percent=shown.percent), "next": upper}


def _profile_facts(card: Card, mechanics: mech.Mechanics, lang: str) -> ProfileFacts | None:
    """The form asks for what the card lacks while `actions.profile_completed` gives points for it."""
    bonus = mechanics.actions.profile_completed
    if bonus <= 0 or (card.email and card.birthday) or card.status != "active":
        return None
    return {"title": texts.text("card_profile_title", lang, points=texts.count(bonus, "points", lang)),
            "action": f"/c/{card.card_id}/profile?k={card.access_key}", "needs_email": not card.email,
            "needs_birthday": not card.birthday}


def nearest_expiry(card_lots: Iterable[lots.Lot], today: date) -> tuple[date, int] | None:
    """(day, points) of the points that expire soonest after `today` (those already due but not yet burned
    by the nightly sweep are gone for the customer: not counted)."""
    due: dict[str, int] = {}
    for lot in card_lots:
        if lot.remaining > 0 and lot.expires_on and lot.expires_on > today.isoformat():
            due[lot.expires_on] = due.get(lot.expires_on, 0) + lot.remaining
    if not due:
        return None
    day = min(due)
    return date.fromisoformat(day), due[day]


def unsubscribe_token(card: Card) -> str:
    """Proof that an unsubscribe link came from one of our emails (keyed by the card's capability key)."""
    return hmac.new(card.access_key.encode(), b"unsubscribe:email", hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(card: Card) -> str:
    return f"{settings().public_base_url}/u/{card.card_id}?t={unsubscribe_token(card)}"


def by_unsubscribe_token(card_id: str, token: str | None) -> Card:
    card = card_store.get(card_id) if card_id and len(card_id) <= MAX_ID else None
    if card is None or not token or not hmac.compare_digest(unsubscribe_token(card).encode(), token.encode()):
        raise NotFound("No such card.")
    return card


def links(card: Card) -> CardLinks:
    base = settings().public_base_url
    key = card.access_key
    return {
        "card_url": f"{base}/c/{card.card_id}?k={key}",
        "apple_pass_url": f"{base}/c/{card.card_id}/pass.pkpass?k={key}",
        "google_save_url": f"{base}/c/{card.card_id}/google?k={key}",
    }


def enrollment_answer(card: Card) -> EnrollmentAnswer:
    return {"card_id": card.card_id, "card_number": card.number, "balance": int(card.balance), **links(card)}


def by_capability(card_id: str, key: str | None) -> Card:
    """The card whose link this is; a wrong or missing key is indistinguishable from no card."""
    card = card_store.get(card_id) if card_id and len(card_id) <= MAX_ID else None
    if card is None or not key or not hmac.compare_digest(card.access_key.encode(), key.encode()) \
            or card.status == "erased":  # an erased member's card has no page (usecases/erasure.py)
        raise NotFound("No such card.")
    return card


def for_merchant(merchant_id: str, card_id: str) -> Card:
    card = card_store.get(card_id) if card_id and len(card_id) <= MAX_ID else None
    if card is None or card.merchant_id != merchant_id:
        raise NotFound("No such card.")
    audit.note(program_id=card.program_id)  # an admin write to a card is filed under its program
    return card


def admin_view(card: Card, program: Program, today: str, full: bool = True) -> CardAdminView:
    mechanics = mech.from_stored(program.mechanics)
    card_lots = card_store.lots_of(card)
    view: CardAdminView = {
        "id": card.card_id,
        "program_id": card.program_id,
        "number": card.number or None,  # an erased member's card (usecases/erasure.py) has none of these
        "name": card.name or None,
        "status": card.status,
        "balance": int(card.balance),
        "available": lots.available(card_lots, today),
        "owed": int(card.owed or 0),  # refunded points already spent: taken from the next points received
        "tier": card.tier,
        "tier_name": mechanics.tier(card.tier).name,
        "created_at": card.created_at,
        "last_visit_on": card.last_visit_on,
    }
    view["erased_at"] = card.erased_at
    if full:  # key by key, in the order the answer has always had
        view["phone"] = card.phone or None
        view["email"] = card.email
        view["birthday"] = card.birthday
        view["locale"] = card.locale
        view["ref_code"] = card.ref_code or None
        view["referred_by"] = card.referred_by
        view["consents"] = card_channels.consent_records(card)  # issue 19: what was agreed to, when, how withdrawn
        view["next_expiry_on"] = lots.next_expiry(card_lots)
        view["lots"] = [{"source": lot.source, "points": lot.points, "remaining": lot.remaining,
                         "available_on": lot.available_on, "expires_on": lot.expires_on} for lot in card_lots]
        view["stats"] = card.stats or {}
        view["home_location"], view["places"] = _where(card, program)
        view["wallets"] = {"apple_devices": len(devices.devices_of(card.card_id)),
                           "google": {"state": card.google_state, "error": card.google_error}}
        card_links = links(card)
        erased = card.status == "erased"  # its links answer 404: none to show
        view["card_url"] = None if erased else card_links["card_url"]
        view["apple_pass_url"] = None if erased else card_links["apple_pass_url"]
        view["google_save_url"] = None if erased else card_links["google_save_url"]
    # issue 16, part H3: the card's progress in the program's challenges, as its holder sees it (in the
    # program's first language); every role sees it, as it sees the balance
    if mechanics.challenges:
        view["challenges"] = challenge_rules.views(card_store.state_of(card).challenges, mechanics, None,
                                                   date.fromisoformat(today))
    return view


def _where(card: Card, program: Program) -> tuple[HomeLocation | None, list[PlaceView]]:
    """The card's home location and its receipts per location (card.stats "home", "places"), most first,
    with the names of the program's locations (read from the program item: no further request)."""
    stats = card.stats if isinstance(card.stats, dict) else {}
    known = {location.location_id: location for location in places_of.from_stored(program.locations)}
    home_id, counts = stats.get("home"), stats.get("places")
    home: HomeLocation | None = None
    if isinstance(home_id, str) and home_id:
        found = known.get(home_id)
        home = {"id": home_id, "name": found.name if found else None, "status": found.status if found else None}
    rows: list[PlaceView] = []
    if isinstance(counts, dict):
        for location_id, receipts in counts.items():
            found = known.get(location_id)
            rows.append({"id": str(location_id), "name": found.name if found else None,
                         "receipts": int(receipts) if isinstance(receipts, int | float) else 0})
    rows.sort(key=lambda row: (-row["receipts"], row["name"] or "", row["id"]))
    return home, rows


def list_view(card: Card, mechanics: mech.Mechanics) -> CardRow:
    """A row of the cards list (from the by_program index, which projects only these fields)."""
    return {"id": card.card_id, "number": card.number or None, "name": card.name or None,
            "balance": int(card.balance or 0),
            "tier": card.tier, "tier_name": mechanics.tier(card.tier).name, "status": card.status,
            "created_at": card.created_at, "last_visit_on": card.last_visit_on}


def search(program: Program, query: str, by_phone: bool = True) -> Card | None:
    """A card of this program by card number or phone. `by_phone` False (a role that sees no contact
    data): a phone is refused before any lookup, so the search cannot tell whether a number is a member."""
    query = (query or "").strip()
    if not query or len(query) > _LONGEST_QUERY:
        raise InvalidInput("Search by a card number or a phone number.", code="invalid_query", field="q")
    number = card_number.normalise(query)
    if number:
        card_id = card_store.card_id_by_number(number)
    elif phones.looks_like_phone(query):
        if not by_phone:
            raise Forbidden("This role sees no phone numbers, so it searches by card number only.", field="q")
        card_id = card_store.card_id_by_phone(program.program_id, phones.normalise(query, program.country, "q"))
    else:
        raise InvalidInput("Search by a card number or a phone number.", code="invalid_query", field="q")
    card = card_store.get(card_id) if card_id else None
    return card if card is not None and card.program_id == program.program_id else None


def ledger_view(entry: LedgerEntry) -> LedgerEntryView:
    return {"at": entry.created_at, "kind": entry.kind, "source": entry.source, "amount": int(entry.amount),
            "balance_after": int(entry.balance_after), "cause": {"type": entry.cause_type, "id": entry.cause_id},
            "actor": entry.actor, "reason": entry.reason}


def http_date(micros: float) -> str:
    """An HTTP date (second resolution) for a change time kept in microseconds."""
    return formatdate(int(micros) // 1_000_000, usegmt=True)


def update(card: Card, edit: CardEdit, now: datetime) -> Card:
    """Block or unblock a card, or correct the holder's name; the wallet card follows. An erased member's card
    stays as it is (409 card_erased)."""
    if card.status == "erased":
        raise Conflict("This member was erased; the card cannot be changed.", code="card_erased")
    if (edit.status or card.status) == card.status and (edit.name or card.name) == card.name:
        return card
    # the trail says that the holder's name changed, never what from or to (personal data stays out of it)
    before = {"status": card.status, "name": card.name}
    card.status, card.name = edit.status or card.status, edit.name or card.name
    audit.changed("card", before, {"status": card.status, "name": card.name}, hidden=("name",))
    try:
        card_edits.save_edit(card, now)
    except card_edits.CardChanged:
        raise Conflict("The card changed meanwhile; read it again.", code="edit_conflict") from None
    return card
