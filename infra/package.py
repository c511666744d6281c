"""`make package STAGE=dev|prod`: a complete deployment, offline (no AWS credentials needed).

Copies templates/ and passes/ into the bundle (Chalice packages only app.py and chalicelib/), writes
our resources (infra/template.py), runs `chalice package` in SAM form with them merged, checks the
result with cfn-lint, and prints the bundle sizes.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "chalicelib" / "assets"


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _unzipped(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def package(stage: str, lint: bool = True) -> Path:
    out = ROOT / "out" / stage
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(exist_ok=True)
    shutil.rmtree(ASSETS, ignore_errors=True)
    for cache in (ROOT / "chalicelib").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"),
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    env["JOBS_QUEUE_NAME"] = f"loyalty-{stage}-jobs"  # the SQS handler's queue, as the template names it
    resources = ROOT / "out" / f"resources-{stage}.json"
    template = subprocess.run([sys.executable, "-m", "infra.template", "--stage", stage], cwd=ROOT, env=env,
                              check=True, capture_output=True, text=True).stdout
    resources.write_text(template)
    try:
        ASSETS.mkdir(parents=True)
        shutil.copytree(ROOT / "templates", ASSETS / "templates")
        shutil.copytree(ROOT / "passes", ASSETS / "passes", ignore=shutil.ignore_patterns("*.py"))
        subprocess.run([_bin("chalice"), "package", "--stage", stage, "--merge-template", str(resources), str(out)],
                       cwd=ROOT, env=env, check=True)
    finally:
        shutil.rmtree(ASSETS, ignore_errors=True)
    sam = json.loads((out / "sam.json").read_text())
    runtimes = {r["Properties"].get("Runtime") for r in sam["Resources"].values()
                if r.get("Type") == "AWS::Serverless::Function"}
    if runtimes != {"python3.13"}:
        raise SystemExit(f"unexpected Lambda runtimes {runtimes}: package with Python 3.13")
    if lint:
        result = subprocess.run([_bin("cfn-lint"), str(out / "sam.json")], cwd=ROOT, capture_output=True, text=True)
        if result.returncode not in (0, 4):  # 4: warnings only
            print(result.stdout + result.stderr)
            raise SystemExit(f"cfn-lint found errors in {out / 'sam.json'}")
        if result.stdout.strip():
            print(result.stdout.strip())
    app_zip, layer_zip = out / "deployment.zip", out / "layer-deployment.zip"
    print(f"packaged stage {stage} in {out.relative_to(ROOT)}/ (cfn-lint {'passed' if lint else 'skipped'})")
    print(f"  app bundle:   {app_zip.stat().st_size / 1e6:.2f} MB zipped, {_unzipped(app_zip) / 1e6:.2f} MB unzipped")
    if layer_zip.exists():
        print(f"  dependencies: {layer_zip.stat().st_size / 1e6:.2f} MB zipped, "
              f"{_unzipped(layer_zip) / 1e6:.2f} MB unzipped (managed layer)")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=("dev", "prod"))
    parser.add_argument("--no-lint", action="store_true")
    args = parser.parse_args()
    package(args.stage, lint=not args.no_lint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
