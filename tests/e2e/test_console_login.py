"""Signing in to the console against the real local stack: the banner's demo owner signs in to the Cognito
stand-in over HTTP the way the browser does, calls the API with the ID token, invites a manager who reads
the letter's temporary password, chooses their own and signs in; after a restart the demo owner still can."""
import html
import json
import re

from tests.e2e.stack import Stack, request


def _sign_in(stack, console, email, password, new_password=None):
    """USER_PASSWORD_AUTH, and NEW_PASSWORD_REQUIRED answered when it comes (a first sign-in)."""
    status, answer = stack.cognito_call("InitiateAuth", {
        "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": console["client_id"],
        "AuthParameters": {"USERNAME": email, "PASSWORD": password}})
    assert status == 200, answer
    if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        status, answer = stack.cognito_call("RespondToAuthChallenge", {
            "ChallengeName": "NEW_PASSWORD_REQUIRED", "ClientId": console["client_id"], "Session": answer["Session"],
            "ChallengeResponses": {"USERNAME": email, "NEW_PASSWORD": new_password}})
        assert status == 200, answer
    return answer["AuthenticationResult"]


def _api(stack, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, _, answer = request(method, stack.api + path, json.dumps(body).encode() if body else None, headers)
    return status, json.loads(answer) if answer else None


def test_the_banners_owner_signs_in_invites_a_manager_and_signs_in_again_after_a_restart(tmp_path):
    stack = Stack(tmp_path)
    demo = stack.start()
    try:
        console = demo["console"]
        assert console["email"] == "owner@demo.local" and console["url"] == f"{stack.api}/console"
        output = stack.output()
        assert console["email"] in output and console["password"] in output
        assert console["cognito_endpoint"] == stack.cognito and console["user_pool_id"] in output

        # the browser's preflight for a call to another origin: the stand-in allows it
        status, headers, _ = request("OPTIONS", stack.cognito + "/", headers={
            "Origin": stack.api, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target"})
        assert status == 200 and headers.get("Access-Control-Allow-Origin") in ("*", stack.api)

        owner = _sign_in(stack, console, console["email"], console["password"])
        status, me = _api(stack, "GET", "/admin/me", owner["IdToken"])
        assert status == 200, me
        assert me["role"] == "owner" and me["email"] == "owner@demo.local"
        assert me["merchant"] == {"id": demo["merchant_id"], "name": "Demo Coffee"}
        assert "staff:write" in me["permissions"]
        assert _api(stack, "GET", f"/admin/programs/{demo['program_id']}", owner["IdToken"])[0] == 200

        status, member = _api(stack, "POST", "/admin/staff", owner["IdToken"],
                              {"email": "Manager@Demo.local", "role": "manager", "language": "en"})
        assert status == 201, member
        letter = stack.last_email("manager@demo.local")
        assert letter["subject"] == "Your invitation to the Demo Coffee console"
        text = html.unescape(re.sub(r"<[^>]+>", "\n", letter["body"]))
        temporary = re.search(r"Temporary password: (\S+)", text).group(1)
        assert f"{stack.api}/console" in text
        manager = _sign_in(stack, console, "manager@demo.local", temporary, new_password="Manager-0wn-Passw0rd!")
        status, me = _api(stack, "GET", "/admin/me", manager["IdToken"])
        assert status == 200 and me["role"] == "manager" and me["subject"] == member["id"]
        assert _api(stack, "GET", "/admin/staff", manager["IdToken"])[0] == 403
        status, staff = _api(stack, "GET", "/admin/staff", owner["IdToken"])
        assert {(m["email"], m["status"]) for m in staff["items"]} == {("owner@demo.local", "active"),
                                                                        ("manager@demo.local", "active")}

        # an access token is not what the API takes
        assert _api(stack, "GET", "/admin/me", owner["AccessToken"])[0] == 401
        assert stack.stop() == 0

        demo = stack.start()  # moto forgot its users: the demo owner is made again, same password
        assert demo["console"]["password"] == console["password"]
        again = _sign_in(stack, demo["console"], console["email"], console["password"])
        status, me = _api(stack, "GET", "/admin/me", again["IdToken"])
        assert status == 200 and me["role"] == "owner"
        status, staff = _api(stack, "GET", "/admin/staff", again["IdToken"])
        assert [m["email"] for m in staff["items"] if m["email"] == "owner@demo.local"] == ["owner@demo.local"]
    finally:
        if stack.process and stack.process.poll() is None:
            stack.stop()
