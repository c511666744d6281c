/* A customer's card: balance, tier, wallets, contacts (for roles that see them), the ledger and the
   messages received, page by page; adjust points with a reason, block or unblock, rename; the consents,
   and the owner's download and erasure of the member's data (card-rights.js). What the role cannot do is
   not shown (the API refuses it anyway). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  var KINDS = ['earn', 'redeem', 'bonus', 'adjust', 'expire', 'refund_reverse', 'refund_return'];
  var MESSAGE_KINDS = ['birthday', 'winback', 'expiry_warning', 'campaign'];
  var CHANNELS = ['wallet', 'email', 'telegram', 'sms'];
  var STATUSES = ['sent', 'queued', 'skipped', 'failed', 'unknown'];

  LC.texts({
    ru: {
      'card.title': 'Карта клиента',
      'card.back': 'Ко всем клиентам',
      'card.number': 'Номер карты', 'card.status': 'Статус', 'card.balance': 'Баланс',
      'card.available': 'Можно потратить', 'card.owed': 'Долг после возвратов', 'card.tier': 'Уровень',
      'card.joined': 'Карта выпущена', 'card.last_visit': 'Последняя покупка', 'card.phone': 'Телефон',
      'card.home': 'Домашняя точка', 'card.home_hint': 'где вступил, а если не в точке — где впервые купил',
      'card.places': 'Покупки по точкам', 'card.place_receipts': '{name}: {n}', 'card.gone_location': 'точка удалена',
      'card.closed_location': '{name} (закрыта)',
      'card.email': 'Почта', 'card.birthday': 'День рождения', 'card.next_expiry': 'Ближайшее сгорание',
      'card.status_active': 'Действует', 'card.status_blocked': 'Заблокирована', 'card.status_erased': 'Данные удалены', 'card.erased_member': 'Удалённый клиент',
      'card.wallets': 'Кошельки', 'card.apple': 'Apple Wallet: устройств — {n}',
      'card.balance_kept': 'Остаток для учёта: {balance}. Карта больше не действует: ни потратить, ни начислить.',
      'card.google': 'Google Wallet: {state}', 'card.google_none': 'не добавлена',
      'card.google_created': 'создана', 'card.google_saved': 'сохранена', 'card.google_deleted': 'удалена',
      'card.adjust': 'Начислить или списать баллы', 'card.adjust_stamps': 'Поставить или снять штампы',
      'card.amount_stamps': 'Штампы', 'card.amount_stamps_hint': 'Положительное число ставит штампы, отрицательное (−1) снимает.',
      'card.amount': 'Баллы', 'card.amount_hint': 'Положительное число начисляет, отрицательное (−50) списывает.',
      'card.reason': 'Причина', 'card.reason_hint': 'Её увидят в истории операций.',
      'card.adjust_submit': 'Провести', 'card.adjusted': 'Баланс изменён: {amount}.',
      'card.rename': 'Имя клиента', 'card.rename_submit': 'Сохранить имя', 'card.renamed': 'Имя сохранено.',
      'card.block': 'Заблокировать карту', 'card.unblock': 'Разблокировать карту',
      'card.block_confirm': 'Заблокировать карту? Клиент не сможет копить и тратить баллы, пока вы её не разблокируете.',
      'card.blocked_done': 'Карта заблокирована.', 'card.unblocked_done': 'Карта снова действует.',
      'card.ledger': 'История баллов', 'card.ledger_empty': 'Операций пока не было.',
      'card.ledger_stamps': 'История штампов', 'card.points_stamps': 'Штампы',
      'card.when': 'Когда', 'card.what': 'Операция', 'card.points': 'Баллы', 'card.after': 'Баланс после',
      'card.why': 'Причина',
      'card.kind_earn': 'Начисление за покупку', 'card.kind_redeem': 'Оплата баллами', 'card.kind_bonus': 'Бонус',
      'card.kind_adjust': 'Ручная корректировка', 'card.kind_expire': 'Сгорание',
      'card.kind_refund_reverse': 'Возврат покупки: списание', 'card.kind_refund_return': 'Возврат покупки: баллы назад',
      'card.messages': 'Сообщения клиенту', 'card.messages_empty': 'Сообщений ещё не было.',
      'card.msg_birthday': 'День рождения', 'card.msg_winback': 'Возвращение', 'card.msg_expiry_warning': 'Скоро сгорят баллы',
      'card.msg_campaign': 'Рассылка',
      'card.ch_wallet': 'Карта в кошельке', 'card.ch_email': 'Почта', 'card.ch_telegram': 'Telegram', 'card.ch_sms': 'SMS',
      'card.st_sent': 'отправлено', 'card.st_queued': 'ждёт отправки', 'card.st_skipped': 'пропущено',
      'card.st_failed': 'не доставлено', 'card.st_unknown': 'неизвестно',
      'card.more': 'Показать ещё', 'card.not_found': 'Такой карты нет.',
      'card.stamps': '{n} / {of} штампов', 'card.rewards': 'Наград к получению', 'card.stamps_held': 'Всего штампов',
      'card.discount': 'Скидка'
    },
    en: {
      'card.title': 'Customer card',
      'card.back': 'All customers',
      'card.number': 'Card number', 'card.status': 'Status', 'card.balance': 'Balance',
      'card.available': 'Can be spent', 'card.owed': 'Owed after refunds', 'card.tier': 'Tier',
      'card.joined': 'Card issued', 'card.last_visit': 'Last purchase', 'card.phone': 'Phone',
      'card.home': 'Home location', 'card.home_hint': 'where they joined, else where they first bought',
      'card.places': 'Purchases by location', 'card.place_receipts': '{name}: {n}', 'card.gone_location': 'a removed location',
      'card.closed_location': '{name} (closed)',
      'card.email': 'E-mail', 'card.birthday': 'Birthday', 'card.next_expiry': 'Next expiry',
      'card.status_active': 'Active', 'card.status_blocked': 'Blocked', 'card.status_erased': 'Data erased', 'card.erased_member': 'Erased member',
      'card.balance_kept': 'Balance kept for accounting: {balance}. The card no longer works: nothing can be spent or earned.',
      'card.wallets': 'Wallets', 'card.apple_one': 'Apple Wallet: {n} device', 'card.apple_other': 'Apple Wallet: {n} devices',
      'card.google': 'Google Wallet: {state}', 'card.google_none': 'not added',
      'card.google_created': 'created', 'card.google_saved': 'saved', 'card.google_deleted': 'removed',
      'card.adjust': 'Add or take points', 'card.adjust_stamps': 'Add or take stamps',
      'card.amount_stamps': 'Stamps', 'card.amount_stamps_hint': 'A positive number adds stamps, a negative one (−1) takes them.',
      'card.amount': 'Points', 'card.amount_hint': 'A positive number adds points, a negative one (−50) takes them.',
      'card.reason': 'Reason', 'card.reason_hint': 'It shows in the card\'s history.',
      'card.adjust_submit': 'Apply', 'card.adjusted': 'Balance changed: {amount}.',
      'card.rename': 'Customer\'s name', 'card.rename_submit': 'Save the name', 'card.renamed': 'Name saved.',
      'card.block': 'Block the card', 'card.unblock': 'Unblock the card',
      'card.block_confirm': 'Block this card? The customer cannot earn or spend points until you unblock it.',
      'card.blocked_done': 'The card is blocked.', 'card.unblocked_done': 'The card is active again.',
      'card.ledger': 'Points history', 'card.ledger_empty': 'No operations yet.',
      'card.ledger_stamps': 'Stamps history', 'card.points_stamps': 'Stamps',
      'card.when': 'When', 'card.what': 'Operation', 'card.points': 'Points', 'card.after': 'Balance after',
      'card.why': 'Reason',
      'card.kind_earn': 'Earned on a purchase', 'card.kind_redeem': 'Paid with points', 'card.kind_bonus': 'Bonus',
      'card.kind_adjust': 'Manual adjustment', 'card.kind_expire': 'Expired',
      'card.kind_refund_reverse': 'Refund: points taken back', 'card.kind_refund_return': 'Refund: points given back',
      'card.messages': 'Messages to the customer', 'card.messages_empty': 'No messages yet.',
      'card.msg_birthday': 'Birthday', 'card.msg_winback': 'Win-back', 'card.msg_expiry_warning': 'Points expiring',
      'card.msg_campaign': 'Campaign',
      'card.ch_wallet': 'Wallet card', 'card.ch_email': 'E-mail', 'card.ch_telegram': 'Telegram', 'card.ch_sms': 'SMS',
      'card.st_sent': 'sent', 'card.st_queued': 'waiting to be sent', 'card.st_skipped': 'skipped',
      'card.st_failed': 'not delivered', 'card.st_unknown': 'unknown',
      'card.more': 'Show more', 'card.not_found': 'No such card.',
      'card.stamps': '{n} / {of} stamps', 'card.rewards': 'Rewards to collect', 'card.stamps_held': 'Stamps held',
      'card.discount': 'Discount'
    }
  });

  function known(prefix, value, list) {
    return list.indexOf(value) >= 0 ? t(prefix + value) : String(value || '');
  }

  function signed(n) {
    return (n > 0 ? '+' : n < 0 ? '−' : '') + LC.number(Math.abs(n));
  }

  /* A location as the card's answer names it (home_location, places): a closed one says so. */
  function placeName(place) {
    if (!place.name) return t('card.gone_location');
    return place.status === 'closed' ? t('card.closed_location', {name: place.name}) : place.name;
  }

  function facts(rows) {
    var list = h('dl', {'class': 'card-facts'});
    rows.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === '') return;
      list.appendChild(h('div', null, h('dt', null, t(pair[0])), h('dd', null, String(pair[1]))));
    });
    return list;
  }

  /* A list read page by page with a "more" button: `fill(items)` adds rows, `path(cursor)` the request. */
  function paged(section, emptyText, path, fill) {
    var more = h('button', {type: 'button', 'class': 'secondary', hidden: true}, t('card.more'));
    var status = h('div');
    var cursor = null, shown = 0;
    async function next(fresh) {
      if (fresh) { cursor = null; shown = 0; fill(null); status.replaceChildren(); LC.loading(status); }
      more.disabled = true;
      try {
        var page = await LC.api('GET', path(cursor));
        status.replaceChildren();
        shown += (page.items || []).length;
        fill(page.items || []);
        cursor = page.next_cursor;
        more.hidden = !cursor;
        if (!shown) LC.empty(status, emptyText);
      } catch (err) {  // this list only: the rest of the card's page stays usable
        LC.loaded(status);
        LC.banner(status, err && err.message ? err.message : String(err));
      } finally { more.disabled = false; }
    }
    more.addEventListener('click', function () { next(false); });
    section.appendChild(status);
    section.appendChild(more);
    return next;
  }

  function ledgerTable(section, card, stampCard) {
    var title = t(stampCard ? 'card.ledger_stamps' : 'card.ledger');
    var body = h('tbody');
    var table = LC.ops.scroller(title, h('table', {'class': 'card-ledger'},
      h('caption', {'class': 'visually-hidden'}, title),
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, t('card.when')), h('th', {scope: 'col'}, t('card.what')),
        h('th', {scope: 'col', 'class': 'num'}, t(stampCard ? 'card.points_stamps' : 'card.points')), h('th', {scope: 'col', 'class': 'num'}, t('card.after')),
        h('th', {scope: 'col'}, t('card.why')))),
      body));
    section.appendChild(table);
    return paged(section, t('card.ledger_empty'), function (cursor) {
      return '/admin/cards/' + encodeURIComponent(card.id) + '/ledger?limit=20' +
        (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    }, function (items) {
      if (items === null) { body.replaceChildren(); return; }
      items.forEach(function (e) {
        body.appendChild(h('tr', null, h('td', null, LC.ops.moment(e.at)), h('td', null, known('card.kind_', e.kind, KINDS)),
          h('td', {'class': 'num'}, signed(e.amount)), h('td', {'class': 'num'}, LC.number(e.balance_after)),
          h('td', null, e.reason || '')));
      });
      table.hidden = !body.children.length;
    });
  }

  function messageList(section, card) {
    var list = h('ul', {'class': 'card-messages'});
    section.appendChild(list);
    return paged(section, t('card.messages_empty'), function (cursor) {
      return '/admin/cards/' + encodeURIComponent(card.id) + '/messages?limit=20' +
        (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    }, function (items) {
      if (items === null) { list.replaceChildren(); return; }
      items.forEach(function (m) {
        list.appendChild(h('li', null,
          h('p', {'class': 'card-message-head'}, known('card.msg_', m.kind, MESSAGE_KINDS) + ' · ' +
            known('card.ch_', m.channel, CHANNELS) + ' · ' + known('card.st_', m.status, STATUSES) + ' · ' +
            LC.ops.moment(m.sent_at)),
          h('p', {'class': 'card-message-text'}, m.text || m.subject || '')));
      });
    });
  }

  /* What the balance means in the program's kind: stamps on the card now ("6 / 9"), the full cards held
     and the stamps counted like points (`unit`); a discount's percent (no balance to spend); or points. */
  function kindFacts(program, card) {
    var m = (program && program.mechanics) || {};
    if (m.kind === 'stamps' && m.stamps && m.stamps.per_reward) {
      var per = m.stamps.per_reward;
      // A full card shows "9 / 9" until its reward is taken (as the card page and the pass do); rewards are
      // counted from the stamps that can be spent now (a stamp waiting its pending days is not yet one).
      // The same rule as the customer's card page (core/card_faces.stamp_card): rewards are the full cards
      // the till would redeem now, the rest fills the card being filled, at most a full one.
      var held = Math.max(0, card.balance);
      var spendable = card.available !== undefined && card.available !== null ? card.available : held;
      var rewards = Math.min(Math.floor(held / per), Math.floor(spendable / per));
      var left = held - rewards * per;
      var filled = left ? Math.min(per, left) : (rewards ? per : 0);
      return {balance: t('card.stamps', {n: LC.number(filled), of: LC.number(per)}), unit: LC.ops.stamps, stampCard: true,
              rows: [['card.rewards', LC.number(rewards)], ['card.stamps_held', LC.ops.stamps(held)]]};
    }
    if (m.kind === 'discount') {
      var tier = (m.tiers || []).filter(function (x) { return x.id === card.tier; })[0] || (m.tiers || [])[0];
      var percent = tier && tier.discount_percent !== undefined && tier.discount_percent !== null ? tier.discount_percent : 0;
      return {balance: t('card.discount') + ' ' + LC.number(percent) + '%', unit: null, rows: []};
    }
    return {balance: LC.ops.points(card.balance), unit: LC.ops.points, rows: []};
  }

  function section(titleKey) {
    return h('section', {'class': 'panel ops-section', 'aria-label': t(titleKey)}, h('h2', null, t(titleKey)));
  }

  LC.route('#/customers/:id', {
    title: 'card.title',
    permission: 'cards:read',
    render: async function (main, params) {
      var card;
      try {
        card = await LC.api('GET', '/admin/cards/' + encodeURIComponent(params.id));
      } catch (err) {
        if (err && err.status === 404) {
          LC.empty(main, t('card.not_found'));
          return;
        }
        throw err;
      }
      var program = (LC.programs || []).filter(function (p) { return p.id === card.program_id; })[0] || LC.program;
      main.appendChild(h('a', {href: '#/customers', 'class': 'back-link'}, t('card.back')));
      var summary = h('div', {'class': 'card-summary'});
      main.appendChild(summary);

      function showSummary() {
        LC.heading(card.name || card.number || t('card.erased_member'));  // an erased card has neither
        var google = card.wallets ? (card.wallets.google.state ? t('card.google_' + card.wallets.google.state)
          : t('card.google_none')) : null;
        var kind = kindFacts(program, card);
        var unit = kind.unit;
        // An erased member's card does nothing more: its balance is a figure kept for accounting, with
        // nothing to spend, collect or expire, and no wallet left to reach.
        var erased = card.status === 'erased';
        var headline = h('p', {'class': 'card-balance'}, kind.balance);
        if (erased) {
          headline = unit ? h('p', {'class': 'card-balance card-balance-kept'},
                              t('card.balance_kept', {balance: unit(card.balance)})) : '';
        }
        summary.replaceChildren(
          headline,
          kind.rows.length && !erased ? facts(kind.rows) : '',
          facts([['card.status', t('card.status_' + (card.status === 'blocked' || card.status === 'erased' ? card.status : 'active'))],
                 ['card.number', card.number],
                 ['card.tier', card.tier_name ? LC.ops.localized(card.tier_name) : LC.ops.tierName(program, card.tier)],
                 ['card.available', unit && !erased ? unit(card.available) : null],
                 ['card.owed', card.owed && unit ? unit(card.owed) : null],
                 ['card.next_expiry', card.next_expiry_on && unit && !erased ? LC.date(card.next_expiry_on) : null],
                 ['card.joined', card.created_at ? LC.date(card.created_at) : null],
                 ['card.last_visit', card.last_visit_on ? LC.date(card.last_visit_on) : null],
                 ['card.phone', card.phone], ['card.email', card.email],
                 ['card.birthday', card.birthday ? LC.date(card.birthday) : null],
                 ['card.home', card.home_location ? placeName(card.home_location) + ' (' + t('card.home_hint') + ')' : null],
                 ['card.places', (card.places || []).length ? card.places.map(function (p) {
                   return t('card.place_receipts', {name: placeName(p), n: LC.number(p.receipts)});
                 }).join(', ') : null]]),
          card.wallets && !erased ? h('p', {'class': 'card-wallets'}, t('card.wallets') + ': ' +
            LC.tn('card.apple', card.wallets.apple_devices) + '; ' + t('card.google', {state: google})) : '');
      }
      showSummary();

      var loadLedger = null;
      if (LC.can('cards:write') && card.status !== 'erased') {  // an erased card takes no more changes
        var stampCard = !!kindFacts(program, card).stampCard;
        var actions = section(stampCard ? 'card.adjust_stamps' : 'card.adjust');
        var key = LC.ops.attemptKey();
        var adjust = LC.form({
          fields: [{name: 'amount', label: t(stampCard ? 'card.amount_stamps' : 'card.amount'), type: 'number',
                    required: true, step: 1, hint: t(stampCard ? 'card.amount_stamps_hint' : 'card.amount_hint')},
                   {name: 'reason', label: t('card.reason'), type: 'text', required: true, hint: t('card.reason_hint')}],
          submit: t('card.adjust_submit'),
          onSubmit: async function (values) {
            var amount = Number(values.amount);
            var answer = await LC.api('POST', '/admin/cards/' + encodeURIComponent(card.id) + '/adjustments',
              {amount: amount, reason: String(values.reason || '').trim(), idempotency_key: key});
            key = LC.ops.attemptKey();  // the next adjustment is another one
            card = await LC.api('GET', '/admin/cards/' + encodeURIComponent(card.id));
            showSummary();
            adjust.reset();
            LC.toast(t('card.adjusted', {amount: signed(answer && answer.amount !== undefined ? answer.amount : amount)}));
            if (loadLedger) await loadLedger(true);
          }
        });
        actions.appendChild(adjust);
        main.appendChild(actions);

        var manage = section('card.rename');
        var rename = LC.form({
          fields: [{name: 'name', label: t('card.rename'), type: 'text', required: true, value: card.name || ''}],
          submit: t('card.rename_submit'),
          onSubmit: async function (values) {
            card = await LC.api('PATCH', '/admin/cards/' + encodeURIComponent(card.id),
                                 {name: String(values.name || '').trim()});
            showSummary();
            LC.toast(t('card.renamed'));
          }
        });
        manage.appendChild(rename);
        var block = h('button', {type: 'button', 'class': 'danger card-block'});
        function labelBlock() {
          block.textContent = t(card.status === 'blocked' ? 'card.unblock' : 'card.block');
          block.className = card.status === 'blocked' ? 'secondary card-block' : 'danger card-block';
        }
        labelBlock();
        block.addEventListener('click', async function () {
          var blocking = card.status !== 'blocked';
          if (blocking && !(await LC.confirm(t('card.block_confirm')))) return;
          block.disabled = true;
          try {
            card = await LC.api('PATCH', '/admin/cards/' + encodeURIComponent(card.id),
                                 {status: blocking ? 'blocked' : 'active'});
            showSummary();
            labelBlock();
            LC.toast(t(blocking ? 'card.blocked_done' : 'card.unblocked_done'));
          } catch (err) {
            LC.toast(err && err.message ? err.message : String(err), 'error');
          } finally { block.disabled = false; }
        });
        manage.appendChild(block);
        main.appendChild(manage);
      }

      // card-rights.js draws the consents (roles that see contacts get them) and the owner's data rights
      if (Array.isArray(card.consents)) {
        var consents = section('rights.consents');
        consents.classList.add('card-consents-section');
        main.appendChild(consents);
        LC.cardConsents(consents, card);
      }

      // offers.js and challenges.js draw these parts (one file per mechanic); a program without offers
      // has none to show or issue, and an erased member's card none to use (nor challenges to go on with)
      var loadOffers = null;
      var usable = card.status !== 'erased';
      if (usable && program && program.mechanics && (program.mechanics.offers || []).length) {
        var offers = section('offers.on_card');
        offers.classList.add('card-offers');
        main.appendChild(offers);
        loadOffers = LC.offersOnCard(offers, card, program);
      }
      if (usable && card.challenges && card.challenges.length) {
        var challenges = section('challenges.on_card');
        challenges.classList.add('card-challenges');
        main.appendChild(challenges);
        LC.challengesOnCard(challenges, card.challenges, program);
      }

      var stamped = !!kindFacts(program, card).stampCard;
      var ledger = section(stamped ? 'card.ledger_stamps' : 'card.ledger');
      main.appendChild(ledger);
      loadLedger = ledgerTable(ledger, card, stamped);
      var loadMessages = null;
      if (usable) {  // an erased member's messages went with them: no "No messages yet" to wait on
        var messages = section('card.messages');
        main.appendChild(messages);
        loadMessages = messageList(messages, card);
      }
      LC.cardRights(main, card, function () { LC.render(); });  // erased: the page drawn anew, as the API now has it
      await Promise.all([loadLedger(true), loadMessages && loadMessages(true), loadOffers]);
    }
  });
})();
