/* Customers: find a customer by name, phone or card number; without a search, the newest cards first.
   The search words never go into the address bar (a phone is personal data). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  LC.texts({
    ru: {
      'customers.title': 'Клиенты',
      'customers.search': 'Имя, телефон или номер карты',
      'customers.search_hint': 'Например: Анна, +7 916 123-45-67 или 4821 0000 0000',
      'customers.find': 'Найти',
      'customers.clear': 'Все клиенты',
      'customers.newest': 'Новые карты',
      'customers.found': 'Найдено',
      'customers.none': 'Никого не нашли. Проверьте написание или ищите по телефону или номеру карты.',
      'customers.no_cards': 'Клиентов пока нет. Они появятся, когда кто-то заполнит форму по ссылке программы.',
      'customers.more': 'Показать ещё',
      'customers.search_on': 'Искать дальше',
      'customers.name': 'Имя',
      'customers.number': 'Карта',
      'customers.balance': 'Баланс',
      'customers.tier': 'Уровень',
      'customers.last_visit': 'Последняя покупка',
      'customers.blocked': 'заблокирована'
    },
    en: {
      'customers.title': 'Customers',
      'customers.search': 'Name, phone or card number',
      'customers.search_hint': 'For example: Anna, +7 916 123-45-67 or 4821 0000 0000',
      'customers.find': 'Find',
      'customers.clear': 'All customers',
      'customers.newest': 'Newest cards',
      'customers.found': 'Found',
      'customers.none': 'Nobody found. Check the spelling, or search by phone or card number.',
      'customers.no_cards': 'No customers yet. They appear when someone fills in the form at the program\'s link.',
      'customers.more': 'Show more',
      'customers.search_on': 'Search further',
      'customers.name': 'Name',
      'customers.number': 'Card',
      'customers.balance': 'Balance',
      'customers.tier': 'Tier',
      'customers.last_visit': 'Last purchase',
      'customers.blocked': 'blocked'
    }
  });

  function row(program, card) {
    var name = card.name || card.number || t('card.erased_member');  // an erased member's card has neither
    var link = h('a', {href: '#/customers/' + encodeURIComponent(card.id), 'class': 'customers-name'}, name);
    var facts = h('p', {'class': 'customers-facts'},
      card.number ? h('span', null, t('customers.number') + ' ' + card.number) : '',
      LC.ops.balance(program, card.balance) !== null ? h('span', null, LC.ops.balance(program, card.balance)) : '',
      h('span', null, LC.ops.localized(card.tier_name) || LC.ops.tierName(program, card.tier)),
      card.last_visit_on ? h('span', null, t('customers.last_visit') + ': ' + LC.date(card.last_visit_on)) : '',
      card.status === 'blocked' ? h('span', {'class': 'customers-blocked'}, t('customers.blocked')) : '');
    return h('li', {'class': 'customers-row'}, link, facts);
  }

  LC.route('#/customers', {
    title: 'customers.title',
    permission: 'cards:read',
    needsProgram: true,
    order: 30,
    render: async function (main) {
      var program = LC.program;
      var base = LC.ops.programPath(program);
      var heading = h('h2', {'class': 'customers-heading', 'aria-live': 'polite'}, t('customers.newest'));
      var list = h('ul', {'class': 'customers-list'});
      var more = h('button', {type: 'button', 'class': 'secondary customers-more', hidden: true}, t('customers.more'));
      var results = h('div', {'class': 'customers-results'});
      var state = {q: null, cursor: null};

      function pathFor() {
        var cursor = state.cursor ? '&cursor=' + encodeURIComponent(state.cursor) : '';
        return state.q === null ? base + '/cards?limit=20' + cursor
          : base + '/customers?limit=20&q=' + encodeURIComponent(state.q) + cursor;
      }

      async function load(fresh) {
        if (fresh) { state.cursor = null; list.replaceChildren(); results.replaceChildren(); LC.loading(results); }
        more.disabled = true;
        try {
          var page = await LC.api('GET', pathFor());
          results.replaceChildren();
          (page.items || []).forEach(function (card) { list.appendChild(row(program, card)); });
          state.cursor = page.next_cursor;
          more.hidden = !state.cursor;
          more.textContent = state.q === null ? t('customers.more') : t('customers.search_on');
          if (!list.children.length && !state.cursor) {
            LC.empty(results, state.q === null ? t('customers.no_cards') : t('customers.none'));
          }
        } catch (error) {
          results.replaceChildren();  // the refusal is shown at the search field, not as endless loading
          throw error;
        } finally {
          more.disabled = false;
        }
      }

      var form = LC.form({
        fields: [{name: 'q', label: t('customers.search'), type: 'search', required: true,
                  hint: t('customers.search_hint')}],
        submit: t('customers.find'),
        onSubmit: async function (values) {
          state.q = String(values.q || '').trim();
          heading.textContent = t('customers.found');
          clear.hidden = false;
          await load(true);
        }
      });
      form.classList.add('customers-search');
      var clear = h('button', {type: 'button', 'class': 'link customers-clear', hidden: true, on: {click: function () {
        state.q = null; clear.hidden = true; heading.textContent = t('customers.newest');
        var input = form.querySelector('input[name="q"]');
        if (input) { input.value = ''; input.focus(); }
        load(true);
      }}}, t('customers.clear'));
      more.addEventListener('click', function () { load(false); });
      main.appendChild(form);
      main.appendChild(clear);
      main.appendChild(heading);
      main.appendChild(list);
      main.appendChild(results);
      main.appendChild(more);
      await load(true);
    }
  });
})();
