"""Messages to people: wallet notices, email, Telegram; the outbox."""
