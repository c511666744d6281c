"""Program images as an owner uploads them: every size both wallets need, in the pass and Google's
class, served publicly for ever; bad uploads refused at the field; roles and tenants kept apart."""
import hashlib
import io
import json
import os
import struct
import zipfile
import zlib
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from PIL import Image

from chalicelib import config
from chalicelib.jobs import outbox
from chalicelib.store import cards as card_store
from chalicelib.store import images as image_store
from chalicelib.store import outbox as outbox_store
from chalicelib.store import programs as program_store
from chalicelib.wallet import apple, google
from chalicelib.wallet import images as wallet_images
from tests.conftest import bearer, body, enroll
from tests.wallet.test_apple_pass import certs, wallet  # noqa: F401 (fixtures)

APPLE_SIZES = {"logo": {"logo": (160, 50), "logo@2x": (320, 100), "logo@3x": (480, 150)},
               "icon": {"icon": (29, 29), "icon@2x": (58, 58), "icon@3x": (87, 87)},
               "strip": {"strip": (375, 123), "strip@2x": (750, 246), "strip@3x": (1125, 369)}}


@pytest.fixture(autouse=True)
def assets_folder(tmp_path, monkeypatch):
    """Images in a folder of the test's own (the path without a bucket)."""
    monkeypatch.setenv("LOCAL_DIR", str(tmp_path))
    monkeypatch.delenv("ASSETS_BUCKET", raising=False)
    config.reset()
    image_store.reset()
    yield tmp_path
    config.reset()
    image_store.reset()


def picture(width, height, fmt="PNG", mode="RGBA", color=(200, 30, 60, 128)):
    out = io.BytesIO()
    Image.new(mode, (width, height), color[:len(mode)]).save(out, format=fmt)
    return out.getvalue()


def upload(client, program_id, kind, data, content_type="image/png", merchant=None, role="owner"):
    headers = {**bearer(merchant, role), "Content-Type": content_type}
    return client.http.put(f"/admin/programs/{program_id}/images/{kind}", headers=headers, body=data)


def fetch(client, url):
    return client.http.get(url.replace("https://loyalty.test", ""), headers={"Accept": "image/png"})


def size_of(data):
    return Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize(("kind", "width", "height", "fmt", "content_type"), [
    ("logo", 997, 211, "PNG", "image/png"),  # wide: limited by the box's height
    ("logo", 301, 777, "JPEG", "image/jpeg"),  # tall
    ("icon", 513, 97, "PNG", "image/png"),
    ("strip", 641, 1201, "JPEG", "image/jpeg"),  # a portrait photo, cropped to the wide strip
])
def test_an_upload_of_any_shape_gives_every_size_both_wallets_need(client, merchant, program, kind, width, height,
                                                                    fmt, content_type):
    mode = "RGB" if fmt == "JPEG" else "RGBA"
    response = upload(client, program["id"], kind, picture(width, height, fmt, mode), content_type, merchant)
    assert response.status_code == 200, response.body
    answer = body(response)
    assert answer["kind"] == kind and len(answer["version"]) == 16
    expected_names = set(APPLE_SIZES[kind]) | {"logo": {"google-logo"}, "icon": set(), "strip": {"hero"}}[kind]
    assert set(answer["urls"]) == expected_names
    for name, url in answer["urls"].items():
        assert url == (f"https://loyalty.test/static/programs/{program['id']}/images/{answer['version']}/{name}.png")
        served = fetch(client, url)
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
        assert "immutable" in served.headers["Cache-Control"] and "max-age=31536000" in served.headers["Cache-Control"]
        got = size_of(served.body)
        if name == "google-logo":
            assert got == (660, 660)
        elif name == "hero":
            assert got == (1032, 336)
        elif kind == "logo":  # fits inside the box, the aspect kept
            box_w, box_h = APPLE_SIZES[kind][name]
            assert got[0] <= box_w and got[1] <= box_h and (got[0] == box_w or got[1] == box_h)
            assert abs(got[0] / got[1] - width / height) < 0.05
        else:  # icon: a square; strip: the box, filled
            assert got == APPLE_SIZES[kind][name]
    stored = program_store.get(program["id"])
    assert stored.branding["images"] == {kind: answer["version"]}
    view = body(client.http.get(f"/admin/programs/{program['id']}", headers=bearer(merchant)))
    assert view["branding"]["images"] == {kind: answer["version"]}
    listed = client.http.get(f"/admin/programs/{program['id']}/images", headers=bearer(merchant, "analyst"))
    assert body(listed) == {"items": {kind: answer}}


def test_transparency_is_kept(client, merchant, program):
    answer = body(upload(client, program["id"], "icon", picture(100, 100, color=(0, 0, 255, 0)), merchant=merchant))
    icon = Image.open(io.BytesIO(fetch(client, answer["urls"]["icon@3x"]).body))
    assert icon.mode == "RGBA" and icon.getpixel((40, 40))[3] == 0


