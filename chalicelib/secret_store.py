"""Secrets Manager, the one way the deployed functions read their secrets (admin keys, pass certificates,
the APNs key, the Google account, the Telegram bot, the SMS gateway): a JSON document per secret.

The client has short timeouts (botocore's defaults wait 60 s per attempt), so a slow Secrets Manager is a
quick, logged failure of the request or delivery that needed it, retried like any other, never a Lambda
that hangs until its own timeout. The client is made on first use; botocore itself is loaded anyway (PynamoDB
runs on it), so importing it here costs nothing (measured: in sys.modules after `import app`)."""
import json
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.config import Config

from chalicelib.config import settings

CONNECT_TIMEOUT = 3  # seconds
READ_TIMEOUT = 5


@lru_cache(maxsize=1)
def _client() -> Any:  # botocore's clients are made at run time and carry no types
    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"total_max_attempts": 3})
    return botocore.session.get_session().create_client("secretsmanager", region_name=settings().region,
                                                        config=config)


def read_json(secret_id: str) -> dict:
    """The secret's value, a JSON object."""
    return json.loads(_client().get_secret_value(SecretId=secret_id)["SecretString"])
