"""A program's mechanics: the validated configuration every rule reads.

Admins send JSON; `parse` checks every field (naming the wrong one) and fills defaults; `to_dict`
gives the JSON back in the same shape. Percentages are sent as numbers with up to two decimals
("earn_percent": 5.5) and kept as basis points (550) so no float reaches money arithmetic.
"""
import re
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.core import actions as action_rules
from chalicelib.core import challenges as challenge_rules
from chalicelib.core import offers as offer_rules
from chalicelib.core import products as product_rules
from chalicelib.core import program_texts
from chalicelib.core import stamps as stamp_rules
from chalicelib.core import surveys as survey_rules
from chalicelib.core import validation as v
from chalicelib.core.kinds import KINDS as KIND_REGISTRY
from chalicelib.core.percent import percent as basis_points_to_percent
from chalicelib.errors import InvalidInput

KINDS = tuple(KIND_REGISTRY)  # the names `kind` may have
percent = basis_points_to_percent  # kept here too: the pages' view code shows rates as `mechanics.percent`
MAX_TIERS = 10
EARNING_KINDS = ("points", "cashback")  # tiers need `earn_percent` (a discount program's: `discount_percent`)
DOWNGRADES = ("never", "monthly", "quarterly", "yearly")
# Where points come from; each source may have its own lifetime.
SOURCES = ("purchase", "welcome", "referral", "birthday", "winback", "campaign", "adjustment")


@dataclass(frozen=True)
class Tier:
    id: str
    name: str  # in the program's first language (what admins see); `names` has every language written
    threshold: int  # spend over the tier window, minor units, needed to hold this tier
    earn_bp: int  # earn rate in basis points of the money paid
    names: dict[str, str] = field(default_factory=dict, compare=False)  # {locale: name}; empty: `name` only
    discount_bp: int = 0  # a discount program's discount in basis points of the payable money

    def name_in(self, lang: str | None) -> str:
        """The name a reader of `lang` sees (program_texts.pick): never the tier's id."""
        return program_texts.pick(self.names, lang) or self.name


@dataclass(frozen=True)
class Mechanics:
    kind: str = "points"
    point_value: int = 100  # minor units one point is worth when spent (100 kopecks = 1 rouble)
    tiers: tuple[Tier, ...] = (Tier("base", "Base", 0, 500),)
    tier_window_days: int = 365
    tier_downgrade: str = "monthly"
    redeem_cap_bp: int = 5000  # at most this share of a receipt may be paid with points
    min_redeem_points: int = 0
    welcome_bonus: int = 0
    referrer_bonus: int = 0  # to the referrer, on the referred customer's first purchase
    referred_bonus: int = 0  # to the referred customer, on enrollment
    lifetime_days: int | None = 365  # None: points never expire
    lifetime_by_source: dict[str, int | None] = field(default_factory=dict)  # source -> days
    pending_days: int = 0  # earned points become spendable after this many days
    expiry_warning_days: int = 7
    birthday_bonus: int = 0
    birthday_days_before: int = 0
    winback_after_days: int = 0  # 0: no win-back offer
    winback_bonus: int = 0
    activity_window_days: int = 90  # analytics: a member is active with a purchase within this window
    active_days: int = 30  # lifecycle segments of a young program: active if bought within this many days,
    lost_after_days: int = 90  # … sleeping up to this, lost beyond (an older program uses its purchase gap)
    quiet_hours: tuple[str, str] | None = ("22:00", "09:00")  # program-local; messages wait until it ends
    max_messages_per_week: int | None = 3  # per customer; service messages (expiry warnings) are exempt
    stamps: stamp_rules.StampRules | None = None  # a `stamps` program's card (core/stamps.py)
    products: tuple[product_rules.ProductRule, ...] = ()  # per-product earning and exclusions (core/products.py)
    offers: tuple[offer_rules.OfferDef, ...] = ()  # offers a card may hold (core/offers.py)
    challenges: tuple[challenge_rules.Challenge, ...] = ()  # goals counted from receipts (core/challenges.py)
    actions: action_rules.ActionBonuses = action_rules.ActionBonuses()  # bonuses for actions (core/actions.py)
    survey: survey_rules.SurveySettings | None = None  # NPS/CSI after a purchase (core/surveys.py)
    margin_bp: int | None = None  # gross margin on sales (experiments' ROMI); None: not told, no ROMI
    message_prices: dict[str, int] = field(default_factory=dict)  # minor units per message, by channel

    def tier(self, tier_id: str | None) -> Tier:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        return self.tiers[0]

    @property
    def unit(self) -> str:
        """What the card's balance and bonuses are counted in, as texts.WORDS names it: stamps or points."""
        return "stamps" if self.kind == "stamps" else "points"

    def lifetime_for(self, source: str) -> int | None:
        return self.lifetime_by_source.get(source, self.lifetime_days)

