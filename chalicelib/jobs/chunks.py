"""Working one chunk of a fanned-out run: the same per-card work the jobs do inline, on cards named by
id (read once each, consistently), so a chunk can be retried by SQS without doing anything twice."""
from datetime import date, datetime, timezone

from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store


def work(message: dict) -> dict:
    from chalicelib.jobs import triggers
    from chalicelib.usecases import campaigns

    program = program_store.get(message["program_id"])
    if program is None:
        return {"cards": 0}
    day = date.fromisoformat(message["day"])
    now = datetime.now(timezone.utc) if "now" not in message else datetime.fromisoformat(message["now"])
    done = 0
    for card_id in message["card_ids"]:
        card = card_store.get(card_id, consistent=True)
        if card is None:
            continue
        task = message["task"]
        if task == "campaign":
            campaigns.send_one(program, campaigns.get(program, message["campaign_id"]), card, now, {})
        else:
            getattr(triggers, f"{task}_one")(program, card, day, now, message)
        done += 1
    return {"cards": done}
