/* POS keys: create one (its secret shown once, with a copy button and a test), list them, revoke one.
   The test signs POST /pos/quote in the browser with the new secret (WebCrypto HMAC-SHA256, the scheme
   of the README's "POS keys and signatures"): a quote writes nothing, so analytics stay clean. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;

  LC.texts({
    ru: {
      "keys.title": "Ключи для кассы",
      "keys.intro": "Касса подписывает каждый запрос ключом программы. Дайте каждой кассе свой ключ: отозвать его можно в любой момент.",
      "keys.label": "Название ключа",
      "keys.label_hint": "Например, «Касса у входа».",
      "keys.create": "Создать ключ",
      "keys.created_title": "Ключ создан",
      "keys.secret_once": "Секрет показан один раз: скопируйте его в настройки кассы сейчас. Мы храним только его отпечаток.",
      "keys.key_id": "Идентификатор ключа",
      "keys.secret": "Секрет",
      "keys.copy_secret": "Скопировать секрет",
      "keys.copy_id": "Скопировать идентификатор",
      "keys.test": "Проверить ключ",
      "keys.test_needs_card": "Для проверки нужна хотя бы одна карта: вступите в программу сами по ссылке и проверьте снова.",
      "keys.test_ok_card": "Ключ работает: для карты {card} доступно {available}, за покупку на 1000 начислится {earn} (это расчёт, не чек: в статистику не попадает).",
      "keys.test_failed": "Ключ не прошёл проверку: {message}",
      "keys.list": "Ключи программы",
      "keys.none": "Ключей пока нет.",
      "keys.status_active": "действует",
      "keys.status_revoked": "отозван",
      "keys.col_label": "Название",
      "keys.col_id": "Идентификатор",
      "keys.col_created": "Создан",
      "keys.col_status": "Состояние",
      "keys.col_actions": "Действия",
      "keys.revoke": "Отозвать",
      "keys.revoke_label": "Отозвать ключ {label}",
      "keys.revoke_confirm": "Отозвать ключ «{label}»? Касса с ним перестанет работать в течение минуты.",
      "keys.revoked": "Ключ отозван.",
      "keys.unnamed": "без названия",
      "keys.location": "Точка продаж",
      "keys.location_hint": "Чеки с этим ключом попадут в статистику точки. «Вся программа» — для кассы, которая обслуживает все точки (она может назвать точку в самом чеке).",
      "keys.whole_program": "Вся программа",
      "keys.col_location": "Точка"
    },
    en: {
      "keys.title": "Keys for the till",
      "keys.intro": "The till signs every request with a program key. Give each till its own key: you can revoke it at any time.",
      "keys.label": "Key name",
      "keys.label_hint": "For example, “Front till”.",
      "keys.create": "Create a key",
      "keys.created_title": "Key created",
      "keys.secret_once": "The secret is shown once: copy it into the till's settings now. We keep only its fingerprint.",
      "keys.key_id": "Key id",
      "keys.secret": "Secret",
      "keys.copy_secret": "Copy the secret",
      "keys.copy_id": "Copy the id",
      "keys.test": "Test the key",
      "keys.test_needs_card": "A test needs at least one card: join the program yourself with its link, then test again.",
      "keys.test_ok_card": "The key works: card {card} has {available} to spend and would earn {earn} on a 1,000 purchase (a quote, not a receipt: analytics stay clean).",
      "keys.test_failed": "The key failed the test: {message}",
      "keys.list": "The program's keys",
      "keys.none": "No keys yet.",
      "keys.status_active": "active",
      "keys.status_revoked": "revoked",
      "keys.col_label": "Name",
      "keys.col_id": "Id",
      "keys.col_created": "Created",
      "keys.col_status": "Status",
      "keys.col_actions": "Actions",
      "keys.revoke": "Revoke",
      "keys.revoke_label": "Revoke key {label}",
      "keys.revoke_confirm": "Revoke the key “{label}”? A till using it stops working within a minute.",
      "keys.revoked": "Key revoked.",
      "keys.unnamed": "unnamed",
      "keys.location": "Location",
      "keys.location_hint": "Receipts signed with this key count at the location. “Whole program”: a till serving every location (it may name the location in each receipt).",
      "keys.whole_program": "Whole program",
      "keys.col_location": "Location"
    }
  });

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* Sign and send a POS request exactly as a till would. */
  LC.posRequest = function (keyId, secret, method, path, body) {
    var timestamp = String(Math.floor(Date.now() / 1000));
    var text = body === undefined ? "" : JSON.stringify(body);
    var encoder = new TextEncoder();
    return crypto.subtle.importKey("raw", encoder.encode(secret), {name: "HMAC", hash: "SHA-256"}, false, ["sign"])
      .then(function (key) {
        return crypto.subtle.sign("HMAC", key, encoder.encode(timestamp + "." + method + "." + path + "." + text));
      })
      .then(function (signature) {
        return fetch(path, {method: method, body: text || undefined, cache: "no-store", credentials: "omit",
                            headers: {"Content-Type": "application/json", "X-Loyalty-Key": keyId,
                                      "X-Loyalty-Timestamp": timestamp, "X-Loyalty-Signature": hex(signature)}});
      });
  };

  /* The test quotes the program's newest card: a quote writes nothing. Without any card there is nothing
     to quote (a made-up number would only be refused), so the owner is asked to join first. */
  function testKey(key, secret, result) {
    result.className = "key-test-result";
    result.textContent = LC.t("core.loading");
    var program = LC.program;
    var card = LC.can("cards:read")
      ? LC.api("GET", "/admin/programs/" + program.id + "/cards?limit=1").then(function (page) {
        return page.items.length ? page.items[0].number : null;
      })
      : Promise.resolve(null);
    return card.then(function (number) {
      if (!number) {
        result.className = "key-test-result notice";
        LC.clear(result);
        LC.append(result, [LC.t("keys.test_needs_card") + " ", h("a", {href: LC.joinLink(program), target: "_blank",
                                                                      rel: "noopener", text: LC.joinLink(program)})]);
        return null;
      }
      return LC.posRequest(key.key_id, secret, "POST", "/pos/quote", {card: number, total: 100000})
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (answer) {
            if (!response.ok) throw new Error((answer.error && answer.error.message) || String(response.status));
            result.className = "key-test-result banner banner-ok";
            result.textContent = LC.t("keys.test_ok_card", {card: number, available: LC.number(answer.available),
                                                            earn: LC.number(answer.earn)});
          });
        });
    }).catch(function (error) {
      result.className = "key-test-result banner banner-error";
      result.textContent = LC.t("keys.test_failed", {message: error.message || String(error)});
    });
  }

  function created(holder, key) {
    var result = h("p", {class: "key-test-result", role: "status", "aria-live": "polite"});
    var testButton = h("button", {type: "button", class: "primary", text: LC.t("keys.test"), on: {click: function () {
      testButton.disabled = true;
      testKey(key, key.secret, result).then(function () { testButton.disabled = false; });
    }}});
    LC.clear(holder);
    var titleId = LC.uid("key-created");
    LC.append(holder, h("section", {class: "panel key-created", "aria-labelledby": titleId},
      h("h2", {id: titleId, tabindex: "-1", text: LC.t("keys.created_title")}),
      h("p", {class: "notice", text: LC.t("keys.secret_once")}),
      h("p", {}, h("strong", {text: LC.t("keys.key_id") + ": "}), h("code", {class: "key-id", text: key.key_id})),
      h("p", {}, h("strong", {text: LC.t("keys.secret") + ":"})),
      h("p", {class: "secret", text: key.secret}),
      h("div", {class: "actions"}, LC.copyButton(key.secret, LC.t("keys.copy_secret")),
        LC.copyButton(key.key_id, LC.t("keys.copy_id")), testButton),
      result));
    holder.querySelector("h2").focus();
  }

  /* The name of a key's location (null: the whole program), from the program's locations. */
  function locationName(locations, id) {
    if (!id) return LC.t("keys.whole_program");
    var found = locations.filter(function (location) { return location.id === id; })[0];
    return found ? found.name : id;
  }

  function listKeys(holder, locations) {
    locations = locations || [];
    LC.loading(holder);
    return LC.api("GET", "/admin/programs/" + LC.program.id + "/pos-keys?limit=100").then(function (page) {
      LC.clear(holder);
      holder.removeAttribute("aria-busy");
      if (!page.items.length) { LC.empty(holder, LC.t("keys.none")); return; }
      var canWrite = LC.can("pos_keys:write");
      holder.appendChild(h("div", {class: "table-wrap", tabindex: "0", role: "region", "aria-label": LC.t("keys.list")}, h("table", {},
        h("thead", {}, h("tr", {},
          ["keys.col_label", "keys.col_location", "keys.col_id", "keys.col_created", "keys.col_status"].map(function (key) {
            return h("th", {scope: "col", text: LC.t(key)});
          }),
          canWrite ? h("th", {scope: "col", text: LC.t("keys.col_actions")}) : null)),
        h("tbody", {}, page.items.map(function (key) {
          var label = key.label || LC.t("keys.unnamed");
          return h("tr", {},
            h("td", {text: label}), h("td", {class: "key-location", text: locationName(locations, key.location_id)}),
            h("td", {}, h("code", {text: key.key_id})), h("td", {text: LC.date(key.created_at)}),
            h("td", {text: LC.t("keys.status_" + key.status)}),
            canWrite ? h("td", {}, key.status === "active" ? h("button", {
              type: "button", class: "danger", text: LC.t("keys.revoke"),
              "aria-label": LC.t("keys.revoke_label", {label: label}),
              on: {click: function () {
                LC.confirm(LC.t("keys.revoke_confirm", {label: label}), LC.t("keys.revoke")).then(function (yes) {
                  if (!yes) return null;
                  return LC.api("DELETE", "/admin/programs/" + LC.program.id + "/pos-keys/" + key.key_id).then(function () {
                    LC.toast(LC.t("keys.revoked"));
                    return listKeys(holder, locations);
                  });
                }).catch(function (error) { LC.toast(error.message, "error"); });
              }}}) : null) : null);
        })))));
    });
  }

  LC.route("#/pos-keys", {title: "keys.title", permission: "pos_keys:read", needsProgram: true, order: 30,
    render: function (page) {
      var fresh = h("div", {class: "key-fresh"});
      var list = h("div", {class: "key-list"});
      var titleId = LC.uid("keys-list");
      page.appendChild(h("p", {class: "muted", text: LC.t("keys.intro")}));
      /* The program's locations name each key's; a role that may not read them sees the ids. */
      var loaded = LC.can("programs:read") && LC.locations ? LC.locations().catch(function () { return []; })
        : Promise.resolve([]);
      return loaded.then(function (locations) {
        var open = locations.filter(function (location) { return location.status === "open"; });
        if (LC.can("pos_keys:write")) {
          var fields = [{name: "label", label: LC.t("keys.label"), hint: LC.t("keys.label_hint"), maxlength: 80}];
          if (open.length) {
            fields.push({name: "location_id", label: LC.t("keys.location"), hint: LC.t("keys.location_hint"),
                         type: "select", value: "", options: [{value: "", label: LC.t("keys.whole_program")}].concat(
                           open.map(function (location) { return {value: location.id, label: location.name}; }))});
          }
          page.insertBefore(LC.form({
            fields: fields,
            submit: LC.t("keys.create"),
            onSubmit: function (values) {
              var body = values.label ? {label: values.label} : {};
              if (values.location_id) body.location_id = values.location_id;
              return LC.api("POST", "/admin/programs/" + LC.program.id + "/pos-keys", body)
                .then(function (key) {
                  created(fresh, key);
                  return listKeys(list, locations);
                });
            }
          }), null);
        }
        LC.append(page, [fresh, h("section", {"aria-labelledby": titleId},
          h("h2", {id: titleId, text: LC.t("keys.list")}), list)]);
        return listKeys(list, locations);
      });
    }});
})();
