"""Apple Wallet store cards: pass.json from a card's state, validated, then signed and zipped.

The design (pass.json template, images, en/ru pass.strings) lives in passes/<design>/; its files are
read and hashed once per warm container. The signing certificate, key and intermediate load once too
(from PASS_CERTS_DIR locally, from Secrets Manager in AWS) and are checked against the configured pass
type id and team id before the first pass is signed. A pass is:
    pass.json + the design's files + manifest.json (SHA-1 of every file) + signature
where the signature is a detached PKCS#7 over the exact manifest bytes (SHA-256, signingTime kept,
signer certificate plus the intermediate). Files are STORED, not deflated: deflating the PNGs costs
far more time than the bytes it saves.
"""
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib import assets, log, secret_store
from chalicelib.config import settings
from chalicelib.core import branding as brandings
from chalicelib.core import card_faces, card_number, clock, locations, texts
from chalicelib.core import experiments as trial_rules
from chalicelib.core import mechanics as mech
from chalicelib.store import cards as card_store
from chalicelib.store import images as image_store
from chalicelib.store.records import Card, Program
from chalicelib.wallet import images

MIME = "application/vnd.apple.pkpass"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed entry times: the same files give the same archive bytes
FIELD_GROUPS = ("headerFields", "primaryFields", "secondaryFields", "auxiliaryFields", "backFields")
REQUIRED_KEYS = ("formatVersion", "passTypeIdentifier", "serialNumber", "teamIdentifier", "organizationName",
                 "description", "storeCard")


class PassError(Exception):
    """A pass that would not work on a device; never signed or served."""


@dataclass(frozen=True)
class Design:
    template: dict[str, Any]
    files: dict[str, bytes]  # archive path -> bytes (images, lproj strings)
    hashes: dict[str, str]  # archive path -> sha1 hex
    strings: dict[str, dict[str, str]]  # locale -> {key: text}, from <locale>.lproj/pass.strings


_STRING_LINE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*=\s*"((?:[^"\\]|\\.)*)"\s*;\s*$')


def parse_strings(text: str) -> dict[str, str]:
    """A pass.strings file ('"key" = "value";' lines) as a dict."""
    return {m.group(1): m.group(2) for m in map(_STRING_LINE.match, text.splitlines()) if m}


@lru_cache(maxsize=8)
def design(name: str = "default") -> Design:
    root = Path(assets.directory("passes")) / name
    template = json.loads((root / "pass.json").read_text(encoding="utf-8"))
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and relative != "pass.json" and (path.suffix in (".png", ".strings")):
            files[relative] = path.read_bytes()
    if "icon.png" not in files:
        raise PassError(f"the design '{name}' has no icon.png (iOS rejects such passes silently)")
    strings = {path.split(".lproj/")[0]: parse_strings(data.decode("utf-8"))
               for path, data in files.items() if path.endswith(".lproj/pass.strings")}
    return Design(template, files, {path: hashlib.sha1(data).hexdigest() for path, data in files.items()}, strings)


# --- the program's own images ---------------------------------------------------------------------

_UPLOADED: dict[tuple[str, str, str], tuple[tuple[str, bytes, str], ...]] = {}
_UPLOADED_MAX = 256  # versions kept per warm container (a version's files are a few hundred kB at most)


def uploaded(program_id: str, kind: str, version: str) -> tuple[tuple[str, bytes, str], ...] | None:
    """An uploaded image's pass files (archive path, bytes, sha1), read once per warm container: a
    version's files never change. None when any is missing (the pass keeps the design's own; not
    remembered, so a file stored late is found next time)."""
    cached = _UPLOADED.get((program_id, kind, version))
    if cached is not None:
        return cached
    found = []
    for name in images.APPLE_NAMES[kind]:
        data = image_store.get(program_id, version, name)
        if data is None:
            log.warning("program_image_missing", program_id=program_id, kind=kind, version=version, name=name)
            return None
        found.append((f"{name}.png", data, hashlib.sha1(data).hexdigest()))
    if len(_UPLOADED) >= _UPLOADED_MAX:
        _UPLOADED.pop(next(iter(_UPLOADED)))  # the oldest read
    _UPLOADED[(program_id, kind, version)] = result = tuple(found)
    return result


def files_for(program: Program, chosen: Design) -> tuple[dict[str, bytes], dict[str, str]]:
    """The design's files and hashes with the program's uploaded logo, icon and strip in their place."""
    recorded = (program.branding or {}).get("images") or {}
    if not recorded:
        return chosen.files, chosen.hashes
    files, hashes = dict(chosen.files), dict(chosen.hashes)
    for kind, version in sorted(recorded.items()):
        for path, data, digest in (uploaded(program.program_id, kind, version) if kind in images.APPLE_NAMES
                                   else None) or ():
            files[path], hashes[path] = data, digest
    return files, hashes


