/* Account: who you are, the console's language, two-factor sign-in (TOTP) and signing out everywhere. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;

  LC.texts({
    ru: {
      "account.title": "Учётная запись",
      "account.who": "Вы вошли как {email}, роль: {role}.",
      "account.language": "Язык консоли",
      "account.mfa": "Вход с кодом из приложения",
      "account.mfa_intro": "Кроме пароля, при входе будет нужен шестизначный код из приложения-аутентификатора (Google Authenticator, Яндекс Ключ, 1Password и др.).",
      "account.mfa_start": "Включить",
      "account.mfa_scan": "Отсканируйте QR-код приложением или введите секрет вручную, затем введите код из приложения.",
      "account.mfa_qr": "QR-код для приложения-аутентификатора",
      "account.mfa_secret": "Секрет",
      "account.mfa_code": "Код из приложения",
      "account.mfa_confirm": "Подтвердить и включить",
      "account.mfa_on": "Вход с кодом включён. При следующем входе понадобится код.",
      "account.mfa_off": "Выключить вход с кодом",
      "account.mfa_disabled": "Вход с кодом выключен.",
      "account.sign_out": "Выйти",
      "account.sign_out_intro": "Выход завершает сессии на всех устройствах.",
      "account.session": "Сессия хранится только в этой вкладке: закроете её — войдёте снова."
    },
    en: {
      "account.title": "Account",
      "account.who": "Signed in as {email}, role: {role}.",
      "account.language": "Console language",
      "account.mfa": "Sign-in with a code from an app",
      "account.mfa_intro": "Besides the password, signing in will need a six-digit code from an authenticator app (Google Authenticator, 1Password and others).",
      "account.mfa_start": "Turn on",
      "account.mfa_scan": "Scan the QR code with the app or type the secret in, then enter the code the app shows.",
      "account.mfa_qr": "QR code for the authenticator app",
      "account.mfa_secret": "Secret",
      "account.mfa_code": "Code from the app",
      "account.mfa_confirm": "Confirm and turn on",
      "account.mfa_on": "Sign-in with a code is on. The next sign-in will ask for a code.",
      "account.mfa_off": "Turn sign-in with a code off",
      "account.mfa_disabled": "Sign-in with a code is off.",
      "account.sign_out": "Sign out",
      "account.sign_out_intro": "Signing out ends your sessions on every device.",
      "account.session": "Your session lives only in this tab: close it and you sign in again."
    }
  });

  function mfaSection(holder) {
    var titleId = LC.uid("mfa");
    var body = h("div", {});
    var start = h("button", {type: "button", class: "primary", text: LC.t("account.mfa_start"), on: {click: function () {
      start.disabled = true;
      LC.auth.associateTotp().then(function (secret) {
        var email = (LC.me && LC.me.email) || LC.auth.claims().email || "";
        var uri = "otpauth://totp/" + encodeURIComponent("Loyalty:" + email) + "?secret=" + secret + "&issuer=Loyalty";
        LC.clear(body);
        LC.append(body, [
          h("p", {text: LC.t("account.mfa_scan")}),
          LC.qr(uri, LC.t("account.mfa_qr")),
          h("p", {}, h("strong", {text: LC.t("account.mfa_secret") + ": "}), h("code", {class: "secret mfa-secret", text: secret})),
          LC.form({
            fields: [{name: "code", label: LC.t("account.mfa_code"), required: true, inputmode: "numeric",
                      autocomplete: "one-time-code", maxlength: 6}],
            submit: LC.t("account.mfa_confirm"),
            onSubmit: function (values) {
              return LC.auth.verifyTotp(values.code).then(function () {
                LC.clear(body);
                body.appendChild(h("p", {class: "banner banner-ok", role: "status", text: LC.t("account.mfa_on")}));
              }).catch(function (error) { throw new Error(LC.auth.message(error)); });
            }
          })
        ]);
        body.querySelector("input").focus();
      }).catch(function (error) {
        start.disabled = false;
        LC.toast(LC.auth.message(error), "error");
      });
    }}});
    var off = h("button", {type: "button", text: LC.t("account.mfa_off"), on: {click: function () {
      LC.auth.disableTotp().then(function () { LC.toast(LC.t("account.mfa_disabled")); },
                                 function (error) { LC.toast(LC.auth.message(error), "error"); });
    }}});
    LC.append(body, [h("p", {class: "muted", text: LC.t("account.mfa_intro")}), h("div", {class: "actions"}, start, off)]);
    holder.appendChild(h("section", {class: "panel", "aria-labelledby": titleId}, h("h2", {id: titleId, text: LC.t("account.mfa")}), body));
  }

  LC.route("#/account", {title: "account.title", order: 95, render: function (page) {
    var langId = LC.uid("account-lang");
    var langTitle = LC.uid("account-lang-title"), outTitle = LC.uid("account-out");
    var lang = LC.languageSelect(langId);
    var email = (LC.me && LC.me.email) || LC.auth.claims().email || "";
    LC.append(page, [
      h("p", {text: LC.t("account.who", {email: email, role: LC.has("staff.role_short_" + (LC.me && LC.me.role))
        ? LC.t("staff.role_short_" + LC.me.role) : (LC.me && LC.me.role) || ""})}),
      h("section", {class: "panel", "aria-labelledby": langTitle}, h("h2", {id: langTitle, text: LC.t("account.language")}),
        h("div", {class: "field"}, h("label", {for: langId, text: LC.t("account.language")}), lang))
    ]);
    mfaSection(page);
    page.appendChild(h("section", {class: "panel", "aria-labelledby": outTitle},
      h("h2", {id: outTitle, text: LC.t("account.sign_out")}),
      h("p", {class: "muted", text: LC.t("account.sign_out_intro") + " " + LC.t("account.session")}),
      h("button", {type: "button", class: "danger sign-out", text: LC.t("account.sign_out"), on: {click: function () {
        LC.auth.signOut();
      }}})));
  }});
})();
