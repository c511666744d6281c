"""`make package STAGE=dev|prod`: a complete deployment, offline (no AWS credentials needed).

Copies templates/, console/ and passes/ into the bundle (Chalice packages only app.py and chalicelib/), writes
our resources (infra/template.py), runs `chalice package` in SAM form with them merged, then makes
the two zips what Lambda should load: the development-only modules leave the app bundle, and every
module of the app and of the dependencies layer gets its bytecode beside it (`__pycache__/*.cpython-313.pyc`,
unchecked-hash: Python uses it without comparing it to the source and never writes one, and Lambda's
code directories are read-only anyway). Checks the template with cfn-lint and prints the bundle sizes.
"""
import argparse
import compileall
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from infra.template import finish

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "chalicelib" / "assets"
RUNTIME = (3, 13)  # Lambda's python3.13: the bytecode must be this version's
# The local stack's code and stand-ins: nothing deployed imports them (tests/infra/test_bundle.py checks).
# Every local stand-in is named `*_standin.py`, so a new one stays out without a change here.
DEV_ONLY = (*sorted(str(path.relative_to(ROOT)) for path in (ROOT / "chalicelib").rglob("*_standin.py")),
            "chalicelib/wallet/devcerts.py", "chalicelib/devstack.py", "chalicelib/local_dynamodb.py",
            "chalicelib/demo_history.py", "chalicelib/cli.py")


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _unzipped(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _compiled(archive: Path, lambda_root: str, drop: tuple = ()) -> None:
    """Rewrite a zip without `drop`, with every module's bytecode beside it (tracebacks name the file
    where Lambda unpacks it, `lambda_root`: /var/task for the app, /opt for a layer)."""
    with tempfile.TemporaryDirectory(prefix="bundle-") as work:
        tree = Path(work)
        with zipfile.ZipFile(archive) as source:
            infos = [info for info in source.infolist() if info.filename not in drop]
            for info in infos:
                source.extract(info, tree)
        if not compileall.compile_dir(tree, ddir=lambda_root, quiet=1, workers=0,
                                      invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
            raise SystemExit(f"some modules of {archive.name} do not compile")
        known = {info.filename for info in infos}
        with zipfile.ZipFile(archive.with_suffix(".tmp"), "w", zipfile.ZIP_DEFLATED) as target:
            for info in infos:
                target.writestr(info, (tree / info.filename).read_bytes() if not info.is_dir() else b"")
            for path in sorted(tree.rglob("*.pyc")):
                name = path.relative_to(tree).as_posix()
                if name not in known:
                    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    entry.external_attr = 0o644 << 16
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    target.writestr(entry, path.read_bytes())
        archive.with_suffix(".tmp").replace(archive)


def package(stage: str, lint: bool = True, out: Path | None = None) -> Path:
    if sys.version_info[:2] != RUNTIME:
        raise SystemExit(f"package with Python {RUNTIME[0]}.{RUNTIME[1]}: "
                         "the bundle's bytecode is for Lambda's runtime")
    out = out or ROOT / "out" / stage
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(ASSETS, ignore_errors=True)
    for cache in (ROOT / "chalicelib").rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-central-1"),
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    env["JOBS_QUEUE_NAME"] = f"loyalty-{stage}-jobs"  # the SQS handler's queue, as the template names it
    resources = out.parent / f"resources-{stage}.json"
    template = subprocess.run([sys.executable, "-m", "infra.template", "--stage", stage], cwd=ROOT, env=env,
                              check=True, capture_output=True, text=True).stdout
    resources.write_text(template)
    try:
        ASSETS.mkdir(parents=True)
        shutil.copytree(ROOT / "templates", ASSETS / "templates")
        shutil.copytree(ROOT / "console", ASSETS / "console")  # the owner console's scripts and styles
        shutil.copytree(ROOT / "passes", ASSETS / "passes", ignore=shutil.ignore_patterns("*.py"))
        subprocess.run([_bin("chalice"), "package", "--stage", stage, "--merge-template", str(resources), str(out)],
                       cwd=ROOT, env=env, check=True)
    finally:
        shutil.rmtree(ASSETS, ignore_errors=True)
    sam = finish(json.loads((out / "sam.json").read_text()))
    (out / "sam.json").write_text(json.dumps(sam, indent=2) + "\n")
    _compiled(out / "deployment.zip", "/var/task", drop=DEV_ONLY)
    _compiled(out / "layer-deployment.zip", "/opt")
    runtimes = {r["Properties"].get("Runtime") for r in sam["Resources"].values()
                if r.get("Type") == "AWS::Serverless::Function"}
    if runtimes != {"python3.13"}:
        raise SystemExit(f"unexpected Lambda runtimes {runtimes}: package with Python 3.13")
    if lint:
        result = subprocess.run([_bin("cfn-lint"), str(out / "sam.json")], cwd=ROOT, capture_output=True, text=True,
                                check=False)  # its exit code says errors (2) from warnings (4)
        if result.returncode not in (0, 4):  # 4: warnings only
            print(result.stdout + result.stderr)
            raise SystemExit(f"cfn-lint found errors in {out / 'sam.json'}")
        if result.stdout.strip():
            print(result.stdout.strip())
    app_zip, layer_zip = out / "deployment.zip", out / "layer-deployment.zip"
    print(f"packaged stage {stage} in {out}/ (cfn-lint {'passed' if lint else 'skipped'})")
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
