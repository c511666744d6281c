"""Google Wallet loyalty passes over the Wallet Objects REST API, with PyJWT, cryptography and httpx
(no google-api-python-client: it weighs ~150 MB).

- A loyalty class per program (`{issuer}.{program_id}`), patched or inserted whenever its branding
  changes; a loyalty object per card (`{issuer}.{card_id}`: random, no personal data), inserted before
  a save link is handed out and patched from the outbox after every change the ledger marks.
- The save link is a short JWT that only references the object (RS256 with the service account's key).
- Access tokens come from the service account by the JWT-bearer grant at its `token_uri`, cached per
  warm container until five minutes before they expire. 429 and 5xx are retried with backoff.
- Save/delete callbacks are verified (ECv2SigningOnly, sender GooglePayPasses) against Google's keys.
"""
import base64
import json
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from http import HTTPStatus
from typing import Any

from chalicelib import log, secret_store
from chalicelib.config import settings
from chalicelib.core import branding as brandings
from chalicelib.core import card_faces, card_number, clock, locations, program_texts, texts
from chalicelib.core import experiments as trial_rules
from chalicelib.core import mechanics as mech
from chalicelib.store import cards as card_store
from chalicelib.store.records import Card, Program
from chalicelib.wallet import images

# httpx, PyJWT and cryptography load on first use, inside the functions that need them: together about
# 250 ms of import (python -X importtime: httpx 120, PyJWT 78, cryptography 61, partly shared), which
# building the loyalty documents and every route that never talks to Google would otherwise pay.

SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
SAVE_URL = "https://pay.google.com/gp/v/save/"
MAX_JWT = 1800  # Google's "maximum safe length" for a save link's JWT
NOTIFY_PER_DAY = 3  # TEXT_AND_NOTIFY messages per object per 24 h
MAX_MESSAGES = 10  # messages an object holds (Google refuses an 11th): the oldest make room
RETRIES = 3


class GoogleError(Exception):
    """Google refused a call; `reason` is Google's own (permissionDenied, invalidResource, …)."""

    def __init__(self, status: int, reason: str | None, message: str):
        super().__init__(f"Google Wallet {status} {reason or ''}: {message}".strip())
        self.status, self.reason, self.message = status, reason, message


class NotConfigured(Exception):
    pass


@dataclass(frozen=True)
class ServiceAccount:
    email: str
    key_id: str
    private_key: Any  # cryptography's RSA private key (its import is lazy, see above)
    token_uri: str


def load_service_account(document: dict[str, Any]) -> ServiceAccount:
    from cryptography.hazmat.primitives import serialization  # lazy: cryptography, +61 ms on import app

    key = serialization.load_pem_private_key(document["private_key"].encode(), password=None)
    return ServiceAccount(document["client_email"], document.get("private_key_id", ""), key,
                          document.get("token_uri", TOKEN_AUDIENCE))


def _service_account_document() -> dict[str, Any]:
    s = settings()
    if s.google_service_account_secret:
        return secret_store.read_json(s.google_service_account_secret)
    if s.google_service_account_file:
        with open(s.google_service_account_file, encoding="utf-8") as handle:
            return json.load(handle)
    raise NotConfigured("Google Wallet is not configured: set GOOGLE_WALLET_ISSUER_ID and "
                        "GOOGLE_WALLET_SERVICE_ACCOUNT_FILE (or _SECRET).")


def configured() -> bool:
    s = settings()
    return bool(s.google_issuer_id and (s.google_service_account_file or s.google_service_account_secret))


