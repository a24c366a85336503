"""The keys an import finds a revenue line by again; no database here.

An invoice extract's line is keyed by its invoice or document number when
the file has one, else by a digest of the values it was read with. Either
way the key counts how often the same number or digest came before it in
the same file, so the second of two identical lines is a line of its own,
and the same file read again (or an extract overlapping it) finds each line
it wrote instead of adding it twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from decimal import Decimal


def quarter_start(day: date) -> date:
    """Return the first day of the calendar quarter holding `day`."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def won_key(*, account_id: int, product_id: int, quarter: date) -> str:
    """Return the key of the line summing one quarter's won deals."""
    return f"won:{account_id}:{product_id}:{quarter.isoformat()}"


def row_digest(
    *,
    account: str,
    product: str,
    booked_on: date,
    amount: Decimal,
    currency: str,
) -> str:
    """Return a stable digest of the values an invoice line was read with."""
    parts = [
        account,
        product,
        booked_on.isoformat(),
        # 1500, 1500.0 and 1500.00 are one amount.
        f"{amount.quantize(Decimal('0.01')):f}",
        currency,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class LineKeys:
    """Hand out the keys of one file's invoice lines in the order read."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()

    def invoice(self, number: str) -> str:
        return self._next(f"invoice:{number}")

    def row(self, digest: str) -> str:
        return self._next(f"row:{digest}")

    def _next(self, base: str) -> str:
        self.seen[base] += 1
        return f"{base}:{self.seen[base]}"
