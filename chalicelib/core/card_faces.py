"""What a card shows of the mechanics beyond points, told once for its three faces: the card page, the
Apple pass and the Google object. A stamp card's stamps and rewards, a discount card's percent (and
the next tier's), the offers the card holds that can still be used, its progress in challenges. Pure:
the caller passes the day (program-local) and the reader's language.

Stamps are the card's points in a stamps program (core/stamps.py): the card shows the stamps of the
card being filled (`held` modulo `per_reward`) and the full cards held as rewards to collect. A card
whose stamps are an exact number of full cards shows a full card (9 / 9), not an empty one: its
holder sees why a reward waits for them; after the reward is redeemed it shows 0 / 9. Rewards are the
full cards the till would redeem now (ledger.rewards_available: stamps still pending do not make one), so
the card never promises a reward the till refuses; a full card whose stamps are pending shows 9 / 9 with
no reward yet.
"""
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.core import challenges as challenge_rules
from chalicelib.core import ledger, program_texts, texts
from chalicelib.core import offers as offer_rules
from chalicelib.core.challenges import Progress
from chalicelib.core.mechanics import Mechanics
from chalicelib.core.offers import HeldOffer
from chalicelib.core.percent import percent

PASS_OFFERS = 5  # offers an Apple pass lists on its back (the card page lists every live one)


@dataclass(frozen=True)
class StampCard:
    per_reward: int  # stamps that make a full card
    filled: int  # stamps on the card being filled (per_reward when the last card is full)
    rewards: int  # full cards held: rewards to collect at the till
    reward: str | None  # what a full card gives, in the reader's language ("A free coffee")

    @property
    def shown(self) -> str:
        """"6 / 9": what the pass's field and Google's balance say."""
        return f"{self.filled} / {self.per_reward}"


@dataclass(frozen=True)
class Discount:
    percent: str  # "10" or "7.5": the card's tier's discount
    next_tier: str | None = None  # the next tier's name, when there is one with a bigger discount
    next_percent: str | None = None
    next_threshold: int | None = None  # minor units of spend over the tier window


@dataclass(frozen=True)
class OfferShown:
    held_id: str
    name: str
    reward: str  # in words: "+100 points", "10% off", "Free: Cappuccino"
    valid_until: str | None  # ISO day, or None: no end
    latest: bool = False  # the card's most recently issued offer (what a pass's arrival notice is about)

    def line(self, lang: str, today: date | None) -> str:
        """"Free dessert — free: Dessert until 31 December": one line of a pass's back (`today` None:
        the day with its year, so the text does not change at New Year)."""
        until = texts.text("offer_until", lang, day=texts.day_text(date.fromisoformat(self.valid_until), lang,
                                                                     today)) if self.valid_until else ""
        return " ".join(part for part in (f"{self.name} — {self.reward}", until) if part)


