/* Surveys: what customers answered after a purchase (GET /admin/programs/{id}/surveys): NPS (from −100
   to 100: the share of promoters, 9–10, less the share of detractors, 0–6) with the counts, the CSI
   average (1–5), month by month, and the comments, newest first, page by page. */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  LC.texts({
    ru: {
      'surveys.title': 'Опросы',
      'surveys.intro': 'Ответы клиентов на вопрос после покупки. Настроить опрос: страница «Механика».',
      'surveys.from': 'С', 'surveys.to': 'По', 'surveys.show': 'Показать',
      'surveys.nps': 'NPS', 'surveys.nps_hint': 'От −100 до 100: доля ставящих 9–10 минус доля ставящих 0–6.',
      'surveys.promoters': 'Сторонники (9–10)', 'surveys.passives': 'Нейтральные (7–8)', 'surveys.detractors': 'Критики (0–6)',
      'surveys.answers': 'Ответов', 'surveys.csi': 'CSI, средняя оценка', 'surveys.csi_hint': 'От 1 до 5.',
      'surveys.none': 'За этот период ответов нет.',
      'surveys.by_month': 'По месяцам', 'surveys.month': 'Месяц',
      'surveys.comments': 'Комментарии', 'surveys.no_comments': 'Комментариев нет.',
      'surveys.period': 'Итоги за период', 'surveys.nps_answers': 'Ответов NPS', 'surveys.csi_answers': 'Ответов CSI',
      'surveys.score': 'Оценка {score}', 'surveys.score_of': 'Оценка {score} из {max}', 'surveys.card': 'Карта клиента', 'surveys.more': 'Показать ещё'
    },
    en: {
      'surveys.title': 'Surveys',
      'surveys.intro': 'What customers answered after a purchase. To set the survey up: the Mechanics page.',
      'surveys.from': 'From', 'surveys.to': 'To', 'surveys.show': 'Show',
      'surveys.nps': 'NPS', 'surveys.nps_hint': '−100 to 100: the share giving 9–10 less the share giving 0–6.',
      'surveys.promoters': 'Promoters (9–10)', 'surveys.passives': 'Passives (7–8)', 'surveys.detractors': 'Detractors (0–6)',
      'surveys.answers': 'Answers', 'surveys.csi': 'CSI, average score', 'surveys.csi_hint': '1 to 5.',
      'surveys.none': 'No answers in this period.',
      'surveys.by_month': 'By month', 'surveys.month': 'Month',
      'surveys.comments': 'Comments', 'surveys.no_comments': 'No comments.',
      'surveys.period': 'For the period', 'surveys.nps_answers': 'NPS answers', 'surveys.csi_answers': 'CSI answers',
      'surveys.score': 'Score {score}', 'surveys.score_of': 'Score {score} of {max}', 'surveys.card': 'Customer’s card', 'surveys.more': 'Show more'
    }
  });

  function tile(label, value, sub, figure) {
    return h('div', {'class': 'surveys-tile', 'data-figure': figure},
      h('p', {'class': 'surveys-tile-label'}, label), h('p', {'class': 'surveys-tile-value'}, value),
      sub ? h('p', {'class': 'surveys-tile-sub'}, sub) : null);
  }

  function signedScore(n) { return (n > 0 ? '+' : n < 0 ? '−' : '') + LC.number(Math.abs(n)); }
  function average(n) { return new Intl.NumberFormat(LC.lang, {maximumFractionDigits: 2, minimumFractionDigits: 1}).format(n); }

  /* A month's figure: the API's block ({score}/{average}) or a bare number. */
  function figureOf(value, key) {
    if (value === null || value === undefined) return null;
    return typeof value === 'object' ? value[key] : value;
  }
  function monthName(month) {
    var m = /^(\d{4})-(\d{2})/.exec(String(month || ''));
    if (!m) return String(month || '');
    return new Intl.DateTimeFormat(LC.lang, {month: 'long', year: 'numeric', timeZone: 'UTC'})
      .format(new Date(Date.UTC(+m[1], +m[2] - 1, 1)));
  }

  function summary(answer) {
    var nps = answer.nps, csi = answer.csi;
    var box = h('div', {'class': 'surveys-tiles'});
    if (nps) {
      box.appendChild(tile(t('surveys.nps'), signedScore(nps.score), t('surveys.nps_hint'), 'nps'));
      box.appendChild(tile(t('surveys.promoters'), LC.number(nps.promoters), null, 'promoters'));
      box.appendChild(tile(t('surveys.passives'), LC.number(nps.passives), null, 'passives'));
      box.appendChild(tile(t('surveys.detractors'), LC.number(nps.detractors), null, 'detractors'));
      box.appendChild(tile(t('surveys.nps_answers'), LC.number(nps.answers), null, 'nps-answers'));
    }
    if (csi) {
      box.appendChild(tile(t('surveys.csi'), average(csi.average), t('surveys.csi_hint'), 'csi'));
      box.appendChild(tile(t('surveys.csi_answers'), LC.number(csi.answers), null, 'csi-answers'));
    }
    return nps || csi ? box : h('p', {'class': 'empty'}, t('surveys.none'));
  }

  function months(items) {
    if (!items || !items.length) return null;
    var body = h('tbody', null, items.map(function (row) {
      var nps = figureOf(row.nps, 'score'), csi = figureOf(row.csi, 'average');
      var answers = row.answers !== undefined ? row.answers
        : ((row.nps && row.nps.answers) || 0) + ((row.csi && row.csi.answers) || 0);
      return h('tr', null, h('td', null, monthName(row.month)),
        h('td', {'class': 'num'}, nps === null ? '—' : signedScore(nps)),
        h('td', {'class': 'num'}, csi === null ? '—' : average(csi)),
        h('td', {'class': 'num'}, LC.number(answers)));
    }));
    return LC.ops.scroller(t('surveys.by_month'), h('table', {'class': 'surveys-months'},
      h('caption', {'class': 'visually-hidden'}, t('surveys.by_month')),
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, t('surveys.month')), h('th', {scope: 'col', 'class': 'num'}, t('surveys.nps')),
        h('th', {scope: 'col', 'class': 'num'}, 'CSI'), h('th', {scope: 'col', 'class': 'num'}, t('surveys.answers')))),
      body));
  }

  /* "Score 9 of 10" (NPS) or "Score 4 of 5" (CSI); a bare score for a kind the console does not know. */
  function score(c) {
    var max = {nps: 10, csi: 5}[c.kind];
    return max ? t('surveys.score_of', {score: LC.number(c.score), max: max}) : t('surveys.score', {score: LC.number(c.score)});
  }

  function commentItem(c) {
    return h('li', null,
      h('p', {'class': 'surveys-comment-head'}, score(c) + ' · ' + LC.ops.moment(c.answered_at),
        c.card_id && LC.can('cards:read') ? [' · ', h('a', {href: '#/customers/' + encodeURIComponent(c.card_id)}, t('surveys.card'))] : null),
      h('p', {'class': 'surveys-comment-text'}, c.comment || ''));
  }

  function section(titleKey, className) {
    return h('section', {'class': ['panel', 'ops-section', className], 'aria-label': t(titleKey)}, h('h2', null, t(titleKey)));
  }

  LC.route('#/surveys', {
    title: 'surveys.title',
    needsProgram: true,
    order: 65,
    permission: 'analytics:read',
    render: async function (main) {
      var program = LC.program;
      var path = LC.ops.programPath(program, '/surveys');
      var period = {from: '', to: ''};
      main.appendChild(h('p', {'class': 'muted'}, t('surveys.intro')));
      var results = h('div', {'class': 'surveys-results'});
      var form = LC.form({
        fields: [{name: 'from', label: t('surveys.from'), type: 'date'}, {name: 'to', label: t('surveys.to'), type: 'date'}],
        submit: t('surveys.show'),
        'class': 'surveys-period',
        onSubmit: async function (values) {
          period = {from: values.from, to: values.to};
          await draw();
        }
      });
      main.appendChild(form);
      main.appendChild(results);

      async function draw() {
        LC.loading(results);
        var answer = await LC.api('GET', LC.query(path, period));
        // the period the API answered for (the last 30 days unless chosen), in the form
        if (answer.from) form.field('from').value = answer.from;
        if (answer.to) form.field('to').value = answer.to;
        LC.clear(results);
        LC.loaded(results);
        var scores = section('surveys.period', 'surveys-summary');
        scores.appendChild(summary(answer));
        results.appendChild(scores);
        var table = months(answer.by_month);
        if (table) {
          var byMonth = section('surveys.by_month', 'surveys-by-month');
          byMonth.appendChild(table);
          results.appendChild(byMonth);
        }
        var comments = section('surveys.comments', 'surveys-comments');
        var list = h('ul', {'class': 'surveys-comment-list'});
        var more = h('button', {type: 'button', 'class': 'secondary', hidden: true}, t('surveys.more'));
        comments.appendChild(list);
        comments.appendChild(more);
        results.appendChild(comments);
        var page = answer.comments || {items: [], next_cursor: null};
        function fill(p) {
          (p.items || []).forEach(function (c) { list.appendChild(commentItem(c)); });
          more.hidden = !p.next_cursor;
          more.cursor = p.next_cursor;
        }
        fill(page);
        if (!list.children.length) comments.appendChild(h('p', {'class': 'empty'}, t('surveys.no_comments')));
        more.addEventListener('click', async function () {
          more.disabled = true;
          try {
            var next = await LC.api('GET', LC.query(path, Object.assign({cursor: more.cursor}, period)));
            fill(next.comments || {items: []});
          } catch (err) {
            LC.toast(err && err.message ? err.message : String(err), 'error');
          } finally { more.disabled = false; }
        });
      }
      await draw();
    }
  });
})();
