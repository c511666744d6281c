/* Locations (stores): add one, list them, edit one (name, address, coordinates, time zone, opening hours per
   weekday, the lock-screen text), close or reopen it, and each open location's own join link, QR and posters
   (a card that joins there gets it as its home). No delete: a closed location stays for history. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;
  var DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  var PROVIDERS = ["square", "shopify", "evotor"];  // core/locations.EXTERNAL_PROVIDERS: sales that name their store

  LC.texts({
    ru: {
      "locations.title": "Точки продаж",
      "locations.intro": "Магазины, кофейни, филиалы программы. Кассовый ключ можно привязать к точке: её чеки попадут в её статистику. У каждой открытой точки своя ссылка и QR-код для вступления: карта запомнит точку как «свою».",
      "locations.add": "Добавить точку",
      "locations.add_title": "Новая точка",
      "locations.edit": "Изменить",
      "locations.edit_label": "Изменить точку {name}",
      "locations.edit_title": "Точка «{name}»",
      "locations.save": "Сохранить",
      "locations.cancel": "Отмена",
      "locations.list": "Точки программы",
      "locations.none": "Точек пока нет: вся программа работает как одна точка.",
      "locations.name": "Название",
      "locations.name_hint": "Например, «Тверская, 1». Название должно отличаться от других точек.",
      "locations.address": "Адрес",
      "locations.coordinates": "Координаты (широта, долгота)",
      "locations.coordinates_hint": "Откройте точку на Яндекс Картах или Google Картах, нажмите на место правой кнопкой (на телефоне — долгим нажатием) и скопируйте координаты, например: 55.7601, 37.6186. По ним карта лояльности всплывёт на экране телефона рядом с точкой.",
      "locations.coordinates_bad": "Впишите два числа через запятую: широту (-90…90) и долготу (-180…180).",
      "locations.timezone": "Часовой пояс",
      "locations.timezone_hint": "Пусто — как у программы. Например, Asia/Yekaterinburg.",
      "locations.hours": "Часы работы",
      "locations.hours_hint": "Отметьте дни, когда точка работает, и впишите часы: промежутки через запятую, 09:00-13:00, 14:00-21:00. Ночной промежуток, например 22:00-02:00, заканчивается на следующий день. Неотмеченный день — выходной.",
      "locations.day_open": "{day}: работает",
      "locations.day_closed": "(не отмечено — выходной)",
      "locations.day_needs_hours": "Впишите часы работы или снимите отметку «работает».",
      "locations.closed_on": "Выходные: {days}",
      "locations.default_hours": "09:00-21:00",
      "locations.external_square": "Square: id точки (Location ID)",
      "locations.external_shopify": "Shopify: id точки (location_id)",
      "locations.external_evotor": "Эвотор: id магазина (storeId)",
      "locations.external_hint": "Если продажи этой точки приходят из Square, Shopify или Эвотора, укажите номер точки в той системе: её продажи попадут в статистику точки.",
      "locations.relevant_text": "Текст на экране блокировки",
      "locations.relevant_text_hint": "Коротко, до 120 знаков: его покажет iPhone рядом с точкой. Например, «Кофе с бонусами в 50 метрах».",
      "locations.day_mon": "Пн", "locations.day_tue": "Вт", "locations.day_wed": "Ср", "locations.day_thu": "Чт",
      "locations.day_fri": "Пт", "locations.day_sat": "Сб", "locations.day_sun": "Вс",
      "locations.col_status": "Состояние",
      "locations.col_join": "Ссылка для вступления, QR-код и плакаты",
      "locations.status_open": "открыта",
      "locations.status_closed": "закрыта",
      "locations.close": "Закрыть",
      "locations.close_label": "Закрыть точку {name}",
      "locations.close_confirm": "Закрыть точку «{name}»? Она останется в истории чеков и статистике, но пропадёт с карт и не сможет получить новые кассовые ключи.",
      "locations.closed": "Точка закрыта.",
      "locations.reopen": "Открыть снова",
      "locations.reopen_label": "Открыть снова точку {name}",
      "locations.reopened": "Точка снова открыта.",
      "locations.added": "Точка добавлена.",
      "locations.saved": "Изменения сохранены.",
      "locations.qr": "QR-код ссылки точки {name}",
      "locations.poster_a4": "Плакат A4",
      "locations.poster_a5": "Плакат A5",
      "error.location_name_taken": "Точка с таким названием уже есть.",
      "error.too_many_locations": "В программе может быть не больше 200 точек.",
      "error.unknown_location": "Такой открытой точки нет.",
      "error.location_mismatch": "Ключ этой кассы привязан к другой точке.",
      "error.location_not_found": "Такой точки нет."
    },
    en: {
      "locations.title": "Locations",
      "locations.intro": "The program's stores, cafés and branches. A till's key can belong to a location: its receipts count in that location's numbers. Each open location has its own join link and QR code: a card that joins there keeps it as its home.",
      "locations.add": "Add a location",
      "locations.add_title": "New location",
      "locations.edit": "Edit",
      "locations.edit_label": "Edit location {name}",
      "locations.edit_title": "Location “{name}”",
      "locations.save": "Save",
      "locations.cancel": "Cancel",
      "locations.list": "The program's locations",
      "locations.none": "No locations yet: the whole program works as one.",
      "locations.name": "Name",
      "locations.name_hint": "For example, “1 High Street”. Each location needs its own name.",
      "locations.address": "Address",
      "locations.coordinates": "Coordinates (latitude, longitude)",
      "locations.coordinates_hint": "Find the place on Google Maps or Yandex Maps, right-click it (a long press on a phone) and copy its coordinates, e.g. 55.7601, 37.6186. With them the loyalty card surfaces on the phone's lock screen near the location.",
      "locations.coordinates_bad": "Type two numbers with a comma between them: latitude (-90…90) and longitude (-180…180).",
      "locations.timezone": "Time zone",
      "locations.timezone_hint": "Empty: the program's. For example, Asia/Yekaterinburg.",
      "locations.hours": "Opening hours",
      "locations.hours_hint": "Tick the days the location is open and type its hours: spans with commas between them, 09:00-13:00, 14:00-21:00. A night span such as 22:00-02:00 ends the next day. A day not ticked is closed.",
      "locations.day_open": "{day}: open",
      "locations.day_closed": "(not ticked: closed)",
      "locations.day_needs_hours": "Type the opening hours, or untick “open”.",
      "locations.closed_on": "Closed on {days}",
      "locations.default_hours": "09:00-21:00",
      "locations.external_square": "Square: this store's Location ID",
      "locations.external_shopify": "Shopify: this store's location_id",
      "locations.external_evotor": "Evotor: this store's storeId",
      "locations.external_hint": "If this store's sales come through Square, Shopify or Evotor, give the store's id there: its sales then count for this location.",
      "locations.relevant_text": "Lock-screen text",
      "locations.relevant_text_hint": "Short, up to 120 characters: an iPhone shows it near the location. For example, “Coffee with points 50 m away”.",
      "locations.day_mon": "Mon", "locations.day_tue": "Tue", "locations.day_wed": "Wed", "locations.day_thu": "Thu",
      "locations.day_fri": "Fri", "locations.day_sat": "Sat", "locations.day_sun": "Sun",
      "locations.col_status": "Status",
      "locations.col_join": "Join link, QR code and posters",
      "locations.status_open": "open",
      "locations.status_closed": "closed",
      "locations.close": "Close",
      "locations.close_label": "Close location {name}",
      "locations.close_confirm": "Close the location “{name}”? It stays in the receipts' history and the numbers, but leaves the cards and takes no new till keys.",
      "locations.closed": "Location closed.",
      "locations.reopen": "Reopen",
      "locations.reopen_label": "Reopen location {name}",
      "locations.reopened": "Location reopened.",
      "locations.added": "Location added.",
      "locations.saved": "Changes saved.",
      "locations.qr": "QR code of the join link of {name}",
      "locations.poster_a4": "A4 poster",
      "locations.poster_a5": "A5 poster",
      "error.location_name_taken": "A location with this name exists already.",
      "error.too_many_locations": "A program has at most 200 locations.",
      "error.unknown_location": "There is no such open location.",
      "error.location_mismatch": "This till's key belongs to another location.",
      "error.location_not_found": "No such location."
    }
  });

  function base() {
    return "/admin/programs/" + LC.program.id + "/locations";
  }

  /* The program's locations (the POS keys page lists them too). */
  LC.locations = function () {
    return LC.api("GET", "/admin/programs/" + LC.program.id + "/locations").then(function (answer) { return answer.items; });
  };

  /* A location's join link: a card that joins with it gets the location as its home. */
  LC.locationJoinLink = function (program, location) {
    return LC.joinLink(program) + "?location=" + encodeURIComponent(location.id);
  };

  function fields(location) {
    location = location || {};
    var hours = location.hours || {};
    var point = location.latitude !== null && location.latitude !== undefined
      ? location.latitude + ", " + location.longitude : "";
    return [
      {name: "name", label: LC.t("locations.name"), hint: LC.t("locations.name_hint"), required: true, maxlength: 80,
       value: location.name || ""},
      {name: "address", label: LC.t("locations.address"), maxlength: 200, value: location.address || ""},
      {name: "coordinates", label: LC.t("locations.coordinates"), hint: LC.t("locations.coordinates_hint"),
       inputmode: "decimal", maxlength: 60, value: point, errorFields: ["latitude", "longitude"]},
      {name: "timezone", label: LC.t("locations.timezone"), hint: LC.t("locations.timezone_hint"), maxlength: 64,
       value: location.timezone || "", autocomplete: "off"},
      {name: "relevant_text", label: LC.t("locations.relevant_text"), hint: LC.t("locations.relevant_text_hint"),
       maxlength: 120, value: location.relevant_text || ""}
    ].concat(PROVIDERS.map(function (provider, index) {
      return {name: "external_ids." + provider, label: LC.t("locations.external_" + provider), maxlength: 128,
              hint: index === 0 ? LC.t("locations.external_hint") : undefined, autocomplete: "off",
              value: (location.external_ids || {})[provider] || ""};
    })).concat(DAYS.map(function (day, index) {
      return {name: "hours." + day, label: LC.t("locations.hours") + ": " + LC.t("locations.day_" + day),
              hint: index === 0 ? LC.t("locations.hours_hint") : undefined, maxlength: 60,
              value: (hours[day] || []).join(", ")};
    }));
  }

  /* The form's values as the API's body; a malformed coordinates pair is the form's own error. */
  function bodyOf(values) {
    var body = {name: values.name, address: values.address || null, timezone: values.timezone || null,
                relevant_text: values.relevant_text || null, latitude: null, longitude: null, hours: {}};
    body.external_ids = {};
    PROVIDERS.forEach(function (provider) {
      var id = String(values["external_ids." + provider] || "").trim();
      if (id) body.external_ids[provider] = id;
    });
    var point = String(values.coordinates || "").trim();
    if (point) {
      var parts = point.split(/[,;\s]+/).filter(Boolean).map(Number);
      if (parts.length !== 2 || parts.some(isNaN) || Math.abs(parts[0]) > 90 || Math.abs(parts[1]) > 180) {
        throw new LC.ApiError(400, "invalid_value", "coordinates", LC.t("locations.coordinates_bad"));
      }
      body.latitude = parts[0];
      body.longitude = parts[1];
    }
    DAYS.forEach(function (day) {
      var spans = String(values["hours." + day] || "").split(/[,;]+/).map(function (span) {
        return span.replace(/\s+/g, "");
      }).filter(Boolean);
      if (spans.length) body.hours[day] = spans;
    });
    return body;
  }

  function coordinatesError(form, error) {
    if (error.field === "coordinates") error.message = LC.t("locations.coordinates_bad");
    form.showError(error);
  }

  function locationForm(location, onSaved, onCancel) {
    var form = LC.form({
      class: "location-form",
      fields: fields(location),
      submit: location ? LC.t("locations.save") : LC.t("locations.add"),
      extra: onCancel ? h("button", {type: "button", text: LC.t("locations.cancel"), on: {click: onCancel}}) : null,
      onSubmit: function (values, form) {
        var body;
        var missing = DAYS.filter(function (day) {  // a day ticked open says its hours; one not ticked is closed
          if (!openBoxes[day].checked) { values["hours." + day] = ""; return false; }
          return !String(values["hours." + day] || "").trim();
        })[0];
        if (missing) {
          form.showError(new LC.ApiError(400, "required", "hours." + missing, LC.t("locations.day_needs_hours")));
          return null;
        }
        try { body = bodyOf(values); } catch (error) { coordinatesError(form, error); return null; }
        if (location) {
          return LC.api("PATCH", base() + "/" + encodeURIComponent(location.id), body).then(onSaved);
        }
        if (!body.timezone) delete body.timezone;
        return LC.api("POST", base(), body).then(function (created) {
          form.reset();
          return onSaved(created);
        });
      }
    });
    /* The weekdays' fields as one group with a legend; each day has its "open" box: a day not ticked says
       "closed" (no grey sample hours that look like a value), a day ticked shows its hours. */
    var first = form.field("hours.mon").closest(".field");
    var set = h("fieldset", {class: "location-hours"}, h("legend", {text: LC.t("locations.hours")}));
    first.before(set);
    var openBoxes = {};
    DAYS.forEach(function (day, index) {
      var input = form.field("hours." + day), row = input.closest(".field");
      var boxId = LC.uid("location-open-" + day);
      var box = h("input", {type: "checkbox", id: boxId, name: "open." + day, class: "location-day-open"});
      var closed = h("span", {class: "location-day-closed", text: LC.t("locations.day_closed")});
      box.checked = box.defaultChecked = !!input.value.trim();
      openBoxes[day] = box;
      function sync() {
        input.hidden = !box.checked;
        closed.hidden = box.checked;
      }
      box.addEventListener("change", function () {
        if (box.checked && !input.value.trim()) {  // the day before's hours, else the usual ones, as a real value
          var before = DAYS.slice(0, index).reverse().filter(function (d) { return openBoxes[d].checked && form.field("hours." + d).value.trim(); })[0];
          input.value = before ? form.field("hours." + before).value : LC.t("locations.default_hours");
        }
        sync();
        if (box.checked) input.focus();
      });
      input.before(h("div", {class: "location-day"}, box,
        h("label", {for: boxId, text: LC.t("locations.day_open", {day: LC.t("locations.day_" + day)})}), closed));
      sync();
      set.appendChild(row);
    });
    var reset = form.reset;
    form.reset = function () {
      reset();
      DAYS.forEach(function (day) {
        openBoxes[day].checked = false;
        form.field("hours." + day).hidden = true;
        openBoxes[day].closest(".location-day").querySelector(".location-day-closed").hidden = false;
      });
    };
    return form;
  }

  /* An open location's join link, its copy button, posters and QR code (folded: a phone's screen stays short). */
  function joinBlock(location) {
    var program = LC.program;
    var link = LC.locationJoinLink(program, location);
    var poster = "/console/poster/" + encodeURIComponent(program.slug) + "?lang=" + LC.lang + "&location=" +
      encodeURIComponent(location.id) + "&size=";
    return h("details", {class: "location-join"},
      h("summary", {text: LC.t("locations.col_join")}),
      h("p", {}, h("a", {href: link, class: "join-link", target: "_blank", rel: "noopener", text: link})),
      h("div", {class: "actions"}, LC.copyButton(link),
        h("a", {href: poster + "a4", target: "_blank", rel: "noopener", text: LC.t("locations.poster_a4")}),
        h("a", {href: poster + "a5", target: "_blank", rel: "noopener", text: LC.t("locations.poster_a5")})),
      LC.qr(link, LC.t("locations.qr", {name: location.name})));
  }

  /* "Mon 09:00-21:00; …; Closed on Sat, Sun" (nothing when no day has hours: none were given). */
  function hoursText(hours) {
    var open = DAYS.filter(function (day) { return hours && hours[day] && hours[day].length; });
    if (!open.length) return "";
    var closed = DAYS.filter(function (day) { return open.indexOf(day) < 0; });
    return open.map(function (day) {
      return LC.t("locations.day_" + day) + " " + hours[day].join(", ");
    }).concat(closed.length ? [LC.t("locations.closed_on", {days: closed.map(function (day) {
      return LC.t("locations.day_" + day);
    }).join(", ")})] : []).join("; ");
  }

  /* The locations as a list of panels (not a table: each one's link and QR code fit a phone's width). */
  function listLocations(holder, editor) {
    LC.loading(holder);
    return LC.locations().then(function (items) {
      LC.clear(holder);
      holder.removeAttribute("aria-busy");
      if (!items.length) { LC.empty(holder, LC.t("locations.none")); return; }
      var canWrite = LC.can("programs:write");
      var reload = function () { return listLocations(holder, editor); };
      holder.appendChild(h("ul", {class: "cards-list location-items"}, items.map(function (location) {
        var open = location.status === "open";
        var hours = hoursText(location.hours);
        return h("li", {class: ["panel", "location-item", open ? "" : "location-closed"], "data-location": location.id},
          h("h3", {class: "location-name", text: location.name}),
          h("p", {class: "location-status", text: LC.t("locations.col_status") + ": " +
                                                  LC.t("locations.status_" + location.status)}),
          location.address ? h("p", {class: "location-address", text: location.address}) : null,
          hours ? h("p", {class: "muted location-hours-text", text: hours}) : null,
          canWrite ? h("div", {class: "actions"},
            h("button", {type: "button", class: "location-edit-button", text: LC.t("locations.edit"),
                         "aria-label": LC.t("locations.edit_label", {name: location.name}),
                         on: {click: function () { edit(editor, location, reload); }}}),
            h("button", {type: "button", class: open ? "danger location-close" : "location-reopen",
                         text: LC.t(open ? "locations.close" : "locations.reopen"),
                         "aria-label": LC.t(open ? "locations.close_label" : "locations.reopen_label", {name: location.name}),
                         on: {click: function () { setStatus(location, open ? "closed" : "open", reload); }}})) : null,
          open ? joinBlock(location) : null);
      })));
    });
  }

  function setStatus(location, status, reload) {
    var asked = status === "closed"
      ? LC.confirm(LC.t("locations.close_confirm", {name: location.name}), LC.t("locations.close"))
      : Promise.resolve(true);
    return asked.then(function (yes) {
      if (!yes) return null;
      return LC.api("PATCH", base() + "/" + encodeURIComponent(location.id), {status: status}).then(function () {
        LC.toast(LC.t(status === "closed" ? "locations.closed" : "locations.reopened"));
        return reload();
      });
    }).catch(function (error) { LC.toast(error.message, "error"); });
  }

  function edit(editor, location, reload) {
    LC.clear(editor);
    var titleId = LC.uid("location-edit");
    var close = function () { LC.clear(editor); };
    LC.append(editor, h("section", {class: "panel location-edit", "aria-labelledby": titleId},
      h("h2", {id: titleId, tabindex: "-1", text: LC.t("locations.edit_title", {name: location.name})}),
      locationForm(location, function () {
        LC.toast(LC.t("locations.saved"));
        close();
        return reload();
      }, close)));
    editor.querySelector("h2").focus();
  }

  LC.route("#/locations", {title: "locations.title", permission: "programs:read", needsProgram: true, order: 28,
    render: function (page) {
      var list = h("div", {class: "location-list"});
      var editor = h("div", {class: "location-editor"});
      var listId = LC.uid("locations-list");
      page.appendChild(h("p", {class: "muted", text: LC.t("locations.intro")}));
      if (LC.can("programs:write")) {
        var addId = LC.uid("locations-add");
        page.appendChild(h("details", {class: "panel location-add"},
          h("summary", {id: addId, text: LC.t("locations.add_title")}),
          locationForm(null, function () {
            LC.toast(LC.t("locations.added"));
            return listLocations(list, editor);
          })));
      }
      LC.append(page, [editor, h("section", {"aria-labelledby": listId},
        h("h2", {id: listId, text: LC.t("locations.list")}), list)]);
      return listLocations(list, editor);
    }});
})();
