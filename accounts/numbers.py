"""Decimal limits that hold alike on PostgreSQL and on SQLite.

SQLite keeps a decimal column as a 64-bit float, exact to 15 significant
digits. A 16th digit is rounded away on save, and a value that rounds up past
the column's width (99999999999999.99 rounds to 1E+14) cannot be read back
at all: Django's quantize raises InvalidOperation. So every number a user
gives is held to 15 significant digits, on both databases.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

EXACT_DIGITS = 15

# The one wording of each sign rule, said alike by the deal page, the API
# and the import.
AMOUNT_BELOW_ZERO = "The amount cannot be below zero."
RATE_NOT_ABOVE_ZERO = "A currency rate must be above zero."


def zero_unsigned(number: Decimal) -> Decimal:
    """Return the number, with a zero written "-0" as plain 0 of its places."""
    # Decimal keeps the sign of zero: "-0" would be stored and shown as -0.00.
    return number.copy_abs() if number.is_zero() else number


def significant_digits(number: Decimal) -> int:
    """Return how many significant digits `number` has (0.50 has 1)."""
    if not number.is_finite() or number.is_zero():
        return 0
    return len(number.normalize().as_tuple().digits)


def too_large_message(*, whole_digits: int) -> str:
    """Return the one message for a number too large for where it is kept.

    The deal page, the API and the import all say this, whichever limit
    Django's own check trips first (digits in total or before the point).
    """
    return f"Too large: at most {whole_digits} digits before the decimal point."


def too_large_messages(*, max_digits: int, decimal_places: int) -> dict[str, str]:
    """Return a decimal model field's error messages for too large a number."""
    message = too_large_message(whole_digits=max_digits - decimal_places)
    return {"max_digits": message, "max_whole_digits": message}


@deconstructible
class ExactDigitsValidator:
    """Refuse a number with more significant digits than SQLite keeps."""

    message = "Ensure that there are no more than %(max)s significant digits."
    code = "max_significant_digits"

    def __call__(self, value: Any) -> None:
        if isinstance(value, Decimal) and significant_digits(value) > EXACT_DIGITS:
            raise ValidationError(
                self.message, code=self.code, params={"max": EXACT_DIGITS}
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExactDigitsValidator)

    def __hash__(self) -> int:
        return hash(self.code)


def sqlite_unreadable_decimals_repair(
    *, connection: Any, table: str, column: str, whole_digits: int
) -> int:
    """Rewrite the values SQLite can no longer read back; return how many.

    A stored float that rounds, at 15 digits, to more whole digits than the
    column holds is set to the nearest value that reads: 15 nines, with the
    sign kept. Only SQLite stores such values; elsewhere nothing changes.
    """
    if connection.vendor != "sqlite":
        return 0
    limit = Decimal(10) ** whole_digits
    unreadable = limit - Decimal(5).scaleb(whole_digits - EXACT_DIGITS - 1)
    readable = limit - Decimal(1).scaleb(whole_digits - EXACT_DIGITS)
    quoted_table = connection.ops.quote_name(table)
    quoted_column = connection.ops.quote_name(column)
    repaired = 0
    with connection.cursor() as cursor:
        for sign in (1, -1):
            # Floats on both sides: SQLite never orders a number against text.
            cursor.execute(
                f"UPDATE {quoted_table} SET {quoted_column} = %s "  # noqa: S608
                f"WHERE {quoted_column} * %s >= %s",
                [str(sign * readable), float(sign), float(unreadable)],
            )
            repaired += cursor.rowcount
    return repaired