@dataclass(frozen=True)
class ChallengeShown:
    id: str
    name: str
    progress: int
    target: int
    ends_on: str | None
    completed: int
    streak: int

    @property
    def share(self) -> int:
        """Percent of the goal reached, 0..100 (the page's bar)."""
        return min(100, self.progress * 100 // self.target) if self.target > 0 else 0

    def line(self, lang: str, today: date) -> str:
        """"Visit 3 times: 2 / 3, until 12 December, 2 in a row"."""
        parts = [f"{self.name}: {self.progress} / {self.target}"]
        if self.ends_on:
            parts.append(texts.text("challenge_until", lang,
                                    day=texts.day_text(date.fromisoformat(self.ends_on), lang, today)))
        if self.streak > 1:
            parts.append(texts.text("challenge_streak", lang, count=self.streak))
        return ", ".join(parts)


@dataclass(frozen=True)
class Faces:
    kind: str
    stamps: StampCard | None = None
    discount: Discount | None = None
    offers: tuple[OfferShown, ...] = ()
    challenges: tuple[ChallengeShown, ...] = ()


def faces(mechanics: Mechanics, *, balance: int, tier_id: str | None, offers: tuple[HeldOffer, ...],  # noqa: PLR0913 (the card's parts the faces show, by name)
          challenges: tuple[Progress, ...], lang: str, today: date, state: ledger.CardState | None = None) -> Faces:
    """What the card shows, in `lang`, on `today` (program-local). `state`: the card's (its lots say which
    stamps may be spent now); without it every stamp held counts."""
    return Faces(kind=mechanics.kind, stamps=stamp_card(mechanics, balance, lang, state=state, today=today),
                 discount=discount(mechanics, tier_id), offers=live_offers(offers, mechanics, lang, today),
                 challenges=challenge_progress(challenges, mechanics, lang, today))


def stamp_card(mechanics: Mechanics, held: int, lang: str, *, state: ledger.CardState | None = None,
               today: date | None = None) -> StampCard | None:
    """The stamp card: rewards are the full cards the till would redeem on `today` (with the card's
    `state`), the rest fills the card being filled, at most a full one."""
    if mechanics.kind != "stamps" or mechanics.stamps is None:
        return None
    per_reward = max(1, mechanics.stamps.per_reward)
    held = max(0, held)
    if state is not None and today is not None:
        rewards = min(held // per_reward, ledger.rewards_available(mechanics, state, today.isoformat()))
    else:
        rewards = held // per_reward
    left = held - rewards * per_reward
    filled = min(per_reward, left) if left else (per_reward if rewards else 0)
    name = program_texts.pick(mechanics.stamps.reward, lang)
    return StampCard(per_reward, filled, rewards, name)


def discount(mechanics: Mechanics, tier_id: str | None) -> Discount | None:
    if mechanics.kind != "discount":
        return None
    tier = mechanics.tier(tier_id)
    mine = tier.discount_bp
    shown = Discount(str(percent(mine)))
    later = [t for t in mechanics.tiers if t.threshold > tier.threshold and t.discount_bp > mine]
    if later:
        upper = later[0]
        shown = Discount(str(percent(mine)), upper.name, str(percent(upper.discount_bp)), upper.threshold)
    return shown


def reward_text(reward: object, lang: str) -> str:
    """An offer's reward in words ({"type": "points", "points": 100} -> "+100 points")."""
    if not isinstance(reward, dict):
        return ""
    kind = reward.get("type")
    if kind == "points":
        points = int(reward.get("points") or 0)
        return texts.text("card_offer_points", lang, points=texts.count(points, "points", lang))
    if kind == "percent":
        return texts.text("card_offer_percent", lang, percent=reward.get("percent"))
    if kind == "free_item":
        return texts.text("card_offer_free_item", lang, item=program_texts.pick(reward.get("item"), lang) or "")
    return ""


def live_offers(held: tuple[HeldOffer, ...], mechanics: Mechanics, lang: str, today: date) -> tuple[OfferShown, ...]:
    """The card's offers that can still be used (a used or expired one is not shown), newest first."""
    shown = []
    for view in reversed(offer_views(held, mechanics, lang, today)):
        if view.get("status") != "live":
            continue
        name = program_texts.pick(view.get("name"), lang) or str(view.get("offer") or "")
        shown.append(OfferShown(str(view["id"]), name, reward_text(view.get("reward"), lang), view.get("valid_until"),
                                latest=bool(held) and view["id"] == held[-1].held_id))
    return tuple(shown)


def offer_views(held: tuple[HeldOffer, ...], mechanics: Mechanics, lang: str, today: date) -> list[dict[str, Any]]:
    """The offer views of the admin API and the POS ({id, offer, name, reward, valid_until, status})."""
    return [offer_rules.view(one, mechanics, lang, today) for one in held]


def challenge_progress(progress: tuple[Progress, ...], mechanics: Mechanics, lang: str,
                       today: date) -> tuple[ChallengeShown, ...]:
    return tuple(ChallengeShown(str(view["id"]), program_texts.pick(view.get("name"), lang) or str(view["id"]),
                                int(view.get("progress") or 0), int(view.get("target") or 0), view.get("ends_on"),
                                int(view.get("completed") or 0), int(view.get("streak") or 0))
                 for view in challenge_views(progress, mechanics, lang, today))


def challenge_views(progress: tuple[Progress, ...], mechanics: Mechanics, lang: str,
                    today: date) -> list[dict[str, Any]]:
    """The progress views ({id, name, progress, target, ends_on, completed, streak, done})."""
    return challenge_rules.views(progress, mechanics, lang, today)
