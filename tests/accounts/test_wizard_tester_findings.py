"""The import wizard problems a tester found, one small fixture each."""

import csv
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts.importing import ImportFileError
from accounts.models import (
    Account,
    AccountAlias,
    AccountTeamMember,
    ImportJob,
    User,
)
from accounts.streaming import table_chunks
from accounts.tabular import byte_lines
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from tests.accounts.factories import AccountFactory, UserFactory
from tests.accounts.wizard_steps import opened
from tests.responses import ApiResponse

QUIRKS = Path(__file__).parent / "fixtures" / "quirks"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def test_plain_company_headers_map_to_accounts_with_no_manual_mapping(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    mapped = opened(QUIRKS / "plain_accounts.csv")

    # when
    [preview] = mapped_import_files_read(mapped=mapped)
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()

    # then
    assert preview.kind == "plain accounts"
    assert preview.mapping == {
        "Company": ("account", "name"),
        "Industry": ("account", "sector"),
        "Country": ("account", "country"),
        "Employees": ("account", "employees"),
    }
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    assert list(
        Account.objects.order_by("name").values_list(
            "name", "sector", "country", "employees"
        )
    ) == [
        ("Gull Logistics", "Logistics", "Norway", 1300),
        ("Pelican Paper Co", "Paper", "Canada", 420),
    ]


def test_plain_revenue_website_and_owner_headers_map_to_accounts(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    UserFactory.create(username="praman", first_name="Priya", last_name="Raman")
    mapped = opened(QUIRKS / "plain_accounts_owned.csv")

    # when
    [preview] = mapped_import_files_read(mapped=mapped)
    outcome = mapped_import_check(mapped=mapped)
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()

    # then
    assert preview.mapping == {
        "Company Name": ("account", "name"),
        "Revenue": ("account", "annual_revenue"),
        "Website": ("account", "website"),
        "Owner": ("account", "owner"),
    }
    assert (
        "plain_accounts_owned.csv",
        "Website",
        "read but not stored: Lode has no such field",
    ) in outcome.decisions
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    account = Account.objects.get()
    assert (
        account.name,
        account.annual_revenue,
        account.annual_revenue_currency,
    ) == ("Pelican Paper Co", Decimal("2500000.00"), "USD")
    assert list(
        AccountTeamMember.objects.values_list("account__name", "user__username")
    ) == [("Pelican Paper Co", "praman")]


def test_an_undone_report_labels_its_undo_lines_as_the_whole_imports(
    django_capture_on_commit_callbacks, client
) -> None:
    # given: an import that created a user, undone
    olga = UserFactory.create(username="olga", role=User.Role.OPS)
    mapped = opened(QUIRKS / "one_user.csv")
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
        )
        mapped_import_run(mapped=mapped)
    mapped_import_undo(mapped=mapped, user=olga)
    mapped.job.refresh_from_db()
    client.force_login(olga)

    # when
    report = list(
        csv.reader(io.StringIO("".join(mapped_import_report_csv(job=mapped.job))))
    )
    page = client.get(reverse("accounts:wizard_report", args=[mapped.job.pk]))

    # then
    undo_line = [
        "(whole import)",
        "",
        "email",
        "lee.park@lode.example",
        "deleted: created by this import and not used since",
        "undone",
    ]
    assert undo_line in report
    assert not [row for row in report if row[1:2] == ["0"]]
    assert mapped.job.issues[-1]["line"] is None
    assert (
        '<td class="file">(whole import)</td><td class="num"></td><td>email</td>'
        in page.content.decode()
    )


def _workbook(*sheets: str) -> bytes:
    book = Workbook()
    book.active.title = sheets[0]
    for name in sheets[1:]:
        book.create_sheet(name)
    for sheet in book.worksheets:
        sheet.append(["Company", "Employees"])
        sheet.append(["Pelican Paper Co", 420])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_sheet_api_reads_the_only_workbook_and_names_the_field_otherwise(
    ops,
) -> None:
    # given: one import with a workbook and a CSV, one with two workbooks,
    # one with a CSV only
    api = APIClient()
    api.force_authenticate(ops)
    plain = (QUIRKS / "plain_accounts.csv").read_bytes()

    def upload(*files: tuple[str, bytes]) -> str:
        response = api.post(
            "/api/accounts/imports/",
            {
                "files": [SimpleUploadedFile(name, data) for name, data in files],
                "sheets": json.dumps(
                    {name: "Accounts" for name, _ in files if name.endswith("x")}
                ),
            },
            format="multipart",
        )
        assert response.status_code == 201, response.content
        return f"/api/accounts/imports/{response.json()['id']}/sheet/"

    one_book = upload(("crm.xlsx", _workbook("Accounts", "Notes")), ("a.csv", plain))
    two_books = upload(
        ("crm.xlsx", _workbook("Accounts", "Notes")),
        ("erp.xlsx", _workbook("Accounts")),
    )
    no_book = upload(("a.csv", plain))

    # when
    only = api.get(one_book)
    several = api.get(two_books)
    named = api.get(two_books, {"file": "erp.xlsx"})
    none = api.get(no_book)

    # then
    assert only.status_code == 200
    assert only.json() == {
        "file": "crm.xlsx",
        "sheets": ["Accounts", "Notes"],
        "chosen": "Accounts",
    }
    assert several.status_code == 400
    assert several.json() == {
        "file": [
            "This import holds 2 workbooks; name one as ?file=, one of "
            "'crm.xlsx', 'erp.xlsx'."
        ]
    }
    assert named.json() == {
        "file": "erp.xlsx",
        "sheets": ["Accounts"],
        "chosen": "Accounts",
    }
    assert none.status_code == 400
    assert none.json() == {
        "file": [
            "This import holds no XLSX workbook, so it has no sheets to choose; "
            "its files are 'a.csv'."
        ]
    }


def _upload(api: APIClient, name: str) -> ApiResponse:
    return api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(name, (QUIRKS / name).read_bytes())]},
        format="multipart",
    )


