"""Program images: the milliseconds an upload spends resizing, Pillow's import, and what uploaded
images add to building a pass (warm: their files are read once per container).

    .venv/bin/python benchmarks/program_images.py [--passes 300]
"""
import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# The environment first: the settings and the models read it when they are imported (hence E402 below).
WORK = Path(tempfile.mkdtemp(prefix="images-bench-"))
os.environ.update({"STAGE": "bench", "PASS_CERTS_DIR": str(WORK / "certs"), "PASS_TYPE_ID": "pass.bench.loyalty",
                   "TEAM_ID": "BENCHTEAM1", "PUBLIC_BASE_URL": "https://loyalty.example.com", "LOCAL_DIR": str(WORK)})
os.environ.pop("ASSETS_BUCKET", None)

from chalicelib.core import card_number  # noqa: E402
from chalicelib.store import images as image_store  # noqa: E402
from chalicelib.store.models import Card  # noqa: E402
from chalicelib.store.records import Program  # noqa: E402
from chalicelib.wallet import apple, devcerts, images  # noqa: E402


def _program(branding: dict) -> Program:
    return Program("p_bench", merchant_id="m", created_key="", name="Bench Coffee", slug="bench",
                   timezone="Europe/Moscow", currency="RUB", country="RU", mechanics={}, branding=branding,
                   limits=None, status="active", created_at="", updated_at="", version=1)


def _photo(width: int, height: int) -> bytes:
    from PIL import Image  # noqa: PLC0415  # lazy: Pillow, +30 ms (measured below)

    out = io.BytesIO()
    small = Image.frombytes("RGB", (width // 8, height // 8), os.urandom(width // 8 * (height // 8) * 3))
    small.resize((width, height), Image.Resampling.BICUBIC).save(out, format="JPEG", quality=90)  # a photo's detail
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=300)
    args = parser.parse_args()
    imports = [float(subprocess.run([sys.executable, "-c", "import time; t = time.perf_counter(); "
                                     "from PIL import Image, ImageOps; print((time.perf_counter() - t) * 1000)"],
                                    capture_output=True, text=True, check=True).stdout) for _ in range(5)]
    print(f"Pillow import (from PIL import Image, ImageOps), median of 5 cold processes: "
          f"{statistics.median(imports):.1f} ms")

    uploads = {}
    for kind, (width, height) in (("logo", (1200, 400)), ("icon", (1024, 1024)), ("strip", (3000, 2000))):
        source = _photo(width, height)
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            files = images.renditions(kind, source, "image/jpeg")
            timings.append((time.perf_counter() - start) * 1000)
        version = images.version_of(kind, source)
        image_store.put("p_bench", version, files)
        uploads[kind] = version
        print(f"  resize a {width} x {height} JPEG ({len(source) // 1024} KB) to every {kind} size: "
              f"{statistics.median(timings):.0f} ms, {sum(map(len, files.values())) // 1024} KB of PNG")

    devcerts.generate(WORK / "certs", "pass.bench.loyalty", "BENCHTEAM1")
    cards = [Card(f"c_bench{index:06d}", program_id="p_bench", merchant_id="m", number=card_number.from_random(
        f"{10000000000 + index}"), name="Анна", phone="+79160000000", locale="ru", consent_at="", ref_code="X",
        access_key="k" * 22, auth_token="t" * 32, balance=index, tier="base", lots=[], pass_version=1,
        pass_changed_at=0, created_at="") for index in range(args.passes)]
    plain, designed = _program({}), _program({"images": uploads})
    apple.signer()
    apple.build(cards[0], plain), apple.build(cards[0], designed)  # warm-up: keys, design, uploaded files
    totals: dict[str, list[float]] = {"default design": [], "uploaded logo, icon, strip": []}
    for card in cards:  # interleaved, so both see the same machine
        for name, program in zip(totals, (plain, designed), strict=True):
            start = time.perf_counter()
            apple.build(card, program)
            totals[name].append((time.perf_counter() - start) * 1000)
    for name, values in totals.items():
        print(f"  apple.build with the {name}, median: {statistics.median(values):.3f} ms per pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
