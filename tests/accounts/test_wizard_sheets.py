"""A workbook with data on several sheets: the user chooses the sheet."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob
from accounts.tabular import SheetChoiceError
from accounts.wizard import (
    WizardError,
    mapped_import_check,
    mapped_import_create,
    mapped_import_files_read,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
)
from accounts.wizard_sheets import mapped_import_sheets_choose
from tests.responses import ApiResponse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook_bytes(tmp_path: Path) -> bytes:
    workbook = Workbook()
    notes = workbook.active
    notes.title = "Read me"
    notes.append(["Exported from the CRM on 2 Dec"])
    accounts = workbook.create_sheet("Accounts")
    accounts.append(["Account Name", "Employees"])
    accounts.append(["Pelican Paper Co", 120])
    accounts.append(["Gull Bank", 3400])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    return path.read_bytes()


def test_the_preview_refuses_until_a_sheet_is_chosen(tmp_path: Path, ops) -> None:
    mapped = mapped_import_create(
        user=ops, files=[("export.xlsx", workbook_bytes(tmp_path))]
    )

    with pytest.raises(SheetChoiceError) as refused:
        mapped_import_files_read(mapped=mapped)

    assert str(refused.value) == (
        "export.xlsx: the workbook has data on 2 sheets: 'Read me', 'Accounts'; "
        "choose the sheet to import"
    )


def test_the_chosen_sheet_is_previewed_checked_and_written(tmp_path: Path, ops) -> None:
    # given
    mapped = mapped_import_create(
        user=ops, files=[("export.xlsx", workbook_bytes(tmp_path))]
    )

    # when
    mapped_import_sheets_choose(mapped=mapped, sheets={"export.xlsx": "Accounts"})
    [preview] = mapped_import_files_read(mapped=mapped)
    mapping = {preview.name: {c: list(t) for c, t in preview.mapping.items()}}
    assert mapped_import_mapping_confirm(mapped=mapped, mapping=mapping, user=ops) == {}
    assert mapped_import_check(mapped=mapped).problems == []
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert preview.table.describe() == "Read sheet 'Accounts' of an XLSX workbook."
    assert preview.table.columns == ["Account Name", "Employees"]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert dict(Account.objects.values_list("name", "employees")) == {
        "Pelican Paper Co": 120,
        "Gull Bank": 3400,
    }


@pytest.mark.parametrize(
    ("sheets", "message"),
    [
        (
            {"export.xlsx": "Deals"},
            "export.xlsx has no sheet 'Deals'; its sheets are 'Read me', 'Accounts'.",
        ),
        (
            {"deals.xlsx": "Accounts"},
            "This import has no file 'deals.xlsx'; its files are 'export.xlsx', "
            "'notes.csv'.",
        ),
        (
            {"notes.csv": "Accounts"},
            "notes.csv is not an XLSX workbook, so it has no sheets to choose",
        ),
    ],
)
def test_a_sheet_that_is_not_there_is_refused_by_name(
    tmp_path: Path, ops, sheets: dict[str, str], message: str
) -> None:
    mapped = mapped_import_create(
        user=ops,
        files=[
            ("export.xlsx", workbook_bytes(tmp_path)),
            ("notes.csv", b"Account Name\nPelican Paper Co\n"),
        ],
    )

    with pytest.raises(WizardError) as refused:
        mapped_import_sheets_choose(mapped=mapped, sheets=sheets)

    assert str(refused.value) == message
    mapped.refresh_from_db()
    assert all("sheet" not in file for file in mapped.files)


def test_the_mapping_page_asks_for_the_sheet_and_reads_the_one_chosen(
    tmp_path: Path, client, ops
) -> None:
    # given
    mapped = mapped_import_create(
        user=ops, files=[("export.xlsx", workbook_bytes(tmp_path))]
    )
    url = reverse("accounts:wizard_mapping", args=[mapped.job_id])
    client.force_login(ops)

    # when
    asked = client.get(url).content.decode()
    chosen = client.post(
        reverse("accounts:wizard_sheet", args=[mapped.job_id]),
        {"file": "export.xlsx", "sheet": "Accounts"},
        follow=True,
    )

    # then
    assert "Which sheet of export.xlsx?" in asked
    assert "The workbook has data on 2 sheets." in asked
    assert 'name="sheet" value="Read me" required checked' in asked
    assert 'name="sheet" value="Accounts" required>' in asked
    assert chosen.redirect_chain == [(url, 302)]
    page = chosen.content.decode()
    assert "Read sheet &#x27;Accounts&#x27; of an XLSX workbook." in page
    assert "Which sheet" not in page


def test_the_page_names_a_missing_sheet(tmp_path: Path, client, ops) -> None:
    mapped = mapped_import_create(
        user=ops, files=[("export.xlsx", workbook_bytes(tmp_path))]
    )
    client.force_login(ops)

    response = client.post(
        reverse("accounts:wizard_sheet", args=[mapped.job_id]),
        {"file": "export.xlsx", "sheet": "Deals"},
        follow=True,
    )

    assert (
        "export.xlsx has no sheet &#x27;Deals&#x27;; its sheets are "
        "&#x27;Read me&#x27;, &#x27;Accounts&#x27;."
    ) in response.content.decode()


def _command(*args: str) -> str:
    out = StringIO()
    call_command("import_files", *args, stdout=out)
    return out.getvalue()


def test_the_command_names_the_sheets_and_reads_the_one_given(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(workbook_bytes(tmp_path))

    with pytest.raises(CommandError) as refused:
        _command(str(path))
    output = _command(str(path), "--sheet", "export.xlsx:Accounts", "--yes")
    again = _command(str(path), "--sheet", "Accounts")

    assert str(refused.value) == (
        "export.xlsx: the workbook has data on 2 sheets: 'Read me', 'Accounts'; "
        "choose the sheet to import; name it with --sheet 'export.xlsx:<sheet>'"
    )
    assert output.startswith(
        "export.xlsx: Read sheet 'Accounts' of an XLSX workbook. 2 rows"
    )
    assert "Accounts        2        0          0         0\n" in output
    assert "Accounts        0        0          2         0\n" in again
    assert Account.objects.count() == 2


def test_the_command_refuses_a_sheet_for_a_file_not_given(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(workbook_bytes(tmp_path))

    with pytest.raises(CommandError) as refused:
        _command(str(path), "--sheet", "deals.xlsx:Accounts")

    assert str(refused.value) == (
        "--sheet 'deals.xlsx:Accounts' names 'deals.xlsx', which is not one of "
        "the files given"
    )


def _api_upload(api: APIClient, content: bytes, **data: str) -> ApiResponse:
    return api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("export.xlsx", content)], **data},
        format="multipart",
    )


def test_the_api_reads_the_sheet_named_with_the_upload(tmp_path: Path, ops) -> None:
    api = APIClient()
    api.force_authenticate(ops)
    content = workbook_bytes(tmp_path)

    refused = _api_upload(api, content)
    wrong = _api_upload(api, content, sheets='{"export.xlsx": "Deals"}')
    taken = _api_upload(api, content, sheets='{"export.xlsx": "Accounts"}')

    assert refused.status_code == 400
    assert refused.json() == {
        "files": [
            "export.xlsx: the workbook has data on 2 sheets: 'Read me', "
            "'Accounts'; choose the sheet to import"
        ]
    }
    assert wrong.status_code == 400
    assert wrong.json() == {
        "sheets": [
            "export.xlsx has no sheet 'Deals'; its sheets are 'Read me', 'Accounts'."
        ]
    }
    assert taken.status_code == 201, taken.content
    [file] = taken.json()["file_previews"]
    assert file["read_as"] == "Read sheet 'Accounts' of an XLSX workbook."
    assert file["columns"] == ["Account Name", "Employees"]
    # The refused uploads left no unstarted import behind.
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [taken.json()["id"]]


def test_the_api_refuses_sheets_that_are_not_an_object(tmp_path: Path, ops) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = _api_upload(api, workbook_bytes(tmp_path), sheets='["Accounts"]')

    assert response.status_code == 400
    assert response.json() == {
        "sheets": [
            "sheets must be a JSON object of each workbook's sheet name, such "
            'as {"file.xlsx": "sheet"}; got ["Accounts"]'
        ]
    }
    assert not ImportJob.objects.exists()


def test_the_mapping_page_lets_another_sheet_be_chosen(
    tmp_path: Path, client, ops
) -> None:
    # given: the Accounts sheet was chosen
    mapped = mapped_import_create(
        user=ops, files=[("export.xlsx", workbook_bytes(tmp_path))]
    )
    mapped_import_sheets_choose(mapped=mapped, sheets={"export.xlsx": "Accounts"})
    client.force_login(ops)
    sheet_url = reverse("accounts:wizard_sheet", args=[mapped.job_id])

    # when
    mapping = client.get(reverse("accounts:wizard_mapping", args=[mapped.job_id]))
    offered = client.get(sheet_url, {"file": "export.xlsx"})
    client.post(sheet_url, {"file": "export.xlsx", "sheet": "Read me"})
    missing = client.get(sheet_url, {"file": "deals.xlsx"})

    # then
    assert f'<a href="{sheet_url}?file=export.xlsx">Read another sheet</a>' in (
        mapping.content.decode()
    )
    page = offered.content.decode()
    assert "The import reads the sheet Accounts; the workbook has 2 sheets." in page
    assert 'name="sheet" value="Read me" required>' in page
    assert 'name="sheet" value="Accounts" required checked>' in page
    mapped.refresh_from_db()
    [preview] = mapped_import_files_read(mapped=mapped)
    assert preview.table.describe() == "Read sheet 'Read me' of an XLSX workbook."
    assert missing.status_code == 404


def test_the_api_chooses_another_sheet_after_the_upload(tmp_path: Path, ops) -> None:
    # given: a workbook uploaded with its notes sheet named by mistake
    api = APIClient()
    api.force_authenticate(ops)
    uploaded = _api_upload(
        api, workbook_bytes(tmp_path), sheets='{"export.xlsx": "Read me"}'
    )
    assert uploaded.status_code == 201, uploaded.content
    url = f"/api/accounts/imports/{uploaded.json()['id']}/sheet/"

    # when
    listed = api.get(url, {"file": "export.xlsx"})
    no_file = api.get(url, {"file": "deals.csv"})
    wrong = api.post(url, {"file": "export.xlsx", "sheet": "Deals"}, format="json")
    unknown = api.post(url, {"file": "deals.csv", "sheet": "Deals"}, format="json")
    chosen = api.post(url, {"file": "export.xlsx", "sheet": "Accounts"}, format="json")
    after = api.get(url, {"file": "export.xlsx"})

    # then
    assert listed.json() == {
        "file": "export.xlsx",
        "sheets": ["Read me", "Accounts"],
        "chosen": "Read me",
    }
    assert no_file.status_code == 400
    assert no_file.json() == {"file": ["This import has no file 'deals.csv'."]}
    assert wrong.status_code == 400
    assert wrong.json() == {
        "sheet": [
            "export.xlsx has no sheet 'Deals'; its sheets are 'Read me', 'Accounts'."
        ]
    }
    assert unknown.status_code == 400
    assert unknown.json() == {
        "file": ["This import has no file 'deals.csv'; its files are 'export.xlsx'."]
    }
    assert chosen.status_code == 200, chosen.content
    [file] = chosen.json()["files"]
    assert file["read_as"] == "Read sheet 'Accounts' of an XLSX workbook."
    assert file["columns"] == ["Account Name", "Employees"]
    assert chosen["ETag"] == api.get(url.replace("sheet/", "mapping/"))["ETag"]
    assert after.json()["chosen"] == "Accounts"
