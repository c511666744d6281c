/* The first-run wizard: from an empty account to a live program in one form (name, link, currency, time
   zone, a mechanics preset), ending on the join link, its QR code and the posters. */
(function () {
  "use strict";
  var LC = window.LC;
  var h = LC.h;

  LC.texts({
    ru: {
      "wizard.title": "Новая программа",
      "wizard.intro": "Пять вопросов — и у вас работающая программа лояльности. Всё можно поменять позже, кроме ссылки.",
      "wizard.name": "Название программы",
      "wizard.name_hint": "Его увидят клиенты: например, «Кофейня на Садовой».",
      "wizard.slug": "Адрес ссылки",
      "wizard.slug_hint": "Латиница, цифры и дефис, от 3 до 40 знаков. Его печатают в QR-коде, поэтому изменить нельзя.",
      "wizard.slug_free": "Адрес свободен: {link}",
      "wizard.slug_taken": "Этот адрес уже занят.",
      "wizard.slug_invalid": "Только строчные латинские буквы, цифры и дефис, от 3 до 40 знаков.",
      "wizard.currency": "Валюта",
      "wizard.timezone": "Часовой пояс",
      "wizard.preset": "Механика",
      "wizard.preset_cashback": "Кешбэк 5%",
      "wizard.preset_tiers": "Баллы с уровнями",
      "wizard.preset_welcome": "Приветственный бонус",
      "wizard.preset_stamps": "Карта со штампами 9+1",
      "wizard.preset_discount": "Дисконтная карта 5/10%",
      "wizard.preset_hint": "Приветственный бонус: 200 баллов при вступлении (действуют 31 день) и 5% с покупок. Кешбэк: 5% с покупок баллами. Уровни: 3%, Серебро 5% после покупок на 15 000, Золото 7% после 50 000. Штампы: штамп за каждый товар, десятый — бесплатно. Дисконтная: скидка 5%, после покупок на 30 000 — 10%. Всё это можно настроить потом (кроме вида программы, когда у клиентов уже есть карты).",
      "wizard.submit": "Создать программу",
      "wizard.done_title": "Программа «{name}» работает",
      "wizard.done_intro": "Клиенты вступают по этой ссылке. Дальше: оформите карту и создайте ключ для кассы.",
      "wizard.design": "Оформить карту",
      "wizard.keys": "Ключи для кассы",
      "wizard.tier_base": "Базовый",
      "wizard.tier_silver": "Серебро",
      "wizard.tier_gold": "Золото"
    },
    en: {
      "wizard.title": "New program",
      "wizard.intro": "Five questions and your loyalty program is live. Everything but the link can change later.",
      "wizard.name": "Program name",
      "wizard.name_hint": "Customers see it: for example, “Corner Coffee”.",
      "wizard.slug": "Link address",
      "wizard.slug_hint": "Latin letters, digits and hyphens, 3 to 40 characters. It is printed in the QR code, so it cannot change.",
      "wizard.slug_free": "The address is free: {link}",
      "wizard.slug_taken": "This address is taken.",
      "wizard.slug_invalid": "Only lowercase Latin letters, digits and hyphens, 3 to 40 characters.",
      "wizard.currency": "Currency",
      "wizard.timezone": "Time zone",
      "wizard.preset": "Mechanics",
      "wizard.preset_cashback": "Cashback 5%",
      "wizard.preset_tiers": "Points with tiers",
      "wizard.preset_welcome": "Welcome bonus",
      "wizard.preset_stamps": "Stamp card 9+1",
      "wizard.preset_discount": "Discount card 5/10%",
      "wizard.preset_hint": "Welcome bonus: 200 points on joining (valid 31 days) and 5% on purchases. Cashback: 5% of purchases in points. Tiers: 3%, Silver 5% after 15,000 spent, Gold 7% after 50,000. Stamps: a stamp for each item, the tenth is free. Discount: 5% off, 10% after 30,000 spent. All of it can be tuned later (but the kind, once customers hold cards).",
      "wizard.submit": "Create the program",
      "wizard.done_title": "“{name}” is live",
      "wizard.done_intro": "Customers join with this link. Next: design the card and make a key for the till.",
      "wizard.design": "Design the card",
      "wizard.keys": "Keys for the till",
      "wizard.tier_base": "Base",
      "wizard.tier_silver": "Silver",
      "wizard.tier_gold": "Gold"
    }
  });

  var CURRENCIES = ["RUB", "KZT", "BYN", "UZS", "AMD", "GEL", "EUR", "USD"];
  var ZONES = ["Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
               "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok",
               "Asia/Magadan", "Asia/Kamchatka", "Asia/Almaty", "Europe/Minsk", "Asia/Tashkent", "Asia/Yerevan",
               "Asia/Tbilisi", "Europe/Berlin", "Europe/London", "UTC"];

  /* The `mechanics` JSON each preset stands for (thresholds are money spent, in minor units). Every preset
     keeps tobacco out (Russian law: it earns nothing and is not paid with points); the owner can change it. */
  var TOBACCO = {id: "tobacco", skus: [], categories: ["tobacco"], exclude: true};
  LC.mechanicsPreset = function (preset) {
    var chosen = presetMechanics(preset);
    chosen.products = [TOBACCO];
    return chosen;
  };

  function presetMechanics(preset) {
    var base = {id: "base", name: LC.t("wizard.tier_base"), threshold: 0, earn_percent: 5};
    if (preset === "cashback") return {kind: "cashback", tiers: [base]};
    if (preset === "stamps") {
      // 9 stamps, one per item, then the reward: a free coffee (named in both languages of the card)
      return {kind: "stamps", tiers: [{id: "base", name: LC.t("wizard.tier_base"), threshold: 0}],
              stamps: {per_reward: 9, per: "item", skus: [], categories: [], min_total: 0,
                       reward: {ru: "Бесплатный кофе", en: "A free coffee"}}};
    }
    if (preset === "discount") {
      return {kind: "discount", tiers: [
        {id: "base", name: LC.t("wizard.tier_base"), threshold: 0, discount_percent: 5},
        {id: "gold", name: LC.t("wizard.tier_gold"), threshold: 3000000, discount_percent: 10}]};
    }
    if (preset === "tiers") {
      return {kind: "points", tiers: [
        {id: "base", name: LC.t("wizard.tier_base"), threshold: 0, earn_percent: 3},
        {id: "silver", name: LC.t("wizard.tier_silver"), threshold: 1500000, earn_percent: 5},
        {id: "gold", name: LC.t("wizard.tier_gold"), threshold: 5000000, earn_percent: 7}]};
    }
    return {kind: "points", tiers: [base], welcome_bonus: 200, lifetime_by_source: {welcome: 31}};
  }

  function slugFrom(name) {
    var map = {а: "a", б: "b", в: "v", г: "g", д: "d", е: "e", ё: "e", ж: "zh", з: "z", и: "i", й: "y", к: "k",
               л: "l", м: "m", н: "n", о: "o", п: "p", р: "r", с: "s", т: "t", у: "u", ф: "f", х: "h", ц: "c",
               ч: "ch", ш: "sh", щ: "sch", ъ: "", ы: "y", ь: "", э: "e", ю: "yu", я: "ya"};
    return name.toLowerCase().split("").map(function (c) { return map[c] !== undefined ? map[c] : c; }).join("")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  }

  function localZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return "Europe/Moscow"; }
  }

  LC.route("#/wizard", {title: "wizard.title", permission: "programs:write", order: 90, render: function (page) {
    var status = h("p", {class: "hint slug-status", id: "wizard-slug-status", "aria-live": "polite"});
    var slugEdited = false;
    var timer = null;
    var checked = 0;

    function check(slug) {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var ticket = ++checked;
        if (!slug) { status.textContent = ""; return; }
        fetch("/console/slugs/" + encodeURIComponent(slug), {cache: "no-store"})
          .then(function (response) { return response.json(); })
          .then(function (answer) {
            if (ticket !== checked) return;  // the owner typed on meanwhile
            status.className = "hint slug-status " + (answer.available ? "slug-ok" : "slug-bad");
            status.textContent = !answer.valid ? LC.t("wizard.slug_invalid")
              : answer.available ? LC.t("wizard.slug_free", {link: LC.joinLink({slug: slug})}) : LC.t("wizard.slug_taken");
          })
          .catch(function () { status.textContent = ""; });
      }, 300);
    }

    var zone = localZone();
    var zones = ZONES.indexOf(zone) >= 0 || !zone ? ZONES : [zone].concat(ZONES);
    var form = LC.form({
      fields: [
        {name: "name", label: LC.t("wizard.name"), required: true, maxlength: 100, hint: LC.t("wizard.name_hint"),
         onInput: function (value) {
           if (slugEdited) return;
           var slug = slugFrom(value);
           form.field("slug").value = slug;
           check(slug);
         }},
        {name: "slug", label: LC.t("wizard.slug"), required: true, maxlength: 40, autocomplete: "off",
         hint: LC.t("wizard.slug_hint"), pattern: "[a-z0-9][a-z0-9-]{1,38}[a-z0-9]",
         onInput: function (value) { slugEdited = true; check(value.trim()); }},
        {name: "currency", label: LC.t("wizard.currency"), type: "select", value: "RUB",
         options: CURRENCIES},
        {name: "timezone", label: LC.t("wizard.timezone"), type: "select", value: zones.indexOf(zone) >= 0 ? zone : "Europe/Moscow",
         options: zones},
        {name: "preset", label: LC.t("wizard.preset"), type: "select", value: "welcome", hint: LC.t("wizard.preset_hint"),
         errorFields: ["mechanics"],
         options: [{value: "welcome", label: LC.t("wizard.preset_welcome")},
                   {value: "cashback", label: LC.t("wizard.preset_cashback")},
                   {value: "tiers", label: LC.t("wizard.preset_tiers")},
                   {value: "stamps", label: LC.t("wizard.preset_stamps")},
                   {value: "discount", label: LC.t("wizard.preset_discount")}]}
      ],
      submit: LC.t("wizard.submit"),
      onSubmit: function (values) {
        return LC.api("POST", "/admin/programs", {
          name: values.name, slug: values.slug, currency: values.currency, timezone: values.timezone,
          mechanics: LC.mechanicsPreset(values.preset),
          branding: {organization_name: values.name, logo_text: values.name.slice(0, 40)}
        }).then(function (program) {
          return LC.loadPrograms(program.id).then(function () { done(page, program); });
        });
      }
    });
    // the live check's answer sits under the slug field
    var slugInput = form.field("slug");
    slugInput.setAttribute("aria-describedby", slugInput.getAttribute("aria-describedby") + " wizard-slug-status");
    slugInput.parentNode.appendChild(status);
    LC.append(page, [h("p", {text: LC.t("wizard.intro")}), form]);
  }});

  function done(page, program) {
    LC.refreshShell();
    LC.heading(LC.t("wizard.done_title", {name: program.name}));
    LC.clear(page);
    LC.append(page, [
      h("p", {class: "banner banner-ok", role: "status", text: LC.t("wizard.done_intro")}),
      LC.joinPanel(program),
      h("div", {class: "actions"},
        h("a", {href: "#/design", class: "button", text: LC.t("wizard.design")}),
        h("a", {href: "#/pos-keys", class: "button", text: LC.t("wizard.keys")}))
    ]);
    document.querySelector("#main h1").focus();
  }
})();
