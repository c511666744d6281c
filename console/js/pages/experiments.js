/* Experiments (issue 17): the program's control groups and A/B tests, and each one's report: per window
   (7/14/30 days by default) a table of the groups (cards, conversion, revenue, visits and points cost per
   card), each comparison's differences with their 95% intervals and its verdict, ROMI per variant, a
   chart of the daily difference (cumulative, with the interval as a band) drawn at its shown width, and
   the CSV of assignments and outcomes (its pages followed into one file). A running trigger experiment
   can be stopped here. LC.experiments.* is what campaigns.js and triggers.js reuse. */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;
  var SVG = 'http://www.w3.org/2000/svg';
  var HEIGHT = 220, PAD = {l: 64, r: 12, t: 16, b: 28};
  var METRICS = ['conversion', 'revenue', 'visits', 'points_cost'];
  var SUBJECTS = ['campaign', 'birthday', 'winback', 'expiry_warning', 'offers', 'challenges'];
  var COLOURS = ['c-xa', 'c-xb', 'c-xc', 'c-xd'];

  LC.texts({
    ru: {
      'experiments.title': 'Эксперименты', 'experiments.report': 'Отчёт эксперимента',
      'experiments.intro': 'Контрольная группа — случайная доля карт, которые ничего не получают: ни сообщения, ни бонуса. ' +
        'Сравнение с ней показывает, что дала рассылка или автосообщение сверх покупок, которые были бы и так.',
      'experiments.empty': 'Экспериментов пока нет. Рассылки держат 10% контрольной группы сами; для автосообщений эксперимент запускается на странице «Автосообщения».',
      'experiments.name': 'Название', 'experiments.subject': 'Что проверяем', 'experiments.status': 'Статус',
      'experiments.holdout': 'Контроль', 'experiments.started': 'Начат', 'experiments.open': 'Открыть',
      'experiments.s_campaign': 'Рассылка', 'experiments.s_birthday': 'День рождения', 'experiments.s_winback': 'Возврат ушедших',
      'experiments.s_expiry_warning': 'Предупреждение о сгорании', 'experiments.s_offers': 'Автоматические предложения',
      'experiments.s_challenges': 'Задания',
      'experiments.st_running': 'Идёт', 'experiments.st_stopped': 'Остановлен', 'experiments.st_finished': 'Завершён',
      'experiments.meta': '{subject} · контрольная группа {holdout}% · {status} · начат {started}',
      'experiments.stopped_on': 'остановлен {date}',
      'experiments.variant_letter': 'Вариант {n}',
      'experiments.nobody': 'Пока никто не получил ни сообщения, ни бонуса: сравнивать нечего.',
      'experiments.how': 'Как это считается?',
      'experiments.how_text': 'Разница в конверсии — z-критерий для двух долей; в выручке, визитах и баллах на карту — t-критерий Уэлча. ' +
        'Интервал — 95%: если он не включает ноль, разница вряд ли случайна. p — вероятность увидеть такую разницу случайно.',
      'experiments.romi_sentence': 'Каждый потраченный {one} принёс {x} маржи.',
      'experiments.romi_unknown': 'Пока неизвестно.',
      'experiments.monthly': 'ROMI по месяцам', 'experiments.month': 'Месяц',
      'experiments.monthly_empty': 'Пока нет ни одного эксперимента с посчитанным ROMI.',
      'experiments.variants': 'Варианты: {list}', 'experiments.share': '{name} — {share}%',
      'experiments.campaign_link': 'Открыть рассылку', 'experiments.back': 'Ко всем экспериментам',
      'experiments.window': 'Окно', 'experiments.window_days': '{n} дн. после показа',
      'experiments.complete': 'Окно закрыто у всех карт.',
      'experiments.open_cards': 'У {n} карт окно ещё идёт: цифры могут измениться.',
      'experiments.group': 'Группа', 'experiments.cards': 'Карт', 'experiments.m_conversion': 'Конверсия',
      'experiments.m_revenue': 'Выручка на карту', 'experiments.m_visits': 'Визитов на карту',
      'experiments.m_points_cost': 'Баллов на карту',
      'experiments.control': 'Контроль', 'experiments.groups': 'Группы',
      'experiments.comparisons': 'Разница с 95% интервалом',
      'experiments.vs': '{a} против «{b}»', 'experiments.vs_control': '{a} против контрольной группы',
      'experiments.pp': 'п. п.',
      'experiments.diff': '{d} (от {low} до {high})', 'experiments.no_ci': 'мало данных для интервала',
      'experiments.z_test': 'z-критерий для двух долей', 'experiments.welch': 't-критерий Уэлча',
      'experiments.method': '{metric}: {name}; p {p}',
      'experiments.romi': 'ROMI', 'experiments.romi_variant': 'Вариант', 'experiments.romi_window': 'Окно, дней',
      'experiments.inc_revenue': 'Дополнительная выручка', 'experiments.inc_margin': 'Дополнительная маржа',
      'experiments.cost': 'Затраты (баллы и сообщения)', 'experiments.romi_value': 'ROMI',
      'experiments.romi_uncertain': 'интервал выручки включает ноль: результат неясен',
      'experiments.romi_no_margin': 'Чтобы посчитать ROMI, укажите маржу в «Механика → Экономика».',
      'experiments.romi_no_cost': 'затрат не было', 'experiments.to_economics': 'Открыть механику',
      'experiments.romi_incomplete': 'окно ещё не закрылось',
      'experiments.chart': 'Разница по дням после показа', 'experiments.chart_conversion': 'Конверсия, разница в процентных пунктах (накопленная)',
      'experiments.chart_revenue': 'Выручка на карту, разница (накопленная)', 'experiments.chart_band': '95% интервал',
      'experiments.chart_label': '{title}: дни с 0 по {days}', 'experiments.day': 'день {n}',
      'experiments.chart_empty': 'Пока нет ни одного завершившегося дня.',
      'experiments.no_windows': 'Данных для отчёта пока нет.',
      'experiments.download': 'Скачать CSV', 'experiments.downloaded': 'Сохранено: {name}',
      'experiments.read': 'Отчёт прочитал {n} записей (карты эксперимента и сам эксперимент).',
      'experiments.stop': 'Остановить эксперимент',
      'experiments.stop_confirm': 'Остановить эксперимент «{name}»? С этого момента все карты получают автосообщение как обычно; отчёт сохранится.',
      'experiments.stopped': 'Эксперимент остановлен.',
      'experiments.not_found': 'Такого эксперимента нет.',
      'experiments.location_note': 'Только карты, для которых эта точка была домашней, когда они попали в эксперимент, — в каждой группе. Группа выбирается случайно независимо от точки, поэтому сравнение внутри точки честное (карт меньше — интервалы шире).',
      'experiments.variants_title': 'A/B-тест (необязательно)',
      'experiments.variants_hint': 'От двух до четырёх вариантов делят получателей поровну. Пустое поле — как в основных настройках.',
      'experiments.add_variants': 'Добавить варианты A и B', 'experiments.add_variant': 'Добавить вариант',
      'experiments.remove_variant': 'Убрать вариант', 'experiments.v_title': 'Вариант {n}',
      'experiments.v_name': 'Название варианта', 'experiments.v_text_ru': 'Текст по-русски', 'experiments.v_text_en': 'Текст по-английски',
      'experiments.v_bonus': 'Бонус в баллах', 'experiments.v_offer': 'Предложение', 'experiments.v_no_offer': 'Как в рассылке',
      'experiments.holdout_field': 'Контрольная группа, % (0–50)',
      'experiments.holdout_hint': 'Эта доля получателей, выбранная случайно, ничего не получит: с ней сравнивается результат.',
      'error.experiment_not_found': 'Такого эксперимента нет.',
      'error.experiment_running': 'У этого автосообщения уже идёт эксперимент: сначала остановите его.',
      'error.trigger_off': 'Это автосообщение выключено: сначала включите его.',
      'error.not_stoppable': 'Эксперимент рассылки заканчивается вместе с ней; отчёт остаётся.'
    },
    en: {
      'experiments.title': 'Experiments', 'experiments.report': 'Experiment report',
      'experiments.intro': 'A control group is a random share of cards that get nothing: no message, no bonus. ' +
        'Comparing with it shows what a campaign or an automatic message added beyond the purchases that would have happened anyway.',
      'experiments.empty': 'No experiments yet. Campaigns keep a 10% control group by themselves; start one for an automatic message on the Automatic messages page.',
      'experiments.name': 'Name', 'experiments.subject': 'What is tested', 'experiments.status': 'Status',
      'experiments.holdout': 'Control', 'experiments.started': 'Started', 'experiments.open': 'Open',
      'experiments.s_campaign': 'Campaign', 'experiments.s_birthday': 'Birthday', 'experiments.s_winback': 'Win-back',
      'experiments.s_expiry_warning': 'Expiry warning', 'experiments.s_offers': 'Automatic offers',
      'experiments.s_challenges': 'Challenges',
      'experiments.st_running': 'Running', 'experiments.st_stopped': 'Stopped', 'experiments.st_finished': 'Finished',
      'experiments.meta': '{subject} · control group {holdout}% · {status} · started {started}',
      'experiments.stopped_on': 'stopped {date}',
      'experiments.variant_letter': 'Variant {n}',
      'experiments.nobody': 'Nobody has been reached yet: there is nothing to compare.',
      'experiments.how': 'How is this computed?',
      'experiments.how_text': 'The difference in conversion: a two-proportion z-test; in revenue, visits and points per card: Welch\'s t-test. ' +
        'Intervals are 95%: when one does not include zero, the difference is unlikely to be chance. p is the chance of seeing such a difference by luck alone.',
      'experiments.romi_sentence': 'Each {one} spent brought back {x} of margin.',
      'experiments.romi_unknown': 'Not known yet.',
      'experiments.monthly': 'ROMI by month', 'experiments.month': 'Month',
      'experiments.monthly_empty': 'No experiment has a ROMI figure yet.',
      'experiments.variants': 'Variants: {list}', 'experiments.share': '{name}: {share}%',
      'experiments.campaign_link': 'Open the campaign', 'experiments.back': 'All experiments',
      'experiments.window': 'Window', 'experiments.window_days': '{n} days after exposure',
      'experiments.complete': 'The window has ended for every card.',
      'experiments.open_cards': '{n} cards are still inside this window: the figures may change.',
      'experiments.group': 'Group', 'experiments.cards': 'Cards', 'experiments.m_conversion': 'Conversion',
      'experiments.m_revenue': 'Revenue per card', 'experiments.m_visits': 'Visits per card',
      'experiments.m_points_cost': 'Points per card',
      'experiments.control': 'Control', 'experiments.groups': 'Groups',
      'experiments.comparisons': 'Differences with 95% intervals',
      'experiments.vs': '{a} vs {b}', 'experiments.vs_control': '{a} vs control',
      'experiments.pp': 'pp',
      'experiments.diff': '{d} ({low} to {high})', 'experiments.no_ci': 'too little data for an interval',
      'experiments.z_test': 'two-proportion z-test', 'experiments.welch': 'Welch\'s t-test',
      'experiments.method': '{metric}: {name}; p {p}',
      'experiments.romi': 'ROMI', 'experiments.romi_variant': 'Variant', 'experiments.romi_window': 'Window, days',
      'experiments.inc_revenue': 'Incremental revenue', 'experiments.inc_margin': 'Incremental margin',
      'experiments.cost': 'Cost (points and messages)', 'experiments.romi_value': 'ROMI',
      'experiments.romi_uncertain': 'the revenue interval includes zero: uncertain',
      'experiments.romi_no_margin': 'Set your margin in Mechanics → Economics to see ROMI.',
      'experiments.romi_no_cost': 'nothing was spent', 'experiments.to_economics': 'Open Mechanics',
      'experiments.romi_incomplete': 'the window has not ended yet',
      'experiments.chart': 'Daily difference since exposure', 'experiments.chart_conversion': 'Conversion, difference in percentage points (cumulative)',
      'experiments.chart_revenue': 'Revenue per card, difference (cumulative)', 'experiments.chart_band': '95% interval',
      'experiments.chart_label': '{title}: days 0 to {days}', 'experiments.day': 'day {n}',
      'experiments.chart_empty': 'No day has ended yet.',
      'experiments.no_windows': 'There is nothing to report yet.',
      'experiments.download': 'Download CSV', 'experiments.downloaded': 'Saved: {name}',
      'experiments.read': 'The report read {n} items (the experiment\'s cards and the experiment).',
      'experiments.stop': 'Stop the experiment',
      'experiments.stop_confirm': 'Stop the experiment "{name}"? From now on every card gets the message as usual; the report stays.',
      'experiments.stopped': 'The experiment is stopped.',
      'experiments.not_found': 'There is no such experiment.',
      'experiments.location_note': 'Only the cards whose home was this location when they entered the experiment, in every group. A card\'s group is drawn at random whatever its location, so the comparison within a location stays fair (fewer cards: wider intervals).',
      'experiments.variants_title': 'A/B test (optional)',
      'experiments.variants_hint': 'Two to four variants share the recipients evenly. A field left empty: as in the main settings.',
      'experiments.add_variants': 'Add variants A and B', 'experiments.add_variant': 'Add a variant',
      'experiments.remove_variant': 'Remove the variant', 'experiments.v_title': 'Variant {n}',
      'experiments.v_name': 'Variant name', 'experiments.v_text_ru': 'Text in Russian', 'experiments.v_text_en': 'Text in English',
      'experiments.v_bonus': 'Bonus in points', 'experiments.v_offer': 'Offer', 'experiments.v_no_offer': 'As in the campaign',
      'experiments.holdout_field': 'Control group, % (0-50)',
      'experiments.holdout_hint': 'This share of recipients, picked at random, gets nothing: the results are compared with it.',
      'error.experiment_not_found': 'There is no such experiment.',
      'error.experiment_running': 'This automatic message already has a running experiment: stop it first.',
      'error.trigger_off': 'This automatic message is off: turn it on first.',
      'error.not_stoppable': 'A campaign\'s experiment ends with its send; its report stays.'
    }
  });

  function path(program, suffix) { return LC.ops.programPath(program, '/experiments' + (suffix || '')); }
  function subjectName(subject) { return SUBJECTS.indexOf(subject) >= 0 ? t('experiments.s_' + subject) : subject; }
  function dash(v) { return v === null || v === undefined; }
  function num(v, digits) {
    return dash(v) ? '—' : new Intl.NumberFormat(LC.lang, {maximumFractionDigits: digits, minimumFractionDigits: 0}).format(v);
  }
  function signed(v, format) { return dash(v) ? '—' : (v > 0 ? '+' : v < 0 ? '−' : '') + format(Math.abs(v)); }

  /* How each metric is shown: conversion in percent (differences in percentage points), money in the
     program's currency (major units), visits and points as numbers. */
  function formats(program) {
    var money = function (v) { return dash(v) ? '—' : LC.money(v, program.currency); };
    return {
      conversion: {value: function (v) { return dash(v) ? '—' : num(v, 2) + '%'; },
                   diff: function (v) { return num(v, 2) + ' ' + t('experiments.pp'); },
                   bound: function (v) { return num(v, 2); }},
      revenue: {value: money, diff: money, bound: money},
      visits: {value: function (v) { return num(v, 3); }, diff: function (v) { return num(v, 3); }, bound: function (v) { return num(v, 3); }},
      points_cost: {value: function (v) { return num(v, 2); }, diff: function (v) { return num(v, 2); }, bound: function (v) { return num(v, 2); }}
    };
  }

  /* A group by its own name, as the verdicts name it; an unnamed variant ("A", its letter) is "Variant A". */
  function groupName(report, id) {
    if (id === 'control') return t('experiments.control');
    var found = (report.groups || []).filter(function (g) { return g.variant === id; })[0] ||
      ((report.experiment || {}).variants || []).filter(function (v) { return v.id === id; })[0];
    return variantName(found && found.name ? found.name : String(id).toUpperCase());
  }

  function variantName(name) {
    name = String(name || '');
    return /^[A-Da-d]$/.test(name) ? t('experiments.variant_letter', {n: name.toUpperCase()}) : name;
  }

  /* p-values for owners: "p < 0.0001" rather than a bare 0 ("= 0.0123" otherwise). */
  function pValue(p) { return dash(p) ? '= —' : p < 0.0001 ? '< ' + num(0.0001, 4) : '= ' + num(p, 4); }

  /* "Variant A vs control", "Variant B vs A". */
  function versus(report, variant, against) {
    return against === 'control' ? t('experiments.vs_control', {a: groupName(report, variant)})
      : t('experiments.vs', {a: groupName(report, variant), b: groupName(report, against)});
  }

  function bound(v, format) { return v < 0 ? '−' + format(-v) : format(v); }

  /* "+2.9 pp (0.5 to 5.3)": a difference with its interval, or a note when there is none. */
  function difference(d, f) {
    if (!d || dash(d.difference)) return '—';
    if (dash(d.low) || dash(d.high)) return signed(d.difference, f.diff) + ' (' + t('experiments.no_ci') + ')';
    return t('experiments.diff', {d: signed(d.difference, f.diff), low: bound(d.low, f.bound), high: bound(d.high, f.bound)});
  }

  function methodName(name) {
    var key = {'two-proportion z-test': 'experiments.z_test', "Welch's t-test": 'experiments.welch'}[name];
    return key ? t(key) : name;
  }

  function windowTable(report, row, f) {
    var ids = ['control'].concat((report.groups || []).map(function (g) { return g.variant; }).filter(function (id) { return id !== 'control'; }));
    var head = h('tr', null, h('th', {scope: 'col'}, t('experiments.group')), h('th', {scope: 'col'}, t('experiments.cards')),
      METRICS.map(function (m) { return h('th', {scope: 'col'}, t('experiments.m_' + m)); }));
    var body = ids.filter(function (id) { return row.groups && row.groups[id]; }).map(function (id) {
      var g = row.groups[id];
      return h('tr', {'data-group': id}, h('th', {scope: 'row'}, groupName(report, id)), h('td', null, LC.number(g.cards)),
        METRICS.map(function (m) { return h('td', {'data-metric': m}, f[m].value(g[m])); }));
    });
    return LC.ops.scroller(t('experiments.groups'), h('table', {'class': 'experiments-table'},
      h('caption', {'class': 'visually-hidden'}, t('experiments.groups')), h('thead', null, head), h('tbody', null, body)));
  }

  function comparisonsView(report, row, f) {
    return (row.comparisons || []).map(function (c) {
      var title = versus(report, c.variant, c.against);
      var verdict = c.verdict || {};
      var text = verdict.text ? (verdict.text[LC.lang] || verdict.text.en || '') : '';
        var items = METRICS.map(function (m) {
        var d = c[m] || {};
        return h('li', {'data-metric': m, 'class': d.significant ? 'significant' : null},
          h('span', {'class': 'experiments-metric'}, t('experiments.m_' + m) + ': '), difference(d, f[m]));
      });
      var methods = METRICS.filter(function (m) { return c[m] && c[m].method; }).map(function (m) {
        return h('li', {'data-method': m}, t('experiments.method', {metric: t('experiments.m_' + m), name: methodName(c[m].method), p: pValue(c[m].p_value)}));
      });
      return h('section', {'class': 'experiments-comparison', 'aria-label': title, 'data-variant': c.variant, 'data-against': c.against},
        h('h3', null, title),
        h('p', {'class': 'experiments-verdict verdict-' + (verdict.effect || 'none'), 'data-effect': verdict.effect || '',
                'data-interim': verdict.interim ? 'true' : null}, text),
        h('ul', {'class': 'experiments-diffs'}, items),
        methods.length ? h('details', {'class': 'experiments-how experiments-method'}, h('summary', null, t('experiments.how')),
          h('ul', null, methods)) : null);
    });
  }

  /* "Each ₽1 spent brought back ₽X of margin" (X = incremental margin / cost), "Not known yet", or
     nothing when the margin is unknown (the notice below the cards says what to set). */
  function romiSentence(r, program) {
    if (dash(r.margin_percent)) return null;
    if (!dash(r.romi) && !dash(r.incremental_margin) && r.cost > 0) {
      var back = Math.round(r.incremental_margin / r.cost * 100);
      var one = new Intl.NumberFormat(LC.lang, {style: 'currency', currency: program.currency || 'RUB', currencyDisplay: 'narrowSymbol',
                                                minimumFractionDigits: 0, maximumFractionDigits: 0}).format(1);
      return t('experiments.romi_sentence', {one: one, x: signedMoney(back, program)});
    }
    return r.cost === 0 && !dash(r.incremental_margin) ? t('experiments.romi_no_cost') : t('experiments.romi_unknown');
  }

  function signedMoney(v, program, plus) {
    return dash(v) ? '—' : v < 0 ? '−' + LC.money(-v, program.currency) : (plus && v > 0 ? '+' : '') + LC.money(v, program.currency);
  }

  /* ROMI, a card per variant (a table of six columns overflowed both a phone and a desktop): the figures as a
     list of terms, the ROMI itself first, and a plain sentence. */
  function romiView(report, program) {
    var money = function (v) { return dash(v) ? '—' : LC.money(v, program.currency); };
    var rows = report.romi || [];
    if (!rows.length) return null;
    var noMargin = rows.every(function (r) { return dash(r.margin_percent); });
    var cards = h('div', {'class': 'experiments-romi'}, rows.map(function (r) {
      var uncertain = !dash(r.incremental_revenue_low) && !dash(r.incremental_revenue_high) &&
        r.incremental_revenue_low <= 0 && r.incremental_revenue_high >= 0;
      var value = dash(r.romi) ? '—' : signed(r.romi, function (v) { return num(v, 2); }) + '%';
      var sentence = romiSentence(r, program);
      var term = function (key, content, cls) {
        return h('div', {'class': cls || null}, h('dt', null, t('experiments.' + key)), h('dd', null, content));
      };
      return h('section', {'class': 'experiments-romi-card', 'data-variant': r.variant, 'aria-label': groupName(report, r.variant)},
        h('h3', null, groupName(report, r.variant)),
        h('dl', null,
          term('romi_value', value, 'experiments-romi-value'),
          term('romi_window', [String(r.window), r.complete ? null : h('span', {'class': 'muted'}, ' (' + t('experiments.romi_incomplete') + ')')]),
          term('inc_revenue', [signedMoney(r.incremental_revenue, program, true),
            dash(r.incremental_revenue_low) ? null : h('span', {'class': 'muted'}, ' (' + signedMoney(r.incremental_revenue_low, program, true) + ' … ' + signedMoney(r.incremental_revenue_high, program, true) + ')'),
            uncertain ? h('span', {'class': 'muted experiments-uncertain'}, ' — ' + t('experiments.romi_uncertain')) : null]),
          term('inc_margin', signedMoney(r.incremental_margin, program, true)),
          term('cost', money(r.cost))),
        sentence ? h('p', {'class': 'experiments-romi-sentence'}, sentence) : null);
    }));
    return h('div', null, cards, noMargin ? marginNotice() : null);
  }

  function marginNotice() {
    return h('p', {'class': 'notice experiments-no-margin'}, t('experiments.romi_no_margin') + ' ',
      LC.can('programs:write') ? h('a', {href: '#/mechanics'}, t('experiments.to_economics')) : null);
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* One chart of the daily difference of each variant against control (`key`: conversion or revenue),
     the 95% interval as a band, a zero line; drawn at the width it is shown at (12 px labels on a phone). */
  function diffChart(box, title, chart, report, key, format) {
    var width = Math.max(280, Math.floor(box.clientWidth || 340));
    var days = chart.days || [];
    var variants = Object.keys(chart.differences || {});
    var lo = 0, hi = 0;
    variants.forEach(function (v) {
      var d = chart.differences[v];
      ['', '_low', '_high'].forEach(function (s) {
        (d[key + s] || []).forEach(function (x) { if (!dash(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); } });
      });
    });
    if (lo === hi) { lo -= 1; hi += 1; }
    // the y labels keep their sign and fit: the left margin grows with the longest (12 px digits, ~7.5 px each)
    var top = signed(hi, format), bottom = signed(lo, format);
    var left = Math.max(PAD.l, Math.ceil(Math.max(top.length, bottom.length) * 7.5) + 10);
    var plotH = HEIGHT - PAD.t - PAD.b, slot = (width - left - PAD.r) / Math.max(days.length, 1);
    var x = function (i) { return left + (i + 0.5) * slot; };
    var y = function (v) { return PAD.t + plotH - ((v - lo) / (hi - lo)) * plotH; };
    var node = svg('svg', {viewBox: '0 0 ' + width + ' ' + HEIGHT, width: width, height: HEIGHT, role: 'img',
                           'class': 'analytics-chart experiments-chart', 'data-chart': key,
                           'aria-label': t('experiments.chart_label', {title: title, days: days.length ? days[days.length - 1] : 0})});
    node.appendChild(svg('line', {x1: left, x2: width - PAD.r, y1: y(0), y2: y(0), 'class': 'axis'}));
    node.appendChild(svg('text', {x: left - 6, y: PAD.t + 4, 'text-anchor': 'end', 'class': 'y-label'}, top));
    if (Math.min(y(0) - PAD.t, PAD.t + plotH - y(0)) >= 14) {  // no zero label over the top or bottom one
      node.appendChild(svg('text', {x: left - 6, y: y(0) + 4, 'text-anchor': 'end', 'class': 'y-label'}, '0'));
    }
    node.appendChild(svg('text', {x: left - 6, y: PAD.t + plotH + 4, 'text-anchor': 'end', 'class': 'y-label'}, bottom));
    var labels = Math.max(2, Math.floor((width - left - PAD.r) / 56));
    var step = Math.max(1, Math.ceil(days.length / labels));
    days.forEach(function (d, i) {
      if (i % step === 0) node.appendChild(svg('text', {x: x(i), y: HEIGHT - 8, 'text-anchor': 'middle'}, String(d)));
    });
    variants.forEach(function (v, n) {
      var d = chart.differences[v], cls = COLOURS[n % COLOURS.length];
      var low = d[key + '_low'] || [], high = d[key + '_high'] || [], mid = d[key] || [];
      var upper = [], lower = [];
      days.forEach(function (day, i) {
        if (!dash(low[i]) && !dash(high[i])) { upper.push(x(i).toFixed(1) + ',' + y(high[i]).toFixed(1)); lower.unshift(x(i).toFixed(1) + ',' + y(low[i]).toFixed(1)); }
      });
      if (upper.length) node.appendChild(svg('polygon', {'class': 'band ' + cls, points: upper.concat(lower).join(' ')}));
      var points = [];
      days.forEach(function (day, i) { if (!dash(mid[i])) points.push(x(i).toFixed(1) + ',' + y(mid[i]).toFixed(1)); });
      if (points.length) node.appendChild(svg('polyline', {'class': 'line ' + cls, points: points.join(' ')}));
      days.forEach(function (day, i) {
        if (dash(mid[i])) return;
        var dot = svg('circle', {cx: x(i), cy: y(mid[i]), r: days.length > 60 ? 1.5 : 3, 'class': cls});
        dot.appendChild(svg('title', null, t('experiments.day', {n: day}) + ' — ' + groupName(report, v) + ': ' +
          signed(mid[i], format) + (dash(low[i]) ? '' : ' (' + signed(low[i], format) + ' … ' + signed(high[i], format) + ')')));
        node.appendChild(dot);
      });
    });
    var legend = h('ul', {'class': 'analytics-legend'}, variants.map(function (v, n) {
      return h('li', null, h('span', {'class': 'analytics-swatch ' + COLOURS[n % COLOURS.length], 'aria-hidden': 'true'}),
        versus(report, v, 'control'));
    }), h('li', null, h('span', {'class': 'analytics-swatch experiments-band-swatch', 'aria-hidden': 'true'}), t('experiments.chart_band')));
    box.replaceChildren(h('figure', null, h('figcaption', null, title), node, legend));
  }

  function charts(box, report, program) {
    var chart = report.chart || {};
    if (!(chart.days || []).length || !Object.keys(chart.differences || {}).length) {
      box.replaceChildren(h('p', {'class': 'muted'}, t('experiments.chart_empty')));
      return;
    }
    var f = formats(program);
    var boxes = [h('div', {'class': 'analytics-chart-box'}), h('div', {'class': 'analytics-chart-box'})];
    box.replaceChildren.apply(box, boxes);
    function draw() {
      diffChart(boxes[0], t('experiments.chart_conversion'), chart, report, 'conversion', function (v) { return num(v, 2); });
      diffChart(boxes[1], t('experiments.chart_revenue'), chart, report, 'revenue', f.revenue.diff);
    }
    LC.redrawOnResize(box, draw);
  }

  /* The export's pages as one file (LC.downloadCsv). */
  function download(program, experiment) {
    return LC.downloadCsv(path(program, '/' + encodeURIComponent(experiment.id) + '/export'),
                          'experiment-' + experiment.id + '-' + program.slug + '.csv');
  }

  /* Stop a running trigger experiment after a confirmation; resolves with the new view, or null. */
  async function stop(program, experiment) {
    if (!(await LC.confirm(t('experiments.stop_confirm', {name: experiment.name}), t('experiments.stop')))) return null;
    var view = await LC.api('POST', path(program, '/' + encodeURIComponent(experiment.id) + '/stop'));
    LC.toast(t('experiments.stopped'));
    return view;
  }

  function statusName(status) {
    return ['running', 'stopped', 'finished'].indexOf(status) >= 0 ? t('experiments.st_' + status) : status;
  }

  function meta(experiment) {
    return t('experiments.meta', {subject: subjectName(experiment.subject), holdout: num(experiment.holdout_percent, 2),
                                  status: statusName(experiment.status), started: LC.date(experiment.created_at)}) +
      (experiment.stopped_at ? ' · ' + t('experiments.stopped_on', {date: LC.date(experiment.stopped_at)}) : '');
  }

  /* The report drawn into `main` (also usable with a report built by hand); `picker`: the location select
     (LC.locationSelect), shown under the actions when the program has locations. */
  function drawReport(main, report, program, onStop, picker) {
    var experiment = report.experiment, f = formats(program);
    var windows = report.windows || [];
    main.replaceChildren();
    LC.heading(experiment.name);
    main.appendChild(h('p', {'class': 'muted experiments-meta'}, meta(experiment)));
    if ((experiment.variants || []).length > 1) {
      main.appendChild(h('p', {'class': 'muted'}, t('experiments.variants', {list: experiment.variants.map(function (v) {
        return t('experiments.share', {name: v.name, share: num(v.share_percent, 2)});
      }).join(', ')})));
    }
    var actions = h('div', {'class': 'experiments-actions'});
    if (experiment.campaign_id && LC.can('campaigns:read')) {
      actions.appendChild(h('a', {href: '#/campaigns/' + encodeURIComponent(experiment.campaign_id)}, t('experiments.campaign_link')));
    }
    actions.appendChild(h('button', {type: 'button', 'class': 'secondary', 'data-action': 'download', on: {click: async function (event) {
      var button = event.currentTarget;
      button.disabled = true;
      try { LC.toast(t('experiments.downloaded', {name: await download(program, experiment)})); }
      catch (err) { LC.toast(err && err.message ? err.message : String(err), 'error'); }
      finally { button.disabled = false; }
    }}}, t('experiments.download')));
    if (experiment.subject !== 'campaign' && experiment.status === 'running' && LC.can('experiments:write')) {
      actions.appendChild(h('button', {type: 'button', 'class': 'danger', 'data-action': 'stop', on: {click: async function (event) {
        var button = event.currentTarget;
        button.disabled = true;
        try { if (await stop(program, experiment) && onStop) onStop(); }
        catch (err) { LC.toast(err && err.message ? err.message : String(err), 'error'); }
        finally { button.disabled = false; }
      }}}, t('experiments.stop')));
    }
    main.appendChild(actions);
    if (picker) {
      main.appendChild(picker);
      if (report.location_id) main.appendChild(h('p', {'class': 'muted experiments-location-note'}, t('experiments.location_note')));
    }

    var results = h('section', {'class': 'panel ops-section', 'aria-label': t('experiments.comparisons')});
    main.appendChild(results);
    var reached = (report.groups || []).reduce(function (sum, g) { return sum + (g.cards || 0); }, 0);
    if (!reached) {
      results.appendChild(h('p', {'class': 'experiments-nobody'}, t('experiments.nobody')));
    } else if (!windows.length) {
      results.appendChild(h('p', {'class': 'muted'}, t('experiments.no_windows')));
    } else {
      var id = LC.uid('window');
      // the longest window that has ended for every card; else the shortest (the first to tell something)
      var shownFirst = 0;
      windows.forEach(function (w, i) { if (w.complete) shownFirst = i; });
      var select = h('select', {id: id, 'data-window-select': ''}, windows.map(function (w, i) {
        return h('option', {value: String(i), selected: i === shownFirst}, t('experiments.window_days', {n: w.days}));
      }));
      var shown = h('div', {'class': 'experiments-window'});
      var drawWindow = function () {
        var row = windows[Number(select.value)];
        shown.replaceChildren(
          h('p', {'class': 'muted', role: 'status'}, row.complete ? t('experiments.complete') : t('experiments.open_cards', {n: LC.number(row.open || 0)})),
          windowTable(report, row, f),
          h('h3', {'class': 'visually-hidden'}, t('experiments.comparisons')));
        comparisonsView(report, row, f).forEach(function (section) { shown.appendChild(section); });
      };
      select.addEventListener('change', drawWindow);
      results.appendChild(h('div', {'class': 'experiments-window-pick'}, h('label', {'for': id}, t('experiments.window') + ' '), select));
      results.appendChild(shown);
      drawWindow();
    }
    var romi = reached ? romiView(report, program) : null;
    if (romi) main.appendChild(h('section', {'class': 'panel ops-section', 'aria-label': t('experiments.romi')}, h('h2', null, t('experiments.romi')), romi));
    var chartBox = h('div', {'class': 'analytics-charts'});
    main.appendChild(h('section', {'class': 'panel ops-section', 'aria-label': t('experiments.chart')}, h('h2', null, t('experiments.chart')), chartBox));
    charts(chartBox, report, program);
    var read = report.items_read ? (report.items_read.assignments || 0) + (report.items_read.experiment || 0) : null;
    main.appendChild(h('details', {'class': 'experiments-how experiments-about'}, h('summary', null, t('experiments.how')),
      h('p', null, t('experiments.how_text')),
      read === null ? null : h('p', {'class': 'muted experiments-read'}, t('experiments.read', {n: LC.number(read)}))));
    main.appendChild(h('p', null, h('a', {href: '#/experiments'}, t('experiments.back'))));
  }

  function listView(items) {
    if (!items.length) return h('p', {'class': 'empty'}, t('experiments.empty'));
    var table = h('table', {'class': 'experiments-list'},
      h('thead', null, h('tr', null, ['name', 'subject', 'status', 'holdout', 'started'].map(function (k) {
        return h('th', {scope: 'col'}, t('experiments.' + k));
      }))),
      h('tbody', null, items.map(function (e) {
        return h('tr', {'data-experiment': e.id},
          h('th', {scope: 'row'}, h('a', {href: '#/experiments/' + encodeURIComponent(e.id)}, e.name)),
          h('td', null, subjectName(e.subject)), h('td', null, statusName(e.status)),
          h('td', null, num(e.holdout_percent, 2) + '%'), h('td', null, LC.date(e.created_at)));
      })));
    return LC.ops.scroller(t('experiments.title'), table);
  }

  /* ROMI by month of each experiment's start (GET .../analytics/romi): margin, cost and ROMI summed. */
  function monthlyView(months, program) {
    if (!months.length) return h('p', {'class': 'muted'}, t('experiments.monthly_empty'));
    var table = h('table', {'class': 'experiments-monthly-table'},
      h('thead', null, h('tr', null, ['month', 'inc_margin', 'cost', 'romi_value'].map(function (k) {
        return h('th', {scope: 'col'}, t('experiments.' + k));
      }))),
      h('tbody', null, months.map(function (m) {
        var parts = String(m.month).split('-');
        var label = new Intl.DateTimeFormat(LC.lang, {year: 'numeric', month: 'long', timeZone: 'UTC'})
          .format(new Date(Date.UTC(Number(parts[0]), Number(parts[1]) - 1, 1)));
        return h('tr', {'data-month': m.month}, h('th', {scope: 'row'}, label),
          h('td', {'data-col': 'margin'}, signedMoney(dash(m.incremental_margin) ? null : Math.round(m.incremental_margin), program, true)),
          h('td', {'data-col': 'cost'}, LC.money(m.cost || 0, program.currency)),
          h('td', {'data-col': 'romi'}, dash(m.romi) ? '—' : signed(m.romi, function (v) { return num(v, 2); }) + '%'));
      })));
    var noMargin = months.some(function (m) { return dash(m.incremental_margin); });
    return h('div', null, LC.ops.scroller(t('experiments.monthly'), table), noMargin ? marginNotice() : null);
  }

  LC.route('#/experiments', {
    title: 'experiments.title',
    needsProgram: true,
    order: 62,
    permission: 'experiments:read',
    render: async function (main) {
      var program = LC.program, mine = LC.current();
      main.appendChild(h('p', {'class': 'muted'}, t('experiments.intro')));
      var box = h('div');
      main.appendChild(box);
      LC.loading(box);
      var answer = await LC.api('GET', path(program));
      LC.loaded(box);
      box.replaceChildren(listView((answer && answer.items) || []));
      if (LC.current() !== mine) return;
      var monthlyBox = h('section', {'class': 'panel ops-section experiments-monthly', 'aria-label': t('experiments.monthly')},
        h('h2', null, t('experiments.monthly')));
      main.appendChild(monthlyBox);
      var romi = await LC.api('GET', LC.ops.programPath(program, '/analytics/romi'));
      if (LC.current() !== mine) return;
      monthlyBox.appendChild(monthlyView((romi && romi.months) || [], program));
    }
  });

  LC.route('#/experiments/:id', {
    title: 'experiments.report',
    needsProgram: true,
    permission: 'experiments:read',
    render: async function (main, params) {
      var program = LC.program, mine = LC.current();
      LC.loading(main);
      var report, locations, where = '';
      var reportPath = function () {
        return LC.query(path(program, '/' + encodeURIComponent(params.id) + '/report'), {location_id: where});
      };
      try {
        var answers = await Promise.all([LC.api('GET', reportPath()),
                                         LC.programLocations ? LC.programLocations(program) : Promise.resolve([])]);
        report = answers[0];
        locations = answers[1];
      } catch (err) {
        LC.loaded(main);
        if (err && err.status === 404) { main.replaceChildren(h('p', {'class': 'notice'}, t('experiments.not_found'))); return; }
        throw err;
      }
      if (LC.current() !== mine) return;
      LC.loaded(main);
      var onStop = function () { LC.render(); };
      // a program with locations: the report of the cards whose home was one of them when exposed
      var picker = locations.length ? LC.locationSelect(locations, async function (id) {
        where = id;
        try {
          var again = await LC.api('GET', reportPath());
          if (LC.current() !== mine || where !== id) return;
          drawReport(main, again, program, onStop, picker);
          picker.querySelector('select').focus();
        } catch (err) { LC.toast(err && err.message ? err.message : String(err), 'error'); }
      }) : null;
      drawReport(main, report, program, onStop, picker);
    }
  });

  /* The variants of an A/B test, for a builder form (LC.form's `element`): none, or two to four, each
     with a name and what the subject lets a variant change (`changes`: texts, bonus, offer). `read()`
     gives the API's `variants` (null when there are none). */
  function variantsEditor(changes, offers) {
    var list = h('div', {'class': 'experiments-variant-list'});
    var add = h('button', {type: 'button', 'class': 'secondary', 'data-action': 'add-variant'}, t('experiments.add_variant'));
    var box = h('fieldset', {'class': 'experiments-variants'}, h('legend', null, t('experiments.variants_title')),
      h('p', {'class': 'hint'}, t('experiments.variants_hint')), list, add);
    function row(n) {
      var letter = 'ABCD'.charAt(n);
      var fields = [['name', 'text', t('experiments.v_name'), letter]];
      if (changes.indexOf('texts') >= 0) fields.push(['texts.ru', 'textarea', t('experiments.v_text_ru')], ['texts.en', 'textarea', t('experiments.v_text_en')]);
      if (changes.indexOf('bonus') >= 0) fields.push(['bonus', 'number', t('experiments.v_bonus')]);
      if (changes.indexOf('offer') >= 0 && offers.length) fields.push(['offer', 'select', t('experiments.v_offer')]);
      var part = h('div', {'class': 'experiments-variant', 'data-variant': String(n)}, h('h3', null, t('experiments.v_title', {n: letter})));
      fields.forEach(function (f) {
        var id = LC.uid('variant-' + n + '-' + f[0].replace('.', '-'));
        var name = 'variants[' + n + '].' + f[0];
        var control = f[1] === 'textarea' ? h('textarea', {id: id, name: name, rows: 2, maxlength: 300})
          : f[1] === 'select' ? h('select', {id: id, name: name}, [h('option', {value: ''}, t('experiments.v_no_offer'))].concat(offers.map(function (o) {
              return h('option', {value: o.id}, LC.ops.localized(o.name) || o.id);
            })))
          : h('input', {id: id, name: name, type: f[1], min: f[1] === 'number' ? 0 : undefined, step: f[1] === 'number' ? 1 : undefined,
                        maxlength: f[1] === 'text' ? 60 : undefined, value: f[3]});
        part.appendChild(h('div', {'class': 'field'}, h('label', {'for': id}, f[2]), control));
      });
      part.appendChild(h('button', {type: 'button', 'class': 'link', 'data-action': 'remove-variant', on: {click: function () {
        part.remove();
        if (list.children.length === 1) list.replaceChildren();  // one variant is no test: none, or two
        renumber();
      }}}, t('experiments.remove_variant')));
      return part;
    }
    function renumber() {
      var values = box.read() || [];
      list.replaceChildren();
      values.forEach(function (v, n) {
        var part = row(n);
        list.appendChild(part);
        set(part, n, v);
      });
      add.textContent = list.children.length ? t('experiments.add_variant') : t('experiments.add_variants');
      add.hidden = list.children.length >= 4;
    }
    function set(part, n, v) {
      var at = function (field) { return part.querySelector('[name="variants[' + n + '].' + field + '"]'); };
      if (at('name')) at('name').value = v.name || '';
      if (v.texts && at('texts.ru')) at('texts.ru').value = v.texts.ru || '';
      if (v.texts && at('texts.en')) at('texts.en').value = v.texts.en || '';
      if (at('bonus') && v.bonus !== undefined && v.bonus !== null) at('bonus').value = String(v.bonus);
      if (at('offer') && v.offer) at('offer').value = v.offer;
    }
    box.read = function () {
      var parts = list.querySelectorAll('.experiments-variant');
      if (!parts.length) return null;
      return Array.prototype.map.call(parts, function (part) {
        var value = function (suffix) {
          var el = part.querySelector('[name$="].' + suffix + '"]');
          return el ? String(el.value || '').trim() : '';
        };
        var v = {name: value('name')};
        var texts = {};
        if (value('texts.ru')) texts.ru = value('texts.ru');
        if (value('texts.en')) texts.en = value('texts.en');
        if (Object.keys(texts).length) v.texts = texts;
        if (value('bonus') !== '') v.bonus = Number(value('bonus'));
        if (value('offer')) v.offer = value('offer');
        return v;
      });
    };
    add.addEventListener('click', function () {
      var n = list.children.length;
      list.appendChild(row(n));
      if (n === 0) list.appendChild(row(1));  // an A/B test starts with two
      add.textContent = t('experiments.add_variant');
      add.hidden = list.children.length >= 4;
      var first = list.children[n].querySelector('input, textarea');
      if (first) first.focus();
    });
    add.textContent = t('experiments.add_variants');
    return box;
  }

  LC.experiments = {path: path, stop: stop, subjectName: subjectName, drawReport: drawReport, meta: meta, variantName: variantName, statusName: statusName,
                    variantsEditor: variantsEditor};
})();
