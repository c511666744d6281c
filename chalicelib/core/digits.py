"""Digits as people type them: any script's decimal digits are the same digits.

Phones and card numbers arrive from keyboards set to Arabic, Persian, Hindi or a fullwidth East Asian
layout; `٠١٢` and `０１２` are the digits 0, 1, 2 (Unicode category Nd). Every such digit is folded to
ASCII here, once, so one number has one canonical form (and one alias, one card).
"""
import unicodedata


def ascii_digits(text: str) -> str:
    """`text` with every decimal digit (category Nd, any script) written as its ASCII digit; every other
    character is left as it was (superscripts and other number-like signs are not decimal digits)."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(char)) if unicodedata.category(char) == "Nd" else char for char in text)
