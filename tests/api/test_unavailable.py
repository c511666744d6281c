"""A DynamoDB that does not answer in time (a read timeout after PynamoDB's retries, a dropped connection,
throttling that outlasts the retries) is a 503 the caller may retry after Retry-After, not a 500 "internal
error": the newcomer's analytics page met read timeouts of the local database on a loaded machine."""
import json

from botocore.exceptions import ReadTimeoutError
from pynamodb.exceptions import QueryError

from chalicelib.api.http import api
from chalicelib.errors import InvalidInput
from chalicelib.store import db


def _timed_out() -> QueryError:
    return QueryError("Failed to query items", cause=ReadTimeoutError(endpoint_url="http://127.0.0.1:8001"))


def test_a_database_timeout_is_a_retryable_503():
    @api
    def view():
        raise _timed_out()

    answer = view()
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "2"
    assert json.loads(answer.body)["error"]["code"] == "busy"


def test_other_failures_stay_what_they_are():
    @api
    def broken():
        raise KeyError("a bug")

    @api
    def refused():
        raise InvalidInput("No.", code="invalid_value", field="x")

    assert broken().status_code == 500 and json.loads(broken().body)["error"]["code"] == "internal_error"
    assert refused().status_code == 400
    assert not db.is_unavailable(KeyError("a bug")) and db.is_unavailable(_timed_out())
