/* Offers: the owner defines the offers a card may hold (a reward of points, a percentage or a free
   item; conditions: least total, products, days and hours; how long a held one is valid; issued
   automatically on a favourite product or not), saved as `mechanics.offers`. LC.offersOnCard draws a
   customer's held offers on the card page, with "Issue an offer" and "Withdraw"
   (GET/POST/DELETE /admin/cards/{id}/offers). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  var REWARDS = ['points', 'percent', 'free_item'];
  var DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  var STATUSES = ['live', 'used', 'expired'];
  var MAX_OFFERS = 30;

  LC.texts({
    ru: {
      'offers.title': 'Предложения',
      'offers.intro': 'Разовые подарки, которые клиент держит на карте и получает на кассе. Выдайте предложение клиенту на его карте, сегменту — в рассылке, или автоматически — любимым товаром.',
      'offers.offer': 'Предложение {n}', 'offers.id': 'Код предложения', 'offers.id_hint': 'Строчные латинские буквы, цифры, «-» и «_», без пробелов: free-dessert.',
      'offers.name_ru': 'Название по-русски', 'offers.name_en': 'Название по-английски',
      'offers.reward': 'Подарок', 'offers.reward_points': 'Баллы', 'offers.reward_percent': 'Скидка в процентах',
      'offers.reward_free_item': 'Товар бесплатно',
      'offers.points': 'Сколько баллов', 'offers.percent': 'Скидка, %', 'offers.item': 'Какой товар',
      'offers.sku': 'Его артикул (SKU)', 'offers.sku_hint': 'Скидкой станет цена этого товара в чеке.',
      'offers.min_total': 'Покупка от ({currency})', 'offers.skus': 'Только с артикулами (SKU)',
      'offers.categories': 'Только с категориями', 'offers.list_hint': 'Через запятую; пусто — любой товар.',
      'offers.days': 'В какие дни', 'offers.days_hint': 'Ни одного — в любой день.',
      'offers.day_mon': 'Пн', 'offers.day_tue': 'Вт', 'offers.day_wed': 'Ср', 'offers.day_thu': 'Чт', 'offers.day_fri': 'Пт',
      'offers.day_sat': 'Сб', 'offers.day_sun': 'Вс',
      'offers.hours_from': 'С (время)', 'offers.hours_to': 'До (время)', 'offers.hours_hint': 'Пусто — весь день.',
      'offers.valid_days': 'Действует дней после выдачи',
      'offers.auto': 'Выдавать сам на любимый товар клиента', 'offers.min_units': 'После скольких штук товара',
      'offers.every_days': 'Не чаще раза в столько дней',
      'offers.add': 'Добавить предложение',
      'offers.on_card': 'Предложения на карте', 'offers.none_held': 'На карте нет предложений.',
      'offers.issue': 'Выдать предложение', 'offers.issue_submit': 'Выдать', 'offers.issued': 'Предложение выдано.',
      'offers.none_defined': 'Предложений ещё нет: создайте их на странице «Предложения».',
      'offers.withdraw': 'Отозвать', 'offers.withdraw_confirm': 'Отозвать предложение «{name}»? Клиент больше не сможет им воспользоваться.',
      'offers.withdrawn': 'Предложение отозвано.',
      'offers.valid_until': 'до {date}', 'offers.st_live': 'действует', 'offers.st_used': 'использовано',
      'offers.st_expired': 'истекло',
      'offers.give_points': '+{points}', 'offers.give_percent': 'скидка {percent}%', 'offers.give_item': 'бесплатно: {item}',
      'error.offer_not_found': 'Такого предложения нет.', 'error.too_many_offers': 'На карте уже 20 действующих предложений.',
      'error.offer_used': 'Предложение уже использовано.', 'error.offer_expired': 'Срок предложения истёк.'
    },
    en: {
      'offers.title': 'Offers',
      'offers.intro': 'One-time rewards a customer holds on the card and gets at the till. Issue one to a customer on their card, to a segment in a campaign, or automatically on a favourite product.',
      'offers.offer': 'Offer {n}', 'offers.id': 'Offer code', 'offers.id_hint': 'Small Latin letters, digits, - and _, no spaces: free-dessert.',
      'offers.name_ru': 'Name in Russian', 'offers.name_en': 'Name in English',
      'offers.reward': 'Reward', 'offers.reward_points': 'Points', 'offers.reward_percent': 'A percentage off',
      'offers.reward_free_item': 'A free item',
      'offers.points': 'How many points', 'offers.percent': 'Discount, %', 'offers.item': 'Which item',
      'offers.sku': 'Its SKU', 'offers.sku_hint': 'The discount is this item’s price on the receipt.',
      'offers.min_total': 'Purchase of at least ({currency})', 'offers.skus': 'Only with SKUs',
      'offers.categories': 'Only with categories', 'offers.list_hint': 'Separated by commas; empty: any item.',
      'offers.days': 'On which days', 'offers.days_hint': 'None ticked: any day.',
      'offers.day_mon': 'Mon', 'offers.day_tue': 'Tue', 'offers.day_wed': 'Wed', 'offers.day_thu': 'Thu', 'offers.day_fri': 'Fri',
      'offers.day_sat': 'Sat', 'offers.day_sun': 'Sun',
      'offers.hours_from': 'From (time)', 'offers.hours_to': 'Until (time)', 'offers.hours_hint': 'Empty: all day.',
      'offers.valid_days': 'Valid for days after it is issued',
      'offers.auto': 'Issue it by itself on a customer’s favourite product', 'offers.min_units': 'After how many units of the product',
      'offers.every_days': 'At most once in this many days',
      'offers.add': 'Add an offer',
      'offers.on_card': 'Offers on the card', 'offers.none_held': 'The card holds no offers.',
      'offers.issue': 'Issue an offer', 'offers.issue_submit': 'Issue', 'offers.issued': 'The offer is issued.',
      'offers.none_defined': 'No offers yet: make them on the Offers page.',
      'offers.withdraw': 'Withdraw', 'offers.withdraw_confirm': 'Withdraw the offer “{name}”? The customer can no longer use it.',
      'offers.withdrawn': 'The offer is withdrawn.',
      'offers.valid_until': 'until {date}', 'offers.st_live': 'live', 'offers.st_used': 'used',
      'offers.st_expired': 'expired',
      'offers.give_points': '+{points}', 'offers.give_percent': '{percent}% off', 'offers.give_item': 'free: {item}',
      'error.offer_not_found': 'There is no such offer.', 'error.too_many_offers': 'The card already holds 20 live offers.',
      'error.offer_used': 'The offer has been used.', 'error.offer_expired': 'The offer has expired.'
    }
  });

  /* What an offer gives, in words: "+100 points", "10% off", "free: a dessert". */
  function rewardText(reward) {
    reward = reward || {};
    if (reward.type === 'points') return t('offers.give_points', {points: LC.ops.points(reward.points || 0)});
    if (reward.type === 'percent') return t('offers.give_percent', {percent: LC.number(reward.percent || 0)});
    if (reward.type === 'free_item') return t('offers.give_item', {item: LC.ops.localized(reward.item)});
    return '';
  }

  function offerFields(currency) {
    return function (prefix, offer) {
      var reward = offer.reward || {type: 'points'};
      var c = offer.conditions || {};
      var hours = c.hours || ['', ''];
      var auto = offer.auto || null;
      var m = LC.mech;
      return [
        {name: prefix + '.id', label: t('offers.id'), type: 'text', required: true, maxlength: 32, value: offer.id || '',
         hint: t('offers.id_hint'), autocomplete: 'off', errorFields: [prefix]}
      ].concat(m.nameFields(prefix + '.name', ['offers.name_ru', 'offers.name_en'], offer.name, {required: true}), [
        {name: prefix + '.reward.type', label: t('offers.reward'), type: 'select', value: reward.type,
         options: REWARDS.map(function (r) { return {value: r, label: t('offers.reward_' + r)}; })},
        {name: prefix + '.reward.points', label: t('offers.points'), type: 'number', min: 1, max: 10000000, step: 1,
         required: true, value: reward.points ? String(reward.points) : ''},
        {name: prefix + '.reward.percent', label: t('offers.percent'), type: 'number', min: 0.01, max: 100, step: 0.01,
         required: true, value: reward.percent ? String(reward.percent) : ''},
        {name: prefix + '.reward.item', label: t('offers.item'), type: 'text', required: true, maxlength: 80,
         value: LC.ops.localized(reward.item)},
        {name: prefix + '.reward.sku', label: t('offers.sku'), type: 'text', maxlength: 64, value: reward.sku || '',
         hint: t('offers.sku_hint')},
        {name: prefix + '.conditions.min_total', label: t('offers.min_total', {currency: currency}), type: 'number', min: 0,
         step: 1 / m.scale(currency), value: m.toMajor(c.min_total, currency)},
        {name: prefix + '.conditions.skus', label: t('offers.skus'), type: 'text', value: m.joined(c.skus)},
        {name: prefix + '.conditions.categories', label: t('offers.categories'), type: 'text', value: m.joined(c.categories),
         hint: t('offers.list_hint')}
      ], DAYS.map(function (day, i) {
        return {name: prefix + '.conditions.days.' + day, label: t('offers.day_' + day), type: 'checkbox',
                value: (c.days || []).indexOf(day) >= 0, errorFields: i === 0 ? [prefix + '.conditions.days'] : undefined};
      }), [
        {name: prefix + '.conditions.hours.from', label: t('offers.hours_from'), type: 'time', value: hours[0] || '',
         errorFields: [prefix + '.conditions.hours']},
        {name: prefix + '.conditions.hours.to', label: t('offers.hours_to'), type: 'time', value: hours[1] || '',
         hint: t('offers.hours_hint')},
        {name: prefix + '.valid_days', label: t('offers.valid_days'), type: 'number', min: 1, max: 365, step: 1, required: true,
         value: String(offer.valid_days || 30)},
        {name: prefix + '.auto.on', label: t('offers.auto'), type: 'checkbox', value: Boolean(auto), errorFields: [prefix + '.auto']},
        {name: prefix + '.auto.min_units', label: t('offers.min_units'), type: 'number', min: 1, max: 1000, step: 1, required: true,
         value: String((auto && auto.min_units) || 5)},
        {name: prefix + '.auto.every_days', label: t('offers.every_days'), type: 'number', min: 1, max: 365, step: 1, required: true,
         value: String((auto && auto.every_days) || 60)}
      ]);
    };
  }

  function readOffer(currency) {
    return function (values, prefix) {
      var m = LC.mech;
      var type = values[prefix + '.reward.type'];
      var reward = {type: type};
      if (type === 'points') reward.points = m.number(values, prefix + '.reward.points');
      if (type === 'percent') reward.percent = m.number(values, prefix + '.reward.percent');
      if (type === 'free_item') {
        reward.item = String(values[prefix + '.reward.item'] || '').trim();
        var sku = String(values[prefix + '.reward.sku'] || '').trim();
        if (sku) reward.sku = sku;
      }
      var conditions = {};
      var least = m.toMinor(values[prefix + '.conditions.min_total'], currency);
      if (least) conditions.min_total = least;
      var skus = m.words(values[prefix + '.conditions.skus']);
      var categories = m.words(values[prefix + '.conditions.categories']);
      if (skus.length) conditions.skus = skus;
      if (categories.length) conditions.categories = categories;
      var days = DAYS.filter(function (day) { return values[prefix + '.conditions.days.' + day]; });
      if (days.length) conditions.days = days;
      var from = values[prefix + '.conditions.hours.from'], to = values[prefix + '.conditions.hours.to'];
      if (from || to) conditions.hours = [from || '00:00', to || '23:59'];
      var offer = {id: String(values[prefix + '.id'] || '').trim(), name: m.localizedOf(values, prefix + '.name'),
                   reward: reward, conditions: conditions, valid_days: m.number(values, prefix + '.valid_days'), auto: null};
      if (values[prefix + '.auto.on']) {
        offer.auto = {rule: 'favourite_product', min_units: m.number(values, prefix + '.auto.min_units'),
                      every_days: m.number(values, prefix + '.auto.every_days')};
      }
      return offer;
    };
  }

  /* The day boxes as one group with a legend (a screen reader hears "On which days, Mon, checkbox"). */
  function groupDays(form, prefix) {
    var first = form.field(prefix + '.conditions.days.mon');
    if (!first || first.closest('fieldset')) return;
    var set = h('fieldset', {'class': 'mech-days'}, h('legend', null, t('offers.days')));
    first.closest('.field').before(set);
    DAYS.forEach(function (day) { set.appendChild(form.field(prefix + '.conditions.days.' + day).closest('.field')); });
    set.appendChild(h('p', {'class': 'hint'}, t('offers.days_hint')));
  }

  LC.route('#/offers', {
    title: 'offers.title',
    needsProgram: true,
    order: 46,
    permission: 'programs:write',
    render: async function (main) {
      main.appendChild(h('p', {'class': 'muted'}, t('offers.intro')));
      var box = h('section', {'class': 'panel ops-section mech-section offers-defs', 'aria-label': t('offers.title')});
      main.appendChild(box);
      LC.loading(box);
      var program = await LC.api('GET', LC.ops.programPath(LC.program));
      LC.loaded(box);
      var currency = program.currency;
      LC.mech.listEditor({
        host: box, program: program, path: 'mechanics.offers', max: MAX_OFFERS,
        items: (program.mechanics && program.mechanics.offers) || [],
        itemTitle: function (i, offer) {
          return t('offers.offer', {n: i + 1}) + (offer.name ? ' · ' + LC.ops.localized(offer.name) : '');
        },
        fields: offerFields(currency), read: readOffer(currency),
        blank: function () { return {id: '', name: '', reward: {type: 'points', points: 100}, conditions: {}, valid_days: 30, auto: null}; },
        check: function (values, prefix) { LC.mech.requireName(values, prefix + '.name'); },
        addLabel: t('offers.add'),
        sync: function (form, prefix) {
          groupDays(form, prefix);
          var type = form.field(prefix + '.reward.type').value;
          LC.mech.showField(form, prefix + '.reward.points', type === 'points');
          LC.mech.showField(form, prefix + '.reward.percent', type === 'percent');
          LC.mech.showField(form, prefix + '.reward.item', type === 'free_item');
          LC.mech.showField(form, prefix + '.reward.sku', type === 'free_item');
          var auto = form.field(prefix + '.auto.on').checked;
          LC.mech.showField(form, prefix + '.auto.min_units', auto);
          LC.mech.showField(form, prefix + '.auto.every_days', auto);
        }
      });
    }
  });

  /* A customer's offers on their card's page: held ones with their status, "Withdraw" for a live one,
     and a form to issue one of the program's offers (roles that may change cards). */
  LC.offersOnCard = function (section, card, program) {
    var path = '/admin/cards/' + encodeURIComponent(card.id) + '/offers';
    var list = h('ul', {'class': 'offers-held'});
    var status = h('div');
    section.appendChild(list);
    section.appendChild(status);
    var defs = (program && program.mechanics && program.mechanics.offers) || [];
    var writer = LC.can('cards:write');

    async function load() {
      LC.loading(status);
      try {
        var answer = await LC.api('GET', path);
        status.replaceChildren();
        LC.loaded(status);
        var items = (answer && answer.items) || [];
        list.replaceChildren.apply(list, items.map(heldItem));
        if (!items.length) LC.empty(status, t('offers.none_held'));
      } catch (err) {
        LC.loaded(status);
        LC.banner(status, err && err.message ? err.message : String(err));
      }
    }

    function heldItem(held) {
      var live = held.status === 'live';
      var facts = [rewardText(held.reward),
                   STATUSES.indexOf(held.status) >= 0 ? t('offers.st_' + held.status) : held.status,
                   held.valid_until ? t('offers.valid_until', {date: LC.date(held.valid_until)}) : ''].filter(Boolean);
      var name = LC.ops.localized(held.name) || held.offer;
      var withdraw = live && writer ? h('button', {type: 'button', 'class': 'secondary offers-withdraw',
        'aria-label': t('offers.withdraw') + ': ' + name, on: {click: async function () {
          if (!(await LC.confirm(t('offers.withdraw_confirm', {name: name}), t('offers.withdraw')))) return;
          withdraw.disabled = true;
          try {
            await LC.api('DELETE', path + '/' + encodeURIComponent(held.id));
            LC.toast(t('offers.withdrawn'));
            await load();
          } catch (err) {
            withdraw.disabled = false;
            LC.toast(err && err.message ? err.message : String(err), 'error');
          }
        }}}, t('offers.withdraw')) : null;
      return h('li', {'class': ['offers-held-item', 'offers-' + held.status]},
        h('p', {'class': 'offers-held-name'}, name), h('p', {'class': 'offers-held-facts'}, facts.join(' · ')), withdraw);
    }

    if (writer) {
      if (!defs.length) {
        section.appendChild(h('p', {'class': 'muted'}, t('offers.none_defined')));
      } else {
        var key = LC.ops.attemptKey();
        var issue = LC.form({
          fields: [{name: 'offer', label: t('offers.issue'), type: 'select', value: defs[0].id, required: true,
                    options: defs.map(function (d) { return {value: d.id, label: LC.ops.localized(d.name) || d.id}; })}],
          submit: t('offers.issue_submit'),
          'class': 'offers-issue',
          onSubmit: async function (values) {
            await LC.api('POST', path, {offer: values.offer, idempotency_key: key});
            key = LC.ops.attemptKey();  // the next one is another issue
            LC.toast(t('offers.issued'));
            await load();
          }
        });
        section.appendChild(issue);
      }
    }
    return load();
  };
})();
