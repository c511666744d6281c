"""Moving a base in: an upload of a CSV or XLSX file, in one or more parts of base64 within the 256 KiB
body limit (`POST /admin/programs/{id}/imports`, `.../imports/{import_id}/parts`)."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from chalicelib.core import imports as rules
from chalicelib.core import validation as v
from chalicelib.errors import InvalidInput

FORMATS = ("csv", "xlsx")
MAX_PARTS = 400  # 400 parts of ~190 KB: 76 MB, above core.imports.MAX_FILE_BYTES
MAX_FILENAME = 200


@dataclass(frozen=True)
class Upload:
    """The first part of a file (`format`, `filename`, `columns`: our field -> the file's header) or a
    further part (`part`, counting from 2). `more`: further parts follow."""

    content: bytes
    more: bool
    file_format: str = "csv"
    filename: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    part: int = 1


def _content(data: dict[str, Any]) -> bytes:
    text = v.read_str(data, "content", required=True, max_len=300_000, strip=False)
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("'content' must be base64.", code="invalid_base64", field="content") from None
    if not content:
        raise InvalidInput("'content' is empty.", code="required", field="content")
    return content


def read_upload(data: dict[str, Any]) -> Upload:
    v.reject_unknown(data, {"format", "filename", "content", "more", "columns"})
    file_format = v.read_str(data, "format", default="csv", choices=FORMATS)
    filename = v.read_str(data, "filename", max_len=MAX_FILENAME)
    raw_columns = v.read_object(data, "columns") or {}
    v.reject_unknown(raw_columns, set(rules.HEADERS), "columns")
    columns = tuple(sorted((name, v.read_str(raw_columns, name, prefix="columns", required=True, max_len=100))
                           for name in raw_columns))
    return Upload(_content(data), v.read_bool(data, "more", default=False), file_format, filename, columns)


def read_part(data: dict[str, Any]) -> Upload:
    v.reject_unknown(data, {"part", "content", "more"})
    part = v.read_int(data, "part", required=True, minimum=2, maximum=MAX_PARTS)
    return Upload(_content(data), v.read_bool(data, "more", default=False), part=part)
