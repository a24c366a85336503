from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob, MappedImport, Opportunity
from tests.accounts.factories import AccountFactory

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
BYOD = Path(__file__).parent / "fixtures" / "byod"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(*names: str) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(name, (WIZARD / name).read_bytes(), "text/csv")
        for name in names
    ]


def test_only_sales_ops_reach_the_wizard(client, rep, manager, executive) -> None:
    for user in (rep, manager, executive):
        client.force_login(user)
        assert client.get(reverse("accounts:wizard")).status_code == 404


def test_ops_walk_upload_mapping_check_and_report(
    client, ops, django_capture_on_commit_callbacks
) -> None:
    # given
    client.force_login(ops)

    # when: upload
    response = client.post(
        reverse("accounts:wizard"),
        {"files": upload("accounts_semicolon.csv", "opportunities_semicolon.csv")},
    )

    # then: the mapping page proposes the recognised mapping
    mapped = MappedImport.objects.get()
    assert response.url == reverse("accounts:wizard_mapping", args=[mapped.job_id])
    page = client.get(response.url)
    assert b"Recognised: Salesforce report, accounts" in page.content
    assert b'<option value="account.name" selected>' in page.content

    # when: confirm the proposed mapping as it stands
    form = {
        f"map:{file}:{column}": value
        for file, column, value in [
            (0, 0, "account.name"),
            (0, 1, "account.sector"),
            (0, 2, "account.annual_revenue"),
            (0, 3, "account.employees"),
            (0, 4, "account.country"),
            (1, 0, "opportunity.name"),
            (1, 1, "opportunity.account_name"),
            (1, 2, "opportunity.stage"),
            (1, 3, "opportunity.amount"),
            (1, 4, "opportunity.close_date"),
            (1, 5, "opportunity.product"),
        ]
    }
    response = client.post(
        reverse("accounts:wizard_mapping", args=[mapped.job_id]), form
    )
    assert response.url == reverse("accounts:wizard_check", args=[mapped.job_id])

    # then: the check shows what would be written, and nothing is yet
    page = client.get(response.url)
    assert page.context["outcome"].counts["Accounts"]["created"] == 2
    assert b"day-first, as &#x27;13/02/2026&#x27; on line 2 shows" in page.content
    assert not Account.objects.exists()

    # when: import
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response.url, {})

    # then
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert Account.objects.count() == 2
    report = client.get(reverse("accounts:wizard_report", args=[job.pk]))
    assert b"Undo this import" in report.content
    csv = client.get(reverse("accounts:wizard_report_csv", args=[job.pk]))
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert b"Accounts,2,0,0,0" in csv.getvalue()

    # when: undo
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:wizard_undo", args=[job.pk]))

    # then
    assert not Account.objects.exists()
    report = client.get(reverse("accounts:wizard_report", args=[job.pk]))
    assert b"Undone" in report.content
    assert b"Undo this import" not in report.content


def test_a_mapping_with_problems_is_shown_again_with_them(client, ops) -> None:
    client.force_login(ops)
    client.post(reverse("accounts:wizard"), {"files": upload("unknown_headers.csv")})
    mapped = MappedImport.objects.get()

    response = client.post(
        reverse("accounts:wizard_mapping", args=[mapped.job_id]),
        {"map:0:0": "account.name", "map:0:1": "account.name"},
    )

    assert response.status_code == 200
    assert b"&#x27;Branche&#x27; and &#x27;Kunde&#x27; both map to account.name" in (
        response.content
    )


def test_an_upload_without_files_says_so(client, ops) -> None:
    client.force_login(ops)

    response = client.post(reverse("accounts:wizard"), {})

    assert b"Choose at least one file." in response.content


