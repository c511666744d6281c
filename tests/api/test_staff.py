"""Staff accounts: who am I, invitations, role changes, removals, and the Cognito ID tokens the API trusts.

The user pool is moto's, in-process; its ID tokens are signed with moto's key, whose public half the API
fetches from the pool's JWKS URL (answered here from moto's own file, the URL checked)."""
import gzip
import html
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
import jwt
import moto.cognitoidp
import pytest

from chalicelib import auth, config
from chalicelib.accounts import cognito
from chalicelib.core.locations import Location
from chalicelib.store import programs as program_store
from tests.conftest import bearer, body, ses_sent

REGION = "eu-central-1"
PASSWORD = "Corr3ct-Horse-Battery!"
MOTO_KEYS = Path(moto.cognitoidp.__file__).parent / "resources"


def make_pool(idp, name="staff"):
    """A pool as infra/template.py makes it: e-mail user names, the custom claims, the console's client."""
    pool = idp.create_user_pool(
        PoolName=name, UsernameAttributes=["email"], UsernameConfiguration={"CaseSensitive": False},
        Schema=[{"Name": "merchant", "AttributeDataType": "String", "Mutable": True},
                {"Name": "role", "AttributeDataType": "String", "Mutable": True}],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="console", GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    return pool, client


@pytest.fixture
def pool(aws, ses, monkeypatch):
    """The staff's pool in moto, with the settings pointing at it; yields (idp client, pool id, client id,
    the JWKS URLs the API asked for)."""
    idp = boto3.client("cognito-idp", region_name=REGION)
    pool_id, client_id = make_pool(idp)
    monkeypatch.setenv("COGNITO_USER_POOL_ID", pool_id)
    monkeypatch.setenv("COGNITO_CLIENT_ID", client_id)
    monkeypatch.setenv("COGNITO_REGION", REGION)
    asked = []
    public_keys = json.loads(gzip.decompress((MOTO_KEYS / "jwks-public.json.gz").read_bytes()))

    def fetch(self):
        asked.append(self.uri)
        return public_keys

    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", fetch)
    config.reset()
    cognito.forget_client()
    auth.reset_keys()
    yield idp, pool_id, client_id, asked
    monkeypatch.undo()
    config.reset()
    cognito.forget_client()
    auth.reset_keys()


def invite(client, merchant, email, role="manager", language="en", headers=None, **extra):
    response = client.http.post("/admin/staff", headers=headers or bearer(merchant),
                                body=json.dumps({"email": email, "role": role, "language": language, **extra}))
    return response


@pytest.fixture
def located(client, merchant, program):
    """The program with two open locations (loc-1, loc-2) and a closed one (loc-0)."""
    stored = program_store.get(program["id"])
    program_store.save_changes(stored, {"locations": [
        Location("loc-1", "Tverskaya").to_json(), Location("loc-2", "Arbat").to_json(),
        Location("loc-0", "Old", status="closed").to_json()]}, datetime.now(UTC))
    return program


def letter_to(address):
    """The last invitation SES accepted for this address: (subject, text of the body)."""
    sent = [m for m in ses_sent() if address in m.destinations.get("ToAddresses", [])]
    assert sent, f"no letter to {address}"
    return sent[-1].subject, html.unescape(re.sub(r"<[^>]+>", "\n", sent[-1].body))


def temporary_password(address):
    _, text = letter_to(address)
    return re.search(r"(?:Temporary password|Временный пароль): (\S+)", text).group(1)


def sign_in(idp, client_id, email, password=PASSWORD):
    """What the console does: USER_PASSWORD_AUTH, and on the first sign-in the new password."""
    answer = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": temporary_password(email)
                                               if password is None else password})
    if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        answer = idp.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=answer["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": PASSWORD})
    return answer["AuthenticationResult"]


def as_bearer(token):
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def joined(client, idp, client_id, merchant, email, role, **extra):
    """A member invited by the owner who signed in (first time: the letter's password, then their own)."""
    assert invite(client, merchant, email, role, **extra).status_code == 201
    return sign_in(idp, client_id, email, password=None)


