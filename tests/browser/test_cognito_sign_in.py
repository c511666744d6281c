"""The console's sign-in as the browser makes it: Chromium, on a page of the API's origin, calls the local
Cognito stand-in (another origin: CORS) with the banner's credentials, then the API with the ID token."""
SIGN_IN = """async ([endpoint, clientId, email, password, api]) => {
  const answer = await fetch(endpoint + "/", {method: "POST", headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"},
    body: JSON.stringify({AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId,
                          AuthParameters: {USERNAME: email, PASSWORD: password}})});
  const tokens = (await answer.json()).AuthenticationResult;
  const me = await fetch(api + "/admin/me", {headers: {Authorization: "Bearer " + tokens.IdToken}});
  return {status: me.status, me: await me.json()};
}"""


def test_the_demo_owner_signs_in_from_a_browser_page(stack, page):
    console = stack.demo["console"]
    # the favicon is another part's (issue 14, pages); this test is about the sign-in alone
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{stack.api}/openapi.json")  # any page of the API's origin: the console's will be one
    result = page.evaluate(SIGN_IN, [console["cognito_endpoint"], console["client_id"], console["email"],
                                     console["password"], stack.api])
    assert result["status"] == 200
    assert result["me"]["role"] == "owner" and result["me"]["email"] == console["email"]
    assert result["me"]["merchant"]["id"] == stack.demo["merchant_id"]
