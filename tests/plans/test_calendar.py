"""Fiscal quarter bucketing: start month, label convention, time zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from accounts.models import Account, User
from plans.calendar import (
    fiscal_quarter_for,
    fiscal_quarter_parse,
    fiscal_quarter_starting,
    fiscal_quarters_ending_with,
)
from plans.errors import PlanError
from plans.periods import fiscal_period, fiscal_year_for
from plans.services import plan_create, plan_start_next

# Bogotá keeps UTC-5 all year; New York would be UTC-4 on 31 March.
UTC_MINUS_5 = "America/Bogota"


@pytest.mark.parametrize(
    ("day", "by_end", "by_start", "first", "last"),
    [
        # The last week of the fiscal year that began in April 2023.
        ("2024-03-26", "FY2024 Q4", "FY2023 Q4", "2024-01-01", "2024-03-31"),
        # The first day of the year that runs April 2024 to March 2025.
        ("2024-04-01", "FY2025 Q1", "FY2024 Q1", "2024-04-01", "2024-06-30"),
        # New Year's Eve sits in that year's third quarter, October to December.
        ("2024-12-31", "FY2025 Q3", "FY2024 Q3", "2024-10-01", "2024-12-31"),
    ],
)
def test_it_labels_an_april_year_by_end_and_by_start(
    day: str, by_end: str, by_start: str, first: str, last: str
) -> None:
    moment = date.fromisoformat(day)

    ending = fiscal_quarter_for(moment, start_month=4, label_by="end")
    starting = fiscal_quarter_for(moment, start_month=4, label_by="start")

    assert ending.label == by_end
    assert starting.label == by_start
    assert ending.start == starting.start == date.fromisoformat(first)
    assert ending.end == starting.end == date.fromisoformat(last)


def test_it_reads_the_start_month_and_label_from_settings(settings: Settings) -> None:
    settings.FISCAL_YEAR_START_MONTH = 4
    settings.FISCAL_YEAR_LABEL = "start"

    assert fiscal_quarter_for(date(2024, 3, 26)).label == "FY2023 Q4"

    settings.FISCAL_YEAR_LABEL = "end"
    assert fiscal_quarter_for(date(2024, 3, 26)).label == "FY2024 Q4"


def test_it_refuses_an_unknown_label_convention(settings: Settings) -> None:
    settings.FISCAL_YEAR_LABEL = "middle"

    with pytest.raises(ValueError, match='must be "end" or "start", not middle'):
        fiscal_quarter_for(date(2024, 3, 26))


def test_a_late_deal_on_31_march_lands_in_calendar_q1_in_a_utc_minus_5_org(
    settings: Settings,
) -> None:
    """The issue's case, worked out.

    "Falls in Q1" holds for a fiscal year that starts in January (the
    default): 31 March 23:30 in a UTC-5 organisation is 1 April 04:30 UTC,
    which bucketing by UTC would put in Q2. In the organisation's zone it is
    still 31 March, the last evening of Q1 of FY2024 under either label.
    """
    # given
    settings.TIME_ZONE = UTC_MINUS_5
    settings.FISCAL_YEAR_START_MONTH = 1
    closed = datetime(2024, 3, 31, 23, 30, tzinfo=ZoneInfo(UTC_MINUS_5))
    stored = closed.astimezone(UTC)
    assert stored == datetime(2024, 4, 1, 4, 30, tzinfo=UTC)

    # when
    by_end = fiscal_quarter_for(stored, label_by="end")
    by_start = fiscal_quarter_for(stored, label_by="start")

    # then
    assert by_end.label == by_start.label == "FY2024 Q1"
    assert (by_end.start, by_end.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert fiscal_quarter_for(stored, zone=UTC).label == "FY2024 Q2"


def test_the_same_late_deal_closes_the_year_when_the_year_starts_in_april(
    settings: Settings,
) -> None:
    """With an April year, 31 March is the last day of Q4, not Q1."""
    settings.TIME_ZONE = UTC_MINUS_5
    stored = datetime(2024, 4, 1, 4, 30, tzinfo=UTC)

    by_end = fiscal_quarter_for(stored, start_month=4, label_by="end")
    by_start = fiscal_quarter_for(stored, start_month=4, label_by="start")

    assert by_end.label == "FY2024 Q4"
    assert by_start.label == "FY2023 Q4"
    assert by_end.end == date(2024, 3, 31)


def test_it_walks_quarters_across_year_ends() -> None:
    quarter = fiscal_quarter_for(date(2024, 4, 15), start_month=4, label_by="end")

    labels = [q.label for q in fiscal_quarters_ending_with(quarter, 5)]

    assert labels == ["FY2024 Q1", "FY2024 Q2", "FY2024 Q3", "FY2024 Q4", "FY2025 Q1"]
    assert quarter.previous.start == date(2024, 1, 1)
    assert quarter.next.start == date(2024, 7, 1)


def test_it_only_parses_the_first_day_of_a_quarter(settings: Settings) -> None:
    settings.FISCAL_YEAR_START_MONTH = 2

    assert fiscal_quarter_parse("2024-02-01").end == date(2024, 4, 30)
    with pytest.raises(ValueError, match="2024-01-01 is not the first day"):
        fiscal_quarter_starting(date(2024, 1, 1))


@pytest.mark.django_db
def test_plan_years_follow_the_quarter_label_convention(
    settings: Settings, rep: User, account: Account
) -> None:
    settings.FISCAL_YEAR_START_MONTH = 4
    settings.FISCAL_YEAR_LABEL = "start"

    assert fiscal_year_for(date(2024, 4, 1)) == 2024
    assert fiscal_year_for(date(2025, 3, 31)) == 2024
    assert fiscal_period(2024) == (date(2024, 4, 1), date(2025, 3, 31))

    plan = plan_create(user=rep, account=account, fiscal_year=2024)
    quarters = {
        fiscal_quarter_for(day).label
        for day in (plan.period_start, date(2024, 12, 31), plan.period_end)
    }
    assert plan.label == "FY2024"
    assert quarters == {"FY2024 Q1", "FY2024 Q3", "FY2024 Q4"}
    assert plan.next_fiscal_year == 2025
    with pytest.raises(PlanError, match="already has a plan for FY2024"):
        plan_create(user=rep, account=account, fiscal_year=2024)

    following = plan_start_next(user=rep, plan=plan)
    assert following.label == "FY2025"
    assert following.period_start == date(2025, 4, 1)

    settings.FISCAL_YEAR_LABEL = "end"
    # The same stored plan is retitled, never moved.
    assert plan.label == "FY2025"
    assert fiscal_period(2025) == (date(2024, 4, 1), date(2025, 3, 31))


@pytest.mark.django_db
def test_the_plan_page_offers_the_next_year_by_the_label_convention(
    settings: Settings, client: Client, rep: User, account: Account
) -> None:
    settings.FISCAL_YEAR_START_MONTH = 4
    settings.FISCAL_YEAR_LABEL = "start"
    plan = plan_create(user=rep, account=account, fiscal_year=2024)
    client.force_login(rep)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    assert "Start FY2025 plan" in page
    assert "FY2024" in page
