"""The Lambda artifact as Lambda runs it: the app zip in /var/task and the layer in /opt, a Python with
nothing else on its path and no bytecode writing. The development-only code stays out, every module
loads from the bytecode shipped beside it, and every handler and every module imports without the
stand-ins."""
import json
import subprocess
import sys
import zipfile

import pytest

from infra.package import DEV_ONLY


@pytest.fixture(scope="module")
def unzipped(packaged, tmp_path_factory):
    root = tmp_path_factory.mktemp("lambda")
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        archive.extractall(root / "task")
    with zipfile.ZipFile(packaged / "layer-deployment.zip") as archive:
        archive.extractall(root / "opt")
    return root


def _run(unzipped, code: str, *flags: str) -> subprocess.CompletedProcess:
    site = unzipped / "opt" / "python" / "lib" / "python3.13" / "site-packages"
    probe = f"import sys; sys.path[:0] = [{str(unzipped / 'task')!r}, {str(site)!r}]\n{code}"
    # -I: no environment, no user site; -S: not even this virtual environment; -B: write nothing
    return subprocess.run([sys.executable, "-I", "-S", "-B", *flags, "-c", probe], cwd=unzipped / "task",
                          capture_output=True, text=True, check=False, env={
                              "STAGE": "prod", "TABLE_PREFIX": "loyalty-prod-", "AWS_DEFAULT_REGION": "eu-central-1"})


def test_development_code_stays_out_and_every_module_has_its_bytecode(packaged):
    with zipfile.ZipFile(packaged / "deployment.zip") as archive:
        names = set(archive.namelist())
    assert not set(DEV_ONLY) & names
    assert not any("standin" in name or "devstack" in name for name in names)
    sources = [n for n in names if n.endswith(".py")]
    assert len(sources) > 50
    for source in sources:
        folder, _, module = source.rpartition("/")
        cached = f"{folder + '/' if folder else ''}__pycache__/{module[:-3]}.cpython-313.pyc"
        assert cached in names, source
    with zipfile.ZipFile(packaged / "layer-deployment.zip") as archive:
        layer = set(archive.namelist())
    assert "python/lib/python3.13/site-packages/botocore/__pycache__/client.cpython-313.pyc" in layer
    header = zipfile.ZipFile(packaged / "deployment.zip").read("__pycache__/app.cpython-313.pyc")[:16]
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, unchecked: never compared, never rewritten


def test_every_handler_and_module_imports_from_the_bundle_alone(sam, unzipped):
    handlers = sorted({r["Properties"]["Handler"] for r in sam["Resources"].values()
                       if r.get("Type") == "AWS::Serverless::Function"})
    assert "app.app" in handlers and "chalicelib.jobs.schedules.outbox" in handlers
    modules = sorted(".".join(path.relative_to(unzipped / "task").with_suffix("").parts).removesuffix(".__init__")
                     for path in (unzipped / "task" / "chalicelib").rglob("*.py"))
    code = (f"import importlib, json\nfor h in {handlers!r}:\n"
            "    module, _, name = h.rpartition('.')\n"
            "    assert callable(getattr(importlib.import_module(module), name)), h\n"
            f"for m in {modules!r}:\n    importlib.import_module(m)\n"
            "print(json.dumps(sorted(p for p in sys.path)))")
    result = _run(unzipped, code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not any(".venv" in path or "site-packages" in path and str(unzipped) not in path
                   for path in json.loads(result.stdout))


def test_the_app_loads_from_the_shipped_bytecode(unzipped):
    result = _run(unzipped, "import app", "-v")
    assert result.returncode == 0, result.stderr[-3000:]
    task = str(unzipped / "task")
    loaded = [line for line in result.stderr.splitlines() if line.startswith("# code object from") and task in line]
    compiled_now = [line for line in result.stderr.splitlines() if line.startswith("# code object from")
                    and task in line and "__pycache__" not in line]
    assert len(loaded) > 40 and not compiled_now
    assert not list(unzipped.rglob("__pycache__/*.opt-*.pyc"))
