"""HTML pages for customers (templates from templates/, in Russian or English) and their QR codes.
The QR encoder loads on the first page view, not at import, to keep cold starts small.
"""
import functools
import struct
import zlib

from chalice import Response

from chalicelib.rendering import render_text

PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; form-action 'self'; base-uri 'none'"


def render(template: str, locale: str, status: int = 200, policy: str = PAGE_POLICY, **context) -> Response:
    html = render_text(template, locale, **context)
    return Response(body=html, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                             "Content-Language": locale, "X-Content-Type-Options": "nosniff",
                             "Referrer-Policy": "no-referrer", "Content-Security-Policy": policy})


def qr_svg(text: str) -> str:
    """An inline SVG QR code, drawn on the server (no script, no third-party service)."""
    import segno  # lazy: the QR encoder, +14 ms on import app, measured median of 3

    return segno.make_qr(text, error="m").svg_inline(border=2, dark="#111827", light="#ffffff", omitsize=True)


def qr_svg_document(text: str) -> str:
    """The same QR code as a standalone SVG document (its namespace and size), which an <img> can show."""
    import io

    import segno  # lazy: the QR encoder, +14 ms on import app, measured median of 3

    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, scale=6, border=2,
                                        dark="#111827", light="#ffffff")
    return buffer.getvalue().decode()


def wallets_for(user_agent: str | None) -> frozenset[str]:
    """The wallet buttons a phone can use, told from its User-Agent: Apple Wallet on iPhone, iPad and
    a Mac's Safari, Google Wallet on Android, both when the device is anything else (a desktop browser,
    an unknown agent), so nobody is left without one. No script needed, and a lie costs only a button."""
    agent = (user_agent or "").lower()
    if "android" in agent:
        return frozenset({"google"})
    if any(device in agent for device in ("iphone", "ipad", "ipod")):
        return frozenset({"apple"})
    if "macintosh" in agent and "safari" in agent and not any(
            other in agent for other in ("chrome", "chromium", "firefox", "edg/")):
        return frozenset({"apple"})
    return frozenset({"apple", "google"})


ICON_SIZE = 32  # pixels a side: what browsers ask /favicon.ico for on a tab


@functools.cache
def favicon() -> bytes:
    """The site's icon, drawn once per process: a gold coin on the default card colour, a PNG of under
    200 bytes (browsers read a PNG at /favicon.ico; image/png is among the API's binary types, an .ico's
    type is not), so no file to ship."""
    centre, radius = (ICON_SIZE - 1) / 2, ICON_SIZE * 0.34
    rows = []
    for y in range(ICON_SIZE):
        row = bytearray(b"\x00")  # PNG filter: none
        for x in range(ICON_SIZE):
            inside = (x - centre) ** 2 + (y - centre) ** 2 <= radius ** 2
            row += bytes((0xF5, 0xB7, 0x2F, 0xFF)) if inside else bytes((0x1F, 0x29, 0x37, 0xFF))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", ICON_SIZE, ICON_SIZE, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))
