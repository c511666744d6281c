/* Campaigns: the list with results, a builder (audience with its size before sending, channels, texts
   with a preview of the wallet notice, the e-mail and the Telegram message, bonus, send now or at a
   time in the program's time zone), and a campaign's results, refreshed while it is being sent and then
   while its e-mails and Telegram messages are still being delivered. */
(function () {
  'use strict';
  var h = LC.h, t = LC.t;

  var AUDIENCES = ['all', 'tier', 'new', 'active', 'sleeping', 'lost', 'rfm', 'birthdays_this_month', 'filter'];
  var RFM = ['champions', 'loyal', 'new_customers', 'potential_loyalists', 'need_attention', 'at_risk',
             'lost_customers', 'hibernating'];
  var CHANNELS = ['wallet', 'email', 'telegram'];
  var STATUSES = ['draft', 'scheduled', 'sending', 'sent'];
  var COUNTS = ['audience', 'held_out', 'processed', 'sent', 'queued', 'skipped', 'bonuses', 'delivered', 'failed'];
  var POLL_MS = 2000;
  // Once sent, the outbox delivers the e-mails and Telegram messages seconds later: the results are read
  // again while some may still come (sent > delivered + failed), waiting twice as long each time nothing
  // changed (2, 4, 8, 16, 30, 30... seconds), and no more once nothing changed for 2 minutes. (A card
  // reached on its wallet card alone counts as sent and is never "delivered": that wait is what ends.)
  var DELIVERY_POLL_MAX_MS = 30000;
  var DELIVERY_QUIET_MS = 120000;
  var OUTBOXED = ['email', 'telegram'];

  LC.texts({
    ru: {
      'campaigns.title': 'Рассылки', 'campaigns.new': 'Новая рассылка', 'campaigns.list': 'Все рассылки',
      'campaigns.empty': 'Рассылок ещё не было. Создайте первую: выберите, кому, и напишите текст.',
      'campaigns.name': 'Название (видите только вы)',
      'campaigns.audience': 'Кому', 'campaigns.tier': 'Уровень', 'campaigns.segment': 'Сегмент',
      'campaigns.min_spend': 'Потратили не меньше', 'campaigns.max_spend': 'Потратили не больше',
      'campaigns.min_visits': 'Покупок не меньше', 'campaigns.max_visits': 'Покупок не больше',
      'campaigns.aud_all': 'Все клиенты', 'campaigns.aud_tier': 'Клиенты одного уровня',
      'campaigns.aud_new': 'Новые (до 30 дней, не больше одной покупки)', 'campaigns.aud_active': 'Активные',
      'campaigns.aud_sleeping': 'Засыпающие', 'campaigns.aud_lost': 'Ушедшие', 'campaigns.aud_rfm': 'RFM-сегмент',
      'campaigns.aud_birthdays_this_month': 'У кого день рождения в этом месяце',
      'campaigns.aud_filter': 'По сумме покупок и числу покупок',
      'campaigns.rfm_champions': 'Чемпионы', 'campaigns.rfm_loyal': 'Лояльные', 'campaigns.rfm_new_customers': 'Новички',
      'campaigns.rfm_potential_loyalists': 'Будущие лояльные', 'campaigns.rfm_need_attention': 'Требуют внимания',
      'campaigns.rfm_at_risk': 'Под угрозой ухода', 'campaigns.rfm_lost_customers': 'Потерянные',
      'campaigns.rfm_hibernating': 'Спящие',
      'campaigns.size': 'Получат: {n}', 'campaigns.size_none': 'Под эти условия сейчас не попадает никто.',
      'campaigns.sizing': 'Считаем получателей…', 'campaigns.filter_hint': 'Задайте хотя бы одно условие ниже.',
      'campaigns.channels': 'Каналы', 'campaigns.ch_wallet': 'Уведомление на карте в кошельке',
      'campaigns.ch_email': 'Письмо (тем, кто согласился)', 'campaigns.ch_telegram': 'Telegram (тем, кто подключил бота)',
      'campaigns.text_ru': 'Текст по-русски', 'campaigns.text_en': 'Текст по-английски',
      'campaigns.text_hint': 'До 300 знаков. Клиент получит текст на своём языке; если его нет — на другом.',
      'campaigns.bonus': 'Подарить баллы каждому (необязательно)',
      'campaigns.when': 'Когда отправить', 'campaigns.now': 'Сейчас', 'campaigns.later': 'В выбранное время',
      'campaigns.send_at': 'Дата и время ({zone})', 'campaigns.send_at_required': 'Выберите дату и время отправки.',
      'campaigns.send': 'Отправить', 'campaigns.schedule': 'Запланировать',
      'campaigns.confirm': 'Отправить рассылку «{name}»? Получателей: {n}.',
      'campaigns.scheduled_done': 'Рассылка запланирована.',
      'campaigns.preview': 'Как это увидят', 'campaigns.pv_wallet': 'Уведомление карты',
      'campaigns.pv_email': 'Письмо', 'campaigns.pv_telegram': 'Telegram', 'campaigns.pv_subject': 'Тема: {name}',
      'campaigns.pv_empty': 'Здесь появится текст.',
      'campaigns.results': 'Результаты', 'campaigns.status': 'Статус',
      'campaigns.st_draft': 'Черновик', 'campaigns.st_scheduled': 'Запланирована', 'campaigns.st_sending': 'Отправляется',
      'campaigns.st_sent': 'Отправлена',
      'campaigns.c_audience': 'Получателей', 'campaigns.c_processed': 'Обработано', 'campaigns.c_sent': 'Отправлено',
      'campaigns.c_queued': 'Ждут конца тихих часов', 'campaigns.c_skipped': 'Пропущено (лимит в неделю или карта заблокирована)',
      'campaigns.c_bonuses': 'Получили подарок баллами', 'campaigns.c_delivered': 'Доставлено писем и сообщений',
      'campaigns.c_failed': 'Не доставлено',
      'campaigns.progress': 'Ход отправки', 'campaigns.send_now': 'Отправить сейчас',
      'campaigns.sent_at': 'Отправлена {when}', 'campaigns.starts_at': 'Начнётся {when}',
      'campaigns.error': 'Отправка остановилась: {error}. Нажмите «Отправить сейчас», чтобы продолжить.',
      'campaigns.more': 'Показать ещё', 'campaigns.back': 'Ко всем рассылкам', 'campaigns.open': 'Открыть',
      'campaigns.not_found': 'Такой рассылки нет.',
      'campaigns.offer': 'Выдать предложение (необязательно)', 'campaigns.no_offer': 'Без предложения',
      'campaigns.offer_hint': 'Каждый получатель найдёт его на своей карте.', 'campaigns.offer_given': 'Предложение: {name}',
      'campaigns.c_held_out': 'В контрольной группе (ничего не получили)',
      'campaigns.confirm_holdout': 'Около {p}% из них, выбранные случайно, останутся контрольной группой и ничего не получат.',
      'campaigns.experiment': 'Контрольная группа: {holdout}%.', 'campaigns.experiment_variants': 'Варианты: {list}.',
      'campaigns.experiment_link': 'Отчёт эксперимента: что дала рассылка',
      'campaigns.small_control': 'В контрольной группе будет около {n} карт, а для вывода нужно хотя бы 30. Увеличьте контрольную группу или выберите аудиторию побольше.',
      'campaigns.v_bonus': 'бонус {n} баллов', 'campaigns.v_offer': 'предложение «{name}»',
      'campaigns.v_as_campaign': 'как в рассылке'
    },
    en: {
      'campaigns.title': 'Campaigns', 'campaigns.new': 'New campaign', 'campaigns.list': 'All campaigns',
      'campaigns.empty': 'No campaigns yet. Make the first one: choose who gets it and write the text.',
      'campaigns.name': 'Name (only you see it)',
      'campaigns.audience': 'Who gets it', 'campaigns.tier': 'Tier', 'campaigns.segment': 'Segment',
      'campaigns.min_spend': 'Spent at least', 'campaigns.max_spend': 'Spent at most',
      'campaigns.min_visits': 'Purchases at least', 'campaigns.max_visits': 'Purchases at most',
      'campaigns.aud_all': 'Every customer', 'campaigns.aud_tier': 'Customers of one tier',
      'campaigns.aud_new': 'New (within 30 days, at most one purchase)', 'campaigns.aud_active': 'Active',
      'campaigns.aud_sleeping': 'Sleeping', 'campaigns.aud_lost': 'Lost', 'campaigns.aud_rfm': 'An RFM segment',
      'campaigns.aud_birthdays_this_month': 'Birthdays this month',
      'campaigns.aud_filter': 'By money spent and number of purchases',
      'campaigns.rfm_champions': 'Champions', 'campaigns.rfm_loyal': 'Loyal', 'campaigns.rfm_new_customers': 'New customers',
      'campaigns.rfm_potential_loyalists': 'Potential loyalists', 'campaigns.rfm_need_attention': 'Need attention',
      'campaigns.rfm_at_risk': 'At risk', 'campaigns.rfm_lost_customers': 'Lost customers',
      'campaigns.rfm_hibernating': 'Hibernating',
      'campaigns.size': 'Reaches: {n}', 'campaigns.size_none': 'Nobody matches these conditions now.',
      'campaigns.sizing': 'Counting who gets it…', 'campaigns.filter_hint': 'Set at least one condition below.',
      'campaigns.channels': 'Channels', 'campaigns.ch_wallet': 'A notice on the wallet card',
      'campaigns.ch_email': 'E-mail (to those who agreed)', 'campaigns.ch_telegram': 'Telegram (to those who linked the bot)',
      'campaigns.text_ru': 'Text in Russian', 'campaigns.text_en': 'Text in English',
      'campaigns.text_hint': 'Up to 300 characters. Each customer gets their language, or the other one.',
      'campaigns.bonus': 'Give each of them points (optional)',
      'campaigns.when': 'When to send', 'campaigns.now': 'Now', 'campaigns.later': 'At a set time',
      'campaigns.send_at': 'Date and time ({zone})', 'campaigns.send_at_required': 'Choose the date and time to send.',
      'campaigns.send': 'Send', 'campaigns.schedule': 'Schedule',
      'campaigns.confirm': 'Send the campaign “{name}”? Recipients: {n}.',
      'campaigns.scheduled_done': 'The campaign is scheduled.',
      'campaigns.preview': 'How it looks', 'campaigns.pv_wallet': 'Card notice',
      'campaigns.pv_email': 'E-mail', 'campaigns.pv_telegram': 'Telegram', 'campaigns.pv_subject': 'Subject: {name}',
      'campaigns.pv_empty': 'The text appears here.',
      'campaigns.results': 'Results', 'campaigns.status': 'Status',
      'campaigns.st_draft': 'Draft', 'campaigns.st_scheduled': 'Scheduled', 'campaigns.st_sending': 'Sending',
      'campaigns.st_sent': 'Sent',
      'campaigns.c_audience': 'Recipients', 'campaigns.c_processed': 'Processed', 'campaigns.c_sent': 'Sent',
      'campaigns.c_queued': 'Waiting for quiet hours to end', 'campaigns.c_skipped': 'Skipped (weekly cap or blocked card)',
      'campaigns.c_bonuses': 'Customers given the bonus', 'campaigns.c_delivered': 'E-mails and messages delivered',
      'campaigns.c_failed': 'Not delivered',
      'campaigns.progress': 'Sending progress', 'campaigns.send_now': 'Send now',
      'campaigns.sent_at': 'Sent {when}', 'campaigns.starts_at': 'Starts {when}',
      'campaigns.error': 'The send stopped: {error}. Press “Send now” to carry on.',
      'campaigns.more': 'Show more', 'campaigns.back': 'All campaigns', 'campaigns.open': 'Open',
      'campaigns.not_found': 'No such campaign.',
      'campaigns.offer': 'Issue an offer (optional)', 'campaigns.no_offer': 'No offer',
      'campaigns.offer_hint': 'Each recipient finds it on their card.', 'campaigns.offer_given': 'Offer: {name}',
      'campaigns.c_held_out': 'In the control group (got nothing)',
      'campaigns.confirm_holdout': 'About {p}% of them, picked at random, stay in the control group and get nothing.',
      'campaigns.experiment': 'Control group: {holdout}%.', 'campaigns.experiment_variants': 'Variants: {list}.',
      'campaigns.experiment_link': 'Experiment report: what the campaign added',
      'campaigns.small_control': 'The control group will have about {n} cards: at least 30 are needed for a verdict. Raise the holdout or choose a larger audience.',
      'campaigns.v_bonus': 'bonus {n} points', 'campaigns.v_offer': 'offer “{name}”',
      'campaigns.v_as_campaign': 'as in the campaign'
    }
  });

  function option(prefix, value) { return {value: value, label: t(prefix + value)}; }

  /* Minor units per major unit of the program's currency (100 for RUB and EUR, 1 for JPY). */
  function minorPerMajor(currency) {
    try {
      var digits = new Intl.NumberFormat('en', {style: 'currency', currency: currency}).resolvedOptions()
        .maximumFractionDigits;
      return Math.pow(10, digits);
    } catch (e) { return 100; }
  }

  /* "2026-12-01T10:00" on the wall clock of the IANA zone `zone`, as an ISO time in UTC. */
  function zonedToIso(local, zone) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || '');
    if (!m) return null;
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    function offset(at) {
      var parts = {};
      new Intl.DateTimeFormat('en-US', {timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit',
        day: '2-digit', hour: '2-digit', minute: '2-digit'}).formatToParts(new Date(at))
        .forEach(function (p) { parts[p.type] = p.value; });
      return Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute) - at;
    }
    var guess = wall - offset(wall);
    return new Date(wall - offset(guess)).toISOString();
  }

  function fieldBox(form, name) {
    var input = form.querySelector('[name="' + name + '"]');
    if (!input) return null;
    return input.closest('.field') || input.parentElement;
  }

  function show(form, name, visible) {
    var box = fieldBox(form, name);
    if (box) box.hidden = !visible;
  }

  function valueOf(form, name) {
    var input = form.querySelector('[name="' + name + '"]');
    if (!input) return '';
    if (input.type === 'checkbox') return input.checked;
    var checked = form.querySelector('[name="' + name + '"]:checked');
    return input.type === 'radio' ? (checked ? checked.value : '') : input.value;
  }

  function audienceOf(values, scale) {
    var kind = values['audience.kind'] || 'all';
    var audience = {kind: kind};
    if (kind === 'tier') audience.tier = values['audience.tier'];
    if (kind === 'rfm') audience.segment = values['audience.segment'];
    if (kind === 'filter') {
      ['min_spend', 'max_spend'].forEach(function (name) {
        var raw = values['audience.' + name];
        if (raw !== '' && raw !== null && raw !== undefined) audience[name] = Math.round(Number(raw) * scale);
      });
      ['min_visits', 'max_visits'].forEach(function (name) {
        var raw = values['audience.' + name];
        if (raw !== '' && raw !== null && raw !== undefined) audience[name] = Number(raw);
      });
    }
    return audience;
  }

  function previewBox(program) {
    var title = LC.ops.localized(program.branding && program.branding.logo_text) || program.name;
    var wallet = h('p', {'class': 'campaigns-pv-text'});
    var email = h('p', {'class': 'campaigns-pv-text'});
    var telegram = h('p', {'class': 'campaigns-pv-text'});
    var box = h('section', {'class': 'panel ops-section campaigns-preview', 'aria-label': t('campaigns.preview')},
      h('h2', null, t('campaigns.preview')),
      h('div', {'class': 'campaigns-pv campaigns-pv-wallet'}, h('h3', null, t('campaigns.pv_wallet')),
        h('div', {'class': 'campaigns-pv-card'}, h('p', {'class': 'campaigns-pv-title'}, title), wallet)),
      h('div', {'class': 'campaigns-pv campaigns-pv-email'}, h('h3', null, t('campaigns.pv_email')),
        h('p', {'class': 'campaigns-pv-subject'}, t('campaigns.pv_subject', {name: program.name})), email),
      h('div', {'class': 'campaigns-pv campaigns-pv-telegram'}, h('h3', null, t('campaigns.pv_telegram')),
        h('div', {'class': 'campaigns-pv-bubble'}, telegram)));
    box.update = function (text, channels) {
      [wallet, email, telegram].forEach(function (el) { el.textContent = text || t('campaigns.pv_empty'); });
      CHANNELS.forEach(function (name) {
        var part = box.querySelector('.campaigns-pv-' + name);
        if (part) part.hidden = !channels[name];
      });
    };
    return box;
  }

  function builder(main, program) {
    var base = LC.ops.programPath(program);
    var scale = minorPerMajor(program.currency);
    var tiers = ((program.mechanics && program.mechanics.tiers) || []).map(function (tier) {
      return {value: tier.id, label: LC.ops.localized(tier.name) || tier.id};
    });
    var offers = (program.mechanics && program.mechanics.offers) || [];
    var size = h('p', {'class': 'campaigns-size', role: 'status', 'aria-live': 'polite'});
    var lastSize = null;
    var warning = h('p', {'class': 'notice campaigns-holdout-warning', role: 'status', hidden: true});
    /* About N cards of the audience kept as control: under 30, no verdict can come of it. */
    function smallControl(n, held) {
      if (n === null || n === undefined || !(held > 0)) return null;
      var control = Math.round(n * held / 100);
      return control < 30 ? t('campaigns.small_control', {n: LC.number(control)}) : null;
    }
    function holdoutOf(raw) {
      var held = raw === '' || raw === null || raw === undefined ? 10 : Number(raw);
      return isNaN(held) ? 10 : held;
    }
    function warn() {
      var text = smallControl(lastSize, holdoutOf(valueOf(form, 'holdout_percent')));
      warning.textContent = text || '';
      warning.hidden = !text;
    }
    var variants = LC.experiments.variantsEditor(['texts', 'bonus', 'offer'], offers);
    var form = LC.form({
      fields: [
        {name: 'name', label: t('campaigns.name'), type: 'text', required: true},
        {name: 'audience.kind', label: t('campaigns.audience'), type: 'select',
         options: AUDIENCES.map(function (k) { return option('campaigns.aud_', k); }), value: 'all'},
        {name: 'audience.tier', label: t('campaigns.tier'), type: 'select', options: tiers},
        {name: 'audience.segment', label: t('campaigns.segment'), type: 'select',
         options: RFM.map(function (k) { return option('campaigns.rfm_', k); })},
        {name: 'audience.min_spend', label: t('campaigns.min_spend') + ' (' + program.currency + ')', type: 'number',
         min: 0, step: 1 / scale},
        {name: 'audience.max_spend', label: t('campaigns.max_spend') + ' (' + program.currency + ')', type: 'number',
         min: 0, step: 1 / scale},
        {name: 'audience.min_visits', label: t('campaigns.min_visits'), type: 'number', min: 0, step: 1},
        {name: 'audience.max_visits', label: t('campaigns.max_visits'), type: 'number', min: 0, step: 1},
        {name: 'channels.wallet', label: t('campaigns.ch_wallet'), type: 'checkbox', value: true},
        {name: 'channels.email', label: t('campaigns.ch_email'), type: 'checkbox', value: true},
        {name: 'channels.telegram', label: t('campaigns.ch_telegram'), type: 'checkbox', value: true},
        {name: 'texts.ru', label: t('campaigns.text_ru'), type: 'textarea', hint: t('campaigns.text_hint')},
        {name: 'texts.en', label: t('campaigns.text_en'), type: 'textarea'},
        {name: 'bonus', label: t('campaigns.bonus'), type: 'number', min: 0, step: 1},
        {name: 'offer', label: t('campaigns.offer'), type: 'select', value: '', hint: t('campaigns.offer_hint'),
         hidden: !offers.length, options: [{value: '', label: t('campaigns.no_offer')}].concat(offers.map(function (o) {
           return {value: o.id, label: LC.ops.localized(o.name) || o.id};
         }))},
        {name: 'holdout_percent', label: t('experiments.holdout_field'), type: 'number', min: 0, max: 50, step: 0.01,
         value: '10', hint: t('experiments.holdout_hint')},
        {name: 'variants', element: variants},
        {name: 'when', label: t('campaigns.when'), type: 'select', value: 'now',
         options: [{value: 'now', label: t('campaigns.now')}, {value: 'later', label: t('campaigns.later')}]},
        {name: 'send_at', label: t('campaigns.send_at', {zone: program.timezone}), type: 'datetime-local'}
      ],
      submit: t('campaigns.send'),
      onSubmit: async function (values) {
        var audience = audienceOf(values, scale);
        var texts = {};
        if (String(values['texts.ru'] || '').trim()) texts.ru = String(values['texts.ru']).trim();
        if (String(values['texts.en'] || '').trim()) texts.en = String(values['texts.en']).trim();
        var body = {name: String(values.name || '').trim(), audience: audience, texts: texts,
                    channels: CHANNELS.filter(function (c) { return values['channels.' + c]; })};
        if (values.bonus !== '' && values.bonus !== null && values.bonus !== undefined) body.bonus = Number(values.bonus);
        if (values.offer) body.offer = values.offer;
        // 10 is the API's own default: sent only when the owner chose another share
        if (values.holdout_percent !== null && values.holdout_percent !== undefined && values.holdout_percent !== 10) {
          body.holdout_percent = values.holdout_percent;
        }
        var split = variants.read();
        if (split) body.variants = split;
        var later = values.when === 'later';
        if (later) {
          body.send_at = zonedToIso(values.send_at, program.timezone);
          if (!body.send_at) throw new Error(t('campaigns.send_at_required'));
        }
        var n = lastSize !== null ? lastSize : (await LC.api('POST', base + '/audience-size', {audience: audience}))
          .audience_size;
        var held = values.holdout_percent === null || values.holdout_percent === undefined ? 10 : values.holdout_percent;
        var small = smallControl(n, held);
        var question = t('campaigns.confirm', {name: body.name, n: LC.number(n)}) +
          (held > 0 ? ' ' + t('campaigns.confirm_holdout', {p: LC.number(held)}) : '') + (small ? ' ' + small : '');
        if (!later && !(await LC.confirm(question))) return;
        var campaign = await LC.api('POST', base + '/campaigns', body);
        if (!later) await LC.api('POST', base + '/campaigns/' + encodeURIComponent(campaign.id) + '/send');
        else LC.toast(t('campaigns.scheduled_done'));
        location.hash = '#/campaigns/' + encodeURIComponent(campaign.id);
      }
    });
    form.classList.add('campaigns-builder');
    var preview = previewBox(program);
    var sizing = 0;

    async function resize() {
      var mine = ++sizing;
      size.textContent = t('campaigns.sizing');
      lastSize = null;
      warn();
      var values = {};
      ['audience.kind', 'audience.tier', 'audience.segment', 'audience.min_spend', 'audience.max_spend',
       'audience.min_visits', 'audience.max_visits'].forEach(function (name) { values[name] = valueOf(form, name); });
      var audience = audienceOf(values, scale);
      if (audience.kind === 'filter' && Object.keys(audience).length === 1) {  // no bound yet: nothing to count
        size.textContent = t('campaigns.filter_hint');
        return;
      }
      try {
        var answer = await LC.api('POST', base + '/audience-size', {audience: audience});
        if (mine !== sizing) return;
        lastSize = answer.audience_size;
        size.textContent = lastSize ? t('campaigns.size', {n: LC.number(lastSize)}) : t('campaigns.size_none');
        warn();
      } catch (err) {
        if (mine === sizing) size.textContent = err && err.message ? err.message : String(err);
      }
    }

    function refresh() {
      var kind = valueOf(form, 'audience.kind');
      show(form, 'audience.tier', kind === 'tier');
      show(form, 'audience.segment', kind === 'rfm');
      ['min_spend', 'max_spend', 'min_visits', 'max_visits'].forEach(function (name) {
        show(form, 'audience.' + name, kind === 'filter');
      });
      show(form, 'send_at', valueOf(form, 'when') === 'later');
      var submit = form.querySelector('button[type="submit"]');
      if (submit) submit.textContent = valueOf(form, 'when') === 'later' ? t('campaigns.schedule') : t('campaigns.send');
      var text = valueOf(form, LC.lang === 'en' ? 'texts.en' : 'texts.ru') ||
                 valueOf(form, LC.lang === 'en' ? 'texts.ru' : 'texts.en');
      var channels = {};
      CHANNELS.forEach(function (c) { channels[c] = valueOf(form, 'channels.' + c); });
      preview.update(text, channels);
    }

    var timer = null;
    form.addEventListener('input', function (event) {
      refresh();
      if (event.target && event.target.name === 'holdout_percent') warn();
      if (event.target && /^audience\./.test(event.target.name || '')) {
        clearTimeout(timer);
        timer = setTimeout(resize, 400);
      }
    });
    form.addEventListener('change', function (event) {
      refresh();
      if (event.target && /^audience\./.test(event.target.name || '')) { clearTimeout(timer); resize(); }
    });
    var audienceBox = fieldBox(form, 'audience.kind');
    if (audienceBox) audienceBox.appendChild(size); else form.insertBefore(size, form.firstChild);
    var holdoutBox = fieldBox(form, 'holdout_percent');
    if (holdoutBox) holdoutBox.appendChild(warning);
    main.appendChild(h('section', {'class': 'panel ops-section', 'aria-label': t('campaigns.new')}, h('h2', null, t('campaigns.new')),
      form));
    main.appendChild(preview);
    refresh();
    return resize();
  }

  /* The campaign's offer by its definition's name (the view may give the id or the offer itself). */
  function offerName(program, offer) {
    var id = offer && typeof offer === 'object' ? offer.offer || offer.id : offer;
    var found = ((program.mechanics && program.mechanics.offers) || []).filter(function (o) { return o.id === id; })[0];
    return found ? LC.ops.localized(found.name) || id : id;
  }

  /* Each variant of an A/B campaign: its name, text (in the console's language) and bonus or offer. */
  function variantsList(program, c) {
    return h('ul', {'class': 'campaigns-variants'}, c.variants.map(function (v) {
      var text = v.texts ? v.texts[LC.lang] || v.texts.ru || v.texts.en || '' : '';
      var extras = [];
      if (v.bonus !== null && v.bonus !== undefined) extras.push(t('campaigns.v_bonus', {n: LC.number(v.bonus)}));
      if (v.offer) extras.push(t('campaigns.v_offer', {name: offerName(program, v.offer)}));
      return h('li', {'data-variant': v.id || null},
        h('strong', null, LC.experiments.variantName(v.name || v.id)),
        extras.length ? ' (' + extras.join(', ') + ')' : null,
        h('blockquote', {'class': 'campaigns-text'}, text || t('campaigns.v_as_campaign')));
    }));
  }

  function statusText(c) { return STATUSES.indexOf(c.status) >= 0 ? t('campaigns.st_' + c.status) : c.status; }

  function listing(main, program) {
    var base = LC.ops.programPath(program);
    var list = h('ul', {'class': 'campaigns-list'});
    var status = h('div');
    var more = h('button', {type: 'button', 'class': 'secondary', hidden: true}, t('campaigns.more'));
    var cursor = null;
    main.appendChild(h('section', {'class': 'panel ops-section', 'aria-label': t('campaigns.list')}, h('h2', null, t('campaigns.list')),
      list, status, more));
    async function next() {
      more.disabled = true;
      if (!list.children.length) LC.loading(status);
      try {
        var page = await LC.api('GET', base + '/campaigns?limit=20' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
        status.replaceChildren();
        (page.items || []).forEach(function (c) {
          var counts = c.counts || {};
          list.appendChild(h('li', null,
            h('a', {href: '#/campaigns/' + encodeURIComponent(c.id)}, c.name),
            h('span', {'class': 'campaigns-status campaigns-st-' + c.status}, statusText(c)),
            counts.audience !== undefined ? h('span', null, t('campaigns.c_sent') + ': ' + LC.number(counts.sent || 0) +
              ' / ' + LC.number(counts.audience)) : ''));
        });
        cursor = page.next_cursor;
        more.hidden = !cursor;
        if (!list.children.length) LC.empty(status, t('campaigns.empty'));
      } finally { more.disabled = false; }
    }
    more.addEventListener('click', next);
    return next();
  }

  LC.route('#/campaigns', {
    title: 'campaigns.title',
    needsProgram: true,
    order: 40,
    permission: 'campaigns:read',
    render: async function (main) {
      var program = LC.program;
      var work = [];
      if (LC.can('campaigns:write')) work.push(builder(main, program));
      work.push(listing(main, program));
      await Promise.all(work);
    }
  });

  LC.route('#/campaigns/:id', {
    title: 'campaigns.results',
    permission: 'campaigns:read',
    needsProgram: true,
    render: async function (main, params) {
      var program = LC.program;
      main.appendChild(h('a', {href: '#/campaigns', 'class': 'back-link'}, t('campaigns.back')));
      var path = LC.ops.programPath(program, '/campaigns/' + encodeURIComponent(params.id));
      var box = h('div', {'class': 'campaigns-results', 'aria-live': 'polite'});
      main.appendChild(box);
      LC.loading(box);
      var timer = null;
      var delay = POLL_MS, seen = null, quietSince = null;

      function draw(c) {
        LC.heading(c.name);
        var counts = c.counts || {};
        var rows = h('dl', {'class': 'campaigns-counts'});
        COUNTS.forEach(function (name) {
          if (counts[name] === undefined) return;
          rows.appendChild(h('div', null, h('dt', null, t('campaigns.c_' + name)), h('dd', null, LC.number(counts[name]))));
        });
        var parts = [h('p', {'class': 'campaigns-status campaigns-st-' + c.status}, t('campaigns.status') + ': ' + statusText(c))];
        if (c.sent_at) parts.push(h('p', null, t('campaigns.sent_at', {when: LC.date(c.sent_at)})));
        else if (c.send_at) parts.push(h('p', null, t('campaigns.starts_at', {when: LC.date(c.send_at)})));
        if (c.status === 'sending' && counts.audience) {
          var label = h('label', {for: 'campaign-progress'}, t('campaigns.progress'));
          var bar = h('progress', {id: 'campaign-progress', max: String(counts.audience),
                                   value: String(counts.processed || 0)});
          parts.push(h('p', null, label, ' ', bar));
        }
        if (c.audience_size !== undefined && c.status !== 'sent') {
          parts.push(h('p', null, t('campaigns.size', {n: LC.number(c.audience_size)})));
        }
        if (c.offer) parts.push(h('p', {'class': 'campaigns-offer'}, t('campaigns.offer_given', {name: offerName(program, c.offer)})));
        if (c.holdout_percent !== undefined && c.holdout_percent !== null) {
          parts.push(h('p', {'class': 'campaigns-experiment'}, t('campaigns.experiment', {holdout: LC.number(c.holdout_percent)}),
            (c.variants || []).length > 1 ? ' ' + t('campaigns.experiment_variants', {list: c.variants.map(function (v) { return LC.experiments.variantName(v.name); }).join(', ')}) : ''));
        }
        if ((c.variants || []).length > 1) parts.push(variantsList(program, c));
        if (c.experiment_id && LC.can('experiments:read')) {
          parts.push(h('p', null, h('a', {href: '#/experiments/' + encodeURIComponent(c.experiment_id), 'class': 'campaigns-experiment-link'},
            t('campaigns.experiment_link'))));
        }
        if (c.last_error) parts.push(h('p', {'class': 'error', role: 'alert'}, t('campaigns.error', {error: c.last_error})));
        parts.push(rows);
        if (c.texts) {
          parts.push(h('blockquote', {'class': 'campaigns-text'}, c.texts[LC.lang] || c.texts.ru || c.texts.en || ''));
        }
        if ((c.status === 'draft' || c.status === 'scheduled' || c.last_error) && c.status !== 'sent' &&
            LC.can('campaigns:write')) {
          parts.push(h('button', {type: 'button', on: {click: async function (event) {
            var button = event.currentTarget;
            button.disabled = true;
            try { follow(await LC.api('POST', path + '/send'), true); } catch (err) {
              LC.toast(err && err.message ? err.message : String(err), 'error');
            } finally { button.disabled = false; }
          }}}, t('campaigns.send_now')));
        }
        box.replaceChildren.apply(box, parts);
      }

      /* E-mails and Telegram messages sent that the outbox has not yet delivered or given up on. */
      function deliveriesDue(c) {
        var counts = c.counts || {};
        var outboxed = (c.channels || OUTBOXED).some(function (name) { return OUTBOXED.indexOf(name) >= 0; });
        return outboxed && (counts.sent || 0) > (counts.delivered || 0) + (counts.failed || 0);
      }

      /* The campaign as read: drawn, then read again in a while if it is being sent (every POLL_MS), or if
         sent with deliveries that may still come (backing off, see DELIVERY_QUIET_MS); `asked`: the owner
         just pressed "Send now" (a send that failed before is followed afresh). */
      function follow(c, asked) {
        draw(c);
        clearTimeout(timer);
        if (asked) { seen = null; quietSince = null; }
        if (c.status === 'sending') {
          delay = POLL_MS;
          watch(POLL_MS);
          return;
        }
        if (c.status !== 'sent' || !deliveriesDue(c)) return;
        var counts = c.counts || {};
        var now = Date.now();
        var settled = (counts.delivered || 0) + (counts.failed || 0);
        if (settled !== seen || quietSince === null) {  // something came (or the first look): soon again
          seen = settled;
          quietSince = now;
          delay = POLL_MS;
        } else if (now - quietSince >= DELIVERY_QUIET_MS) {
          return;  // nothing for 2 minutes: what is left will not come by waiting here
        } else {
          delay = Math.min(delay * 2, DELIVERY_POLL_MAX_MS);
        }
        watch(delay);
      }

      function watch(wait) {
        clearTimeout(timer);
        timer = setTimeout(async function () {
          if (!box.isConnected) return;  // the owner went to another page
          try {
            follow(await LC.api('GET', path));
          } catch (err) { LC.toast(err && err.message ? err.message : String(err), 'error'); }
        }, wait);
      }

      var campaign;
      try { campaign = await LC.api('GET', path); } catch (err) {
        if (err && err.status === 404) { box.replaceChildren(); LC.empty(box, t('campaigns.not_found')); return; }
        throw err;
      }
      follow(campaign);
    }
  });
})();
