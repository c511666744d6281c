"""What the in-process benchmarks share: a quiet environment of their own and moto in memory, with
every table created."""
import logging
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def run_with_tables(run, args) -> int:
    """Call `run(args)` against an empty in-memory DynamoDB holding the project's tables."""
    os.environ.update({"STAGE": "bench", "TABLE_PREFIX": "bench-", "AWS_DEFAULT_REGION": "eu-central-1",
                       "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    os.environ.pop("DYNAMODB_ENDPOINT", None)
    from chalicelib import log  # noqa: F401 (sets up the "loyalty" logger, quietened next)

    logging.getLogger("loyalty").setLevel(logging.WARNING)
    from moto import mock_aws

    with mock_aws():
        from chalicelib.store.tables import create_tables

        create_tables()
        return run(args)
