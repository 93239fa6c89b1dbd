"""Money as typed into a form: a plain decimal number of yuan with at most two decimals, never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_AMOUNT = Decimal(10) ** 10
CENTS = Decimal("0.01")


class MoneyError(ValueError):
    """What is wrong with a typed amount, in words for the person who typed it."""


def parse_money(text: str, what: str = "amount") -> Decimal | None:
    """Empty is none; else a number from 0 to 10^10 with at most two decimals.

    ``Decimal`` alone would take "NaN", "Infinity" and "1e11", which the
    reports cannot sum and the columns (``Numeric(13, 2)``) cannot hold.
    """
    text = text.strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MoneyError(f"{what} {text[:20]!r} is not a number (write it like 1234.50)") from None
    if not amount.is_finite():
        raise MoneyError(f"{what} must be a number (write it like 1234.50)")
    if not 0 <= amount <= MAX_AMOUNT:
        raise MoneyError(f"{what} must be between 0 and 10,000,000,000")
    if amount != amount.quantize(CENTS):
        raise MoneyError(f"{what} has at most two decimals (cents)")
    return amount.quantize(CENTS)
