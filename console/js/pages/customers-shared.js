/* What the day-to-day pages (customers, card, campaigns, triggers, analytics) share: points with the
   language's plural form, a program's texts in the console's language, a program's API path, and keys
   for writes that may be sent twice. Used at render time, so the load order of page files does not matter. */
(function () {
  'use strict';
  LC.texts({
    ru: {'ops.points_one': '{n} балл', 'ops.points_few': '{n} балла', 'ops.points_many': '{n} баллов',
         'ops.points_other': '{n} балла',
         'ops.stamps_one': '{n} штамп', 'ops.stamps_few': '{n} штампа', 'ops.stamps_many': '{n} штампов',
         'ops.stamps_other': '{n} штампа',
         // the API's error codes these pages meet, in the console's language (LC.ApiError looks them up)
         'error.insufficient_balance': 'На карте нет столько баллов: баланс не может стать меньше нуля.',
         'error.invalid_amount': 'Укажите число баллов, не ноль.',
         'error.invalid_query': 'Введите имя, телефон (от 7 цифр) или номер карты (12 цифр).',
         'error.campaign_in_progress': 'Рассылка уже отправляется.', 'error.already_sent': 'Рассылка уже отправлена.',
         'error.card_blocked': 'Карта заблокирована.', 'error.invalid_cursor': 'Список устарел: откройте страницу заново.'},
    en: {'ops.points_one': '{n} point', 'ops.points_few': '{n} points', 'ops.points_many': '{n} points',
         'ops.points_other': '{n} points',
         'ops.stamps_one': '{n} stamp', 'ops.stamps_few': '{n} stamps', 'ops.stamps_many': '{n} stamps',
         'ops.stamps_other': '{n} stamps',
         'error.insufficient_balance': 'The card does not hold that many points: a balance cannot go below zero.',
         'error.invalid_amount': 'Give a number of points other than zero.',
         'error.invalid_query': 'Type a name, a phone (7 digits or more) or a card number (12 digits).',
         'error.campaign_in_progress': 'The campaign is being sent already.', 'error.already_sent': 'The campaign has been sent.',
         'error.card_blocked': 'The card is blocked.', 'error.invalid_cursor': 'The list is out of date: open the page again.'}
  });

  function points(n) {
    var vars = {n: LC.number(n)};
    return LC.plural(n, {one: LC.t('ops.points_one', vars), few: LC.t('ops.points_few', vars),
                         many: LC.t('ops.points_many', vars), other: LC.t('ops.points_other', vars)});
  }

  /* A card's balance in the program's kind: stamps on a stamp card, points otherwise; a discount card
     holds none (null). */
  function balance(program, n) {
    var kind = program && program.mechanics && program.mechanics.kind;
    if (kind === 'discount') return null;
    return kind === 'stamps' ? stamps(n) : points(n);
  }

  function stamps(n) {
    var vars = {n: LC.number(n)};
    return LC.plural(n, {one: LC.t('ops.stamps_one', vars), few: LC.t('ops.stamps_few', vars),
                         many: LC.t('ops.stamps_many', vars), other: LC.t('ops.stamps_other', vars)});
  }

  /* A program text: a plain string, or {"ru": ..., "en": ...} (the console's language, else the first). */
  function localized(text) {
    if (text === null || text === undefined) return '';
    if (typeof text !== 'object') return String(text);
    if (text[LC.lang]) return text[LC.lang];
    var first = Object.keys(text)[0];
    return first ? text[first] : '';
  }

  function tierName(program, id) {
    var tiers = (program && program.mechanics && program.mechanics.tiers) || [];
    for (var i = 0; i < tiers.length; i++) {
      if (tiers[i].id === id) return localized(tiers[i].name) || id;
    }
    return id || '';
  }

  function programPath(program, suffix) {
    return '/admin/programs/' + encodeURIComponent(program.id) + (suffix || '');
  }

  /* A key for one attempt of a write that may be sent twice (a double tap, a retry after a timeout). */
  function attemptKey() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return 'c' + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  /* A moment, short (a table cell on a phone): "29.11.2026, 08:18". */
  function moment(iso) {
    var when = new Date(iso);
    if (!iso || isNaN(when.getTime())) return iso ? String(iso) : '';
    return new Intl.DateTimeFormat(LC.lang, {dateStyle: 'short', timeStyle: 'short'}).format(when);
  }

  /* A scrolling box for a wide table: focusable and named, so a keyboard can scroll it too. */
  function scroller(label, table) {
    return LC.h('div', {'class': 'table-wrap', tabindex: '0', role: 'region', 'aria-label': label}, table);
  }

  LC.ops = {points: points, stamps: stamps, balance: balance, moment: moment, scroller: scroller, localized: localized, tierName: tierName, programPath: programPath,
            attemptKey: attemptKey};
})();
