/* Challenges: goals counted from receipts ("visit 3 times in 14 days: +300 points"): visits, money spent
   or units of a product within a window, a reward of points or one of the program's offers, repeated or
   once, with a bonus for completions in a row. Saved as `mechanics.challenges`. LC.challengesOnCard draws
   a card's progress (the admin card's `challenges`). */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  var GOALS = ['visits', 'spend', 'product'];
  var MAX_CHALLENGES = 20;

  LC.texts({
    ru: {
      'challenges.title': 'Задания',
      'challenges.intro': 'Цели, которые клиент выполняет покупками: «3 визита за 14 дней — десерт в подарок». Прогресс виден на карте клиента.',
      'challenges.item': 'Задание {n}', 'challenges.id': 'Код задания', 'challenges.id_hint': 'Строчные латинские буквы, цифры, «-» и «_», без пробелов: three-visits.',
      'challenges.name_ru': 'Название по-русски', 'challenges.name_en': 'Название по-английски',
      'challenges.goal': 'Цель', 'challenges.goal_visits': 'Число визитов', 'challenges.goal_spend': 'Сумма покупок',
      'challenges.goal_product': 'Купить товар столько раз',
      'challenges.target': 'Сколько нужно', 'challenges.target_hint': 'Визиты — штуки; сумма — в {currency}; товар — штуки.',
      'challenges.skus': 'Артикулы товара (SKU)', 'challenges.categories': 'Категории товара',
      'challenges.match_hint': 'Через запятую; хотя бы одно значение.',
      'challenges.window': 'За сколько дней', 'challenges.reward': 'Награда',
      'challenges.reward_points': 'Баллы', 'challenges.reward_offer': 'Предложение',
      'challenges.points': 'Сколько баллов', 'challenges.offer': 'Какое предложение',
      'challenges.reward_points_stamps': 'Штампы', 'challenges.points_stamps': 'Сколько штампов',
      'challenges.streak_points_stamps': 'Бонус за серию, штампы',
      'challenges.no_offers': 'Нет предложений: создайте их на странице «Предложения».',
      'challenges.repeat': 'Можно выполнять снова', 'challenges.streak': 'Бонус за серию подряд',
      'challenges.streak_every': 'Каждые сколько выполнений подряд', 'challenges.streak_points': 'Бонус за серию, баллы',
      'challenges.add': 'Добавить задание',
      'challenges.on_card': 'Задания', 'challenges.none': 'Заданий нет.',
      'challenges.progress': '{progress} из {target}', 'challenges.ends': 'до {date}',
      'challenges.completed': 'выполнено: {n}', 'challenges.streak_now': 'серия: {n}'
    },
    en: {
      'challenges.title': 'Challenges',
      'challenges.intro': 'Goals a customer reaches by buying: “3 visits in 14 days: a free dessert”. Progress shows on the customer’s card.',
      'challenges.item': 'Challenge {n}', 'challenges.id': 'Challenge code', 'challenges.id_hint': 'Small Latin letters, digits, - and _, no spaces: three-visits.',
      'challenges.name_ru': 'Name in Russian', 'challenges.name_en': 'Name in English',
      'challenges.goal': 'Goal', 'challenges.goal_visits': 'Number of visits', 'challenges.goal_spend': 'Money spent',
      'challenges.goal_product': 'Buy a product this many times',
      'challenges.target': 'How many', 'challenges.target_hint': 'Visits: a count; money: in {currency}; product: units.',
      'challenges.skus': 'The product’s SKUs', 'challenges.categories': 'The product’s categories',
      'challenges.match_hint': 'Separated by commas; at least one value.',
      'challenges.window': 'Within how many days', 'challenges.reward': 'Reward',
      'challenges.reward_points': 'Points', 'challenges.reward_offer': 'An offer',
      'challenges.points': 'How many points', 'challenges.offer': 'Which offer',
      'challenges.reward_points_stamps': 'Stamps', 'challenges.points_stamps': 'How many stamps',
      'challenges.streak_points_stamps': 'Streak bonus, stamps',
      'challenges.no_offers': 'No offers: make them on the Offers page.',
      'challenges.repeat': 'Can be done again', 'challenges.streak': 'A bonus for a streak',
      'challenges.streak_every': 'Every how many completions in a row', 'challenges.streak_points': 'Streak bonus, points',
      'challenges.add': 'Add a challenge',
      'challenges.on_card': 'Challenges', 'challenges.none': 'No challenges.',
      'challenges.progress': '{progress} of {target}', 'challenges.ends': 'until {date}',
      'challenges.completed': 'completed: {n}', 'challenges.streak_now': 'streak: {n}'
    }
  });

  /* On a stamp card a reward "in points" is stamps (they are the card's points): say so, so that an owner
     does not give 300 stamps (33 free coffees) where they meant 300 points. */
  function unitLabel(key, stampCard) { return t(stampCard ? key + '_stamps' : key); }

  function fields(currency, offers, stampCard) {
    return function (prefix, c) {
      var m = LC.mech;
      var goal = c.goal || {type: 'visits'};
      var reward = c.reward || {};
      var streak = c.streak_bonus || null;
      var target = goal.type === 'spend' ? m.toMajor(goal.target, currency) : (goal.target ? String(goal.target) : '');
      return [
        {name: prefix + '.id', label: t('challenges.id'), type: 'text', required: true, maxlength: 32, value: c.id || '',
         hint: t('challenges.id_hint'), autocomplete: 'off', errorFields: [prefix]}
      ].concat(m.nameFields(prefix + '.name', ['challenges.name_ru', 'challenges.name_en'], c.name, {required: true}), [
        {name: prefix + '.goal.type', label: t('challenges.goal'), type: 'select', value: goal.type,
         options: GOALS.map(function (g) { return {value: g, label: t('challenges.goal_' + g)}; })},
        {name: prefix + '.goal.target', label: t('challenges.target'), type: 'number', min: 0.01, step: 0.01, required: true,
         value: target, hint: t('challenges.target_hint', {currency: currency})},
        {name: prefix + '.goal.skus', label: t('challenges.skus'), type: 'text', value: m.joined(goal.skus)},
        {name: prefix + '.goal.categories', label: t('challenges.categories'), type: 'text', value: m.joined(goal.categories),
         hint: t('challenges.match_hint')},
        {name: prefix + '.window_days', label: t('challenges.window'), type: 'number', min: 1, max: 365, step: 1, required: true,
         value: String(c.window_days || 14)},
        {name: prefix + '.reward.type', label: t('challenges.reward'), type: 'select', value: reward.offer ? 'offer' : 'points',
         errorFields: [prefix + '.reward'],
         options: [{value: 'points', label: unitLabel('challenges.reward_points', stampCard)}, {value: 'offer', label: t('challenges.reward_offer')}]},
        {name: prefix + '.reward.points', label: unitLabel('challenges.points', stampCard), type: 'number', min: 1, max: 10000000, step: 1,
         required: true, value: reward.points ? String(reward.points) : ''},
        {name: prefix + '.reward.offer', label: t('challenges.offer'), type: 'select', value: reward.offer || '', required: true,
         hint: offers.length ? undefined : t('challenges.no_offers'),
         options: offers.map(function (o) { return {value: o.id, label: LC.ops.localized(o.name) || o.id}; })},
        {name: prefix + '.repeat', label: t('challenges.repeat'), type: 'checkbox', value: c.repeat !== false},
        {name: prefix + '.streak.on', label: t('challenges.streak'), type: 'checkbox', value: Boolean(streak),
         errorFields: [prefix + '.streak_bonus']},
        {name: prefix + '.streak_bonus.every', label: t('challenges.streak_every'), type: 'number', min: 2, max: 100, step: 1,
         required: true, value: String((streak && streak.every) || 3)},
        {name: prefix + '.streak_bonus.points', label: unitLabel('challenges.streak_points', stampCard), type: 'number', min: 1, max: 10000000,
         step: 1, required: true, value: streak && streak.points ? String(streak.points) : ''}
      ]);
    };
  }

  function read(currency) {
    return function (values, prefix) {
      var m = LC.mech;
      var type = values[prefix + '.goal.type'];
      var target = m.number(values, prefix + '.goal.target');
      var goal = {type: type, target: type === 'spend' ? m.toMinor(target, currency) : target};
      if (type === 'product') {
        goal.skus = m.words(values[prefix + '.goal.skus']);
        goal.categories = m.words(values[prefix + '.goal.categories']);
      }
      var reward = values[prefix + '.reward.type'] === 'offer' ? {offer: values[prefix + '.reward.offer']}
        : {points: m.number(values, prefix + '.reward.points')};
      var challenge = {id: String(values[prefix + '.id'] || '').trim(), name: m.localizedOf(values, prefix + '.name'),
                       goal: goal, window_days: m.number(values, prefix + '.window_days'), reward: reward,
                       repeat: Boolean(values[prefix + '.repeat'])};
      if (values[prefix + '.streak.on']) {
        challenge.streak_bonus = {every: m.number(values, prefix + '.streak_bonus.every'),
                                  points: m.number(values, prefix + '.streak_bonus.points')};
      }
      return challenge;
    };
  }

  LC.route('#/challenges', {
    title: 'challenges.title',
    needsProgram: true,
    order: 47,
    permission: 'programs:write',
    render: async function (main) {
      main.appendChild(h('p', {'class': 'muted'}, t('challenges.intro')));
      var box = h('section', {'class': 'panel ops-section mech-section challenges-defs', 'aria-label': t('challenges.title')});
      main.appendChild(box);
      LC.loading(box);
      var program = await LC.api('GET', LC.ops.programPath(LC.program));
      LC.loaded(box);
      var offers = (program.mechanics && program.mechanics.offers) || [];
      var stampCard = !!(program.mechanics && program.mechanics.kind === 'stamps');
      LC.mech.listEditor({
        host: box, program: program, path: 'mechanics.challenges', max: MAX_CHALLENGES,
        items: (program.mechanics && program.mechanics.challenges) || [],
        itemTitle: function (i, c) { return t('challenges.item', {n: i + 1}) + (c.name ? ' · ' + LC.ops.localized(c.name) : ''); },
        fields: fields(program.currency, offers, stampCard), read: read(program.currency),
        blank: function () {
          return {id: '', name: '', goal: {type: 'visits', target: 3}, window_days: 14,
                  reward: {points: stampCard ? 1 : 300}, repeat: true};
        },
        check: function (values, prefix) { LC.mech.requireName(values, prefix + '.name'); },
        addLabel: t('challenges.add'),
        sync: function (form, prefix) {
          var show = LC.mech.showField;
          var product = form.field(prefix + '.goal.type').value === 'product';
          show(form, prefix + '.goal.skus', product);
          show(form, prefix + '.goal.categories', product);
          var offer = form.field(prefix + '.reward.type').value === 'offer';
          show(form, prefix + '.reward.points', !offer);
          show(form, prefix + '.reward.offer', offer);
          var streak = form.field(prefix + '.streak.on').checked;
          show(form, prefix + '.streak_bonus.every', streak);
          show(form, prefix + '.streak_bonus.points', streak);
        }
      });
    }
  });

  /* A card's progress in the program's challenges (common.md's progress view); a money goal's figures
     are money (minor units in the view). */
  LC.challengesOnCard = function (section, views, program) {
    var defs = (program && program.mechanics && program.mechanics.challenges) || [];
    function amount(c, n) {
      var def = defs.filter(function (d) { return d.id === c.id; })[0];
      return def && def.goal && def.goal.type === 'spend' ? LC.money(n || 0, program.currency) : LC.number(n || 0);
    }
    if (!views || !views.length) {
      section.appendChild(h('p', {'class': 'empty'}, t('challenges.none')));
      return;
    }
    section.appendChild(h('ul', {'class': 'challenges-progress'}, views.map(function (c) {
      var id = LC.uid('challenge');
      var name = LC.ops.localized(c.name) || c.id;
      var facts = [t('challenges.progress', {progress: amount(c, c.progress), target: amount(c, c.target)}),
                   c.ends_on ? t('challenges.ends', {date: LC.date(c.ends_on)}) : '',
                   c.completed ? t('challenges.completed', {n: LC.number(c.completed)}) : '',
                   c.streak ? t('challenges.streak_now', {n: LC.number(c.streak)}) : ''].filter(Boolean);
      return h('li', null, h('p', {id: id, 'class': 'challenges-name'}, name),
        h('progress', {max: String(c.target || 1), value: String(Math.min(c.progress || 0, c.target || 1)), 'aria-labelledby': id}),
        h('p', {'class': 'challenges-facts'}, facts.join(' · ')));
    })));
  };
})();
