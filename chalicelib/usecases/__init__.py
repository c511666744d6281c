"""Use cases: what api and jobs call. They take decisions from `core` and effects from `store`
(and later `wallet` and `channels`)."""
