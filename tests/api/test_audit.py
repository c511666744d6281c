"""The audit trail (issue 19): every admin write becomes one entry of who, when, from where and what
changed (secrets masked, members' personal data left out), read back through GET /admin/audit."""
import json

from tests.conftest import bearer, body, enroll


def _trail(client, merchant, **params):
    query = "&".join(f"{name}={value}" for name, value in params.items())
    answer = client.http.get(f"/admin/audit?{query}", headers=bearer(merchant))
    assert answer.status_code == 200, answer.body
    return body(answer)


def test_smoke(client, merchant, program):
    changed = client.http.patch(f"/admin/programs/{program['id']}", headers=bearer(merchant),
                                body=json.dumps({"name": "Tea Club"}))
    assert changed.status_code == 200
    items = _trail(client, merchant)["items"]
    print(json.dumps(items, indent=1))
    assert [item["action"] for item in items] == ["program.update", "program.create"]