class WalletClient:
    def __init__(self, account: ServiceAccount, issuer_id: str, api_base: str, timeout: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        import httpx  # lazy: httpx, +120 ms on import app

        self.account, self.issuer_id, self.api_base = account, issuer_id, api_base
        self._http = httpx.Client(timeout=timeout)
        self._token: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self._sleep = sleep

    # --- auth -----------------------------------------------------------------------------------

    def access_token(self, now: float | None = None) -> str:
        import jwt  # lazy: PyJWT, +78 ms on import app

        now = time.time() if now is None else now
        with self._lock:
            if self._token is None or now >= self._token[0] - 300:
                assertion = jwt.encode({"iss": self.account.email, "scope": SCOPE, "aud": TOKEN_AUDIENCE,
                                        "iat": int(now), "exp": int(now) + 3600}, self.account.private_key,
                                       algorithm="RS256", headers={"kid": self.account.key_id})
                response = self._http.post(self.account.token_uri, data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})
                if response.status_code != HTTPStatus.OK:
                    raise GoogleError(response.status_code, "token", response.text[:200])
                answer = response.json()
                self._token = (now + int(answer.get("expires_in", 3600)), answer["access_token"])
            return self._token[1]

    # --- REST -----------------------------------------------------------------------------------

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """One REST call with retries on 429/5xx; None for 404 (the caller decides what that means)."""
        import httpx  # lazy: httpx, +120 ms on import app

        url = f"{self.api_base}/{path}"
        for attempt in range(RETRIES + 1):
            try:
                response = self._http.request(method, url, json=body,
                                              headers={"Authorization": f"Bearer {self.access_token()}"})
            except httpx.HTTPError as error:
                if attempt == RETRIES:
                    raise GoogleError(0, "network", type(error).__name__) from None
                self._sleep(0.2 * 2 ** attempt)
                continue
            if response.status_code == HTTPStatus.UNAUTHORIZED and attempt == 0:
                self._token = None  # expired early: one fresh token
                continue
            if response.status_code == HTTPStatus.NOT_FOUND:
                return None
            if response.status_code < HTTPStatus.MULTIPLE_CHOICES:
                answer: dict[str, Any] = response.json() if response.content else {}
                return answer
            reason, message = _google_reason(response)
            if _retried(response.status_code) and attempt < RETRIES:
                self._sleep(0.2 * 2 ** attempt)
                continue
            raise GoogleError(response.status_code, reason, message)
        raise GoogleError(0, "retries", "gave up")

    def upsert(self, resource: str, document: dict[str, Any]) -> dict[str, Any] | None:
        """PATCH the resource, or insert it when it does not exist yet (idempotent either way)."""
        path = f"{resource}/{document['id']}"
        patched = self.call("PATCH", path, document)
        if patched is not None:
            return patched
        try:
            return self.call("POST", resource, document)
        except GoogleError as error:
            if error.status == HTTPStatus.CONFLICT:  # inserted meanwhile by a twin request
                return self.call("PATCH", path, document)
            raise

    def add_message(self, object_id: str, message: dict[str, Any], notify: bool) -> str | None:
        """Add a message to the pass; notifying ones fall back to TEXT past Google's quota. The object
        keeps its newest MAX_MESSAGES: older ones are removed first. A message whose id the object
        already shows is not added again (a repeat after a timeout): None."""
        current = self.call("GET", f"loyaltyObject/{object_id}") or {}
        messages = current.get("messages") or []
        if any(m.get("id") == message.get("id") for m in messages):
            return None
        if len(messages) >= MAX_MESSAGES:
            self.call("PATCH", f"loyaltyObject/{object_id}", {"messages": messages[len(messages) - MAX_MESSAGES + 1:]})
        kind = "TEXT_AND_NOTIFY" if notify else "TEXT"
        try:
            self.call("POST", f"loyaltyObject/{object_id}/addMessage", {"message": {**message, "messageType": kind}})
        except GoogleError as error:
            if kind == "TEXT" or "quota" not in f"{error.reason} {error.message}".lower():
                raise
            kind = "TEXT"
            self.call("POST", f"loyaltyObject/{object_id}/addMessage", {"message": {**message, "messageType": kind}})
        return kind

    def save_jwt(self, object_id: str, class_id: str, origins: list[str], now: float | None = None) -> str:
        import jwt  # lazy: PyJWT, +78 ms on import app

        token = jwt.encode({"iss": self.account.email, "aud": "google", "typ": "savetowallet",
                            "iat": int(time.time() if now is None else now), "origins": origins,
                            "payload": {"loyaltyObjects": [{"id": object_id, "classId": class_id}]}},
                           self.account.private_key, algorithm="RS256", headers={"kid": self.account.key_id})
        if len(token) >= MAX_JWT:
            raise GoogleError(0, "jwt_too_long", f"the save JWT is {len(token)} characters")
        return token


def _retried(status: int) -> bool:
    return status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR


def _google_reason(response: Any) -> tuple[str | None, str]:
    try:
        error = response.json().get("error", {})
        reasons = [item.get("reason") for item in error.get("errors", []) if item.get("reason")]
        return (reasons[0] if reasons else error.get("status")), error.get("message", "")[:300]
    except (ValueError, AttributeError):
        return None, response.text[:300]


