"""A damaged XLSX upload is refused at once by the page, the API and the CLI."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts.models import ImportJob, MappedImport
from accounts.wizard import WizardError, mapped_import_create

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
    assert response.context["error"] == GARBAGE_MESSAGE
    assert "Something went wrong" not in response.content.decode()
    assert_nothing_left(settings.MEDIA_ROOT)


def test_the_command_line_names_the_file(ops, settings, tmp_path: Path) -> None:
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(GARBAGE)

    with pytest.raises(CommandError) as stopped:
        call_command("import_files", str(path), stdout=io.StringIO())

    assert str(stopped.value) == GARBAGE_MESSAGE
    assert_nothing_left(settings.MEDIA_ROOT)
