"""Won deals as revenue: the one rule for the lines they add up to.

An account's won deals of one product and quarter are realised revenue: a
revenue line of source PIPELINE per currency, holding the sum of those
deals' amounts, under `won_key` (the quarter's first currency, in code
order, has the plain key; each other one the key with its currency after
it). The wizard writes these lines for the quarters an import touched,
recording them for its undo; a hand write of a deal (the API, the deal
page, the admin) and an import's undo set them with `won_revenue_sync`, so
revenue by quarter, whitespace and scoring always read what the deals say.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from decimal import Decimal

from accounts.models import Account, Opportunity, RevenueLine
from accounts.revenue_keys import quarter_start, won_key

# An account, product and quarter start: where won deals are summed.
Cell = tuple[int, int, date]
WON_PREFIX = "won:"
# How many accounts one pass of won_revenue_sync reads and writes.
SYNC_ACCOUNTS = 500


def won_revenue_cell(
    *,
    account_id: int | None,
    product_id: int | None,
    stage: str,
    closed_on: date | None,
) -> Cell | None:
    """Return the cell a deal in this state counts in, or None if in none."""
    if stage != Opportunity.Stage.WON or account_id is None or product_id is None:
        return None
    if closed_on is None:
        return None
    return (account_id, product_id, quarter_start(closed_on))


def won_revenue_deal_cell(deal: Opportunity) -> Cell | None:
    """Return the cell this deal counts in as it stands, or None."""
    return won_revenue_cell(
        account_id=deal.account_id,
        product_id=deal.product_id,
        stage=deal.stage,
        closed_on=deal.closed_on,
    )


def won_revenue_sums(*, cells: Collection[Cell]) -> dict[Cell, dict[str, Decimal]]:
    """Return each cell's won deals summed by currency, in one query.

    A cell without a won deal that has an amount is left out.
    """
    if not cells:
        return {}
    deals = Opportunity.objects.filter(
        account_id__in={cell[0] for cell in cells},
        product_id__in={cell[1] for cell in cells},
        stage=Opportunity.Stage.WON,
        closed_on__isnull=False,
        close_value__isnull=False,
    ).values_list("account_id", "product_id", "closed_on", "close_value", "currency")
    sums: dict[Cell, dict[str, Decimal]] = defaultdict(dict)
    for account_id, product_id, closed_on, value, currency in deals:
        if closed_on is None or value is None:  # filtered out; for mypy
            continue
        cell = (account_id, product_id, quarter_start(closed_on))
        if cell in cells:
            sums[cell][currency] = sums[cell].get(currency, Decimal(0)) + value
    return dict(sums)


def won_revenue_lines(
    *, sums: Mapping[Cell, Mapping[str, Decimal]]
) -> dict[str, tuple[Cell, Decimal, str]]:
    """Return the lines the sums make: {import key: (cell, amount, currency)}."""
    lines: dict[str, tuple[Cell, Decimal, str]] = {}
    for cell, by_currency in sums.items():
        for index, currency in enumerate(sorted(by_currency)):
            import_key = won_key(
                account_id=cell[0],
                product_id=cell[1],
                quarter=cell[2],
                currency=currency if index else "",
            )
            lines[import_key] = (cell, by_currency[currency], currency)
    return lines


def won_revenue_sync(*, cells: Iterable[Cell | None]) -> None:
    """Set these cells' won revenue lines to what their won deals sum to.

    Call it inside the transaction that changed the deals. A line no won
    deal stands behind any more is deleted, as the bundled import prunes
    it; the others are updated in place or added. A handful of statements
    per SYNC_ACCOUNTS accounts (a hand write has one; an import's undo
    may have thousands); the database keeps the quarter sums from them.
    """
    by_account: dict[int, set[Cell]] = defaultdict(set)
    for cell in cells:
        if cell is not None:
            by_account[cell[0]].add(cell)
    accounts = sorted(by_account)
    for start in range(0, len(accounts), SYNC_ACCOUNTS):
        _cells_sync(
            {
                cell
                for account in accounts[start : start + SYNC_ACCOUNTS]
                for cell in by_account[account]
            }
        )


def _cells_sync(wanted_cells: set[Cell]) -> None:
    accounts = sorted({cell[0] for cell in wanted_cells})
    # Two people winning deals of one account at once: the second waits
    # here, then sums with the first one's deal committed, so neither sum
    # is lost. (A no-op on SQLite, which serialises writers anyway.)
    list(
        Account.objects.select_for_update()
        .filter(pk__in=accounts)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    wanted = won_revenue_lines(sums=won_revenue_sums(cells=wanted_cells))
    stored = {
        line.import_key: line
        for line in RevenueLine.objects.filter(
            account_id__in=accounts,
            product_id__in={cell[1] for cell in wanted_cells},
            quarter_start__in={cell[2] for cell in wanted_cells},
            import_key__startswith=WON_PREFIX,
        )
        if (line.account_id, line.product_id, line.quarter_start) in wanted_cells
    }

    gone = [line.pk for key, line in stored.items() if key not in wanted]
    changed: list[RevenueLine] = []
    added: list[RevenueLine] = []
    for import_key, (cell, amount, currency) in wanted.items():
        line = stored.get(import_key)
        if line is None:
            added.append(
                RevenueLine(
                    account_id=cell[0],
                    product_id=cell[1],
                    quarter_start=cell[2],
                    amount=amount,
                    currency=currency,
                    source=RevenueLine.Source.PIPELINE,
                    import_key=import_key,
                )
            )
        elif (line.amount, line.currency, line.source) != (
            amount,
            currency,
            RevenueLine.Source.PIPELINE,
        ):
            line.amount, line.currency = amount, currency
            line.source = RevenueLine.Source.PIPELINE
            changed.append(line)

    if gone:
        RevenueLine.objects.filter(pk__in=gone).delete()
    if changed:
        # updated_at stays: a line summed again is no hand edit, which an
        # import's undo would read a later updated_at as and keep the line.
        RevenueLine.objects.bulk_update(changed, ["amount", "currency", "source"])
    if added:
        RevenueLine.objects.bulk_create(added)