_FIELDS = {
    "kind", "point_value", "tiers", "tier_window_days", "tier_downgrade", "redeem_cap_percent",
    "min_redeem_points", "welcome_bonus", "referral", "lifetime_days", "lifetime_by_source",
    "pending_days", "expiry_warning_days", "birthday", "winback", "activity_window_days", "messaging",
    "lifecycle", "stamps", "products", "offers", "challenges", "actions", "survey", "economics",
}
MAX_CHANNELS = 10
MAX_POINTS = 10_000_000


def parse(data: object, base: Mechanics | None = None, *, stored: bool = False) -> Mechanics:
    """Validate admin JSON into Mechanics. With `base`, fields not given keep base's values (PATCH).
    `stored`: what we saved, read back (rules added since are not applied to it)."""
    data = v.require_object(data, "mechanics")
    v.reject_unknown(data, _FIELDS, "mechanics")
    cur = base or Mechanics()
    p = "mechanics"
    kind = v.read_str(data, "kind", prefix=p, choices=KINDS, default=cur.kind)
    if _UNITS[kind] != _UNITS[cur.kind]:
        cur = _without_bonuses(cur)
    point_value = v.read_int(data, "point_value", prefix=p, minimum=1, maximum=100_000, default=cur.point_value)
    tiers = _parse_tiers(data["tiers"], kind) if "tiers" in data else cur.tiers
    stamps = _stamps(data, kind, cur)
    referral = v.read_object(data, "referral", prefix=p) or {}
    v.reject_unknown(referral, {"referrer_bonus", "referred_bonus"}, "mechanics.referral")
    birthday = v.read_object(data, "birthday", prefix=p) or {}
    v.reject_unknown(birthday, {"bonus", "days_before"}, "mechanics.birthday")
    winback = v.read_object(data, "winback", prefix=p) or {}
    v.reject_unknown(winback, {"after_days", "bonus"}, "mechanics.winback")
    lifecycle = v.read_object(data, "lifecycle", prefix=p) or {}
    v.reject_unknown(lifecycle, {"active_days", "lost_after_days"}, "mechanics.lifecycle")
    active_days = v.read_int(lifecycle, "active_days", prefix="mechanics.lifecycle", minimum=1, maximum=3650,
                             default=cur.active_days)
    lost_after_days = v.read_int(lifecycle, "lost_after_days", prefix="mechanics.lifecycle", minimum=1,
                                 maximum=3650, default=cur.lost_after_days)
    if lost_after_days <= active_days:
        raise InvalidInput("'lost_after_days' must be more than 'active_days'.", code="invalid_value",
                           field="mechanics.lifecycle.lost_after_days")
    lifetime_days = cur.lifetime_days
    if "lifetime_days" in data:
        lifetime_days = v.read_int(data, "lifetime_days", prefix=p, minimum=1, maximum=3650)
    by_source = dict(cur.lifetime_by_source)
    if "lifetime_by_source" in data:
        raw = v.read_object(data, "lifetime_by_source", prefix=p) or {}
        v.reject_unknown(raw, SOURCES, "mechanics.lifetime_by_source")
        by_source = {src: v.read_int(raw, src, prefix="mechanics.lifetime_by_source", minimum=1, maximum=3650)
                     for src in raw}
    quiet, cap = cur.quiet_hours, cur.max_messages_per_week
    if "messaging" in data:
        messaging = v.read_object(data, "messaging", prefix=p) or {}
        v.reject_unknown(messaging, {"quiet_hours", "max_per_week"}, "mechanics.messaging")
        if "quiet_hours" in messaging:
            quiet = _quiet_hours(messaging["quiet_hours"])
        if "max_per_week" in messaging:
            cap = v.read_int(messaging, "max_per_week", prefix="mechanics.messaging", minimum=0, maximum=100)
    margin_bp, prices = _economics(data, cur)
    parsed = Mechanics(
        margin_bp=margin_bp,
        message_prices=prices,
        kind=kind,
        point_value=point_value,
        tiers=tiers,
        tier_window_days=v.read_int(data, "tier_window_days", prefix=p, minimum=1, maximum=3650,
                                    default=cur.tier_window_days),
        tier_downgrade=v.read_str(data, "tier_downgrade", prefix=p, choices=DOWNGRADES, default=cur.tier_downgrade),
        redeem_cap_bp=v.read_percent(data, "redeem_cap_percent", prefix=p, default=cur.redeem_cap_bp),
        min_redeem_points=v.read_int(data, "min_redeem_points", prefix=p, default=cur.min_redeem_points,
                                     minimum=0, maximum=MAX_POINTS),
        welcome_bonus=v.read_int(data, "welcome_bonus", prefix=p, default=cur.welcome_bonus,
                                 minimum=0, maximum=MAX_POINTS),
        referrer_bonus=v.read_int(referral, "referrer_bonus", prefix="mechanics.referral",
                                  default=cur.referrer_bonus, minimum=0, maximum=MAX_POINTS),
        referred_bonus=v.read_int(referral, "referred_bonus", prefix="mechanics.referral",
                                  default=cur.referred_bonus, minimum=0, maximum=MAX_POINTS),
        lifetime_days=lifetime_days,
        lifetime_by_source=by_source,
        pending_days=v.read_int(data, "pending_days", prefix=p, minimum=0, maximum=365, default=cur.pending_days),
        expiry_warning_days=v.read_int(data, "expiry_warning_days", prefix=p, minimum=0, maximum=90,
                                       default=cur.expiry_warning_days),
        birthday_bonus=v.read_int(birthday, "bonus", prefix="mechanics.birthday", default=cur.birthday_bonus,
                                  minimum=0, maximum=MAX_POINTS),
        birthday_days_before=v.read_int(birthday, "days_before", prefix="mechanics.birthday", minimum=0,
                                        maximum=30, default=cur.birthday_days_before),
        winback_after_days=v.read_int(winback, "after_days", prefix="mechanics.winback", minimum=0, maximum=3650,
                                      default=cur.winback_after_days),
        winback_bonus=v.read_int(winback, "bonus", prefix="mechanics.winback", default=cur.winback_bonus,
                                 minimum=0, maximum=MAX_POINTS),
        activity_window_days=v.read_int(data, "activity_window_days", prefix=p, minimum=7, maximum=3650,
                                        default=cur.activity_window_days),
        active_days=active_days,
        lost_after_days=lost_after_days,
        quiet_hours=quiet,
        max_messages_per_week=cap,
        stamps=stamps,
        products=product_rules.parse(data["products"], "mechanics.products") if "products" in data else cur.products,
        offers=offer_rules.parse(data["offers"], "mechanics.offers") if "offers" in data else cur.offers,
        challenges=(challenge_rules.parse(data["challenges"], "mechanics.challenges") if "challenges" in data
                    else cur.challenges),
        actions=(action_rules.parse(data["actions"], "mechanics.actions", cur.actions) if "actions" in data
                 else cur.actions),
        survey=survey_rules.parse(data["survey"], "mechanics.survey") if "survey" in data else cur.survey,
    )
    challenge_rules.check_offers(parsed.challenges, {offer.id for offer in parsed.offers})  # rewards name real offers
    if not stored:
        _no_points_bonuses(data, parsed)
    return parsed


