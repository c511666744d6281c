"""The channels, by name: one registration line each (README "Adding a channel"). Notices, the outbox,
campaigns and the admin's view of parked deliveries find a channel here, never by its name spelled out."""
from chalicelib.channels import Channel
from chalicelib.channels.email import EmailChannel
from chalicelib.channels.sms import SmsChannel
from chalicelib.channels.telegram import TelegramChannel
from chalicelib.channels.wallet_notice import WalletNotice

_CHANNELS: dict[str, Channel] = {}
# Prefixes of the wallet's own outbox items (store/outbox.py, store/messages.py): no channel may take one.
WALLET_ITEMS = frozenset({"pass", "google", "gclass", "gnotice", "notice", "refresh", "forget"})


def register(channel: Channel) -> Channel:
    """Add a channel. Its name must be new, must not hold '#' (the outbox keys' separator) and must not be
    the prefix of one of the wallet's own outbox items."""
    if not channel.name or "#" in channel.name or channel.name in _CHANNELS or channel.name in WALLET_ITEMS:
        raise ValueError(f"cannot register channel {channel.name!r}")
    _CHANNELS[channel.name] = channel
    return channel


def unregister(name: str) -> None:
    """Remove a channel (tests that register one of their own)."""
    _CHANNELS.pop(name, None)


def get(name: str) -> Channel | None:
    return _CHANNELS.get(name)


def of_item(item_key: str) -> Channel | None:
    """The channel an outbox item (`<name>#…`) carries a message of; None for the wallet's own items."""
    channel = _CHANNELS.get(item_key.split("#", 1)[0])
    return channel if channel is not None and not channel.with_card else None


def names() -> tuple[str, ...]:
    """Every channel's name, in registration order (an erasure drops the card's items of each)."""
    return tuple(_CHANNELS)


def offered() -> tuple[str, ...]:
    """The channels campaigns may choose, in registration order: "all channels" when none is chosen."""
    return tuple(name for name, channel in _CHANNELS.items() if channel.offered)


def outboxed(names: tuple[str, ...] | list[str]) -> list[Channel]:
    """Of `names`, the channels whose messages go out from the outbox, in registration order."""
    return [channel for name, channel in _CHANNELS.items() if name in names and not channel.with_card]


register(WalletNotice())
register(EmailChannel())
register(TelegramChannel())
register(SmsChannel())
