"""Settings, read from the environment once per process (per warm Lambda container).

Every external service sits behind a setting, so the local stack and the tests point the same code
at local stand-ins, and production at AWS, Apple and Google. `.chalice/config.json` sets the
non-secret values per stage; secrets come from files locally and from Secrets Manager in AWS.
The README lists every setting.
"""
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import overload

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
    # accounts: the Cognito user pool of the merchants' staff (console sign-in); its ID tokens are trusted
    cognito_region: str
    cognito_user_pool_id: str | None
    cognito_client_id: str | None
    cognito_endpoint: str | None  # the user-pool API's base URL; None: AWS's own
    pass_type_id: str
    team_id: str
    certs_dir: str | None
    pass_certs_secret: str | None
    apns_base_url: str
    apns_ca_file: str | None
    apns_auth: str
    apns_key_file: str | None
    apns_key_id: str | None
    apns_secret: str | None
    google_issuer_id: str | None
    google_service_account_file: str | None
    google_service_account_secret: str | None
    google_api_base: str
    google_keys_url: str
    ses_endpoint: str | None
    email_from: str
    telegram_api_base: str
    telegram_bot_token: str | None
    telegram_bot_username: str | None
    telegram_webhook_secret: str | None
    telegram_secret: str | None
    telegram_webapp_script_url: str  # the Mini App page loads Telegram's script from here (the stand-in's locally)
    telegram_init_max_age: int  # seconds: Mini App data signed longer ago is refused (401 stale_init_data)
    jobs_queue_url: str | None
    local_dir: str
    rate_limits: bool = True
    sms_base_url: str = "https://sms.ru"
    sms_api_id: str | None = None
    sms_sender: str | None = None
    sms_secret: str | None = None
    # design: uploaded program images (S3 in AWS; the folder LOCAL_DIR/assets when no bucket is set)
    assets_bucket: str | None = None
    s3_endpoint: str | None = None
    # intake (issue 15): webhooks from shops and tills, web-form enrolment, imports
    integrations_key: str | None = None  # base64 of 32 bytes: seals providers' signing keys (AES-GCM)
    integrations_key_file: str | None = None
    integrations_secret: str | None = None  # Secrets Manager id of {"key": <base64 of 32 bytes>}
    webhook_max_age: int = 48 * 3600  # seconds: a signed event older than this is refused (401 stale_event)
    # locations on the wallet card (issue 18): Google refuses merchantLocations from an issuer
    # it has not allowlisted (400 "Issuer not allowlisted for Merchant Locations"), so they are opt-in
    google_merchant_locations: bool = False
    # the audit trail (issue 19): an entry lives this many days, then DynamoDB's TTL removes it
    audit_retention_days: int = 1825

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


