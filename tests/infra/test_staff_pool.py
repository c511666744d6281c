"""The staff's Cognito pool in the template: what the issue asks of sign-in, and the API's narrow rights on it."""
import pytest

from infra import template


@pytest.fixture(scope="module", params=("dev", "prod"))
def built(request):
    return request.param, template.build(request.param)


def test_the_pool_signs_staff_in_by_email_with_optional_totp_and_no_self_sign_up(built):
    stage, document = built
    pool = document["Resources"]["StaffUserPool"]
    properties = pool["Properties"]
    assert pool["DeletionPolicy"] == "Retain"
    assert properties["UsernameAttributes"] == ["email"] and properties["UsernameConfiguration"] == {
        "CaseSensitive": False}
    assert {a["Name"]: a["Mutable"] for a in properties["Schema"]} == {"merchant": True, "role": True}
    assert properties["MfaConfiguration"] == "OPTIONAL" and properties["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    policy = properties["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12 and all(policy[f"Require{kind}"] for kind in
                                                  ("Lowercase", "Uppercase", "Numbers", "Symbols"))
    assert properties["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    assert properties["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert properties["DeletionProtection"] == ("ACTIVE" if stage == "prod" else "INACTIVE")


def test_the_console_client_cannot_promote_anyone_and_its_tokens_are_short(built):
    _, document = built
    client = document["Resources"]["StaffConsoleClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert (client["IdTokenValidity"], client["AccessTokenValidity"], client["RefreshTokenValidity"]) == (15, 15, 30)
    assert client["TokenValidityUnits"] == {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}
    assert client["EnableTokenRevocation"] is True and client["PreventUserExistenceErrors"] == "ENABLED"
    assert {"custom:merchant", "custom:role", "email"} <= set(client["ReadAttributes"])
    assert not {"custom:merchant", "custom:role", "email"} & set(client["WriteAttributes"])


def test_only_the_api_knows_the_pool_and_may_manage_its_users(built):
    _, document = built
    resources = document["Resources"]
    for function, logical in template.FUNCTIONS.items():
        variables = resources[logical]["Properties"]["Environment"]["Variables"]
        statements = resources[f"{logical}Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        cognito = [s for s in statements if isinstance(s, dict) and any(
            str(a).startswith("cognito-idp:") for a in s.get("Action", []))]
        if function == "api":
            assert variables["COGNITO_USER_POOL_ID"] == {"Ref": "StaffUserPool"}
            assert variables["COGNITO_CLIENT_ID"] == {"Ref": "StaffConsoleClient"}
            assert cognito == [{"Sid": "StaffAccounts", "Effect": "Allow", "Action": template.STAFF_POOL_ACTIONS,
                                "Resource": {"Fn::GetAtt": ["StaffUserPool", "Arn"]}}]
            assert all(a.startswith("cognito-idp:Admin") for a in template.STAFF_POOL_ACTIONS)
        else:
            assert "COGNITO_USER_POOL_ID" not in variables and cognito == []
    assert {"StaffUserPoolId", "StaffConsoleClientId"} <= set(document["Outputs"])
