"""Secrets Manager, the one way the deployed functions read their secrets (admin keys, pass certificates,
the APNs key, the Google account, the Telegram bot, the SMS gateway): a JSON document per secret.

The client has short timeouts (botocore's defaults wait 60 s per attempt), so a slow Secrets Manager is a
quick, logged failure of the request or delivery that needed it, retried like any other, never a Lambda
that hangs until its own timeout. botocore loads only here, on first use: never at import time."""
import json
from functools import lru_cache

from chalicelib.config import settings

CONNECT_TIMEOUT = 3  # seconds
READ_TIMEOUT = 5


@lru_cache(maxsize=1)
def _client():
    import botocore.session
    from botocore.config import Config

    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"total_max_attempts": 3})
    return botocore.session.get_session().create_client("secretsmanager", region_name=settings().region,
                                                        config=config)


def read_json(secret_id: str) -> dict:
    """The secret's value, a JSON object."""
    return json.loads(_client().get_secret_value(SecretId=secret_id)["SecretString"])
