/* The console's library, part 1: the LC namespace, texts and plurals, formatting, and LC.h (elements
   without innerHTML). Every file of the console is an IIFE that uses the global LC; the server joins
   core/ (sorted) then pages/ (sorted) into one script, so this file runs first. */
(function () {
  "use strict";
  var LC = window.LC = {};
  var SUPPORTED = ["ru", "en"];
  var catalogue = {ru: {}, en: {}};

  function savedLang() {
    var saved = null;
    try { saved = window.localStorage.getItem("lc.lang"); } catch (e) { saved = null; }
    if (SUPPORTED.indexOf(saved) >= 0) return saved;
    var page = document.documentElement.getAttribute("lang");
    return SUPPORTED.indexOf(page) >= 0 ? page : "ru";
  }
  LC.lang = savedLang();
  LC.languages = SUPPORTED.slice();

  /* Register a page's strings: LC.texts({ru: {"page.key": "..."}, en: {...}}). */
  LC.texts = function (byLang) {
    Object.keys(byLang).forEach(function (lang) {
      catalogue[lang] = catalogue[lang] || {};
      Object.keys(byLang[lang]).forEach(function (key) { catalogue[lang][key] = byLang[lang][key]; });
    });
  };

  LC.has = function (key) {
    return Object.prototype.hasOwnProperty.call(catalogue[LC.lang] || {}, key);
  };

  /* A string in the console's language with {name} placeholders filled; an unknown key falls back to
     the other language, then to the key itself (visible, so a missing text is noticed). */
  LC.t = function (key, vars) {
    var text = (catalogue[LC.lang] || {})[key];
    if (text === undefined) {
      for (var i = 0; i < SUPPORTED.length && text === undefined; i++) text = catalogue[SUPPORTED[i]][key];
    }
    if (text === undefined) text = key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
      });
    }
    return text;
  };

  var pluralRules = {};
  /* LC.plural(5, {one: "балл", few: "балла", many: "баллов", other: "балла"}) -> "баллов". */
  function pluralForm(n) {
    pluralRules[LC.lang] = pluralRules[LC.lang] || new Intl.PluralRules(LC.lang);
    return pluralRules[LC.lang].select(n);
  }
  LC.plural = function (n, forms) {
    var form = pluralForm(n);
    return forms[form] !== undefined ? forms[form] : forms.other;
  };

  /* A text with a count, in the language's plural form: LC.tn('retention.kept', 1, {...}) reads
     'retention.kept_one' ('... {n} month'), 'retention.kept_other' ('... {n} months'), and so on for the
     forms the language has (Intl.PluralRules: one, few, many, other), falling back to '<key>_other', then
     to '<key>' itself (a language whose one text fits every count, like Russian's "{n} мес.", gives just
     that). {n} is the count as LC.number writes it unless `vars` names another. */
  LC.tn = function (key, n, vars) {
    var all = {n: LC.number(n)};
    Object.keys(vars || {}).forEach(function (name) { all[name] = vars[name]; });
    var candidates = [key + "_" + pluralForm(n), key + "_other", key];
    for (var i = 0; i < candidates.length; i++) {
      if (LC.has(candidates[i])) return LC.t(candidates[i], all);
    }
    return LC.t(key, all);
  };

  LC.setLang = function (lang) {
    if (SUPPORTED.indexOf(lang) < 0 || lang === LC.lang) return;
    LC.lang = lang;
    try { window.localStorage.setItem("lc.lang", lang); } catch (e) { /* private mode: this tab only */ }
    // The server reads this cookie to answer the next GET /console with <html lang> already right.
    document.cookie = "lc_lang=" + lang + "; Path=/console; Max-Age=31536000; SameSite=Lax";
    document.documentElement.setAttribute("lang", lang);
    if (LC.onLangChange) LC.onLangChange();
  };

  // Formatting in the console's language (Intl).
  LC.number = function (n) {
    return new Intl.NumberFormat(LC.lang).format(n);
  };
  LC.money = function (minorUnits, currency) {
    // narrowSymbol: "₽" in English too, not "RUB" (an owner reads the sign, whatever the language)
    var format = new Intl.NumberFormat(LC.lang, {style: "currency", currency: currency || "RUB",
                                                 currencyDisplay: "narrowSymbol"});
    var digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(minorUnits / Math.pow(10, digits));
  };
  LC.date = function (iso) {
    if (!iso) return "";
    if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) {  // a calendar day: no time zone shift
      var parts = iso.split("-");
      return new Intl.DateTimeFormat(LC.lang, {dateStyle: "medium", timeZone: "UTC"})
        .format(new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2])));
    }
    var when = new Date(iso);
    if (isNaN(when.getTime())) return String(iso);
    return new Intl.DateTimeFormat(LC.lang, {dateStyle: "medium", timeStyle: "short"}).format(when);
  };

  /* LC.h("button", {class: "primary", type: "button", on: {click: fn}}, "Save") -> Element.
     Text always goes in as text nodes: nothing here parses HTML. */
  LC.h = function (tag, attrs) {
    var el = document.createElement(tag);
    attrs = attrs || {};
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === "on") {
        Object.keys(value).forEach(function (event) { el.addEventListener(event, value[event]); });
      } else if (name === "text") {
        el.textContent = String(value);
      } else if (name === "class") {
        el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
      } else if (name === "for") {
        el.htmlFor = value;
      } else if (name === "value" && ("value" in el)) {
        el.value = value;
      } else if (name === "checked" || name === "selected" || name === "disabled" || name === "hidden") {
        el[name] = Boolean(value);
      } else {
        el.setAttribute(name, value === true ? "" : String(value));
      }
    });
    LC.append(el, Array.prototype.slice.call(arguments, 2));
    return el;
  };

  /* Append children (Elements, strings, nested arrays; null and false skipped). */
  LC.append = function (el, children) {
    if (!Array.isArray(children)) children = [children];
    children.forEach(function add(child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) { child.forEach(add); return; }
      el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return el;
  };

  LC.clear = function (el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  };

  var counter = 0;
  LC.uid = function (prefix) {
    counter += 1;
    return (prefix || "lc") + "-" + counter;
  };

  LC.texts({
    ru: {
      "core.app": "Программа лояльности",
      "core.loading": "Загрузка…",
      "core.empty": "Здесь пока ничего нет.",
      "core.required": "Заполните это поле.",
      "core.too_small": "Не меньше {min}.",
      "core.too_large": "Не больше {max}.",
      "core.fix_errors": "Исправьте отмеченные поля.",
      "core.saved": "Сохранено.",
      "core.save": "Сохранить",
      "core.ok": "Да",
      "core.cancel": "Отмена",
      "core.close": "Закрыть",
      "core.menu": "Меню",
      "core.nav": "Разделы",
      "core.language": "Язык",
      "core.program": "Программа",
      "core.not_allowed": "Этот раздел недоступен для вашей роли.",
      "core.not_found": "Такой страницы нет.",
      "core.network": "Нет связи с сервером. Проверьте интернет и попробуйте ещё раз.",
      "core.session_ended": "Сессия закончилась: войдите снова.",
      "core.copied": "Скопировано.",
      "core.copy": "Копировать",
      "core.download_failed": "Не удалось скачать файл.",
      "error.unauthorized": "Нужно войти снова.",
      "error.forbidden": "Вашей роли это недоступно.",
      "error.not_found": "Не найдено.",
      "error.invalid_value": "Неверное значение.",
      "error.invalid_length": "Слишком длинно или слишком коротко.",
      "error.required": "Заполните это поле.",
      "error.unknown_field": "Неизвестное поле.",
      "error.slug_taken": "Этот адрес уже занят.",
      "error.invalid_type": "Неверный тип значения.",
      "error.invalid_format": "Неверный формат.",
      "error.out_of_range": "Значение вне допустимых пределов.",
      "error.invalid_choice": "Выберите один из вариантов.",
      "error.invalid_timezone": "Неизвестный часовой пояс.",
      "error.edit_conflict": "Кто-то изменил это одновременно с вами; обновите страницу.",
      "error.conflict": "Конфликт: такая запись уже есть.",
      "error.conflict_retry": "Данные менялись одновременно; попробуйте ещё раз.",
      "error.busy": "Сервер занят; попробуйте через минуту.",
      "error.rate_limited": "Слишком много запросов; подождите немного.",
      "error.payload_too_large": "Файл или запрос слишком большой.",
      "error.internal_error": "Что-то сломалось на нашей стороне. Попробуйте ещё раз.",
      "error.last_owner": "Нельзя убрать или понизить последнего владельца.",
      "error.invalid_image": "Это не изображение PNG или JPEG.",
      "error.image_too_large": "Изображение больше 4 МБ."
    },
    en: {
      "core.app": "Loyalty program",
      "core.loading": "Loading…",
      "core.empty": "Nothing here yet.",
      "core.required": "Fill in this field.",
      "core.too_small": "At least {min}.",
      "core.too_large": "At most {max}.",
      "core.fix_errors": "Fix the marked fields.",
      "core.saved": "Saved.",
      "core.save": "Save",
      "core.ok": "Yes",
      "core.cancel": "Cancel",
      "core.close": "Close",
      "core.menu": "Menu",
      "core.nav": "Sections",
      "core.language": "Language",
      "core.program": "Program",
      "core.not_allowed": "This section is not available for your role.",
      "core.not_found": "There is no such page.",
      "core.network": "Cannot reach the server. Check the connection and try again.",
      "core.session_ended": "Your session ended: sign in again.",
      "core.copied": "Copied.",
      "core.copy": "Copy",
      "core.download_failed": "The file could not be downloaded.",
      "error.unauthorized": "Sign in again.",
      "error.forbidden": "Your role cannot do this.",
      "error.not_found": "Not found.",
      "error.invalid_value": "This value is not valid.",
      "error.invalid_length": "Too long or too short.",
      "error.required": "Fill in this field.",
      "error.unknown_field": "Unknown field.",
      "error.slug_taken": "This link is taken.",
      "error.invalid_type": "Wrong kind of value.",
      "error.invalid_format": "Wrong format.",
      "error.out_of_range": "The value is out of range.",
      "error.invalid_choice": "Pick one of the options.",
      "error.invalid_timezone": "Unknown time zone.",
      "error.edit_conflict": "Someone changed this at the same time; reload the page.",
      "error.conflict": "Conflict: this already exists.",
      "error.conflict_retry": "The data changed meanwhile; try again.",
      "error.busy": "The server is busy; try again in a minute.",
      "error.rate_limited": "Too many requests; wait a little.",
      "error.payload_too_large": "The file or request is too large.",
      "error.internal_error": "Something broke on our side. Try again.",
      "error.last_owner": "The last owner cannot be removed or demoted.",
      "error.invalid_image": "This is not a PNG or JPEG image.",
      "error.image_too_large": "The image is larger than 4 MB."
    }
  });
})();
