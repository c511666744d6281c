"""Program images through the real local stack (`chalice local`): a JPEG and a PNG upload, the files
in LOCAL_DIR/assets, the public URLs, and the demo card's pass carrying them."""
import io
import json
import zipfile

from PIL import Image

from tests.e2e.stack import Stack, enroll, request


def _image(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def test_images_upload_and_serve_on_the_local_stack(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        owner = {"Authorization": f"Bearer {demo['admin_token']}"}
        path = f"{stack.api}/admin/programs/{demo['program_id']}/images"
        status, _, answer = request("PUT", f"{path}/strip", _image("JPEG", (900, 700)),
                                    {**owner, "Content-Type": "image/jpeg"})
        assert status == 200, answer
        strip = json.loads(answer)
        status, _, answer = request("PUT", f"{path}/logo", _image("PNG", (300, 90)),
                                    {**owner, "Content-Type": "image/png"})
        assert status == 200, answer
        status, headers, served = request("GET", strip["urls"]["strip@2x"].replace(demo["api"], stack.api))
        assert status == 200 and headers["Content-Type"] == "image/png", served
        assert Image.open(io.BytesIO(served)).size == (750, 246)
        assert (tmp_path / "assets" / "programs" / demo["program_id"] / "images" / strip["version"]
                / "strip@3x.png").is_file()
        card = enroll(demo, "Images", "+79162220077")
        status, _, pkpass = request("GET", card["apple_pass_url"])
        assert status == 200
        assert zipfile.ZipFile(io.BytesIO(pkpass)).read("strip@2x.png") == served
    finally:
        stack.stop()
