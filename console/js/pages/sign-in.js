/* Sign-in: e-mail and password against Cognito, then whatever it asks next (a new password for an
   invited user, a TOTP code when MFA is on); and the forgotten-password path (a code by e-mail). */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;

  LC.texts({
    ru: {
      "signin.title": "Вход",
      "signin.email": "Электронная почта",
      "signin.password": "Пароль",
      "signin.submit": "Войти",
      "signin.forgot": "Забыли пароль?",
      "signin.new_password_title": "Придумайте пароль",
      "signin.new_password_intro": "Вы входите впервые: задайте свой пароль вместо временного из письма.",
      "signin.new_password": "Новый пароль",
      "signin.password_hint": "Не меньше 12 знаков: строчные и заглавные буквы, цифры и знак вроде ! или %.",
      "signin.new_password_submit": "Сохранить и войти",
      "signin.mfa_title": "Код из приложения",
      "signin.mfa_intro": "Откройте приложение-аутентификатор и введите шестизначный код.",
      "signin.code": "Код",
      "signin.mfa_submit": "Подтвердить",
      "signin.forgot_title": "Восстановление пароля",
      "signin.forgot_intro": "Мы пришлём код на вашу почту.",
      "signin.forgot_submit": "Прислать код",
      "signin.reset_intro": "Введите код из письма и новый пароль.",
      "signin.reset_submit": "Сменить пароль",
      "signin.reset_done": "Пароль изменён. Войдите с новым паролем.",
      "signin.back": "Вернуться ко входу",
      "signin.unsupported": "Этот шаг входа консоль не поддерживает: {step}."
    },
    en: {
      "signin.title": "Sign in",
      "signin.email": "E-mail",
      "signin.password": "Password",
      "signin.submit": "Sign in",
      "signin.forgot": "Forgot password?",
      "signin.new_password_title": "Choose a password",
      "signin.new_password_intro": "This is your first sign-in: set your own password instead of the temporary one from the e-mail.",
      "signin.new_password": "New password",
      "signin.password_hint": "At least 12 characters: lower and upper case letters, digits and a symbol such as ! or %.",
      "signin.new_password_submit": "Save and sign in",
      "signin.mfa_title": "Code from your app",
      "signin.mfa_intro": "Open your authenticator app and enter the six-digit code.",
      "signin.code": "Code",
      "signin.mfa_submit": "Confirm",
      "signin.forgot_title": "Reset your password",
      "signin.forgot_intro": "We will e-mail you a code.",
      "signin.forgot_submit": "Send the code",
      "signin.reset_intro": "Enter the code from the e-mail and a new password.",
      "signin.reset_submit": "Change password",
      "signin.reset_done": "Password changed. Sign in with the new one.",
      "signin.back": "Back to sign-in",
      "signin.unsupported": "The console does not support this sign-in step: {step}."
    }
  });

  function cognitoFailure(error) {
    // Cognito's failures carry no field: say them in the console's words at the top of the form.
    var failure = new Error(LC.auth.message(error));
    return failure;
  }

  /* Whatever Cognito answered: signed in, or the next step on the same page. */
  function next(page, result) {
    if (result.done) return LC.signedIn();
    if (result.challenge === "NEW_PASSWORD_REQUIRED") return newPassword(page, result);
    if (result.challenge === "SOFTWARE_TOKEN_MFA") return mfaCode(page, result);
    throw new Error(LC.t("signin.unsupported", {step: result.challenge}));
  }

  function step(page, titleKey, introKey, form) {
    LC.heading(LC.t(titleKey));
    LC.clear(page);
    LC.append(page, [h("p", {text: LC.t(introKey)}), form]);
    var first = form.querySelector("input");
    if (first) first.focus();
  }

  function newPassword(page, challenge) {
    step(page, "signin.new_password_title", "signin.new_password_intro", LC.form({
      fields: [{name: "password", label: LC.t("signin.new_password"), type: "password", required: true,
                autocomplete: "new-password", hint: LC.t("signin.password_hint")}],
      submit: LC.t("signin.new_password_submit"),
      onSubmit: function (values) {
        return LC.auth.respond(challenge, {NEW_PASSWORD: values.password})
          .catch(function (error) { throw cognitoFailure(error); })
          .then(function (result) { return next(page, result); });
      }
    }));
  }

  function mfaCode(page, challenge) {
    step(page, "signin.mfa_title", "signin.mfa_intro", LC.form({
      fields: [{name: "code", label: LC.t("signin.code"), required: true, inputmode: "numeric",
                autocomplete: "one-time-code", maxlength: 6, pattern: "[0-9]{6}"}],
      submit: LC.t("signin.mfa_submit"),
      onSubmit: function (values) {
        return LC.auth.respond(challenge, {SOFTWARE_TOKEN_MFA_CODE: values.code})
          .catch(function (error) { throw cognitoFailure(error); })
          .then(function (result) { return next(page, result); });
      }
    }));
  }

  LC.route("#/sign-in", {title: "signin.title", public: true, render: function (page) {
    if (LC.auth.signedIn()) { LC.go("#/"); return; }
    LC.append(page, [
      LC.form({
        fields: [{name: "email", label: LC.t("signin.email"), type: "email", required: true, autocomplete: "username"},
                 {name: "password", label: LC.t("signin.password"), type: "password", required: true,
                  autocomplete: "current-password"}],
        submit: LC.t("signin.submit"),
        onSubmit: function (values) {
          return LC.auth.signIn(values.email, values.password)
            .catch(function (error) { throw cognitoFailure(error); })
            .then(function (result) { return next(page, result); });
        }
      }),
      h("p", {}, h("a", {href: "#/sign-in/forgot", text: LC.t("signin.forgot")}))
    ]);
  }});

  LC.route("#/sign-in/forgot", {title: "signin.forgot_title", public: true, render: function (page) {
    var email = "";
    var reset = function () {
      LC.clear(page);
      LC.append(page, [h("p", {text: LC.t("signin.reset_intro")}), LC.form({
        fields: [{name: "code", label: LC.t("signin.code"), required: true, inputmode: "numeric", autocomplete: "one-time-code"},
                 {name: "password", label: LC.t("signin.new_password"), type: "password", required: true,
                  autocomplete: "new-password", hint: LC.t("signin.password_hint")}],
        submit: LC.t("signin.reset_submit"),
        onSubmit: function (values) {
          return LC.auth.confirmForgotPassword(email, values.code, values.password)
            .catch(function (error) { throw cognitoFailure(error); })
            .then(function () { LC.toast(LC.t("signin.reset_done")); LC.go("#/sign-in"); });
        }
      })]);
      page.querySelector("input").focus();
    };
    LC.append(page, [h("p", {text: LC.t("signin.forgot_intro")}), LC.form({
      fields: [{name: "email", label: LC.t("signin.email"), type: "email", required: true, autocomplete: "username"}],
      submit: LC.t("signin.forgot_submit"),
      onSubmit: function (values) {
        email = values.email;
        return LC.auth.forgotPassword(email).catch(function (error) { throw cognitoFailure(error); }).then(reset);
      }
    }), h("p", {}, h("a", {href: "#/sign-in", text: LC.t("signin.back")}))]);
  }});
})();
