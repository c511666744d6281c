"""What the in-process benchmarks share: a quiet environment of their own and moto in memory, with
every table created. Importing this module sets the environment, so a benchmark imports it before any
chalicelib module: the store's models read their settings (table names, endpoint) as they load."""
import argparse
import logging
import os
import sys
from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.update({"STAGE": "bench", "TABLE_PREFIX": "bench-", "AWS_DEFAULT_REGION": "eu-central-1",
                   "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
os.environ.pop("DYNAMODB_ENDPOINT", None)

from moto import mock_aws

from chalicelib import log  # noqa: F401 (sets up the "loyalty" logger, quietened next)
from chalicelib.store.tables import create_tables

logging.getLogger("loyalty").setLevel(logging.WARNING)


def run_with_tables(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Call `run(args)` against an empty in-memory DynamoDB holding the project's tables."""
    with mock_aws():
        create_tables()
        return run(args)
