"""HTML pages for customers (templates from templates/, in Russian or English) and their QR codes.
The QR encoder loads on the first page view, not at import, to keep cold starts small.
"""
import secrets

from chalice import Response

from chalicelib.rendering import render_text

PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; form-action 'self'; base-uri 'none'"


def render(template: str, locale: str, status: int = 200, policy: str = PAGE_POLICY, **context) -> Response:
    html = render_text(template, locale, **context)
    return Response(body=html, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                             "Content-Language": locale, "X-Content-Type-Options": "nosniff",
                             "Referrer-Policy": "no-referrer", "Content-Security-Policy": policy})


def admin_page(locale: str) -> Response:
    """The owner's analytics page: static, its one script allowed by a fresh nonce; it talks only to this
    API, with the admin token the owner pastes (kept in the tab's sessionStorage)."""
    nonce = secrets.token_urlsafe(16)
    policy = (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; connect-src 'self'; "
              "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    return render("admin.html", locale, policy=policy, nonce=nonce)


def qr_svg(text: str) -> str:
    """An inline SVG QR code, drawn on the server (no script, no third-party service)."""
    import segno  # lazy: the QR encoder, +14 ms on import app, measured median of 3

    return segno.make_qr(text, error="m").svg_inline(border=2, dark="#111827", light="#ffffff", omitsize=True)


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
