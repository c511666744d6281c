"""The invitation letter a new staff member receives (SES, the same sender and endpoint as the customers'
e-mail): where the console is, the sign-in e-mail and the temporary password, in the member's language.

Cognito's own invitation is switched off (MessageAction SUPPRESS) so the letter speaks the member's
language and names the business. Locally SES is moto's (SES_ENDPOINT): the letters sent are listed by its
`GET /moto-api/data.json` (`ses` → `Message`), which is how tests/e2e/stack.py `Stack.last_email` reads them.
"""
from dataclasses import dataclass
from html import escape

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import log
from chalicelib.channels import email as email_channel
from chalicelib.config import settings
from chalicelib.errors import TryAgain

TEMPORARY_PASSWORD_DAYS = 7  # the pool's TemporaryPasswordValidityDays (infra/template.py)

ROLE_NAMES = {
    "ru": {"owner": "владелец", "manager": "менеджер", "analyst": "аналитик", "cashier": "кассир"},
    "en": {"owner": "owner", "manager": "manager", "analyst": "analyst", "cashier": "cashier"},
}
SUBJECTS = {"ru": "Приглашение в консоль «{merchant}»", "en": "Your invitation to the {merchant} console"}
BODIES = {
    "ru": ("Здравствуйте{greeting_name}!\n\n"
           "Вас пригласили в консоль программы лояльности «{merchant}», роль: {role}.\n\n"
           "Адрес: {url}\nЛогин: {email}\nВременный пароль: {password}\n\n"
           "При первом входе задайте свой пароль. Временный пароль действует {days} дней.\n"
           "Если вы не ждали этого письма, просто удалите его."),
    "en": ("Hello{greeting_name},\n\n"
           "You have been invited to the {merchant} loyalty console as {role}.\n\n"
           "Address: {url}\nE-mail: {email}\nTemporary password: {password}\n\n"
           "Choose your own password when you first sign in. The temporary one works for {days} days.\n"
           "If you did not expect this letter, just delete it."),
}


@dataclass(frozen=True)
class Invitation:
    email: str
    name: str | None
    role: str
    language: str  # ru | en
    merchant_name: str
    password: str


def console_url() -> str:
    return f"{settings().public_base_url}/console"


def letter(invitation: Invitation) -> tuple[str, str, str]:
    """(subject, text, html) in the invitation's language."""
    language = invitation.language if invitation.language in BODIES else "ru"
    values = {"greeting_name": f", {invitation.name}" if invitation.name else "", "merchant": invitation.merchant_name,
              "role": ROLE_NAMES[language][invitation.role], "url": console_url(), "email": invitation.email,
              "password": invitation.password, "days": TEMPORARY_PASSWORD_DAYS}
    subject = SUBJECTS[language].format(**values)
    text = BODIES[language].format(**values)
    html = "".join(f"<p>{escape(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in text.split("\n\n"))
    return subject, text, f'<!doctype html><html lang="{language}"><body>{html}</body></html>'


def send(invitation: Invitation) -> str:
    """Send the letter; returns SES's message id. SES refusing or out of reach is `503 invitation_not_sent`:
    the account exists, and inviting the same e-mail again sends a new letter."""
    subject, text, html = letter(invitation)
    try:
        # the customers' e-mail channel's client: the same SES settings, one client per process
        answer = email_channel._client().send_email(
            FromEmailAddress=settings().email_from, Destination={"ToAddresses": [invitation.email]},
            Content={"Simple": {"Subject": {"Data": subject, "Charset": "UTF-8"},
                                "Body": {"Text": {"Data": text, "Charset": "UTF-8"},
                                         "Html": {"Data": html, "Charset": "UTF-8"}}}})
    except (BotoCoreError, ClientError) as error:
        log.warning("invitation_not_sent", error_type=type(error).__name__)
        raise TryAgain("The invitation letter could not be sent; invite the same e-mail again in a minute.",
                       status=503, code="invitation_not_sent", retry_after=60) from None
    return str(answer["MessageId"])
