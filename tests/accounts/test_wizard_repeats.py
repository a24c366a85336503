from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import (
    CurrencyRate,
    ImportJob,
    Opportunity,
    SupportSignal,
)
from accounts.wizard import (
    mapped_import_check,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def imported(capture, *paths: Path) -> ImportJob:
    mapped = opened(*paths)
    with capture(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True)
    mapped.job.refresh_from_db()
    return mapped.job


def rejections(outcome_or_job: object) -> list[tuple[int, str, str, str]]:
    return [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        if isinstance(issue, dict)
        else (issue.line, issue.column, issue.value, issue.reason)
        for issue in getattr(outcome_or_job, "issues", [])
        if (issue["action"] if isinstance(issue, dict) else issue.action) == "rejected"
    ]


SAME_DEAL = (
    3,
    "Id",
    "006Z01",
    "the same deal ID as line 2: each deal is listed once",
)


def test_the_check_refuses_a_repeated_new_opportunity_id() -> None:
    AccountFactory.create(name="Dup Ltd", external_id="001A000003")

    outcome = mapped_import_check(mapped=opened(WIZARD / "opportunities_same_id.csv"))

    assert rejections(outcome) == [SAME_DEAL]
    assert outcome.counts["Deals"]["created"] == 1


def test_the_first_of_a_repeated_opportunity_id_is_written(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Dup Ltd", external_id="001A000003")

    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "opportunities_same_id.csv"
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert rejections(job) == [SAME_DEAL]
    assert list(Opportunity.objects.values_list("external_id", "close_value")) == [
        ("006Z01", Decimal("100.00"))
    ]


def test_a_repeat_of_a_stored_opportunity_is_reported_not_written(
    django_capture_on_commit_callbacks,
) -> None:
    # given the opportunity is stored by an earlier import
    AccountFactory.create(name="Dup Ltd", external_id="001A000003")
    imported(django_capture_on_commit_callbacks, WIZARD / "opportunities_same_id.csv")

    # when the same file is imported again
    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "opportunities_same_id.csv"
    )

    # then the second row is refused again and the stored amount kept
    assert rejections(job) == [SAME_DEAL]
    assert Opportunity.objects.get().close_value == Decimal("100.00")


def test_the_check_refuses_a_repeated_currency_and_rate_date() -> None:
    outcome = mapped_import_check(mapped=opened(WIZARD / "rates_same_date.csv"))

    assert rejections(outcome) == [
        (
            3,
            "Rate Date",
            "2026-01-01",
            "the same currency and rate date as line 2: each rate is listed once",
        )
    ]
    assert outcome.counts["Currency rates"]["created"] == 1
    assert not CurrencyRate.objects.exists()


def test_the_check_refuses_a_repeated_support_account_and_period() -> None:
    AccountFactory.create(name="Brightwater Foods")

    outcome = mapped_import_check(mapped=opened(WIZARD / "support_same_period.csv"))

    assert rejections(outcome) == [
        (
            3,
            "Month",
            "2026-01-01",
            "the same account and period as line 2: each account's period is "
            "listed once",
        )
    ]
    assert outcome.counts["Support signals"]["created"] == 1
    assert not SupportSignal.objects.exists()


def test_a_repeat_in_a_second_file_names_the_first_file(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    # given the same rate in two files of one upload
    again = tmp_path / "more_rates.csv"
    again.write_text("Currency,Rate,Rate Date\nNOK,0.11,2026-01-01\n", encoding="utf-8")

    # when
    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "rates_same_date.csv", again
    )

    # then
    assert [
        (issue["file"], issue["line"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "rejected"
    ] == [
        (
            "more_rates.csv",
            2,
            "the same currency and rate date as line 2 of rates_same_date.csv: "
            "each rate is listed once",
        ),
        (
            "rates_same_date.csv",
            3,
            "the same currency and rate date as line 2: each rate is listed once",
        ),
    ]
    assert list(CurrencyRate.objects.values_list("currency", "rate_date", "rate")) == [
        ("NOK", date(2026, 1, 1), Decimal("0.090000"))
    ]
