"""The header row: found below a report's title, said when unsure, chosen."""

from io import BytesIO, StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob
from accounts.tabular import table_read
from accounts.wizard import (
    WizardError,
    mapped_import_check,
    mapped_import_create,
    mapped_import_files_read,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from accounts.wizard_headers import mapped_import_headers_choose

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

# A group row ("Company", "Size") above the real header: the first row is
# two cells wide, so it is read as the header, and said to be unsure.
GROUPED = (
    b"Company,,Size,\n"
    b"Account Name,Industry,Employees,Billing Country\n"
    b"Pelican Paper Co,Paper,120,Sweden\n"
    b"Gull Bank,Banking,3400,Norway\n"
)
REPORT = (
    b"Accounts by region\n"
    b"Filtered by: Region equals EMEA\n"
    b"\n"
    b"Account Name,Industry,Employees\n"
    b"Pelican Paper Co,Paper,120\n"
    b"Gull Bank,Banking,3400\n"
)
PLAIN = b"Account Name,Employees\nPelican Paper Co,120\nGull Bank,3400\n"
GROUPED_UNSURE = (
    "Header row: line 1 (found). Lode is not sure: line 2 below it names more "
    "columns and holds no figures; 2 of its 4 columns have no name."
)
GROUPED_CHOSEN = "Header row: line 2 (chosen by you, 1 line above it skipped)."
ACCOUNTS_MAPPING = {
    "Account Name": ("account", "name"),
    "Industry": ("account", "sector"),
    "Employees": ("account", "employees"),
    "Billing Country": ("account", "country"),
}


def uploaded(name: str, content: bytes, ops):
    return mapped_import_create(user=ops, files=[(name, content)])


def test_a_report_title_is_skipped_and_the_header_found_without_doubt(ops) -> None:
    mapped = uploaded("report.csv", REPORT, ops)

    (preview,) = mapped_import_files_read(mapped=mapped)

    header = preview.table.header
    assert header is not None
    assert header.describe() == (
        "Header row: line 4 (found, 2 lines above it skipped)."
    )
    assert header.skipped == [
        (1, ["Accounts by region"]),
        (2, ["Filtered by: Region equals EMEA"]),
    ]
    assert header.doubts == []
    assert preview.table.lines == [5, 6]


def test_a_group_row_above_the_header_is_read_but_said_to_be_unsure(ops) -> None:
    mapped = uploaded("grouped.csv", GROUPED, ops)

    (preview,) = mapped_import_files_read(mapped=mapped)

    assert preview.table.header is not None
    assert preview.table.header.describe() == GROUPED_UNSURE
    assert preview.table.columns == ["Company", "Column 2", "Size"]


def test_choosing_the_header_row_reparses_and_proposes_the_mapping_again(
    ops,
) -> None:
    # given
    mapped = uploaded("grouped.csv", GROUPED, ops)
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    assert mapped.mapping == {"grouped.csv": {"Company": ["account", "name"]}}

    # when
    mapped_import_headers_choose(mapped=mapped, headers={"grouped.csv": 2})
    (preview,) = mapped_import_files_read(mapped=mapped)

    # then
    mapped.refresh_from_db()
    assert mapped.mapping == {}
    assert mapped.files[0]["header_line"] == 2
    assert preview.table.header is not None
    assert preview.table.header.describe() == GROUPED_CHOSEN
    assert preview.table.header.skipped == [(1, ["Company", "", "Size", ""])]
    assert preview.table.columns == list(ACCOUNTS_MAPPING)
    assert preview.mapping == ACCOUNTS_MAPPING
    assert preview.source == "recognised"
    assert preview.head == [
        ["Pelican Paper Co", "Paper", "120", "Sweden"],
        ["Gull Bank", "Banking", "3400", "Norway"],
    ]
    assert [(note.line, note.value, note.reason) for note in preview.table.notes] == [
        (1, "Company Size", "Line 1, above the header row chosen, is skipped")
    ]


def test_the_chosen_header_is_checked_and_written_with_its_lines(ops) -> None:
    # given
    mapped = uploaded("grouped.csv", GROUPED, ops)
    mapped_import_headers_choose(mapped=mapped, headers={"grouped.csv": 2})
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert outcome.problems == []
    assert outcome.counts["Accounts"]["created"] == 2
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert sorted(
        Account.objects.values_list("name", "sector", "employees", "country")
    ) == [
        ("Gull Bank", "Banking", 3400, "Norway"),
        ("Pelican Paper Co", "Paper", 120, "Sweden"),
    ]


def test_a_header_can_be_chosen_when_detection_is_sure_and_found_again(
    ops,
) -> None:
    mapped = uploaded("plain.csv", PLAIN, ops)

    mapped_import_headers_choose(mapped=mapped, headers={"plain.csv": 1})
    (chosen,) = mapped_import_files_read(mapped=mapped)
    mapped_import_headers_choose(mapped=mapped, headers={"plain.csv": None})
    (found,) = mapped_import_files_read(mapped=mapped)

    assert chosen.table.header is not None
    assert chosen.table.header.describe() == "Header row: line 1 (chosen by you)."
    assert found.table.header is not None
    assert found.table.header.describe() == "Header row: line 1 (found)."
    assert "header_line" not in mapped.files[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"Name,2024,Name\nAcme,1,x\nBeta,2,y\n",
            "Header row: line 1 (found). Lode is not sure: it names 'Name' twice; "
            "it holds '2024', which read as figures or dates, not column names.",
        ),
        (
            b"Q3 pipeline\n"
            b"Filtered by:,Region = EMEA\n"
            b"Account Name,Industry,Employees,Country,Owner,Stage\n"
            b"Acme,Paper,10,SE,Ann,Won\n"
            b"Beta,Bank,20,NO,Bob,Lost\n",
            "Header row: line 3 (found, 2 lines above it skipped). Lode is not "
            "sure: line 2 above it has 2 values too.",
        ),
    ],
)
def test_the_preview_says_why_it_is_unsure_of_the_header(
    content: bytes, message: str
) -> None:
    table = table_read(content=content, file="a.csv")

    assert table.header is not None
    assert table.header.describe() == message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (9, "grouped.csv: line 9 cannot be the header row; choose one of lines 1-4"),
        (0, "grouped.csv: the header row is a line number from 1."),
    ],
)
def test_a_header_row_outside_the_file_is_refused(ops, line: int, message: str) -> None:
    mapped = uploaded("grouped.csv", GROUPED, ops)

    with pytest.raises(WizardError) as refused:
        mapped_import_headers_choose(mapped=mapped, headers={"grouped.csv": line})

    assert str(refused.value) == message
    mapped.refresh_from_db()
    assert "header_line" not in mapped.files[0]


