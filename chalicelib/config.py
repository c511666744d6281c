"""Settings, read from the environment once per process (per warm Lambda container).

Every external service sits behind a setting, so the local stack and the tests point the same code
at local stand-ins, and production at AWS, Apple and Google. `.chalice/config.json` sets the
non-secret values per stage; secrets come from files locally and from Secrets Manager in AWS.
The README lists every setting.
"""
import os
from dataclasses import dataclass
from functools import lru_cache

ADMIN_AUDIENCE = "loyalty-admin"  # the contract fixes it
MAX_BODY_BYTES = 256 * 1024  # the contract's limit


@dataclass(frozen=True)
class Settings:
    stage: str
    table_prefix: str
    dynamodb_endpoint: str | None
    region: str
    public_base_url: str
    admin_issuer: str
    admin_keys_file: str | None
    admin_keys_secret: str | None
    admin_token_ttl: int
    external_issuer: str | None
    external_jwks_url: str | None
    external_audience: str | None
    external_merchant_claim: str
    external_role_claim: str
    pass_type_id: str
    team_id: str
    certs_dir: str | None

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


def _get(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def load() -> Settings:
    return Settings(
        stage=_get("STAGE", "local"),
        table_prefix=_get("TABLE_PREFIX", "loyalty-local-"),
        dynamodb_endpoint=_get("DYNAMODB_ENDPOINT"),
        region=_get("AWS_REGION", _get("AWS_DEFAULT_REGION", "eu-central-1")),
        public_base_url=_get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        admin_issuer=_get("ADMIN_JWT_ISSUER", "loyalty-local"),
        admin_keys_file=_get("ADMIN_JWT_KEYS_FILE"),
        admin_keys_secret=_get("ADMIN_JWT_KEYS_SECRET"),
        admin_token_ttl=int(_get("ADMIN_JWT_TTL", "3600")),
        external_issuer=_get("ADMIN_JWT_EXTERNAL_ISSUER"),
        external_jwks_url=_get("ADMIN_JWT_EXTERNAL_JWKS_URL"),
        external_audience=_get("ADMIN_JWT_EXTERNAL_AUDIENCE"),
        external_merchant_claim=_get("ADMIN_JWT_EXTERNAL_MERCHANT_CLAIM", "custom:merchant"),
        external_role_claim=_get("ADMIN_JWT_EXTERNAL_ROLE_CLAIM", "custom:role"),
        pass_type_id=_get("PASS_TYPE_ID", "pass.dev.loyalty.local"),
        team_id=_get("TEAM_ID", "DEVTEAM001"),
        certs_dir=_get("PASS_CERTS_DIR"),
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load()


def reset() -> None:
    """Forget the cached settings (tests that change the environment call this)."""
    settings.cache_clear()
