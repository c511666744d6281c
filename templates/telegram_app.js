/* The card inside Telegram (the Mini App): sends Telegram.WebApp.initData to /tg/app/session and draws
   the card it answers, or the join offer; joining asks Telegram for the contact (WebApp.requestContact)
   and posts the string Telegram signed to /tg/app/join. Every text goes in as text (never as markup). */
(function () {
  "use strict";
  var TEXTS = {
    ru: {
      open_in_telegram: "Откройте карту из бота в Telegram.", balance: "Баланс", available: "доступно",
      tier: "Уровень", offers: "Предложения", challenges: "Задания", history: "История", rules: "Правила",
      show_qr: "Покажите код на кассе", join_title: "Карта «{program}»", join_bonus: "За вступление: +{bonus}",
      join_lead: "Нажмите кнопку: Telegram попросит поделиться номером телефона, вводить его не нужно.",
      join_button: "Поделиться номером и получить карту", consent_needed: "Отметьте согласие с правилами.",
      contact_refused: "Без номера телефона карту не выпустить. Попробуйте ещё раз.",
      no_program: "Откройте ссылку программы, чтобы получить карту.", created: "Карта готова!",
      linked: "Ваша карта подключена.", failed: "Не получилось. Попробуйте ещё раз.",
      stale: "Данные устарели: закройте и снова откройте карту.", wallets: "Карта в браузере и кошельке",
      open_card_page: "Страница карты", blocked: "Карта заблокирована.",
      update_telegram: "Обновите Telegram, чтобы поделиться номером, или получите карту на сайте программы.",
      kinds: {earn: "Покупка", redeem: "Списание", refund: "Возврат", bonus: "Бонус", expire: "Сгорание",
              adjust: "Корректировка", welcome: "Приветственный бонус", referral: "За друга",
              refund_reverse: "Возврат покупки: баллы списаны", refund_return: "Возврат: баллы вернулись",
              birthday: "Подарок ко дню рождения", winback: "Бонус: ждём вас снова", campaign: "Бонус по акции",
              offer: "Предложение", challenge: "Задание", action: "Бонус за действие", import: "Перенос баланса"}
    },
    en: {
      open_in_telegram: "Open the card from the bot in Telegram.", balance: "Balance", available: "available",
      tier: "Tier", offers: "Offers", challenges: "Challenges", history: "History", rules: "Rules",
      show_qr: "Show this code at the counter", join_title: "{program} card", join_bonus: "Joining gives +{bonus}",
      join_lead: "Tap the button: Telegram asks to share your phone number, no typing needed.",
      join_button: "Share my number and get the card", consent_needed: "Tick the consent to the terms.",
      contact_refused: "A card needs the phone number. Try again.",
      no_program: "Open the program's link to get a card.", created: "Your card is ready!",
      linked: "Your card is linked.", failed: "That did not work. Try again.",
      stale: "The data is out of date: close the card and open it again.", wallets: "The card in a browser and wallet",
      open_card_page: "Card page", blocked: "The card is blocked.",
      update_telegram: "Update Telegram to share your number, or get the card on the program's web page.",
      kinds: {earn: "Purchase", redeem: "Spent", refund: "Refund", bonus: "Bonus", expire: "Expired",
              adjust: "Adjustment", welcome: "Welcome bonus", referral: "Referral",
              refund_reverse: "Refund: points taken back", refund_return: "Refund: points returned",
              birthday: "Birthday gift", winback: "Welcome back bonus", campaign: "Campaign bonus",
              offer: "Offer", challenge: "Challenge", action: "Action bonus", import: "Balance moved in"}
    }
  };
  var tg = window.Telegram && window.Telegram.WebApp;
  var root = document.getElementById("app");
  var initData = tg && tg.initData || "";
  var user = tg && tg.initDataUnsafe && tg.initDataUnsafe.user || {};
  var lang = String(user.language_code || document.documentElement.lang || "ru").indexOf("ru") === 0 ? "ru" : "en";
  var t = TEXTS[lang];
  var program = new URLSearchParams(window.location.search).get("program") ||
    (tg && tg.initDataUnsafe && tg.initDataUnsafe.start_param) || null;
  document.documentElement.lang = lang;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }
  function show(nodes) {
    root.textContent = "";
    nodes.forEach(function (node) { if (node) { root.appendChild(node); } });
  }
  function message(kind, text) { return el("p", {"class": kind, role: kind === "error" ? "alert" : "status", text: text}); }
  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
                        credentials: "omit"})
      .then(function (response) {
        return response.json().then(function (data) { return {status: response.status, data: data}; });
      });
  }
  function brand(facts) {
    var colors = facts && facts.colors || {};
    if (colors.background_color) { document.documentElement.style.setProperty("--brand-bg", colors.background_color); }
    if (colors.foreground_color) { document.documentElement.style.setProperty("--brand-fg", colors.foreground_color); }
  }
  function failure(answer) {
    var code = answer.data && answer.data.error && answer.data.error.code;
    if (code === "stale_init_data") { return t.stale; }
    return (answer.data && answer.data.error && answer.data.error.message) || t.failed;
  }

  function drawCard(card, facts, notice) {
    brand(facts);
    var head = el("section", {"class": "panel brand", id: "card-head"}, [
      el("h1", {text: facts.name}), el("p", {text: card.name || ""})]);
    var points = el("section", {"class": "panel", id: "balance-panel"}, [
      card.blocked ? message("error", t.blocked) : null,
      card.stamps ? el("p", {"class": "balance", id: "stamps", text: card.stamps.filled + " / " + card.stamps.per_reward})
        : card.discount ? el("p", {"class": "balance", id: "discount", text: card.discount.yours})
        : el("p", {"class": "balance", id: "balance", text: card.balance + " " + card.points_word}),
      el("p", {"class": "muted", text: t.balance + " · " + t.available + ": " + card.available}),
      el("p", {text: t.tier + ": " + card.tier_name}),
      card.expiry ? el("p", {"class": "muted", text: card.expiry}) : null]);
    var qr = el("section", {"class": "panel qr", id: "qr"}, [
      el("img", {src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(card.qr_svg),
                 alt: "QR " + card.number_display}),
      el("p", {"class": "number", id: "card-number", text: card.number_display}),
      el("p", {"class": "muted", text: t.show_qr})]);
    var offers = card.offers.length ? el("section", {"class": "panel", id: "offers"}, [
      el("h2", {text: t.offers}),
      el("ul", {}, card.offers.map(function (offer) {
        return el("li", {text: offer.name + " — " + offer.reward + (offer.until ? " (" + offer.until + ")" : "")});
      }))]) : null;
    var challenges = card.challenges.length ? el("section", {"class": "panel", id: "challenges"},
      [el("h2", {text: t.challenges})].concat(card.challenges.map(function (one) {
        var bar = el("progress", {max: String(one.target), value: String(Math.min(one.progress, one.target))});
        return el("div", {}, [el("p", {text: one.name + ": " + one.progress + " / " + one.target}), bar]);
      }))) : null;
    var history = card.history.length ? el("section", {"class": "panel", id: "history"}, [
      el("h2", {text: t.history}),
      el("ul", {"class": "history"}, card.history.map(function (entry) {
        var label = t.kinds[entry.source] || t.kinds[entry.kind] || entry.kind;
        return el("li", {}, [el("span", {text: String(entry.at).slice(0, 10) + " " + label}),
          el("span", {"class": entry.amount < 0 ? "minus" : "plus", text: (entry.amount > 0 ? "+" : "") + entry.amount})]);
      }))]) : null;
    var rules = el("section", {"class": "panel"}, [el("h2", {text: t.rules}),
      el("ul", {}, card.rules.map(function (rule) { return el("li", {text: rule}); }))]);
    var links = el("section", {"class": "panel", id: "wallets"}, [el("h2", {text: t.wallets}),
      el("a", {"class": "button", href: card.card_url, target: "_blank", rel: "noopener", text: t.open_card_page})]);
    show([notice ? message("notice", notice) : null, head, points, qr, offers, challenges, history, rules, links]);
  }

  function drawJoin(facts, error) {
    brand(facts);
    var consent = el("input", {type: "checkbox", id: "consent"});
    var button = el("button", {type: "button", id: "share-contact", text: t.join_button});
    var problem = error ? message("error", error) : null;
    button.addEventListener("click", function () {
      if (!consent.checked) { drawJoin(facts, t.consent_needed); return; }
      button.disabled = true;
      var ask = function (callback) {
        try { tg.requestContact(callback); } catch (e) { drawJoin(facts, t.update_telegram); }  // Telegram < 6.9
      };
      ask(function (shared, result) {
        if (!shared || !result || !result.response) { drawJoin(facts, t.contact_refused); return; }
        post("/tg/app/join", {init_data: initData, program: facts.slug, contact: result.response, consent: true})
          .then(function (answer) {
            if (answer.status === 200 || answer.status === 201) {
              drawCard(answer.data.card, answer.data.program, answer.data.created ? t.created : t.linked);
            } else {
              drawJoin(facts, failure(answer));
            }
          }, function () { drawJoin(facts, t.failed); });
      });
    });
    show([el("section", {"class": "panel brand", id: "join"}, [
            el("h1", {text: fill(t.join_title, {program: facts.name})}),
            facts.welcome_bonus ? el("p", {text: fill(t.join_bonus, {bonus: facts.welcome_bonus})}) : null]),
          el("section", {"class": "panel"}, [
            el("p", {text: t.join_lead}),
            el("label", {"class": "check", "for": "consent"}, [consent, el("span", {text: facts.consent})]),
            facts.telegram_consent ? el("p", {"class": "muted", id: "telegram-consent", text: facts.telegram_consent}) : null,
            problem, button])]);
  }

  function start() {
    if (!tg || !initData) { show([message("error", t.open_in_telegram)]); return; }
    tg.ready();
    if (tg.expand) { tg.expand(); }
    post("/tg/app/session", program ? {init_data: initData, program: program} : {init_data: initData})
      .then(function (answer) {
        if (answer.status !== 200) { show([message("error", failure(answer))]); return; }
        if (answer.data.card) { drawCard(answer.data.card, answer.data.program); return; }
        if (answer.data.program) { drawJoin(answer.data.program); return; }
        show([message("notice", t.no_program)]);
      }, function () { show([message("error", t.failed)]); });
  }
  start();
}());