def test_a_blank_line_is_refused_as_the_header(ops) -> None:
    mapped = uploaded("report.csv", REPORT, ops)

    with pytest.raises(WizardError) as refused:
        mapped_import_headers_choose(mapped=mapped, headers={"report.csv": 3})

    assert str(refused.value) == (
        "report.csv: line 3 is blank, so it cannot be the header row"
    )


def test_the_api_takes_the_header_row_on_upload_and_after_it(ops) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)

    # when
    uploaded = api.post(
        "/api/accounts/imports/",
        {
            "files": [SimpleUploadedFile("grouped.csv", GROUPED, "text/csv")],
            "header_rows": '{"grouped.csv": 2}',
        },
        format="multipart",
    )
    url = f"/api/accounts/imports/{uploaded.json()['id']}/"
    found = api.post(
        url + "header/", {"file": "grouped.csv", "line": None}, format="json"
    )
    refused = api.post(
        url + "header/", {"file": "grouped.csv", "line": 9}, format="json"
    )

    # then
    assert uploaded.status_code == 201, uploaded.content
    (file,) = uploaded.json()["file_previews"]
    assert file["header"] == {
        "line": 2,
        "chosen": True,
        "said": GROUPED_CHOSEN,
        "doubts": [],
        "skipped": [{"line": 1, "cells": ["Company", "", "Size", ""]}],
    }
    assert file["mapping"]["Employees"] == "account.employees"
    assert found.status_code == 200, found.content
    assert found.json()["files"][0]["header"]["said"] == GROUPED_UNSURE
    assert refused.status_code == 400
    assert refused.json()["line"] == [
        "grouped.csv: line 9 cannot be the header row; choose one of lines 1-4"
    ]


