/* Staff (owners only): invite a manager, analyst, cashier or another owner by e-mail (Cognito sends a
   temporary password), change a role, remove someone (their next sign-in and token refresh fail). A
   cashier works at the locations chosen for them (the open ones GET /admin/till lists to the owner). */
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
      "staff.role_cashier": "Кассир — только касса на своих точках",
      "staff.locations": "Точки кассира",
      "staff.locations_hint": "Кассир продаёт и оформляет возвраты только на отмеченных точках.",
      "staff.no_locations": "Открытых точек нет: сначала добавьте точку в программу.",
      "staff.locations_of": "Точки: {names}",
      "staff.locations_none": "Точки: ни одной открытой",
      "staff.edit_locations": "Точки",
      "staff.save_locations": "Сохранить точки",
      "staff.locations_saved": "Точки сохранены.",
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
      "staff.role_cashier": "Cashier: the till at their locations only",
      "staff.locations": "Cashier's locations",
      "staff.locations_hint": "A cashier sells and refunds only at the locations ticked.",
      "staff.no_locations": "No open location: add one to a program first.",
      "staff.locations_of": "Locations: {names}",
      "staff.locations_none": "Locations: none open",
      "staff.edit_locations": "Locations",
      "staff.save_locations": "Save the locations",
      "staff.locations_saved": "Locations saved.",
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

  var places = [];  // the merchant's open locations: [{id, name, program_name}]

  /* Checkboxes of the open locations, `chosen` ticked; .chosen() answers the ids ticked. */
  function locationPicker(chosen) {
    var legendId = LC.uid("staff-locations");
    var boxes = places.map(function (place) {
      var id = LC.uid("staff-location");
      var box = h("input", {type: "checkbox", id: id, value: place.id, checked: (chosen || []).indexOf(place.id) >= 0});
      return {box: box, row: h("div", {class: "field field-check"}, box,
                               h("label", {for: id, text: place.name + (places.length > 1 && place.program_name ? " · " + place.program_name : "")}))};
    });
    var set = h("fieldset", {class: "staff-locations", "aria-labelledby": legendId},
      h("legend", {id: legendId, text: LC.t("staff.locations")}),
      h("p", {class: "hint", text: places.length ? LC.t("staff.locations_hint") : LC.t("staff.no_locations")}),
      boxes.map(function (item) { return item.row; }));
    set.chosen = function () {
      return boxes.filter(function (item) { return item.box.checked; }).map(function (item) { return item.box.value; });
    };
    return set;
  }

  function locationNames(ids) {
    var names = (ids || []).map(function (id) {
      var place = places.filter(function (p) { return p.id === id; })[0];
      return place ? place.name : null;
    }).filter(Boolean);
    return names.length ? LC.t("staff.locations_of", {names: names.join(", ")}) : LC.t("staff.locations_none");
  }

  function loadPlaces() {
    if (!LC.can("till:write")) return Promise.resolve([]);
    return LC.api("GET", "/admin/till").then(function (till) {
      places = till.locations.map(function (l) { return {id: l.id, name: l.name, program_name: l.program_name}; });
      return places;
    }).catch(function () { places = []; return places; });
  }

  function roleOptions(short) {
    return ROLES.map(function (role) { return {value: role, label: LC.t((short ? "staff.role_short_" : "staff.role_") + role)}; });
  }

  function member(item, holder) {
    var name = item.name || item.email;
    var me = LC.me && (item.id === LC.me.subject || (LC.me.email && item.email === LC.me.email));
    var selectId = LC.uid("role");
    var editor = h("div", {class: "staff-locations-editor"});
    function editLocations(role) {
      var picker = locationPicker(item.location_ids);
      var save = h("button", {type: "button", class: "primary", text: LC.t("staff.save_locations"), on: {click: function () {
        save.disabled = true;
        LC.api("PATCH", "/admin/staff/" + encodeURIComponent(item.id), {role: role, location_ids: picker.chosen()})
          .then(function () {
            LC.toast(LC.t(role === item.role ? "staff.locations_saved" : "staff.role_changed"));
            return load(holder);
          }).catch(function (error) {
            save.disabled = false;
            LC.toast(error.message, "error");
          });
      }}});
      var cancel = h("button", {type: "button", text: LC.t("core.cancel"), on: {click: function () {
        select.value = item.role;
        LC.clear(editor);
      }}});
      LC.append(LC.clear(editor), [picker, h("div", {class: "actions"}, save, cancel)]);
    }
    var select = h("select", {id: selectId, disabled: me, on: {change: function () {
      if (select.value === "cashier") { editLocations("cashier"); return; }  // a cashier needs locations first
      LC.clear(editor);
      select.disabled = true;
      LC.api("PATCH", "/admin/staff/" + encodeURIComponent(item.id), {role: select.value}).then(function () {
        LC.toast(LC.t("staff.role_changed"));
        item.location_ids = null;
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
      item.role === "cashier" ? h("p", {class: "muted staff-member-locations", text: locationNames(item.location_ids)}) : null,
      h("div", {class: "actions"},
        h("label", {for: selectId, class: "visually-hidden", text: LC.t("staff.role_of", {name: name})}), select,
        item.role === "cashier" && !me ? h("button", {type: "button", text: LC.t("staff.edit_locations"),
                                                      on: {click: function () { editLocations("cashier"); }}}) : null,
        me ? null : h("button", {type: "button", class: "danger", text: LC.t("staff.remove"),
                                 "aria-label": LC.t("staff.remove_label", {name: name}), on: {click: function () {
          LC.confirm(LC.t("staff.remove_confirm", {name: name}), LC.t("staff.remove")).then(function (yes) {
            if (!yes) return null;
            return LC.api("DELETE", "/admin/staff/" + encodeURIComponent(item.id)).then(function () {
              LC.toast(LC.t("staff.removed"));
              return load(holder);
            });
          }).catch(function (error) { LC.toast(error.message, "error"); });
        }}})), editor);
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
    LC.loading(page);
    return loadPlaces().then(function () {  // the cashiers' location choices first, then the page
      LC.loaded(LC.clear(page));
      return draw(page);
    });
  }});

  function draw(page) {
    var list = h("div", {class: "staff-list"});
    var inviteTitle = LC.uid("staff-invite"), listTitle = LC.uid("staff-team");
    var pickerBox = h("div", {class: "staff-invite-locations", hidden: true});
    var picker = null;
    var form = LC.form({
      fields: [{name: "email", label: LC.t("staff.email"), type: "email", required: true, autocomplete: "off"},
               {name: "name", label: LC.t("staff.name"), maxlength: 100, autocomplete: "off"},
               {name: "role", label: LC.t("staff.role"), type: "select", value: "manager", options: roleOptions(false)},
               {element: pickerBox},
               {name: "language", label: LC.t("staff.language"), type: "select", value: LC.lang,
                options: [{value: "ru", label: "Русский"}, {value: "en", label: "English"}]}],
      submit: LC.t("staff.invite"),
      onSubmit: function (values) {
        var body = {email: values.email, role: values.role, language: values.language};
        if (values.name) body.name = values.name;
        if (values.role === "cashier") body.location_ids = picker ? picker.chosen() : [];
        return LC.api("POST", "/admin/staff", body).then(function () {
          LC.toast(LC.t("staff.invited", {email: values.email}));
          form.reset();
          pickerBox.hidden = true;
          return load(list);
        });
      }
    });
    form.field("role").addEventListener("change", function () {
      var cashier = form.field("role").value === "cashier";
      pickerBox.hidden = !cashier;
      if (cashier && !picker) {
        picker = locationPicker([]);
        pickerBox.appendChild(picker);
      }
    });
    LC.append(page, [
      h("p", {class: "muted", text: LC.t("staff.intro")}),
      LC.can("staff:write") ? h("section", {"aria-labelledby": inviteTitle}, h("h2", {id: inviteTitle, text: LC.t("staff.invite_title")}), form) : null,
      h("section", {"aria-labelledby": listTitle}, h("h2", {id: listTitle, text: LC.t("staff.list")}), list)
    ]);
    return load(list);
  }
})();
