"""A damaged XLSX upload is refused at once by the page, the API and the CLI.

Damaged means a ZIP that cannot be read, or a sheet whose XML breaks off
where the preview reads it."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts.models import ImportJob, MappedImport
from accounts.wizard import (
    WizardError,
    mapped_import_check,
    mapped_import_create,
    mapped_import_mapping_accept,
)

pytestmark = pytest.mark.django_db

GARBAGE = b"PK\x03\x04garbage"
GARBAGE_MESSAGE = (
    "corrupt.xlsx: this is not a readable XLSX workbook: it is damaged or "
    "incomplete (File is not a zip file); save it again from the spreadsheet "
    "and upload it again"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def cut_short() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Account Name", "Employees"])
    for number in range(500):
        sheet.append([f"Heron Freight {number}", number])
    buffer = io.BytesIO()
    book.save(buffer)
    whole = buffer.getvalue()
    assert len(whole) > 3000
    return whole[:3000]


def assert_nothing_left(media: Path) -> None:
    assert ImportJob.objects.count() == 0
    assert MappedImport.objects.count() == 0
    assert list((media / "imports").iterdir()) == []


def test_the_api_refuses_a_damaged_workbook_and_keeps_no_import(ops, settings) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("corrupt.xlsx", GARBAGE)]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"files": [GARBAGE_MESSAGE]}
    assert_nothing_left(settings.MEDIA_ROOT)


def test_a_workbook_cut_short_is_refused_with_its_name(ops, settings) -> None:
    with pytest.raises(WizardError) as refused:
        mapped_import_create(user=ops, files=[("accounts.xlsx", cut_short())])

    assert str(refused.value) == (
        "accounts.xlsx: this is not a readable XLSX workbook: it is damaged or "
        "incomplete (File is not a zip file); save it again from the "
        "spreadsheet and upload it again"
    )
    assert_nothing_left(settings.MEDIA_ROOT)


def test_the_wizard_page_says_so_on_the_upload_page(ops, settings) -> None:
    client = Client()
    client.force_login(ops)

    response = client.post(
        "/accounts/import/wizard/",
        {"files": [SimpleUploadedFile("corrupt.xlsx", GARBAGE)]},
    )

    assert response.status_code == 200
    assert response.context["errors"] == [GARBAGE_MESSAGE]
    assert "Something went wrong" not in response.content.decode()
    assert_nothing_left(settings.MEDIA_ROOT)


def test_the_command_line_names_the_file(ops, settings, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(GARBAGE)

    with pytest.raises(CommandError) as stopped:
        call_command("import_files", str(path), stdout=io.StringIO())

    assert str(stopped.value) == GARBAGE_MESSAGE
    assert_nothing_left(settings.MEDIA_ROOT)


# A workbook zipped by hand, part by part: the least a spreadsheet reads.
WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships">'
        '<sheets><sheet name="Accounts" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}


def sheet_row(line: int, name: str, employees: int) -> str:
    return (
        f'<row r="{line}"><c r="A{line}" t="inlineStr"><is><t>{name}</t></is></c>'
        f'<c r="B{line}"><v>{employees}</v></c></row>'
    )


def broken_workbook(*, good_rows: int, sized: bool = True) -> bytes:
    """Zip a workbook whose sheet1.xml breaks in the row after `good_rows`
    accounts; spreadsheets write the sheet's size first, unless not sized."""
    size = f'<dimension ref="A1:B{good_rows + 2}"/>' if sized else ""
    rows = "".join(
        sheet_row(line, f"Heron Freight {line}", line)
        for line in range(2, good_rows + 2)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        f'main">{size}<sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Account Name</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>Employees</t></is></c></row>'
        f'{rows}<row r="{good_rows + 2}"><c r="A{good_rows + 2}" t="inlineStr">'
        "<is><t>Gull Bank</is></c></row></sheetData></worksheet>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, part in WORKBOOK_PARTS.items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


BROKEN_SHEET_MESSAGE = (
    "broken.xlsx: sheet 'Accounts' is damaged: it cannot be read from row 4 "
    "on (mismatched tag: line 1, column 525); save it again from the "
    "spreadsheet and upload it again"
)


def test_the_api_refuses_a_workbook_whose_sheet_is_broken(ops, settings) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("broken.xlsx", broken_workbook(good_rows=2))]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"files": [BROKEN_SHEET_MESSAGE]}
    assert_nothing_left(settings.MEDIA_ROOT)


def test_the_wizard_page_refuses_a_workbook_whose_sheet_is_broken(
    ops, settings
) -> None:
    client = Client()
    client.force_login(ops)

    response = client.post(
        "/accounts/import/wizard/",
        {"files": [SimpleUploadedFile("broken.xlsx", broken_workbook(good_rows=2))]},
    )

    assert response.status_code == 200
    assert response.context["errors"] == [BROKEN_SHEET_MESSAGE]
    assert_nothing_left(settings.MEDIA_ROOT)


def test_the_command_line_refuses_a_workbook_whose_sheet_is_broken(
    ops, settings, tmp_path: Path
) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken_workbook(good_rows=2))

    with pytest.raises(CommandError) as stopped:
        call_command("import_files", str(path), stdout=io.StringIO())

    assert str(stopped.value) == BROKEN_SHEET_MESSAGE
    assert_nothing_left(settings.MEDIA_ROOT)


def test_a_sheet_broken_past_the_preview_is_named_by_the_check(ops) -> None:
    # given: 1,500 good rows, more than the preview reads
    mapped = mapped_import_create(
        user=ops, files=[("broken.xlsx", broken_workbook(good_rows=1_500))]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert outcome.problems == [
        "broken.xlsx: sheet 'Accounts' is damaged: it cannot be read from row "
        "1,502 on (mismatched tag: line 1, column 164318); save it again from "
        "the spreadsheet and upload it again"
    ]


def test_a_workbook_whose_unsized_sheet_is_broken_is_refused(ops, settings) -> None:
    with pytest.raises(WizardError) as refused:
        mapped_import_create(
            user=ops,
            files=[("broken.xlsx", broken_workbook(good_rows=2, sized=False))],
        )

    assert str(refused.value) == (
        "broken.xlsx: this is not a readable XLSX workbook: a sheet of it is "
        "damaged (mismatched tag: line 1, column 501); save it again from the "
        "spreadsheet and upload it again"
    )
    assert_nothing_left(settings.MEDIA_ROOT)
