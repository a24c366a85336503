"""Fiscal periods: a year that starts in a configurable month."""

from datetime import date

from django.conf import settings


def fiscal_year_start_month() -> int:
    """Return the first month of the fiscal year, 1 to 12 (default January)."""
    month = settings.FISCAL_YEAR_START_MONTH
    if not 1 <= month <= 12:
        raise ValueError(f"FISCAL_YEAR_START_MONTH must be 1 to 12, not {month}")
    return month


def fiscal_year_for(day: date) -> int:
    """Return the fiscal year containing the day, named by the year it ends."""
    start_month = fiscal_year_start_month()
    if start_month == 1 or day.month < start_month:
        return day.year
    return day.year + 1


def fiscal_period(fiscal_year: int) -> tuple[date, date]:
    """Return the first and last day of the fiscal year."""
    start_month = fiscal_year_start_month()
    if start_month == 1:
        return date(fiscal_year, 1, 1), date(fiscal_year, 12, 31)
    start = date(fiscal_year - 1, start_month, 1)
    end = date(fiscal_year, start_month, 1).replace(day=1)
    return start, date.fromordinal(end.toordinal() - 1)
