import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, MappedImport
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def opened(tmp_path: Path, text: str) -> MappedImport:
    path = tmp_path / "accounts.csv"
    path.write_text(text)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped


@pytest.fixture
def existing() -> None:
    AccountFactory(
        name="Globex Corporation",
        sector="technology",
        employees=2497,
        annual_revenue=Decimal("1223720000.00"),
    )
    AccountFactory(name="Initech", sector="technology", employees=80)
    AccountFactory(name="Acme Corporation", sector="Retail", employees=2822)


def globex() -> Account:
    return Account.objects.get(name="Globex Corporation")


UPDATES = (
    "Account Name,Industry,Employees\n"
    "Globex Corporation,Energy,60\n"
    "Initech,technology,80\n"
    "Hooli,Software,10\n"
)


def test_the_check_names_each_field_an_update_changes(tmp_path, existing) -> None:
    mapped = opened(tmp_path, UPDATES)

    outcome = mapped_import_check(mapped=mapped)

    assert outcome.counts["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "rejected": 0,
    }
    assert outcome.changes == [
        {
            "record": "account Globex Corporation",
            "key": f"accounts.account:{globex().pk}",
            "fields": [
                {"field": "sector", "old": "technology", "new": "Energy"},
                {"field": "employees", "old": "2497", "new": "60"},
            ],
        }
    ]
    assert Account.objects.get(name="Globex Corporation").employees == 2497


def test_a_ticked_duplicate_counts_and_shows_as_an_update(
    client, ops, tmp_path, existing
) -> None:
    # given
    mapped = opened(tmp_path, "Account Name,Employees\nACME CORPORATION INC,100\n")
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])
    page = client.get(url)
    assert page.context["outcome"].counts["Accounts"]["created"] == 1
    assert page.context["outcome"].changes == []

    # when
    response = client.post(
        url,
        {
            "merge": json.dumps(["ACME CORPORATION INC", "Acme Corporation"]),
            "recheck": "1",
        },
    )

    # then
    assert response.url == url
    page = client.get(url)
    outcome = page.context["outcome"]
    acme = Account.objects.get(name="Acme Corporation")
    assert outcome.counts["Accounts"]["created"] == 0
    assert outcome.counts["Accounts"]["updated"] == 1
    assert outcome.changes == [
        {
            "record": "account Acme Corporation",
            "key": f"accounts.account:{acme.pk}",
            "fields": [{"field": "employees", "old": "2822", "new": "100"}],
        }
    ]
    assert b"<td>Employees</td>" in page.content
    assert b'<td class="old">2822</td><td class="new">100</td>' in page.content
    assert MappedImport.objects.get().confirmed_at is None
    assert Account.objects.get(name="Acme Corporation").employees == 2822


@pytest.fixture
def many_changes(tmp_path) -> MappedImport:
    """An upload that would change 52 accounts, more than the page lists."""
    for number in range(52):
        AccountFactory(name=f"Account {number:02}", employees=1)
    rows = "".join(f"Account {number:02},2\n" for number in range(52))
    return opened(tmp_path, "Account Name,Employees\n" + rows)


def test_the_page_caps_the_list_and_the_csv_holds_every_change(
    client, ops, many_changes
) -> None:
    # given
    mapped = many_changes
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:wizard_check", args=[mapped.job_id]))
    csv = client.get(reverse("accounts:wizard_changes_csv", args=[mapped.job_id]))

    # then
    assert len(page.context["changes"]) == 50
    assert b"Showing the first 50 of 52 records." in page.content
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    lines = csv.content.decode().splitlines()
    assert lines[0] == "\ufeffrecord,field,old,new"
    assert lines[1:3] == [
        "account Account 00,employees,1,2",
        "account Account 01,employees,1,2",
    ]
    assert len(lines) == 53
    assert csv["Content-Disposition"] == (
        f'attachment; filename="import-{mapped.job_id}-changes.csv"'
    )


