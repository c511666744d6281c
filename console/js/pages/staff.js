/* Staff (owners only): invite a manager, analyst, cashier or another owner by e-mail (Cognito sends a
   temporary password), change a role, remove someone (their next sign-in and token refresh fail). */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;
  var ROLES = ["owner", "manager", "analyst", "cashier"];

  LC.texts({
    ru: {
      "staff.title": "Сотрудники",
      "staff.intro": "Приглашённый получит письмо с временным паролем и при первом входе задаст свой.",
      "staff.invite": "Пригласить",
      "staff.invite_title": "Пригласить сотрудника",
      "staff.email": "Электронная почта",
      "staff.name": "Имя",
      "staff.role": "Роль",
      "staff.language": "Язык письма",
      "staff.invited": "Приглашение отправлено на {email}.",
      "staff.list": "Команда",
      "staff.none": "Кроме вас, никого нет.",
      "staff.role_owner": "Владелец — всё, включая ключи и сотрудников",
      "staff.role_manager": "Менеджер — клиенты, баллы и рассылки",
      "staff.role_analyst": "Аналитик — статистика, без контактов клиентов",
      "staff.role_cashier": "Кассир — найти карту клиента",
      "staff.role_short_owner": "владелец",
      "staff.role_short_manager": "менеджер",
      "staff.role_short_analyst": "аналитик",
      "staff.role_short_cashier": "кассир",
      "staff.status_invited": "приглашён",
      "staff.status_active": "активен",
      "staff.status_disabled": "отключён",
      "staff.role_of": "Роль: {name}",
      "staff.role_changed": "Роль изменена.",
      "staff.remove": "Удалить",
      "staff.remove_label": "Удалить {name}",
      "staff.remove_confirm": "Удалить {name} из команды? Доступ пропадёт сразу.",
      "staff.removed": "Сотрудник удалён.",
      "staff.you": "это вы"
    },
    en: {
      "staff.title": "Staff",
      "staff.intro": "The person invited gets an e-mail with a temporary password and sets their own at first sign-in.",
      "staff.invite": "Invite",
      "staff.invite_title": "Invite a staff member",
      "staff.email": "E-mail",
      "staff.name": "Name",
      "staff.role": "Role",
      "staff.language": "Language of the e-mail",
      "staff.invited": "Invitation sent to {email}.",
      "staff.list": "Team",
      "staff.none": "Nobody but you yet.",
      "staff.role_owner": "Owner: everything, keys and staff included",
      "staff.role_manager": "Manager: customers, points and campaigns",
      "staff.role_analyst": "Analyst: statistics, no customer contacts",
      "staff.role_cashier": "Cashier: look up a customer's card",
      "staff.role_short_owner": "owner",
      "staff.role_short_manager": "manager",
      "staff.role_short_analyst": "analyst",
      "staff.role_short_cashier": "cashier",
      "staff.status_invited": "invited",
      "staff.status_active": "active",
      "staff.status_disabled": "disabled",
      "staff.role_of": "Role of {name}",
      "staff.role_changed": "Role changed.",
      "staff.remove": "Remove",
      "staff.remove_label": "Remove {name}",
      "staff.remove_confirm": "Remove {name} from the team? Their access ends at once.",
      "staff.removed": "Staff member removed.",
      "staff.you": "you"
    }
  });

  function roleOptions(short) {
    return ROLES.map(function (role) { return {value: role, label: LC.t((short ? "staff.role_short_" : "staff.role_") + role)}; });
  }

  function member(item, holder) {
    var name = item.name || item.email;
    var me = LC.me && (item.id === LC.me.subject || (LC.me.email && item.email === LC.me.email));
    var selectId = LC.uid("role");
    var select = h("select", {id: selectId, disabled: me, on: {change: function () {
      select.disabled = true;
      LC.api("PATCH", "/admin/staff/" + encodeURIComponent(item.id), {role: select.value}).then(function () {
        LC.toast(LC.t("staff.role_changed"));
      }).catch(function (error) {
        select.value = item.role;
        LC.toast(error.message, "error");
      }).then(function () { select.disabled = false; item.role = select.value; });
    }}}, roleOptions(true).map(function (option) {
      return h("option", {value: option.value, text: option.label, selected: option.value === item.role});
    }));
    return h("li", {class: "panel staff-member"},
      h("p", {}, h("strong", {text: name}), item.name ? h("span", {class: "muted", text: " · " + item.email}) : null,
        me ? h("span", {class: "muted", text: " (" + LC.t("staff.you") + ")"}) : null),
      h("p", {class: "muted", text: LC.t("staff.status_" + item.status)}),
      h("div", {class: "actions"},
        h("label", {for: selectId, class: "visually-hidden", text: LC.t("staff.role_of", {name: name})}), select,
        me ? null : h("button", {type: "button", class: "danger", text: LC.t("staff.remove"),
                                 "aria-label": LC.t("staff.remove_label", {name: name}), on: {click: function () {
          LC.confirm(LC.t("staff.remove_confirm", {name: name}), LC.t("staff.remove")).then(function (yes) {
            if (!yes) return null;
            return LC.api("DELETE", "/admin/staff/" + encodeURIComponent(item.id)).then(function () {
              LC.toast(LC.t("staff.removed"));
              return load(holder);
            });
          }).catch(function (error) { LC.toast(error.message, "error"); });
        }}})));
  }

  function load(holder) {
    LC.loading(holder);
    return LC.api("GET", "/admin/staff").then(function (page) {
      LC.loaded(LC.clear(holder));
      if (!page.items.length) { LC.empty(holder, LC.t("staff.none")); return; }
      holder.appendChild(h("ul", {class: "cards-list"}, page.items.map(function (item) { return member(item, holder); })));
    });
  }

  LC.route("#/staff", {title: "staff.title", permission: "staff:read", order: 80, render: function (page) {
    var list = h("div", {class: "staff-list"});
    var inviteTitle = LC.uid("staff-invite"), listTitle = LC.uid("staff-team");
    var form = LC.form({
      fields: [{name: "email", label: LC.t("staff.email"), type: "email", required: true, autocomplete: "off"},
               {name: "name", label: LC.t("staff.name"), maxlength: 100, autocomplete: "off"},
               {name: "role", label: LC.t("staff.role"), type: "select", value: "manager", options: roleOptions(false)},
               {name: "language", label: LC.t("staff.language"), type: "select", value: LC.lang,
                options: [{value: "ru", label: "Русский"}, {value: "en", label: "English"}]}],
      submit: LC.t("staff.invite"),
      onSubmit: function (values) {
        var body = {email: values.email, role: values.role, language: values.language};
        if (values.name) body.name = values.name;
        return LC.api("POST", "/admin/staff", body).then(function () {
          LC.toast(LC.t("staff.invited", {email: values.email}));
          form.reset();
          return load(list);
        });
      }
    });
    LC.append(page, [
      h("p", {class: "muted", text: LC.t("staff.intro")}),
      LC.can("staff:write") ? h("section", {"aria-labelledby": inviteTitle}, h("h2", {id: inviteTitle, text: LC.t("staff.invite_title")}), form) : null,
      h("section", {"aria-labelledby": listTitle}, h("h2", {id: listTitle, text: LC.t("staff.list")}), list)
    ]);
    return load(list);
  }});
})();
