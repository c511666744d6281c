"""The newcomer's path to the analytics page: the local stack, made-up trade from `demo-history`, then
the page and its numbers over HTTP with the demo owner's token."""
import json
import os
import subprocess
import sys

from tests.e2e.stack import ROOT, Stack, request


def test_demo_history_fills_the_analytics_page(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        env = {**os.environ, "LOCAL_DIR": str(tmp_path), "DYNAMODB_PORT": str(stack.db_port), "STAGE": "local",
               "PORT": str(stack.port), "APNS_PORT": str(stack.apns_port), "TELEGRAM_PORT": str(stack.telegram_port)}
        for name in ("TABLE_PREFIX", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ADMIN_JWT_KEYS_FILE"):
            env.pop(name, None)
        made = subprocess.run([sys.executable, "-m", "chalicelib.cli", "demo-history", "--days", "15"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=300, check=False)
        assert made.returncode == 0, made.stderr[-2000:]
        counts = json.loads(made.stdout.strip().splitlines()[-1])
        assert counts["members"] > 0 and counts["receipts"] > 0
        assert counts["experiments"] == 1  # the win-back's (15 days are too few for the campaign's sleepers)
        # a few lines for a person, not a log line per use case: progress, then what was made and where
        assert len(made.stdout.strip().splitlines()) == 1 and '"event"' not in made.stderr
        assert "15/15 days" in made.stderr and len(made.stderr.splitlines()) <= 9
        assert f"{stack.api}/console#/analytics" in made.stderr and f"{counts['receipts']} receipts" in made.stderr
        again = subprocess.run([sys.executable, "-m", "chalicelib.cli", "demo-history", "--days", "15"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=300, check=True)
        assert json.loads(again.stdout.strip().splitlines()[-1]) == {"members": 0, "receipts": 0, "refunds": 0,
                                                                     "experiments": 0}

        status, headers, page = request("GET", f"{stack.api}/admin")  # old links land in the console
        assert status == 200 and b"/console/assets/" in page
        auth = {"Authorization": f"Bearer {demo['admin_token']}"}
        status, _, raw = request("GET", f"{stack.api}/admin/programs/{demo['program_id']}/analytics/summary",
                                 headers=auth)
        summary = json.loads(raw)
        assert status == 200 and summary["receipts"] == counts["receipts"]
        assert summary["new_members"] == counts["members"] and summary["refunds"] == counts["refunds"]
        status, _, raw = request("GET", f"{stack.api}/admin/programs/{demo['program_id']}/analytics/segments",
                                 headers=auth)
        assert status == 200 and json.loads(raw)["members"] == counts["members"]
        # the demo is a chain of two coffee shops: each has its share of the receipts, and together they are all
        status, _, raw = request("GET", f"{stack.api}/admin/programs/{demo['program_id']}/analytics/locations",
                                 headers=auth)
        by_location = json.loads(raw)
        assert status == 200 and len(by_location["items"]) == 2
        assert all(row["receipts"] > 0 for row in by_location["items"])
        assert sum(row["receipts"] for row in by_location["items"]) == counts["receipts"]
        assert by_location["unassigned"]["receipts"] == 0
    finally:
        assert stack.stop() == 0


def test_its_command_names_the_ports_the_stack_moved_to(monkeypatch):
    from chalicelib import config, demo_history

    monkeypatch.setenv("STAGE", "local")
    for name in ("DYNAMODB_ENDPOINT", "PUBLIC_BASE_URL", "PORT", "DYNAMODB_PORT"):
        monkeypatch.delenv(name, raising=False)
    config.reset()
    assert demo_history.command() == "make demo"
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("DYNAMODB_PORT", "9001")
    config.reset()
    assert demo_history.command() == "DYNAMODB_PORT=9001 PORT=9000 make demo"
    monkeypatch.undo()
    config.reset()


def test_the_progress_bar_is_a_few_lines_off_a_terminal():
    import io

    from chalicelib import demo_history

    stream = io.StringIO()
    bar = demo_history.ProgressBar(stream)
    for day in range(1, 91):
        bar(day, 90)
    lines = stream.getvalue().splitlines()
    assert lines[-1] == "90/90 days" and len(lines) <= 5
