"""The Cognito user pool's admin calls (COGNITO_ENDPOINT points them at moto locally; unset in AWS).

Users are created by the API only (the pool allows no self sign-up), with the e-mail as the user name,
our generated temporary password and no message from Cognito (MessageAction SUPPRESS): the invitation is
our own letter, in the member's language (accounts/invitation.py). `custom:merchant` and `custom:role` are
written here and nowhere else: the console's app client cannot write them.
"""
import secrets
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.config import settings
from chalicelib.errors import Conflict, InvalidInput, TryAgain

CONNECT_TIMEOUT = 3
READ_TIMEOUT = 10
PASSWORD_LENGTH = 20  # the pool asks for 12 with every kind of character; a temporary one is used once
_SYMBOLS = "!@#$%^*-_=+?"  # no &: the letter is HTML too


class AccountsUnavailable(TryAgain):
    def __init__(self) -> None:
        super().__init__("The accounts service could not be reached; try again in a minute.", status=503,
                         code="accounts_unavailable", retry_after=30)


@dataclass(frozen=True)
class PoolUser:
    username: str  # what the Admin* calls take
    sub: str  # the stable id in the user's tokens
    status: str  # Cognito's UserStatus: FORCE_CHANGE_PASSWORD until the first sign-in, then CONFIRMED, ...


@lru_cache(maxsize=1)
def _client() -> Any:  # botocore's clients carry no types
    s = settings()
    if not s.cognito_user_pool_id:
        raise RuntimeError("COGNITO_USER_POOL_ID is not set: no user pool for the staff")
    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"total_max_attempts": 2})
    return botocore.session.get_session().create_client("cognito-idp", region_name=s.cognito_region,
                                                        endpoint_url=s.cognito_endpoint, config=config)


def forget_client() -> None:
    _client.cache_clear()


# Cognito's refusals that mean "try again later" rather than a mistake of ours or the caller's
_BUSY = {"TooManyRequestsException", "LimitExceededException", "InternalErrorException"}


def _call(operation: str, **params: Any) -> Any:
    try:
        return getattr(_client(), operation)(UserPoolId=settings().cognito_user_pool_id, **params)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "UsernameExistsException":
            raise Conflict("An account with this e-mail already exists.", code="account_exists",
                           field="email") from None
        if code == "InvalidParameterException" and operation == "admin_create_user":
            raise InvalidInput("Cognito does not accept this e-mail or name.", code="invalid_value",
                               field="email") from None
        if code in _BUSY:
            raise AccountsUnavailable() from None
        raise
    except BotoCoreError:
        raise AccountsUnavailable() from None


def temporary_password() -> str:
    """Random, with a lower-case and an upper-case letter, a digit and a symbol (the pool's policy)."""
    kinds = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SYMBOLS)
    characters = [secrets.choice(kind) for kind in kinds]
    alphabet = "".join(kinds)
    characters += [secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def create_user(email: str, *, merchant_id: str, role: str, name: str | None, password: str) -> PoolUser:
    """A new user who must choose a password at the first sign-in (Cognito's NEW_PASSWORD_REQUIRED)."""
    attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                  {"Name": "custom:merchant", "Value": merchant_id}, {"Name": "custom:role", "Value": role}]
    if name:
        attributes.append({"Name": "name", "Value": name})
    answer = _call("admin_create_user", Username=email, TemporaryPassword=password, MessageAction="SUPPRESS",
                   UserAttributes=attributes)
    user = answer["User"]
    sub = next(a["Value"] for a in user.get("Attributes", []) if a["Name"] == "sub")
    return PoolUser(username=user["Username"], sub=sub, status=user.get("UserStatus", ""))


def set_password(username: str, password: str) -> None:
    """A permanent password (the local demo owner's: no first-sign-in change)."""
    _call("admin_set_user_password", Username=username, Password=password, Permanent=True)


def reset_temporary_password(username: str, password: str) -> None:
    """A new temporary password for an invitation not yet answered (the letter was lost)."""
    _call("admin_set_user_password", Username=username, Password=password, Permanent=False)


def set_role(username: str, role: str) -> None:
    """The role the next ID token carries (the API reads our record, so it applies before that)."""
    _call("admin_update_user_attributes", Username=username, UserAttributes=[{"Name": "custom:role", "Value": role}])


def disable(username: str, email: str) -> None:
    """No new sign-in, and every refresh token revoked: the console's session ends within an ID token's life.
    The sign-out names the user by e-mail: AWS takes either name, and moto matches refresh tokens by the name
    given at sign-in (the e-mail), so the local stand-in revokes them too."""
    _call("admin_disable_user", Username=username)
    _call("admin_user_global_sign_out", Username=email)


def enable(username: str, role: str, password: str) -> None:
    """A removed member invited again: signing in works again, with a new temporary password and the role
    they are invited to now."""
    _call("admin_enable_user", Username=username)
    set_role(username, role)
    reset_temporary_password(username, password)


def find(email: str) -> PoolUser | None:
    """The user whose e-mail (the user name) this is, or None."""
    try:
        user = _call("admin_get_user", Username=email)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "UserNotFoundException":
            return None
        raise
    sub = next(a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == "sub")
    return PoolUser(username=user["Username"], sub=sub, status=user.get("UserStatus", ""))