def test_the_command_says_the_header_and_takes_another(tmp_path) -> None:
    path = tmp_path / "grouped.csv"
    path.write_bytes(GROUPED)
    unsure, chosen = StringIO(), StringIO()

    # Read under line 1, every row has a value too many and is refused.
    call_command("import_files", str(path), stdout=unsure)
    call_command(
        "import_files", str(path), "--header-row", "grouped.csv:2", stdout=chosen
    )

    assert (
        f"  {GROUPED_UNSURE}\n  Choose another with --header-row 'grouped.csv:<line>'\n"
    ) in unsure.getvalue()
    assert "Accounts        0        0          0         3\n" in unsure.getvalue()
    assert (
        "grouped.csv:3  'Pelican Paper Co,Paper,120,Sweden': 4 values but the "
        "header has 3 columns (rejected)\n"
    ) in unsure.getvalue()
    assert f"  {GROUPED_CHOSEN}\n  line 1 skipped: Company, Size\n" in (
        chosen.getvalue()
    )
    assert "  Employees       -> account.employees\n" in chosen.getvalue()
    assert "Checked import" in chosen.getvalue()


def test_the_command_refuses_a_header_row_that_is_no_line(tmp_path) -> None:
    path = tmp_path / "grouped.csv"
    path.write_bytes(GROUPED)

    with pytest.raises(CommandError) as refused:
        call_command("import_files", str(path), "--header-row", "grouped.csv:two")

    assert str(refused.value) == (
        "--header-row 'grouped.csv:two': give the header's line number from 1, "
        "e.g. report.csv:4"
    )


def test_the_mapping_page_says_the_header_and_takes_another(client, ops) -> None:
    # given
    mapped = uploaded("grouped.csv", GROUPED, ops)
    client.force_login(ops)
    url = reverse("accounts:wizard_mapping", args=[mapped.job_id])

    # when
    asked = client.get(url).content.decode()
    chosen = client.post(
        reverse("accounts:wizard_header", args=[mapped.job_id]),
        {"file": "grouped.csv", "line": "2"},
    )
    page = client.get(url).content.decode()

    # then
    assert (
        '<p class="header-said">Header row: line 1 (found). Lode is not sure: '
        "line 2 below it names more columns and holds no figures; 2 of its 4 "
        "columns have no name.</p>"
    ) in asked
    assert (
        '<option value="2">line 2: Account Name · Industry · Employees · '
        "Billing Country</option>"
    ) in asked
    assert chosen.status_code == 302
    assert f'<p class="header-said">{GROUPED_CHOSEN}</p>' in page
    assert (
        '<li><span class="muted">Line 1, skipped:</span> Company · Size</li>'
    ) in page
    assert '<option value="2" selected>' in page
    assert 'aria-label="Field for Billing Country"' in page


def test_the_mapping_page_names_a_refused_header_row(client, ops) -> None:
    mapped = uploaded("grouped.csv", GROUPED, ops)
    client.force_login(ops)

    page = client.post(
        reverse("accounts:wizard_header", args=[mapped.job_id]),
        {"file": "grouped.csv", "line": "9"},
        follow=True,
    )

    assert (
        "grouped.csv: line 9 cannot be the header row; choose one of lines 1-4"
    ) in page.content.decode()


# An ERP extract's preamble: 39 lines of title, parameters and notes, one
# cell each, above the header on line 40.
PREAMBLE = [f"Report parameter {number}: all" for number in range(1, 40)]
LONG = (
    "\n".join(PREAMBLE)
    + "\nAccount Name,Industry,Employees\n"
    + "Pelican Paper Co,Paper,120\n"
    + "Gull Bank,Banking,3400\n"
).encode()
LONG_CHOSEN = "Header row: line 40 (chosen by you, 39 lines above it skipped)."
PAST_THE_BOUND = (
    "long.csv: line 201 cannot be the header row: it must be one of the first "
    "200 lines; delete the lines above the header and upload the file again"
)