# --- signing material ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Signer:
    certificate: Any  # cryptography's x509.Certificate (its import is lazy, see `signer`)
    key: Any  # the certificate's private key
    intermediate: Any  # Apple's WWDR certificate


def pem_material() -> tuple[bytes, bytes, bytes]:
    s = settings()
    if s.pass_certs_secret:
        secret = secret_store.read_json(s.pass_certs_secret)
        return secret["pass_pem"].encode(), secret["pass_key"].encode(), secret["wwdr_pem"].encode()
    if not s.certs_dir:
        raise PassError("No pass certificates: set PASS_CERTS_DIR (local) or PASS_CERTS_SECRET (AWS).")
    folder = Path(s.certs_dir)
    try:
        certificate, key, intermediate = ((folder / name).read_bytes() for name in ("pass.pem", "pass.key", "wwdr.pem"))
        return certificate, key, intermediate
    except FileNotFoundError as missing:
        raise PassError(f"Missing pass certificate file: {missing.filename}") from None


# Signing material loads lazily, on the first pass signed: cryptography's x509 and PKCS#7 cost about 61 ms
# of import (python -X importtime), which the design's images, pass.json and the rest of the app never need.

def check_certificate(certificate: Any, pass_type_id: str, team_id: str, now: datetime) -> None:
    """Fail fast, with a clear message, on the mistakes that make iOS reject every pass."""
    from cryptography.x509.oid import NameOID  # lazy: cryptography, +61 ms on import app

    subject = certificate.subject
    uid = [a.value for a in subject.get_attributes_for_oid(NameOID.USER_ID)]
    unit = [a.value for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
    if uid != [pass_type_id]:
        raise PassError(f"The pass certificate is for {uid or 'no pass type id'}, not PASS_TYPE_ID={pass_type_id}.")
    if unit != [team_id]:
        raise PassError(f"The pass certificate belongs to team {unit or 'none'}, not TEAM_ID={team_id}.")
    if certificate.not_valid_after_utc <= now:
        raise PassError(f"The pass certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}.")
    if certificate.not_valid_before_utc > now:
        raise PassError("The pass certificate is not valid yet.")


@lru_cache(maxsize=1)
def signer() -> Signer:
    from cryptography import x509  # lazy: cryptography, +61 ms on import app
    from cryptography.hazmat.primitives import serialization  # lazy: cryptography, +61 ms on import app

    cert_pem, key_pem, wwdr_pem = pem_material()
    certificate = x509.load_pem_x509_certificate(cert_pem)
    s = settings()
    check_certificate(certificate, s.pass_type_id, s.team_id, datetime.now(UTC))
    key = serialization.load_pem_private_key(key_pem, password=None)
    if _public(key.public_key()) != _public(certificate.public_key()):
        raise PassError("The pass key does not belong to the pass certificate.")
    return Signer(certificate, key, x509.load_pem_x509_certificate(wwdr_pem))


def _public(key: Any) -> bytes:
    """A public key's bytes (SubjectPublicKeyInfo): equal exactly when the keys are."""
    from cryptography.hazmat.primitives import serialization  # lazy: cryptography, +61 ms on import app

    der: bytes = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


def sign(manifest: bytes, material: Signer) -> bytes:
    from cryptography.hazmat.primitives import hashes  # lazy: cryptography, +61 ms on import app
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7  # lazy: cryptography, +61 ms on import app

    signature: bytes = (pkcs7.PKCS7SignatureBuilder().set_data(manifest)
                        .add_signer(material.certificate, material.key, hashes.SHA256())
                        .add_certificate(material.intermediate)
                        .sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))
    return signature


# --- pass.json -----------------------------------------------------------------------------------

