/* The console's library, part 2: sign-in against the Cognito user pool, straight from the browser
   (its JSON API: POST {endpoint} with X-Amz-Target). We keep no passwords.
   Token keeping: the ID token (what our API takes) lives only in memory, so no other script, tab or
   later visit can read it from storage; the refresh token lives in sessionStorage: one tab's session,
   gone when the tab closes, which survives a reload of the page. Neither ever goes into a URL or a log. */
(function () {
  "use strict";
  var LC = window.LC;
  var REFRESH_KEY = "lc.refresh";
  var state = {idToken: null, accessToken: null, expiresAt: 0, timer: null, refreshing: null};
  var auth = LC.auth = {};

  LC.config = null;  // /console/config.json: {cognito: {region, client_id, endpoint}, languages}

  /* A Cognito failure: `name` is Cognito's exception name (NotAuthorizedException, CodeMismatchException...). */
  function CognitoError(name, message) {
    this.name = name || "CognitoError";
    this.code = name;
    this.message = message || name;
  }
  CognitoError.prototype = Object.create(Error.prototype);
  auth.CognitoError = CognitoError;

  function call(operation, body) {
    var cognito = LC.config.cognito;
    return fetch(cognito.endpoint, {
      method: "POST",
      headers: {"Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService." + operation},
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store"
    }).catch(function () {
      throw new CognitoError("NetworkError", LC.t("core.network"));
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = {};
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
        if (!response.ok) {
          var kind = String(data.__type || data.code || "CognitoError").split("#").pop();
          throw new CognitoError(kind, data.message || data.Message || kind);
        }
        return data;
      });
    });
  }
  auth.call = call;

  function claims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      return JSON.parse(decodeURIComponent(Array.prototype.map.call(window.atob(part), function (c) {
        return "%" + ("00" + c.charCodeAt(0).toString(16)).slice(-2);
      }).join("")));
    } catch (e) {
      return {};
    }
  }
  auth.claims = function () { return state.idToken ? claims(state.idToken) : {}; };

  function keep(result) {
    state.idToken = result.IdToken;
    state.accessToken = result.AccessToken;
    var exp = claims(result.IdToken).exp;
    state.expiresAt = exp ? exp * 1000 : Date.now() + (result.ExpiresIn || 3600) * 1000;
    if (result.RefreshToken) {
      try { window.sessionStorage.setItem(REFRESH_KEY, result.RefreshToken); } catch (e) { /* memory only */ }
    }
    // Refresh a minute before the ID token expires, so API calls rarely meet a 401.
    window.clearTimeout(state.timer);
    var wait = Math.max(5000, state.expiresAt - Date.now() - 60000);
    state.timer = window.setTimeout(function () { auth.refresh().catch(function () { auth.ended(); }); }, wait);
  }

  /* What a sign-in step answered: {done: true} or {challenge: "NEW_PASSWORD_REQUIRED"|"SOFTWARE_TOKEN_MFA", ...}. */
  function step(email, data) {
    if (data.AuthenticationResult) {
      keep(data.AuthenticationResult);
      return {done: true};
    }
    return {challenge: data.ChallengeName, session: data.Session, email: email,
            parameters: data.ChallengeParameters || {}};
  }

  auth.signIn = function (email, password) {
    return call("InitiateAuth", {AuthFlow: "USER_PASSWORD_AUTH", ClientId: LC.config.cognito.client_id,
                                 AuthParameters: {USERNAME: email, PASSWORD: password}})
      .then(function (data) { return step(email, data); });
  };

  /* Answer a challenge: NEW_PASSWORD_REQUIRED with {NEW_PASSWORD}, SOFTWARE_TOKEN_MFA with {SOFTWARE_TOKEN_MFA_CODE}. */
  auth.respond = function (challenge, answers) {
    var responses = {USERNAME: challenge.parameters.USER_ID_FOR_SRP || challenge.email};
    Object.keys(answers).forEach(function (k) { responses[k] = answers[k]; });
    return call("RespondToAuthChallenge", {ChallengeName: challenge.challenge, ClientId: LC.config.cognito.client_id,
                                           Session: challenge.session, ChallengeResponses: responses})
      .then(function (data) { return step(challenge.email, data); });
  };

  auth.refresh = function () {
    if (state.refreshing) return state.refreshing;
    var token = null;
    try { token = window.sessionStorage.getItem(REFRESH_KEY); } catch (e) { token = null; }
    if (!token) return Promise.reject(new CognitoError("NoSession", LC.t("core.session_ended")));
    state.refreshing = call("InitiateAuth", {AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: LC.config.cognito.client_id,
                                             AuthParameters: {REFRESH_TOKEN: token}})
      .then(function (data) { keep(data.AuthenticationResult); return true; })
      .catch(function (error) {
        if (error.code !== "NetworkError") forget();
        throw error;
      })
      .then(function (ok) { state.refreshing = null; return ok; },
            function (error) { state.refreshing = null; throw error; });
    return state.refreshing;
  };

  auth.hasSession = function () {
    try { return Boolean(window.sessionStorage.getItem(REFRESH_KEY)); } catch (e) { return false; }
  };
  auth.signedIn = function () { return Boolean(state.idToken); };
  auth.idToken = function () { return state.idToken; };
  auth.accessToken = function () { return state.accessToken; };

  function forget() {
    window.clearTimeout(state.timer);
    state.idToken = state.accessToken = null;
    state.expiresAt = 0;
    try { window.sessionStorage.removeItem(REFRESH_KEY); } catch (e) { /* nothing kept */ }
  }
  auth.forget = forget;

  /* Sign out everywhere: GlobalSignOut revokes this user's refresh tokens on every device. */
  auth.signOut = function () {
    var access = state.accessToken;
    forget();
    var done = access ? call("GlobalSignOut", {AccessToken: access}).catch(function () { return null; })
                      : Promise.resolve(null);
    return done.then(function () { if (LC.onSignedOut) LC.onSignedOut(); });
  };

  /* The session could not be renewed: back to the sign-in page. */
  auth.ended = function () {
    forget();
    if (LC.onSignedOut) LC.onSignedOut(LC.t("core.session_ended"));
  };

  auth.forgotPassword = function (email) {
    return call("ForgotPassword", {ClientId: LC.config.cognito.client_id, Username: email});
  };
  auth.confirmForgotPassword = function (email, code, password) {
    return call("ConfirmForgotPassword", {ClientId: LC.config.cognito.client_id, Username: email,
                                          ConfirmationCode: code, Password: password});
  };

  // TOTP (the account page): a secret to show, the first code to check, then TOTP becomes required.
  auth.associateTotp = function () {
    return call("AssociateSoftwareToken", {AccessToken: state.accessToken})
      .then(function (data) { return data.SecretCode; });
  };
  auth.verifyTotp = function (code, deviceName) {
    return call("VerifySoftwareToken", {AccessToken: state.accessToken, UserCode: code,
                                        FriendlyDeviceName: deviceName || "console"})
      .then(function (data) {
        if (data.Status && data.Status !== "SUCCESS") throw new CognitoError("CodeMismatchException", data.Status);
        return call("SetUserMFAPreference", {AccessToken: state.accessToken,
                                             SoftwareTokenMfaSettings: {Enabled: true, PreferredMfa: true}});
      });
  };
  auth.disableTotp = function () {
    return call("SetUserMFAPreference", {AccessToken: state.accessToken,
                                         SoftwareTokenMfaSettings: {Enabled: false, PreferredMfa: false}});
  };

  /* A Cognito failure in the console's words (falls back to Cognito's own message). */
  auth.message = function (error) {
    var key = "auth." + (error && error.code);
    return LC.has(key) ? LC.t(key) : (error && error.message) || String(error);
  };

  LC.texts({
    ru: {
      "auth.NotAuthorizedException": "Неверная почта или пароль.",
      "auth.UserNotFoundException": "Неверная почта или пароль.",
      "auth.CodeMismatchException": "Код не подошёл. Проверьте и введите снова.",
      "auth.ExpiredCodeException": "Срок кода истёк. Запросите новый.",
      "auth.InvalidPasswordException": "Пароль слишком простой: не меньше 12 знаков, строчные и заглавные буквы, цифры и знак вроде ! или %.",
      "auth.InvalidParameterException": "Проверьте введённые данные.",
      "auth.LimitExceededException": "Слишком много попыток. Подождите немного.",
      "auth.TooManyRequestsException": "Слишком много попыток. Подождите немного.",
      "auth.PasswordResetRequiredException": "Нужно сбросить пароль: нажмите «Забыли пароль?».",
      "auth.UserNotConfirmedException": "Учётная запись не подтверждена.",
      "auth.NetworkError": "Нет связи со службой входа. Проверьте интернет."
    },
    en: {
      "auth.NotAuthorizedException": "Wrong e-mail or password.",
      "auth.UserNotFoundException": "Wrong e-mail or password.",
      "auth.CodeMismatchException": "The code did not match. Check it and try again.",
      "auth.ExpiredCodeException": "The code has expired. Ask for a new one.",
      "auth.InvalidPasswordException": "The password is too weak: at least 12 characters, lower and upper case letters, digits and a symbol such as ! or %.",
      "auth.InvalidParameterException": "Check what you entered.",
      "auth.LimitExceededException": "Too many attempts. Wait a little.",
      "auth.TooManyRequestsException": "Too many attempts. Wait a little.",
      "auth.PasswordResetRequiredException": "Your password must be reset: use “Forgot password?”.",
      "auth.UserNotConfirmedException": "This account is not confirmed.",
      "auth.NetworkError": "Cannot reach the sign-in service. Check the connection."
    }
  });
})();
