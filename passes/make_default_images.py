"""Draws the default store-card images (icon, logo, strip at @1x/@2x/@3x) as PNGs, with no imaging
library. Run by hand when the design changes: `python passes/make_default_images.py`."""
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "default"
sys.path.insert(0, str(HERE.parent.parent))

from chalicelib.wallet.images import from_function  # noqa: E402

Pixel = tuple[int, int, int, int]  # RGBA
ICON_DISC, ICON_RING = 0.48, 0.40  # outer radius of the icon's disc and inner radius of its ring (of 1)
LOGO_DISC = 0.38


def icon(u: float, v: float) -> Pixel:
    # a warm disc with a lighter ring: reads as "a stamp" at 29 pt
    r = math.hypot(u - 0.5, v - 0.5)
    if r > ICON_DISC:
        return (0, 0, 0, 0)
    if r > ICON_RING:
        return (232, 192, 125, 255)
    return (59, 47, 47, 255)


def logo(u: float, v: float) -> Pixel:
    # a small disc at the left of a transparent band; the logo text is drawn by Wallet
    r = math.hypot((u - 0.15) * 3.2, v - 0.5)
    return (255, 248, 231, 255) if r < LOGO_DISC else (0, 0, 0, 0)


def strip(u: float, v: float) -> Pixel:
    # a soft diagonal gradient
    t = (u * 0.7 + v * 0.3)
    return (int(59 + 60 * t), int(47 + 40 * t), int(47 + 20 * t), 255)


SIZES = {"icon": (29, 29), "logo": (160, 50), "strip": (375, 123)}
DRAW = {"icon": icon, "logo": logo, "strip": strip}

if __name__ == "__main__":
    for name, (width, height) in SIZES.items():
        for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
            (HERE / f"{name}{suffix}.png").write_bytes(from_function(width * scale, height * scale, DRAW[name]))
    print("written to", HERE)
