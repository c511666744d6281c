"""A program's card images: an owner uploads a logo, icon or strip; it is resized to every size both
wallets need (wallet/images.py), stored once per version (store/images.py), and the program's
`branding.images` names the version per kind. The Apple pass carries the files, Google's class points
at their public URLs. Passes already on phones change when the owner asks to update every card
(POST /admin/programs/{id}/passes/refresh); Google's class is updated at once."""
from datetime import datetime
from typing import Any, TypedDict

from chalicelib.config import settings
from chalicelib.errors import NotFound
from chalicelib.store import images as image_store
from chalicelib.store import outbox
from chalicelib.store import programs as program_store
from chalicelib.store.records import Program
from chalicelib.usecases import audit
from chalicelib.wallet import images

KINDS = images.KINDS


class ImageView(TypedDict):
    """An uploaded image (the API's ProgramImage): its version and the public URL of every size."""

    kind: str
    version: str
    urls: dict[str, str]


def read_kind(kind: str) -> str:
    """A kind of image from the path; another word is a route that does not exist."""
    if kind not in KINDS:
        raise NotFound(f"No such kind of image: use one of {', '.join(KINDS)}.", code="not_found")
    return kind


def chosen(program: Program) -> dict[str, str]:
    """The program's uploaded images: kind -> version (empty: the default design's)."""
    recorded = (program.branding or {}).get("images") or {}
    return {kind: version for kind, version in recorded.items() if kind in KINDS and isinstance(version, str)}


def view(program_id: str, kind: str, version: str) -> ImageView:
    return {"kind": kind, "version": version,
            "urls": {r.name: images.public_url(settings().public_base_url, program_id, version, r.name)
                     for r in images.RENDITIONS[kind]}}


def previews(program: Program) -> dict[str, ImageView]:
    """Every uploaded image of the program with its URLs (for the admin's view of a program)."""
    return {kind: view(program.program_id, kind, version) for kind, version in chosen(program).items()}


def upload(program: Program, kind: str, source: bytes, content_type: str, now: datetime) -> ImageView:
    """Resize and store an upload, then record its version on the program (under the version the
    program was read at: a concurrent edit is a 409 and the files wait, harmless, for a retry)."""
    files = images.renditions(kind, source, content_type)
    version = images.version_of(kind, source)
    image_store.put(program.program_id, version, files)
    _record(program, {**chosen(program), kind: version}, now)
    return view(program.program_id, kind, version)


def remove(program: Program, kind: str, now: datetime) -> None:
    """Back to the default design's image of this kind (the files stay: old URLs keep working)."""
    current = chosen(program)
    if kind in current:
        del current[kind]
        _record(program, current, now)


def _record(program: Program, chosen_images: dict[str, str], now: datetime) -> None:
    branding: dict[str, Any] = {name: value for name, value in (program.branding or {}).items() if name != "images"}
    if chosen_images:
        branding["images"] = dict(sorted(chosen_images.items()))
    program_store.save_changes(program, {"branding": branding}, now)
    audit.changed("branding.images", chosen(program), chosen_images)
    outbox.google_class_changed(program.program_id, now)  # Google's class points at the new logo and hero