# --- who am I ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "manager", "analyst", "cashier"])
def test_me_for_each_merchant_role(client, merchant, role):
    answer = client.http.get("/admin/me", headers=bearer(merchant, role))
    assert answer.status_code == 200
    me = body(answer)
    assert me["role"] == role and me["merchant"] == {"id": merchant, "name": "Test Coffee"}
    assert me["permissions"] == sorted(p for p, roles in auth.PERMISSIONS.items() if role in roles)
    assert ("staff:write" in me["permissions"]) == (role == "owner")


def test_me_for_the_platform_operator_and_without_a_token(client, aws):
    me = body(client.http.get("/admin/me", headers=bearer(None, "platform")))
    assert me["role"] == "platform" and me["merchant"] is None and "merchants:write" in me["permissions"]
    assert client.http.get("/admin/me").status_code == 401


def test_a_cashier_reads_no_program_card_or_staff_only_the_till(client, merchant, program):
    cashier = bearer(merchant, "cashier")
    assert body(client.http.get("/admin/me", headers=cashier))["permissions"] == ["till:write"]
    assert client.http.get("/admin/programs", headers=cashier).status_code == 403
    assert client.http.get(f"/admin/programs/{program['id']}/cards", headers=cashier).status_code == 403
    assert client.http.get(f"/admin/programs/{program['id']}/pos-keys", headers=cashier).status_code == 403
    assert client.http.get("/admin/staff", headers=cashier).status_code == 403
    assert client.http.get("/admin/till", headers=cashier).status_code == 200


# --- invitations, roles, removal ------------------------------------------------------------------

def test_an_invitation_creates_the_user_with_role_and_merchant_and_sends_the_letter(client, merchant, pool):
    idp, pool_id, _, _ = pool
    answer = invite(client, merchant, "Maria@Example.com", "manager", "ru", name="Мария")
    assert answer.status_code == 201
    member = body(answer)
    assert member["email"] == "maria@example.com" and member["role"] == "manager" and member["status"] == "invited"
    attributes = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id,
                                                                    Username="maria@example.com")["UserAttributes"]}
    assert attributes["custom:merchant"] == merchant and attributes["custom:role"] == "manager"
    assert attributes["sub"] == member["id"]
    subject, text = letter_to("maria@example.com")
    assert subject == "Приглашение в консоль «Test Coffee»"
    assert "Мария" in text and "роль: менеджер" in text and "https://loyalty.test/console" in text
    assert "Логин: maria@example.com" in text and len(temporary_password("maria@example.com")) >= 12
    listed = body(client.http.get("/admin/staff", headers=bearer(merchant)))
    assert listed == {"items": [member], "next_cursor": None}


def test_an_english_invitation_is_in_english(client, merchant, pool, located):
    assert invite(client, merchant, "sam@example.com", "cashier", "en", location_ids=["loc-1"]).status_code == 201
    subject, text = letter_to("sam@example.com")
    assert subject == "Your invitation to the Test Coffee console"
    assert "as cashier" in text and "Temporary password: " in text


def test_inviting_again_resends_while_unanswered_and_refuses_once_joined(client, merchant, pool):
    idp, _, client_id, _ = pool
    assert invite(client, merchant, "kim@example.com").status_code == 201
    first = temporary_password("kim@example.com")
    again = invite(client, merchant, "kim@example.com")
    assert again.status_code == 201 and temporary_password("kim@example.com") != first
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(idp, client_id, "kim@example.com", password=first)  # the lost letter's password is dead
    sign_in(idp, client_id, "kim@example.com", password=None)
    refused = invite(client, merchant, "kim@example.com")
    assert refused.status_code == 409 and body(refused)["error"] == {
        "code": "staff_exists", "message": "This e-mail is already on the staff.", "field": "email"}
    assert len(body(client.http.get("/admin/staff", headers=bearer(merchant)))["items"]) == 1


@pytest.mark.parametrize("data, field", [
    ({"email": "not-an-address", "role": "manager"}, "email"),
    ({"email": "a@example.com", "role": "platform"}, "role"),
    ({"email": "a@example.com", "role": "manager", "language": "de"}, "language"),
    ({"email": "a@example.com"}, "role"),
    ({"email": "a@example.com", "role": "manager", "password": "x"}, "password"),
])
def test_bad_invitations_are_400_naming_the_field(client, merchant, pool, data, field):
    answer = client.http.post("/admin/staff", headers=bearer(merchant), body=json.dumps(data))
    assert answer.status_code == 400 and body(answer)["error"]["field"] == field
    assert body(client.http.get("/admin/staff", headers=bearer(merchant)))["items"] == []