def pass_json(card: Card, program: Program, design_name: str = "default", today: date | None = None) -> dict[str, Any]:
    """The pass for a card's current state; the same state (on the same day) always gives the same dict.
    A stamp card shows "6 / 9" where points would be (and its rewards to collect while it holds any), a
    discount card its percent; the back lists the live offers (a new one's arrival is a notice) and the
    progress in challenges (core/card_faces.py)."""
    s = settings()
    template = design(design_name).template
    mechanics = mech.from_stored(program.mechanics)
    lang = texts.language(card.locale)  # the pass's own language: its holder's
    brand = brandings.in_language(brandings.parse({}, program.branding), lang)
    tier = mechanics.tier(card.tier)
    today = today or clock.local_day(datetime.now(UTC), program.timezone)
    shown = faces_of(card, trial_rules.for_card(mechanics, program.experiments, card.card_id), lang, today)
    values: dict[str, Any] = {
        "balance": int(card.balance) if shown.stamps is None and shown.discount is None else None,
        "stamps": shown.stamps.shown if shown.stamps else None,
        "rewards": shown.stamps.rewards if shown.stamps and shown.stamps.rewards else None,
        "discount": f"{shown.discount.percent}%" if shown.discount else None,
        "holder": card.name,
        "tier": tier.name_in(lang),
        "number": card_number.display(card.number),
        "challenges": "\n".join(one.line(lang, today) for one in shown.challenges),
        "rules": texts.rules_text(mechanics, card.tier, lang),
        "card_page": f"{s.public_base_url}/c/{card.card_id}?k={card.access_key}",
        "terms": brand.get("terms") or "",
        "notice": card.notice or "",
    }
    fields: dict[str, list[dict[str, Any]]] = {}
    for group, items in template["fields"].items():
        fields[group] = []
        for item in items:
            if item["key"] == "offers":
                fields[group].extend(offer_fields(item, shown.offers, lang))
                continue
            value = values.get(item["key"])
            if value in (None, ""):
                continue
            field = {**item, "value": value}
            if item["key"] == "card_page":
                field["attributedValue"] = f'<a href="{value}">{value}</a>'
            fields[group].append(field)
    document = {
        "formatVersion": template["formatVersion"],
        "passTypeIdentifier": s.pass_type_id,
        "teamIdentifier": s.team_id,
        "serialNumber": card.card_id,
        "authenticationToken": card.auth_token,
        "webServiceURL": f"{s.public_base_url}/passkit",
        "organizationName": brand.get("organization_name") or program.name,
        "description": template["description"],
        "logoText": brand.get("logo_text") or program.name,
        "backgroundColor": brandings.as_rgb(brand["background_color"]),
        "foregroundColor": brandings.as_rgb(brand["foreground_color"]),
        "labelColor": brandings.as_rgb(brand["label_color"]),
        "sharingProhibited": template.get("sharingProhibited", True),
        "suppressStripShine": template.get("suppressStripShine", True),
        "barcodes": [{**template["barcode"], "message": card.number, "altText": card_number.display(card.number)}],
        template["style"]: fields,
    }
    shown_at = locations.on_card(program.locations, card.stats,  # a blocked card is not offered anywhere
                                 enabled=brandings.locations_on_pass(brand) and card.status == "active")
    if shown_at:  # the phone offers the card on its lock screen near these (README: Locations on the wallet card)
        document["locations"] = [{"latitude": place.latitude, "longitude": place.longitude,
                                  "relevantText": locations.pass_text(place, lang)} for place in shown_at]
    if card.status != "active":
        document["voided"] = True
    return _without_member(document, template["style"]) if card.status == "erased" else document


ERASED_FIELDS = frozenset({"holder", "number", "card_page", "notice", "challenges", "balance", "offers"})


def _without_member(document: dict[str, Any], style: str) -> dict[str, Any]:
    """An erased member's pass (usecases/erasure.py): voided, without the barcode, the holder's name, the
    number, the card link, the notice, the balance and what the card held; the program's own fields stay."""
    fields = {group: [field for field in items if field["key"] not in ERASED_FIELDS
                      and not field["key"].startswith("offer_")] for group, items in document[style].items()}
    return {**{key: value for key, value in document.items() if key != "barcodes"}, style: fields}


def offer_fields(item: dict[str, Any], offers: tuple[card_faces.OfferShown, ...], lang: str) -> list[dict[str, Any]]:
    """The live offers as back fields, newest first, at most PASS_OFFERS. The newest keeps the template's
    field (key `offers`) so that a new offer changes that field's value: iOS tells a change of a field it
    already shows, with its change message ("New offer: %@"). The message goes with it only while it is
    the card's most recently issued offer, so using the newest (the next one moves up) says nothing. The
    others are keyed by their held ids, without a message."""
    shown = []
    for place, offer in enumerate(offers[:card_faces.PASS_OFFERS]):
        field = {**item, "value": offer.line(lang, None)}
        if place:
            field["key"] = f"offer_{offer.held_id}"
        if place or not offer.latest:
            field.pop("changeMessage", None)
        shown.append(field)
    return shown


def faces_of(card: Card, mechanics: mech.Mechanics, lang: str, today: date) -> card_faces.Faces:
    """What the pass shows beyond points (core/card_faces.py), from the card's item."""
    state = card_store.state_of(card)
    return card_faces.faces(mechanics, balance=int(card.balance), tier_id=card.tier, offers=state.offers,
                            challenges=state.challenges, lang=lang, today=today, state=state)


