/* A member's data rights on their card's page (issue 19), drawn by card.js: the consents they gave and
   withdrew (the card view's `consents`), and for an owner "Download data" (GET /admin/cards/{id}/export,
   saved as member-<number>.json) and "Erase member..." (POST /admin/cards/{id}/erase after the owner has
   typed the card's number in a confirmation that says it cannot be undone). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  var PURPOSES = ['terms', 'marketing'];
  var CHANNELS = ['email', 'sms', 'telegram', 'wallet'];
  var VIAS = ['join_page', 'telegram_app', 'telegram_bot', 'moysklad', 'web_form', 'import', 'profile',
              'unsubscribe_link', 'relinked', 'admin', 'erasure', 'retention'];

  LC.texts({
    ru: {
      'rights.consents': 'Согласия',
      'rights.consents_empty': 'Согласий не записано.',
      'rights.purpose_terms': 'Условия программы и обработка данных',
      'rights.purpose_marketing': 'Рассылки',
      'rights.marketing_channel': 'Рассылки: {channel}',
      'rights.ch_email': 'почта', 'rights.ch_sms': 'SMS', 'rights.ch_telegram': 'Telegram', 'rights.ch_wallet': 'карта в кошельке',
      'rights.given': 'Дано', 'rights.withdrawn': 'Отозвано', 'rights.in_force': 'действует',
      'rights.version': 'Версия текста', 'rights.version_legacy': 'до записи версий',
      'rights.when_via': '{when}, {via}',
      'rights.via_join_page': 'форма вступления', 'rights.via_telegram_app': 'приложение в Telegram',
      'rights.via_telegram_bot': 'бот в Telegram', 'rights.via_moysklad': 'МойСклад', 'rights.via_web_form': 'форма на сайте',
      'rights.via_import': 'импорт', 'rights.via_profile': 'профиль клиента', 'rights.via_unsubscribe_link': 'ссылка «отписаться»',
      'rights.via_relinked': 'Telegram привязан к другой карте', 'rights.via_admin': 'сотрудник в консоли', 'rights.via_erasure': 'удаление данных', 'rights.via_retention': 'срок хранения истёк',
      'rights.text': 'Текст, с которым согласились',
      'rights.section': 'Данные клиента',
      'rights.intro': 'По закону (152-ФЗ, GDPR) клиент может попросить копию своих данных или их удаление.',
      'rights.download': 'Скачать данные',
      'rights.downloaded': 'Файл {name} сохранён.',
      'rights.erase': 'Удалить клиента…',
      'rights.erase_title': 'Удалить данные клиента навсегда',
      'rights.erase_what': 'Имя, телефон, почта, день рождения, сообщения, привязка Telegram и карты в кошельках будут удалены; карта перестанет действовать. Суммы и даты покупок останутся для бухгалтерии, но без связи с человеком.',
      'rights.erase_irreversible': 'Это нельзя отменить: восстановить данные будет невозможно.',
      'rights.erase_type': 'Чтобы подтвердить, введите номер карты: {number}',
      'rights.erase_number': 'Номер карты',
      'rights.erase_submit': 'Удалить навсегда',
      'rights.erase_mismatch': 'Номер не совпадает с номером этой карты.',
      'rights.erased_done': 'Данные клиента удалены.',
      'rights.erased_note': 'Персональные данные клиента удалены {when}. Остались только суммы и даты для учёта.',
      'error.confirm_mismatch': 'Номер не совпадает с номером этой карты.'
    },
    en: {
      'rights.consents': 'Consents',
      'rights.consents_empty': 'No consent recorded.',
      'rights.purpose_terms': 'Program terms and data processing',
      'rights.purpose_marketing': 'Marketing messages',
      'rights.marketing_channel': 'Marketing: {channel}',
      'rights.ch_email': 'e-mail', 'rights.ch_sms': 'SMS', 'rights.ch_telegram': 'Telegram', 'rights.ch_wallet': 'wallet card',
      'rights.given': 'Given', 'rights.withdrawn': 'Withdrawn', 'rights.in_force': 'in force',
      'rights.version': 'Text version', 'rights.version_legacy': 'before versions were recorded',
      'rights.when_via': '{when}, {via}',
      'rights.via_join_page': 'the join form', 'rights.via_telegram_app': 'the Telegram app',
      'rights.via_telegram_bot': 'the Telegram bot', 'rights.via_moysklad': 'MoySklad', 'rights.via_web_form': 'a website form',
      'rights.via_import': 'an import', 'rights.via_profile': 'the member\'s profile', 'rights.via_unsubscribe_link': 'the unsubscribe link',
      'rights.via_relinked': 'Telegram linked to another card', 'rights.via_admin': 'staff in the console', 'rights.via_erasure': 'erasure', 'rights.via_retention': 'the retention period ended',
      'rights.text': 'The text they agreed to',
      'rights.section': 'The member\'s data',
      'rights.intro': 'By law (152-FZ, the GDPR) a member may ask for a copy of their data or for its erasure.',
      'rights.download': 'Download data',
      'rights.downloaded': 'Saved {name}.',
      'rights.erase': 'Erase member…',
      'rights.erase_title': 'Erase this member\'s data for good',
      'rights.erase_what': 'Their name, phone, e-mail, birthday, messages, Telegram link and wallet cards are removed; the card stops working. Amounts and dates of purchases stay for accounting, with no way back to the person.',
      'rights.erase_irreversible': 'This cannot be undone: the data cannot be recovered.',
      'rights.erase_type': 'To confirm, type the card number: {number}',
      'rights.erase_number': 'Card number',
      'rights.erase_submit': 'Erase for good',
      'rights.erase_mismatch': 'This is not the number of this card.',
      'rights.erased_done': 'The member\'s data is erased.',
      'rights.erased_note': 'This member\'s personal data was erased on {when}. Only amounts and dates remain, for accounting.',
      'error.confirm_mismatch': 'This is not the number of this card.'
    }
  });

  function known(prefix, value, list) {
    return list.indexOf(value) >= 0 ? t(prefix + value) : String(value || '');
  }

  function purpose(record) {
    if (record.purpose === 'marketing' && record.channel) {
      return t('rights.marketing_channel', {channel: known('rights.ch_', record.channel, CHANNELS)});
    }
    return known('rights.purpose_', record.purpose, PURPOSES);
  }

  function whenVia(at, via) {
    var when = LC.ops.moment(at);
    return via ? t('rights.when_via', {when: when, via: known('rights.via_', via, VIAS)}) : when;
  }

  /* The card's consents, oldest first as the API lists them: what, given when and through what, withdrawn
     when and how (or in force), and the version of the text agreed to (the text itself behind a click). */
  LC.cardConsents = function (section, card) {
    var records = card.consents || [];
    if (!records.length) {
      section.appendChild(h('p', {'class': 'empty'}, t('rights.consents_empty')));
      return;
    }
    section.appendChild(h('ul', {'class': 'card-consents'}, records.map(function (record) {
      var withdrawn = Boolean(record.withdrawn_at);
      var rows = [
        [t('rights.given'), record.given_at ? whenVia(record.given_at, record.given_via) : '—'],
        [t('rights.withdrawn'), withdrawn ? whenVia(record.withdrawn_at, record.withdrawn_via) : t('rights.in_force')],
        [t('rights.version'), record.version === 'legacy' ? t('rights.version_legacy') : String(record.version || '—')]
      ];
      return h('li', {'class': ['card-consent', withdrawn ? 'card-consent-withdrawn' : ''], 'data-purpose': record.purpose,
                      'data-channel': record.channel || ''},
        h('p', {'class': 'card-consent-what'}, purpose(record)),
        h('dl', {'class': 'card-consent-facts'}, rows.map(function (row) {
          return h('div', null, h('dt', null, row[0]), h('dd', null, row[1]));
        })),
        record.text ? h('details', {'class': 'card-consent-text'}, h('summary', null, t('rights.text')),
                        h('p', null, String(record.text))) : null);
    })));
  };

  /* The erase confirmation: what goes and what stays, that it cannot be undone, and the card's number to
     type. Resolves with the API's answer once erased, or null when the owner cancels. */
  function confirmErase(card) {
    return new Promise(function (resolve) {
      var titleId = LC.uid('erase-title'), inputId = LC.uid('erase-number'), errorId = inputId + '-error';
      var hintId = inputId + '-hint';
      var dialog = h('dialog', {'class': 'confirm erase-dialog', 'aria-labelledby': titleId});
      var input = h('input', {id: inputId, name: 'confirm', type: 'text', inputmode: 'numeric', autocomplete: 'off',
                              'aria-describedby': hintId + ' ' + errorId});
      var error = h('p', {'class': 'field-error', id: errorId, hidden: true});
      var erase = h('button', {type: 'submit', 'class': 'danger'}, t('rights.erase_submit'));
      var cancel = h('button', {type: 'button'}, t('core.cancel'));
      function close(answer) {
        dialog.close();
        dialog.remove();
        resolve(answer);
      }
      function fail(message) {
        input.setAttribute('aria-invalid', 'true');
        error.textContent = message;
        error.hidden = false;
        input.focus();
      }
      input.addEventListener('input', function () {
        input.removeAttribute('aria-invalid');
        error.hidden = true;
      });
      var form = h('form', {novalidate: true, on: {submit: async function (event) {
        event.preventDefault();
        var typed = input.value.replace(/[^0-9A-Za-z]/g, '');  // as the API compares: spaces and dashes aside
        if (card.status !== 'erased' && typed !== String(card.number).replace(/[^0-9A-Za-z]/g, '')) {
          fail(t('rights.erase_mismatch'));
          return;
        }
        erase.disabled = cancel.disabled = input.disabled = true;
        try {
          close(await LC.api('POST', '/admin/cards/' + encodeURIComponent(card.id) + '/erase', {confirm: typed}));
        } catch (err) {
          erase.disabled = cancel.disabled = input.disabled = false;
          fail(err && err.message ? err.message : String(err));
        }
      }}},
        h('h2', {id: titleId}, t('rights.erase_title')),
        h('p', null, t('rights.erase_what')),
        h('p', {'class': 'erase-irreversible'}, t('rights.erase_irreversible')),
        h('div', {'class': 'field'},
          h('label', {'for': inputId}, t('rights.erase_number')),
          h('p', {'class': 'hint', id: hintId}, t('rights.erase_type', {number: card.number})),
          input, error),
        h('div', {'class': 'actions'}, erase, cancel));
      cancel.addEventListener('click', function () { close(null); });
      dialog.addEventListener('cancel', function (event) {
        event.preventDefault();
        if (!cancel.disabled) close(null);
      });
      dialog.appendChild(form);
      document.body.appendChild(dialog);
      dialog.showModal();
      input.focus();
    });
  }

  /* The owner's buttons: download the member's data, erase the member. `onErased(answer)` draws the page
     anew. Roles without the permissions get nothing (the API refuses them anyway). */
  LC.cardRights = function (main, card, onErased) {
    var canExport = LC.can('members:export'), canErase = LC.can('members:erase');
    var erased = card.status === 'erased';
    if (!canExport && !canErase && !erased) return null;
    var section = h('section', {'class': 'panel ops-section card-rights', 'aria-label': t('rights.section')},
                    h('h2', null, t('rights.section')));
    if (erased) {  // said at the top of the page, where the owner looks first
      var note = h('p', {'class': 'notice card-erased-note'},
                   t('rights.erased_note', {when: card.erased_at ? LC.ops.moment(card.erased_at) : ''}));
      var summary = main.querySelector('.card-summary');
      if (summary) main.insertBefore(note, summary); else section.appendChild(note);
    } else {
      section.appendChild(h('p', {'class': 'muted'}, t('rights.intro')));
    }
    var buttons = h('div', {'class': 'actions card-rights-actions'});
    if (canExport) {
      var download = h('button', {type: 'button', 'class': 'secondary card-export'}, t('rights.download'));
      download.addEventListener('click', async function () {
        var name = 'member-' + (card.number || card.id) + '.json';
        download.disabled = true;
        try {
          await LC.download('/admin/cards/' + encodeURIComponent(card.id) + '/export', name);
          LC.toast(t('rights.downloaded', {name: name}));
        } catch (err) {
          LC.toast(err && err.message ? err.message : t('core.download_failed'), 'error');
        } finally { download.disabled = false; }
      });
      buttons.appendChild(download);
    }
    if (canErase && !erased) {
      var erase = h('button', {type: 'button', 'class': 'danger card-erase'}, t('rights.erase'));
      erase.addEventListener('click', async function () {
        var answer = await confirmErase(card);
        if (!answer) { erase.focus(); return; }
        LC.toast(t('rights.erased_done'));
        onErased(answer);
      });
      buttons.appendChild(erase);
    }
    if (!buttons.children.length) return null;  // an erased card seen by a manager: the note alone
    section.appendChild(buttons);
    main.appendChild(section);
    return section;
  };
})();