def test_a_quote_that_swallows_the_rest_of_its_row_is_a_quoting_error(ops) -> None:
    # given: Bob's last name opens a quote that closes only at the end of
    # the next line, so his row has no company of its own
    api = APIClient()
    api.force_authenticate(ops)

    # when
    response = _upload(api, "people_quote_open.csv")

    # then
    assert response.status_code == 400
    assert response.json() == {
        "files": [
            "people_quote_open.csv: a quoted value that starts on line 3 is "
            "closed only on line 4, so the row has 2 of its 4 values and the "
            "delimiters inside the quotes were read as text; is a closing "
            "quote missing? Fix the quotes and upload the file again"
        ]
    }
    assert not ImportJob.objects.exists()


def test_a_file_mixing_utf8_and_windows_1252_lines_is_refused_naming_them(
    ops,
) -> None:
    api = APIClient()
    api.force_authenticate(ops)

    response = _upload(api, "mixed_encodings.csv")

    assert response.status_code == 400
    assert response.json() == {
        "files": [
            "mixed_encodings.csv: the file mixes two text encodings: lines 3 "
            "and 6 are UTF-8 but lines 2 and 5 are Windows-1252, and reading "
            "it as either would garble the accented letters of the other "
            "lines; save the whole file as UTF-8 CSV and upload it again"
        ]
    }
    assert not Account.objects.exists()


def test_a_long_mixed_file_names_ten_lines_of_each_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    # given: one Windows-1252 line, then 25 UTF-8 lines
    path = tmp_path / "long.csv"
    path.write_bytes(
        b"Company,Country\r\n"
        + "Café Zürich,Switzerland\r\n".encode("cp1252")
        + "".join(f"Åkesson {n},Sweden\r\n" for n in range(25)).encode()
    )

    with pytest.raises(ImportFileError) as refused:
        list(table_chunks(path=path, file="long.csv"))

    assert refused.value.message == (
        "the file mixes two text encodings: lines 3, 4, 5, 6, 7, 8, 9, 10, 11, "
        "12 and 15 more are UTF-8 but line 2 is Windows-1252, and reading it "
        "as either would garble the accented letters of the other lines; save "
        "the whole file as UTF-8 CSV and upload it again"
    )
    assert list(byte_lines([b"a\r", b"\nb\rc\n", b"d\r"])) == [b"a", b"b", b"c", b"d"]


