"""Every word a customer reads, in one catalogue per language, and the program's rules told from its mechanics.

The pages (templates/ through chalicelib/rendering.py), the Apple pass's back fields, the Google loyalty
class and object, and the messages the platform writes itself read their words here, so one program tells
its rules the same way everywhere. Counted words agree with their number (`plural`): Russian has three
forms (1 балл, 2 балла, 5 баллов; 11–14 take the third), English two (1 point, 2 points).
Apple's field labels stay in the pass design's `<lang>.lproj/pass.strings`: the device picks them.
"""
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, TypedDict

from chalicelib.core import program_texts
from chalicelib.core import validation as v
from chalicelib.core.kinds import kind_named
from chalicelib.core.mechanics import Mechanics
from chalicelib.core.percent import percent
from chalicelib.errors import InvalidInput

LANGUAGES = program_texts.LOCALES
DEFAULT_LANGUAGE = "ru"

CATALOGUE: dict[str, dict[str, str]] = {
    "ru": {
        # pages
        "join_title": "Карта лояльности",
        "join_lead": "Заполните форму — карта появится в телефоне. Приложение не нужно.",
        "name": "Имя", "phone": "Телефон", "email": "Эл. почта (необязательно)",
        "birthday": "День рождения (необязательно)", "ref": "Код друга (если есть)",
        "consent": "Я согласен(на) с правилами программы и обработкой персональных данных",
        "submit": "Получить карту", "welcome_bonus": "Приветственный бонус",
        "balance": "Баланс", "tier": "Уровень", "card_number": "Номер карты",
        "add_apple": "Добавить в Apple Wallet", "add_google": "Сохранить в Google Wallet",
        "show_qr": "Покажите этот код на кассе", "rules": "Правила программы",
        "blocked": "Карта заблокирована",
        "not_found": "Страница не найдена", "error": "Исправьте ошибку", "language": "English",
        "invite": "Пригласите друга по коду", "next_expiry": "Ближайшее сгорание",
        "marketing_consent": "Присылать мне предложения по эл. почте",
        "add_telegram": "Подключить Telegram",
        "unsubscribe_title": "Отписка от писем", "unsubscribe_button": "Больше не присылать письма",
        "unsubscribed": "Готово: письма больше не придут. Карта продолжает работать.",
        "email_footer": "Вы получили это письмо как участник программы", "email_unsubscribe": "Отписаться",
        "code": "Код из СМС", "confirm": "Подтвердить",
        "code_sent": "Мы отправили код в СМС на этот номер. Введите его, чтобы получить карту.",
        "code_sms": "Код для карты «{program}»: {code}. Никому его не сообщайте.",
        # wallets
        "member": "Участник", "points_label": "Баллы", "card_online": "Карта онлайн",
        # the card page's facts (usecases/cards.py `page_facts`)
        "expiry_line": "{count} {points} {expire} {day}",
        "blocked_note": "Баллы по этой карте не начисляются и не списываются. Обратитесь к продавцу.",
        "friend": "друг",
        # the program's rules (see `rules`); each kind's own first line is `rules_earn_<kind>`
        "rules_earn_points": "Начисляем {earn}% от суммы покупки баллами.",
        "rules_earn_cashback": "Возвращаем {earn}% от суммы покупки кешбэком в баллах.",
        "rules_redeem_cap": "Баллами можно оплатить до {cap}% чека.",
        "rules_lifetime": "Баллы сгорают через {days}.",
        "rules_lifetime_stamps": "Штампы сгорают через {days}.",
        "email_subject_survey": "{program}: как вам у нас?",
        "email_subject_offer_issued": "{program}: новое предложение для вас",
        "rules_lifetime_purchases": "Баллы за покупки сгорают через {days}.",
        # the Telegram bot ({points}: texts.word(balance, "points", lang))
        "telegram_linked": "Карта «{program}» подключена. Баланс: {balance} {points}.\n"
                           "/balance — баланс, /qr — код для кассы",
        "telegram_balance": "«{program}»: {balance} {points}, доступно {available}. Уровень: {tier}.",
        "telegram_join": "Получите карту «{program}»:", "telegram_join_button": "Получить карту",
        "telegram_app_button": "Карта в Telegram",
        "telegram_unknown": "Откройте бота по ссылке со страницы вашей карты, чтобы подключить её.",
        "telegram_qr": "Покажите этот код на кассе: {number}", "telegram_bad_link": "Ссылка устарела или неверна.",
        # consent records (core/consents.py): the words a record keeps are these, as shown
        "telegram_consent": "Бот будет присылать сюда предложения и новости программы «{program}». "
                            "Чтобы их не получать, отправьте /stop (или «стоп»).",
        "telegram_stopped": "Готово: предложения и новости «{program}» сюда больше не придут. Карта остаётся "
                            "подключённой: /balance — баланс, /qr — код для кассы. Чтобы снова их получать, "
                            "отправьте /start.",
        "consent_imported": "Перенесено владельцем программы из прежней базы участников: согласие получено "
                            "до переноса.",
        # the trigger messages' defaults (owners may override them: TRIGGERS); worded so that every
        # {placeholder} reads right whatever the number ("Дарим вам 1 балл / 2 балла / 5 баллов")
        "expiry_warning": "Баллы сгорают {date}: {points}. Успейте потратить!",
        "birthday_gift": "С днём рождения, {name}! Дарим вам {bonus}.",
        "winback_offer": "Мы соскучились, {name}! Возвращайтесь: дарим вам {bonus}.",
        # join form errors and recovery (pages)
        "form_errors_title": "Проверьте, пожалуйста, форму:",
        "form_name_required": "Введите имя.",
        "form_name_invalid": "Имя — до 100 знаков, без служебных символов.",
        "form_phone_required": "Введите номер телефона.",
        "form_phone_invalid": "Проверьте номер телефона: например, +7 900 000-00-00.",
        "form_email_invalid": "Проверьте адрес эл. почты: например, anna@example.com.",
        "form_birthday_invalid": "Укажите настоящую дату рождения в прошлом.",
        "form_ref_invalid": "Код друга — латинские буквы и цифры, до 16 знаков.",
        "form_ref_unknown_referral": "Такого кода друга нет: проверьте его или оставьте поле пустым.",
        "form_consent_required": "Чтобы получить карту, отметьте согласие с правилами программы.",
        "form_code_invalid": "Код неверный или устарел: проверьте СМС или запросите новый.",
        "form_phone_already_enrolled": "На этот номер уже есть карта. Ссылку на неё можно получить ещё раз — "
                                       "в разделе «Уже участник?» ниже.",
        "form_field_invalid": "Проверьте это поле.",
        "form_rate_limited": "Слишком много попыток. Попробуйте через несколько минут.",
        "form_busy": "Сейчас много желающих. Попробуйте ещё раз через минуту.",
        "form_code_not_sent": "Не удалось отправить СМС. Попробуйте через минуту.",
        "form_failed": "Не получилось. Попробуйте ещё раз.",
        "recover_title": "Уже участник?",
        "recover_lead": "Получите ссылку на карту ещё раз: укажите телефон или эл. почту, "
                        "которые вы дали при регистрации.",
        "recover_contact": "Телефон или эл. почта", "recover_submit": "Прислать ссылку на карту",
        "recover_sent": "Если вы участник, мы отправили ссылку на телефон или эл. почту, "
                        "указанные при регистрации.",
        "form_contact_required": "Введите телефон или адрес эл. почты.",
        "form_contact_invalid": "Это не похоже ни на номер телефона, ни на адрес эл. почты.",
        "recover_sms": "Ваша карта «{program}»: {url}",
        "recover_email_subject": "Ваша карта «{program}»",
        "recover_email_text": "Вы просили прислать ссылку на карту «{program}» ещё раз. Вот она: {url}\n"
                              "Если вы не просили, просто не обращайте внимания на это письмо.",
        "wallets": "Кошелёк в телефоне",
        # --- part H2 "offers": the message a new offer arrives with (decisions.offer_issued_texts) ---
        "offer_issued": "Новое предложение для вас: {name} — {reward}. Действует до {date}.",
        "offer_reward_points": "{points} в подарок",
        "offer_reward_percent": "скидка {percent}%",
        "offer_reward_free_item": "{item} в подарок",
        # issue 16, part H3 (challenges): the profile page (api/profile.py) and its bonus
        "profile_title": "Профиль",
        "profile_lead": "Добавьте эл. почту и день рождения: поздравим с днём рождения и пришлём ссылку "
                        "на карту, если она потеряется.",
        "profile_bonus": "За заполненный профиль", "profile_email": "Эл. почта",
        "profile_birthday": "День рождения", "profile_submit": "Сохранить", "profile_back": "К карте",
        "profile_saved": "Профиль сохранён.", "profile_saved_bonus": "Профиль заполнен: начислили {bonus}.",
        "form_email_required": "Введите адрес эл. почты.", "form_birthday_required": "Укажите день рождения.",
        "form_birthday_birthday_locked": "День рождения уже указан: изменить его может только сотрудник.",
        "form_edit_conflict": "Карта только что изменилась: отправьте форму ещё раз.",
        # --- part H5 "surfaces": the card page, the pass and the Google object show the mechanics ---
        "stamps_title": "Штампы", "stamps_label": "Штампы", "rewards_label": "Награды",
        "stamps_aria": "{filled} из {per_reward} {stamps}",
        "stamps_reward": "Полная карта — {reward}",
        "rewards_ready": "Можно получить: {reward} × {count}", "rewards_ready_plain": "Наград к получению: {count}",
        "discount_label": "Скидка", "discount_yours": "Ваша скидка: {percent}%",
        "discount_next": "Уровень «{tier}»: скидка {percent}%",
        "offers_title": "Ваши предложения", "offers_label": "Предложения", "offer_until": "до {day}",
        "card_offer_points": "+{points}", "card_offer_percent": "скидка {percent}%",
        "card_offer_free_item": "в подарок: {item}",
        "challenges_title": "Задания", "challenge_until": "до {day}", "challenge_streak": "подряд: {count}",
        "card_profile_title": "Заполните профиль: +{points}",
        "card_profile_lead": "Укажите эл. почту и день рождения — и получите бонус.",
        "card_profile_email": "Эл. почта", "card_profile_birthday": "День рождения", "card_profile_submit": "Сохранить",
        # issue 19: the member asks for their data from the card page (api/member_export.py)
        "data_title": "Ваши данные",
        "data_lead": "Всё, что программа хранит о вас, одним файлом. Ссылку на него пришлём туда, где вы "
                     "записывались: на эл. почту, иначе SMS на телефон, иначе в Telegram.",
        "data_button": "Получить мои данные",
        "data_sent": "Ссылка на ваши данные отправлена: {to}. Она действует 24 часа.",
        "data_sent_title": "Ссылка отправлена", "data_to_telegram": "в Telegram",
        "data_sms": "{program}: ваши данные, ссылка на 24 ч: {url}",
        "data_email_subject": "Ваши данные в программе «{program}»",
        "data_email_text": "Вы просили выгрузить ваши данные из программы «{program}». Файл можно скачать по "
                           "ссылке в течение 24 часов: {url}\nЕсли вы этого не просили, не открывайте её.",
        "data_limited": "Сегодня вы уже просили данные несколько раз. Попробуйте завтра.",
        "data_not_sent": "Не получилось отправить ссылку. Попробуйте через несколько минут.",
        "data_no_contact": "На карте нет ни эл. почты, ни телефона, ни Telegram: ссылку некуда отправить. "
                           "Обратитесь в программу.",
        "data_refused": "Для этой карты данные выгрузить нельзя.",
        "data_link_dead": "Ссылка устарела или уже использована. Попросите новую на странице карты.",
        # part H1 (products): the first line of a stamps or discount program's rules (core/kinds); a count
        # stands after "штампов:" so that its word needs no agreement with the number
        "rules_earn_stamps": "Штамп за каждую покупку. Штампов для награды: {per_reward}. Награда: {reward}.",
        "rules_earn_stamps_item": "Штамп за каждый товар. Штампов для награды: {per_reward}. Награда: {reward}.",
        "rules_earn_stamps_listed": "Штамп за каждый товар, участвующий в программе. Штампов для награды: "
                                    "{per_reward}. Награда: {reward}.",
        "rules_earn_discount": "Скидка {discount}% на каждую покупку.",
        # surveys after a purchase (issue 16, part "surveys": usecases/surveys.py, templates/survey.html)
        "survey_nps_question": "Насколько вероятно, что вы порекомендуете «{program}» друзьям и знакомым?",
        "survey_csi_question": "Насколько вы довольны покупкой в «{program}»?",
        "survey_nps": "{question} Оцените от 0 до 10 в одно касание: {url}",
        "survey_csi": "{question} Оцените от 1 до 5 в одно касание: {url}",
        "survey_title": "Короткий опрос",
        "survey_nps_low": "0 — точно нет", "survey_nps_high": "10 — обязательно",
        "survey_csi_low": "1 — совсем недоволен", "survey_csi_high": "5 — очень доволен",
        "survey_thanks": "Спасибо за ответ!",
        "survey_bonus": "Мы начислили вам {bonus}.",
        "survey_comment": "Хотите что-то добавить? (необязательно)",
        "survey_comment_submit": "Отправить",
        "survey_comment_thanks": "Спасибо! Мы прочитаем ваш комментарий.",
        "survey_already": "Вы уже ответили на этот опрос. Спасибо!",
        "survey_expired": "Этот опрос закрыт: время для ответа истекло.",
        "survey_not_found": "Ссылка на опрос неверна. Откройте её из сообщения ещё раз.",
    },
    "en": {
        "join_title": "Loyalty card",
        "join_lead": "Fill in the form and the card lands in your phone. No app needed.",
        "name": "Name", "phone": "Phone", "email": "Email (optional)",
        "birthday": "Birthday (optional)", "ref": "Friend's code (if any)",
        "consent": "I agree to the program's terms and to the processing of my personal data",
        "submit": "Get my card", "welcome_bonus": "Welcome bonus",
        "balance": "Balance", "tier": "Tier", "card_number": "Card number",
        "add_apple": "Add to Apple Wallet", "add_google": "Save to Google Wallet",
        "show_qr": "Show this code at the counter", "rules": "Program rules",
        "blocked": "This card is blocked",
        "not_found": "Page not found", "error": "Please fix this", "language": "Русский",
        "invite": "Invite a friend with code", "next_expiry": "Next expiry",
        "marketing_consent": "Email me offers",
        "add_telegram": "Connect Telegram",
        "unsubscribe_title": "Unsubscribe from emails", "unsubscribe_button": "Stop sending me emails",
        "unsubscribed": "Done: no more emails. Your card keeps working.",
        "email_footer": "You receive this email as a member of", "email_unsubscribe": "Unsubscribe",
        "code": "Code from the text message", "confirm": "Confirm",
        "code_sent": "We texted a code to this number. Enter it to get your card.",
        "code_sms": "Your code for the {program} card: {code}. Do not share it.",
        "member": "Member", "points_label": "Points", "card_online": "Your card online",
        "expiry_line": "{count} {points} {expire} on {day}",
        "blocked_note": "This card neither earns nor spends points. Please ask the staff.",
        "friend": "friend",
        "rules_earn_points": "You earn {earn}% of every purchase in points.",
        "rules_earn_cashback": "You get {earn}% of every purchase back as cashback in points.",
        "rules_redeem_cap": "Points can pay up to {cap}% of a receipt.",
        "rules_lifetime": "Points expire after {days}.",
        "rules_lifetime_stamps": "Stamps expire after {days}.",
        "email_subject_survey": "{program}: how was your visit?",
        "email_subject_offer_issued": "{program}: a new offer for you",
        "rules_lifetime_purchases": "Points for purchases expire after {days}.",
        "telegram_linked": "Your {program} card is linked. Balance: {balance} {points}.\n/balance, /qr for the counter",
        "telegram_balance": "{program}: {balance} {points}, {available} available. Tier: {tier}.",
        "telegram_join": "Get your {program} card:", "telegram_join_button": "Get the card",
        "telegram_app_button": "Card in Telegram",
        "telegram_unknown": "Open the bot from the link on your card page to link your card.",
        "telegram_qr": "Show this code at the counter: {number}",
        "telegram_bad_link": "This link is out of date or wrong.",
        "telegram_consent": "The bot will send {program}'s offers and news here. To stop them, send /stop.",
        "telegram_stopped": "Done: {program}'s offers and news will not come here any more. Your card stays linked: "
                            "/balance, /qr for the counter. To get them again, send /start.",
        "consent_imported": "Carried over by the program's owner from their previous member list: consent was "
                            "collected before the import.",
        "expiry_warning": "Points expire on {date}: {points}. Use them in time!",
        "birthday_gift": "Happy birthday, {name}! A gift from us: {bonus}.",
        "winback_offer": "We miss you, {name}! Come back for a gift: {bonus}.",
        # join form errors and recovery (pages)
        "form_errors_title": "Please check the form:",
        "form_name_required": "Enter your name.",
        "form_name_invalid": "Your name: up to 100 characters, no control characters.",
        "form_phone_required": "Enter your phone number.",
        "form_phone_invalid": "Check the phone number, for example +7 900 000-00-00.",
        "form_email_invalid": "Check the email address, for example anna@example.com.",
        "form_birthday_invalid": "Enter your real birthday, a day in the past.",
        "form_ref_invalid": "A friend's code is Latin letters and digits, up to 16 of them.",
        "form_ref_unknown_referral": "There is no such friend's code: check it or leave the field empty.",
        "form_consent_required": "To get the card, tick your consent to the program's terms.",
        "form_code_invalid": "The code is wrong or has expired: check the text message or ask for a new one.",
        "form_phone_already_enrolled": "This phone number already has a card. You can get its link again "
                                       "under \"Already a member?\" below.",
        "form_field_invalid": "Please check this field.",
        "form_rate_limited": "Too many attempts. Try again in a few minutes.",
        "form_busy": "Many people are joining right now. Try again in a minute.",
        "form_code_not_sent": "The text message could not be sent. Try again in a minute.",
        "form_failed": "That did not work. Please try again.",
        "recover_title": "Already a member?",
        "recover_lead": "Get your card link again: enter the phone or email you joined with.",
        "recover_contact": "Phone or email", "recover_submit": "Send my card link",
        "recover_sent": "If you are a member, we sent the link to the phone or email you enrolled with.",
        "form_contact_required": "Enter a phone number or an email address.",
        "form_contact_invalid": "This looks like neither a phone number nor an email address.",
        "recover_sms": "Your {program} card: {url}",
        "recover_email_subject": "Your {program} card",
        "recover_email_text": "You asked for the link to your {program} card again. Here it is: {url}\n"
                              "If you did not ask, simply ignore this email.",
        "wallets": "Wallet on your phone",
        # --- part H2 "offers": the message a new offer arrives with (decisions.offer_issued_texts) ---
        "offer_issued": "A new offer for you: {name}, {reward}. Valid until {date}.",
        "offer_reward_points": "{points} extra",
        "offer_reward_percent": "{percent}% off",
        "offer_reward_free_item": "a free {item}",
        # issue 16, part H3 (challenges): the profile page (api/profile.py) and its bonus
        "profile_title": "Profile",
        "profile_lead": "Add your email and birthday: we will wish you a happy birthday and send your card "
                        "link again if you lose it.",
        "profile_bonus": "For completing your profile", "profile_email": "Email",
        "profile_birthday": "Birthday", "profile_submit": "Save", "profile_back": "Back to the card",
        "profile_saved": "Profile saved.", "profile_saved_bonus": "Profile complete: you got {bonus}.",
        "form_email_required": "Enter your email address.", "form_birthday_required": "Enter your birthday.",
        "form_birthday_birthday_locked": "Your birthday is already on the card: only the staff can change it.",
        "form_edit_conflict": "The card changed just now: please send the form again.",
        # --- part H5 "surfaces": the card page, the pass and the Google object show the mechanics ---
        "stamps_title": "Stamps", "stamps_label": "Stamps", "rewards_label": "Rewards",
        "stamps_aria": "{filled} of {per_reward} {stamps}",
        "stamps_reward": "A full card: {reward}",
        "rewards_ready": "Ready to collect: {reward} × {count}", "rewards_ready_plain": "Rewards to collect: {count}",
        "discount_label": "Discount", "discount_yours": "Your discount: {percent}%",
        "discount_next": "Tier {tier}: {percent}% off",
        "offers_title": "Your offers", "offers_label": "Offers", "offer_until": "until {day}",
        "card_offer_points": "+{points}", "card_offer_percent": "{percent}% off",
        "card_offer_free_item": "free: {item}",
        "challenges_title": "Challenges", "challenge_until": "until {day}", "challenge_streak": "{count} in a row",
        "card_profile_title": "Complete your profile: +{points}",
        "card_profile_lead": "Add your email and birthday and get a bonus.",
        "card_profile_email": "Email", "card_profile_birthday": "Birthday", "card_profile_submit": "Save",
        # issue 19: the member asks for their data from the card page (api/member_export.py)
        "data_title": "Your data",
        "data_lead": "Everything the program keeps about you, as one file. We send the link to where you signed "
                     "up: your email, else a text to your phone, else Telegram.",
        "data_button": "Get my data",
        "data_sent": "We sent the link to your data to {to}. It works for 24 hours.",
        "data_sent_title": "Link sent", "data_to_telegram": "your Telegram chat",
        "data_sms": "{program}: your data, link valid 24 h: {url}",
        "data_email_subject": "Your data in {program}",
        "data_email_text": "You asked for your data in {program}. Download the file from this link within 24 "
                           "hours: {url}\nIf you did not ask for it, do not open the link.",
        "data_limited": "You asked for your data several times today already. Please try again tomorrow.",
        "data_not_sent": "The link could not be sent. Please try again in a few minutes.",
        "data_no_contact": "This card has no email, phone or Telegram to send the link to. Please ask the program.",
        "data_refused": "This card's data cannot be downloaded.",
        "data_link_dead": "This link has expired or was used up. Ask for a new one on your card page.",
        # part H1 (products): the first line of a stamps or discount program's rules (core/kinds); a full
        # card is 2 stamps or more, so "stamps" always agrees
        "rules_earn_stamps": "A stamp for every purchase. Collect {per_reward} stamps for a reward: {reward}.",
        "rules_earn_stamps_item": "A stamp for every item. Collect {per_reward} stamps for a reward: {reward}.",
        "rules_earn_stamps_listed": "A stamp for every participating item. Collect {per_reward} stamps for a "
                                    "reward: {reward}.",
        "rules_earn_discount": "A {discount}% discount on every purchase.",
        # surveys after a purchase (issue 16, part "surveys": usecases/surveys.py, templates/survey.html)
        "survey_nps_question": "How likely are you to recommend {program} to a friend?",
        "survey_csi_question": "How satisfied are you with your purchase at {program}?",
        "survey_nps": "{question} Tap a score from 0 to 10: {url}",
        "survey_csi": "{question} Tap a score from 1 to 5: {url}",
        "survey_title": "A quick question",
        "survey_nps_low": "0 — not at all", "survey_nps_high": "10 — definitely",
        "survey_csi_low": "1 — very unhappy", "survey_csi_high": "5 — very happy",
        "survey_thanks": "Thank you for your answer!",
        "survey_bonus": "We have added {bonus} to your card.",
        "survey_comment": "Anything to add? (optional)",
        "survey_comment_submit": "Send",
        "survey_comment_thanks": "Thank you! We will read your comment.",
        "survey_already": "You have already answered this survey. Thank you!",
        "survey_expired": "This survey is closed: the time to answer has passed.",
        "survey_not_found": "This survey link is not valid. Open it again from the message.",
    },
}

