"""Templates rendered to text: the customer pages' and emails' Jinja2 environment and their words in
Russian and English. Jinja2 loads on first use, not at import (cold start)."""
from functools import lru_cache

from chalicelib import assets

STRINGS = {
    "ru": {
        "join_title": "Карта лояльности",
        "join_lead": "Заполните форму — карта появится в телефоне. Приложение не нужно.",
        "name": "Имя", "phone": "Телефон", "email": "Эл. почта (необязательно)",
        "birthday": "День рождения (необязательно)", "ref": "Код друга (если есть)",
        "consent": "Я согласен(на) с правилами программы и обработкой персональных данных",
        "submit": "Получить карту", "welcome_bonus": "Приветственный бонус",
        "points": "баллов", "balance": "Баланс", "tier": "Уровень", "card_number": "Номер карты",
        "add_apple": "Добавить в Apple Wallet", "add_google": "Сохранить в Google Wallet",
        "show_qr": "Покажите этот код на кассе", "rules": "Правила программы",
        "earn_rate": "Начисление", "of_purchase": "от суммы покупки",
        "redeem_cap": "Баллами можно оплатить до", "of_receipt": "чека",
        "expires": "Баллы сгорают через", "days": "дней", "blocked": "Карта заблокирована",
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
    },
    "en": {
        "join_title": "Loyalty card",
        "join_lead": "Fill in the form and the card lands in your phone. No app needed.",
        "name": "Name", "phone": "Phone", "email": "Email (optional)",
        "birthday": "Birthday (optional)", "ref": "Friend's code (if any)",
        "consent": "I agree to the program's terms and to the processing of my personal data",
        "submit": "Get my card", "welcome_bonus": "Welcome bonus",
        "points": "points", "balance": "Balance", "tier": "Tier", "card_number": "Card number",
        "add_apple": "Add to Apple Wallet", "add_google": "Save to Google Wallet",
        "show_qr": "Show this code at the counter", "rules": "Program rules",
        "earn_rate": "You earn", "of_purchase": "of every purchase",
        "redeem_cap": "Points can pay up to", "of_receipt": "of a receipt",
        "expires": "Points expire after", "days": "days", "blocked": "This card is blocked",
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
    },
}


@lru_cache(maxsize=1)
def environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(assets.directory("templates"))),
                              autoescape=jinja2.select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render_text(template: str, locale: str, **context) -> str:
    """A template rendered to a string (emails)."""
    other = "en" if locale == "ru" else "ru"
    return environment().get_template(template).render(t=STRINGS[locale], locale=locale, other_locale=other,
                                                        **context)
