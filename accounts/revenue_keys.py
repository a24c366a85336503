"""The keys an import finds a revenue line by again; no database here.

An invoice extract's line is keyed by its invoice or document number and
a place among that invoice's lines when the file has one, else by a digest
of the values it was read with, counting how often the same digest came
before it in the same file. Either way the second of two identical lines is
a line of its own, and the same file read again (or an extract overlapping
it) finds each line it wrote instead of adding it twice. An invoice's lines
take their places by content first (invoice_positions), so the same lines
in another order change nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from accounts.currency_codes import amount_kept


def quarter_start(day: date) -> date:
    """Return the first day of the calendar quarter holding `day`."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(day: date) -> str:
    """Return a quarter start as people say it: "Q3 2017"."""
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def won_key(
    *, account_id: int, product_id: int, quarter: date, currency: str = ""
) -> str:
    """Return the key of the line summing one quarter's won deals.

    A quarter's first currency (in code order) has the plain key; each other
    currency's won deals are summed under the key with the currency after it.
    """
    key = f"won:{account_id}:{product_id}:{quarter.isoformat()}"
    return f"{key}:{currency}" if currency else key


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
        # 1500, 1500.0 and 1500.00 are one amount; 12.345 KWD keeps its
        # third decimal, and amounts to the cent keep the keys they had.
        f"{amount_kept(amount):f}",
        currency,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class LineKeys:
    """Hand out the keys of one file's invoice lines in the order read.

    `seen` counts the lines read before under each key (a running import
    stages them between chunks, accounts.models.RevenueKeyStage).
    """

    def __init__(self, seen: Mapping[str, int] | None = None) -> None:
        self.seen: Counter[str] = Counter(seen or {})

    @staticmethod
    def row_base(digest: str) -> str:
        """Return the key the lines read with these values are counted by."""
        return f"row:{digest}"

    def row(self, digest: str) -> str:
        return self._next(self.row_base(digest))

    def _next(self, base: str) -> str:
        self.seen[base] += 1
        return f"{base}:{self.seen[base]}"


def invoice_positions(
    *,
    read: Sequence[Hashable],
    stored: Mapping[int, Hashable],
    free: Iterable[int],
) -> list[int]:
    """Return the position under one invoice each read line is kept at.

    `read` holds the contents of the invoice's lines in the order read,
    `stored` the contents of its lines already kept, by position, and
    `free` the positions kept by nothing yet. A line takes the stored line
    with the same content first, so the invoice's lines in another order
    change nothing; what is left takes the stored lines left, in position
    order, so an amended line is updated, not added; the rest take free
    positions.
    """
    by_content: dict[Hashable, list[int]] = {}
    for position in sorted(stored, reverse=True):
        by_content.setdefault(stored[position], []).append(position)
    positions: list[int | None] = []
    for content in read:
        same = by_content.get(content)
        positions.append(same.pop() if same else None)
    taken = {p for p in positions if p is not None}
    spare = iter([*(p for p in sorted(stored) if p not in taken), *free])
    return [next(spare) if p is None else p for p in positions]
