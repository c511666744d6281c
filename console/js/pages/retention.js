/* Personal data (#/privacy; owner): the program's data retention (issue 19): erase members inactive for N
   months, delete message records older than M months (empty: keep for ever), saved with PATCH
   /admin/programs/{id} {"retention": {...}} (null when both are empty); an error comes back at its field
   (retention.inactive_months). The page also says where a member's export and erasure are, and the audit
   trail. */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;
  var FIELDS = ['inactive_months', 'messages_months'];

  LC.texts({
    ru: {
      'retention.title': 'Персональные данные',
      'retention.intro': 'Копию данных клиента или их удаление по его просьбе — на странице клиента (раздел «Данные клиента»). Кто что менял — в журнале действий.',
      'retention.audit_link': 'Открыть журнал действий',
      'retention.section': 'Срок хранения данных',
      'retention.explain': 'Храните данные не дольше, чем они нужны. Раз в сутки мы удаляем то, чей срок вышел; пустое поле — хранить всегда.',
      'retention.inactive_months': 'Удалять клиентов без покупок дольше (месяцев)',
      'retention.inactive_hint': 'От 1 до 120. Клиент, который не покупал дольше этого срока (считая от последней покупки, а без покупок — от вступления), будет удалён так же, как кнопкой «Удалить клиента»: личные данные исчезнут, суммы для учёта останутся.',
      'retention.messages_months': 'Удалять записи о сообщениях старше (месяцев)',
      'retention.messages_hint': 'От 1 до 120. Тексты и отметки об отправленных сообщениях.',
      'retention.save': 'Сохранить срок хранения',
      'retention.saved': 'Срок хранения сохранён.',
      'retention.forever': 'Сейчас данные хранятся всегда.',
      'retention.current': 'Сейчас: {what}.',
      'retention.current_inactive': 'клиенты удаляются после {n} мес. без покупок',
      'retention.current_messages': 'сообщения хранятся {n} мес. после отправки',  // not «мес..» at the end of «Сейчас: ….»
      'retention.confirm': 'Клиенты без покупок дольше {n} мес. будут удалены при следующем ночном запуске. Это нельзя отменить. Сохранить?',
      'retention.confirm_ok': 'Сохранить и удалять'
    },
    en: {
      'retention.title': 'Personal data',
      'retention.intro': 'A copy of a member\'s data, or its erasure when they ask: on the member\'s page ("The member\'s data"). Who changed what: in the audit trail.',
      'retention.audit_link': 'Open the audit trail',
      'retention.section': 'Data retention',
      'retention.explain': 'Keep data no longer than you need it. Once a day we delete what has outlived its period; an empty field keeps it for ever.',
      'retention.inactive_months': 'Erase members with no purchase for more than (months)',
      'retention.inactive_hint': '1 to 120. A member who has bought nothing for longer (from their last purchase, or from joining if they never bought) is erased as the "Erase member" button does: personal data goes, the amounts kept for accounting stay.',
      'retention.messages_months': 'Delete message records older than (months)',
      'retention.messages_hint': '1 to 120. The texts and delivery records of messages sent.',
      'retention.save': 'Save the retention',
      'retention.saved': 'Retention saved.',
      'retention.forever': 'Now data is kept for ever.',
      'retention.current': 'Now: {what}.',
      // English counts months in the singular and the plural (LC.tn); Russian's "мес." fits every count
      'retention.current_inactive_one': 'members are erased after {n} month without a purchase',
      'retention.current_inactive_other': 'members are erased after {n} months without a purchase',
      'retention.current_messages_one': 'messages are kept {n} month',
      'retention.current_messages_other': 'messages are kept {n} months',
      'retention.confirm_one': 'Members with no purchase for more than {n} month will be erased at the next nightly run. This cannot be undone. Save?',
      'retention.confirm_other': 'Members with no purchase for more than {n} months will be erased at the next nightly run. This cannot be undone. Save?',
      'retention.confirm_ok': 'Save and erase'
    }
  });

  function current(retention) {
    var r = retention || {};
    var parts = [];
    if (r.inactive_months) parts.push(LC.tn('retention.current_inactive', r.inactive_months));
    if (r.messages_months) parts.push(LC.tn('retention.current_messages', r.messages_months));
    return parts.length ? t('retention.current', {what: parts.join('; ')}) : t('retention.forever');
  }

  /* The retention block for `program`; `onSaved(program)` gets the program as saved. */
  LC.retentionForm = function (program, onSaved) {
    var saved = program.retention || null;
    var now = h('p', {'class': 'retention-now', role: 'status'}, current(saved));
    var form = LC.form({
      'class': 'retention-form',
      fields: FIELDS.map(function (name) {
        var short = name === 'inactive_months' ? 'inactive' : 'messages';
        return {name: 'retention.' + name, label: t('retention.' + name), type: 'number', min: 1, max: 120, step: 1,
                inputmode: 'numeric', hint: t('retention.' + short + '_hint'),
                value: saved && saved[name] ? saved[name] : null};
      }),
      submit: t('retention.save'),
      onSubmit: async function (values) {
        var retention = {};
        FIELDS.forEach(function (name) {
          var value = values['retention.' + name];
          if (value !== null && Math.floor(value) !== value) throw new LC.ApiError(0, 'invalid_value', 'retention.' + name, '');
          retention[name] = value;
        });
        var empty = FIELDS.every(function (name) { return retention[name] === null; });
        var before = (saved && saved.inactive_months) || null;
        // a shorter (or a first) inactivity period erases members at the next run: the owner says so first
        if (retention.inactive_months !== null && (before === null || retention.inactive_months < before) &&
            !(await LC.confirm(LC.tn('retention.confirm', retention.inactive_months), t('retention.confirm_ok')))) {
          return;
        }
        var answer = await LC.api('PATCH', LC.ops.programPath(program), {retention: empty ? null : retention});
        saved = answer.retention || null;
        program = answer;
        if (LC.program && LC.program.id === answer.id) Object.assign(LC.program, answer);
        now.textContent = current(saved);
        LC.toast(t('retention.saved'));
        if (onSaved) onSaved(answer);
      }
    });
    return [now, form];
  };

  LC.route('#/privacy', {
    title: 'retention.title',
    permission: 'programs:write',
    needsProgram: true,
    order: 84,
    render: async function (main) {
      main.appendChild(h('p', {'class': 'muted'}, t('retention.intro'),
        LC.can('audit:read') ? [' ', h('a', {href: '#/audit'}, t('retention.audit_link'))] : null));
      var box = h('section', {'class': 'panel ops-section retention-section', 'aria-label': t('retention.section')},
                  h('h2', null, t('retention.section')), h('p', {'class': 'muted'}, t('retention.explain')));
      var waiting = LC.loading(h('div'));
      LC.append(main, [box, waiting]);
      var program;
      try { program = await LC.api('GET', LC.ops.programPath(LC.program)); } finally { waiting.remove(); }
      LC.append(box, LC.retentionForm(program));
    }
  });
})();
