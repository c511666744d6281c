"""Pass images: PNGs drawn with no imaging library (zlib and struct only) for the default pass images
(by passes/make_default_images.py) and each program's Google Wallet logo, drawn from its branding; and
an owner's uploaded logo, icon and strip resized to every size both wallets need (Pillow, loaded only
by an upload).

Google shows the program logo through a circular mask and asks for a square of at least 660 x 660 px
without a mask of its own: the logo is the brand's background colour to the edges, with a disc and a
ring in the foreground colour well inside the circle Google cuts out."""
import hashlib
import io
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.errors import InvalidInput, PayloadTooLarge

GOOGLE_LOGO_SIZE = 660


def png(width: int, height: int, rows) -> bytes:
    """An 8-bit RGBA PNG from `height` rows of `width * 4` bytes each."""
    raw = bytearray()
    for row in rows:
        raw.append(0)  # filter: none
        raw.extend(row)
    if len(raw) != height * (width * 4 + 1):
        raise ValueError("rows do not match the image size")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + \
        chunk(b"IEND", b"")


def from_function(width: int, height: int, pixel) -> bytes:
    """A PNG from `pixel(u, v) -> (r, g, b, a)`, u and v in [0, 1): for small images drawn by hand."""
    return png(width, height, (b"".join(bytes(pixel(x / width, y / height)) for x in range(width))
                               for y in range(height)))


def _rgb(color: str) -> bytes:
    return bytes(int(color[i:i + 2], 16) for i in (1, 3, 5)) + b"\xff"


def _spans(size: int, y: int, radius: float) -> tuple[int, int] | None:
    """The columns [start, end) of row y inside a centred circle of `radius` pixels."""
    dy = y + 0.5 - size / 2
    if abs(dy) >= radius:
        return None
    half = (radius * radius - dy * dy) ** 0.5
    return max(0, round(size / 2 - half)), min(size, round(size / 2 + half))


def google_logo(background: str, foreground: str, size: int = GOOGLE_LOGO_SIZE) -> bytes:
    """The program's square logo for Google Wallet: opaque, no mask, drawn a row at a time (fast
    enough for a Lambda: one row is three byte runs, not `size` pixel calls)."""
    back, fore = _rgb(background), _rgb(foreground)
    outer, inner, dot = size * 0.30, size * 0.25, size * 0.15  # a ring and a disc inside Google's circle

    def row(y: int) -> bytes:
        pixels = bytearray(back * size)
        ring, hole, centre = _spans(size, y, outer), _spans(size, y, inner), _spans(size, y, dot)
        if ring:
            pixels[ring[0] * 4:ring[1] * 4] = fore * (ring[1] - ring[0])
        if hole:
            pixels[hole[0] * 4:hole[1] * 4] = back * (hole[1] - hole[0])
        if centre:
            pixels[centre[0] * 4:centre[1] * 4] = fore * (centre[1] - centre[0])
        return bytes(pixels)

    return png(size, size, (row(y) for y in range(size)))


# --- uploaded program images ---------------------------------------------------------------------
# An owner uploads one PNG or JPEG per kind; it is resized to every size both wallets need (PNG, with
# its transparency). Apple (storeCard): logo fits a 160 x 50 pt box, icon 29 x 29 pt, strip fills
# 375 x 123 pt, each @1x/@2x/@3x. Google: the program logo is a square of at least 660 px (its circular
# mask cuts the corners: the picture fits the inscribed square), the hero image 1032 x 336.

FIT, SQUARE, FILL = "fit", "square", "fill"  # keep the aspect inside the box / centred on a square / cropped to fill


@dataclass(frozen=True)
class Rendition:
    name: str  # the file's name without .png: Apple's archive name, or Google's
    width: int
    height: int
    how: str  # FIT, SQUARE or FILL
    inset: float = 1.0  # the share of the box the picture may take (Google's mask)