def stamp_strip(card: Card, program: Program) -> dict[str, tuple[bytes, str]]:
    """A stamp card's strip images (archive path -> bytes, sha1), drawn with its stamps on the brand's
    colours; they replace the design's and an uploaded strip (which stays Google's hero image): on a
    stamp card the strip is where the stamps are. Empty for other kinds."""
    mechanics = mech.from_stored(program.mechanics)
    stamps = card_faces.stamp_card(mechanics, int(card.balance), texts.language(card.locale),
                                   state=card_store.state_of(card),
                                   today=clock.local_day(datetime.now(UTC), program.timezone))
    if stamps is None:
        return {}
    brand = brandings.parse({}, program.branding)
    return {path: (data, _sha1(data)) for path, data in
            images.stamps_strip(stamps.filled, stamps.per_reward, brand["background_color"], brand["foreground_color"])}


@lru_cache(maxsize=512)
def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


_COLOR = re.compile(r"rgb\(\d{1,3}, \d{1,3}, \d{1,3}\)")


MIN_TOKEN_LENGTH = 16  # Apple's minimum for authenticationToken


def validate(document: dict[str, Any], local: bool, strings: dict[str, dict[str, str]] | None = None) -> None:
    """The checks iOS makes silently, made loudly before anything is signed."""
    for key in REQUIRED_KEYS:
        if key not in document:
            raise PassError(f"pass.json lacks '{key}'")
    if document["formatVersion"] != 1:
        raise PassError("formatVersion must be 1")
    _validate_fields(document["storeCard"], strings or {})
    for key in ("backgroundColor", "foregroundColor", "labelColor"):
        if key in document and not _COLOR.fullmatch(document[key]):
            raise PassError(f"{key} must be rgb(r, g, b)")
    _validate_web_service(document, local)
    _validate_locations(document.get("locations"))
    if not document.get("serialNumber"):
        raise PassError("serialNumber is empty")


def _validate_fields(card: dict[str, Any], strings: dict[str, dict[str, str]]) -> None:
    keys = [field["key"] for group in FIELD_GROUPS for field in card.get(group, [])]
    if len(keys) != len(set(keys)):
        raise PassError("field keys must be unique within a pass")
    for group in FIELD_GROUPS:
        for field in card.get(group, []):
            message = field.get("changeMessage")
            if message is None:
                continue
            # a literal message, or a key every localisation turns into one, must show the new value
            shown = [table[message] for table in strings.values() if message in table] or [message]
            if any("%@" not in text for text in shown):
                raise PassError(f"changeMessage of '{field['key']}' lacks %@ (the device would not show the value)")


MAX_LOCATIONS = 10  # Apple reads at most ten relevant locations of a pass


def _validate_locations(places: object) -> None:
    if places is None:
        return
    if not isinstance(places, list) or not 0 < len(places) <= MAX_LOCATIONS:
        raise PassError(f"locations must be a list of 1 to {MAX_LOCATIONS} (leave the key out when none)")
    for place in places:
        latitude, longitude = place.get("latitude"), place.get("longitude")
        if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in (latitude, longitude)):
            raise PassError("a location needs a numeric latitude and longitude")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # noqa: PLR2004 (degrees)
            raise PassError("a location's latitude or longitude is out of range")


def _validate_web_service(document: dict[str, Any], local: bool) -> None:
    token, url = document.get("authenticationToken"), document.get("webServiceURL")
    if (token is None) != (url is None):
        raise PassError("authenticationToken and webServiceURL come together or not at all")
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise PassError(f"authenticationToken must be at least {MIN_TOKEN_LENGTH} characters")
    if url is not None and not local and not url.startswith("https://"):
        raise PassError("webServiceURL must be https outside the local stage")


# --- the archive ---------------------------------------------------------------------------------

def build(card: Card, program: Program, design_name: str = "default", material: Signer | None = None) -> bytes:
    """The signed .pkpass archive of a card."""
    document = pass_json(card, program, design_name)
    chosen = design(design_name)
    validate(document, local=settings().is_local or settings().stage == "test", strings=chosen.strings)
    pass_bytes = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    files, hashes = files_for(program, chosen)
    strip = stamp_strip(card, program)
    if strip:
        files, hashes = dict(files), dict(hashes)
        for path, (data, digest) in strip.items():
            files[path], hashes[path] = data, digest
    manifest = dict(hashes)
    manifest["pass.json"] = hashlib.sha1(pass_bytes).hexdigest()
    manifest_bytes = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
    signature = sign(manifest_bytes, material or signer())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for path, data in (("pass.json", pass_bytes), *files.items(), ("manifest.json", manifest_bytes),
                           ("signature", signature)):
            archive.writestr(zipfile.ZipInfo(path, date_time=_ZIP_TIME), data)
    return buffer.getvalue()