def test_a_role_change_applies_at_once_and_reaches_the_pool(client, merchant, pool):
    idp, pool_id, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "lee@example.com", "manager")
    staff_id = body(client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])))["subject"]
    changed = client.http.patch(f"/admin/staff/{staff_id}", headers=bearer(merchant),
                                body=json.dumps({"role": "analyst"}))
    assert changed.status_code == 200 and body(changed)["role"] == "analyst"
    attributes = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id,
                                                                    Username="lee@example.com")["UserAttributes"]}
    assert attributes["custom:role"] == "analyst"
    # the token still says manager; the API reads the record: no campaigns for an analyst from now on
    me = body(client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])))
    assert me["role"] == "analyst" and "campaigns:read" not in me["permissions"]


@pytest.mark.parametrize("data, status, code, field", [
    ({"role": "cashier"}, 422, "location_required", "location_ids"),
    ({"role": "cashier", "location_ids": []}, 422, "location_required", "location_ids"),
    ({"role": "cashier", "location_ids": ["loc-1", "loc-9"]}, 422, "unknown_location", "location_ids[1]"),
    ({"role": "cashier", "location_ids": ["loc-0"]}, 422, "unknown_location", "location_ids[0]"),  # closed
    ({"role": "manager", "location_ids": ["loc-1"]}, 422, "invalid_value", "location_ids"),
    ({"role": "cashier", "location_ids": "loc-1"}, 400, "invalid_type", "location_ids"),
    ({"role": "cashier", "location_ids": ["loc-1", 7]}, 400, "invalid_type", "location_ids[1]"),
    ({"role": "cashier", "location_ids": ["loc 1"]}, 400, "invalid_format", "location_ids[0]"),
])
def test_a_cashiers_locations_are_checked(client, merchant, pool, located, data, status, code, field):
    answer = client.http.post("/admin/staff", headers=bearer(merchant),
                              body=json.dumps({"email": "c@example.com", **data}))
    assert answer.status_code == status and body(answer)["error"]["code"] == code
    assert body(answer)["error"]["field"] == field
    assert body(client.http.get("/admin/staff", headers=bearer(merchant)))["items"] == []


def test_another_merchants_location_is_unknown(client, merchant, other_merchant, pool, located):
    answer = invite(client, other_merchant, "c@example.com", "cashier", headers=bearer(other_merchant),
                    location_ids=["loc-1"])
    assert answer.status_code == 422 and body(answer)["error"]["code"] == "unknown_location"


def test_a_cashiers_locations_change_and_go_with_the_role(client, merchant, pool, located):
    cashier = body(invite(client, merchant, "c@example.com", "cashier", location_ids=["loc-1", "loc-1"]))
    assert cashier["location_ids"] == ["loc-1"]
    path, owner = f"/admin/staff/{cashier['id']}", bearer(merchant)
    moved = client.http.patch(path, headers=owner, body=json.dumps({"location_ids": ["loc-2", "loc-1"]}))
    assert moved.status_code == 200 and body(moved)["location_ids"] == ["loc-2", "loc-1"]
    promoted = client.http.patch(path, headers=owner, body=json.dumps({"role": "manager"}))
    assert promoted.status_code == 200 and body(promoted)["location_ids"] is None
    refused = client.http.patch(path, headers=owner, body=json.dumps({"role": "cashier"}))
    assert refused.status_code == 422 and body(refused)["error"]["code"] == "location_required"
    not_a_cashier = client.http.patch(path, headers=owner, body=json.dumps({"location_ids": ["loc-1"]}))
    assert not_a_cashier.status_code == 422 and body(not_a_cashier)["error"]["field"] == "location_ids"
    back = client.http.patch(path, headers=owner, body=json.dumps({"role": "cashier", "location_ids": ["loc-2"]}))
    assert back.status_code == 200 and (body(back)["role"], body(back)["location_ids"]) == ("cashier", ["loc-2"])
    empty = client.http.patch(path, headers=owner, body="{}")
    assert empty.status_code == 400
    listed = body(client.http.get("/admin/staff", headers=owner))["items"]
    assert [(m["role"], m["location_ids"]) for m in listed] == [("cashier", ["loc-2"])]


