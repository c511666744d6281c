"""One blueprint per caller: join (customer pages), admin, and later passkit, pos, telegram."""