def long_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for text in PREAMBLE:
        sheet.append([text])
    sheet.append(["Account Name", "Industry", "Employees"])
    sheet.append(["Pelican Paper Co", "Paper", 120])
    sheet.append(["Gull Bank", "Banking", 3400])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content"), [("long.csv", LONG), ("long.xlsx", long_workbook())]
)
def test_a_header_on_line_40_can_be_chosen(ops, name: str, content: bytes) -> None:
    # given
    mapped = uploaded(name, content, ops)
    (found,) = mapped_import_files_read(mapped=mapped)
    assert found.table.header is not None
    assert found.table.header.describe() == (
        "Header row: line 1 (found). Lode is not sure: line 40 below it has 3 values."
    )

    # when
    mapped_import_headers_choose(mapped=mapped, headers={name: 40})
    (preview,) = mapped_import_files_read(mapped=mapped)

    # then
    assert [line for line, _ in found.table.header.candidates] == list(range(1, 43))
    assert preview.table.header is not None
    assert preview.table.header.describe() == LONG_CHOSEN
    assert preview.table.columns == ["Account Name", "Industry", "Employees"]
    assert preview.head == [
        ["Pelican Paper Co", "Paper", "120"],
        ["Gull Bank", "Banking", "3400"],
    ]
    assert preview.table.lines == [41, 42]
    assert [(note.line, note.reason) for note in preview.table.notes] == [
        (1, "Lines 1-39, above the header row chosen, are skipped")
    ]


def test_the_chosen_header_on_line_40_is_written_with_its_lines(ops) -> None:
    # given
    mapped = uploaded("long.csv", LONG, ops)
    mapped_import_headers_choose(mapped=mapped, headers={"long.csv": 40})
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}

    # when
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert sorted(Account.objects.values_list("name", "sector", "employees")) == [
        ("Gull Bank", "Banking", 3400),
        ("Pelican Paper Co", "Paper", 120),
    ]


def test_a_header_row_past_the_first_200_lines_is_refused(ops) -> None:
    rows = b"".join(b"Acme %d,Paper,%d\n" % (number, number) for number in range(300))
    mapped = uploaded("long.csv", b"Account Name,Industry,Employees\n" + rows, ops)

    with pytest.raises(WizardError) as past:
        mapped_import_headers_choose(mapped=mapped, headers={"long.csv": 201})
    mapped_import_headers_choose(mapped=mapped, headers={"long.csv": 200})
    (preview,) = mapped_import_files_read(mapped=mapped)

    assert str(past.value) == PAST_THE_BOUND
    assert preview.table.columns == ["Acme 198", "Paper", "198"]
    assert preview.table.lines[0] == 201


def test_the_api_takes_a_header_row_on_line_40(ops) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)

    # when
    uploaded = api.post(
        "/api/accounts/imports/",
        {
            "files": [SimpleUploadedFile("long.csv", LONG, "text/csv")],
            "header_rows": '{"long.csv": 40}',
        },
        format="multipart",
    )
    url = f"/api/accounts/imports/{uploaded.json()['id']}/header/"
    refused = api.post(url, {"file": "long.csv", "line": 201}, format="json")
    chosen = api.post(url, {"file": "long.csv", "line": 40}, format="json")

    # then
    assert uploaded.status_code == 201, uploaded.content
    (file,) = uploaded.json()["file_previews"]
    assert file["header"]["said"] == LONG_CHOSEN
    assert file["mapping"] == {
        "Account Name": "account.name",
        "Industry": "account.sector",
        "Employees": "account.employees",
    }
    assert refused.status_code == 400
    assert refused.json() == {"line": [PAST_THE_BOUND]}
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["files"][0]["header"]["line"] == 40