def test_removal_disables_signs_out_and_refuses_the_token_at_once(client, merchant, pool):
    idp, _, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "ivan@example.com", "manager")
    assert client.http.get("/admin/programs", headers=as_bearer(tokens["IdToken"])).status_code == 200
    staff_id = body(client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])))["subject"]
    assert client.http.delete(f"/admin/staff/{staff_id}", headers=bearer(merchant)).status_code == 204
    refused = client.http.get("/admin/programs", headers=as_bearer(tokens["IdToken"]))
    assert refused.status_code == 401 and body(refused)["error"]["code"] == "account_disabled"
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(idp, client_id, "ivan@example.com")
    listed = body(client.http.get("/admin/staff", headers=bearer(merchant)))["items"]
    assert [(m["email"], m["status"]) for m in listed] == [("ivan@example.com", "disabled")]
    assert client.http.delete(f"/admin/staff/{staff_id}", headers=bearer(merchant)).status_code == 204


def test_a_removed_member_invited_again_signs_in_with_the_new_role(client, merchant, pool, located):
    idp, _, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "olga@example.com", "manager")
    staff_id = body(client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])))["subject"]
    assert client.http.delete(f"/admin/staff/{staff_id}", headers=bearer(merchant)).status_code == 204
    again = invite(client, merchant, "olga@example.com", "cashier", location_ids=["loc-1"])
    assert again.status_code == 201, again.body
    assert (body(again)["id"], body(again)["role"], body(again)["status"]) == (staff_id, "cashier", "invited")
    assert body(again)["location_ids"] == ["loc-1"]
    back = sign_in(idp, client_id, "olga@example.com", password=None)  # the new letter's password
    me = body(client.http.get("/admin/me", headers=as_bearer(back["IdToken"])))
    assert (me["subject"], me["role"]) == (staff_id, "cashier")


def test_a_removal_made_by_another_process_is_seen_within_the_cache_time(client, merchant, pool, monkeypatch):
    idp, _, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "olga@example.com", "manager")
    clock = [1000.0]
    monkeypatch.setattr(auth, "_clock", lambda: clock[0])
    assert client.http.get("/admin/programs", headers=as_bearer(tokens["IdToken"])).status_code == 200
    from datetime import UTC, datetime

    from chalicelib.store import staff as staff_store

    member = next(m for m in staff_store.list_for_merchant(merchant) if m.email == "olga@example.com")
    staff_store.change(member, datetime.now(UTC), status="disabled")  # another container removed her
    clock[0] += auth.STAFF_CACHE_SECONDS - 1
    assert client.http.get("/admin/programs", headers=as_bearer(tokens["IdToken"])).status_code == 200
    clock[0] += 1
    assert client.http.get("/admin/programs", headers=as_bearer(tokens["IdToken"])).status_code == 401


def test_an_owner_cannot_remove_or_demote_themself_nor_the_last_owner(client, merchant, pool):
    idp, _, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "boss@example.com", "owner")
    owner = as_bearer(tokens["IdToken"])
    own_id = body(client.http.get("/admin/me", headers=owner))["subject"]
    removed = client.http.delete(f"/admin/staff/{own_id}", headers=owner)
    assert removed.status_code == 409 and body(removed)["error"]["code"] == "own_account"
    demoted = client.http.patch(f"/admin/staff/{own_id}", headers=owner, body=json.dumps({"role": "manager"}))
    assert demoted.status_code == 409 and body(demoted)["error"]["code"] == "own_account"
    # a token of the built-in issuer (the CLI's) is not this member: still, the last owner stays
    last = client.http.delete(f"/admin/staff/{own_id}", headers=bearer(merchant))
    assert last.status_code == 409 and body(last)["error"]["code"] == "last_owner"
    assert body(client.http.get("/admin/me", headers=owner))["role"] == "owner"
    # with a second owner, the first can be demoted by the second
    second = joined(client, idp, client_id, merchant, "partner@example.com", "owner")
    moved = client.http.patch(f"/admin/staff/{own_id}", headers=as_bearer(second["IdToken"]),
                              body=json.dumps({"role": "manager"}))
    assert moved.status_code == 200 and body(moved)["role"] == "manager"


