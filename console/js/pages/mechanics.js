/* Mechanics: what kind of program this is (points, cashback, stamps, discount) with its stamp card or
   its discount per tier, product rules, bonuses for actions and the survey after a purchase. Each part
   is its own form saved with PATCH /admin/programs/{id} {"mechanics": {<that part>}}; an error comes
   back at its field (mechanics.stamps.per_reward, mechanics.products[2].multiplier).
   Also LC.mech: what the offers and challenges pages share with this one (an editable list of items
   saved as one mechanics section, names in two languages, lists of SKUs, money in major units). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  var KINDS = ['points', 'cashback', 'stamps', 'discount'];
  var EFFECTS = ['exclude', 'earn_percent', 'multiplier'];
  var ACTIONS = ['profile_completed', 'survey_answered', 'first_purchase'];
  var MAX_PRODUCT_RULES = 50;
  // The rule Russian law asks of every program: tobacco earns nothing and is not paid with points.
  var TOBACCO = {id: 'tobacco', skus: [], categories: ['tobacco'], exclude: true};

  LC.texts({
    ru: {
      'mech.title': 'Механика',
      'mech.intro': 'Как клиенты копят и что получают. Каждый блок сохраняется отдельно.',
      'mech.kind_section': 'Вид программы', 'mech.kind': 'Как клиент получает выгоду',
      'mech.kind_points': 'Баллы', 'mech.kind_cashback': 'Кешбэк баллами', 'mech.kind_stamps': 'Штампы (каждый N-й бесплатно)',
      'mech.kind_discount': 'Скидка по уровню',
      'mech.kind_locked': 'У клиентов уже есть карты: вид программы не меняется (баланс значил бы другое). Для другого вида создайте новую программу.',
      'mech.per_reward': 'Штампов на награду', 'mech.per_reward_hint': 'От 2 до 50. «9» — каждый десятый кофе бесплатно.',
      'mech.per': 'Штамп ставится', 'mech.per_item': 'за каждый подходящий товар', 'mech.per_receipt': 'за покупку',
      'mech.stamp_skus': 'За какие артикулы (SKU)', 'mech.stamp_categories': 'За какие категории',
      'mech.list_hint': 'Через запятую. Пусто и там и там — любой товар, кроме исключённых правилами.',
      'mech.min_total': 'Минимальная сумма покупки ({currency})',
      'mech.reward_ru': 'Награда по-русски', 'mech.reward_en': 'Награда по-английски',
      'mech.reward_hint': 'Что даёт полная карта: «Бесплатный кофе».',
      'mech.discount_tier': 'Скидка уровня «{name}», %',
      'mech.products': 'Правила для товаров',
      'mech.products_intro': 'Первое подходящее правило решает. Исключённые товары не копят баллы и штампы, на них нет скидки, и их нельзя оплатить баллами.',
      'mech.rule': 'Правило {n}', 'mech.rule_id': 'Код правила', 'mech.rule_id_hint': 'Строчные латинские буквы, цифры, «-» и «_», без пробелов: tobacco, coffee-x2.',
      'mech.skus': 'Артикулы (SKU)', 'mech.categories': 'Категории', 'mech.match_hint': 'Через запятую; нужно хотя бы одно значение в одном из полей.',
      'mech.effect': 'Что делать', 'mech.effect_exclude': 'Исключить', 'mech.effect_earn_percent': 'Свой процент начисления',
      'mech.effect_multiplier': 'Множитель баллов',
      'mech.effect_value': 'Процент или множитель', 'mech.effect_value_hint': 'Процент: 0–100. Множитель: от 0,1 до 10.',
      'mech.from': 'Действует с', 'mech.until': 'Действует по', 'mech.dates_hint': 'Пусто — всегда. Дни по часовому поясу программы, включительно.',
      'mech.add_rule': 'Добавить правило', 'mech.add_tobacco': 'Табак: исключить (закон)', 'mech.remove': 'Удалить',
      'mech.removed': 'Удалено из списка. Нажмите «Сохранить», чтобы применить.',
      'mech.empty_list': 'Пока ничего нет.',
      'mech.actions': 'Бонусы за действия', 'mech.actions_intro': 'Каждый — один раз на карту. 0 — не давать.',
      'mech.action_profile_completed': 'Заполнил профиль (почта и день рождения)', 'mech.action_survey_answered': 'Ответил на опрос',
      'mech.action_first_purchase': 'Первая покупка',
      'mech.survey': 'Опрос после покупки', 'mech.survey_on': 'Спрашивать клиентов после покупки',
      'mech.survey_kind': 'Вопрос', 'mech.survey_nps': 'NPS: порекомендуете ли нас (0–10)', 'mech.survey_csi': 'CSI: довольны ли покупкой (1–5)',
      'mech.delay': 'Через сколько минут после покупки', 'mech.sample': 'Какой доле покупок, %',
      'mech.period': 'Не чаще раза в столько дней на клиента',
      'mech.question_ru': 'Свой вопрос по-русски', 'mech.question_en': 'Свой вопрос по-английски',
      'mech.question_hint': 'Пусто — стандартный вопрос.',
      'mech.saved': 'Сохранено. Кассы увидят изменения в течение минуты.',
      'mech.kind_changed': 'Вид программы изменён: проверьте описание и условия программы на странице оформления — в них могут остаться слова о баллах.', 'mech.one_language': 'Хотя бы на одном языке.',
      'error.kind_locked': 'У клиентов уже есть карты: вид программы не меняется. Создайте новую программу.',
      'error.too_many': 'Слишком много записей.', 'error.duplicate': 'Такой код уже есть в списке.',
      'error.redeem_not_allowed': 'В этой программе баллами не платят.'
    },
    en: {
      'mech.title': 'Mechanics',
      'mech.intro': 'How customers collect and what they get. Each block is saved on its own.',
      'mech.kind_section': 'Kind of program', 'mech.kind': 'How customers benefit',
      'mech.kind_points': 'Points', 'mech.kind_cashback': 'Cashback in points', 'mech.kind_stamps': 'Stamps (every Nth free)',
      'mech.kind_discount': 'Discount by tier',
      'mech.kind_locked': 'Customers already hold cards: the kind cannot change (balances would mean something else). Make a new program for another kind.',
      'mech.per_reward': 'Stamps per reward', 'mech.per_reward_hint': '2 to 50. “9”: every tenth coffee is free.',
      'mech.per': 'A stamp is given', 'mech.per_item': 'for each qualifying item', 'mech.per_receipt': 'per purchase',
      'mech.stamp_skus': 'For which SKUs', 'mech.stamp_categories': 'For which categories',
      'mech.list_hint': 'Separated by commas. Both empty: any item not excluded by a rule.',
      'mech.min_total': 'Least purchase ({currency})',
      'mech.reward_ru': 'Reward in Russian', 'mech.reward_en': 'Reward in English',
      'mech.reward_hint': 'What a full card gives: “A free coffee”.',
      'mech.discount_tier': 'Discount of tier “{name}”, %',
      'mech.products': 'Product rules',
      'mech.products_intro': 'The first matching rule decides. Excluded products earn no points or stamps, get no discount and cannot be paid with points.',
      'mech.rule': 'Rule {n}', 'mech.rule_id': 'Rule code', 'mech.rule_id_hint': 'Small Latin letters, digits, - and _, no spaces: tobacco, coffee-x2.',
      'mech.skus': 'SKUs', 'mech.categories': 'Categories', 'mech.match_hint': 'Separated by commas; at least one value in one of them.',
      'mech.effect': 'What it does', 'mech.effect_exclude': 'Exclude', 'mech.effect_earn_percent': 'Own earn percent',
      'mech.effect_multiplier': 'Points multiplier',
      'mech.effect_value': 'Percent or multiplier', 'mech.effect_value_hint': 'Percent: 0–100. Multiplier: 0.1 to 10.',
      'mech.from': 'From', 'mech.until': 'Until', 'mech.dates_hint': 'Empty: always. Days in the program’s time zone, both included.',
      'mech.add_rule': 'Add a rule', 'mech.add_tobacco': 'Tobacco: excluded (law)', 'mech.remove': 'Remove',
      'mech.removed': 'Removed from the list. Press “Save” to apply.',
      'mech.empty_list': 'Nothing here yet.',
      'mech.actions': 'Bonuses for actions', 'mech.actions_intro': 'Each once per card. 0: none.',
      'mech.action_profile_completed': 'Completed the profile (e-mail and birthday)', 'mech.action_survey_answered': 'Answered a survey',
      'mech.action_first_purchase': 'First purchase',
      'mech.survey': 'Survey after a purchase', 'mech.survey_on': 'Ask customers after a purchase',
      'mech.survey_kind': 'Question', 'mech.survey_nps': 'NPS: would you recommend us (0–10)', 'mech.survey_csi': 'CSI: are you happy with the purchase (1–5)',
      'mech.delay': 'Minutes after the purchase', 'mech.sample': 'Share of purchases asked, %',
      'mech.period': 'At most once in this many days per customer',
      'mech.question_ru': 'Own question in Russian', 'mech.question_en': 'Own question in English',
      'mech.question_hint': 'Empty: the built-in question.',
      'mech.saved': 'Saved. Tills see the change within a minute.',
      'mech.kind_changed': 'The kind of program changed: check the program’s description and terms on the design page, they may still speak of points.', 'mech.one_language': 'In one language at least.',
      'error.kind_locked': 'Customers already hold cards: the kind of program cannot change. Make a new program.',
      'error.too_many': 'Too many entries.', 'error.duplicate': 'This code is in the list already.',
      'error.redeem_not_allowed': 'This program is not paid with points.',
      'mech.economics': 'Economics', 'mech.margin': 'Gross margin on sales, %',
      'mech.margin_hint': 'What is left of a sale after the cost of goods. Experiments use it for ROMI; empty: not set, no ROMI.',
      'mech.price': 'Price of one message: {channel} ({currency})',
      'mech.ch_wallet': 'wallet notice', 'mech.ch_email': 'e-mail', 'mech.ch_telegram': 'Telegram', 'mech.ch_sms': 'SMS',
      'mech.economics_intro': 'ROMI = (extra revenue × margin − cost of bonuses and messages) ÷ that cost, for each campaign and automatic message with a control group.',
      'mech.economics_when': 'Prices apply to messages sent from now; the margin applies to every report.',
      'mech.economics_saved': 'Saved.'
    }
  });
  LC.texts({ru: {
    'mech.economics': 'Экономика', 'mech.margin': 'Валовая маржа с продаж, %',
    'mech.margin_hint': 'Что остаётся от продажи за вычетом себестоимости. Нужна экспериментам для ROMI; пусто — не задана, ROMI не считается.',
    'mech.price': 'Цена одного сообщения: {channel} ({currency})',
    'mech.ch_wallet': 'уведомление на карте', 'mech.ch_email': 'письмо', 'mech.ch_telegram': 'Telegram', 'mech.ch_sms': 'SMS',
    'mech.economics_intro': 'ROMI = (дополнительная выручка × маржа − затраты на бонусы и сообщения) ÷ эти затраты, для каждой рассылки и автосообщения с контрольной группой.',
    'mech.economics_when': 'Цены применяются к сообщениям, отправленным с этого момента; маржа — ко всем отчётам.',
    'mech.economics_saved': 'Сохранено.'
  }});

  /* ---- LC.mech: shared with offers.js and challenges.js (used at render time: load order does not matter) */

  /* "a, b\nc" -> ["a", "b", "c"]; and back. */
  function words(text) {
    return String(text || '').split(/[,;\n]/).map(function (w) { return w.trim(); }).filter(Boolean);
  }
  function joined(list) { return (list || []).join(', '); }

  /* A name the API takes (common.md: a string or {"ru", "en"}): only the languages written. */
  function localizedOf(values, prefix) {
    var out = {};
    LC.languages.forEach(function (lang) {
      var text = String(values[prefix + '.' + lang] || '').trim();
      if (text) out[lang] = text;
    });
    return Object.keys(out).length ? out : null;
  }
  function inLang(text, lang) {
    if (text === null || text === undefined) return '';
    return typeof text === 'object' ? (text[lang] || '') : (lang === LC.languages[0] ? String(text) : '');
  }
  /* Two text fields (ru, en) for one name; the API's error on the name marks the first. A required name
     needs one language, either (checked by `requireName` when the form is sent). */
  function nameFields(prefix, labelKeys, value, options) {
    options = options || {};
    var hint = [options.hint, options.required ? t('mech.one_language') : ''].filter(Boolean).join(' ');
    return LC.languages.map(function (lang, i) {
      return {name: prefix + '.' + lang, label: t(labelKeys[i]), type: 'text', lang: lang, maxlength: options.maxlength || 80,
              value: inLang(value, lang), hint: i === 0 && hint ? hint : undefined, errorFields: i === 0 ? [prefix] : undefined};
    });
  }
  /* A name left empty in every language: the error the API would give, at the name's first field. */
  function requireName(values, prefix) {
    if (!localizedOf(values, prefix)) throw new LC.ApiError(0, 'required', prefix, '');
  }

  /* Minor units per major unit of a currency (100 for RUB and EUR, 1 for JPY). */
  function scale(currency) {
    try {
      return Math.pow(10, new Intl.NumberFormat('en', {style: 'currency', currency: currency}).resolvedOptions()
        .maximumFractionDigits);
    } catch (e) { return 100; }
  }
  function toMinor(major, currency) {
    return major === null || major === '' || major === undefined ? 0 : Math.round(Number(major) * scale(currency));
  }
  function toMajor(minor, currency) { return minor ? String(minor / scale(currency)) : ''; }

  function number(values, name) {
    var raw = values[name];
    return raw === null || raw === '' || raw === undefined ? null : Number(raw);
  }

  /* The program with one mechanics section changed; the console's copy of the program follows. */
  async function save(program, part) {
    var saved = await LC.api('PATCH', LC.ops.programPath(program), {mechanics: part});
    if (LC.program && LC.program.id === saved.id) Object.assign(LC.program, saved);
    LC.programs.forEach(function (p) { if (p.id === saved.id) Object.assign(p, saved); });
    return saved;
  }

  function panel(titleKey, className) {
    return h('section', {'class': ['panel', 'ops-section', 'mech-section', className], 'aria-label': t(titleKey)},
             h('h2', null, t(titleKey)));
  }

  /* Show or hide a field's row (its error too: a hidden field is not checked). */
  function showField(form, name, visible) {
    var el = form.field(name);
    var row = el && el.closest('.field');
    if (row) row.hidden = !visible;
  }

  /* An editable list saved as one mechanics section (product rules, offers, challenges): every item's
     fields in one form named by the API's paths (mechanics.offers[2].name.ru), so an error lands at its
     input. Adding or removing an item draws the form again from what is typed so far.
     spec: {host, path, items, max, itemTitle(i, item), fields(prefix, item) -> LC.form fields,
            read(values, prefix, item) -> API item, blank() -> item, presets: [{label, item}], sync(form, prefix),
            addLabel, onSaved(program) } */
  function listEditor(spec) {
    var items = (spec.items || []).slice();
    var form = null;

    function current() {
      if (!form) return items;
      var values = form.values();
      return items.map(function (item, i) { return spec.read(values, spec.path + '[' + i + ']', item); });
    }

    function focusItem(i) {
      var el = form && form.querySelector('[name^="' + spec.path + '[' + i + ']."]');
      if (el) el.focus();
    }

    function draw() {
      var fields = [];
      items.forEach(function (item, i) {
        var prefix = spec.path + '[' + i + ']';
        var title = spec.itemTitle(i, item);
        fields.push({element: h('div', {'class': 'mech-item-head'},
          h('h3', null, title),
          h('button', {type: 'button', 'class': 'secondary mech-remove', 'aria-label': t('mech.remove') + ': ' + title,
                       on: {click: function () {
                         items = current();
                         items.splice(i, 1);
                         draw();
                         LC.toast(t('mech.removed'));
                         var next = form.querySelector('.mech-remove') || form.querySelector('.mech-add');
                         if (next) next.focus();
                       }}}, t('mech.remove')))});
        spec.fields(prefix, item).forEach(function (field) { fields.push(field); });
      });
      if (!items.length) fields.push({element: h('p', {'class': 'empty'}, t('mech.empty_list'))});
      var adders = [h('button', {type: 'button', 'class': 'secondary mech-add', on: {click: function () { add(spec.blank()); }}},
                      spec.addLabel)];
      (spec.presets || []).forEach(function (preset) {
        adders.push(h('button', {type: 'button', 'class': 'secondary mech-preset', on: {click: function () { add(preset.item); }}},
                      preset.label));
      });
      fields.push({element: h('div', {'class': 'actions mech-adders'}, adders)});
      var fresh = LC.form({
        fields: fields,
        'class': 'mech-list',
        onSubmit: async function (values) {
          if (spec.check) items.forEach(function (item, i) { spec.check(values, spec.path + '[' + i + ']'); });
          items = current();
          var part = {};
          part[spec.path.slice('mechanics.'.length)] = items;
          var saved = await save(spec.program, part);
          spec.program = saved;
          if (spec.onSaved) spec.onSaved(saved);
          LC.toast(t('mech.saved'));
        }
      });
      if (form) form.replaceWith(fresh); else spec.host.appendChild(fresh);
      form = fresh;
      if (spec.sync) {
        var syncAll = function () { items.forEach(function (item, i) { spec.sync(form, spec.path + '[' + i + ']'); }); };
        form.addEventListener('change', syncAll);
        syncAll();
      }
    }

    function add(item) {
      items = current();
      if (spec.max && items.length >= spec.max) { LC.toast(t('error.too_many'), 'error'); return; }
      items.push(JSON.parse(JSON.stringify(item)));
      draw();
      focusItem(items.length - 1);
    }

    draw();
    return {form: function () { return form; }};
  }

  LC.mech = {words: words, joined: joined, localizedOf: localizedOf, nameFields: nameFields, requireName: requireName, scale: scale,
             toMinor: toMinor, toMajor: toMajor, number: number, save: save, panel: panel, showField: showField,
             listEditor: listEditor};

  /* ---- the page */

  /* Whether customers hold cards of the program already (then its kind is fixed): one card is enough. */
  async function hasCards(program) {
    if (!LC.can('cards:read')) return false;
    try {
      var page = await LC.api('GET', LC.ops.programPath(program, '/cards?limit=1'));
      return Boolean(page && page.items && page.items.length);
    } catch (err) { return false; }  // the API refuses a kind change anyway
  }

  function kindForm(program, locked, onSaved) {
    var m = program.mechanics || {};
    var stamps = m.stamps || {};
    var tiers = m.tiers || [];
    var currency = program.currency;
    var fields = [
      {name: 'mechanics.kind', label: t('mech.kind'), type: 'select', value: m.kind || 'points', disabled: locked,
       hint: locked ? t('mech.kind_locked') : undefined,
       options: KINDS.map(function (k) { return {value: k, label: t('mech.kind_' + k)}; })},
      {name: 'mechanics.stamps.per_reward', label: t('mech.per_reward'), type: 'number', min: 2, max: 50, step: 1,
       required: true, value: String(stamps.per_reward || 9), hint: t('mech.per_reward_hint')},
      {name: 'mechanics.stamps.per', label: t('mech.per'), type: 'select', value: stamps.per || 'item',
       options: [{value: 'item', label: t('mech.per_item')}, {value: 'receipt', label: t('mech.per_receipt')}]},
      {name: 'mechanics.stamps.skus', label: t('mech.stamp_skus'), type: 'text', value: joined(stamps.skus)},
      {name: 'mechanics.stamps.categories', label: t('mech.stamp_categories'), type: 'text', value: joined(stamps.categories),
       hint: t('mech.list_hint')},
      {name: 'mechanics.stamps.min_total', label: t('mech.min_total', {currency: currency}), type: 'number', min: 0,
       step: 1 / scale(currency), value: toMajor(stamps.min_total, currency)}
    ].concat(nameFields('mechanics.stamps.reward', ['mech.reward_ru', 'mech.reward_en'], stamps.reward,
                        {required: true, hint: t('mech.reward_hint')}));
    tiers.forEach(function (tier, i) {
      fields.push({name: 'mechanics.tiers[' + i + '].discount_percent', type: 'number', min: 0, max: 100, step: 0.01,
                   required: true, label: t('mech.discount_tier', {name: LC.ops.localized(tier.name) || tier.id}),
                   value: tier.discount_percent === undefined || tier.discount_percent === null ? '' : String(tier.discount_percent)});
    });
    var form = LC.form({
      fields: fields,
      'class': 'mech-kind',
      onSubmit: async function (values) {
        var kind = values['mechanics.kind'];
        var part = {};
        if (kind !== m.kind) part.kind = kind;
        if (kind === 'stamps') {
          requireName(values, 'mechanics.stamps.reward');
          part.stamps = {per_reward: number(values, 'mechanics.stamps.per_reward'), per: values['mechanics.stamps.per'],
                         skus: words(values['mechanics.stamps.skus']), categories: words(values['mechanics.stamps.categories']),
                         min_total: toMinor(values['mechanics.stamps.min_total'], currency),
                         reward: localizedOf(values, 'mechanics.stamps.reward')};
        } else if (m.stamps) {
          part.stamps = null;
        }
        if (kind === 'discount') {
          part.tiers = tiers.map(function (tier, i) {
            return Object.assign({}, tier, {discount_percent: number(values, 'mechanics.tiers[' + i + '].discount_percent')});
          });
        }
        var before = m.kind;
        var saved = await save(program, part);
        m = saved.mechanics || m;  // the next save compares with what is stored now
        tiers = m.tiers || tiers;
        onSaved(saved);
        LC.toast(t('mech.saved'));
        if (before && m.kind !== before) LC.toast(t('mech.kind_changed'));
      }
    });
    function sync() {
      var kind = form.field('mechanics.kind').value;
      fields.forEach(function (field) {
        if (/^mechanics\.stamps\./.test(field.name)) showField(form, field.name, kind === 'stamps');
        if (/^mechanics\.tiers\[/.test(field.name)) showField(form, field.name, kind === 'discount');
      });
    }
    form.addEventListener('change', sync);
    sync();
    return form;
  }

  function ruleFields(prefix, rule) {
    var effect = rule.exclude ? 'exclude' : (rule.multiplier !== undefined && rule.multiplier !== null ? 'multiplier' : 'earn_percent');
    var amount = effect === 'multiplier' ? rule.multiplier : effect === 'earn_percent' ? rule.earn_percent : null;
    return [
      {name: prefix + '.id', label: t('mech.rule_id'), type: 'text', required: true, maxlength: 32, value: rule.id || '',
       hint: t('mech.rule_id_hint'), autocomplete: 'off', errorFields: [prefix]},
      {name: prefix + '.skus', label: t('mech.skus'), type: 'text', value: joined(rule.skus)},
      {name: prefix + '.categories', label: t('mech.categories'), type: 'text', value: joined(rule.categories),
       hint: t('mech.match_hint')},
      {name: prefix + '.effect', label: t('mech.effect'), type: 'select', value: effect,
       options: EFFECTS.map(function (e) { return {value: e, label: t('mech.effect_' + e)}; })},
      {name: prefix + '.amount', label: t('mech.effect_value'), type: 'number', min: 0, max: 100, step: 0.01, required: true,
       value: amount === null || amount === undefined ? '' : String(amount), hint: t('mech.effect_value_hint'),
       errorFields: [prefix + '.earn_percent', prefix + '.multiplier', prefix + '.exclude']},
      {name: prefix + '.from', label: t('mech.from'), type: 'date', value: rule.from || ''},
      {name: prefix + '.until', label: t('mech.until'), type: 'date', value: rule.until || '', hint: t('mech.dates_hint')}
    ];
  }

  function readRule(values, prefix) {
    var rule = {id: String(values[prefix + '.id'] || '').trim(), skus: words(values[prefix + '.skus']),
                categories: words(values[prefix + '.categories'])};
    var effect = values[prefix + '.effect'];
    if (effect === 'exclude') rule.exclude = true;
    else rule[effect] = number(values, prefix + '.amount');
    if (values[prefix + '.from']) rule.from = values[prefix + '.from'];
    if (values[prefix + '.until']) rule.until = values[prefix + '.until'];
    return rule;
  }

  function productRules(host, program, onSaved) {
    host.appendChild(h('p', {'class': 'muted'}, t('mech.products_intro')));
    LC.mech.listEditor({
      host: host, program: program, path: 'mechanics.products', max: MAX_PRODUCT_RULES,
      items: (program.mechanics && program.mechanics.products) || [],
      itemTitle: function (i, rule) { return t('mech.rule', {n: i + 1}) + (rule.id ? ' · ' + rule.id : ''); },
      fields: ruleFields, read: readRule,
      blank: function () { return {id: '', skus: [], categories: [], earn_percent: 0}; },
      presets: [{label: t('mech.add_tobacco'), item: TOBACCO}],
      addLabel: t('mech.add_rule'),
      sync: function (form, prefix) {
        showField(form, prefix + '.amount', form.field(prefix + '.effect').value !== 'exclude');
      },
      onSaved: onSaved
    });
  }

  function actionsForm(program, onSaved) {
    var actions = (program.mechanics && program.mechanics.actions) || {};
    return LC.form({
      fields: ACTIONS.map(function (a) {
        return {name: 'mechanics.actions.' + a, label: t('mech.action_' + a), type: 'number', min: 0, max: 10000000, step: 1,
                required: true, value: String(actions[a] || 0)};
      }),
      'class': 'mech-actions',
      onSubmit: async function (values) {
        var part = {actions: {}};
        ACTIONS.forEach(function (a) { part.actions[a] = number(values, 'mechanics.actions.' + a); });
        onSaved(await save(program, part));
        LC.toast(t('mech.saved'));
      }
    });
  }

  function surveyForm(program, onSaved) {
    var survey = (program.mechanics && program.mechanics.survey) || null;
    var s = survey || {};
    var form = LC.form({
      fields: [
        {name: 'survey_on', label: t('mech.survey_on'), type: 'checkbox', value: Boolean(survey)},
        {name: 'mechanics.survey.kind', label: t('mech.survey_kind'), type: 'select', value: s.kind || 'nps',
         options: [{value: 'nps', label: t('mech.survey_nps')}, {value: 'csi', label: t('mech.survey_csi')}]},
        {name: 'mechanics.survey.delay_minutes', label: t('mech.delay'), type: 'number', min: 0, max: 10080, step: 1,
         required: true, value: String(s.delay_minutes === undefined ? 120 : s.delay_minutes)},
        {name: 'mechanics.survey.sample_percent', label: t('mech.sample'), type: 'number', min: 1, max: 100, step: 1,
         required: true, value: String(s.sample_percent || 100)},
        {name: 'mechanics.survey.period_days', label: t('mech.period'), type: 'number', min: 1, max: 365, step: 1,
         required: true, value: String(s.period_days || 30)}
      ].concat(nameFields('mechanics.survey.question', ['mech.question_ru', 'mech.question_en'], s.question,
                          {hint: t('mech.question_hint'), maxlength: 200})),
      'class': 'mech-survey',
      onSubmit: async function (values) {
        var part = {survey: null};
        if (values.survey_on) {
          part.survey = {kind: values['mechanics.survey.kind'],
                         delay_minutes: number(values, 'mechanics.survey.delay_minutes'),
                         sample_percent: number(values, 'mechanics.survey.sample_percent'),
                         period_days: number(values, 'mechanics.survey.period_days')};
          var question = localizedOf(values, 'mechanics.survey.question');
          if (question) part.survey.question = question;
        }
        onSaved(await save(program, part));
        LC.toast(t('mech.saved'));
      }
    });
    function sync() {
      var on = form.field('survey_on').checked;
      ['kind', 'delay_minutes', 'sample_percent', 'period_days', 'question.ru', 'question.en'].forEach(function (name) {
        showField(form, 'mechanics.survey.' + name, on);
      });
    }
    form.addEventListener('change', sync);
    sync();
    return form;
  }

  var PRICED = ['wallet', 'email', 'telegram', 'sms'];

  /* mechanics.economics: the margin (ROMI's incremental margin) and the price of a message by channel
     (ROMI's cost), money in major units here and minor units in the API. */
  function economicsForm(program, onSaved) {
    var e = (program.mechanics && program.mechanics.economics) || {};
    var prices = e.message_prices || {};
    var fields = [{name: 'mechanics.economics.margin_percent', label: t('mech.margin'), type: 'number', min: 0, max: 100,
                   step: 0.01, hint: t('mech.margin_hint'),
                   value: e.margin_percent === null || e.margin_percent === undefined ? '' : String(e.margin_percent)}];
    PRICED.forEach(function (channel) {
      fields.push({name: 'mechanics.economics.message_prices.' + channel, type: 'number', min: 0,
                   step: 1 / scale(program.currency), value: toMajor(prices[channel] || 0, program.currency) || '0',
                   label: t('mech.price', {channel: t('mech.ch_' + channel), currency: program.currency})});
    });
    var done = h('p', {'class': 'mech-economics-saved', role: 'status', 'aria-live': 'polite'});
    var form = LC.form({
      fields: fields,
      'class': 'mech-economics',
      onSubmit: async function (values) {
        var part = {economics: {margin_percent: number(values, 'mechanics.economics.margin_percent'), message_prices: {}}};
        PRICED.forEach(function (channel) {
          part.economics.message_prices[channel] = toMinor(values['mechanics.economics.message_prices.' + channel], program.currency);
        });
        done.textContent = '';
        onSaved(await save(program, part));
        done.textContent = '✓ ' + t('mech.economics_saved');  // seen inside the block, not only in a toast
        LC.toast(t('mech.saved'));
      }
    });
    form.addEventListener('input', function () { done.textContent = ''; });
    form.appendChild(done);
    return form;
  }

  LC.route('#/mechanics', {
    title: 'mech.title',
    needsProgram: true,
    order: 45,
    permission: 'programs:write',
    render: async function (main) {
      main.appendChild(h('p', {'class': 'muted'}, t('mech.intro')));
      var box = h('div', {'class': 'mech-page'});
      main.appendChild(box);
      LC.loading(box);
      var answers = await Promise.all([LC.api('GET', LC.ops.programPath(LC.program)), hasCards(LC.program)]);
      var program = answers[0], locked = answers[1];
      LC.loaded(box);

      /* Each block keeps its own form; a save gives the others the program as it now is. */
      function saved(fresh) { program = fresh; }
      var kind = panel('mech.kind_section', 'mech-kind-section');
      kind.appendChild(kindForm(program, locked, saved));
      var products = panel('mech.products', 'mech-products');
      productRules(products, program, saved);
      var actions = panel('mech.actions', 'mech-actions-section');
      actions.appendChild(h('p', {'class': 'muted'}, t('mech.actions_intro')));
      actions.appendChild(actionsForm(program, saved));
      var survey = panel('mech.survey', 'mech-survey-section');
      survey.appendChild(surveyForm(program, saved));
      var economics = panel('mech.economics', 'mech-economics-section');
      economics.appendChild(h('p', {'class': 'muted'}, t('mech.economics_intro')));
      economics.appendChild(h('p', {'class': 'hint mech-economics-when'}, t('mech.economics_when')));
      economics.appendChild(economicsForm(program, saved));
      LC.append(box, [kind, products, actions, survey, economics]);
    }
  });
})();
