"""`python -m chalicelib.cli demo-history`: a few months of made-up trade for the local demo program,
so the analytics page has something to show. Everything goes through the real use cases, each at its
own moment in the past (enrolments, member and anonymous receipts, some paid with points, refunds),
with the daily expiry and the nightly fold run as the days pass. Running it again adds nothing: the
receipts and refunds have fixed ids and the phones are already enrolled."""
import contextlib
import random
from datetime import UTC, datetime, time, timedelta

from chalicelib.core import clock
from chalicelib.errors import AppError, Conflict
from chalicelib.jobs import analytics as nightly
from chalicelib.jobs import triggers
from chalicelib.store import cards as card_store
from chalicelib.store.records import Program
from chalicelib.usecases import enrollment, pos

NAMES = ("Anna", "Ivan", "Olga", "Pavel", "Maria", "Sergey", "Elena", "Dmitry", "Irina", "Alexey")


def _enrolled_number(program_id: str, phone: str) -> str:
    card_id = card_store.card_id_by_phone(program_id, phone)
    card = card_store.get(card_id) if card_id else None
    if card is None:
        raise RuntimeError(f"{phone} is enrolled but has no card")
    return card.number


def generate(program: Program, days: int, now: datetime, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    today = clock.local_day(now, program.timezone)
    cards: list[str] = []  # card numbers
    done = {"members": 0, "receipts": 0, "refunds": 0}
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        moment = datetime.combine(day, time(9), tzinfo=UTC)
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            moment += timedelta(minutes=rng.randint(5, 40))
            phone = f"+7999{len(cards) + 1:07d}"
            form = {"name": rng.choice(NAMES), "phone": phone, "consent": True}
            try:
                cards.append(enrollment.enroll(program, form, moment, "ru").number)
                done["members"] += 1
            except Conflict:  # enrolled by an earlier run
                cards.append(_enrolled_number(program.program_id, phone))
        regulars = cards[: max(1, len(cards) // 3)]
        for index in range(rng.randint(2, 9)):
            # every draw is made whatever happens next, so a second run makes the same receipts
            moment += timedelta(minutes=rng.randint(3, 25))
            total, member, regular, pays_with_points, refunded = (
                rng.randrange(15_000, 250_000, 100), rng.random() < 0.7, rng.random() < 0.6, rng.random() < 0.2,
                rng.random() < 0.04)
            receipt = {"receipt_id": f"demo-{day}-{index}", "total": total}
            if cards and member:
                receipt["card"] = rng.choice(regulars if regular else cards)
                quote = pos.quote(program, {"card": receipt["card"], "total": total}, moment)
                if quote["max_redeem"] and pays_with_points:
                    receipt["redeem"] = quote["max_redeem"]
            try:
                done["receipts"] += not pos.post_receipt(program, receipt, moment).replay
            except AppError:  # an earlier run's receipt under this id (its points were different then)
                continue
            if refunded:
                refund = {"refund_id": f"demo-{day}-{index}-r", "receipt_id": receipt["receipt_id"],
                          "amount": total // 2}
                with contextlib.suppress(AppError):  # refunded by an earlier run
                    done["refunds"] += not pos.post_refund(program, refund, moment + timedelta(minutes=30)).replay
        evening = datetime.combine(day, time(18), tzinfo=UTC)
        triggers.expire_points(day, evening)
    nightly.run(today)
    return done
