"""The wallet card's notice: the latest message, shown on the pass (Apple announces its change on the lock
screen after the push) and sent as a Google message. It is written with the card, in the transaction
that changes the pass (`usecases/notices.py`), so it never waits in the outbox as a message of its own;
the pushes that announce it do (`pass#`, `gnotice#` items)."""
from chalicelib.channels import Letter, Recipient, Refused


class WalletNotice:
    name = "wallet"
    with_card = True
    offered = True

    def reaches(self, recipient: Recipient) -> bool:
        return True  # every card is a wallet card; it needs no consent

    def send(self, recipient: Recipient, letter: Letter) -> None:
        raise Refused("a wallet notice is written with its card, never sent from the outbox")

    def is_permanent(self, error: Exception) -> bool:
        return isinstance(error, Refused)
