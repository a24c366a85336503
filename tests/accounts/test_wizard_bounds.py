"""Implausible values and account families of issue #6 are row problems."""

import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_is_large,
    mapped_import_mapping_accept,
    mapped_import_size,
)

BYOD = Path(__file__).parent / "fixtures" / "byod"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def check(*names: str) -> list[tuple]:
    mapped = mapped_import_create_from_paths(
        user=None, paths=[BYOD / name for name in names]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    outcome = mapped_import_check(mapped=mapped)
    assert outcome.problems == []
    return [
        (issue.file, issue.line, issue.column, issue.reason)
        for issue in outcome.issues
        if issue.action == "rejected"
    ]


def test_a_parent_that_closes_a_cycle_or_is_the_account_itself_is_refused() -> None:
    assert check("parents.csv") == [
        (
            "parents.csv",
            3,
            "Parent Account ID",
            "parent 001P01 makes a cycle: 001P02 → 001P01 → 001P02",
        ),
        ("parents.csv", 4, "Parent Account ID", "an account cannot be its own parent"),
        (
            "parents.csv",
            6,
            "Account ID",
            "Id 001P06 already on line 5 with another name",
        ),
        (
            "parents.csv",
            8,
            "Account Name",
            "name 'Same Name' already used by Id 001P07 on line 7",
        ),
    ]


def test_a_name_stored_under_another_id_is_refused() -> None:
    Account.objects.create(name="Same Name", external_id="001P00")

    assert check("parents.csv")[-2:] == [
        (
            "parents.csv",
            7,
            "Account Name",
            "name 'Same Name' already used by Id 001P00",
        ),
        (
            "parents.csv",
            8,
            "Account Name",
            "name 'Same Name' already used by Id 001P07 on line 7",
        ),
    ]


def test_invoice_dates_outside_1990_to_2099_are_refused() -> None:
    Account.objects.create(name="Acme")

    assert check("invoice_dates.csv") == [
        (
            "invoice_dates.csv",
            line,
            "Invoice Date",
            f"{day} is implausible. Give a date from 1 January 1990 to "
            "31 December 2099.",
        )
        for line, day in ((3, "1900-01-01"), (4, "2999-01-01"))
    ]


def test_a_close_date_in_2999_is_refused() -> None:
    Account.objects.create(name="Acme")

    assert check("close_date_far.csv") == [
        (
            "close_date_far.csv",
            3,
            "Close Date",
            "2999-01-01 is implausible. Give a date from 1 January 1990 to "
            "31 December 2099.",
        )
    ]


def test_nps_beyond_100_and_csat_off_the_columns_scale_are_refused() -> None:
    Account.objects.create(name="Acme")

    assert check("support_range.csv") == [
        (
            "support_range.csv",
            3,
            "CSAT",
            "CSAT 7 is outside this column's 1–5 scale; one column cannot mix scales",
        ),
        (
            "support_range.csv",
            4,
            "CSAT",
            "CSAT 95 is outside this column's 1–5 scale; one column cannot mix scales",
        ),
        (
            "support_range.csv",
            5,
            "NPS",
            "NPS -101 is outside -100 to 100; a net promoter score cannot go "
            "beyond them",
        ),
        (
            "support_range.csv",
            6,
            "NPS",
            "NPS 101 is outside -100 to 100; a net promoter score cannot go "
            "beyond them",
        ),
    ]


def test_a_percent_csat_column_refuses_values_over_100() -> None:
    Account.objects.create(name="Acme")

    assert check("support_percent.csv") == [
        (
            "support_percent.csv",
            3,
            "CSAT %",
            "CSAT 120 is outside this column's 0–100 scale; one column cannot "
            "mix scales",
        )
    ]


def test_the_api_checks_an_upload_over_the_inline_limit_in_the_background(
    ops, monkeypatch
) -> None:
    # given: the limit lowered under parents.csv, so the test file stays small
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 100)
    api = APIClient()
    api.force_authenticate(ops)
    content = (BYOD / "parents.csv").read_bytes()
    job = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("parents.csv", content, "text/csv")]},
        format="multipart",
    ).json()
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    response = api.get(url + "check/")

    # then
    assert response.status_code == 202
    assert response.json()["job"] == url
    assert response.json()["check"] == (
        f"{len(content)} bytes is over the 100 checked while you wait: POST "
        f"{url}start/ and the background run checks every row, writing nothing "
        "if one is refused unless keep_good_rows is set; follow it on this job"
    )
    assert ImportJob.objects.get(pk=job["id"]).status == ImportJob.Status.PENDING


def test_a_workbook_counts_its_unpacked_size_against_the_inline_limit(
    tmp_path, monkeypatch
) -> None:
    # given: a workbook whose repeated rows pack far below their size
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Account Name", "Industry"])
    for number in range(2_000):
        sheet.append([f"Account {number}", "Software"])
    path = tmp_path / "accounts.xlsx"
    workbook.save(path)
    with zipfile.ZipFile(path) as packed:
        unpacked = sum(part.file_size for part in packed.infolist())
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", unpacked - 1)

    # when
    mapped = mapped_import_create_from_paths(user=None, paths=[path])

    # then
    assert path.stat().st_size < unpacked - 1
    assert mapped_import_size(mapped=mapped) == unpacked
    assert mapped_import_is_large(mapped=mapped) is True
