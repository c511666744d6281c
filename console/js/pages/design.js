/* Card design: colours, the logo text, the description and terms in each language, whether the card names
   the program's locations (the phone offers it on the lock screen near them), the logo, icon and strip
   images, with a live preview of the Apple and the Google card side by side; saved through the program's
   own validation (PATCH), then "update every card" pushes the new look to phones. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;
  var KINDS = ["logo", "icon", "strip"];
  // The stored files the preview shows, by kind (the design part's names; the first that exists wins).
  var PREVIEW = {apple: {logo: ["logo@2x", "logo"], icon: ["icon@2x", "icon"], strip: ["strip@2x", "strip"]},
                 google: {logo: ["google-logo", "logo@2x", "logo"], strip: ["hero", "strip@2x", "strip"]}};

  LC.texts({
    ru: {
      "design.title": "Оформление карты",
      "design.colors": "Цвета",
      "design.background": "Фон",
      "design.foreground": "Текст",
      "design.label": "Подписи",
      "design.texts": "Тексты",
      "design.logo_text": "Текст рядом с логотипом",
      "design.organization": "Название организации",
      "design.description_ru": "Описание (русский)",
      "design.description_en": "Описание (английский)",
      "design.terms_ru": "Условия программы (русский)",
      "design.terms_en": "Условия программы (английский)",
      "design.save": "Сохранить оформление",
      "design.saved": "Оформление сохранено. Нажмите «Обновить все карты», чтобы клиенты увидели его в кошельках.",
      "design.images": "Изображения",
      "design.images_hint": "PNG или JPEG до 4 МБ. Мы сами подгоним размеры под Apple Wallet и Google Wallet.",
      "design.image_logo": "Логотип",
      "design.image_icon": "Значок (в уведомлениях)",
      "design.image_strip": "Широкая картинка под логотипом",
      "design.upload": "Загрузить",
      "design.upload_label": "Загрузить: {kind}",
      "design.remove": "Убрать",
      "design.remove_label": "Убрать: {kind}",
      "design.uploaded": "Изображение загружено.",
      "design.removed": "Изображение убрано.",
      "design.choose_file": "Выберите файл.",
      "design.preview": "Предпросмотр",
      "design.apple": "Apple Wallet",
      "design.google": "Google Wallet",
      "design.balance": "Баланс",
      "design.balance_value": "250 баллов",
      "design.tier": "Уровень",
      "design.refresh": "Обновить все карты",
      "design.refresh_confirm": "Отправить новое оформление на все выпущенные карты? Телефоны клиентов получат обновление в течение нескольких минут.",
      "design.refreshing": "Обновление карт запущено.",
      "design.locations": "Предлагать карту рядом с нашими точками",
      "design.locations_hint": "Телефон клиента покажет карту на экране блокировки рядом с вашей точкой (до 10 точек с координатами: сначала те, где клиент бывает чаще)."
    },
    en: {
      "design.title": "Card design",
      "design.colors": "Colours",
      "design.background": "Background",
      "design.foreground": "Text",
      "design.label": "Labels",
      "design.texts": "Texts",
      "design.logo_text": "Text beside the logo",
      "design.organization": "Organisation name",
      "design.description_ru": "Description (Russian)",
      "design.description_en": "Description (English)",
      "design.terms_ru": "Program terms (Russian)",
      "design.terms_en": "Program terms (English)",
      "design.save": "Save the design",
      "design.saved": "Design saved. Press “Update every card” so customers see it in their wallets.",
      "design.images": "Images",
      "design.images_hint": "PNG or JPEG up to 4 MB. We fit them to every size Apple Wallet and Google Wallet need.",
      "design.image_logo": "Logo",
      "design.image_icon": "Icon (in notifications)",
      "design.image_strip": "Wide picture under the logo",
      "design.upload": "Upload",
      "design.upload_label": "Upload: {kind}",
      "design.remove": "Remove",
      "design.remove_label": "Remove: {kind}",
      "design.uploaded": "Image uploaded.",
      "design.removed": "Image removed.",
      "design.choose_file": "Choose a file.",
      "design.preview": "Preview",
      "design.apple": "Apple Wallet",
      "design.google": "Google Wallet",
      "design.balance": "Balance",
      "design.balance_value": "250 points",
      "design.tier": "Tier",
      "design.refresh": "Update every card",
      "design.refresh_confirm": "Send the new design to every card issued? Customers' phones get the update within minutes.",
      "design.refreshing": "Updating the cards has started.",
      "design.locations": "Offer the card near our locations",
      "design.locations_hint": "The customer's phone shows the card on the lock screen near one of your locations (up to 10 with coordinates: the ones they visit most first)."
    }
  });

  /* #rgb, #rrggbb or rgb(r, g, b) as #rrggbb (what <input type=color> takes). */
  function hexColor(value, fallback) {
    if (!value) return fallback;
    var m = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(value);
    if (m) return ("#" + m[1] + m[1] + m[2] + m[2] + m[3] + m[3]).toLowerCase();
    if (/^#[0-9a-f]{6}$/i.test(value)) return value.toLowerCase();
    m = /^rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$/i.exec(value);
    if (m) return "#" + [m[1], m[2], m[3]].map(function (n) { return ("0" + (+n).toString(16)).slice(-2); }).join("");
    return fallback;
  }

  /* A text that may be a plain string or {"ru": ..., "en": ...}, in one language. */
  function inLang(value, lang) {
    if (!value) return "";
    if (typeof value === "string") return lang === "ru" ? value : "";
    return value[lang] || "";
  }

  function imageUrl(programId, images, kind, side) {
    var entry = images && images[kind];
    if (!entry) return null;
    var names = PREVIEW[side][kind];
    if (!names) return null;
    if (typeof entry === "object" && entry.urls) {
      for (var i = 0; i < names.length; i++) if (entry.urls[names[i]]) return entry.urls[names[i]];
      return null;
    }
    var version = typeof entry === "object" ? entry.version : entry;
    return "/static/programs/" + encodeURIComponent(programId) + "/images/" + encodeURIComponent(version) + "/" + names[0] + ".png";
  }

  function preview(state) {
    var program = LC.program;
    var b = state.branding;
    var title = b.logo_text || program.name;
    var appleLogo = imageUrl(program.id, state.images, "logo", "apple");
    var strip = imageUrl(program.id, state.images, "strip", "apple");
    var googleLogo = imageUrl(program.id, state.images, "logo", "google");
    var hero = imageUrl(program.id, state.images, "strip", "google");
    var apple = h("div", {class: "wallet-card apple-card", "aria-hidden": "true"},
      h("div", {class: "wallet-head"}, appleLogo ? h("img", {class: "preview-logo", src: appleLogo, alt: ""}) : null,
        h("span", {class: "wallet-logo-text", text: title}),
        h("span", {class: "wallet-balance"}, h("span", {class: "wallet-label", text: LC.t("design.balance")}), h("span", {text: "250"}))),
      strip ? h("img", {class: "preview-strip", src: strip, alt: ""}) : h("div", {class: "preview-strip-empty"}),
      h("div", {class: "wallet-fields"}, h("span", {class: "wallet-label", text: LC.t("design.tier")}),
        h("span", {text: (program.mechanics && program.mechanics.tiers && inLang(program.mechanics.tiers[0].name, LC.lang)) ||
                        (program.mechanics && program.mechanics.tiers && String(program.mechanics.tiers[0].name)) || "—"})),
      h("div", {class: "wallet-code"}));
    var google = h("div", {class: "wallet-card google-card", "aria-hidden": "true"},
      h("div", {class: "wallet-head"}, googleLogo ? h("img", {class: "preview-logo round", src: googleLogo, alt: ""}) : h("span", {class: "round-empty"}),
        h("span", {class: "wallet-logo-text", text: b.organization_name || program.name})),
      h("p", {class: "google-title", text: program.name}),
      h("div", {class: "wallet-fields"}, h("span", {class: "wallet-label", text: LC.t("design.balance")}), h("span", {text: LC.t("design.balance_value")})),
      h("div", {class: "wallet-code"}),
      hero ? h("img", {class: "preview-hero", src: hero, alt: ""}) : null);
    [apple, google].forEach(function (card) {
      card.style.backgroundColor = b.background_color;  // CSSOM, which the CSP allows (no style attribute)
      card.style.color = b.foreground_color;
      Array.prototype.forEach.call(card.querySelectorAll(".wallet-label"), function (label) { label.style.color = b.label_color; });
    });
    return h("div", {class: "wallet-previews"},
      h("figure", {}, apple, h("figcaption", {text: LC.t("design.apple")})),
      h("figure", {}, google, h("figcaption", {text: LC.t("design.google")})));
  }

  LC.route("#/design", {title: "design.title", permission: "programs:write", needsProgram: true, order: 20,
    render: function (page) {
      var program = LC.program;
      var branding = program.branding || {};
      var state = {
        branding: {background_color: hexColor(branding.background_color, "#1f2937"),
                   foreground_color: hexColor(branding.foreground_color, "#ffffff"),
                   label_color: hexColor(branding.label_color, "#d1d5db"),
                   logo_text: branding.logo_text && typeof branding.logo_text === "object" ? inLang(branding.logo_text, LC.lang) : (branding.logo_text || ""),
                   organization_name: branding.organization_name || ""},
        images: Object.assign({}, branding.images || {})
      };
      var previewHolder = h("div", {class: "preview-holder", "aria-live": "off"});
      function redraw() {
        LC.clear(previewHolder);
        previewHolder.appendChild(preview(state));
      }
      function live(name) {
        return function (value) { state.branding[name] = value; redraw(); };
      }

      var form = LC.form({
        class: "design-form",
        fields: [
          {name: "branding.background_color", label: LC.t("design.background"), type: "color", value: state.branding.background_color, onInput: live("background_color")},
          {name: "branding.foreground_color", label: LC.t("design.foreground"), type: "color", value: state.branding.foreground_color, onInput: live("foreground_color")},
          {name: "branding.label_color", label: LC.t("design.label"), type: "color", value: state.branding.label_color, onInput: live("label_color")},
          {name: "branding.logo_text", label: LC.t("design.logo_text"), maxlength: 40, value: state.branding.logo_text, onInput: live("logo_text")},
          {name: "branding.organization_name", label: LC.t("design.organization"), maxlength: 80, value: state.branding.organization_name, onInput: live("organization_name")},
          {name: "branding.description.ru", label: LC.t("design.description_ru"), type: "textarea", maxlength: 200, lang: "ru",
           value: inLang(branding.description, "ru"), errorFields: ["branding.description"]},
          {name: "branding.description.en", label: LC.t("design.description_en"), type: "textarea", maxlength: 200, lang: "en",
           value: inLang(branding.description, "en")},
          {name: "branding.terms.ru", label: LC.t("design.terms_ru"), type: "textarea", rows: 5, maxlength: 2000, lang: "ru",
           value: inLang(branding.terms, "ru"), errorFields: ["branding.terms"]},
          {name: "branding.terms.en", label: LC.t("design.terms_en"), type: "textarea", rows: 5, maxlength: 2000, lang: "en",
           value: inLang(branding.terms, "en")},
          {name: "branding.locations_on_pass", label: LC.t("design.locations"), type: "checkbox", hint: LC.t("design.locations_hint"),
           value: branding.locations_on_pass !== false}
        ],
        submit: LC.t("design.save"),
        onSubmit: function (values) {
          var changes = {background_color: values["branding.background_color"], foreground_color: values["branding.foreground_color"],
                         label_color: values["branding.label_color"], locations_on_pass: values["branding.locations_on_pass"]};
          ["logo_text", "organization_name"].forEach(function (name) {
            if (values["branding." + name]) changes[name] = values["branding." + name];
          });
          ["description", "terms"].forEach(function (name) {
            var texts = {};
            LC.languages.forEach(function (lang) { if (values["branding." + name + "." + lang]) texts[lang] = values["branding." + name + "." + lang]; });
            if (Object.keys(texts).length) changes[name] = texts;
          });
          return LC.api("PATCH", "/admin/programs/" + program.id, {branding: changes}).then(function (saved) {
            LC.loadPrograms(saved.id);
            LC.banner(form, LC.t("design.saved"), "ok");
          });
        }
      });

      var imagesTitle = LC.uid("design-images");
      var images = h("section", {class: "panel", "aria-labelledby": imagesTitle},
        h("h2", {id: imagesTitle, text: LC.t("design.images")}),
        h("p", {class: "hint", text: LC.t("design.images_hint")}),
        KINDS.map(function (kind) {
          var id = LC.uid("image-" + kind);
          var errorId = id + "-error";
          var error = h("p", {class: "field-error", id: errorId, hidden: true});
          var input = h("input", {type: "file", id: id, name: kind, accept: "image/png,image/jpeg", "aria-describedby": errorId});
          var upload = h("button", {type: "button", class: "primary", text: LC.t("design.upload"),
            "aria-label": LC.t("design.upload_label", {kind: LC.t("design.image_" + kind)}), on: {click: function () {
              var file = input.files && input.files[0];
              error.hidden = true;
              input.removeAttribute("aria-invalid");
              if (!file) { error.textContent = LC.t("design.choose_file"); error.hidden = false; input.setAttribute("aria-invalid", "true"); input.focus(); return; }
              upload.disabled = true;
              LC.api("PUT", "/admin/programs/" + program.id + "/images/" + kind, file, {contentType: file.type || "image/png"})
                .then(function (answer) {
                  state.images[kind] = answer;
                  redraw();
                  LC.toast(LC.t("design.uploaded"));
                  LC.loadPrograms(program.id);
                })
                .catch(function (failure) {
                  error.textContent = failure.message;
                  error.hidden = false;
                  input.setAttribute("aria-invalid", "true");
                  input.focus();
                })
                .then(function () { upload.disabled = false; });
            }}});
          var remove = h("button", {type: "button", text: LC.t("design.remove"),
            "aria-label": LC.t("design.remove_label", {kind: LC.t("design.image_" + kind)}), on: {click: function () {
              LC.api("DELETE", "/admin/programs/" + program.id + "/images/" + kind).then(function () {
                delete state.images[kind];
                redraw();
                LC.toast(LC.t("design.removed"));
                LC.loadPrograms(program.id);
              }).catch(function (failure) { LC.toast(failure.message, "error"); });
            }}});
          return h("div", {class: "field image-field"}, h("label", {for: id, text: LC.t("design.image_" + kind)}), input,
                   error, h("div", {class: "actions"}, upload, remove));
        }));

      var previewTitle = LC.uid("design-preview");
      var refresh = h("button", {type: "button", class: "refresh-cards", text: LC.t("design.refresh"), on: {click: function () {
        LC.confirm(LC.t("design.refresh_confirm"), LC.t("design.refresh")).then(function (yes) {
          if (!yes) return null;
          return LC.api("POST", "/admin/programs/" + program.id + "/passes/refresh").then(function () {
            LC.toast(LC.t("design.refreshing"));
          });
        }).catch(function (failure) { LC.toast(failure.message, "error"); });
      }}});
      redraw();
      // The preview comes first: on a phone the owner sees the card, then the fields under it
      LC.append(page, h("div", {class: "design-layout"},
        h("section", {class: "design-preview panel", "aria-labelledby": previewTitle},
          h("h2", {id: previewTitle, text: LC.t("design.preview")}), previewHolder,
          h("div", {class: "actions"}, refresh)),
        h("div", {class: "design-controls"}, form, images)));
    }});
})();