def test_the_same_upload_is_the_same_version_and_another_a_new_one(client, merchant, program):
    first = body(upload(client, program["id"], "logo", picture(200, 100), merchant=merchant))
    again = body(upload(client, program["id"], "logo", picture(200, 100), merchant=merchant))
    other = body(upload(client, program["id"], "logo", picture(201, 100), merchant=merchant))
    assert first["version"] == again["version"] != other["version"]
    assert fetch(client, first["urls"]["logo"]).status_code == 200  # an old version's URL keeps working


def _pass(client, card):
    response = client.http.get(card["apple_pass_url"].replace("https://loyalty.test", ""),
                               headers={"Accept": "application/vnd.apple.pkpass"})
    assert response.status_code == 200, response.body
    return zipfile.ZipFile(io.BytesIO(response.body))


def test_the_pass_carries_the_uploads_and_its_manifest_matches(client, merchant, program, wallet):  # noqa: F811
    card = enroll(client)
    default = _pass(client, card)
    logo = body(upload(client, program["id"], "logo", picture(400, 400), merchant=merchant))
    strip = body(upload(client, program["id"], "strip", picture(900, 300, "JPEG", "RGB"), "image/jpeg", merchant))
    archive = _pass(client, card)
    manifest = json.loads(archive.read("manifest.json"))
    for name in archive.namelist():
        if name not in ("manifest.json", "signature"):
            assert manifest[name] == hashlib.sha1(archive.read(name)).hexdigest()
    assert set(manifest) == set(archive.namelist()) - {"manifest.json", "signature"}
    for kind, answer in (("logo", logo), ("strip", strip)):
        for name in APPLE_SIZES[kind]:
            assert archive.read(f"{name}.png") == fetch(client, answer["urls"][name]).body
            assert archive.read(f"{name}.png") != default.read(f"{name}.png")
    for name in APPLE_SIZES["icon"]:  # not uploaded: the design's own
        assert archive.read(f"{name}.png") == default.read(f"{name}.png")
    assert "google-logo.png" not in archive.namelist() and "hero.png" not in archive.namelist()


def test_google_class_points_at_the_uploads(client, merchant, program):
    stored = program_store.get(program["id"])
    drawn = google.loyalty_class("issuer", stored)
    assert "google-logo.png?c=" in drawn["programLogo"]["sourceUri"]["uri"] and "heroImage" not in drawn
    logo = body(upload(client, program["id"], "logo", picture(300, 300), merchant=merchant))
    strip = body(upload(client, program["id"], "strip", picture(1500, 500), merchant=merchant))
    document = google.loyalty_class("issuer", program_store.get(program["id"]))
    assert document["programLogo"]["sourceUri"]["uri"] == logo["urls"]["google-logo"]
    assert document["heroImage"]["sourceUri"]["uri"] == strip["urls"]["hero"]
    queued = [item.item_key for item in outbox_store.due(datetime.now(UTC) + timedelta(minutes=1))]
    assert f"gclass#{program['id']}" in queued  # Google's class is updated with the new images


def test_delete_goes_back_to_the_default(client, merchant, program, wallet):  # noqa: F811
    card = enroll(client)
    default = _pass(client, card)
    body(upload(client, program["id"], "icon", picture(64, 64), merchant=merchant))
    assert _pass(client, card).read("icon@2x.png") != default.read("icon@2x.png")
    response = client.http.delete(f"/admin/programs/{program['id']}/images/icon", headers=bearer(merchant))
    assert response.status_code == 204
    assert "images" not in program_store.get(program["id"]).branding
    assert _pass(client, card).read("icon@2x.png") == default.read("icon@2x.png")
    again = client.http.delete(f"/admin/programs/{program['id']}/images/icon", headers=bearer(merchant))
    assert again.status_code == 204  # already the default


def test_update_every_card_after_an_image_change_gives_every_pass_a_new_version(client, merchant, program):
    card = enroll(client)
    before = int(card_store.get(card["card_id"]).pass_version)
    upload(client, program["id"], "logo", picture(300, 100), merchant=merchant)
    assert client.http.post(f"/admin/programs/{program['id']}/passes/refresh",
                            headers=bearer(merchant)).status_code == 202
    for _ in range(3):
        outbox.deliver(push=lambda token: None)
    assert int(card_store.get(card["card_id"]).pass_version) == before + 1


