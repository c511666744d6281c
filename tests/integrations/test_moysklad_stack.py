"""The till simulator against the real local stack (`make dev`), as the README shows it: a connection made
from the demo's owner token, a member's sale with points spent and its return, over HTTP."""
import os
import re
import subprocess
import sys

import pytest

from tests.e2e.stack import ROOT, Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("moysklad"))
    demo = stack.start()
    try:
        yield stack, demo
    finally:
        stack.stop()


def till(stack, *args):
    env = {**os.environ, "LOCAL_DIR": str(stack.local_dir)}
    for name in ("STAGE", "TABLE_PREFIX", "PUBLIC_BASE_URL", "ADMIN_JWT_KEYS_FILE"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "chalicelib.cli", "moysklad-till", "--demo", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_simulator_sells_and_takes_back_against_make_dev(stack):
    local, _ = stack
    first = till(local, "--phone", "+79165550101", "--name", "Анна Кассирова", "--no-return")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "POST /counterparty\n" in first.stdout  # not a member yet: registered at the till
    run = till(local, "--phone", "+7 916 555-01-01", "--spend", "50", "--item", "1200.00:1", "--item", "389.00:0.35")
    assert run.returncode == 0, run.stdout + run.stderr
    before, after_sale, after_return = map(int, re.search(
        r"# balance: (\d+) before, (\d+) after the sale, (\d+) after the return", run.stdout).groups())
    assert after_return == before != after_sale
    assert '"bonusValueToSpend": 50' in run.stdout
