"""Rows that leave out their trailing empty cells, said in one note.

Many exports write a row only as far as its last value. Each such row is
read with its missing cells blank, never silently: one note says how many
rows, which (the first few lines) and what was read as blank, in the
check, the row report, the command line and the API.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.importing import Issue
from accounts.models import Account, ImportJob
from accounts.streaming import table_chunks
from accounts.tabular import table_read
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
)

SHORT = Path(__file__).parent / "fixtures" / "rows" / "short_rows.csv"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

SAID = (
    "7 rows have fewer values than the header's 5 columns (lines 3, 4, 5, 6, 7 "
    "and 2 more): the last cells they leave out, in 'Employees', 'Billing "
    "Country' and 'Website', are read as blank"
)
NOTE = Issue("short_rows.csv", 3, "Employees", "", SAID, "repaired")


def test_the_short_rows_of_a_file_read_whole_are_one_note() -> None:
    table = table_read(content=SHORT.read_bytes(), file=SHORT.name)

    assert table.notes == [NOTE]
    assert table.frame.loc[3].tolist() == ["Rook Media", "Media", "", "", ""]
    assert len(table.frame) == 8


def test_the_short_rows_of_every_chunk_are_one_note_with_the_last() -> None:
    chunks = list(table_chunks(path=SHORT, file=SHORT.name, rows=2))

    assert len(chunks) == 4
    assert [chunk.notes for chunk in chunks] == [[], [], [], [NOTE]]


def test_one_short_row_keeps_its_own_note() -> None:
    content = b"Account Name,Industry,Employees\nOsprey Foods,Food,120\nRook Media\n"

    table = table_read(content=content, file="one.csv")

    assert table.notes == [
        Issue(
            "one.csv",
            3,
            "Industry",
            "Rook Media",
            "1 value but the header has 3 columns: 'Industry', 'Employees' are "
            "read as blank",
            "repaired",
        )
    ]


def test_the_check_and_the_row_report_say_the_short_rows_once() -> None:
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[SHORT])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert [i for i in outcome.issues if i.action == "repaired"] == [NOTE]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert [i for i in job.issues if i["action"] == "repaired"] == [NOTE.as_dict()]
    report = "".join(mapped_import_report_csv(job=job))
    assert f'short_rows.csv,3,Employees,,"{SAID}",repaired\r\n' in report
    assert list(
        Account.objects.order_by("name").values_list(
            "name", "sector", "employees", "country"
        )
    ) == [
        ("Osprey Foods", "Food", 120, "Sweden"),
        ("Plover Bank", "Banking", 3400, ""),
        ("Quail Tools", "Manufacturing", 80, "Norway"),
        ("Rook Media", "Media", None, ""),
        ("Sparrow Labs", "Biotech", 45, ""),
        ("Tern Freight", "Logistics", 900, "Denmark"),
        ("Umber Paints", "Chemicals", 60, ""),
        ("Vole Systems", "Software", 15, "Finland"),
    ]


def test_the_command_and_the_api_say_the_short_rows_once(ops) -> None:
    # given
    out = StringIO()
    api = APIClient()
    api.force_authenticate(ops)
    mapped = mapped_import_create_from_paths(user=ops, paths=[SHORT])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}

    # when
    call_command("import_files", str(SHORT), stdout=out)
    checked = api.get(f"/api/accounts/imports/{mapped.job_id}/check/")

    # then
    lines = [line for line in out.getvalue().splitlines() if "(repaired)" in line]
    assert lines == [f"short_rows.csv:3 Employees '': {SAID} (repaired)"]
    assert checked.status_code == 200, checked.content
    repaired = [i for i in checked.json()["issues"] if i["action"] == "repaired"]
    assert repaired == [NOTE.as_dict()]
