"""Email through Amazon SES (API v2). SES_ENDPOINT points it at moto locally; in AWS it is unset."""
from functools import lru_cache

from chalicelib.config import settings


@lru_cache(maxsize=1)
def _client():
    import botocore.session

    s = settings()
    return botocore.session.get_session().create_client("sesv2", region_name=s.region, endpoint_url=s.ses_endpoint)


def send(to: str, subject: str, text: str, html: str, unsubscribe_url: str) -> str:
    """Send one email with a one-click unsubscribe (RFC 8058); returns SES's message id."""
    answer = _client().send_email(
        FromEmailAddress=settings().email_from,
        Destination={"ToAddresses": [to]},
        Content={"Simple": {
            "Subject": {"Data": subject[:200], "Charset": "UTF-8"},
            "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            "Headers": [{"Name": "List-Unsubscribe", "Value": f"<{unsubscribe_url}>"},
                        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}]}})
    return answer["MessageId"]