# What a program's bonuses are counted in, by kind: changing to a kind of other units drops the bonuses
# the request does not restate (a welcome bonus of 100 points is not 100 stamps, 11 free coffees).
_UNITS = {"points": "points", "cashback": "points", "stamps": "stamps", "discount": None}


def _without_bonuses(m: Mechanics) -> Mechanics:
    """`m` with no welcome, referral, birthday, win-back or action bonus (a change of kind's units)."""
    return replace(m, welcome_bonus=0, referrer_bonus=0, referred_bonus=0, birthday_bonus=0, winback_bonus=0,
                   actions=action_rules.ActionBonuses())


def _no_points_bonuses(data: dict[str, Any], parsed: Mechanics) -> None:
    """A discount program has no points to spend, so a bonus in points could never be used: refused, naming
    the field (a stamps program's bonuses are stamps). Checked for what this request sends (or all of them
    when it sets `kind`), so a program saved before keeps being read and edited elsewhere."""
    if parsed.kind != "discount":
        return
    given = [
        ("welcome_bonus", "welcome_bonus", parsed.welcome_bonus),
        ("referral", "referral.referrer_bonus", parsed.referrer_bonus),
        ("referral", "referral.referred_bonus", parsed.referred_bonus),
        ("birthday", "birthday.bonus", parsed.birthday_bonus),
        ("winback", "winback.bonus", parsed.winback_bonus),
        *(("actions", f"actions.{name}", parsed.actions.points_for(name)) for name in action_rules.ACTIONS),
        *(("offers", f"offers[{index}].reward", offer.reward.points) for index, offer in enumerate(parsed.offers)),
        *(("challenges", f"challenges[{index}].reward", challenge.points)
          for index, challenge in enumerate(parsed.challenges)),
        *(("challenges", f"challenges[{index}].streak_bonus", challenge.streak_bonus.points)
          for index, challenge in enumerate(parsed.challenges) if challenge.streak_bonus),
    ]
    for section, where, points in given:
        if points and ("kind" in data or section in data):
            raise InvalidInput("A discount program has no points to spend: a bonus in points could never be used "
                               "(give an offer of a percentage or a free item instead).", code="invalid_value",
                               field=f"mechanics.{where}")


