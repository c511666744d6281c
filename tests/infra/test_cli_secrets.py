"""The operator's CLI stores secrets under the stage's names, checked first (moto's Secrets Manager)."""
import json

import boto3
import pytest
from moto import mock_aws

from chalicelib import cli
from chalicelib.wallet import devcerts


@pytest.fixture
def secrets_manager():
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-central-1")


def test_admin_keys_rotate_without_logging_anyone_out(secrets_manager):
    assert cli.main(["secrets", "admin-keys", "--stage", "dev"]) == 0
    assert cli.main(["secrets", "admin-keys", "--stage", "dev"]) == 0
    keys = json.loads(secrets_manager.get_secret_value(SecretId="loyalty/dev/admin-jwt-keys")["SecretString"])["keys"]
    assert [k["active"] for k in keys] == [False, True]  # the old key still verifies; the new one signs


def test_pass_certificates_are_checked_against_the_stage(secrets_manager, tmp_path):
    devcerts.generate(tmp_path, "pass.com.example.loyalty", "ABCDE12345")  # what the dev stage expects
    args = ["secrets", "pass-certs", "--stage", "dev", "--cert", str(tmp_path / "pass.pem"),
            "--key", str(tmp_path / "pass.key"), "--wwdr", str(tmp_path / "wwdr.pem")]
    assert cli.main(args) == 0
    stored = json.loads(secrets_manager.get_secret_value(SecretId="loyalty/dev/pass-certificates")["SecretString"])
    assert stored["pass_pem"].startswith("-----BEGIN CERTIFICATE-----")
    other = tmp_path / "other"
    devcerts.generate(other, "pass.other.id", "ABCDE12345")
    with pytest.raises(SystemExit, match="PASS_TYPE_ID"):
        cli.main(["secrets", "pass-certs", "--stage", "dev", "--cert", str(other / "pass.pem"),
                  "--key", str(other / "pass.key"), "--wwdr", str(other / "wwdr.pem")])


def test_a_google_file_must_be_a_service_account(secrets_manager, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(SystemExit, match="service-account"):
        cli.main(["secrets", "google", "--stage", "prod", "--file", str(bad)])


def test_a_deployed_function_reads_what_the_cli_stored_with_short_timeouts(secrets_manager, monkeypatch):
    """The admin key set stored by `cli secrets admin-keys` is what a function reads back (through
    secret_store, the one reader), and a slow Secrets Manager cannot hold a request for botocore's 60 s."""
    from chalicelib import config, secret_store

    assert cli.main(["secrets", "admin-keys", "--stage", "dev"]) == 0
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    config.reset()
    secret_store._client.cache_clear()
    try:
        keys = secret_store.read_json("loyalty/dev/admin-jwt-keys")["keys"]
        assert len(keys) == 1 and keys[0]["active"] is True
        client_config = secret_store._client().meta.config
        assert (client_config.connect_timeout, client_config.read_timeout) == (3, 5)
    finally:
        secret_store._client.cache_clear()
