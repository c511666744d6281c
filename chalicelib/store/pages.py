"""Opaque cursors for page-by-page listings.

A cursor carries only the range key and the item's id; the partition key comes from the request
(the program being listed), so a cursor copied from another program cannot leak across tenants.
"""
import base64
import json

from chalicelib.core.validation import parse_json
from chalicelib.errors import InvalidInput

Key = dict[str, dict[str, str]]  # a DynamoDB key: {name: {"S": value}}


def encode(last_key: Key | None, range_name: str, id_name: str) -> str | None:
    if not last_key:
        return None
    raw = json.dumps([last_key[range_name]["S"], last_key[id_name]["S"]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str | None, hash_name: str, hash_value: str, range_name: str, id_name: str) -> Key | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        pair = parse_json(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pair, list) or len(pair) != 2:  # noqa: PLR2004 (a cursor is [range value, id])
            raise ValueError
        range_value, id_value = pair
        if not isinstance(range_value, str) or not isinstance(id_value, str):
            raise ValueError
    except (ValueError, TypeError, InvalidInput):
        raise InvalidInput("The cursor is not one we issued.", code="invalid_cursor", field="cursor") from None
    key: Key = {hash_name: {"S": hash_value}, range_name: {"S": range_value}}
    key[id_name] = {"S": id_value}
    return key