def _quiet_hours(raw: object) -> tuple[str, str] | None:
    field = "mechanics.messaging.quiet_hours"
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != len(("start", "end"))
            or not all(isinstance(x, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", x) for x in raw)):
        raise InvalidInput("Quiet hours are [\"HH:MM\", \"HH:MM\"] (start, end), or null.", code="invalid_format",
                           field=field)
    return raw[0], raw[1]


def _stamps(data: dict[str, Any], kind: str, cur: Mechanics) -> stamp_rules.StampRules | None:
    """A stamps program's card: required for kind stamps; other kinds have none (one sent is refused, one
    left from an earlier kind is dropped)."""
    p = "mechanics.stamps"
    given = stamp_rules.parse(data["stamps"], p) if "stamps" in data else None
    if kind != "stamps":
        if given is not None:
            raise InvalidInput("Only a stamps program has a stamp card: send null.", code="invalid_value", field=p)
        return None
    stamps = given if "stamps" in data else cur.stamps
    if stamps is None:
        raise InvalidInput("A stamps program needs its card: per_reward and reward.", code="required", field=p)
    return stamps


def _parse_tiers(raw: object, kind: str) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("'mechanics.tiers' must be a non-empty list.", code="invalid_type", field="mechanics.tiers")
    if len(raw) > MAX_TIERS:
        raise InvalidInput(f"At most {MAX_TIERS} tiers.", code="too_many", field="mechanics.tiers")
    tiers: list[Tier] = []
    seen: set[str] = set()
    for index, raw_item in enumerate(raw):
        p = f"mechanics.tiers[{index}]"
        item = v.require_object(raw_item, p)
        v.reject_unknown(item, {"id", "name", "threshold", "earn_percent", "discount_percent"}, p)
        tier_id = v.read_str(item, "id", prefix=p, required=True, max_len=32, pattern=r"[a-z0-9_-]+")
        name = program_texts.read(item, "name", prefix=p, required=True, max_len=40)
        names = dict(name) if isinstance(name, dict) else {}
        tier = Tier(
            id=tier_id,
            name=program_texts.pick(name, None) or "",
            names=names,
            threshold=v.read_int(item, "threshold", prefix=p, required=True, minimum=0, maximum=10**12),
            earn_bp=v.read_percent(item, "earn_percent", prefix=p, required=kind in EARNING_KINDS, default=0),
            discount_bp=v.read_percent(item, "discount_percent", prefix=p, required=kind == "discount", default=0),
        )
        if tier.id in seen:
            raise InvalidInput(f"Tier id '{tier.id}' is used twice.", code="duplicate", field=f"{p}.id")
        seen.add(tier.id)
        if index == 0 and tier.threshold != 0:
            raise InvalidInput("The first tier is where everyone starts: its threshold must be 0.",
                               code="invalid_value", field=f"{p}.threshold")
        if index > 0 and tier.threshold <= tiers[-1].threshold:
            raise InvalidInput("Tier thresholds must increase.", code="invalid_value", field=f"{p}.threshold")
        tiers.append(tier)
    return tuple(tiers)


def to_dict(m: Mechanics) -> dict[str, Any]:
    return {
        "kind": m.kind,
        "point_value": m.point_value,
        "tiers": [_tier_json(m, t) for t in m.tiers],
        "tier_window_days": m.tier_window_days,
        "tier_downgrade": m.tier_downgrade,
        "redeem_cap_percent": basis_points_to_percent(m.redeem_cap_bp),
        "min_redeem_points": m.min_redeem_points,
        "welcome_bonus": m.welcome_bonus,
        "referral": {"referrer_bonus": m.referrer_bonus, "referred_bonus": m.referred_bonus},
        "lifetime_days": m.lifetime_days,
        "lifetime_by_source": dict(m.lifetime_by_source),
        "pending_days": m.pending_days,
        "expiry_warning_days": m.expiry_warning_days,
        "birthday": {"bonus": m.birthday_bonus, "days_before": m.birthday_days_before},
        "winback": {"after_days": m.winback_after_days, "bonus": m.winback_bonus},
        "activity_window_days": m.activity_window_days,
        "lifecycle": {"active_days": m.active_days, "lost_after_days": m.lost_after_days},
        "messaging": {"quiet_hours": list(m.quiet_hours) if m.quiet_hours else None,
                      "max_per_week": m.max_messages_per_week},
        "stamps": stamp_rules.to_json(m.stamps),
        "products": product_rules.to_json(m.products),
        "offers": offer_rules.to_json(m.offers),
        "challenges": challenge_rules.to_json(m.challenges),
        "actions": action_rules.to_json(m.actions),
        "survey": survey_rules.to_json(m.survey),
        "economics": {"margin_percent": None if m.margin_bp is None else basis_points_to_percent(m.margin_bp),
                      "message_prices": dict(m.message_prices)},
    }


def _economics(data: v.Fields, cur: Mechanics) -> tuple[int | None, dict[str, int]]:
    """`economics`: the gross margin on sales (percent, or null: not told) and what a message costs by
    channel (minor units); what an experiment's ROMI is counted with (core/uplift.py)."""
    if "economics" not in data:
        return cur.margin_bp, dict(cur.message_prices)
    p = "mechanics.economics"
    economics = v.read_object(data, "economics", prefix="mechanics") or {}
    v.reject_unknown(economics, {"margin_percent", "message_prices"}, p)
    margin = v.read_percent(economics, "margin_percent", prefix=p) if "margin_percent" in economics else cur.margin_bp
    prices = dict(cur.message_prices)
    if "message_prices" in economics:
        raw = v.read_object(economics, "message_prices", prefix=p) or {}
        if len(raw) > MAX_CHANNELS:
            raise InvalidInput(f"Give prices for at most {MAX_CHANNELS} channels.", code="too_many",
                               field=f"{p}.message_prices")
        prices = {}
        for channel in raw:
            if not re.fullmatch(r"[a-z_]{1,20}", channel):
                raise InvalidInput("A channel is named in small Latin letters (wallet, email, telegram, sms).",
                                   code="invalid_value", field=f"{p}.message_prices")
            prices[channel] = v.read_int(raw, channel, prefix=f"{p}.message_prices", minimum=0, maximum=100_000,
                                         required=True)
    return margin, prices


def _tier_json(m: Mechanics, tier: Tier) -> dict[str, Any]:
    data = {"id": tier.id, "name": dict(tier.names) if tier.names else tier.name, "threshold": tier.threshold,
            "earn_percent": basis_points_to_percent(tier.earn_bp)}
    if m.kind == "discount" or tier.discount_bp:
        data["discount_percent"] = basis_points_to_percent(tier.discount_bp)
    return data


def from_stored(data: dict[str, Any] | None) -> Mechanics:
    """Mechanics from what we stored (already valid); tolerant of fields added since."""
    return parse(data or {}, stored=True)
