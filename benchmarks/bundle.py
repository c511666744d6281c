"""The Lambda artifact's cold import, measured as Lambda runs it: the app zip unpacked as /var/task and
the dependencies layer as /opt (in a temporary directory), both made read-only, a fresh Python 3.13
process with nothing else on its path (-I: no environment variables, no user site; -S: not even this
virtual environment's site-packages) and no bytecode writing (-B, which is PYTHONDONTWRITEBYTECODE=1:
-I would ignore the variable itself). Prints the median of N fresh processes for `import app` (what the
API function's cold start pays before its first request), for each scheduled function's handler module,
and for the handler plus the job module its first run imports; then the sizes.

    .venv/bin/python benchmarks/bundle.py [--stage prod] [--runs 5] [--no-package] [--without-bytecode]

--without-bytecode deletes the shipped __pycache__ directories first: the artifact as it was before
the bundle carried bytecode (every cold start compiles every module). Goals on a 2-core machine:
`import app` at most 200 ms, scheduled handler modules at most 60 ms.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.package import package

GOALS_MS = {"app": 200, "scheduled": 60}
# What a scheduled function's first run imports beyond its handler module (chalicelib/jobs/__init__.py).
JOB_MODULES = {"tier_review": "chalicelib.jobs.tiers", "outbox": "chalicelib.jobs.outbox",
               "expire_points": "chalicelib.jobs.triggers", "birthdays": "chalicelib.jobs.triggers",
               "winback": "chalicelib.jobs.triggers", "analytics": "chalicelib.jobs.analytics",
               "campaigns": "chalicelib.usecases.campaigns", "job_chunk": "chalicelib.queue.chunks"}
PROBE = ("import sys, time; sys.path[:0] = {paths!r}; t, c = time.perf_counter(), time.process_time(); {imports}; "
         "print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)")


def _python() -> str:
    """This interpreter's own executable, not the virtual environment's wrapper."""
    return getattr(sys, "_base_executable", None) or sys.executable


def unpack(out: Path, work: Path, keep_bytecode: bool = True) -> list[str]:
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        archive.extractall(work / "task")
    with zipfile.ZipFile(out / "layer-deployment.zip") as archive:
        archive.extractall(work / "opt")
    if not keep_bytecode:
        for cache in list(work.rglob("__pycache__")):
            shutil.rmtree(cache)
    for path in work.rglob("*"):  # read-only, as Lambda's code directories are
        path.chmod(path.stat().st_mode & ~0o222)
    site = work / "opt" / "python" / "lib" / "python3.13" / "site-packages"
    return [str(work / "task"), str(site), str(work / "opt" / "python")]  # Lambda's order


def measure(paths: list[str], imports: str, runs: int, cwd: Path, stage: str) -> list[tuple[float, float]]:
    """(wall, CPU) milliseconds of each run: wall time is what a cold start waits; CPU time shows less
    of the other processes on a shared machine."""
    env = {"PATH": "/usr/bin:/bin", "STAGE": stage, "TABLE_PREFIX": f"loyalty-{stage}-",
           "AWS_DEFAULT_REGION": "eu-central-1", "PYTHONDONTWRITEBYTECODE": "1"}
    command = [_python(), "-I", "-S", "-B", "-c", PROBE.format(paths=paths, imports=imports)]
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)  # files into the page cache
    return [_wall_and_cpu(subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True,
                                         text=True).stdout) for _ in range(runs)]


def _wall_and_cpu(output: str) -> tuple[float, float]:
    wall, cpu = output.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def _report(times: list[tuple[float, float]], goal: float | None = None) -> str:
    wall, cpu = statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)
    text = f"median {wall:.0f} ms (CPU {cpu:.0f} ms)"
    if goal is not None:
        text += f" (goal <= {goal}) -> {'ok' if wall <= goal else 'OVER'}"
    return text


def _sizes(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    unzipped = sum(i.file_size for i in infos)
    compiled = sum(1 for i in infos if i.filename.endswith(".pyc"))
    return (f"{path.stat().st_size / 1e6:.2f} MB zipped, {unzipped / 1e6:.2f} MB unzipped, {len(infos)} files "
            f"({compiled} .pyc)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="prod", choices=("dev", "prod"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-package", action="store_true", help="measure out/STAGE as it is")
    parser.add_argument("--without-bytecode", action="store_true", help="delete the shipped .pyc first")
    args = parser.parse_args()
    out = ROOT / "out" / args.stage
    if not args.no_package:
        package(args.stage, lint=False)
    sam = json.loads((out / "sam.json").read_text())
    handlers = {name: r["Properties"]["Handler"] for name, r in sam["Resources"].items()
                if r.get("Type") == "AWS::Serverless::Function"}
    work = Path(tempfile.mkdtemp(prefix="bundle-"))
    try:
        paths = unpack(out, work, keep_bytecode=not args.without_bytecode)
        load = os.getloadavg()[0]
        kind = "without bytecode" if args.without_bytecode else "with its bytecode"
        print(f"python {sys.version.split()[0]}, the {args.stage} bundle {kind}, read-only, nothing else on the path; "
              f"median of {args.runs} fresh processes (load average {load:.2f}: the machine is shared, "
              f"so medians, not means)")
        times = measure(paths, "import app", args.runs, work / "task", args.stage)
        print(f"  import app: {', '.join(f'{t[0]:.0f}' for t in times)} ms; {_report(times, GOALS_MS['app'])}")
        modules = sorted({h.rpartition(".")[0] for h in handlers.values()} - {"app"})
        for module in modules:
            times = measure(paths, f"import {module}", args.runs, work / "task", args.stage)
            print(f"  import {module} (the scheduled functions' handler module): "
                  f"{_report(times, GOALS_MS['scheduled'])}")
        for job, module in sorted(JOB_MODULES.items()):
            handler = next((h for h in handlers.values() if h.endswith(f".{job}")), None)
            if handler is None:
                continue
            times = measure(paths, f"import {handler.rpartition('.')[0]}, {module}", args.runs, work / "task",
                            args.stage)
            print(f"    {job:14} first run also imports {module}: {_report(times)}")
    finally:
        for path in work.rglob("*"):
            path.chmod(path.stat().st_mode | 0o200)
        shutil.rmtree(work, ignore_errors=True)
    print(f"  app bundle:   {_sizes(out / 'deployment.zip')}")
    architecture = sam["Resources"]["ManagedLayer"]["Properties"]["CompatibleArchitectures"][0]
    print(f"  dependencies: {_sizes(out / 'layer-deployment.zip')} (layer, {architecture})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
