"""Google Wallet's save/delete callback, read once at the route.

A body that is not a callback's shape (Google always sends `signature`, `intermediateSigningKey`
{`signedKey`, `signatures`[]}, `protocolVersion` and `signedMessage`, all strings) is answered 400
before any key is fetched: nothing Google sends looks like that, so no retry is lost."""
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.errors import InvalidInput

_MAX_FIELD_CHARS = 16_384  # a signed message is a few hundred characters
_MAX_SIGNATURES = 8


@dataclass(frozen=True)
class Callback:
    protocol_version: str
    signature: str
    signed_message: str
    signed_key: str
    key_signatures: tuple[str, ...]

    def signed(self) -> dict[str, object]:
        """The callback in Google's wire shape, as its signatures are checked (wallet/google.py)."""
        return {"protocolVersion": self.protocol_version, "signature": self.signature,
                "signedMessage": self.signed_message,
                "intermediateSigningKey": {"signedKey": self.signed_key, "signatures": list(self.key_signatures)}}


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > _MAX_FIELD_CHARS:
        raise InvalidInput(f"'{field}' must be a non-empty string.", code="invalid_callback", field=field)
    return value


def read_callback(data: Mapping[str, object]) -> Callback:
    """The callback if every field Google signs is present with its JSON type; else 400 naming it."""
    protocol_version, signature, signed_message = (
        _text(data.get(name), name) for name in ("protocolVersion", "signature", "signedMessage"))
    intermediate = data.get("intermediateSigningKey")
    if not isinstance(intermediate, dict):
        raise InvalidInput("'intermediateSigningKey' must be an object.", code="invalid_callback",
                           field="intermediateSigningKey")
    signed_key = _text(intermediate.get("signedKey"), "intermediateSigningKey.signedKey")
    signatures = intermediate.get("signatures")
    if not isinstance(signatures, list) or not 1 <= len(signatures) <= _MAX_SIGNATURES:
        raise InvalidInput(f"'intermediateSigningKey.signatures' must be a list of 1 to {_MAX_SIGNATURES} strings.",
                           code="invalid_callback", field="intermediateSigningKey.signatures")
    key_signatures = tuple(_text(signature, f"intermediateSigningKey.signatures[{index}]")
                           for index, signature in enumerate(signatures))
    return Callback(protocol_version=protocol_version, signature=signature, signed_message=signed_message,
                    signed_key=signed_key, key_signatures=key_signatures)