def test_a_rejected_import_goes_back_to_the_check(
    client, ops, django_capture_on_commit_callbacks
) -> None:
    # given
    client.force_login(ops)
    client.post(reverse("accounts:wizard"), {"files": upload("one_bad_row.csv")})
    mapped = MappedImport.objects.get()
    client.post(
        reverse("accounts:wizard_mapping", args=[mapped.job_id]),
        {"map:0:0": "account.name", "map:0:1": "account.employees"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:wizard_check", args=[mapped.job_id]), {})
    assert ImportJob.objects.get().status == ImportJob.Status.REJECTED

    # when
    response = client.post(reverse("accounts:wizard_reopen", args=[mapped.job_id]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {"keep_good_rows": "on"})

    # then
    assert ImportJob.objects.get().status == ImportJob.Status.SUCCEEDED
    assert list(Account.objects.values_list("name", flat=True)) == ["Good Co"]


def test_a_large_upload_is_checked_in_the_background_run(
    client, ops, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    client.force_login(ops)
    client.post(reverse("accounts:wizard"), {"files": upload("one_bad_row.csv")})
    mapped = MappedImport.objects.get()
    client.post(
        reverse("accounts:wizard_mapping", args=[mapped.job_id]),
        {"map:0:0": "account.name", "map:0:1": "account.employees"},
    )

    # when
    page = client.get(reverse("accounts:wizard_check", args=[mapped.job_id]))

    # then: the page does not run the check, the import does
    assert b"A large upload" in page.content
    assert "outcome" not in page.context
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:wizard_check", args=[mapped.job_id]),
            {"keep_good_rows": "on"},
        )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.counts["Accounts"]["rejected"] == 1


def test_the_bundled_import_page_sends_a_wizard_job_to_its_report(client, ops) -> None:
    client.force_login(ops)
    client.post(reverse("accounts:wizard"), {"files": upload("one_bad_row.csv")})
    job = ImportJob.objects.get()

    response = client.get(reverse("accounts:import_detail", args=[job.pk]))

    assert response.url == reverse("accounts:wizard_report", args=[job.pk])


def test_a_large_upload_stopped_by_a_question_is_answered_on_its_report(
    client, ops, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given: a large upload whose dates cannot decide their order
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    AccountFactory.create(name="Renewal")
    AccountFactory.create(name="Expansion")
    client.force_login(ops)
    ambiguous = BYOD / "dates_ambiguous.csv"
    client.post(
        reverse("accounts:wizard"),
        {"files": [SimpleUploadedFile(ambiguous.name, ambiguous.read_bytes())]},
    )
    mapped = MappedImport.objects.get()
    client.post(
        reverse("accounts:wizard_mapping", args=[mapped.job_id]),
        {"map:0:0": "opportunity.account_name", "map:0:1": "opportunity.close_date"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:wizard_check", args=[mapped.job_id]), {})
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    report = client.get(reverse("accounts:wizard_report", args=[job.pk]))
    assert b'name="option" value="day-first"' in report.content

    # when
    response = client.post(
        reverse("accounts:wizard_answer", args=[job.pk]),
        {"file": "dates_ambiguous.csv", "column": "Close Date", "option": "day-first"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response.url, {})

    # then
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert Opportunity.objects.get(account__name="Expansion").closed_on == date(
        2024, 6, 5
    )


def test_a_contact_export_walks_the_wizard_and_its_people_reach_the_account(
    client, ops, django_capture_on_commit_callbacks
) -> None:
    # given: a HubSpot contact export for an account Lode holds
    vireo = AccountFactory.create(name="Vireo Health", external_id="00012345")
    client.force_login(ops)

    # when: it is uploaded to the wizard
    response = client.post(
        reverse("accounts:wizard"), {"files": upload("hubspot_contacts_vireo.csv")}
    )

    # then: the mapping page proposes the people mapping
    page = client.get(response.url)
    assert b"Recognised: HubSpot export, contacts" in page.content
    assert b'<option value="person.last_name" selected>' in page.content
    assert b'<option value="person.account_external_id" selected>' in page.content

    # when: the mapping is confirmed as it stands
    form = {
        column["key"]: column["chosen"]
        for file in page.context["files"]
        for column in file["columns"]
    }
    check = client.post(response.url, form)

    # then: the check counts the people, and none is written yet
    assert check.status_code == 302
    page = client.get(check.url)
    assert page.context["outcome"].counts == {
        "People": {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    }
    assert not vireo.stakeholders.exists()

    # when: imported
    with django_capture_on_commit_callbacks(execute=True):
        client.post(check.url, {})

    # then: both people are on their account's stakeholder page
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    board = client.get(reverse("stakeholders:account", args=[vireo.pk]))
    assert b"Ines Gruber" in board.content
    assert b"Tom Yates" in board.content


def test_an_overlong_value_shows_its_start_and_length_in_the_problems(
    client, ops
) -> None:
    client.force_login(ops)
    name = "L" * 5000
    content = f"Account Name,Billing Country\n{name},Norway\nShort Co,Norway\n"
    client.post(
        reverse("accounts:wizard"),
        {"files": [SimpleUploadedFile("long.csv", content.encode(), "text/csv")]},
    )
    mapped = MappedImport.objects.get()
    client.post(
        reverse("accounts:wizard_mapping", args=[mapped.job_id]),
        {"map:0:0": "account.name", "map:0:1": "account.country"},
    )

    page = client.get(reverse("accounts:wizard_check", args=[mapped.job_id]))

    assert page.status_code == 200
    text = page.content.decode()
    assert f'<code class="long-token">{"L" * 60}…</code>' in text
    assert "<td>5,000 characters, over the limit of 200</td>" in text
    assert "L" * 61 not in text


UNREADABLE = (
    ("accounts.csv", b"Account Name\nAcme\n"),
    ("blank.csv", b"\r\n\r\n"),
    # A quote never closed runs on past the most a cell may hold.
    ("tall.csv", b'Account Name\n"Acme' + b"x" * 140_000),
)
UNREADABLE_SAID = [
    "blank.csv: the file is empty",
    "tall.csv: line 2 cannot be read as CSV (a value there is longer than "
    "131,072 characters, the most one cell may hold; shorten it, or close the "
    "quote that opens it if it runs on into the lines below)",
]


def test_an_upload_with_unreadable_files_names_each_and_keeps_nothing(
    client, ops, settings
) -> None:
    client.force_login(ops)
    files = [SimpleUploadedFile(name, content) for name, content in UNREADABLE]

    response = client.post(reverse("accounts:wizard"), {"files": files})

    assert response.status_code == 200
    html = response.content.decode()
    said = "".join(f"<li>{sentence}</li>" for sentence in UNREADABLE_SAID)
    assert (
        '<div class="error" role="alert"><p>Nothing was kept: these files '
        f"cannot be read.</p><ul>{said}</ul></div>"
    ) in html
    assert (MappedImport.objects.count(), ImportJob.objects.count()) == (0, 0)
    assert list((settings.MEDIA_ROOT / "imports").glob("*/*")) == []


def test_the_api_names_each_unreadable_file_too(ops, settings) -> None:
    api = APIClient()
    api.force_authenticate(user=ops)
    files = [SimpleUploadedFile(name, content) for name, content in UNREADABLE]

    response = api.post("/api/accounts/imports/", {"files": files}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"files": UNREADABLE_SAID}
    assert (MappedImport.objects.count(), ImportJob.objects.count()) == (0, 0)
