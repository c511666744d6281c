/* What the day-to-day pages (customers, card, campaigns, triggers, analytics) share: points with the
   language's plural form, a program's texts in the console's language, a program's API path, and keys
   for writes that may be sent twice. Used at render time, so the load order of page files does not matter. */
(function () {
  'use strict';
  LC.texts({
    ru: {'ops.points_one': '{n} балл', 'ops.points_few': '{n} балла', 'ops.points_many': '{n} баллов',
         'ops.points_other': '{n} балла'},
    en: {'ops.points_one': '{n} point', 'ops.points_few': '{n} points', 'ops.points_many': '{n} points',
         'ops.points_other': '{n} points'}
  });

  function points(n) {
    var vars = {n: LC.number(n)};
    return LC.plural(n, {one: LC.t('ops.points_one', vars), few: LC.t('ops.points_few', vars),
                         many: LC.t('ops.points_many', vars), other: LC.t('ops.points_other', vars)});
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

  LC.ops = {points: points, localized: localized, tierName: tierName, programPath: programPath,
            attemptKey: attemptKey};
})();
