"""The Lambda bundle: its size, and the cold import time of `app` from the bundle alone (the app zip
plus the dependencies layer, nothing from this virtual environment), median of fresh processes.

    .venv/bin/python benchmarks/bundle.py [--stage dev] [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROBE = ("import sys, time; sys.path[:0] = {paths!r}; t = time.perf_counter(); import app; "
         "print((time.perf_counter() - t) * 1000)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", choices=("dev", "prod"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from infra.package import package

    out = package(args.stage, lint=False)
    work = Path(tempfile.mkdtemp(prefix="bundle-"))
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        archive.extractall(work / "task")
    with zipfile.ZipFile(out / "layer-deployment.zip") as archive:
        archive.extractall(work / "opt")
    site = work / "opt" / "python" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    paths = [str(work / "task"), str(site)]
    env = {"PATH": os.environ.get("PATH", ""), "STAGE": args.stage, "TABLE_PREFIX": f"loyalty-{args.stage}-",
           "AWS_DEFAULT_REGION": "eu-central-1"}
    probe = PROBE.format(paths=paths)
    # -I: isolated, -S: no site-packages of this machine; botocore comes from the layer (pynamodb needs it).
    command = [sys.executable, "-I", "-S", "-c", probe]
    subprocess.run(command, cwd=work / "task", env=env, check=True, capture_output=True)  # compile once
    times = [float(subprocess.run(command, cwd=work / "task", env=env, check=True, capture_output=True,
                                  text=True).stdout.strip().splitlines()[-1]) for _ in range(args.runs)]
    print(f"python {sys.version.split()[0]}: import app from the {args.stage} bundle only, {args.runs} fresh processes")
    print(f"  runs (ms): {', '.join(f'{t:.0f}' for t in times)}; median {statistics.median(times):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
