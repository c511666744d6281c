/* Triggers: the messages the platform sends by itself (birthday gift, win-back offer, expiry warning):
   their settings (mechanics) and their texts in each language, the built-in text shown beside an
   owner's own, with the placeholders a text may use. Saved with PATCH /admin/programs/{id}; an error
   comes back at its field (mechanics.birthday.bonus, messages.birthday_gift.ru). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  // trigger (the program's `messages` key) -> its mechanics settings: [field path, label key, min, max]
  var TRIGGERS = [
    {name: 'birthday_gift', settings: [['mechanics.birthday.bonus', 'triggers.birthday_bonus', 0, 1000000],
                                       ['mechanics.birthday.days_before', 'triggers.birthday_days', 0, 60]]},
    {name: 'winback_offer', settings: [['mechanics.winback.after_days', 'triggers.winback_days', 0, 3650],
                                       ['mechanics.winback.bonus', 'triggers.winback_bonus', 0, 1000000]]},
    {name: 'expiry_warning', settings: [['mechanics.expiry_warning_days', 'triggers.expiry_days', 0, 90]]}
  ];
  // trigger -> the experiment subject it is tested as, and what a variant of it may change
  var SUBJECT = {birthday_gift: 'birthday', winback_offer: 'winback', expiry_warning: 'expiry_warning'};
  var CHANGES = {birthday: ['bonus', 'texts'], winback: ['bonus', 'texts'], expiry_warning: ['texts'], offers: [], challenges: []};

  LC.texts({
    ru: {
      'triggers.title': 'Автосообщения',
      'triggers.intro': 'Эти сообщения программа отправляет сама. Оставьте текст пустым, чтобы отправлялся стандартный.',
      'triggers.t_birthday_gift': 'День рождения', 'triggers.t_winback_offer': 'Вернуть ушедших',
      'triggers.t_expiry_warning': 'Баллы скоро сгорят',
      'triggers.birthday_bonus': 'Подарок в баллах (0 — не поздравлять)', 'triggers.birthday_days': 'За сколько дней до дня рождения',
      'triggers.winback_days': 'Через сколько дней без покупок (0 — не отправлять)', 'triggers.winback_bonus': 'Бонус в баллах',
      'triggers.expiry_days': 'За сколько дней до сгорания предупредить (0 — не предупреждать)',
      'triggers.text': 'Текст ({lang})', 'triggers.lang_ru': 'по-русски', 'triggers.lang_en': 'по-английски',
      'triggers.default': 'Стандартный текст: {text}', 'triggers.placeholders': 'Можно вставить: {list}',
      'triggers.custom': 'свой текст', 'triggers.builtin': 'стандартный текст',
      'triggers.save': 'Сохранить', 'triggers.saved': 'Сохранено.',
      'triggers.x_intro': 'Случайная доля карт не получит это сообщение и бонус; сравнение покажет, сколько оно приносит на самом деле.',
      'triggers.x_running': 'Идёт эксперимент «{name}» с {when}: контрольная группа {holdout}%.',
      'triggers.x_report': 'Открыть отчёт', 'triggers.x_start': 'Начать эксперимент',
      'triggers.x_started': 'Эксперимент начат.', 'triggers.x_section': 'Эксперименты: контрольные группы',
      'triggers.x_holdout_default': 'Контрольная группа, % (0–50)'
    },
    en: {
      'triggers.title': 'Automatic messages',
      'triggers.intro': 'The program sends these by itself. Leave a text empty to send the built-in one.',
      'triggers.t_birthday_gift': 'Birthday', 'triggers.t_winback_offer': 'Win back lapsed customers',
      'triggers.t_expiry_warning': 'Points about to expire',
      'triggers.birthday_bonus': 'Gift in points (0: no greeting)', 'triggers.birthday_days': 'Days before the birthday',
      'triggers.winback_days': 'After how many days without a purchase (0: never)', 'triggers.winback_bonus': 'Bonus in points',
      'triggers.expiry_days': 'Warn this many days before points expire (0: never)',
      'triggers.text': 'Text ({lang})', 'triggers.lang_ru': 'in Russian', 'triggers.lang_en': 'in English',
      'triggers.default': 'Built-in text: {text}', 'triggers.placeholders': 'You can insert: {list}',
      'triggers.custom': 'your own text', 'triggers.builtin': 'built-in text',
      'triggers.save': 'Save', 'triggers.saved': 'Saved.',
      'triggers.x_intro': 'A random share of cards will not get this message or bonus; the comparison shows what it really brings.',
      'triggers.x_running': 'The experiment "{name}" is running since {when}: control group {holdout}%.',
      'triggers.x_report': 'Open the report', 'triggers.x_start': 'Start an experiment',
      'triggers.x_started': 'The experiment has started.', 'triggers.x_section': 'Experiments: control groups',
      'triggers.x_holdout_default': 'Control group, % (0-50)'
    }
  });

  function read(object, path) {
    return path.split('.').reduce(function (at, key) { return at === null || at === undefined ? at : at[key]; }, object);
  }

  /* {"birthday": {"bonus": 5}} from [["birthday.bonus", 5]]. */
  function nest(pairs) {
    var out = {};
    pairs.forEach(function (pair) {
      var keys = pair[0].split('.'), at = out;
      keys.slice(0, -1).forEach(function (key) { at = at[key] = at[key] || {}; });
      at[keys[keys.length - 1]] = pair[1];
    });
    return out;
  }

  /* This trigger's texts as the API merges them over the program's: a text written is an override; one
     left empty, or the same as the built-in text, is null (the override goes, the default applies). */
  function overrides(trigger, values, items) {
    var mine = {};
    items.forEach(function (item) {
      var text = String(values['messages.' + trigger + '.' + item.locale] || '').trim();
      mine[item.locale] = text && text !== item.default ? text : null;
    });
    var body = {};
    body[trigger] = mine;
    return body;
  }

  function triggerForm(program, trigger, items, onSaved) {
    var fields = trigger.settings.map(function (s) {
      return {name: s[0], label: t(s[1]), type: 'number', min: s[2], max: s[3], step: 1, required: true,
              value: String(read(program, s[0]) === undefined ? 0 : read(program, s[0]))};
    });
    items.forEach(function (item) {
      var custom = item.overridden ? item.text : read(program, 'messages.' + trigger.name + '.' + item.locale);
      var hint = t('triggers.default', {text: item.default});
      if (item.placeholders && item.placeholders.length) {
        hint += ' ' + t('triggers.placeholders', {list: item.placeholders.map(function (p) { return '{' + p + '}'; }).join(', ')});
      }
      fields.push({name: 'messages.' + trigger.name + '.' + item.locale, type: 'textarea', hint: hint,
                   label: t('triggers.text', {lang: t('triggers.lang_' + item.locale) || item.locale}) + ' — ' +
                          t(custom ? 'triggers.custom' : 'triggers.builtin'),
                   value: custom || ''});
    });
    return LC.form({
      fields: fields,
      submit: t('triggers.save'),
      onSubmit: async function (values) {
        var settings = trigger.settings.map(function (s) { return [s[0].slice('mechanics.'.length), Number(values[s[0]])]; });
        var body = {mechanics: nest(settings)};
        if (items.length) body.messages = overrides(trigger.name, values, items);
        var saved = await LC.api('PATCH', LC.ops.programPath(program), body);
        onSaved(saved);
        LC.toast(t('triggers.saved'));
      }
    });
  }

  /* The texts' effective and built-in versions; a stack without that read shows the settings alone. */
  function texts(program) {
    return LC.api('GET', LC.ops.programPath(program, '/messages')).catch(function (err) {
      if (err && err.status === 404) return {items: []};
      throw err;
    });
  }

  /* A trigger's experiment: the running one (its report, Stop) or a form to start one (holdout, variants). */
  function experimentBox(program, subject, running, onChange) {
    var box = h('div', {'class': 'triggers-experiment', 'data-subject': subject},
      h('h3', null, LC.experiments.subjectName(subject)));
    if (running) {
      box.appendChild(h('p', {'class': 'triggers-x-running'}, t('triggers.x_running', {
        name: running.name, when: LC.date(running.created_at), holdout: LC.number(running.holdout_percent)})));
      box.appendChild(h('p', {'class': 'experiments-actions'},
        h('a', {href: '#/experiments/' + encodeURIComponent(running.id)}, t('triggers.x_report')), ' ',
        h('button', {type: 'button', 'class': 'danger', 'data-action': 'stop', on: {click: async function (event) {
          var button = event.currentTarget;
          button.disabled = true;
          try { if (await LC.experiments.stop(program, running)) onChange(); }
          catch (err) { LC.toast(err && err.message ? err.message : String(err), 'error'); }
          finally { button.disabled = false; }
        }}}, t('experiments.stop'))));
      return box;
    }
    var changes = CHANGES[subject] || [];
    var variants = changes.length ? LC.experiments.variantsEditor(changes, []) : null;
    var fields = [{name: 'holdout_percent', label: t('triggers.x_holdout_default'), type: 'number', min: 0, max: 50,
                   step: 0.01, value: '10', hint: t('experiments.holdout_hint')}];
    if (variants) fields.push({name: 'variants', element: variants});
    var form = LC.form({
      fields: fields,
      submit: t('triggers.x_start'),
      onSubmit: async function (values) {
        var body = {subject: subject, name: LC.experiments.subjectName(subject)};  // named in the owner's language
        if (values.holdout_percent !== null) body.holdout_percent = values.holdout_percent;
        var split = variants && variants.read();
        if (split) body.variants = split;
        await LC.api('POST', LC.experiments.path(program), body);
        LC.toast(t('triggers.x_started'));
        onChange();
      }
    });
    form.classList.add('triggers-experiment-form');
    box.appendChild(form);
    return box;
  }

  /* The program's running experiments by subject (none when the role may not read them). */
  async function runningExperiments(program) {
    if (!LC.can('experiments:read')) return null;
    var answer = await LC.api('GET', LC.experiments.path(program));
    var running = {};
    ((answer && answer.items) || []).forEach(function (e) {
      if (e.status === 'running' && e.subject !== 'campaign' && !running[e.subject]) running[e.subject] = e;
    });
    return running;
  }

  LC.route('#/triggers', {
    title: 'triggers.title',
    needsProgram: true,
    order: 50,
    permission: 'programs:write',
    render: async function (main) {
      var program = LC.program;
      main.appendChild(h('p', {'class': 'muted'}, t('triggers.intro')));
      var box = h('div');
      main.appendChild(box);
      LC.loading(box);
      var answers = await Promise.all([LC.api('GET', LC.ops.programPath(program)), texts(program), runningExperiments(program)]);
      program = answers[0];
      var items = (answers[1] && answers[1].items) || [];
      var running = answers[2];
      async function experimentsChanged() {
        running = await runningExperiments(program);
        draw();
      }
      box.replaceChildren();

      function draw() {
        box.replaceChildren();
        TRIGGERS.forEach(function (trigger) {
          var mine = items.filter(function (item) { return item.trigger === trigger.name; });
          var heading = t('triggers.t_' + trigger.name);
          box.appendChild(h('section', {'class': 'panel ops-section triggers-' + trigger.name, 'aria-label': heading},
            h('h2', null, heading),
            triggerForm(program, trigger, mine, async function (saved) {
              program = saved;
              if (LC.program && LC.program.id === saved.id) Object.assign(LC.program, saved);
              var fresh = await texts(program);
              items = (fresh && fresh.items) || items;
              draw();
              var again = box.querySelector('.triggers-' + trigger.name + ' button[type=submit]');
              if (again) again.focus();  // the form was drawn anew: keep the keyboard where it was
            })));
        });
        // experiments in a section of their own: each trigger's form above keeps its one submit button
        if (running) {
          var subjects = TRIGGERS.map(function (trigger) { return SUBJECT[trigger.name]; }).concat(['offers', 'challenges']);
          box.appendChild(h('section', {'class': 'panel ops-section triggers-experiments', 'aria-label': t('triggers.x_section')},
            h('h2', null, t('triggers.x_section')), h('p', {'class': 'muted'}, t('triggers.x_intro')),
            subjects.map(function (subject) { return experimentBox(program, subject, running[subject], experimentsChanged); })));
        }
      }
      draw();
    }
  });
})();