@lru_cache(maxsize=1)
def client() -> WalletClient:
    s = settings()
    if not s.google_issuer_id:
        raise NotConfigured("Google Wallet is not configured: set GOOGLE_WALLET_ISSUER_ID.")
    return WalletClient(load_service_account(_service_account_document()), s.google_issuer_id, s.google_api_base)


# --- documents -------------------------------------------------------------------------------------

def class_id(issuer_id: str, program: Program) -> str:
    return f"{issuer_id}.{program.program_id}"


def object_id(issuer_id: str, card: Card) -> str:
    return f"{issuer_id}.{card.card_id}"


def _localized(default: str, translations: Mapping[str, str]) -> dict[str, Any]:
    return {"defaultValue": {"language": texts.DEFAULT_LANGUAGE, "value": default},
            "translatedValues": [{"language": lang, "value": text} for lang, text in translations.items()]}


def _program_localized(value: object, limit: int) -> dict[str, Any]:
    """A program's own text (a string or {locale: text}) as Google's localized string, in every language
    a reader may have (program_texts.pick: the owner's words for it, else the program's first language)."""
    every = {lang: (program_texts.pick(value, lang) or "")[:limit] for lang in texts.LANGUAGES}
    return _localized(every[texts.DEFAULT_LANGUAGE],
                      {lang: words for lang, words in every.items() if lang != texts.DEFAULT_LANGUAGE})


def _catalogue_localized(key: str) -> dict[str, Any]:
    """A catalogue text as Google's localized string: the default language's words, the others as
    translations."""
    every = texts.localized(key)
    return _localized(every[texts.DEFAULT_LANGUAGE],
                      {lang: words for lang, words in every.items() if lang != texts.DEFAULT_LANGUAGE})


def _uploaded_url(program: Program, kind: str, name: str) -> str | None:
    """The public URL of an uploaded image's Google size (its version is in the URL: a new upload is a
    new URL, which Google fetches again); None when the owner uploaded none of this kind."""
    version = ((program.branding or {}).get("images") or {}).get(kind)
    if not version:
        return None
    return images.public_url(settings().public_base_url, program.program_id, version, name)


def logo_url(program: Program) -> str:
    """The program's logo for Google (660 px): the owner's upload, else drawn from its branding; the
    colours are in the drawn one's URL, so a new branding is a new URL and Google fetches the image again."""
    uploaded = _uploaded_url(program, "logo", images.GOOGLE_LOGO)
    if uploaded:
        return uploaded
    brand = brandings.parse({}, program.branding)
    colours = (brand["background_color"] + brand["foreground_color"]).replace("#", "")
    return f"{settings().public_base_url}/static/programs/{program.program_id}/google-logo.png?c={colours}"


def loyalty_class(issuer_id: str, program: Program) -> dict[str, Any]:
    brand = brandings.parse({}, program.branding)
    name = brand.get("organization_name") or program.name
    default = texts.CATALOGUE[texts.DEFAULT_LANGUAGE]
    document = {
        "id": class_id(issuer_id, program),
        "issuerName": name[:20],
        "programName": program.name[:20],
        "programLogo": {"sourceUri": {"uri": logo_url(program)},
                        "contentDescription": _localized(program.name, {"en": program.name})},
        "hexBackgroundColor": brand["background_color"],
        "reviewStatus": "UNDER_REVIEW",
        "accountIdLabel": default["card_number"],
        "accountNameLabel": default["member"],
        "rewardsTierLabel": default["tier"],
        "localizedAccountIdLabel": _catalogue_localized("card_number"),
        "localizedAccountNameLabel": _catalogue_localized("member"),
        "countryCode": program.country,
        "multipleDevicesAndHoldersAllowedStatus": "ONE_USER_ALL_DEVICES",
    }
    hero = _uploaded_url(program, "strip", images.GOOGLE_HERO)
    if hero:  # the owner's strip, as Google's wide image under the card's header
        document["heroImage"] = {"sourceUri": {"uri": hero},
                                 "contentDescription": _localized(program.name, {"en": program.name})}
    if brand.get("website"):
        document["homepageUri"] = {"uri": brand["website"], "description": name}
    if brand.get("description"):
        description = program_texts.pick(brand["description"], texts.DEFAULT_LANGUAGE) or ""
        document["textModulesData"] = [{"id": "about", "header": program.name[:35], "body": description[:500],
                                        "localizedBody": _program_localized(brand["description"], 500)}]
    return document