@pytest.mark.parametrize("role", ["manager", "analyst", "cashier"])
def test_only_owners_manage_the_staff(client, merchant, pool, role):
    headers = bearer(merchant, role)
    assert client.http.get("/admin/staff", headers=headers).status_code == 403
    assert invite(client, merchant, "x@example.com", headers=headers).status_code == 403
    assert client.http.patch("/admin/staff/abc", headers=headers, body=json.dumps({"role": "owner"})).status_code \
        == 403
    assert client.http.delete("/admin/staff/abc", headers=headers).status_code == 403
    assert client.http.get("/admin/staff", headers=bearer(None, "platform")).status_code == 403


def test_another_merchants_staff_is_not_found(client, merchant, other_merchant, pool):
    staff_id = body(invite(client, merchant, "anna@example.com"))["id"]
    intruder = bearer(other_merchant)
    assert body(client.http.get("/admin/staff", headers=intruder))["items"] == []
    for answer in (client.http.patch(f"/admin/staff/{staff_id}", headers=intruder, body=json.dumps({"role": "owner"})),
                   client.http.delete(f"/admin/staff/{staff_id}", headers=intruder)):
        assert answer.status_code == 404 and body(answer)["error"]["code"] == "not_found"
    assert body(client.http.get("/admin/staff", headers=bearer(merchant)))["items"][0]["status"] == "invited"
    assert client.http.delete("/admin/staff/" + "x" * 2000, headers=bearer(merchant)).status_code == 404


# --- Cognito tokens -------------------------------------------------------------------------------

def test_a_cognito_id_token_is_accepted_with_the_role_of_the_record(client, merchant, program, pool, located):
    idp, pool_id, client_id, asked = pool
    tokens = joined(client, idp, client_id, merchant, "cash@example.com", "cashier", location_ids=["loc-2"])
    headers = as_bearer(tokens["IdToken"])
    me = body(client.http.get("/admin/me", headers=headers))
    assert me["role"] == "cashier" and me["email"] == "cash@example.com"
    assert me["merchant"] == {"id": merchant, "name": "Test Coffee"}
    assert me["permissions"] == ["till:write"]
    assert client.http.get(f"/admin/programs/{program['id']}", headers=headers).status_code == 403
    till = body(client.http.get("/admin/till", headers=headers))
    assert [place["id"] for place in till["locations"]] == ["loc-2"]  # the record's locations
    assert client.http.get("/admin/staff", headers=headers).status_code == 403
    assert asked and set(asked) == {
        f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}/.well-known/jwks.json"}
    listed = body(client.http.get("/admin/staff", headers=bearer(merchant)))["items"]
    assert listed[0]["status"] == "active"  # signed in: no longer a pending invitation


def _forged(pool_id, claims):
    """A token signed with moto's key (the pool's): only the claims differ from a real one."""
    from joserfc import jwk
    from joserfc import jwt as jose_jwt

    key = jwk.RSAKey.import_key(json.loads(gzip.decompress((MOTO_KEYS / "jwks-private.json.gz").read_bytes())))
    return jose_jwt.encode({"kid": "dummy", "alg": "RS256"}, claims, key)


def test_access_tokens_are_refused(client, merchant, pool):
    idp, _, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "acc@example.com", "manager")
    answer = client.http.get("/admin/me", headers=as_bearer(tokens["AccessToken"]))
    assert answer.status_code == 401


@pytest.mark.parametrize("change", [
    {"custom:role": "platform"},  # the operator's role never comes from the pool
    {"custom:role": "superuser"},
    {"token_use": "access"},
    {"aud": "another-client"},
    {"iss": "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_another"},  # another pool
    {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},  # expired
    {"custom:merchant": None},
])
def test_wrong_cognito_tokens_are_401(client, merchant, pool, change):
    idp, pool_id, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "real@example.com", "owner")
    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert client.http.get("/admin/me", headers=as_bearer(_forged(pool_id, claims))).status_code == 200
    claims.update(change)
    claims = {k: v for k, v in claims.items() if v is not None}
    answer = client.http.get("/admin/me", headers=as_bearer(_forged(pool_id, claims)))
    assert answer.status_code == 401, body(answer)


