"""Compressed uploads: a gzipped CSV and a ZIP of CSV and XLSX files."""

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob
from accounts.wizard import (
    WizardError,
    mapped_import_create,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_size,
    mapped_import_start,
)

pytestmark = pytest.mark.django_db

ACCOUNTS = (
    b"Account Name,Industry,Employees\n"
    b"Pelican Paper Co,Manufacturing,120\n"
    b"Gull Bank,Banking,3400\n"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Account Name", "Employees"])
    sheet.append(["Heron Freight", 75])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(mapped) -> ImportJob:
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return mapped_import_run(mapped=mapped)


def test_a_gzipped_csv_imports_as_the_csv_it_holds(ops) -> None:
    # given
    packed = gzip.compress(ACCOUNTS)

    # when
    mapped = mapped_import_create(user=ops, files=[("accounts.csv.gz", packed)])
    job = run(mapped)

    # then: stored and counted unpacked, under the name inside
    assert [(f["name"], f["size"]) for f in mapped.files] == [
        ("accounts.csv", len(ACCOUNTS))
    ]
    assert mapped_import_size(mapped=mapped) == len(ACCOUNTS)
    # The run's row report has a folder of its own beside the upload.
    assert sorted(p.name for p in Path(mapped.job.source_directory).iterdir()) == [
        "accounts.csv",
        "report",
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(Account.objects.order_by("name").values_list("name", "employees")) == [
        ("Gull Bank", 3400),
        ("Pelican Paper Co", 120),
    ]


def test_a_zip_of_a_csv_and_a_workbook_imports_both(ops) -> None:
    # given
    book = workbook()
    archive = zipped(
        {
            "export/accounts.csv": ACCOUNTS,
            "export/more.xlsx": book,
            "__MACOSX/export/._accounts.csv": b"\x00\x05",
        }
    )

    # when
    mapped = mapped_import_create(user=ops, files=[("export.zip", archive)])
    job = run(mapped)

    # then
    assert [(f["name"], f["size"]) for f in mapped.files] == [
        ("accounts.csv", len(ACCOUNTS)),
        ("more.xlsx", len(book)),
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Gull Bank",
        "Heron Freight",
        "Pelican Paper Co",
    ]


def test_a_zip_holding_other_data_files_is_refused_and_leaves_no_job(ops) -> None:
    archive = zipped({"accounts.csv": ACCOUNTS, "accounts.xls": b"\xd0\xcf\x11\xe0"})

    with pytest.raises(WizardError) as refused:
        mapped_import_create(user=ops, files=[("export.zip", archive)])

    assert str(refused.value) == (
        "export.zip: holds accounts.xls, which Lode cannot read; a ZIP upload "
        "may hold only CSV and XLSX files (save a workbook in another format "
        "as .xlsx or CSV)"
    )
    assert ImportJob.objects.count() == 0


def test_an_archive_that_unpacks_past_the_limit_is_refused(settings, ops) -> None:
    # given: 2 MB of zeros pack into a few kilobytes
    settings.LODE_UPLOAD_MAX_BYTES = 1024 * 1024
    bomb = gzip.compress(ACCOUNTS + b"0" * (2 * 1024 * 1024))
    member = zipped({"accounts.csv": ACCOUNTS + b"0" * (2 * 1024 * 1024)})

    # when
    with pytest.raises(WizardError) as gzipped:
        mapped_import_create(user=ops, files=[("accounts.csv.gz", bomb)])
    with pytest.raises(WizardError) as zipped_up:
        mapped_import_create(user=ops, files=[("accounts.zip", member)])

    # then
    assert len(bomb) < 10_000
    assert str(gzipped.value) == (
        "accounts.csv.gz: unpacks to more than the upload limit of 1.0 MB; split "
        "the file or import fewer rows at once"
    )
    assert str(zipped_up.value) == (
        "accounts.zip: unpacks to 2.0 MB, over the upload limit of 1.0 MB; "
        "split the file or import fewer rows at once"
    )
    assert ImportJob.objects.count() == 0


def test_a_broken_gzip_is_refused_with_its_reason(ops) -> None:
    broken = gzip.compress(ACCOUNTS)[:20]

    with pytest.raises(WizardError) as refused:
        mapped_import_create(user=ops, files=[("accounts.csv.gz", broken)])

    assert str(refused.value) == (
        "accounts.csv.gz: the archive cannot be read (Compressed file ended "
        "before the end-of-stream marker was reached); compress the file again "
        "or upload it uncompressed"
    )


def test_a_gzip_of_no_csv_is_refused(ops) -> None:
    with pytest.raises(WizardError) as refused:
        mapped_import_create(
            user=ops, files=[("backup.tar.gz", gzip.compress(b"tar bytes"))]
        )

    assert str(refused.value) == (
        "backup.tar.gz: a gzip upload must hold a CSV file named like accounts.csv.gz"
    )


def test_the_api_takes_a_gzipped_csv(ops) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = api.post(
        "/api/accounts/imports/",
        {
            "files": [
                SimpleUploadedFile(
                    "accounts.csv.gz", gzip.compress(ACCOUNTS), "application/gzip"
                )
            ]
        },
        format="multipart",
    )

    assert response.status_code == 201, response.content
    assert response.json()["files"] == ["accounts.csv"]
    assert response.json()["file_previews"][0]["mapping"] == {
        "Account Name": "account.name",
        "Industry": "account.sector",
        "Employees": "account.employees",
    }


def test_the_api_refuses_a_zip_of_other_files(ops) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = api.post(
        "/api/accounts/imports/",
        {
            "files": [
                SimpleUploadedFile(
                    "export.zip", zipped({"a.docx": b"x"}), "application/zip"
                )
            ]
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {
        "files": [
            "export.zip: the ZIP archive holds no CSV or XLSX file; left out "
            "a.docx: a document or image, not a data file"
        ]
    }