def test_a_zip_leaves_out_system_files_and_a_readme_and_lists_them(ops, client) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    client.force_login(ops)

    # when
    response = _upload(api, "export_with_extras.zip")
    mapping = client.get(
        reverse("accounts:wizard_mapping", args=[response.json()["id"]])
    )

    # then
    assert response.status_code == 201, response.content
    assert response.json()["files"] == ["accounts.csv"]
    assert response.json()["skipped"] == [
        {
            "archive": "export_with_extras.zip",
            "file": "export/README.txt",
            "reason": "a document or image, not a data file",
        },
        {
            "archive": "export_with_extras.zip",
            "file": "export/.DS_Store",
            "reason": "a file macOS or Windows adds to archives, not data",
        },
        {
            "archive": "export_with_extras.zip",
            "file": "__MACOSX/export/._accounts.csv",
            "reason": "a file macOS or Windows adds to archives, not data",
        },
    ]
    assert (
        "<li><code>export/README.txt</code> in export_with_extras.zip: a document "
        "or image, not a data file</li>"
    ) in mapping.content.decode()


def test_a_zip_holding_a_data_file_lode_cannot_read_is_refused_naming_it(
    ops,
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(QUIRKS / "plain_accounts.csv", "accounts.csv")
        archive.writestr("__MACOSX/._accounts.csv", b"\x00\x05")
        archive.writestr("contacts.json", b"[]")

    # when
    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("crm.zip", buffer.getvalue())]},
        format="multipart",
    )

    # then
    assert response.status_code == 400
    assert response.json() == {
        "files": [
            "crm.zip: holds contacts.json, which Lode cannot read; a ZIP upload "
            "may hold only CSV and XLSX files (save a workbook in another "
            "format as .xlsx or CSV)"
        ]
    }
    assert not ImportJob.objects.exists()


def test_the_account_page_lists_the_names_imports_accepted_for_it(
    django_capture_on_commit_callbacks, client, ops, rep
) -> None:
    # given: an import whose merge accepted "PELICAN PAPER CO." as Pelican
    pelican = AccountFactory.create(name="Pelican Paper Co")
    pelican.team_members.add(rep)
    mapped = mapped_import_create_from_paths(
        user=ops, paths=[QUIRKS / "plain_accounts_renamed.csv"]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(
            mapped=mapped,
            merges={"PELICAN PAPER CO.": "Pelican Paper Co"},
            keep_good_rows=False,
        )
    mapped.job.refresh_from_db()
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    accepted = AccountAlias.objects.get()
    url = reverse("accounts:detail", args=[pelican.pk])
    day = date_format(localtime(accepted.created_at), "j M Y")
    report = reverse("accounts:wizard_report", args=[mapped.job.pk])

    # when
    client.force_login(rep)
    as_rep = client.get(url).content.decode()
    client.force_login(ops)
    as_ops = client.get(url).content.decode()

    # then
    assert (accepted.name, accepted.account, accepted.job) == (
        "PELICAN PAPER CO.",
        pelican,
        mapped.job,
    )
    assert (
        f'<li><span>PELICAN PAPER CO.</span> <span class="muted">accepted in '
        f"import {mapped.job.pk} by {ops.display_name}, {day}</span></li>"
    ) in as_rep
    assert (
        f'<li><span>PELICAN PAPER CO.</span> <span class="muted">accepted in <a '
        f'href="{report}">import {mapped.job.pk}</a> by {ops.display_name}, '
        f"{day}</span></li>"
    ) in as_ops


def test_the_undo_preview_calls_stakeholders_people_as_the_pages_do(
    django_capture_on_commit_callbacks, client, ops
) -> None:
    # given: an import that added one person to Pelican
    AccountFactory.create(name="Pelican Paper Co")
    mapped = mapped_import_create_from_paths(
        user=ops, paths=[QUIRKS / "people_pelican.csv"]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
        )
        mapped_import_run(mapped=mapped)
    api = APIClient()
    api.force_authenticate(ops)
    client.force_login(ops)

    # when
    preview = api.get(f"/api/accounts/imports/{mapped.job.pk}/undo/")
    page = client.get(reverse("accounts:wizard_undo", args=[mapped.job.pk]))

    # then
    assert preview.json()["deleted"] == {"people": 1}
    assert (
        '<tr><th scope="row">People</th><td class="num">1</td>'
        '<td class="num">0</td></tr>'
    ) in page.content.decode()
    assert "takeholder" not in page.content.decode()