MAX_TEXT_MODULES = 10  # Google shows at most this many text modules on an object


def loyalty_object(issuer_id: str, card: Card, program: Program, today: date | None = None) -> dict[str, Any]:
    """A card's loyalty object. A stamp card's stamps are its loyalty points ("6 / 9", label Stamps) and its
    rewards to collect the secondary points; a discount card shows its percent there and in a text module;
    live offers and challenges' progress are text modules too (core/card_faces.py)."""
    mechanics = mech.from_stored(program.mechanics)
    tier = mechanics.tier(card.tier)
    base = settings().public_base_url
    lang = texts.language(card.locale)  # the holder's language: the object is theirs alone
    words = texts.CATALOGUE[lang]
    today = today or clock.local_day(datetime.now(UTC), program.timezone)
    state = card_store.state_of(card)
    shown = card_faces.faces(trial_rules.for_card(mechanics, program.experiments, card.card_id),
                             balance=int(card.balance), tier_id=card.tier, offers=state.offers,
                             challenges=state.challenges, lang=lang, today=today, state=state)
    points: dict[str, Any] = {"label": words["points_label"], "balance": {"int": int(card.balance)}}
    # the whole tier name: Google recommends 7 characters here and shortens a longer one on screen
    # itself; a cut of ours showed "Platinu". The details repeat it in full.
    secondary: dict[str, Any] = {"label": words["tier"], "balance": {"string": tier.name_in(lang)}}
    modules = [{"id": "rules", "header": words["rules"], "body": texts.rules_text(mechanics, card.tier, lang)},
               {"id": "tier", "header": words["tier"], "body": tier.name_in(lang)}]
    if shown.stamps:
        points = {"label": words["stamps_label"], "balance": {"string": shown.stamps.shown}}
        secondary = {"label": words["rewards_label"], "balance": {"int": shown.stamps.rewards}}
    if shown.discount:
        points = {"label": words["discount_label"], "balance": {"string": f"{shown.discount.percent}%"}}
        modules.append({"id": "discount", "header": words["discount_label"],
                        "body": texts.text("discount_yours", lang, percent=shown.discount.percent)})
    if shown.challenges:
        modules.append({"id": "challenges", "header": words["challenges_title"],
                        "body": "\n".join(one.line(lang, today) for one in shown.challenges)[:MAX_BODY]})
    room = MAX_TEXT_MODULES - len(modules)
    modules.extend({"id": f"offer-{offer.held_id}", "header": offer.name[:MAX_HEADER],
                    "body": offer.line(lang, None)[:MAX_BODY]} for offer in shown.offers[:room])
    document: dict[str, Any] = {
        "id": object_id(issuer_id, card),
        "classId": class_id(issuer_id, program),
        "state": "ACTIVE" if card.status == "active" else "INACTIVE",
        "accountId": card_number.display(card.number),
        "accountName": card.name[:20],
        "loyaltyPoints": points,
        "secondaryLoyaltyPoints": secondary,
        "barcode": {"type": "QR_CODE", "value": card.number, "alternateText": card_number.display(card.number)},
        "textModulesData": modules,
        "linksModuleData": {"uris": [{"id": "card", "uri": f"{base}/c/{card.card_id}?k={card.access_key}",
                                      "description": words["card_online"]}]},
    }
    if settings().google_merchant_locations:
        document["merchantLocations"] = merchant_locations(card, program)
    if card.status == "erased":
        return erased_object(document)
    return document


def erased_object(document: dict[str, Any]) -> dict[str, Any]:
    """An erased member's object (usecases/erasure.py), as the PATCH that expires it: every field that named
    or reached the member emptied (a PATCH replaces the fields it sends: the messages too), nothing new shown."""
    expired = {"id": document["id"], "classId": document["classId"], "state": "EXPIRED", "accountId": "",
               "accountName": "", "barcode": {"type": "QR_CODE", "value": "-", "alternateText": ""},
               "loyaltyPoints": {"label": document["loyaltyPoints"]["label"], "balance": {"string": "-"}},
               "secondaryLoyaltyPoints": document["secondaryLoyaltyPoints"], "textModulesData": [],
               "linksModuleData": {"uris": []}, "messages": []}
    if "merchantLocations" in document:  # only where the issuer may send them
        expired["merchantLocations"] = []
    return expired