# Words that agree with a number: Russian (one, few, many), English (one, other). A message's template
# may use any of its language's words; each agrees with the message's {count}.
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {"points": ("балл", "балла", "баллов"), "days": ("день", "дня", "дней"),
           "expire": ("сгорит", "сгорят", "сгорят"),
           "stamps_of": ("штампа", "штампов", "штампов"),  # part H5: "6 из 9 штампов" (genitive after "из")
           "stamps": ("штамп", "штампа", "штампов")},
    "en": {"points": ("point", "points"), "days": ("day", "days"), "expire": ("expires", "expire"),
           "stamps_of": ("stamp", "stamps"),  # part H5: "6 of 9 stamps"
           "stamps": ("stamp", "stamps")},
}
_TEENS = range(11, 15)  # Russian 11–14 take the "many" form whatever their last digit
_FEW = range(2, 5)
_TENS, _HUNDREDS = 10, 100


def language(code: str | None) -> str:
    """A language we have words for: the one asked for, or the default."""
    return code if code in CATALOGUE else DEFAULT_LANGUAGE


def plural(n: int, forms: tuple[str, ...], lang: str) -> str:
    """The form of a counted word that agrees with `n`: Russian forms are (one, few, many), English
    (one, other)."""
    if lang == "ru":
        if n % _TENS == 1 and n % _HUNDREDS != _TEENS.start:
            return forms[0]
        if n % _TENS in _FEW and n % _HUNDREDS not in _TEENS:
            return forms[1]
        return forms[2]
    return forms[0] if n == 1 else forms[1]


