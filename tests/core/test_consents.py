"""Consent records' rules (core/consents.py): the version of a text, giving, withdrawing and giving again
(history kept, `given_at` never rewritten), the standing consent by channel, and older cards read as
'legacy' records."""
import hashlib
from datetime import UTC, datetime, timedelta

from chalicelib.core import consents

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
T1, T2, T3 = T0 + timedelta(days=1), T0 + timedelta(days=2), T0 + timedelta(days=3)


def test_the_version_is_the_first_12_hex_of_the_texts_sha256():
    text = "Email me offers"
    assert consents.version(text) == hashlib.sha256(text.encode()).hexdigest()[:12]
    assert consents.version(text) != consents.version(text + ".")  # one character more: another version
    assert consents.record("marketing", "email", text, T0, "join_page") == {
        "purpose": "marketing", "channel": "email", "version": consents.version(text), "text": text,
        "given_at": "2027-03-01T09:00:00.000000+00:00", "given_via": "join_page",
        "withdrawn_at": None, "withdrawn_via": None}


def test_withdrawn_then_given_again_keeps_the_history():
    records = [consents.record("terms", None, "I agree", T0, "join_page"),
               consents.record("marketing", "email", "Email me offers", T0, "join_page")]
    assert consents.current(records) == {"email": True}
    withdrawn = consents.withdraw(records, "marketing", "email", T1, "unsubscribe_link")
    assert withdrawn is not None and consents.current(withdrawn) == {"email": False}
    assert withdrawn[1]["withdrawn_at"] == "2027-03-02T09:00:00.000000+00:00"
    assert withdrawn[1]["withdrawn_via"] == "unsubscribe_link" and withdrawn[1]["given_at"] == records[1]["given_at"]
    assert records[1]["withdrawn_at"] is None  # the records passed in are not changed
    assert consents.withdraw(withdrawn, "marketing", "email", T2, "profile") is None  # nothing stands: no write
    again = consents.give(withdrawn, "marketing", "email", "Email me offers", T2, via="profile")
    assert again is not None and len(again) == 3 and consents.current(again) == {"email": True}
    assert again[1] == withdrawn[1]  # the withdrawn one is kept as it was
    assert (again[2]["given_via"], again[2]["given_at"]) == ("profile", "2027-03-03T09:00:00.000000+00:00")
    assert consents.is_given(again, "terms") and not consents.is_given(again, "marketing", "telegram")


def test_giving_the_same_words_again_writes_nothing_and_other_words_replace_them():
    records = [consents.record("marketing", "telegram", "The bot sends offers", T0, "telegram_bot")]
    assert consents.give(records, "marketing", "telegram", "The bot sends offers", T1, via="telegram_bot") is None
    newer = consents.give(records, "marketing", "telegram", "The bot sends offers and news", T1, via="telegram_bot")
    assert newer is not None and [r["withdrawn_via"] for r in newer] == ["replaced", None]
    assert newer[0]["given_at"] == records[0]["given_at"] and consents.current(newer) == {"telegram": True}


def test_channels_are_separate():
    records = [consents.record("marketing", "email", "Email me offers", T0, "join_page"),
               consents.record("marketing", "telegram", "The bot sends offers", T1, "telegram_app")]
    stopped = consents.withdraw(records, "marketing", "telegram", T2, "telegram_bot")
    assert stopped is not None and consents.current(stopped) == {"email": True, "telegram": False}
    assert consents.summary(stopped) == {"email": True, "telegram": False}
    assert consents.summary([]) == {"email": False}


def test_an_older_card_reads_as_legacy_records():
    at = "2025-01-01T10:00:00.000000+00:00"
    history = consents.history(None, {"email": True}, at, telegram_linked=True)
    assert [(r["purpose"], r["channel"], r["version"], r["given_at"]) for r in history] == [
        ("terms", None, "legacy", at), ("marketing", "email", "legacy", at), ("marketing", "telegram", "legacy", None)]
    assert consents.current(history) == {"email": True, "telegram": True}
    # a channel marked false was never given, or withdrawn at a time nobody kept: no record, no consent
    assert consents.current(consents.history(None, {"email": False}, at)) == {}
    assert consents.history(None, None, None) == []
    # once a card has records, they alone are its history (the legacy fields are not read again)
    written = [consents.record("terms", None, "I agree", T0, "join_page")]
    assert consents.history(written, {"email": True}, at, telegram_linked=True) == written


def test_the_words_recorded_are_the_words_shown():
    assert consents.terms_text("en") == "I agree to the program's terms and to the processing of my personal data"
    assert consents.terms_text("en", "https://cafe.test/terms").endswith(" — https://cafe.test/terms")
    assert consents.terms_text("ru", "Правила").startswith("Я согласен(на)")
    assert consents.email_text("en") == "Email me offers"
    assert "Coffee Club" in consents.telegram_text("en", "Coffee Club") and "/stop" in consents.telegram_text(
        "ru", "Кофе")