def merchant_locations(card: Card, program: Program) -> list[dict[str, float]]:
    """The card's locations as Google's merchantLocations: the same ten at most as the Apple pass's
    (core/locations.py for_pass), coordinates only (Google writes its own notification text and sets
    the radius). Sent only under GOOGLE_MERCHANT_LOCATIONS=on, because Google refuses the whole object
    of an issuer it has not allowlisted for them; an empty list then clears what an object carried."""
    shown = locations.on_card(program.locations, card.stats,  # a blocked card is not offered anywhere
                              enabled=brandings.locations_on_pass(program.branding) and card.status == "active")
    return [{"latitude": float(place.latitude or 0), "longitude": float(place.longitude or 0)} for place in shown]


MAX_HEADER, MAX_BODY = 35, 500  # Google's recommended lengths of a text module's header and body


# --- callbacks -------------------------------------------------------------------------------------

SENDER = "GooglePayPasses"
PROTOCOL = "ECv2SigningOnly"


class CallbackRejected(Exception):
    pass


def _length_prefixed(*parts: str) -> bytes:
    return b"".join(struct.pack("<I", len(part.encode())) + part.encode() for part in parts)


def _verify(public_key_b64: str, signature_b64: str, data: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature  # lazy: cryptography, +61 ms on import app
    from cryptography.hazmat.primitives import hashes, serialization  # lazy: cryptography, +61 ms on import app
    from cryptography.hazmat.primitives.asymmetric import ec  # lazy: cryptography, +61 ms on import app

    try:
        key = serialization.load_der_public_key(base64.b64decode(public_key_b64))
        if not isinstance(key, ec.EllipticCurvePublicKey):  # Google's keys are ECDSA P-256
            return False
        key.verify(base64.b64decode(signature_b64), data, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def verify_callback(body: dict[str, Any], root_keys: list[dict[str, Any]], recipient_id: str,
                    now_ms: int) -> dict[str, Any]:
    """The callback's message if Google signed it (through an unexpired intermediate key signed by one
    of Google's root keys) for this issuer; otherwise CallbackRejected."""
    try:
        if body.get("protocolVersion") != PROTOCOL:
            raise CallbackRejected("unknown protocol")
        intermediate = body["intermediateSigningKey"]
        signed_key = intermediate["signedKey"]
        roots = [k for k in root_keys if k.get("protocolVersion") == PROTOCOL
                 and int(k.get("keyExpiration", now_ms + 1)) > now_ms]
        data = _length_prefixed(SENDER, PROTOCOL, signed_key)
        if not any(_verify(root["keyValue"], signature, data) for root in roots
                   for signature in intermediate["signatures"]):
            raise CallbackRejected("the intermediate key is not signed by Google")
        key = json.loads(signed_key)
        if int(key["keyExpiration"]) <= now_ms:
            raise CallbackRejected("the intermediate key has expired")
        message = body["signedMessage"]
        if not _verify(key["keyValue"], body["signature"], _length_prefixed(SENDER, recipient_id, PROTOCOL, message)):
            raise CallbackRejected("the message signature does not verify")
        event = json.loads(message)
        if int(event.get("expTimeMillis", 0)) <= now_ms:
            raise CallbackRejected("the message has expired")
        return event
    except CallbackRejected:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise CallbackRejected(f"malformed callback: {type(error).__name__}") from None


ROOT_KEYS_SECONDS = 3600  # how long a warm container keeps Google's callback root keys
_root_keys: tuple[float, list[dict[str, Any]]] | None = None  # (fetched at, keys)


def root_keys() -> list[dict[str, Any]]:
    """Google's callback root keys, fetched from GOOGLE_WALLET_CALLBACK_KEYS_URL, cached for an hour."""
    global _root_keys  # noqa: PLW0603 (one cache per warm container; the tests empty it)
    import httpx  # lazy: httpx, +120 ms on import app

    if _root_keys is None or time.time() - _root_keys[0] > ROOT_KEYS_SECONDS:
        response = httpx.get(settings().google_keys_url, timeout=5)
        response.raise_for_status()
        _root_keys = (time.time(), response.json().get("keys", []))
    return _root_keys[1]


def log_error(error: GoogleError, **fields: Any) -> None:
    log.error("google_wallet_error", status=error.status, reason=error.reason, detail=error.message, **fields)
