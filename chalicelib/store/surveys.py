"""Survey answers, as items of the receipts table: a program's partition already holds what its
receipts asked, so each answer sits next to them under its own key prefix (no new table):
- 'survey#<card_id>#<survey_id>': the answer to one survey (its score, when, the comment if one was
  left); written once, conditionally, so a survey is answered once, however often the page is posted;
- 'comment#<day>#<answered_at>#<survey_id>': a comment, for the owner's list (newest first, by the
  program-local day it was answered). Written with the comment, in one transaction with the answer.
Neither has `created_key`, so the receipts' time index (the receipts export) never sees them.

The answer's analytics counters (store/analytics.py) are added in the answer's own transaction, as a
receipt's are: a repeated post counts nothing.
"""
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model

from chalicelib.errors import InvalidInput
from chalicelib.store import analytics as analytics_store
from chalicelib.store import db, pages
from chalicelib.store.models import Receipt

ANSWER, COMMENT = "survey#", "comment#"


class SurveyItem(Model):
    """An answer or a comment (see the module's docstring), in the receipts table."""

    class Meta(Receipt.Meta):  # type: ignore[misc]
        pass

    program_id = UnicodeAttribute(hash_key=True)
    receipt_key = UnicodeAttribute(range_key=True)
    card_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # nps | csi
    score = NumberAttribute()
    day = UnicodeAttribute()  # program-local day of the answer
    answered_at = UnicodeAttribute()
    comment = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Answer:
    card_id: str
    kind: str
    score: int
    day: str
    answered_at: str
    comment: str | None


def _answer_key(card_id: str, survey_id: str) -> str:
    return f"{ANSWER}{card_id}#{survey_id}"


def _answer(item: SurveyItem) -> Answer:
    return Answer(item.card_id, item.kind, int(item.score), item.day, item.answered_at, item.comment)


def answer_of(program_id: str, card_id: str, survey_id: str) -> Answer | None:
    try:
        return _answer(SurveyItem.get(program_id, _answer_key(card_id, survey_id), consistent_read=True))
    except SurveyItem.DoesNotExist:
        return None


def save_answer(program_id: str, card_id: str, survey_id: str, answer: Answer, counts: dict[str, int]) -> bool:
    """Record the answer with its day's counters: True, or False when this survey was answered before
    (nothing written)."""
    key = _answer_key(card_id, survey_id)
    item = SurveyItem(program_id, key, card_id=card_id, kind=answer.kind, score=answer.score, day=answer.day,
                      answered_at=answer.answered_at)
    try:
        with db.transaction() as tx:
            tx.save(item, condition=SurveyItem.receipt_key.does_not_exist())
            analytics_store.add_counts(tx, program_id, {answer.day: counts}, key)
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            return False
        raise
    return True


def save_comment(program_id: str, card_id: str, survey_id: str, comment: str) -> bool:
    """Add the comment to an answer that has none yet: True, or False (no answer, or commented before)."""
    answer = answer_of(program_id, card_id, survey_id)
    if answer is None or answer.comment is not None:
        return False
    listed = SurveyItem(program_id, f"{COMMENT}{answer.day}#{answer.answered_at}#{survey_id}", card_id=card_id,
                        kind=answer.kind, score=answer.score, day=answer.day, answered_at=answer.answered_at,
                        comment=comment)
    try:
        with db.transaction() as tx:
            tx.update(SurveyItem(program_id, _answer_key(card_id, survey_id)),
                      actions=[SurveyItem.comment.set(comment)],
                      condition=SurveyItem.receipt_key.exists() & SurveyItem.comment.does_not_exist())
            tx.save(listed)
    except TransactWriteError as error:
        if db.is_condition_failure(error):
            return False
        raise
    return True


def comments_newest_first(program_id: str, start: str, end: str, limit: int, cursor: str | None,
                          ) -> tuple[list[Answer], str | None]:
    """Comments left on days `start`..`end` (program-local, both included), newest first, a page at a time."""
    low, high = f"{COMMENT}{start}", f"{COMMENT}{end}#~"
    after = pages.decode(cursor, "program_id", program_id, "receipt_key", "receipt_key")
    if after is not None and not low <= after["receipt_key"]["S"] <= high:  # another period's cursor
        raise InvalidInput("The cursor is not one we issued.", code="invalid_cursor", field="cursor")
    result = SurveyItem.query(program_id, SurveyItem.receipt_key.between(low, high), scan_index_forward=False,
                              limit=limit, last_evaluated_key=after)
    items = [_answer(item) for item in result]
    return items, pages.encode(result.last_evaluated_key, "receipt_key", "receipt_key")
