"""Percentages as the rules keep them: basis points (hundredths of a percent), so no float reaches money
arithmetic."""

WHOLE = 10_000  # basis points in a whole
_PER_PERCENT = 100


def percent(basis_points: int) -> int | float:
    """Basis points back to the percent people write: 500 -> 5, 525 -> 5.25."""
    if basis_points % _PER_PERCENT == 0:
        return basis_points // _PER_PERCENT
    return basis_points / _PER_PERCENT