def word(n: int, name: str, lang: str) -> str:
    """A counted word of WORDS that agrees with `n`: word(5, "points", "ru") -> "баллов"."""
    lang = language(lang)
    return plural(n, WORDS[lang][name], lang)


def count(n: int, name: str, lang: str) -> str:
    """A number with its counted word: count(21, "points", "ru") -> "21 балл"."""
    return f"{n} {word(n, name, lang)}"


def text(key: str, lang: str, **values: object) -> str:
    """One catalogue text in `lang`, formatted with `values`."""
    template = CATALOGUE[language(lang)][key]
    return template.format(**values) if values else template


def rules(mechanics: Mechanics, tier_id: str | None, lang: str) -> tuple[str, ...]:
    """The program's rules for a customer of `tier_id`, one sentence each: how one earns (told by the
    program's kind), how much of a receipt points can pay, how long points last."""
    tier = mechanics.tier(tier_id)
    kind = kind_named(mechanics.kind)
    earning = kind.earn_phrase(mechanics, tier)
    values = {name: program_texts.pick(value, lang) if isinstance(value, Mapping) else value  # a name in languages
              for name, value in earning.values.items()}
    sentences = [text(earning.key, lang, **values)]
    if kind.spends_points:  # stamps pay with rewards, a discount card holds no points
        sentences.append(text("rules_redeem_cap", lang, cap=percent(mechanics.redeem_cap_bp)))
    purchases = mechanics.lifetime_for("purchase")
    if purchases and mechanics.kind != "discount":  # other sources' lifetimes show on the card's expiry line
        key = ("rules_lifetime_stamps" if mechanics.kind == "stamps"
               else "rules_lifetime_purchases" if mechanics.lifetime_by_source else "rules_lifetime")
        sentences.append(text(key, lang, days=count(purchases, "days", lang)))
    return tuple(sentences)


