"""Median wall time of `import app` in fresh Python processes: what a Lambda cold start pays
before the first request. Goal (issue 2): at most 300 ms under Python 3.13 on a 2-core machine.

    .venv/bin/python benchmarks/cold_start.py [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = "import time; t = time.perf_counter(); import app; print((time.perf_counter() - t) * 1000)"
GOAL_MS = 300


def measure(runs: int) -> list[float]:
    env = {**os.environ, "STAGE": "dev", "TABLE_PREFIX": "loyalty-dev-", "AWS_DEFAULT_REGION": "eu-central-1",
           "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env=env, check=True)  # compile .pyc once
    times = []
    for _ in range(runs):
        output = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, check=True, capture_output=True,
                                text=True).stdout
        times.append(float(output.strip().splitlines()[-1]))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = measure(args.runs)
    median = statistics.median(times)
    print(f"python {sys.version.split()[0]}: import app, {args.runs} fresh processes")
    print(f"  runs (ms): {', '.join(f'{t:.0f}' for t in times)}")
    print(f"  median: {median:.0f} ms (goal <= {GOAL_MS} ms) -> {'ok' if median <= GOAL_MS else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