@overload
def _get(name: str) -> str | None: ...
@overload
def _get(name: str, default: str) -> str: ...
@overload
def _get(name: str, default: str | None) -> str | None: ...
def _get(name: str, default: str | None = None) -> str | None:
    """The variable's value; unset or empty: the default (a str default, a str)."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCAL_DYNAMODB_PORT = "8001"


@overload
def _path(value: str) -> str: ...
@overload
def _path(value: str | None) -> str | None: ...
def _path(value: str | None) -> str | None:
    """Relative paths in settings are relative to the project root, whatever the working directory."""
    if value and not os.path.isabs(value):
        return os.path.join(PROJECT_ROOT, value)
    return value


def _telegram_api_base(local: bool) -> str:
    return _get("TELEGRAM_API_BASE", f"http://127.0.0.1:{_get('TELEGRAM_PORT', '8004')}" if local
                else "https://api.telegram.org").rstrip("/")


def load() -> Settings:
    stage = _get("STAGE", "local")
    local = stage == "local"
    local_dir = _path(_get("LOCAL_DIR", ".local"))
    # The local stage's endpoints follow the ports `make dev` uses (PORT, DYNAMODB_PORT), so they are
    # defaults here rather than fixed values in .chalice/config.json, which would override them.
    local_endpoint = f"http://127.0.0.1:{_get('DYNAMODB_PORT', LOCAL_DYNAMODB_PORT)}" if local else None
    local_base = f"http://127.0.0.1:{_get('PORT', '8000')}" if local else "http://127.0.0.1:8000"
    return Settings(
        stage=stage,
        table_prefix=_get("TABLE_PREFIX", f"loyalty-{stage}-"),
        dynamodb_endpoint=_get("DYNAMODB_ENDPOINT", local_endpoint),
        region=_get("AWS_REGION", _get("AWS_DEFAULT_REGION", "eu-central-1")),
        public_base_url=_get("PUBLIC_BASE_URL", local_base).rstrip("/"),
        admin_issuer=_get("ADMIN_JWT_ISSUER", "loyalty-local"),
        admin_keys_file=_path(_get("ADMIN_JWT_KEYS_FILE")) or (os.path.join(local_dir, "keys", "admin-jwt.json")
                                                                if local else None),
        admin_keys_secret=_get("ADMIN_JWT_KEYS_SECRET"),
        admin_token_ttl=int(_get("ADMIN_JWT_TTL", "3600")),
        external_issuer=_get("ADMIN_JWT_EXTERNAL_ISSUER"),
        external_jwks_url=_get("ADMIN_JWT_EXTERNAL_JWKS_URL"),
        external_audience=_get("ADMIN_JWT_EXTERNAL_AUDIENCE"),
        external_merchant_claim=_get("ADMIN_JWT_EXTERNAL_MERCHANT_CLAIM", "custom:merchant"),
        external_role_claim=_get("ADMIN_JWT_EXTERNAL_ROLE_CLAIM", "custom:role"),
        # accounts: `make dev` runs moto's Cognito on COGNITO_PORT and sets the pool and client ids it made
        cognito_region=_get("COGNITO_REGION", _get("AWS_REGION", _get("AWS_DEFAULT_REGION", "eu-central-1"))),
        cognito_user_pool_id=_get("COGNITO_USER_POOL_ID"),
        cognito_client_id=_get("COGNITO_CLIENT_ID"),
        cognito_endpoint=(_get("COGNITO_ENDPOINT", f"http://127.0.0.1:{_get('COGNITO_PORT', '8006')}"
                               if local else None) or "").rstrip("/") or None,
        pass_type_id=_get("PASS_TYPE_ID", "pass.dev.loyalty.local"),
        team_id=_get("TEAM_ID", "DEVTEAM001"),
        certs_dir=_path(_get("PASS_CERTS_DIR")) or (os.path.join(local_dir, "certs") if local else None),
        pass_certs_secret=_get("PASS_CERTS_SECRET"),
        apns_base_url=_get("APNS_BASE_URL", f"https://127.0.0.1:{_get('APNS_PORT', '8002')}" if local
                           else "https://api.push.apple.com").rstrip("/"),
        apns_ca_file=_path(_get("APNS_CA_FILE")) or (os.path.join(local_dir, "certs", "apns-standin.pem")
                                                      if local else None),
        apns_auth=_get("APNS_AUTH", "certificate"),  # 'certificate' (the pass certificate) or 'token' (.p8)
        apns_key_file=_path(_get("APNS_KEY_FILE")),
        apns_key_id=_get("APNS_KEY_ID"),
        apns_secret=_get("APNS_SECRET"),
        google_issuer_id=_get("GOOGLE_WALLET_ISSUER_ID"),
        google_service_account_file=_path(_get("GOOGLE_WALLET_SERVICE_ACCOUNT_FILE")),
        google_service_account_secret=_get("GOOGLE_WALLET_SERVICE_ACCOUNT_SECRET"),
        google_api_base=_get("GOOGLE_WALLET_API_BASE",
                             "https://walletobjects.googleapis.com/walletobjects/v1").rstrip("/"),
        google_keys_url=_get("GOOGLE_WALLET_CALLBACK_KEYS_URL", "https://pay.google.com/gp/m/issuer/keys"),
        # moto's server answers SES too, so the local stage sends email to the same local endpoint
        ses_endpoint=_get("SES_ENDPOINT", local_endpoint),
        email_from=_get("EMAIL_FROM", "noreply@loyalty.local"),
        telegram_api_base=_telegram_api_base(local),
        telegram_bot_token=_get("TELEGRAM_BOT_TOKEN", "1:local-bot-token" if local else None),
        telegram_bot_username=_get("TELEGRAM_BOT_USERNAME", "loyalty_local_bot" if local else None),
        telegram_webhook_secret=_get("TELEGRAM_WEBHOOK_SECRET", "local-webhook-secret" if local else None),
        telegram_secret=_get("TELEGRAM_SECRET"),  # AWS: {"bot_token", "webhook_secret"} in Secrets Manager
        telegram_webapp_script_url=_get("TELEGRAM_WEBAPP_SCRIPT_URL",
                                        _telegram_api_base(local) + "/standin/telegram-web-app.js" if local
                                        else "https://telegram.org/js/telegram-web-app.js"),
        telegram_init_max_age=int(_get("TELEGRAM_INIT_MAX_AGE", "3600")),
        jobs_queue_url=_get("JOBS_QUEUE_URL"),  # set by the template in AWS; unset: chunks are worked in place
        local_dir=local_dir,
        rate_limits=_get("RATE_LIMITS", "on") != "off",
        sms_base_url=_get("SMS_BASE_URL", f"http://127.0.0.1:{_get('SMS_PORT', '8005')}" if local
                          else "https://sms.ru").rstrip("/"),
        sms_api_id=_get("SMS_API_ID", "local-sms-api-id" if local else None),
        sms_sender=_get("SMS_SENDER"),
        sms_secret=_get("SMS_SECRET"),  # AWS: {"api_id"} in Secrets Manager
        # design: uploaded program images
        assets_bucket=_get("ASSETS_BUCKET"),  # set by the template in AWS; unset: files in LOCAL_DIR/assets
        s3_endpoint=_get("S3_ENDPOINT"),  # unset: AWS's own S3 endpoint
        # intake (issue 15)
        integrations_key=_get("INTEGRATIONS_KEY"),
        integrations_key_file=_path(_get("INTEGRATIONS_KEY_FILE")) or (
            os.path.join(local_dir, "keys", "integrations.key") if stage in ("local", "test") else None),
        integrations_secret=_get("INTEGRATIONS_SECRET"),
        webhook_max_age=int(_get("WEBHOOK_MAX_AGE", str(48 * 3600))),
        google_merchant_locations=_get("GOOGLE_MERCHANT_LOCATIONS", "off") == "on",
        audit_retention_days=_positive_int("AUDIT_RETENTION_DAYS", 1825),
    )


def _positive_int(name: str, default: int) -> int:
    """A whole number of at least 1; anything else stops the process at start with the setting's name."""
    raw = _get(name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load()


def reset() -> None:
    """Forget the cached settings (tests that change the environment call this)."""
    settings.cache_clear()


def stage_environment(stage: str) -> dict[str, str]:
    """The environment .chalice/config.json gives a stage (global values, then the stage's own)."""
    with open(os.path.join(PROJECT_ROOT, ".chalice", "config.json"), encoding="utf-8") as handle:
        document = json.load(handle)
    values = dict(document.get("environment_variables", {}))
    values.update(document.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return values
