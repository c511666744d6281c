"""Milliseconds to build and sign one Apple Wallet pass, split into its parts.
Goal (issue 3): 1.5 ms or less per pass on a 2-core machine (the floor measured there is ~1.1 ms).

    .venv/bin/python benchmarks/pkpass.py [--passes 300]
"""
import argparse
import hashlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# The environment first: the settings and the models read it when they are imported (hence E402 below).
CERTS = Path(tempfile.mkdtemp(prefix="pkpass-bench-"))
os.environ.update({"STAGE": "bench", "PASS_CERTS_DIR": str(CERTS), "PASS_TYPE_ID": "pass.bench.loyalty",
                   "TEAM_ID": "BENCHTEAM1", "PUBLIC_BASE_URL": "https://loyalty.example.com"})

from chalicelib.core import card_number
from chalicelib.store.models import Card
from chalicelib.store.records import Program
from chalicelib.wallet import apple, devcerts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=300)
    args = parser.parse_args()
    devcerts.generate(CERTS, "pass.bench.loyalty", "BENCHTEAM1")
    program = Program("p_bench", merchant_id="m", created_key="", name="Bench Coffee", slug="bench",
                      timezone="Europe/Moscow", currency="RUB", country="RU", mechanics={}, branding={},
                      limits=None, status="active", created_at="", updated_at="", version=1)
    cards = [Card(f"c_bench{index:06d}", program_id="p_bench", merchant_id="m", number=card_number.from_random(
        f"{10000000000 + index}"), name="Анна", phone="+79160000000", locale="ru", consent_at="", ref_code="X",
        access_key="k" * 22, auth_token="t" * 32, balance=index, tier="base", lots=[], pass_version=1,
        pass_changed_at=0, created_at="") for index in range(args.passes)]
    material = apple.signer()  # loaded once, as a warm container does
    chosen = apple.design()
    apple.build(cards[0], program)  # warm-up

    parts: dict[str, list[float]] = {"render": [], "hashing": [], "signing": [], "zipping": []}
    totals: list[float] = []
    for card in cards:
        t0 = time.perf_counter()
        document = apple.pass_json(card, program)
        apple.validate(document, local=False, strings=chosen.strings)
        pass_bytes = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        t1 = time.perf_counter()
        manifest = dict(chosen.hashes)
        manifest["pass.json"] = hashlib.sha1(pass_bytes).hexdigest()
        manifest_bytes = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
        t2 = time.perf_counter()
        signature = apple.sign(manifest_bytes, material)
        t3 = time.perf_counter()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for path, data in (("pass.json", pass_bytes), *chosen.files.items(), ("manifest.json", manifest_bytes),
                               ("signature", signature)):
                archive.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data)
        t4 = time.perf_counter()
        for name, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[name].append(value * 1000)
        start = time.perf_counter()
        apple.build(card, program)
        totals.append((time.perf_counter() - start) * 1000)
    print(f"python {sys.version.split()[0]}: {args.passes} passes, keys loaded and images hashed once")
    print(f"  apple.build, median: {statistics.median(totals):.3f} ms per pass (goal <= 1.5 ms)")
    print("  parts, median ms: " + ", ".join(f"{name} {statistics.median(values):.3f}"
                                             for name, values in parts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
