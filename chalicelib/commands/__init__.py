"""Commands: what a caller asked for, parsed once at the edge into frozen, typed values.

Each command is built by its `parse(...)` classmethod from the request body with the strict readers of
`core.validation` (the same field-named errors and codes as before); use cases take commands, never
dicts. A command keeps the idempotency hash of the body it came from (`request_hash`), so a replay is
recognised by the bytes the caller sent, however a command is built."""
import hashlib
import json
from typing import Any


def body_hash(data: Any) -> str:
    """The same request, however its JSON was spaced or ordered."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