def _apple(kind: str, width: int, height: int, how: str) -> tuple[Rendition, ...]:
    return tuple(Rendition(f"{kind}{suffix}", width * scale, height * scale, how)
                 for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")))


RENDITIONS: dict[str, tuple[Rendition, ...]] = {
    "logo": (*_apple("logo", 160, 50, FIT), Rendition("google-logo", GOOGLE_LOGO_SIZE, GOOGLE_LOGO_SIZE, SQUARE, 0.7)),
    "icon": _apple("icon", 29, 29, SQUARE),
    "strip": (*_apple("strip", 375, 123, FILL), Rendition("hero", 1032, 336, FILL)),
}
KINDS = tuple(RENDITIONS)
APPLE_NAMES = {kind: tuple(r.name for r in renditions if not r.name.startswith(("google", "hero")))
               for kind, renditions in RENDITIONS.items()}
GOOGLE_LOGO, GOOGLE_HERO = "google-logo", "hero"
NAMES = frozenset(r.name for renditions in RENDITIONS.values() for r in renditions)


def public_url(base_url: str, program_id: str, version: str, name: str) -> str:
    """Where anyone (Google, the console's preview) fetches a stored size (api/passkit.py serves it)."""
    return f"{base_url}/static/programs/{program_id}/images/{version}/{name}.png"

MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # API Gateway passes a binary body base64-encoded (x 4/3) within Lambda's 6 MB
MAX_SIDE = 8000  # pixels
MIN_SIDE = 16
WORKING_SIDE = 2048  # a big photo is shrunk once to this, then to each size: the largest size is 1125 px wide
MAX_PIXELS = 40_000_000  # a decompression bomb (a few kB of PNG that opens to gigabytes) stops here
_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}


def version_of(kind: str, source: bytes) -> str:
    """Content-addressed: the same upload is the same version, and a version's files never change, so
    their URLs can be cached for ever."""
    return hashlib.sha256(kind.encode() + b"\0" + source).hexdigest()[:16]


def renditions(kind: str, source: bytes, content_type: str) -> dict[str, bytes]:
    """Every size of `kind` both wallets need, from an uploaded PNG or JPEG: name -> PNG bytes. Refuses
    (InvalidInput, field 'body') what is not a sane image of the declared type."""
    # lazy: Pillow, +30 ms warm / +80 ms cold on import app (python -X importtime); only uploads resize
    from PIL import Image, ImageOps, UnidentifiedImageError  # noqa: PLC0415

    expected = _FORMATS.get(content_type)
    if expected is None:
        raise InvalidInput("Send a PNG or JPEG image (Content-Type image/png or image/jpeg).",
                           code="unsupported_image", field="body")
    if len(source) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"An image may be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", field="body")
    too_big = InvalidInput(f"The image must be {MIN_SIDE} to {MAX_SIDE} pixels a side and at most "
                           f"{MAX_PIXELS // 1_000_000} megapixels.", code="image_size", field="body")
    try:
        opened = Image.open(io.BytesIO(source), formats=[expected])  # reads the header only
    except Image.DecompressionBombError:  # Pillow's own cap (about 179 megapixels), far above ours
        raise too_big from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise InvalidInput(f"The file is not a {expected} image.", code="invalid_image", field="body") from None
    width, height = opened.size
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise too_big
    try:
        picture = ImageOps.exif_transpose(opened).convert("RGBA")  # a phone's photo stands the right way up
        picture.thumbnail((WORKING_SIDE, WORKING_SIDE), Image.Resampling.LANCZOS)  # every size below from this
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput(f"The {expected} image is damaged.", code="invalid_image", field="body") from None
    opaque = picture.getchannel("A").getextrema()[0] == 255  # noqa: PLR2004 (every pixel fully opaque)
    return {r.name: _render(picture, r, opaque) for r in RENDITIONS[kind]}


