"""Wallet passes: Apple (.pkpass signing, APNs push) and Google (save links, REST)."""
