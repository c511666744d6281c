/* Analytics in the console's frame (it was the /admin page): the period's numbers, charts of the daily
   series, the segments with their cards, and the CSV exports. The period is in the program's days (the
   API's default, the last 30 days ending the program's today), never the browser's UTC day; money has
   the currency's sign; "active" is the segments' one definition, which the summary's CRR uses too. A
   program with locations gets a location select (All, or one location: the summary, daily series and
   segments read again with ?location_id=) and a "By location" table (GET .../analytics/locations) with
   each location's share of the revenue; one without shows neither. */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;
  var SVG = 'http://www.w3.org/2000/svg';
  var LIFECYCLE = ['new', 'active', 'sleeping', 'lost'];
  var RFM = ['champions', 'loyal', 'new_customers', 'potential_loyalists', 'need_attention', 'at_risk',
             'lost_customers', 'hibernating'];
  var EXPORTS = ['cards', 'receipts', 'ledger'];
  var HEIGHT = 220, PAD = {l: 72, r: 12, t: 16, b: 28};

  LC.texts({
    ru: {
      'analytics.title': 'Аналитика',
      'analytics.from': 'С', 'analytics.to': 'По', 'analytics.update': 'Показать',
      'analytics.bad_period': 'Дата «с» не может быть позже даты «по».',
      'analytics.period': 'Период: {from} — {to} (дни по времени программы, {zone}).',
      'analytics.summary': 'Итоги периода', 'analytics.daily': 'По дням', 'analytics.segments': 'Сегменты',
      'analytics.exports': 'Выгрузки (CSV)',
      'analytics.revenue': 'Выручка', 'analytics.receipts': 'Чеки', 'analytics.sor': 'Доля выручки от участников',
      'analytics.aov': 'Средний чек', 'analytics.buyers': 'Покупатели', 'analytics.frequency': 'Частота покупок',
      'analytics.repeat_rate': 'Повторные покупки', 'analytics.new_members': 'Новые участники',
      'analytics.crr': 'Удержание (CRR)', 'analytics.ltv': 'LTV (выручка на участника)',
      'analytics.points_issued': 'Начислено баллов', 'analytics.points_redeemed': 'Потрачено баллов',
      'analytics.points_expired': 'Сгорело баллов', 'analytics.redemption_rate': 'Доля потраченных',
      'analytics.breakage': 'Доля сгоревших', 'analytics.liability': 'Обязательства по баллам',
      'analytics.sub_members_money': 'от участников: {v}', 'analytics.sub_receipts': 'участников: {m}, возвратов: {r}',
      'analytics.sub_buyers': 'участников всего: {m}, впервые купили: {n}',
      'analytics.sub_crr': 'активных в начале: {s}, в конце: {e}', 'analytics.sub_points': 'баллов на картах: {n}',
      'analytics.active_note': 'Активный участник — тот, кто покупал за последние {n} дн. Это же определение у сегментов и рассылок.',
      'analytics.read': 'Прочитано: {days} дневных записей и {cards} карт.',
      'analytics.ch_revenue': 'Выручка по дням', 'analytics.ch_receipts': 'Чеки по дням',
      'analytics.ch_members': 'Новые участники по дням', 'analytics.ch_points': 'Баллы: начислено и потрачено',
      'analytics.s_revenue': 'Вся выручка', 'analytics.s_member_revenue': 'От участников',
      'analytics.s_receipts': 'Все чеки', 'analytics.s_member_receipts': 'Чеки участников',
      'analytics.s_new_members': 'Новые участники', 'analytics.s_issued': 'Начислено', 'analytics.s_redeemed': 'Потрачено',
      'analytics.chart_label': '{title}: максимум {max} за день',
      'analytics.members_as_of': 'Участников на {day}: {n}.',
      'analytics.lc_new': 'Новые', 'analytics.lc_active': 'Активные', 'analytics.lc_sleeping': 'Засыпающие',
      'analytics.lc_lost': 'Ушедшие',
      'analytics.rfm_champions': 'Чемпионы', 'analytics.rfm_loyal': 'Лояльные', 'analytics.rfm_new_customers': 'Новички',
      'analytics.rfm_potential_loyalists': 'Будущие лояльные', 'analytics.rfm_need_attention': 'Требуют внимания',
      'analytics.rfm_at_risk': 'Под угрозой ухода', 'analytics.rfm_lost_customers': 'Потерянные',
      'analytics.rfm_hibernating': 'Спящие',
      'analytics.thresholds_gap': 'Активные: покупали за последние {a} дн.; засыпающие: {a1}–{s} дн.; ушедшие: дольше. Пороги посчитаны по медианному интервалу между покупками ({gap} дн.).',
      'analytics.thresholds_fixed': 'Активные: покупали за последние {a} дн.; засыпающие: {a1}–{s} дн.; ушедшие: дольше (пороги из настроек программы).',
      'analytics.rfm_title': 'RFM-сегменты (нажмите, чтобы увидеть карты)', 'analytics.segment': 'Сегмент',
      'analytics.cards_count': 'Карт', 'analytics.share': 'Доля',
      'analytics.cards_of': 'Карты: {segment}', 'analytics.more': 'Показать ещё', 'analytics.no_cards': 'В этом сегменте нет карт.',
      'analytics.c_number': 'Номер', 'analytics.c_name': 'Имя', 'analytics.c_balance': 'Баланс',
      'analytics.c_receipts': 'Покупок', 'analytics.c_revenue': 'Выручка', 'analytics.c_last': 'Последняя покупка',
      'analytics.export_cards': 'Карты', 'analytics.export_receipts': 'Чеки', 'analytics.export_ledger': 'Операции с баллами',
      'analytics.export_hint': 'Файл открывается в Excel и Google Таблицах; большая выгрузка скачивается частями в один файл.',
      'analytics.exported': 'Файл {name} сохранён.',
      'analytics.location': 'Точка', 'analytics.all_locations': 'Все точки',
      'analytics.closed': '{name} (закрыта)',
      'analytics.location_note': 'Продажи, выручка и баллы — в этой точке; участники, покупатели, частота, удержание, LTV и сегменты — участники, для которых она домашняя (где вступили или впервые купили), по всем их покупкам.',
      'analytics.by_location': 'По точкам', 'analytics.l_name': 'Точка', 'analytics.l_receipts': 'Чеки',
      'analytics.l_revenue': 'Выручка', 'analytics.l_share': 'Доля выручки', 'analytics.l_member_share': 'Доля участников',
      'analytics.l_aov': 'Средний чек', 'analytics.l_new_members': 'Новые участники', 'analytics.l_members': 'Участники (домашняя)',
      'analytics.unassigned': 'Без точки',
      'analytics.by_location_note': 'Доля выручки — от выручки программы за период. «Без точки» — чеки, у которых точка не указана, и участники без домашней точки.',
      'analytics.home_note': 'Домашняя точка участника — где он вступил в программу, а если вступил не в точке — где впервые купил.',
      'analytics.a_receipts': 'Чеки', 'analytics.a_revenue': 'Выручка', 'analytics.a_share': 'Доля',
      'analytics.a_member_share': 'Уч. %', 'analytics.a_aov': 'Ср. чек', 'analytics.a_new_members': 'Новые',
      'analytics.a_members': 'Уч. (дом.)',
      'analytics.sub_receipts_here': 'от участников (любая домашняя): {m}, возвратов: {r}',
      'analytics.sub_buyers_home': 'участников, для которых точка домашняя: {m}, впервые купили: {n}',
      'analytics.home_scope': 'участники, для которых эта точка домашняя',
      'analytics.members_as_of_home': 'Участников, для которых эта точка домашняя, на {day}: {n}.',
      'analytics.timeout': 'сервер не ответил за {s} с',
      'analytics.failed': 'Не удалось загрузить: {error}', 'analytics.try_again': 'Попробовать ещё раз',
      'analytics.export_failed': 'Выгрузка «{name}» не удалась: {error}'
    },
    en: {
      'analytics.title': 'Analytics',
      'analytics.from': 'From', 'analytics.to': 'To', 'analytics.update': 'Show',
      'analytics.bad_period': '“From” must not be later than “to”.',
      'analytics.period': 'Period: {from} – {to} (days in the program\'s time, {zone}).',
      'analytics.summary': 'The period in numbers', 'analytics.daily': 'By day', 'analytics.segments': 'Segments',
      'analytics.exports': 'Exports (CSV)',
      'analytics.revenue': 'Revenue', 'analytics.receipts': 'Receipts', 'analytics.sor': 'Share of revenue from members',
      'analytics.aov': 'Average receipt', 'analytics.buyers': 'Buyers', 'analytics.frequency': 'Purchase frequency',
      'analytics.repeat_rate': 'Repeat rate', 'analytics.new_members': 'New members',
      'analytics.crr': 'Retention (CRR)', 'analytics.ltv': 'LTV (revenue per member)',
      'analytics.points_issued': 'Points issued', 'analytics.points_redeemed': 'Points redeemed',
      'analytics.points_expired': 'Points expired', 'analytics.redemption_rate': 'Redemption rate',
      'analytics.breakage': 'Breakage', 'analytics.liability': 'Points liability',
      'analytics.sub_members_money': 'from members: {v}', 'analytics.sub_receipts': 'members: {m}, refunds: {r}',
      'analytics.sub_buyers': 'members in all: {m}, first purchase: {n}',
      'analytics.sub_crr': 'active at the start: {s}, at the end: {e}', 'analytics.sub_points': 'points on cards: {n}',
      'analytics.active_note': 'An active member bought within the last {n} days. Segments and campaigns use the same definition.',
      'analytics.read': 'Read {days} daily records and {cards} cards.',
      'analytics.ch_revenue': 'Revenue per day', 'analytics.ch_receipts': 'Receipts per day',
      'analytics.ch_members': 'New members per day', 'analytics.ch_points': 'Points issued and redeemed',
      'analytics.s_revenue': 'All revenue', 'analytics.s_member_revenue': 'From members',
      'analytics.s_receipts': 'All receipts', 'analytics.s_member_receipts': 'Members\' receipts',
      'analytics.s_new_members': 'New members', 'analytics.s_issued': 'Issued', 'analytics.s_redeemed': 'Redeemed',
      'analytics.chart_label': '{title}: at most {max} a day',
      'analytics.members_as_of': 'Members on {day}: {n}.',
      'analytics.lc_new': 'New', 'analytics.lc_active': 'Active', 'analytics.lc_sleeping': 'Sleeping', 'analytics.lc_lost': 'Lost',
      'analytics.rfm_champions': 'Champions', 'analytics.rfm_loyal': 'Loyal', 'analytics.rfm_new_customers': 'New customers',
      'analytics.rfm_potential_loyalists': 'Potential loyalists', 'analytics.rfm_need_attention': 'Need attention',
      'analytics.rfm_at_risk': 'At risk', 'analytics.rfm_lost_customers': 'Lost customers',
      'analytics.rfm_hibernating': 'Hibernating',
      'analytics.thresholds_gap': 'Active: bought within the last {a} days; sleeping: {a1}–{s} days; lost: longer. Cut by the median gap between purchases ({gap} days).',
      'analytics.thresholds_fixed': 'Active: bought within the last {a} days; sleeping: {a1}–{s} days; lost: longer (the program\'s settings).',
      'analytics.rfm_title': 'RFM segments (choose one to see its cards)', 'analytics.segment': 'Segment',
      'analytics.cards_count': 'Cards', 'analytics.share': 'Share',
      'analytics.cards_of': 'Cards: {segment}', 'analytics.more': 'Show more', 'analytics.no_cards': 'No cards in this segment.',
      'analytics.c_number': 'Number', 'analytics.c_name': 'Name', 'analytics.c_balance': 'Balance',
      'analytics.c_receipts': 'Purchases', 'analytics.c_revenue': 'Revenue', 'analytics.c_last': 'Last purchase',
      'analytics.export_cards': 'Cards', 'analytics.export_receipts': 'Receipts', 'analytics.export_ledger': 'Points operations',
      'analytics.export_hint': 'The file opens in Excel and Google Sheets; a large export comes in parts into one file.',
      'analytics.exported': '{name} saved.',
      'analytics.location': 'Location', 'analytics.all_locations': 'All locations',
      'analytics.closed': '{name} (closed)',
      'analytics.location_note': 'Sales, revenue and points: at this location. Members, buyers, frequency, retention, LTV and segments: the members whose home it is (where they joined or first bought), over all their purchases.',
      'analytics.by_location': 'By location', 'analytics.l_name': 'Location', 'analytics.l_receipts': 'Receipts',
      'analytics.l_revenue': 'Revenue', 'analytics.l_share': 'Share of revenue', 'analytics.l_member_share': 'Members\' share',
      'analytics.l_aov': 'Average receipt', 'analytics.l_new_members': 'New members', 'analytics.l_members': 'Members (home)',
      'analytics.unassigned': 'No location',
      'analytics.by_location_note': 'Share of revenue: of the program\'s revenue in the period. "No location": receipts that name no location, and members without a home location.',
      'analytics.home_note': 'A member\'s home location: where they joined, else where they first bought.',
      'analytics.a_receipts': 'Receipts', 'analytics.a_revenue': 'Revenue', 'analytics.a_share': 'Share',
      'analytics.a_member_share': 'Memb. %', 'analytics.a_aov': 'Avg.', 'analytics.a_new_members': 'New',
      'analytics.a_members': 'Memb. (home)',
      'analytics.sub_receipts_here': 'by members (any home): {m}, refunds: {r}',
      'analytics.sub_buyers_home': 'members whose home is this location: {m}, first purchase: {n}',
      'analytics.home_scope': 'members whose home is this location',
      'analytics.members_as_of_home': 'Members whose home is this location on {day}: {n}.',
      'analytics.timeout': 'no answer within {s} s',
      'analytics.failed': 'Could not load: {error}', 'analytics.try_again': 'Try again',
      'analytics.export_failed': 'The “{name}” export failed: {error}'
    }
  });

  function percent(v) { return v === null || v === undefined ? '—' : LC.number(v) + '%'; }
  function count(v) { return v === null || v === undefined ? '—' : LC.number(v); }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function titled(node, text) { node.appendChild(svg('title', null, text)); return node; }

  /* `here`: one location's view, where the member figures are those of the members whose home it is (the
     tiles say so), while receipts and revenue are the location's own. */
  function tiles(s, money, here) {
    var home = here ? t('analytics.home_scope') : '';
    var list = [
      ['revenue', money(s.revenue), t('analytics.sub_members_money', {v: money(s.member_revenue)})],
      ['receipts', count(s.receipts), t(here ? 'analytics.sub_receipts_here' : 'analytics.sub_receipts',
                                        {m: count(s.member_receipts), r: count(s.refunds)})],
      ['sor', percent(s.sor)], ['aov', s.aov === null ? '—' : money(s.aov)],
      ['buyers', count(s.buyers), t(here ? 'analytics.sub_buyers_home' : 'analytics.sub_buyers',
                                    {m: count(s.members), n: count(s.new_buyers)})],
      ['frequency', count(s.frequency), home], ['repeat_rate', percent(s.repeat_rate), home],
      ['new_members', count(s.new_members), home],
      ['crr', percent(s.crr), t('analytics.sub_crr', {s: count(s.active_at_start), e: count(s.active_at_end)}) + (here ? '; ' + home : '')],
      ['ltv', s.ltv === null ? '—' : money(s.ltv), home],
      ['points_issued', count(s.points_issued)], ['points_redeemed', count(s.points_redeemed)],
      ['points_expired', count(s.points_expired)], ['redemption_rate', percent(s.redemption_rate)],
      ['breakage', percent(s.breakage)],
      ['liability', money(s.liability), t('analytics.sub_points', {n: count(s.outstanding_points)})]
    ];
    return h.apply(null, ['div', {'class': 'analytics-tiles'}].concat(list.map(function (tile) {
      return h('div', {'class': 'analytics-tile', 'data-figure': tile[0]},
        h('p', {'class': 'analytics-tile-label'}, t('analytics.' + tile[0])),
        h('p', {'class': 'analytics-tile-value'}, tile[1]),
        tile[2] ? h('p', {'class': 'analytics-tile-sub'}, tile[2]) : '');
    })));
  }

  /* A chart drawn at the width it is shown at, so its 12 px labels stay 12 px on a phone. */
  function chart(box, title, days, series, format) {
    var width = Math.max(280, Math.floor(box.clientWidth || 340));
    var max = 0;
    series.forEach(function (s) { days.forEach(function (d) { max = Math.max(max, d[s.key] || 0); }); });
    var plotH = HEIGHT - PAD.t - PAD.b, slot = (width - PAD.l - PAD.r) / Math.max(days.length, 1);
    var x = function (i) { return PAD.l + (i + 0.5) * slot; };
    var y = function (v) { return PAD.t + plotH - ((v || 0) / (max || 1)) * plotH; };
    var base = PAD.t + plotH;
    var node = svg('svg', {viewBox: '0 0 ' + width + ' ' + HEIGHT, width: width, height: HEIGHT, role: 'img',
                           'class': 'analytics-chart', 'aria-label': t('analytics.chart_label', {title: title, max: format(max)})});
    node.appendChild(svg('line', {x1: PAD.l, x2: width - PAD.r, y1: PAD.t, y2: PAD.t, 'class': 'gridline'}));
    node.appendChild(svg('line', {x1: PAD.l, x2: width - PAD.r, y1: base, y2: base, 'class': 'axis'}));
    node.appendChild(svg('text', {x: PAD.l - 6, y: PAD.t + 4, 'text-anchor': 'end'}, format(max)));
    node.appendChild(svg('text', {x: PAD.l - 6, y: base + 4, 'text-anchor': 'end'}, format(0)));
    var labels = Math.max(2, Math.floor((width - PAD.l - PAD.r) / 64));  // a label every 64 px at most
    var step = Math.max(1, Math.ceil(days.length / labels));
    days.forEach(function (d, i) {
      if (i % step === 0) {
        node.appendChild(svg('text', {x: x(i), y: HEIGHT - 8, 'text-anchor': 'middle'},
                             new Intl.DateTimeFormat(LC.lang, {day: 'numeric', month: 'short'}).format(new Date(d.day + 'T12:00:00'))));
      }
    });
    series.forEach(function (s) {
      if (s.type === 'bar') {
        var w = Math.max(1, slot * 0.8 / (s.of || 1));
        days.forEach(function (d, i) {
          var v = d[s.key] || 0, top = y(v);
          node.appendChild(titled(svg('rect', {x: x(i) - slot * 0.4 + w * (s.at || 0), y: top, width: w,
                                               height: Math.max(base - top, v ? 1 : 0), 'class': s.cls}),
                                  LC.date(d.day) + ' — ' + s.label + ': ' + format(v)));
        });
      } else {
        node.appendChild(svg('polyline', {'class': 'line ' + s.cls,
          points: days.map(function (d, i) { return x(i).toFixed(1) + ',' + y(d[s.key]).toFixed(1); }).join(' ')}));
        days.forEach(function (d, i) {
          node.appendChild(titled(svg('circle', {cx: x(i), cy: y(d[s.key]), r: days.length > 90 ? 1.5 : 3, 'class': s.cls}),
                                  LC.date(d.day) + ' — ' + s.label + ': ' + format(d[s.key] || 0)));
        });
      }
    });
    box.replaceChildren(h('figure', null, h('figcaption', null, title), node, legend(series.map(function (s) {
      return {label: s.label, cls: s.cls};
    }))));
  }

  function legend(items) {
    return h.apply(null, ['ul', {'class': 'analytics-legend'}].concat(items.map(function (it) {
      var swatch = h('span', {'class': 'analytics-swatch ' + it.cls, 'aria-hidden': 'true'});
      return h('li', null, swatch, it.button || it.label);
    })));
  }

  function charts(box, days, money) {
    var boxes = [0, 1, 2, 3].map(function () { return h('div', {'class': 'analytics-chart-box'}); });
    box.replaceChildren.apply(box, boxes);
    function draw() {
      chart(boxes[0], t('analytics.ch_revenue'), days, [
        {key: 'revenue', label: t('analytics.s_revenue'), cls: 'c-rev', type: 'bar', of: 2, at: 0},
        {key: 'member_revenue', label: t('analytics.s_member_revenue'), cls: 'c-mrev', type: 'bar', of: 2, at: 1}], money);
      chart(boxes[1], t('analytics.ch_receipts'), days, [
        {key: 'receipts', label: t('analytics.s_receipts'), cls: 'c-rec', type: 'line'},
        {key: 'member_receipts', label: t('analytics.s_member_receipts'), cls: 'c-mrev', type: 'line'}], count);
      chart(boxes[2], t('analytics.ch_members'), days, [
        {key: 'new_members', label: t('analytics.s_new_members'), cls: 'c-new', type: 'bar'}], count);
      chart(boxes[3], t('analytics.ch_points'), days, [
        {key: 'points_issued', label: t('analytics.s_issued'), cls: 'c-iss', type: 'line'},
        {key: 'points_redeemed', label: t('analytics.s_redeemed'), cls: 'c-red', type: 'line'}], count);
    }
    LC.redrawOnResize(box, draw);
  }

  function segmentName(name) {
    return LIFECYCLE.indexOf(name) >= 0 ? t('analytics.lc_' + name) : RFM.indexOf(name) >= 0 ? t('analytics.rfm_' + name) : name;
  }

  /* The program's locations ([{id, name, status}], [] when none): from GET .../locations; a role that may not
     read them there (or a server without that route) finds them in the comparison. Also for experiments.js. */
  LC.programLocations = async function (program) {
    try {
      var listed = await LC.api('GET', LC.ops.programPath(program, '/locations'));
      return (listed && listed.items) || [];
    } catch (err) {
      if (err && err.status === 401) throw err;
      try {
        var compared = await LC.api('GET', LC.ops.programPath(program, '/analytics/locations'));
        return ((compared && compared.items) || []).map(function (row) {
          return {id: row.location_id, name: row.name, status: row.status};
        });
      } catch (again) { return []; }
    }
  };

  /* A select of All and each location (a closed one says so); `onPick(id)` with '' for All. */
  LC.locationSelect = function (locations, onPick) {
    var id = LC.uid('location');
    var select = h('select', {id: id, 'data-location-select': ''}, [h('option', {value: ''}, t('analytics.all_locations'))].concat(
      locations.map(function (l) {
        return h('option', {value: l.id}, l.status === 'closed' ? t('analytics.closed', {name: l.name}) : l.name);
      })));
    select.addEventListener('change', function () { onPick(select.value); });
    return h('div', {'class': 'field analytics-location'}, h('label', {'for': id}, t('analytics.location')), select);
  };

  function byLocationView(box, compared, money) {
    var rows = (compared.items || []).slice();
    var left = compared.unassigned || {};
    var total = rows.reduce(function (sum, r) { return sum + (r.revenue || 0); }, 0) + (left.revenue || 0);
    var share = function (v) {
      if (!total) return '—';
      var tenths = Math.round(1000 * (v || 0) / total) / 10;
      return v > 0 && tenths === 0 ? '<' + LC.number(0.1) + '%' : LC.number(tenths) + '%';  // a positive share never reads 0%
    };
    function line(name, r, attrs) {
      return h('tr', attrs, h('th', {scope: 'row'}, name), h('td', {'class': 'num'}, LC.number(r.receipts || 0)),
        h('td', {'class': 'num', 'data-col': 'revenue'}, money(r.revenue || 0)), h('td', {'class': 'num', 'data-col': 'share'}, share(r.revenue)),
        h('td', {'class': 'num'}, percent(r.member_share)), h('td', {'class': 'num'}, r.aov === null || r.aov === undefined ? '—' : money(r.aov)),
        h('td', {'class': 'num'}, LC.number(r.new_members || 0)), h('td', {'class': 'num'}, LC.number(r.members || 0)));
    }
    var body = rows.map(function (r) {
      return line(r.status === 'closed' ? t('analytics.closed', {name: r.name}) : r.name, r, {'data-location': r.location_id});
    });
    body.push(line(t('analytics.unassigned'), left, {'data-location': '', 'class': 'muted'}));
    box.replaceChildren(h('p', {'class': 'muted analytics-home-note'}, t('analytics.l_members') + ': ' + t('analytics.home_note')),
      LC.ops.scroller(t('analytics.by_location'), h('table', {'class': 'analytics-by-location'},
      h('caption', {'class': 'visually-hidden'}, t('analytics.by_location')),
      h('thead', null, h('tr', null, ['l_name', 'l_receipts', 'l_revenue', 'l_share', 'l_member_share', 'l_aov', 'l_new_members', 'l_members'].map(function (k, i) {
        // short headings (the whole name in a title and for screen readers) so the table fits a desktop column
        var whole = t('analytics.' + k), short = i ? t('analytics.a' + k.slice(1)) : whole;
        return h('th', {scope: 'col', 'class': i ? 'num' : '', 'data-col': k.slice(2)},
          short === whole ? whole : [h('abbr', {title: whole, 'aria-hidden': 'true'}, short), h('span', {'class': 'visually-hidden'}, whole)]);
      }))),
      h.apply(null, ['tbody', null].concat(body)))),
      h('p', {'class': 'muted'}, t('analytics.by_location_note')));
  }

  function segmentsView(box, seg, program, money, where) {
    var total = seg.members || 0, life = seg.lifecycle || {}, cuts = seg.thresholds || {};
    var cards = h('section', {'class': 'panel ops-section', hidden: true, 'aria-live': 'polite'});
    function pick(name) { return h('button', {type: 'button', 'class': 'link', on: {click: function () { showCards(name); }}}, segmentName(name)); }
    var bar = null;
    if (total) {
      bar = svg('svg', {viewBox: '0 0 600 28', preserveAspectRatio: 'none', 'class': 'analytics-lifecycle', role: 'img',
        'aria-label': LIFECYCLE.map(function (n) { return segmentName(n) + ' ' + LC.number(life[n] || 0); }).join(', ')});
      var at = 0;
      LIFECYCLE.forEach(function (n) {
        var w = 600 * (life[n] || 0) / total;
        if (w > 0) bar.appendChild(titled(svg('rect', {x: at, y: 0, width: w, height: 28, 'class': 'c-' + n}),
                                          segmentName(n) + ': ' + LC.number(life[n])));
        at += w;
      });
    }
    var a = cuts.active_days;
    var note = cuts.lifecycle_basis === 'median_gap'
      ? t('analytics.thresholds_gap', {a: a, a1: a + 1, s: cuts.sleeping_days, gap: LC.number(cuts.median_gap_days)})
      : t('analytics.thresholds_fixed', {a: a, a1: a + 1, s: cuts.sleeping_days});
    var rfm = seg.rfm_segments || {};
    var rows = Object.keys(rfm).map(function (name) {
      return h('tr', null, h('th', {scope: 'row'}, pick(name)), h('td', {'class': 'num'}, LC.number(rfm[name])),
               h('td', {'class': 'num'}, total ? LC.number(Math.round(1000 * rfm[name] / total) / 10) + '%' : '—'));
    });
    box.replaceChildren(
      h('p', null, t(where ? 'analytics.members_as_of_home' : 'analytics.members_as_of', {day: LC.date(seg.as_of), n: LC.number(total)})),
      bar || '',
      legend(LIFECYCLE.map(function (n) {
        var b = pick(n);
        b.textContent = segmentName(n) + ': ' + LC.number(life[n] || 0);
        return {cls: 'c-' + n, button: b};
      })),
      h('p', {'class': 'muted analytics-thresholds'}, note),
      LC.ops.scroller(t('analytics.rfm_title'), h.apply(null, ['table', null,
        h('caption', null, t('analytics.rfm_title')),
        h('thead', null, h('tr', null, h('th', {scope: 'col'}, t('analytics.segment')),
          h('th', {scope: 'col', 'class': 'num'}, t('analytics.cards_count')), h('th', {scope: 'col', 'class': 'num'}, t('analytics.share')))),
        h.apply(null, ['tbody', null].concat(rows))])),
      cards);

    var state = {name: null, cursor: null};
    async function showCards(name) {
      state = {name: name, cursor: null};
      var body = h('tbody');
      var status = h('div');
      var more = h('button', {type: 'button', 'class': 'secondary', hidden: true}, t('analytics.more'));
      var heading = h('h2', {tabindex: '-1'}, t('analytics.cards_of', {segment: segmentName(name)}));
      cards.replaceChildren(heading, LC.ops.scroller(t('analytics.cards_of', {segment: segmentName(name)}), h('table', null,
        h('thead', null, h('tr', null, ['c_number', 'c_name', 'c_balance', 'c_receipts', 'c_revenue', 'c_last'].map(function (k) {
          return h('th', {scope: 'col', 'class': /balance|receipts|revenue/.test(k) ? 'num' : ''}, t('analytics.' + k));
        }))), body)), status, more);
      cards.hidden = false;
      heading.focus();
      async function next() {
        var mine = state;
        more.disabled = true;
        LC.loading(status);
        try {
          var page = await LC.api('GET', LC.query(LC.ops.programPath(program, '/analytics/segments/' + encodeURIComponent(name) + '/cards'),
            {limit: 50, cursor: mine.cursor, location_id: where}));
          if (mine !== state) return;
          status.replaceChildren();
          (page.items || []).forEach(function (c) {
            var link = LC.can('cards:read') ? h('a', {href: '#/customers/' + encodeURIComponent(c.id)}, c.number) : c.number;
            body.appendChild(h('tr', null, h('td', null, link), h('td', null, c.name || ''),
              h('td', {'class': 'num'}, LC.number(c.balance)), h('td', {'class': 'num'}, LC.number(c.receipts)),
              h('td', {'class': 'num'}, money(c.revenue)), h('td', null, c.last_purchase_on ? LC.date(c.last_purchase_on) : '—')));
          });
          mine.cursor = page.next_cursor;
          more.hidden = !mine.cursor;
          if (!body.children.length) LC.empty(status, t('analytics.no_cards'));
        } finally { more.disabled = false; }
      }
      more.addEventListener('click', next);
      await next();
    }
  }

  /* A request that has not answered in WAIT_SECONDS counts as failed (its section offers Try again). */
  var WAIT_SECONDS = 30;
  function patient(promise) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error(t('analytics.timeout', {s: WAIT_SECONDS}))); }, WAIT_SECONDS * 1000);
      promise.then(function (value) { clearTimeout(timer); resolve(value); },
                   function (error) { clearTimeout(timer); reject(error); });
    });
  }

  function exportCsv(program, kind) {
    return LC.downloadCsv(LC.ops.programPath(program, '/exports/' + kind), kind + '-' + program.slug + '.csv');
  }

  function exportsView(program) {
    var problem = h('p', {'class': 'analytics-export-error', role: 'alert', hidden: true});
    var buttons = EXPORTS.filter(function (kind) { return kind === 'receipts' || LC.can('cards:read'); }).map(function (kind) {
      return h('button', {type: 'button', 'class': 'secondary', 'data-export': kind, on: {click: async function (event) {
        var button = event.currentTarget;
        button.disabled = true;
        problem.hidden = true;
        try {
          LC.toast(t('analytics.exported', {name: await exportCsv(program, kind)}));
        } catch (err) {
          // a page of the export failed: said next to the buttons (it stays), not only in a passing toast
          problem.textContent = t('analytics.export_failed', {name: t('analytics.export_' + kind),
                                                               error: err && err.message ? err.message : String(err)});
          problem.hidden = false;
        } finally { button.disabled = false; }
      }}}, t('analytics.export_' + kind));
    });
    return h('section', {'class': 'panel ops-section', 'aria-label': t('analytics.exports')}, h('h2', null, t('analytics.exports')),
      h.apply(null, ['div', {'class': 'analytics-exports'}].concat(buttons)), problem,
      h('p', {'class': 'muted'}, t('analytics.export_hint')));
  }

  LC.route('#/analytics', {
    title: 'analytics.title',
    needsProgram: true,
    order: 60,
    permission: 'analytics:read',
    render: async function (main) {
      var program = LC.program;
      var money = function (v) { return LC.money(v, program.currency); };
      var periodNote = h('p', {'class': 'muted analytics-period', role: 'status'});
      var summary = h('div'), daily = h('div', {'class': 'analytics-charts'}), segments = h('div');
      var active = h('p', {'class': 'muted'});
      var form = LC.form({
        fields: [{name: 'from', label: t('analytics.from'), type: 'date', required: true},
                 {name: 'to', label: t('analytics.to'), type: 'date', required: true}],
        submit: t('analytics.update'),
        onSubmit: async function (values) {
          if (values.from > values.to) throw new Error(t('analytics.bad_period'));
          await load({from: values.from, to: values.to});
        }
      });
      form.classList.add('analytics-period-form');
      main.appendChild(form);
      var opened = LC.current();
      var locations = await LC.programLocations(program);
      if (LC.current() !== opened) return;
      var where = '', asked = {}, comparedFor = null, note = h('p', {'class': 'muted analytics-location-note', hidden: true}, t('analytics.location_note'));
      var compareBox = h('div');
      if (locations.length) {
        main.appendChild(LC.locationSelect(locations, function (id) { where = id; load(asked); }));
        main.appendChild(note);
      }
      main.appendChild(periodNote);
      main.appendChild(h('section', {'class': 'panel ops-section', 'aria-label': t('analytics.summary')}, h('h2', null, t('analytics.summary')),
        summary, active));
      main.appendChild(h('section', {'class': 'panel ops-section', 'aria-label': t('analytics.daily')}, h('h2', null, t('analytics.daily')), daily));
      main.appendChild(h('section', {'class': 'panel ops-section', 'aria-label': t('analytics.segments')}, h('h2', null, t('analytics.segments')),
        segments));
      if (locations.length) {
        main.appendChild(h('section', {'class': 'panel ops-section analytics-locations', 'aria-label': t('analytics.by_location')},
          h('h2', null, t('analytics.by_location')), compareBox));
      }
      main.appendChild(exportsView(program));

      var generation = 0;
      /* One section's request: its own answer drawn, or its own error with a "Try again" that asks again (a
         failed or slow request leaves the other sections as they are). */
      function section(el, mine, ask, draw) {
        LC.loading(el);
        return patient(ask()).then(function (answer) {
          if (mine !== generation) return;
          LC.loaded(el);
          draw(answer);
        }, function (err) {
          if (mine !== generation) return;
          LC.clear(el);
          el.removeAttribute('aria-busy');
          el.appendChild(h('div', {'class': 'analytics-error', role: 'alert'},
            h('p', null, t('analytics.failed', {error: err && err.message ? err.message : String(err)})),
            h('button', {type: 'button', 'class': 'secondary', 'data-retry': '', on: {click: function () {
              section(el, generation, ask, draw);
            }}}, t('analytics.try_again'))));
        });
      }
      /* `period`: {from, to} ({}: the API's default). The comparison is read again only for another period. */
      async function load(period) {
        var mine = ++generation;
        asked = period;
        var here = where;
        var at = function (suffix, extra) {
          return LC.query(LC.ops.programPath(program, '/analytics/' + suffix), Object.assign({location_id: here}, extra || {}));
        };
        var get = function (path) { return function () { return LC.api('GET', path); }; };
        var compare = locations.length && JSON.stringify(period) !== comparedFor;
        note.hidden = !here;
        active.textContent = '';
        var jobs = [
          section(summary, mine, get(at('summary', period)), function (s) {
            // the period the API chose (the program's days) fills the inputs: the browser's day is not the program's
            form.querySelector('[name="from"]').value = s.from;
            form.querySelector('[name="to"]').value = s.to;
            periodNote.textContent = t('analytics.period', {from: LC.date(s.from), to: LC.date(s.to), zone: program.timezone});
            summary.replaceChildren(tiles(s, money, !!here));
            active.textContent = t('analytics.active_note', {n: s.active_days}) + ' ' +
              t('analytics.read', {days: LC.number(s.items_read.days), cards: LC.number(s.items_read.cards)});
          }),
          section(daily, mine, get(at('daily', period)), function (d) { charts(daily, d.days || [], money); }),
          section(segments, mine, get(at('segments')), function (seg) { segmentsView(segments, seg, program, money, here); })
        ];
        if (compare) {
          var key = JSON.stringify(period);
          jobs.push(section(compareBox, mine, get(LC.query(LC.ops.programPath(program, '/analytics/locations'), period)),
            function (compared) { byLocationView(compareBox, compared, money); comparedFor = key; }));
        }
        await Promise.all(jobs);
      }
      await load({});
    }
  });
})();
