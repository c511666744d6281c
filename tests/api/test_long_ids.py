"""On a program's admin routes an id in the path longer than any we issue is a 404, never a DynamoDB refusal
turned into a 500 (DynamoDB refuses keys over 1,024 bytes; moto does not, so the bound is checked before any
read). The pages keep their own HTML 404."""
from tests.conftest import bearer


def test_a_path_id_too_long_for_a_key_is_404(client, merchant, program):
    for path in ("/experiments/" + "x" * 600, "/experiments/" + "x" * 600 + "/report", "/campaigns/" + "я" * 300):
        answer = client.http.get(f"/admin/programs/{program['id']}{path}", headers=bearer(merchant))
        assert answer.status_code == 404, (path[:20], answer.status_code)
    assert client.http.get(f"/admin/programs/{'p' * 600}", headers=bearer(merchant)).status_code == 404