def test_another_pools_real_token_is_refused(client, merchant, pool):
    idp, _, client_id, _ = pool
    other_pool, other_client = make_pool(idp, "someone-else")
    idp.admin_create_user(UserPoolId=other_pool, Username="eve@example.com", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "custom:merchant", "Value": merchant},
                                          {"Name": "custom:role", "Value": "owner"}])
    idp.admin_set_user_password(UserPoolId=other_pool, Username="eve@example.com", Password=PASSWORD,
                                Permanent=True)
    tokens = idp.initiate_auth(ClientId=other_client, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "eve@example.com", "PASSWORD": PASSWORD})
    answer = client.http.get("/admin/me", headers=as_bearer(tokens["AuthenticationResult"]["IdToken"]))
    assert answer.status_code == 401


def test_a_pool_user_without_a_staff_record_is_refused(client, merchant, pool):
    idp, pool_id, client_id, _ = pool
    idp.admin_create_user(UserPoolId=pool_id, Username="side@example.com", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "custom:merchant", "Value": merchant},
                                          {"Name": "custom:role", "Value": "owner"}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username="side@example.com", Password=PASSWORD, Permanent=True)
    tokens = sign_in(idp, client_id, "side@example.com")
    assert client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])).status_code == 401


def test_without_a_pool_cognito_tokens_are_not_trusted(client, merchant, pool, monkeypatch):
    idp, _, client_id, _ = pool
    tokens = joined(client, idp, client_id, merchant, "gone@example.com", "owner")
    monkeypatch.delenv("COGNITO_USER_POOL_ID")
    config.reset()
    auth.reset_keys()
    assert client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])).status_code == 401


# --- the operator's command line ------------------------------------------------------------------

def test_cli_staff_invite_makes_a_merchants_first_owner(client, merchant, pool, capsys):
    from chalicelib import cli

    idp, _, client_id, _ = pool
    assert cli.main(["staff", "invite", "--merchant", merchant, "--email", "first@example.com", "--role", "owner",
                     "--language", "en"]) == 0
    member = json.loads(capsys.readouterr().out)
    assert member["role"] == "owner" and member["status"] == "invited"
    tokens = sign_in(idp, client_id, "first@example.com", password=None)
    me = body(client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])))
    assert me["role"] == "owner" and me["subject"] == member["id"]


def test_cli_staff_invite_can_print_the_letter_instead(client, merchant, pool, capsys):
    from chalicelib import cli

    assert cli.main(["staff", "invite", "--merchant", merchant, "--email", "quiet@example.com", "--role", "owner",
                     "--print-password"]) == 0
    assert "Временный пароль: " in capsys.readouterr().err
    assert not [m for m in ses_sent() if "quiet@example.com" in m.destinations.get("ToAddresses", [])]


def test_made_up_kids_in_the_pools_name_fetch_its_keys_at_most_once_per_interval(client, merchant, pool,
                                                                                  monkeypatch):
    idp, pool_id, client_id, asked = pool
    clock = [1000.0]
    monkeypatch.setattr(auth, "_clock", lambda: clock[0])
    tokens = joined(client, idp, client_id, merchant, "kid@example.com", "owner")
    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    assert client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])).status_code == 200
    fetched = len(asked)
    for attempt in range(20):
        forged = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": f"made-up-{attempt}"})
        assert client.http.get("/admin/me", headers=as_bearer(forged)).status_code == 401
    assert len(asked) == fetched + 1  # one read again for all twenty
    clock[0] += auth.UNKNOWN_KID_REFRESH
    forged = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": "made-up-again"})
    assert client.http.get("/admin/me", headers=as_bearer(forged)).status_code == 401
    assert len(asked) == fetched + 2
    assert client.http.get("/admin/me", headers=as_bearer(tokens["IdToken"])).status_code == 200