def _render(picture, rendition: Rendition, opaque: bool) -> bytes:
    from PIL import Image, ImageOps  # noqa: PLC0415  # lazy: Pillow, +30 ms on import app (loaded by renditions)

    box = (rendition.width, rendition.height)
    if rendition.how == FILL:
        result = ImageOps.fit(picture, box, method=Image.Resampling.LANCZOS)
    else:
        inner = (max(1, round(box[0] * rendition.inset)), max(1, round(box[1] * rendition.inset)))
        fitted = ImageOps.contain(picture, inner, method=Image.Resampling.LANCZOS)
        if rendition.how == FIT:
            result = fitted
        else:  # centred on a transparent canvas of the box's size
            result = Image.new("RGBA", box, (0, 0, 0, 0))
            result.paste(fitted, ((box[0] - fitted.width) // 2, (box[1] - fitted.height) // 2))
    if opaque and (rendition.how != SQUARE or result.getchannel("A").getextrema()[0] == 255):  # noqa: PLR2004
        result = result.convert("RGB")  # a photo's PNG without an alpha channel: a quarter smaller in the pass
    out = io.BytesIO()
    result.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- a stamp card's strip ------------------------------------------------------------------------
# A stamps program's Apple pass shows its stamps as the strip under the header: `per_reward` circles in
# rows, the stamped ones filled with a check mark (a shape, not colour alone), on the brand's colours.
# Drawn once per (stamps shown, per_reward, colours) in a warm container: a program's cards share a few
# dozen such strips at most (per_reward + 1 of them per colour scheme).

STRIP_SCALES = ((1, ""), (2, "@2x"), (3, "@3x"))  # storeCard strip 375 x 123 pt at each scale Apple asks
STRIP_POINTS = (375, 123)
MAX_PER_ROW = 10  # a row of more would make circles too small to read on a phone


def stamp_rows(per_reward: int) -> tuple[int, ...]:
    """How many stamps each row holds: one row up to 10, else as even rows as they can be."""
    rows = -(-per_reward // MAX_PER_ROW)
    base, extra = divmod(per_reward, rows)
    return tuple(base + (1 if row < extra else 0) for row in range(rows))


@lru_cache(maxsize=256)
def stamps_strip(filled: int, per_reward: int, background: str, foreground: str) -> tuple[tuple[str, bytes], ...]:
    """The strip's files ("strip.png", "strip@2x.png", "strip@3x.png") for a card with `filled` of
    `per_reward` stamps, colours as "#rrggbb"."""
    return tuple((f"strip{suffix}.png", _draw_stamps(filled, per_reward, background, foreground, scale))
                 for scale, suffix in STRIP_SCALES)


def _draw_stamps(filled: int, per_reward: int, background: str, foreground: str, scale: int) -> bytes:
    # lazy: Pillow, +30 ms warm / +80 ms cold on import app (python -X importtime); only stamp cards draw
    from PIL import Image, ImageDraw  # noqa: PLC0415

    width, height = STRIP_POINTS[0] * scale, STRIP_POINTS[1] * scale
    back, fore = _rgb(background)[:3], _rgb(foreground)[:3]
    picture = Image.new("RGB", (width, height), tuple(back))
    draw = ImageDraw.Draw(picture)
    rows = stamp_rows(per_reward)
    cell = min(width / max(rows), height / len(rows))
    radius, ring = cell * 0.38, max(1, round(cell * 0.06))
    index = 0
    for row, count in enumerate(rows):
        cy = height / 2 + (row - (len(rows) - 1) / 2) * cell
        for column in range(count):
            cx = width / 2 + (column - (count - 1) / 2) * (width / max(rows))
            box = (cx - radius, cy - radius, cx + radius, cy + radius)
            if index < filled:
                draw.ellipse(box, fill=tuple(fore))
                tick = ((cx - radius * 0.45, cy), (cx - radius * 0.1, cy + radius * 0.38),
                        (cx + radius * 0.5, cy - radius * 0.35))
                draw.line(tick, fill=tuple(back), width=max(2, round(radius * 0.2)), joint="curve")
            else:
                draw.ellipse(box, outline=tuple(fore), width=ring)
            index += 1
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=False)
    return out.getvalue()
