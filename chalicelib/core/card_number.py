"""Card numbers people can read out and type: 12 digits, the last a Luhn check digit.

The check digit catches every single-digit typo and most swapped neighbours, so a cashier's typo is
a clear 400, not a lookup of somebody else's card.
"""
import re

from chalicelib.core.digits import ascii_digits

LENGTH = 12
_LARGEST_DIGIT = 9


def luhn_digit(body: str) -> str:
    """The check digit to append to `body` (a string of digits)."""
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:  # these positions are doubled once the check digit is appended
            digit *= 2
            if digit > _LARGEST_DIGIT:
                digit -= _LARGEST_DIGIT  # the sum of its two digits
        total += digit
    return str((10 - total % 10) % 10)


def from_random(random_digits: str) -> str:
    """Build a number from LENGTH-1 random digits (the first must not be 0, so it never looks short)."""
    if len(random_digits) != LENGTH - 1 or not random_digits.isdigit() or random_digits[0] == "0":
        raise ValueError("need 11 digits, the first not zero")
    return random_digits + luhn_digit(random_digits)


def normalise(text: str) -> str | None:
    """The number in canonical form (digits only), or None when it is not a well-formed card number."""
    if not isinstance(text, str):
        return None
    digits = re.sub(r"[\s-]", "", ascii_digits(text))  # '٤٨٢١…' is the same number as '4821…'
    if len(digits) != LENGTH or not (digits.isascii() and digits.isdigit()) or digits[0] == "0":
        return None
    if luhn_digit(digits[:-1]) != digits[-1]:
        return None
    return digits


def display(number: str) -> str:
    """Grouped by four for people: 4821 7730 9152."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))