def test_the_api_csv_holds_every_change_while_the_import_is_checked(
    ops, rep, many_changes, django_capture_on_commit_callbacks
) -> None:
    # given
    mapped = many_changes
    url = reverse("accounts_api:import_changes_csv", args=[mapped.job_id])
    api = APIClient()
    api.force_authenticate(ops)

    # when
    response = api.get(url)

    # then: every change, as the page's download has them
    lines = response.content.decode().splitlines()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="import-{mapped.job_id}-changes.csv"'
    )
    assert lines[:3] == [
        "\ufeffrecord,field,old,new",
        "account Account 00,employees,1,2",
        "account Account 01,employees,1,2",
    ]
    assert len(lines) == 53

    # and a rep gets 404, as for every import; so does anyone once it started
    api.force_authenticate(rep)
    assert api.get(url).status_code == 404
    api.force_authenticate(ops)
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            reverse("accounts_api:import_start", args=[mapped.job_id]),
            {},
            format="json",
        )
    assert started.status_code == 202
    assert api.get(url).status_code == 404
    assert Account.objects.filter(employees=2).count() == 52


def test_others_cannot_read_the_changes(client, rep, tmp_path) -> None:
    mapped = opened(tmp_path, UPDATES)
    client.force_login(rep)

    response = client.get(reverse("accounts:wizard_changes_csv", args=[mapped.job_id]))

    assert response.status_code == 404


def test_the_command_line_check_prints_each_change(tmp_path, existing) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(UPDATES)
    out = StringIO()

    call_command("import_files", str(path), stdout=out)

    output = out.getvalue()
    assert "CHANGE account Globex Corporation: sector technology -> Energy\n" in output
    assert "CHANGE account Globex Corporation: employees 2497 -> 60\n" in output
    assert "CHANGE account Initech" not in output


def test_the_api_check_lists_the_changes(tmp_path, ops, existing) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("accounts.csv", UPDATES.encode(), "text/csv")]},
        format="multipart",
    )
    url = f"/api/accounts/imports/{response.json()['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    check = api.get(url + "check/").json()

    # then
    assert check["changed_records"] == 1
    assert check["changes"] == [
        {
            "record": "account Globex Corporation",
            "key": f"accounts.account:{globex().pk}",
            "fields": [
                {"field": "sector", "old": "technology", "new": "Energy"},
                {"field": "employees", "old": "2497", "new": "60"},
            ],
        }
    ]


def test_the_api_refuses_to_start_with_merges_it_did_not_propose(
    tmp_path, ops, existing
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    text = "Account Name,Employees\nACME CORPORATION INC,100\n"
    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("accounts.csv", text.encode(), "text/csv")]},
        format="multipart",
    )
    url = f"/api/accounts/imports/{response.json()['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    refused = api.post(
        url + "start/",
        {"merges": {"Nope": "Nada", "ACME CORPORATION INC": "Acme Corporation"}},
        format="json",
    )

    # then
    assert refused.status_code == 400
    assert refused.json() == {
        "merges": ["'Nope' is 'Nada': the check proposes no such duplicate"]
    }
    assert MappedImport.objects.get().confirmed_at is None
    started = api.post(
        url + "start/",
        {"merges": {"ACME CORPORATION INC": "Acme Corporation"}},
        format="json",
    )
    assert started.status_code == 202


def test_the_changes_download_reads_in_excel_and_runs_no_formula(
    client, ops, tmp_path, existing
) -> None:
    # given: a new sector that Excel would run, and a name with an accent
    AccountFactory(name="Pérez Hermanos", sector="Retail")
    mapped = opened(
        tmp_path,
        "Account Name,Industry\n"
        'Globex Corporation,"=HYPERLINK(""http://x"",""y"")"\n'
        "Pérez Hermanos,Energy\n",
    )
    client.force_login(ops)

    # when
    response = client.get(reverse("accounts:wizard_changes_csv", args=[mapped.job_id]))

    # then: UTF-8, said in the header and by the byte order mark
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbfrecord,field,old,new\r\n")
    assert response.content.decode("utf-8-sig").splitlines() == [
        "record,field,old,new",
        "account Globex Corporation,sector,technology,"
        '"\'=HYPERLINK(""http://x"",""y"")"',
        "account Pérez Hermanos,sector,Retail,Energy",
    ]