def rules_text(mechanics: Mechanics, tier_id: str | None, lang: str) -> str:
    """The rules as one paragraph (a pass's back field, a Google text module)."""
    return " ".join(rules(mechanics, tier_id, lang))


def localized(key: str) -> Mapping[str, str]:
    """A catalogue text in every language (Google's localized strings)."""
    return {lang: CATALOGUE[lang][key] for lang in LANGUAGES}


# --- days in words ---------------------------------------------------------------------------------

MONTHS = {  # Russian months in the genitive ("31 декабря"), as a date is said
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
           "ноября", "декабря"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def day_text(day: date, lang: str, today: date | None = None) -> str:
    """A day as a reader says it: "31 декабря", "31 December"; with the year when it is not `today`'s."""
    lang = language(lang)
    said = f"{day.day} {MONTHS[lang][day.month - 1]}"
    return said if today is not None and day.year == today.year else f"{said} {day.year}"


def expiry_line(points: int, day: date, lang: str, today: date | None = None, unit: str = "points") -> str:
    """The card page's expiry fact: "120 баллов сгорят 31 декабря", "1 point expires on 31 December";
    `unit` "stamps" for a stamp card ("3 штампа сгорят…")."""
    lang = language(lang)
    words = {name: plural(points, forms, lang) for name, forms in WORDS[lang].items()}
    words["points"] = words[unit]
    return text("expiry_line", lang, count=points, **words, day=day_text(day, lang, today))


# --- trigger messages: built-in defaults, owners' overrides -----------------------------------------

# The messages the daily triggers send, and the {placeholders} each may use: {name} the holder's name,
# {bonus} and {points} a number of points with its counted word ("120 баллов"), {date} a day in words.
TRIGGERS: dict[str, tuple[str, ...]] = {
    "birthday_gift": ("name", "bonus"),
    "winback_offer": ("name", "bonus"),
    "expiry_warning": ("points", "date"),
}
MESSAGE_MAX = 300  # characters: a wallet notice and a Telegram message show it whole
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

Overrides = Mapping[str, Mapping[str, str]]  # trigger -> locale -> the owner's text


class TriggerText(TypedDict):
    """A trigger's text in one language, as the admin API lists it."""

    trigger: str  # a name of TRIGGERS
    locale: str
    text: str  # what is sent: the owner's text, or the default
    default: str
    overridden: bool
    placeholders: list[str]


def parse_messages(data: object, current: Overrides | None = None) -> dict[str, dict[str, str]]:
    """A program's `messages` as sent, merged over its `current` overrides: {trigger: {locale: text}};
    a null or empty text removes that override (the default applies again). Every {placeholder} must be
    one of the trigger's (errors name the text: `messages.birthday_gift.ru`)."""
    data = v.require_object(data, "messages")
    v.reject_unknown(data, TRIGGERS, "messages")
    merged = {trigger: dict(texts) for trigger, texts in (current or {}).items()}
    for trigger, raw in data.items():
        prefix = f"messages.{trigger}"
        by_locale = v.require_object(raw, prefix)
        v.reject_unknown(by_locale, LANGUAGES, prefix)
        kept = merged.setdefault(trigger, {})
        for locale in by_locale:
            written = v.read_str(by_locale, locale, prefix=prefix, max_len=MESSAGE_MAX)
            if written is None:
                kept.pop(locale, None)
                continue
            unknown = [name for name in _PLACEHOLDER.findall(written) if name not in TRIGGERS[trigger]]
            if unknown:
                raise InvalidInput(f"'{prefix}.{locale}' uses {{{unknown[0]}}}; this message knows "
                                   + ", ".join(f"{{{name}}}" for name in TRIGGERS[trigger]) + ".",
                                   code="unknown_placeholder", field=f"{prefix}.{locale}")
            kept[locale] = written
    return {trigger: texts for trigger, texts in merged.items() if texts}


def message_template(trigger: str, lang: str, overrides: Overrides | None = None) -> str:
    """The text a trigger sends in `lang`: the owner's if they wrote one, else the catalogue's."""
    lang = language(lang)
    return (overrides or {}).get(trigger, {}).get(lang) or CATALOGUE[lang][trigger]


def render_message(template: str, lang: str, values: Mapping[str, object]) -> str:
    """`template` with its {placeholders} filled: numbers of points with their counted word, days in
    words; anything else in braces stays as written (only known placeholders pass validation)."""
    today = values.get("today")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name)
        if value is None:
            return match.group(0)
        if name in ("bonus", "points") and isinstance(value, int):
            return count(value, "points", lang)
        if isinstance(value, date):
            return day_text(value, lang, today if isinstance(today, date) else None)
        return str(value)
    return _PLACEHOLDER.sub(fill, template)


