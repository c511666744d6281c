"""Draws the default store-card images (icon, logo, strip at @1x/@2x/@3x) as PNGs, with no imaging
library. Run by hand when the design changes: `python passes/make_default_images.py`."""
import math
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent / "default"


def png(width: int, height: int, pixel) -> bytes:
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend(pixel(x / width, y / height))
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + \
        chunk(b"IEND", b"")


def icon(u, v):
    # a warm disc with a lighter ring: reads as "a stamp" at 29 pt
    r = math.hypot(u - 0.5, v - 0.5)
    if r > 0.48:
        return (0, 0, 0, 0)
    if r > 0.40:
        return (232, 192, 125, 255)
    return (59, 47, 47, 255)


def logo(u, v):
    # a small disc at the left of a transparent band; the logo text is drawn by Wallet
    r = math.hypot((u - 0.15) * 3.2, v - 0.5)
    return (255, 248, 231, 255) if r < 0.38 else (0, 0, 0, 0)


def strip(u, v):
    # a soft diagonal gradient
    t = (u * 0.7 + v * 0.3)
    return (int(59 + 60 * t), int(47 + 40 * t), int(47 + 20 * t), 255)


SIZES = {"icon": (29, 29), "logo": (160, 50), "strip": (375, 123)}
DRAW = {"icon": icon, "logo": logo, "strip": strip}

if __name__ == "__main__":
    for name, (width, height) in SIZES.items():
        for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
            (HERE / f"{name}{suffix}.png").write_bytes(png(width * scale, height * scale, DRAW[name]))
    print("written to", HERE)
