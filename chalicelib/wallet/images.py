"""PNG images drawn with no imaging library (zlib and struct only): the default pass images (by
passes/make_default_images.py) and each program's Google Wallet logo, drawn from its branding.

Google shows the program logo through a circular mask and asks for a square of at least 660 x 660 px
without a mask of its own: the logo is the brand's background colour to the edges, with a disc and a
ring in the foreground colour well inside the circle Google cuts out."""
import struct
import zlib

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
