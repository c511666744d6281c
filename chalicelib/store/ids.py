"""Random identifiers: unguessable, URL-safe, free of personal data and of our '#' separator."""
import secrets
import string

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: people type these


def new_id(prefix: str, nbytes: int = 12) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def random_digits(count: int, first_nonzero: bool = True) -> str:
    first = secrets.choice("123456789") if first_nonzero else secrets.choice(string.digits)
    return first + "".join(secrets.choice(string.digits) for _ in range(count - 1))


def new_ref_code(length: int = 8) -> str:
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(length))