def _bomb(side=30000):
    """A tiny PNG that claims side x side pixels (30000: 900 megapixels)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100000, 9))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    (b"not an image at all", "image/png", 400, "invalid_image"),
    (picture(100, 100, "JPEG", "RGB"), "image/png", 400, "invalid_image"),  # a JPEG sent as PNG
    (picture(100, 100)[:60], "image/png", 400, "invalid_image"),  # cut short
    (_bomb(), "image/png", 400, "image_size"),
    (_bomb(7000), "image/png", 400, "image_size"),  # 49 megapixels: below Pillow's cap, above ours
    (picture(8, 300), "image/png", 400, "image_size"),  # too thin to show anything
    (picture(9000, 20), "image/png", 400, "image_size"),
])
def test_bad_uploads_are_refused_at_the_field_and_change_nothing(client, merchant, program, data, content_type,
                                                                 status, code, assets_folder):
    response = upload(client, program["id"], "logo", data, content_type, merchant)
    assert response.status_code == status, response.body
    assert body(response)["error"]["code"] == code and body(response)["error"]["field"] == "body"
    assert "images" not in program_store.get(program["id"]).branding
    assert not (assets_folder / "assets").exists()


def test_a_body_that_is_not_png_or_jpeg_is_415(client, merchant, program):
    response = upload(client, program["id"], "logo", b"GIF89a", "image/gif", merchant)
    assert response.status_code == 415 and body(response)["error"]["code"] == "unsupported_media_type"


def test_a_file_over_the_limit_is_413(client, merchant, program):
    """Refused before it is read (the middleware's body limit, or the upload's own)."""
    data = picture(64, 64) + b"\0" * (wallet_images.MAX_UPLOAD_BYTES + 1)
    response = upload(client, program["id"], "logo", data, "image/png", merchant)
    assert response.status_code == 413
    assert "images" not in program_store.get(program["id"]).branding


def test_the_upload_limit_is_the_images_own():
    with pytest.raises(Exception) as refused:
        wallet_images.renditions("logo", b"\x89PNG" + b"\0" * wallet_images.MAX_UPLOAD_BYTES, "image/png")
    assert refused.value.status == 413 and refused.value.field == "body"


def test_a_photo_of_a_megabyte_uploads(client, merchant, program):
    out = io.BytesIO()
    Image.frombytes("RGB", (1200, 900), os.urandom(1200 * 900 * 3)).save(out, format="JPEG", quality=95)
    assert len(out.getvalue()) > 512 * 1024
    response = upload(client, program["id"], "strip", out.getvalue(), "image/jpeg", merchant)
    assert response.status_code == 200, response.body


def test_unknown_kind_is_404(client, merchant, program):
    assert upload(client, program["id"], "background", picture(50, 50), merchant=merchant).status_code == 404


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_only_an_owner_changes_images(client, merchant, program, role):
    response = upload(client, program["id"], "logo", picture(50, 50), merchant=merchant, role=role)
    assert response.status_code == 403
    assert client.http.delete(f"/admin/programs/{program['id']}/images/logo",
                              headers=bearer(merchant, role)).status_code == 403


def test_another_merchants_program_is_404(client, merchant, other_merchant, program):
    assert client.http.get(f"/admin/programs/{program['id']}/images", headers=bearer(other_merchant)).status_code == 404
    assert upload(client, program["id"], "logo", picture(50, 50), merchant=other_merchant).status_code == 404
    assert client.http.delete(f"/admin/programs/{program['id']}/images/logo",
                              headers=bearer(other_merchant)).status_code == 404
    assert "images" not in program_store.get(program["id"]).branding


@pytest.mark.parametrize("path", ["0123456789abcdef/logo.png", "0123456789abcdef/..png", "nothex/logo.png",
                                  "0123456789abcdef/logo.gif"])
def test_unknown_images_are_404(client, program, path):
    response = client.http.get(f"/static/programs/{program['id']}/images/{path}", headers={"Accept": "image/png"})
    assert response.status_code == 404


def test_images_live_in_s3_when_a_bucket_is_set(client, merchant, program, monkeypatch, assets_folder):
    monkeypatch.setenv("ASSETS_BUCKET", "loyalty-test-assets")
    config.reset()
    image_store.reset()
    s3 = boto3.client("s3", region_name="eu-central-1")
    s3.create_bucket(Bucket="loyalty-test-assets", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    answer = body(upload(client, program["id"], "strip", picture(800, 300), merchant=merchant))
    stored = s3.get_object(Bucket="loyalty-test-assets",
                           Key=f"programs/{program['id']}/images/{answer['version']}/strip@3x.png")
    assert stored["ContentType"] == "image/png" and "immutable" in stored["CacheControl"]
    assert size_of(stored["Body"].read()) == (1125, 369)
    assert fetch(client, answer["urls"]["hero"]).status_code == 200
    assert not (assets_folder / "assets").exists()  # nothing went to the folder
    missing = f"/static/programs/{program['id']}/images/{'0' * 16}/strip.png"
    assert client.http.get(missing, headers={"Accept": "image/png"}).status_code == 404
    assert apple.uploaded(program["id"], "logo", "0" * 16) is None  # a missing file: the design's own


def test_editing_the_branding_keeps_the_images(client, merchant, program):
    logo = body(upload(client, program["id"], "logo", picture(300, 100), merchant=merchant))
    response = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                 body=json.dumps({"branding": {"background_color": "#112233"}}))
    assert response.status_code == 200, response.body
    assert body(response)["branding"]["images"] == {"logo": logo["version"]}
    assert body(response)["branding"]["background_color"] == "#112233"
