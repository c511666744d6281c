"""HTML pages for customers (templates from templates/, in Russian or English) and their QR codes.
The QR encoder loads on the first page view, not at import, to keep cold starts small.
"""
from chalice import Response

from chalicelib.rendering import STRINGS, render_text  # noqa: F401 (STRINGS is used by the blueprints)


def render(template: str, locale: str, status: int = 200, **context) -> Response:
    html = render_text(template, locale, **context)
    return Response(body=html, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                             "Content-Language": locale, "X-Content-Type-Options": "nosniff",
                             "Referrer-Policy": "no-referrer",
                             "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                        "img-src data:; form-action 'self'; base-uri 'none'"})


def qr_svg(text: str) -> str:
    """An inline SVG QR code, drawn on the server (no script, no third-party service)."""
    import segno

    return segno.make_qr(text, error="m").svg_inline(border=2, dark="#111827", light="#ffffff", omitsize=True)
