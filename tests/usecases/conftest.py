"""The ledger path's use cases on two stores: the in-memory twin (milliseconds) and DynamoDB on moto.
A `world` is a program, a way to make cards, and the store the use cases are given."""
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from chalicelib.core import card_number
from chalicelib.core import mechanics as mech
from chalicelib.core.ledger import CardState
from chalicelib.store import cards as card_store
from chalicelib.store import ids
from chalicelib.store.ledger import DYNAMO, LedgerStore
from chalicelib.store.memory import MemoryLedger
from chalicelib.store.plans import LedgerCard
from chalicelib.store.records import Program
from chalicelib.usecases import enrollment
from chalicelib.usecases import programs as program_cases

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
MECHANICS = {"redeem_cap_percent": 50, "lifetime_days": 30, "referral": {"referrer_bonus": 50}}


class World:
    store: LedgerStore
    program: Program
    _ticks = count(1)

    def moment(self) -> datetime:
        """A second after the last operation's: lots and entries are named by the moment they are made."""
        return NOW + timedelta(seconds=next(self._ticks))

    def new_card(self, referrer: LedgerCard | None = None) -> LedgerCard:
        raise NotImplementedError

    def entries(self, card_id: str) -> list[tuple[str, int]]:
        """(kind, amount) of the card's ledger entries after enrolment, oldest first."""
        raise NotImplementedError


class MemoryWorld(World):
    def __init__(self) -> None:
        self.store = self.memory = MemoryLedger()
        self.program = Program(
            program_id="p_memory", merchant_id="m_1", created_key="", name="Shop", slug="shop",
            timezone="Europe/Moscow", currency="RUB", country="RU", mechanics=mech.to_dict(mech.parse(MECHANICS)),
            branding={}, limits=None, status="active", created_at="", updated_at="", version=1)
        self._serial = count(1)

    def new_card(self, referrer: LedgerCard | None = None) -> LedgerCard:
        tier = mech.from_stored(self.program.mechanics).tiers[0].id
        number = card_number.from_random(ids.random_digits(card_number.LENGTH - 1))
        card = LedgerCard(f"c_{next(self._serial)}", self.program.program_id, number, "active",
                          CardState(balance=0, lots=(), tier=tier), version=1,
                          referred_by=referrer.card_id if referrer else None)
        return self.memory.add_card(card, NOW)

    def entries(self, card_id: str) -> list[tuple[str, int]]:
        return [(row.kind, row.amount) for row in self.memory.entries[card_id]]


class MotoWorld(World):
    def __init__(self) -> None:
        self.store = DYNAMO
        self.program = program_cases.create("m_1", {"name": "Shop", "slug": "shop", "mechanics": MECHANICS}, NOW)
        self._phones = count(1)

    def new_card(self, referrer: LedgerCard | None = None) -> LedgerCard:
        form = {"name": "A", "phone": f"+7916{next(self._phones):07d}", "consent": True}
        if referrer is not None:
            form["ref"] = referrer.item.ref_code
        card = self.store.card(enrollment.enroll(self.program, form, NOW, "ru").card_id)
        assert card is not None
        return card

    def entries(self, card_id: str) -> list[tuple[str, int]]:
        items, _ = card_store.ledger_page(card_id, 200, None)
        return [(item.kind, int(item.amount)) for item in reversed(items)]


@pytest.fixture(params=["memory", "moto"])
def world(request) -> World:
    if request.param == "memory":
        return MemoryWorld()
    request.getfixturevalue("aws")
    return MotoWorld()
