"""POS providers: each turns its system's signed webhook into our receipt and refund commands.

A provider is one module with one object satisfying `Provider`, registered with one line in this file
(`register(module.PROVIDER)`). `POST /integrations/{provider}/events` (api/integrations.py)
finds it by name, lets it check the request's signature (and say which program the request acts for),
asks it for the command the event means, and runs the same use cases as /pos/receipts and /pos/refunds:
the same idempotency (the command's id and the hash of the sale as the provider described it), the same
answers. A provider never writes anything itself."""
from chalicelib.integrations import evotor, shopify, signed_webhook, square
from chalicelib.integrations.base import (
                                          PROVIDERS,
                                          CountsMisses,
                                          Delivery,
                                          PosCommand,
                                          Provider,
                                          provider_named,
                                          register,
)

__all__ = ["PROVIDERS", "CountsMisses", "Delivery", "PosCommand", "Provider", "provider_named", "register"]

# The providers, one line each.
register(signed_webhook.PROVIDER)
register(square.PROVIDER)
register(shopify.PROVIDER)
register(evotor.PROVIDER)
