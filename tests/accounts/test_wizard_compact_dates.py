"""Dates with no separators (20260105), as ERP extracts write them."""

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from accounts.models import ImportJob, Opportunity
from accounts.parsing import DAY_FIRST, date_column_parse
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported

NOT_COMPACT = (
    "no such date when read as YYYYMMDD (year 1900-2099, month, day); write it "
    "as YYYY-MM-DD"
)
HEADER = ["Id", "Account Name", "StageName", "Amount", "CloseDate"]
DEALS = [
    ["006A1", "Alpha Co", "Closed Won", "100", "20260105"],
    ["006A2", "Alpha Co", "Closed Won", "200", "20251231"],
    ["006A3", "Alpha Co", "Closed Won", "300", "19052026"],
]


def parsed(*values: str, order: str | None = None):
    return date_column_parse(
        values=list(values),
        lines=list(range(2, 2 + len(values))),
        file="deals.csv",
        column="CloseDate",
        order=order,
    )


def test_a_compact_date_reads_year_first_and_the_column_says_so() -> None:
    result = parsed("20260105", "20260105 14:30", "2026-01-07", "")

    assert result.values == [date(2026, 1, 5), date(2026, 1, 5), date(2026, 1, 7), None]
    assert result.issues == []
    assert result.decision == (
        "compact dates read as YYYYMMDD, as '20260105' on line 2 shows"
    )


def test_a_compact_date_is_said_beside_the_columns_date_order() -> None:
    result = parsed("13/02/2024", "20260105")

    assert result.values == [date(2024, 2, 13), date(2026, 1, 5)]
    assert result.decision == (
        "day-first, as '13/02/2024' on line 2 shows; compact dates read as "
        "YYYYMMDD, as '20260105' on line 3 shows"
    )


@pytest.mark.parametrize(
    "value",
    [
        # 19 May 2026 written day first: read year first it has month 20.
        "19052026",
        "20261301",
        "18991231",
        "12345678",
    ],
)
def test_eight_digits_that_are_no_year_first_date_are_refused(value: str) -> None:
    result = parsed(value, order=DAY_FIRST)

    assert result.values == [None]
    assert [(issue.line, issue.value, issue.reason) for issue in result.issues] == [
        (2, value, NOT_COMPACT)
    ]
    assert result.decision == DAY_FIRST


def deals_csv(path: Path) -> Path:
    path.write_text(
        "\n".join(",".join(row) for row in [HEADER, *DEALS]) + "\n", encoding="utf-8"
    )
    return path


def deals_xlsx(path: Path) -> Path:
    # A spreadsheet keeps a compact date as the number it looks like.
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in DEALS:
        sheet.append([*row[:3], int(row[3]), int(row[4])])
    workbook.save(path)
    return path


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "write"), [("deals.csv", deals_csv), ("deals.xlsx", deals_xlsx)]
)
def test_the_wizard_imports_compact_dates_and_refuses_the_day_first_one(
    tmp_path, settings, name: str, write
) -> None:
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory.create(name="Alpha Co")
    path = write(tmp_path / name)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)
    job = imported(path, keep_good_rows=True)

    # then
    assert (
        name,
        "CloseDate",
        "compact dates read as YYYYMMDD, as '20260105' on line 2 shows",
    ) in outcome.decisions
    assert [(i.line, i.column, i.value, i.reason) for i in outcome.issues] == [
        (4, "CloseDate", "19052026", NOT_COMPACT)
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert sorted(Opportunity.objects.values_list("external_id", "closed_on")) == [
        ("006A1", date(2026, 1, 5)),
        ("006A2", date(2025, 12, 31)),
    ]
