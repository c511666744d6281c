"""What a POS provider is (`Provider`) and the registry the generic route finds it in (see __init__.py)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from chalicelib.commands.pos import RecordReceipt, RecordRefund
from chalicelib.errors import NotFound
from chalicelib.store.records import Program


@dataclass(frozen=True)
class Delivery:
    """A webhook call as it reached us: what a provider's signature is checked against."""

    headers: Mapping[str, str]  # lower-case names
    method: str
    path: str  # as signed: without API Gateway's stage, with the query string
    body: bytes


PosCommand = RecordReceipt | RecordRefund


class Provider(Protocol):
    """One POS system. `name` is the `{provider}` of the route."""

    @property
    def name(self) -> str: ...

    def authenticate(self, delivery: Delivery, now: datetime) -> Program:
        """The program the delivery acts for, or `errors.Unauthorized` (401 with the contract's codes)."""
        ...

    def command(self, delivery: Delivery, program: Program, now: datetime) -> PosCommand:
        """The receipt or refund the event means, parsed with the commands' strict readers."""
        ...


@runtime_checkable
class CountsMisses(Protocol):
    """Optional for a provider: what to do when an event names a card number that is no card."""

    def card_missed(self, delivery: Delivery, now: datetime) -> None:
        """A card number in the event was no card of the program: count it against whatever the provider
        limits callers by (our POS keys count look-up misses, README "Limits"), so that a caller cannot
        probe card numbers through the webhook more freely than through /pos/cards. A provider whose
        callers are no guessers (a signed platform webhook) does nothing."""
        ...


PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    if provider.name in PROVIDERS:
        raise ValueError(f"POS provider {provider.name!r} is registered twice")
    PROVIDERS[provider.name] = provider
    return provider


def provider_named(name: str) -> Provider:
    provider = PROVIDERS.get(name)
    if provider is None:
        raise NotFound("No such POS integration.", code="unknown_provider", field="provider")
    return provider
