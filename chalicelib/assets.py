"""Where the non-code files live: templates/ and passes/ at the project root in a checkout, or
copied next to the code in a deployment bundle (chalicelib/assets/). ASSETS_DIR overrides both."""
import os
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def directory(name: str) -> Path:
    override = os.environ.get("ASSETS_DIR")
    candidates = [Path(override) / name] if override else []
    candidates += [_PACKAGE / "assets" / name, _PACKAGE.parent / name]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no '{name}' directory in {', '.join(map(str, candidates))}")
