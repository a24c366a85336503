"""Numbers an XLSX workbook holds as numbers, under a file's number format.

A cell holding 1234.5 reads as the text "1234.5" whatever the spreadsheet
shows: the point is no decimal mark anyone wrote. The format chosen for
the file, or detected for a column, judges only the cells that were text;
a number cell is read as exactly its value, in the check and the run.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from accounts import streaming
from accounts.importing import REJECTED, REPAIRED, Issue
from accounts.models import Account, ImportJob, MappedImport
from accounts.numbers import too_large_message
from accounts.parsing import number_column_parse, number_format_refusal
from accounts.streaming import table_chunks
from accounts.wizard import (
    Outcome,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
)
from accounts.wizard_number_formats import mapped_import_number_formats_choose

MAPPING = {
    "Account Name": ["account", "name"],
    "Annual Revenue": ["account", "annual_revenue"],
}
# Typed numbers, one in scientific notation as its text reads, and a text
# cell written with a decimal comma.
ROWS: list[list[object]] = [
    ["Harbor Freight Co", 1234.5],
    ["Kestrel Labs", 1.5e16],
    ["Orchid Systems", "1.234,56"],
    ["Pinnacle Foods", 250],
]

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def workbook(path: Path, rows: list[list[object]] = ROWS) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(["Account Name", "Annual Revenue"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def checked(path: Path, number_format: str | None) -> tuple[MappedImport, Outcome]:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    if number_format is not None:
        mapped_import_number_formats_choose(
            mapped=mapped, formats={path.name: number_format}
        )
    problems = mapped_import_mapping_confirm(
        mapped=mapped, mapping={path.name: MAPPING}, user=None
    )
    assert problems == {}
    return mapped, mapped_import_check(mapped=mapped)


def run(mapped: MappedImport, *, keep_good_rows: bool = False) -> ImportJob:
    mapped_import_start(
        mapped=mapped, merges={}, keep_good_rows=keep_good_rows, enqueue=False
    )
    return mapped_import_run(mapped=mapped)


def stored() -> list[tuple[str, Decimal | None]]:
    return list(Account.objects.order_by("name").values_list("name", "annual_revenue"))


def test_number_cells_are_read_exactly_under_a_comma_format(tmp_path: Path) -> None:
    # given
    path = workbook(tmp_path / "accounts.xlsx")

    # when
    mapped, outcome = checked(path, "1.234,56")
    job = run(mapped)

    # then
    assert outcome.can_write, (outcome.problems, outcome.questions)
    assert outcome.issues == [
        Issue(
            path.name,
            3,
            "Annual Revenue",
            "1.5e+16",
            "scientific notation read as 15000000000000000",
            REPAIRED,
        )
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == [
        ("Harbor Freight Co", Decimal("1234.50")),
        ("Kestrel Labs", Decimal("15000000000000000.00")),
        ("Orchid Systems", Decimal("1234.56")),
        ("Pinnacle Foods", Decimal("250.00")),
    ]


def test_a_text_cell_against_the_chosen_format_is_refused_by_line(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "accounts.xlsx")

    _, outcome = checked(path, "1,234.56")

    assert [issue for issue in outcome.issues if issue.action == REJECTED] == [
        Issue(
            path.name,
            4,
            "Annual Revenue",
            "1.234,56",
            number_format_refusal("1,234.56"),
            REJECTED,
        )
    ]
    assert number_format_refusal("1,234.56") == (
        "not written as '1,234.56', the number format chosen for this file: it "
        "is not guessed; correct the value or choose another format"
    )
    assert outcome.counts["Accounts"]["rejected"] == 1


@pytest.mark.parametrize("number_format", ["1.234,56", "1 234,56", None])
def test_a_huge_number_cell_is_refused_for_its_size_not_its_format(
    tmp_path: Path, number_format: str | None
) -> None:
    # given
    path = workbook(
        tmp_path / "accounts.xlsx",
        [["Harbor Freight Co", 1.5e20], ["Kestrel Labs", 1234.5]],
    )

    # when
    mapped, outcome = checked(path, number_format)
    job = run(mapped, keep_good_rows=True)

    # then
    assert outcome.issues == [
        Issue(
            path.name,
            2,
            "Annual Revenue",
            "1.5e+20",
            too_large_message(whole_digits=18),
            REJECTED,
        )
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == [("Kestrel Labs", Decimal("1234.50"))]


def test_a_number_cell_is_its_exact_value_whatever_the_format() -> None:
    values = ["1234.5", "1.5e+20", "-0.000125", "1.234,56"]

    parsed = number_column_parse(
        values=values,
        lines=[2, 3, 4, 5],
        file="accounts.xlsx",
        column="Annual Revenue",
        decimal="1.234,56",
        typed={2, 3, 4},
    )

    assert parsed.values == [
        Decimal("1234.5"),
        Decimal("150000000000000000000"),
        Decimal("-0.000125"),
        Decimal("1234.56"),
    ]
    assert [issue.reason for issue in parsed.issues] == [
        "scientific notation read as 150000000000000000000"
    ]


def test_number_cells_do_not_sway_a_detected_comma_column(tmp_path: Path) -> None:
    # given
    path = workbook(tmp_path / "accounts.xlsx")

    # when
    mapped, outcome = checked(path, None)
    job = run(mapped)

    # then
    assert outcome.questions == []
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == [
        ("Harbor Freight Co", Decimal("1234.50")),
        ("Kestrel Labs", Decimal("15000000000000000.00")),
        ("Orchid Systems", Decimal("1234.56")),
        ("Pinnacle Foods", Decimal("250.00")),
    ]


def test_a_run_read_in_chunks_keeps_each_chunks_number_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 2)
    path = workbook(tmp_path / "accounts.xlsx", [*ROWS, ["Quarry Labs", 98.25]])

    # when
    chunks = list(table_chunks(path=path, file=path.name))
    mapped, outcome = checked(path, "1.234,56")
    job = run(mapped)

    # then
    assert [chunk.lines for chunk in chunks] == [[2, 3], [4, 5], [6]]
    assert [chunk.typed_lines("Annual Revenue") for chunk in chunks] == [
        {2, 3},
        {5},
        {6},
    ]
    assert [chunk.typed_lines("Account Name") for chunk in chunks] == [set()] * 3
    assert outcome.can_write, (outcome.problems, outcome.questions)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == [
        ("Harbor Freight Co", Decimal("1234.50")),
        ("Kestrel Labs", Decimal("15000000000000000.00")),
        ("Orchid Systems", Decimal("1234.56")),
        ("Pinnacle Foods", Decimal("250.00")),
        ("Quarry Labs", Decimal("98.25")),
    ]
