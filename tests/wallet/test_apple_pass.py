"""Every generated pass is checked the way iOS would: layout, hashes, the signature against the
development root with openssl, signingTime, the signer's UID, and the fields a customer sees."""
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from chalicelib import config
from chalicelib.store import cards as card_store
from chalicelib.store import programs as program_store
from chalicelib.wallet import apple, devcerts
from tests.conftest import enroll

PASS_TYPE_ID, TEAM_ID = "pass.dev.loyalty.local", "DEVTEAM001"


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("certs")
    devcerts.generate(folder, PASS_TYPE_ID, TEAM_ID)
    return folder


@pytest.fixture
def wallet(certs, monkeypatch):
    monkeypatch.setenv("PASS_CERTS_DIR", str(certs))
    monkeypatch.setenv("PASS_TYPE_ID", PASS_TYPE_ID)
    monkeypatch.setenv("TEAM_ID", TEAM_ID)
    config.reset()
    apple.signer.cache_clear()
    yield certs
    config.reset()
    apple.signer.cache_clear()


def _download(client, card):
    url = card["apple_pass_url"].replace("https://loyalty.test", "")
    return client.http.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})


def _openssl_verify(folder: Path, archive: zipfile.ZipFile, certs: Path) -> subprocess.CompletedProcess:
    (folder / "manifest.json").write_bytes(archive.read("manifest.json"))
    (folder / "signature").write_bytes(archive.read("signature"))
    return subprocess.run(["openssl", "smime", "-verify", "-binary", "-inform", "DER", "-in", str(folder / "signature"),
                           "-content", str(folder / "manifest.json"), "-CAfile", str(certs / "root.pem"),
                           "-certfile", str(certs / "wwdr.pem"), "-purpose", "any", "-out", "/dev/null"],
                          check=False, capture_output=True, text=True)


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


@needs_openssl
def test_downloaded_pass_is_a_valid_signed_store_card(client, program, wallet, tmp_path):
    card = enroll(client)
    response = _download(client, card)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.apple.pkpass"
    archive = zipfile.ZipFile(io.BytesIO(response.body))
    names = archive.namelist()
    assert {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png", "icon@3x.png",
            "en.lproj/pass.strings", "ru.lproj/pass.strings"} <= set(names)
    assert all("/" not in name or name.split("/")[0].endswith(".lproj") for name in names)  # files at the root
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest) == set(names) - {"manifest.json", "signature"}
    for name, digest in manifest.items():
        assert hashlib.sha1(archive.read(name)).hexdigest() == digest
    verified = _openssl_verify(tmp_path, archive, wallet)
    assert verified.returncode == 0, verified.stderr
    printed = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in",
                              str(tmp_path / "signature")], check=True, capture_output=True, text=True).stdout
    assert "signingTime" in printed
    assert PASS_TYPE_ID in printed  # the signer certificate (subject UID) travels in the signature

    document = json.loads(archive.read("pass.json"))
    assert document["passTypeIdentifier"] == PASS_TYPE_ID and document["teamIdentifier"] == TEAM_ID
    assert document["serialNumber"] == card["card_id"]
    assert "9160000001" not in document["serialNumber"]
    assert document["webServiceURL"] == "https://loyalty.test/passkit"
    assert len(document["authenticationToken"]) >= 16
    header = document["storeCard"]["headerFields"][0]
    assert header["key"] == "balance" and header["value"] == 100 and header["changeMessage"] == "balance_change"
    assert document["barcodes"][0]["message"] == card["card_number"]
    assert document["barcodes"][0]["format"] == "PKBarcodeFormatQR"
    back = {f["key"]: f for f in document["storeCard"]["backFields"]}
    assert back["card_page"]["value"] == card["card_url"]
    assert "voided" not in document


@needs_openssl
def test_a_manifest_with_newlines_still_verifies(wallet, tmp_path):
    """Regression: without PKCS7 Binary, cryptography turns \\n into \\r\\n before hashing."""
    material = apple.signer()
    manifest = json.dumps({"pass.json": "0" * 40, "icon.png": "1" * 40}, indent=2).encode()
    assert b"\n" in manifest
    (tmp_path / "manifest.json").write_bytes(manifest)
    (tmp_path / "signature").write_bytes(apple.sign(manifest, material))
    archive = zipfile.ZipFile(io.BytesIO(), "w")
    archive.writestr("manifest.json", manifest)
    archive.writestr("signature", apple.sign(manifest, material))
    assert _openssl_verify(tmp_path, archive, wallet).returncode == 0


def test_same_card_state_gives_the_same_pass_json(client, program, wallet):
    card_id = enroll(client)["card_id"]
    card, prog = card_store.get(card_id), program_store.get(program["id"])
    assert apple.pass_json(card, prog) == apple.pass_json(card_store.get(card_id), prog)


def test_wrong_key_or_missing_key_is_404(client, program, wallet):
    card = enroll(client)
    path = f"/c/{card['card_id']}/pass.pkpass"
    assert client.http.get(path).status_code == 404
    assert client.http.get(path + "?k=nope").status_code == 404


def test_no_accept_header_still_gets_the_pass(client, program, wallet):
    card = enroll(client)
    url = card["apple_pass_url"].replace("https://loyalty.test", "")
    response = client.http.get(url)  # Wallet and some clients send no Accept at all
    assert response.status_code == 200 and response.body[:2] == b"PK"


def test_blocked_card_is_voided(client, program, wallet, merchant):
    card_id = enroll(client)["card_id"]
    stored = card_store.get(card_id)
    stored.status = "blocked"
    assert apple.pass_json(stored, program_store.get(program["id"]))["voided"] is True


def test_certificate_mismatches_fail_fast_with_a_clear_message(certs):
    certificate = x509.load_pem_x509_certificate((certs / "pass.pem").read_bytes())
    now = datetime.now(UTC)
    apple.check_certificate(certificate, PASS_TYPE_ID, TEAM_ID, now)
    with pytest.raises(apple.PassError, match="not PASS_TYPE_ID"):
        apple.check_certificate(certificate, "pass.other.id", TEAM_ID, now)
    with pytest.raises(apple.PassError, match="team"):
        apple.check_certificate(certificate, PASS_TYPE_ID, "OTHERTEAM1", now)
    with pytest.raises(apple.PassError, match="expired"):
        apple.check_certificate(certificate, PASS_TYPE_ID, TEAM_ID, now + timedelta(days=5000))


def test_validation_refuses_what_ios_would_reject(wallet):
    good = {"formatVersion": 1, "passTypeIdentifier": "p", "serialNumber": "s", "teamIdentifier": "t",
            "organizationName": "o", "description": "d", "authenticationToken": "x" * 16,
            "webServiceURL": "https://a/passkit", "storeCard": {"headerFields": [{"key": "a", "value": 1}]}}
    apple.validate(good, local=False)
    cases = [
        ({"authenticationToken": "short"}, "16"),
        ({"webServiceURL": "http://a/passkit"}, "https"),
        ({"backgroundColor": "#ffffff"}, "rgb"),
        ({"storeCard": {"headerFields": [{"key": "a"}], "backFields": [{"key": "a"}]}}, "unique"),
        ({"storeCard": {"headerFields": [{"key": "a", "changeMessage": "Balance changed"}]}}, "%@"),
    ]
    for change, message in cases:
        with pytest.raises(apple.PassError, match=message):
            apple.validate({**good, **change}, local=False)
    bad = dict(good)
    del bad["serialNumber"]
    with pytest.raises(apple.PassError, match="serialNumber"):
        apple.validate(bad, local=False)
