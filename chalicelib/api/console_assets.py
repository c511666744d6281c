"""The console's asset pipeline: console/js/core/*.js (sorted) then console/js/pages/*.js (sorted) joined
into one script, console/css/*.css into one stylesheet, both versioned by a hash of their content and
gzipped once. Built on the first console request of a warm process (never at `import app`) and kept.

No bundler and no npm: the files are plain JavaScript IIFEs that use the global LC, joined in order.
Vendored libraries (console/vendor/, see its README) are served beside them under the same version, each
as its own file that only the page needing it loads: not part of the first load.
"""
import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from chalicelib import assets

TYPES = {"console.js": "application/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8",
         "jsqr.js": "application/javascript; charset=utf-8"}
VENDOR = ("jsqr.js",)  # console/vendor/: the till page's QR reader where the browser has no BarcodeDetector


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    content_type: str


@dataclass(frozen=True)
class Build:
    version: str  # 16 hex digits of SHA-256 over every file: a change to any makes a new URL
    files: dict[str, Asset]  # the first load: console.js and console.css
    vendor: dict[str, Asset]  # loaded by the page that needs one, when it does


def _joined(paths: list[Path]) -> bytes:
    # Each file starts on its own line with its name, so a stack trace or a view-source points at it.
    parts = [f"/* {path.parent.name}/{path.name} */\n".encode() + path.read_bytes().rstrip() + b"\n"
             for path in paths]
    return b"".join(parts)


def _asset(name: str, body: bytes) -> Asset:
    # mtime=0: the same content gzips to the same bytes in every process
    return Asset(name, body, gzip.compress(body, compresslevel=9, mtime=0), TYPES[name])


@cache
def build() -> Build:
    root = assets.directory("console")
    script = _joined(sorted((root / "js" / "core").glob("*.js")) + sorted((root / "js" / "pages").glob("*.js")))
    style = _joined(sorted((root / "css").glob("*.css")))
    vendor = {name: (root / "vendor" / name).read_bytes() for name in VENDOR if (root / "vendor" / name).is_file()}
    digest = hashlib.sha256()
    for body in (script, style, *vendor.values()):
        digest.update(hashlib.sha256(body).digest())
    return Build(digest.hexdigest()[:16], {"console.js": _asset("console.js", script),
                                           "console.css": _asset("console.css", style)},
                 {name: _asset(name, body) for name, body in vendor.items()})
