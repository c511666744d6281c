/* The audit trail (#/audit; owner): who did what and when, newest first (GET /admin/audit), filtered by
   program, person, action (exact, or a prefix ending in '.') and dates; "More" reads the next page by
   its cursor; "Download CSV" saves the same filters' entries (GET /admin/audit/export). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;
  // Who acts without a staff account: the retention job, a member downloading their own data by their link,
  // the command line (the text key of each)
  var SYSTEM = {'system:retention': 'audit.system_retention', 'member': 'audit.actor_member', 'cli': 'audit.actor_cli'};

  // The trail's actions (chalicelib/usecases/audit.py ROUTES) in words; an action not listed shows its code.
  var ACTIONS = {
    'merchant.create': ['Создан аккаунт', 'Account created'],
    'program.create': ['Создана программа', 'Program created'],
    'program.update': ['Изменены настройки программы', 'Program settings changed'],
    'program.export': ['Выгрузка CSV программы', 'Program CSV export'],
    'pos_key.create': ['Создан ключ кассы', 'Till key created'],
    'pos_key.revoke': ['Отозван ключ кассы', 'Till key revoked'],
    'branding.image_upload': ['Загружено изображение карты', 'Card image uploaded'],
    'branding.image_remove': ['Убрано изображение карты', 'Card image removed'],
    'passes.refresh': ['Обновлены все карты в кошельках', 'Every wallet card updated'],
    'location.create': ['Добавлена точка', 'Location added'],
    'location.update': ['Изменена точка', 'Location changed'],
    'campaign.create': ['Создана рассылка', 'Campaign created'],
    'campaign.send': ['Отправлена рассылка', 'Campaign sent'],
    'experiment.start': ['Запущен эксперимент', 'Experiment started'],
    'experiment.stop': ['Остановлен эксперимент', 'Experiment stopped'],
    'experiment.export': ['Выгрузка эксперимента', 'Experiment export'],
    'outbox.retry': ['Повтор отправки сообщения', 'Message sent again'],
    'import.upload': ['Загружен файл импорта', 'Import file uploaded'],
    'import.upload_part': ['Загружена часть импорта', 'Import part uploaded'],
    'import.start': ['Запущен импорт', 'Import started'],
    'import.send_links': ['Разосланы ссылки импорта', 'Import links sent'],
    'integration.connect': ['Подключена интеграция', 'Integration connected'],
    'integration.disconnect': ['Отключена интеграция', 'Integration disconnected'],
    'card.update': ['Изменена карта клиента', 'Member\'s card changed'],
    'card.adjust': ['Ручная корректировка баллов', 'Points adjusted by hand'],
    'card.export': ['Выгружены данные клиента', 'Member\'s data downloaded'],
    'card.erase': ['Удалены данные клиента', 'Member\'s data erased'],
    'offer.issue': ['Выдано предложение', 'Offer issued'],
    'offer.withdraw': ['Отозвано предложение', 'Offer withdrawn'],
    'staff.invite': ['Приглашён сотрудник', 'Staff member invited'],
    'staff.update': ['Изменены права сотрудника', 'Staff member changed'],
    'staff.remove': ['Удалён сотрудник', 'Staff member removed'],
    'till.sale': ['Продажа на кассе консоли', 'Sale at the console\'s till'],
    'till.refund': ['Возврат на кассе консоли', 'Refund at the console\'s till'],
    'audit.export': ['Выгрузка журнала действий', 'Audit trail export'],
    'member.export': ['Клиент скачал свои данные', 'Member downloaded their data']
  };
  var actionTexts = {ru: {}, en: {}};
  Object.keys(ACTIONS).forEach(function (action) {
    actionTexts.ru['audit.a.' + action] = ACTIONS[action][0];
    actionTexts.en['audit.a.' + action] = ACTIONS[action][1];
  });
  LC.texts(actionTexts);

  LC.texts({
    ru: {
      'audit.title': 'Журнал действий',
      'audit.nav': 'Журнал',
      'audit.intro': 'Каждое изменение в консоли и через API: кто, когда, откуда и что изменилось. Записи нельзя изменить или удалить.',
      'audit.filters': 'Фильтры',
      'audit.program': 'Программа', 'audit.any_program': 'Все программы',
      'audit.actor': 'Кто', 'audit.anyone': 'Все',
      'audit.action': 'Действие', 'audit.action_hint': 'Точное действие (card.erase) или его начало с точкой (card. — всё с картами).',
      'audit.from': 'С даты', 'audit.to': 'По дату',
      'audit.from_hint': 'С начала дня (время устройства)', 'audit.to_hint': 'До конца дня (время устройства)',
      'audit.show': 'Показать',
      'audit.csv': 'Скачать CSV', 'audit.csv_saved': 'Файл {name} сохранён.',
      'audit.when': 'Когда', 'audit.who': 'Кто', 'audit.what': 'Действие', 'audit.where': 'Программа',
      'audit.target': 'Объект', 'audit.changes': 'Что изменилось',
      'audit.more': 'Показать ещё',
      'audit.empty': 'Записей пока нет: они появятся после первого изменения.',
      'audit.none_match': 'Под эти фильтры ничего не подходит. Измените фильтры или даты.',
      'audit.failed': 'Не удалось загрузить журнал: {error}', 'audit.try_again': 'Попробовать ещё раз',
      'audit.system_retention': 'Автоматически: срок хранения', 'audit.actor_member': 'Сам клиент (по своей ссылке)',
      'audit.actor_cli': 'Командная строка',
      'audit.from_ip': 'с адреса {ip}',
      'audit.program_gone': 'удалённая программа',
      'audit.none': '—', 'audit.yes': 'да', 'audit.no': 'нет',
      'audit.bad_dates': 'Дата «по» раньше даты «с».', 'error.invalid_range': 'Начало периода должно быть раньше конца.',
      'audit.role_owner': 'владелец', 'audit.role_manager': 'менеджер', 'audit.role_analyst': 'аналитик',
      'audit.role_cashier': 'кассир',
      'audit.t_card': 'Карта', 'audit.t_program': 'Программа', 'audit.t_campaign': 'Рассылка', 'audit.t_staff': 'Сотрудник',
      'audit.t_pos_key': 'Ключ кассы', 'audit.t_location': 'Точка', 'audit.t_experiment': 'Эксперимент',
      'audit.t_merchant': 'Аккаунт', 'audit.t_offer': 'Предложение', 'audit.t_import': 'Импорт',
      'audit.t_connection': 'Подключение', 'audit.t_integration': 'Интеграция', 'audit.t_receipt': 'Чек',
      'audit.t_outbox_item': 'Сообщение'
    },
    en: {
      'audit.title': 'Audit trail',
      'audit.nav': 'Audit',
      'audit.intro': 'Every change made in the console or through the API: who, when, from where and what changed. Entries cannot be changed or deleted.',
      'audit.filters': 'Filters',
      'audit.program': 'Program', 'audit.any_program': 'All programs',
      'audit.actor': 'Who', 'audit.anyone': 'Anyone',
      'audit.action': 'Action', 'audit.action_hint': 'An exact action (card.erase) or its beginning with a dot (card. for everything done to cards).',
      'audit.from': 'From', 'audit.to': 'To',
      'audit.from_hint': 'From the day\'s start (device time)', 'audit.to_hint': 'To the day\'s end (device time)',
      'audit.show': 'Show',
      'audit.csv': 'Download CSV', 'audit.csv_saved': 'Saved {name}.',
      'audit.when': 'When', 'audit.who': 'Who', 'audit.what': 'Action', 'audit.where': 'Program',
      'audit.target': 'Target', 'audit.changes': 'What changed',
      'audit.more': 'Show more',
      'audit.empty': 'Nothing recorded yet: entries appear after the first change.',
      'audit.none_match': 'Nothing matches these filters. Change the filters or the dates.',
      'audit.failed': 'Could not load the audit trail: {error}', 'audit.try_again': 'Try again',
      'audit.system_retention': 'Automatic: data retention', 'audit.actor_member': 'The member (by their own link)',
      'audit.actor_cli': 'Command line',
      'audit.from_ip': 'from {ip}',
      'audit.program_gone': 'a deleted program',
      'audit.none': '—', 'audit.yes': 'yes', 'audit.no': 'no',
      'audit.bad_dates': 'The "to" day is before the "from" day.', 'error.invalid_range': 'The start must come before the end.',
      'audit.role_owner': 'owner', 'audit.role_manager': 'manager', 'audit.role_analyst': 'analyst',
      'audit.role_cashier': 'cashier',
      'audit.t_card': 'Card', 'audit.t_program': 'Program', 'audit.t_campaign': 'Campaign', 'audit.t_staff': 'Staff member',
      'audit.t_pos_key': 'Till key', 'audit.t_location': 'Location', 'audit.t_experiment': 'Experiment',
      'audit.t_merchant': 'Account', 'audit.t_offer': 'Offer', 'audit.t_import': 'Import',
      'audit.t_connection': 'Connection', 'audit.t_integration': 'Integration', 'audit.t_receipt': 'Receipt',
      'audit.t_outbox_item': 'Message'
    }
  });

  function label(prefix, value) {
    return value && LC.has(prefix + value) ? t(prefix + value) : null;
  }

  /* A day picked in a date field as the API's bounds: from its first to its last moment in this device's
     time (the table shows times in the device's time too), as UTC ISO times. */
  function dayStart(day) {
    var p = day.split('-');
    return new Date(+p[0], +p[1] - 1, +p[2]).toISOString();
  }
  function dayEnd(day) {
    var p = day.split('-');
    return new Date(new Date(+p[0], +p[1] - 1, +p[2] + 1).getTime() - 1).toISOString();
  }

  function who(entry) {
    if (entry.actor_email) return entry.actor_email;
    return Object.prototype.hasOwnProperty.call(SYSTEM, entry.actor) ? t(SYSTEM[entry.actor]) : String(entry.actor || '');
  }

  function programName(id) {
    if (!id) return t('audit.none');
    var found = (LC.programs || []).filter(function (p) { return p.id === id; })[0];
    return found ? found.name : t('audit.program_gone');
  }

  /* A value before or after a change, short: null as "—", yes or no, a flat object as "name: value, …",
     anything deeper as compact JSON. */
  function shown(value, nested) {
    if (value === null || value === undefined || value === '') return t('audit.none');
    if (typeof value === 'boolean') return t(value ? 'audit.yes' : 'audit.no');
    if (typeof value !== 'object') return String(value);
    if (nested) return JSON.stringify(value);
    if (Array.isArray(value)) return value.map(function (item) { return shown(item, true); }).join(', ');
    return Object.keys(value).map(function (name) { return name + ': ' + shown(value[name], true); }).join(', ');
  }

  function changesCell(entry) {
    var changes = entry.changes || {};
    var fields = Object.keys(changes);
    if (fields.length) {
      return h('ul', {'class': 'audit-changes'}, fields.map(function (field) {
        var pair = Array.isArray(changes[field]) ? changes[field] : [null, changes[field]];
        return h('li', null, h('code', null, field), ': ', h('span', {'class': 'audit-before'}, shown(pair[0])),
                 ' → ', h('span', {'class': 'audit-after'}, shown(pair[1])));
      }));
    }
    var detail = entry.detail || {};
    var keys = Object.keys(detail);
    if (!keys.length) return t('audit.none');
    return h('ul', {'class': 'audit-changes audit-detail'}, keys.map(function (key) {
      return h('li', null, h('code', null, key), ': ', shown(detail[key]));
    }));
  }

  function targetCell(entry) {
    if (!entry.target_type && !entry.target_id) return t('audit.none');
    var kind = label('audit.t_', entry.target_type) || String(entry.target_type || '');
    var id = String(entry.target_id || '');
    var ref = entry.target_type === 'card' && id ? h('a', {href: '#/customers/' + encodeURIComponent(id)}, id)
      : h('span', {'class': 'audit-id'}, entry.target_type === 'program' && id ? programName(id) : id);
    return [kind ? h('span', null, kind + ' ') : null, ref];
  }

  function row(entry) {
    var role = label('audit.role_', entry.role);
    function cell(key, content) {
      return h('td', {'data-label': t(key)}, h('div', {'class': 'audit-cell'}, content));
    }
    return h('tr', {'class': 'audit-entry', 'data-action': entry.action || '', 'data-entry': entry.entry_id || ''},
      cell('audit.when', h('time', {datetime: entry.at}, LC.ops.moment(entry.at))),
      cell('audit.who', [h('span', {'class': 'audit-actor'}, who(entry)),
                         role ? h('span', {'class': 'audit-sub'}, ' · ' + role) : null,
                         entry.source_ip ? h('span', {'class': 'audit-sub audit-ip'}, t('audit.from_ip', {ip: entry.source_ip})) : null]),
      cell('audit.what', [label('audit.a.', entry.action) ? h('span', {'class': 'audit-action-name'}, t('audit.a.' + entry.action)) : null,
                          h('code', {'class': 'audit-action'}, String(entry.action || ''))]),
      cell('audit.where', programName(entry.program_id)),
      cell('audit.target', targetCell(entry)),
      cell('audit.changes', changesCell(entry)));
  }

  /* The people who may appear as "who": the merchant's staff (by their id, the token's subject), and the
     system's own actors. Someone who has left is still found by "Anyone". */
  async function people() {
    try {
      var page = await LC.api('GET', '/admin/staff');
      return (page.items || []).map(function (item) { return {value: item.id, label: item.email || item.name || item.id}; });
    } catch (err) {
      return [];  // the filter still offers "anyone" and the system; the trail itself is what matters here
    }
  }

  LC.route('#/audit', {
    title: 'audit.title',
    navTitle: 'audit.nav',
    permission: 'audit:read',
    order: 85,
    render: async function (main) {
      main.appendChild(h('p', {'class': 'muted'}, t('audit.intro')));
      var staff = await people();
      var state = {filters: {}, cursor: null, shown: 0};
      var actions = h('datalist', {id: LC.uid('audit-actions')});
      var seenActions = {};
      var csv = h('button', {type: 'button', 'class': 'secondary audit-csv'}, t('audit.csv'));
      var form = LC.form({
        'class': 'audit-filters',
        fields: [
          {name: 'program_id', label: t('audit.program'), type: 'select', value: '',
           options: [{value: '', label: t('audit.any_program')}].concat((LC.programs || []).map(function (p) {
             return {value: p.id, label: p.name};
           }))},
          {name: 'actor', label: t('audit.actor'), type: 'select', value: '',
           options: [{value: '', label: t('audit.anyone')}].concat(staff, Object.keys(SYSTEM).map(function (actor) {
             return {value: actor, label: t(SYSTEM[actor])};
           }))},
          {name: 'from', label: t('audit.from'), type: 'date', hint: t('audit.from_hint')},
          {name: 'to', label: t('audit.to'), type: 'date', hint: t('audit.to_hint')},
          {name: 'action', label: t('audit.action'), type: 'text', hint: t('audit.action_hint'), maxlength: 80,
           autocomplete: 'off'}
        ],
        submit: t('audit.show'),
        extra: csv,
        onSubmit: async function (values) {
          var filters = read(values);
          state.filters = filters;
          await load(true);
        }
      });
      var actionInput = form.field('action');
      actionInput.setAttribute('list', actions.id);
      form.appendChild(actions);
      var filters = h('section', {'class': 'panel ops-section audit-filters-section', 'aria-label': t('audit.filters')},
                      h('h2', null, t('audit.filters')), form);

      /* The form's values as the API's query, or an error at the field that is wrong. */
      function read(values) {
        if (values.from && values.to && values.to < values.from) throw new LC.ApiError(0, 'bad_dates', 'to', t('audit.bad_dates'));
        return {program_id: values.program_id, actor: values.actor, action: values.action,
                from: values.from ? dayStart(values.from) : '', to: values.to ? dayEnd(values.to) : ''};
      }

      var body = h('tbody');
      var table = LC.ops.scroller(t('audit.title'), h('table', {'class': 'audit-table'},
        h('caption', {'class': 'visually-hidden'}, t('audit.title')),
        h('thead', null, h('tr', null, ['audit.when', 'audit.who', 'audit.what', 'audit.where', 'audit.target', 'audit.changes']
          .map(function (key) { return h('th', {scope: 'col'}, t(key)); }))),
        body));
      table.hidden = true;
      var status = h('div', {'class': 'audit-status'});
      var more = h('button', {type: 'button', 'class': 'secondary audit-more', hidden: true}, t('audit.more'));

      /* A fresh read (new filters) makes any read still on its way stale: its answer is dropped, so the
         rows and the cursor are always those of the filters shown. */
      var generation = 0;
      async function load(fresh) {
        if (fresh) {
          generation += 1;
          state.cursor = null; state.shown = 0;
          body.replaceChildren(); table.hidden = true; more.hidden = true;
          LC.loading(status);
        }
        var mine = generation;
        more.disabled = true;
        try {
          var page = await LC.api('GET', LC.query('/admin/audit', Object.assign({limit: 50, cursor: state.cursor},
                                                                                  state.filters)));
          if (mine !== generation) return;
          LC.clear(status);
          status.removeAttribute('aria-busy');
          (page.items || []).forEach(function (entry) {
            body.appendChild(row(entry));
            remember(entry.action);
          });
          state.shown += (page.items || []).length;
          state.cursor = page.next_cursor || null;
          table.hidden = !state.shown;
          more.hidden = !state.cursor;
          if (!state.shown) {
            var filtered = Object.keys(state.filters).some(function (k) { return state.filters[k]; });
            LC.empty(status, t(filtered ? 'audit.none_match' : 'audit.empty'));
          }
        } catch (err) {  // the filters stay usable; "Try again" asks for the same page again
          if (mine !== generation) return;
          LC.loaded(LC.clear(status));
          var retry = h('button', {type: 'button', 'class': 'secondary audit-retry'}, t('audit.try_again'));
          retry.addEventListener('click', function () { load(fresh); });
          status.appendChild(h('div', {'class': 'banner banner-error', role: 'alert'},
            h('p', null, t('audit.failed', {error: err && err.message ? err.message : String(err)})), retry));
          more.hidden = !state.cursor;
        } finally { more.disabled = false; }
      }

      /* The actions seen so far, and their beginnings ("card."), offered as the action field's suggestions. */
      function remember(action) {
        if (!action) return;
        var parts = String(action).split('.');
        var options = [action];
        if (parts.length > 1) options.unshift(parts[0] + '.');
        options.forEach(function (value) {
          if (seenActions[value]) return;
          seenActions[value] = true;
          actions.appendChild(h('option', {value: value}));
        });
      }

      csv.addEventListener('click', async function () {
        var filters;
        try { filters = read(form.values()); } catch (err) { form.showError(err); return; }
        var name = 'audit-' + new Date().toISOString().slice(0, 10) + '.csv';
        csv.disabled = true;
        try {
          await LC.downloadCsv(LC.query('/admin/audit/export', filters), name);
          LC.toast(t('audit.csv_saved', {name: name}));
        } catch (err) {
          LC.toast(err && err.message ? err.message : t('core.download_failed'), 'error');
        } finally { csv.disabled = false; }
      });
      more.addEventListener('click', function () { load(false); });
      LC.append(main, [filters, status, table, more]);
      await load(true);
    }
  });
})();
