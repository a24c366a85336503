"""Fiscal years of plans, named by the same rule as the fiscal quarters.

A plan's fiscal year is the label year of its quarters (plans.calendar): by
the year it ends under FISCAL_YEAR_LABEL = "end", by the year it starts under
"start". The period itself never depends on the label convention.
"""

from datetime import date, timedelta

from plans.calendar import (
    LABEL_BY_END,
    fiscal_label_by,
    fiscal_quarter_for,
    fiscal_year_start_month,
)

__all__ = ["fiscal_period", "fiscal_year_for", "fiscal_year_start_month"]


def fiscal_year_for(day: date) -> int:
    """Return the label year of the fiscal year containing the day."""
    return fiscal_quarter_for(day).fiscal_year


def fiscal_period(fiscal_year: int) -> tuple[date, date]:
    """Return the first and last day of the fiscal year with this label."""
    start_month = fiscal_year_start_month()
    start_year = fiscal_year
    if start_month != 1 and fiscal_label_by() == LABEL_BY_END:
        start_year = fiscal_year - 1
    start = date(start_year, start_month, 1)
    return start, date(start_year + 1, start_month, 1) - timedelta(days=1)
