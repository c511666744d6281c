"""The console's server side: the shell, its versioned assets, the sign-in settings, the poster, the QR
and slug helpers, all under a strict CSP."""
import gzip
import json
import re

import pytest

from chalicelib.api import console_assets

CSP_PARTS = ("default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
             "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'")


def version_of(page: str) -> str:
    found = re.search(r'/console/assets/([0-9a-f]+)/console\.js', page)
    assert found, page
    return found.group(1)


def assert_strict_csp(response):
    policy = response.headers["Content-Security-Policy"]
    for part in CSP_PARTS:
        assert part in policy, (part, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_shell_names_its_versioned_assets_and_has_no_inline_script_or_style(client):
    response = client.http.get("/console", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "no-store"
    assert_strict_csp(response)
    page = response.body.decode()
    assert '<html lang="en">' in page and "<noscript>" in page
    version = version_of(page)
    assert f'<link rel="stylesheet" href="/console/assets/{version}/console.css">' in page
    assert "<style" not in page and " style=" not in page
    assert re.findall(r"<script[^>]*>", page) == [f'<script defer src="/console/assets/{version}/console.js">']
    assert page.count("<h1") == 1 and '<main id="main"' in page


def test_shell_language_follows_the_saved_choice_before_the_browser(client):
    russian_browser = {"Accept-Language": "ru-RU,ru;q=0.9"}
    assert '<html lang="ru">' in client.http.get("/console", headers=russian_browser).body.decode()
    chosen = client.http.get("/console", headers={**russian_browser, "Cookie": "other=1; lc_lang=en"})
    assert '<html lang="en">' in chosen.body.decode() and chosen.headers["Content-Language"] == "en"
    unknown = client.http.get("/console", headers={**russian_browser, "Cookie": "lc_lang=de"})
    assert '<html lang="ru">' in unknown.body.decode()


def test_assets_are_long_cached_gzipped_and_hold_the_library_then_the_pages(client):
    version = version_of(client.http.get("/console").body.decode())
    script = client.http.get(f"/console/assets/{version}/console.js", headers={"Accept-Encoding": "gzip, br"})
    assert script.status_code == 200
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert script.headers["Content-Encoding"] == "gzip" and script.headers["Vary"] == "Accept-Encoding"
    assert script.headers["Content-Type"].startswith("application/javascript")
    assert_strict_csp(script)
    text = gzip.decompress(script.body).decode()
    assert text.index("core/00-base.js") < text.index("core/40-app.js")
    pages = [m.start() for m in re.finditer(r"/\* pages/", text)]
    assert pages and min(pages) > text.index("core/40-app.js")  # every page after the whole library
    plain = client.http.get(f"/console/assets/{version}/console.css", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["Content-Type"].startswith("text/css") and b":root" in plain.body


def test_first_load_weighs_at_most_150_kb_compressed():
    build = console_assets.build()
    assert sum(len(asset.gzipped) for asset in build.files.values()) <= 150 * 1024


@pytest.mark.parametrize("path", ["/console/assets/0123456789abcdef/console.js",
                                  "/console/assets/{version}/other.js", "/console/assets/{version}/..%2Fapp.py"])
def test_a_wrong_version_or_name_is_404(client, path):
    version = version_of(client.http.get("/console").body.decode())
    response = client.http.get(path.format(version=version))
    assert response.status_code == 404
    assert json.loads(response.body)["error"]["code"] == "not_found"


def test_version_changes_with_the_content(tmp_path, monkeypatch):
    for folder in ("js/core", "js/pages", "css"):
        (tmp_path / "console" / folder).mkdir(parents=True)
    (tmp_path / "console/js/core/00.js").write_text("var a = 1;")
    (tmp_path / "console/css/a.css").write_text("a {}")
    monkeypatch.setenv("ASSETS_DIR", str(tmp_path))
    from chalicelib import assets
    assets.directory.cache_clear()
    console_assets.build.cache_clear()
    try:
        first = console_assets.build().version
        (tmp_path / "console/js/pages/x.js").write_text("var b = 2;")
        console_assets.build.cache_clear()
        assert console_assets.build().version != first
    finally:
        assets.directory.cache_clear()
        console_assets.build.cache_clear()


def test_config_names_the_cognito_endpoint_the_csp_lets_the_browser_reach(client, monkeypatch):
    from chalicelib.config import settings
    monkeypatch.setenv("COGNITO_ENDPOINT", "http://127.0.0.1:8006")
    monkeypatch.setenv("COGNITO_CLIENT_ID", "client-123")
    settings.cache_clear()
    try:
        response = client.http.get("/console/config.json")
        answer = json.loads(response.body)
        shell = client.http.get("/console")
    finally:
        settings.cache_clear()
    assert response.status_code == 200 and answer["languages"] == ["ru", "en"]
    assert set(answer["cognito"]) == {"region", "user_pool_id", "client_id", "endpoint"}
    if hasattr(settings(), "cognito_endpoint"):  # the accounts part's settings
        assert answer["cognito"]["endpoint"] == "http://127.0.0.1:8006/"
        assert answer["cognito"]["client_id"] == "client-123"
        assert "connect-src 'self' http://127.0.0.1:8006;" in shell.headers["Content-Security-Policy"]
    else:
        assert answer["cognito"]["endpoint"].startswith("https://cognito-idp.")


def test_poster_shows_the_program_its_bonus_and_a_qr_of_the_join_link(client, program):
    response = client.http.get("/console/poster/coffee?size=a5", headers={"Accept-Language": "ru"})
    assert response.status_code == 200
    assert_strict_csp(response)
    page = response.body.decode()
    assert "Coffee Club" in page and "100 баллов" in page
    assert "https://loyalty.test/join/coffee" in page and "<svg" in page
    assert 'class="poster-page poster-a5"' in page and "<style" not in page and "<script" not in page
    english = client.http.get("/console/poster/coffee", headers={"Accept-Language": "en"}).body.decode()
    assert "Join and get 100 points" in english and "poster-a4" in english


def test_poster_of_an_unknown_program_or_size_is_refused(client, program):
    assert client.http.get("/console/poster/no-such").status_code == 404
    wrong = client.http.get("/console/poster/coffee?size=a3")
    assert wrong.status_code == 400 and json.loads(wrong.body)["error"]["field"] == "size"


def test_qr_draws_a_standalone_svg_of_a_posted_text(client):
    response = client.http.post("/console/qr", headers={"Content-Type": "application/json"},
                                body=json.dumps({"text": "otpauth://totp/Loyalty:anna@example.com?secret=ABC"}))
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert response.body.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    assert response.headers["Cache-Control"] == "no-store"
    too_long = client.http.post("/console/qr", headers={"Content-Type": "application/json"},
                                body=json.dumps({"text": "x" * 513}))
    assert too_long.status_code == 400 and json.loads(too_long.body)["error"]["field"] == "text"
    extra = client.http.post("/console/qr", headers={"Content-Type": "application/json"},
                             body=json.dumps({"text": "a", "size": 3}))
    assert extra.status_code == 400 and json.loads(extra.body)["error"]["field"] == "size"


def test_slug_check_says_taken_free_and_malformed(client, program):
    def check(slug):
        response = client.http.get(f"/console/slugs/{slug}")
        assert response.status_code == 200
        return json.loads(response.body)

    assert check("coffee") == {"slug": "coffee", "valid": True, "available": False}
    assert check("tea-house") == {"slug": "tea-house", "valid": True, "available": True}
    assert check("Bad_Slug")["valid"] is False and check("Bad_Slug")["available"] is False


def test_import_app_builds_no_asset():
    """The join and the POS routes' cold starts do not pay for the console: the files are read, joined and
    gzipped on the first console request."""
    import subprocess
    import sys
    probe = "import app; from chalicelib.api import console_assets; print(console_assets.build.cache_info().currsize)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0"
