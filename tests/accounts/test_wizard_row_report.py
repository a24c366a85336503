"""The row report CSV lists every row: what became of it, and why."""

import csv
import io
from pathlib import Path

import pytest

from accounts.models import ImportJob
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def imported(path: Path, *, keep_good_rows: bool = False) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(
        mapped=mapped, merges={}, keep_good_rows=keep_good_rows, enqueue=False
    )
    return mapped_import_run(mapped=mapped)


def rows_section(job: ImportJob) -> list[list[str]]:
    table = list(csv.reader(io.StringIO(mapped_import_report_csv(job=job))))
    return table[: table.index([])]


def test_every_row_is_reported_created_then_unchanged(tmp_path) -> None:
    # given
    path = tmp_path / "accounts.csv"
    path.write_text("Account Name,Employees\nPelican Paper Co,120\nGull Bank,3400\n")
    AccountFactory.create(name="Gull Bank", employees=3400)

    # when
    first = imported(path)
    path.write_text("Account Name,Employees\nPelican Paper Co,125\nGull Bank,3400\n")
    again = imported(path)

    # then
    assert rows_section(first) == [
        ["file", "line", "outcome", "object", "reason"],
        ["accounts.csv", "2", "created", "account Pelican Paper Co", ""],
        ["accounts.csv", "3", "unchanged", "account Gull Bank", ""],
    ]
    assert rows_section(again) == [
        ["file", "line", "outcome", "object", "reason"],
        ["accounts.csv", "2", "updated", "account Pelican Paper Co", ""],
        ["accounts.csv", "3", "unchanged", "account Gull Bank", ""],
    ]


def test_a_rejected_row_is_reported_with_its_reason() -> None:
    job = imported(WIZARD / "one_bad_row.csv", keep_good_rows=True)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert rows_section(job) == [
        ["file", "line", "outcome", "object", "reason"],
        ["one_bad_row.csv", "2", "created", "account Good Co", ""],
        ["one_bad_row.csv", "3", "rejected", "", "Employees: not a number"],
    ]


def test_an_import_that_wrote_nothing_reports_its_issues_only() -> None:
    job = imported(WIZARD / "one_bad_row.csv")

    report = mapped_import_report_csv(job=job)

    assert job.status == ImportJob.Status.REJECTED
    assert report.splitlines()[:2] == [
        "file,line,column,value,reason,action",
        "one_bad_row.csv,3,Employees,ten,not a number,rejected",
    ]
