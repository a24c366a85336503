"""Fiscal quarters: bucketing dates and moments, and naming the quarters.

The fiscal year starts in FISCAL_YEAR_START_MONTH. A year is labelled by the
calendar year it ends in (FISCAL_YEAR_LABEL = "end", the default, as plans
do) or by the year it starts in ("start"). Moments are bucketed by their date
in the organisation's time zone (TIME_ZONE), so a deal closed late on the
last evening of a quarter stays in that quarter whatever UTC says.

Quarters are stored by their first day, which no label convention changes.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from config.bounds import DATE_MAX, DATE_MIN

LABEL_BY_END = "end"
LABEL_BY_START = "start"


def fiscal_year_start_month() -> int:
    """Return the first month of the fiscal year, 1 to 12 (default January)."""
    month = settings.FISCAL_YEAR_START_MONTH
    if not 1 <= month <= 12:
        raise ValueError(f"FISCAL_YEAR_START_MONTH must be 1 to 12, not {month}")
    return month


def fiscal_label_by() -> str:
    """Return whether years are labelled by their "end" or "start" year."""
    label_by = str(settings.FISCAL_YEAR_LABEL).lower()
    if label_by not in {LABEL_BY_END, LABEL_BY_START}:
        raise ValueError(f'FISCAL_YEAR_LABEL must be "end" or "start", not {label_by}')
    return label_by


def organisation_zone() -> tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class FiscalQuarter:
    """One fiscal quarter: its first and last day, number and label year."""

    start: date
    end: date
    number: int
    fiscal_year: int
    start_month: int
    label_by: str

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year} Q{self.number}"

    @property
    def short_label(self) -> str:
        return f"FY{self.fiscal_year % 100:02d} Q{self.number}"

    @property
    def slug(self) -> str:
        """Return the quarter's key in URLs: its first day."""
        return self.start.isoformat()

    def shifted(self, quarters: int) -> "FiscalQuarter":
        return fiscal_quarter_starting(
            _add_months(self.start, 3 * quarters),
            start_month=self.start_month,
            label_by=self.label_by,
        )

    @property
    def previous(self) -> "FiscalQuarter":
        return self.shifted(-1)

    @property
    def next(self) -> "FiscalQuarter":
        return self.shifted(1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def local_date(moment: date | datetime, *, zone: tzinfo | None = None) -> date:
    """Return the organisation's calendar date of a date or moment.

    An aware moment is converted to the organisation's zone first; a naive
    one is taken as already local, and a date is its own bucket.
    """
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(zone or organisation_zone())
        return moment.date()
    return moment


def fiscal_quarter_for(
    moment: date | datetime,
    *,
    start_month: int | None = None,
    label_by: str | None = None,
    zone: tzinfo | None = None,
) -> FiscalQuarter:
    """Return the fiscal quarter a date or moment falls in."""
    start_month = start_month or fiscal_year_start_month()
    label_by = label_by or fiscal_label_by()
    day = local_date(moment, zone=zone)

    months_in = (day.month - start_month) % 12
    number = months_in // 3 + 1
    first = _add_months(date(day.year, day.month, 1), -(months_in % 3))
    last = _add_months(first, 3) - timedelta(days=1)
    year_start = day.year if day.month >= start_month else day.year - 1
    # A January year starts and ends in the same calendar year.
    year_end = year_start if start_month == 1 else year_start + 1
    return FiscalQuarter(
        start=first,
        end=last,
        number=number,
        fiscal_year=year_end if label_by == LABEL_BY_END else year_start,
        start_month=start_month,
        label_by=label_by,
    )


def fiscal_quarter_starting(
    start: date, *, start_month: int | None = None, label_by: str | None = None
) -> FiscalQuarter:
    """Return the quarter that begins on this day, or refuse any other day."""
    quarter = fiscal_quarter_for(start, start_month=start_month, label_by=label_by)
    if quarter.start != start:
        raise ValueError(f"{start.isoformat()} is not the first day of a quarter")
    return quarter


class QuarterOutOfRange(ValueError):
    """A quarter outside the plausible years, where its neighbours may not exist."""


QUARTER_RANGE_MESSAGE = (
    f"Give a quarter from {DATE_MIN.year} to {DATE_MAX.year}, by its first day."
)


def fiscal_quarter_parse(slug: str) -> FiscalQuarter:
    """Return the quarter named by its first day in a URL, or raise ValueError."""
    # YYYY-MM-DD only: fromisoformat also takes 20261001 and 2026-W40-4.
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", slug):
        raise ValueError(f"{slug!r} is not YYYY-MM-DD")
    start = date.fromisoformat(slug)
    # Year 1 has no quarter before it and 9999 none after, and the review
    # shows neighbours of the quarter asked for.
    if not DATE_MIN <= start <= DATE_MAX:
        raise QuarterOutOfRange(QUARTER_RANGE_MESSAGE)
    return fiscal_quarter_starting(start)


def fiscal_quarter_current(*, now: datetime | None = None) -> FiscalQuarter:
    return fiscal_quarter_for(now or timezone.now())


def fiscal_quarters_ending_with(
    quarter: FiscalQuarter, count: int
) -> list[FiscalQuarter]:
    """Return `count` quarters up to and including this one, oldest first."""
    return [quarter.shifted(offset) for offset in range(1 - count, 1)]
