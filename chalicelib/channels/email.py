"""Email through Amazon SES (API v2). SES_ENDPOINT points it at moto locally; in AWS it is unset.

Bounded: a connection must open within 3 s and SES answer within 10 s. botocore does not retry by
itself here (one attempt): SES v2 takes no idempotency key, so a repeat after a read timeout could send
the email twice. A send that could not connect is retried by the outbox; one whose answer never came
is recorded as of unknown outcome (DeliveryUnknown) and not repeated."""
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

from chalicelib import rendering
from chalicelib.channels import DeliveryUnknown, Letter, Recipient, Refused
from chalicelib.config import settings
from chalicelib.core import texts

CONNECT_TIMEOUT = 3
READ_TIMEOUT = 10


class EmailUncertain(DeliveryUnknown):
    pass


@lru_cache(maxsize=1)
def _client() -> Any:
    s = settings()
    config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"total_max_attempts": 1})
    return botocore.session.get_session().create_client("sesv2", region_name=s.region, endpoint_url=s.ses_endpoint,
                                                        config=config)


def send(to: str, subject: str, text: str, html: str, unsubscribe_url: str) -> str:
    """Send one email with a one-click unsubscribe (RFC 8058); returns SES's message id."""
    try:
        answer = _client().send_email(
            FromEmailAddress=settings().email_from,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {
                "Subject": {"Data": subject[:200], "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
                "Headers": [{"Name": "List-Unsubscribe", "Value": f"<{unsubscribe_url}>"},
                            {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}]}})
    except (ReadTimeoutError, ConnectionClosedError) as error:
        raise EmailUncertain(type(error).__name__) from None
    return str(answer["MessageId"])


class EmailChannel:
    """Marketing email: to customers who gave an address and ticked the consent (and have not
    unsubscribed since), with the card's link and a one-click unsubscribe."""

    name = "email"
    with_card = False
    offered = True

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.consents.get("email") and recipient.email)

    def send(self, recipient: Recipient, letter: Letter) -> None:
        locale = recipient.locale if recipient.locale in ("ru", "en") else "ru"
        unsubscribe = recipient.unsubscribe_url
        html = rendering.render_text("email.html", locale, program_name=letter.program_name, brand=letter.branding,
                                     text=letter.text, card_url=recipient.card_url, unsubscribe_url=unsubscribe)
        send(str(recipient.email), subject(letter, locale), f"{letter.text}\n\n{unsubscribe}", html, unsubscribe)

    def is_permanent(self, error: Exception) -> bool:
        return isinstance(error, Refused)


def subject(letter: Letter, locale: str) -> str:
    """The program's name, and what the message is when the catalogue names its kind ("email_subject_survey")."""
    key = f"email_subject_{letter.kind}"
    if key in texts.CATALOGUE[texts.language(locale)]:
        return texts.text(key, locale, program=letter.program_name)
    return letter.program_name
