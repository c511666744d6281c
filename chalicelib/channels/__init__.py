"""Messages to people: wallet notices, email, Telegram, SMS. What a channel is (`Channel`), what it is
handed (`Recipient`, `Letter`) and how it says a send went wrong (`DeliveryUnknown`, `Refused`); the
channels themselves are registered in `channels/registry.py`, one line each.

A channel knows nothing of cards as stored or of use cases: `usecases/notices.py` builds its
`Recipient` and `Letter` and decides when to send; the outbox (`jobs/outbox.py`) delivers and retries."""
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class DeliveryUnknown(Exception):
    """A send whose outcome nobody knows: the request may have reached the service, but no answer came
    (a read timeout, a dropped connection). Telegram and SES take no idempotency key, so sending again
    could deliver the message twice: the outbox records such a message as 'unknown' instead."""


class Refused(Exception):
    """The service refused this message for good (a blocked bot, a chat that is gone): no retry helps."""


@dataclass(frozen=True)
class Recipient:
    """The customer a message is for, as the channels see them: addresses, consents and links."""

    card_id: str
    locale: str
    consents: Mapping[str, Any] = field(default_factory=dict)  # per channel: {"email": True}, from the consent records
    email: str | None = None
    phone: str | None = None
    telegram_chat_id: int | None = None
    card_url: str = ""
    unsubscribe_url: str = ""


@dataclass(frozen=True)
class Letter:
    """One message's content: the text in the customer's language, and the program it comes from."""

    kind: str  # campaign, birthday, expiry_warning, ...
    text: str
    program_name: str
    branding: Mapping[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    """A way to reach a customer. Its `name` is the one campaigns choose in `channels`, the prefix of
    its outbox items (`<name>#<card>#<kind>#<micros>`) and the `channel` of its message records.

    `with_card`: the message is written with the card itself (the wallet notice: its pass changes, in
    the same transaction); otherwise it waits in the outbox and `send` delivers it from there.
    `offered`: campaigns may choose it, and it is among "all channels" (the default)."""

    name: str
    with_card: bool
    offered: bool

    def reaches(self, recipient: Recipient) -> bool:
        """The customer can be reached here and agreed to be (consent and an address)."""
        ...

    def send(self, recipient: Recipient, letter: Letter) -> None:
        """Deliver now. Raise `Refused` (or what `is_permanent` says) when no retry can help,
        `DeliveryUnknown` when it may have gone out, anything else to be retried with backoff."""
        ...

    def is_permanent(self, error: Exception) -> bool:
        """The service refused for good: the outbox parks the message at once instead of retrying."""
        ...