def test_the_command_takes_a_header_row_on_line_40(tmp_path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(LONG)
    out = StringIO()

    call_command("import_files", str(path), "--header-row", "long.csv:40", stdout=out)
    with pytest.raises(CommandError) as refused:
        call_command("import_files", str(path), "--header-row", "long.csv:201")

    assert (
        f"  {LONG_CHOSEN}\n"
        "  line 1 skipped: Report parameter 1: all\n"
        "  line 2 skipped: Report parameter 2: all\n"
        "  line 3 skipped: Report parameter 3: all\n"
        "  and 36 more lines skipped, up to line 39\n"
        "  Account Name -> account.name\n"
    ) in out.getvalue()
    assert out.getvalue().count(" skipped: ") == 3
    assert "  Employees    -> account.employees\n" in out.getvalue()
    assert str(refused.value) == PAST_THE_BOUND


def test_the_mapping_page_offers_every_line_up_to_200(client, ops) -> None:
    # given
    mapped = uploaded("long.csv", LONG, ops)
    client.force_login(ops)
    url = reverse("accounts:wizard_mapping", args=[mapped.job_id])

    # when
    asked = client.get(url).content.decode()
    chosen = client.post(
        reverse("accounts:wizard_header", args=[mapped.job_id]),
        {"file": "long.csv", "line": "40"},
    )
    page = client.get(url).content.decode()

    # then
    assert (
        '<option value="40">line 40: Account Name · Industry · Employees</option>'
    ) in asked
    chooser = asked.partition('<select id="header-line-0"')[2].partition("</select>")[0]
    assert chooser.count("<option value=") == 42
    assert ("Any line with content among the first 200 can be the header.</p>") in asked
    assert chosen.status_code == 302
    assert f'<p class="header-said">{LONG_CHOSEN}</p>' in page
    assert 'aria-label="Field for Employees"' in page


def test_a_repaired_header_names_its_own_line(ops) -> None:
    content = REPORT.replace(
        b"Account Name,Industry,Employees", b"Account Name,,Employees,employees"
    )
    mapped = uploaded("report.csv", content, ops)

    (preview,) = mapped_import_files_read(mapped=mapped)

    assert [
        (note.line, note.column, note.value, note.reason, note.action)
        for note in preview.table.notes
        if note.action == "repaired"
    ] == [
        (4, "Column 2", "", "the header cell is empty", "repaired"),
        (
            4,
            "employees (2)",
            "employees",
            "the column name 'employees' repeats, read as 'employees (2)'",
            "repaired",
        ),
        # The rows give the header's three columns, not its fourth: said
        # once for both.
        (
            5,
            "employees (2)",
            "",
            "2 rows have fewer values than the header's 4 columns (lines 5 and "
            "6): the last cells they leave out, in 'employees (2)', are read as "
            "blank",
            "repaired",
        ),
    ]


def test_an_upload_with_a_refused_header_row_leaves_no_import(ops) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    refused = api.post(
        "/api/accounts/imports/",
        {
            "files": [SimpleUploadedFile("long.csv", LONG, "text/csv")],
            "header_rows": '{"long.csv": 201}',
        },
        format="multipart",
    )
    not_a_line = api.post(
        "/api/accounts/imports/",
        {
            "files": [SimpleUploadedFile("long.csv", LONG, "text/csv")],
            "header_rows": '{"long.csv": true}',
        },
        format="multipart",
    )

    assert refused.status_code == 400
    assert refused.json() == {"header_rows": [PAST_THE_BOUND]}
    assert not_a_line.status_code == 400
    assert not_a_line.json() == {
        "header_rows": [
            "header_rows: the value for 'long.csv' must be a whole number, in a "
            "JSON object of each file's header line number, such as "
            '{"file.csv": 3}; got true'
        ]
    }
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("sent", "got"),
    [
        ("40", "40"),
        ("[40]", "[40]"),
        ('"long.csv: 40"', '"long.csv: 40"'),
        ("null", "null"),
    ],
)
def test_header_rows_that_are_not_an_object_are_refused_by_field(
    ops, sent: str, got: str
) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    refused = api.post(
        "/api/accounts/imports/",
        {
            "files": [SimpleUploadedFile("long.csv", LONG, "text/csv")],
            "header_rows": sent,
        },
        format="multipart",
    )

    assert refused.status_code == 400
    assert refused.json() == {
        "header_rows": [
            "header_rows must be a JSON object of each file's header line "
            f'number, such as {{"file.csv": 3}}; got {got}'
        ]
    }
    assert not ImportJob.objects.exists()


def test_the_header_api_names_an_unknown_file_under_file(ops) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    uploaded = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("long.csv", LONG, "text/csv")]},
        format="multipart",
    )
    url = f"/api/accounts/imports/{uploaded.json()['id']}/header/"

    # when
    refused = api.post(url, {"file": "deals.csv", "line": 40}, format="json")

    # then
    assert refused.status_code == 400
    assert refused.json() == {
        "file": ["This import has no file 'deals.csv'; its files are 'long.csv'."]
    }