def trigger_message(trigger: str, overrides: Overrides | None = None, **values: Any) -> dict[str, str]:
    """A trigger's message in every language, {"ru": …, "en": …}, from the owner's texts or the defaults."""
    return {lang: render_message(message_template(trigger, lang, overrides), lang,
                                 {"name": values.get("name") or CATALOGUE[lang]["friend"], **{
                                     key: value for key, value in values.items() if key != "name"}})
            for lang in LANGUAGES}


def messages_listing(overrides: Overrides | None) -> list[TriggerText]:
    """Every trigger's text in every language: the effective one, the built-in default, its placeholders."""
    return [{"trigger": trigger, "locale": lang, "text": message_template(trigger, lang, overrides),
             "default": CATALOGUE[lang][trigger], "overridden": bool((overrides or {}).get(trigger, {}).get(lang)),
             "placeholders": list(placeholders)}
            for trigger, placeholders in TRIGGERS.items() for lang in LANGUAGES]


def expiry_warning(points: int, day: date, overrides: Overrides | None = None,
                   today: date | None = None) -> dict[str, str]:
    """The warning before points expire ("Баллы сгорают 5 марта: 21 балл. …"; the year when not `today`'s)."""
    return trigger_message("expiry_warning", overrides, points=points, date=day, today=today)


def birthday_gift(points: int, name: str | None = None, overrides: Overrides | None = None) -> dict[str, str]:
    return trigger_message("birthday_gift", overrides, bonus=points, name=name)


def winback_offer(points: int, name: str | None = None, overrides: Overrides | None = None) -> dict[str, str]:
    return trigger_message("winback_offer", overrides, bonus=points, name=name)
