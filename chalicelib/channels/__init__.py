"""Messages to people: wallet notices, email, Telegram; the outbox."""


class DeliveryUnknown(Exception):
    """A send whose outcome nobody knows: the request may have reached the service, but no answer came
    (a read timeout, a dropped connection). Telegram and SES take no idempotency key, so sending again
    could deliver the message twice: the outbox records such a message as 'unknown' instead."""


class Refused(Exception):
    """The service refused this message for good (a blocked bot, a chat that is gone): no retry helps."""
