"""A renamed account is found by the name it had, in a file without IDs.

The account's history keeps each rename by hand; an import matches a name
an account had (capitals and spacing aside) to that account, says so, and
never through an account the importing user may not see.
"""

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.former_names import FormerNames
from accounts.importing import REPAIRED
from accounts.models import Account, User
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
)
from stakeholders.models import Stakeholder
from tests.accounts.conftest import api_for
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import counted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

NOTE = (
    "matched by former name 'Acme Corporation': the account is now called "
    "'Zenith Widgets'"
)


@pytest.fixture
def renamed(ops: User, account: Account) -> Account:
    """Acme Corporation, renamed by sales ops through the API."""
    client = api_for(ops)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = client.get(url)["ETag"]
    response = client.patch(
        url, {"name": "Zenith Widgets"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()
    account.refresh_from_db()
    return account


def written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(user: User | None, *paths: Path):
    mapped = mapped_import_create_from_paths(user=user, paths=list(paths))
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    check = mapped_import_check(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return check, mapped_import_run(mapped=mapped)


def test_an_accounts_file_with_the_old_name_updates_the_renamed_account(
    tmp_path: Path, ops: User, renamed: Account
) -> None:
    # given: a CRM export without IDs that still says the old name
    path = written(
        tmp_path / "accounts.csv", "Account Name,Employees\nAcme Corporation,4200\n"
    )

    # when
    check, job = run(ops, path)

    # then: no second account; the renamed one is updated and keeps its name
    assert check.counts["Accounts"] == counted(updated=1)
    assert job.counts["Accounts"] == counted(updated=1)
    assert list(Account.objects.values_list("name", "employees")) == [
        ("Zenith Widgets", 4200)
    ]
    # and the check and the report say how the row found it
    said = [(i.line, i.column, i.value, i.reason, i.action) for i in check.issues]
    assert said == [(2, "Account Name", "Acme Corporation", NOTE, REPAIRED)]
    report = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    assert [
        "accounts.csv",
        "2",
        "Account Name",
        "Acme Corporation",
        NOTE,
        REPAIRED,
    ] in (report)


def test_the_old_name_matches_in_other_capitals_and_spacing(
    tmp_path: Path, ops: User, renamed: Account
) -> None:
    path = written(
        tmp_path / "accounts.csv", "Account Name,Employees\nACME  corporation,4200\n"
    )

    check, job = run(ops, path)

    assert job.counts["Accounts"] == counted(updated=1)
    assert Account.objects.get().employees == 4200
    assert [issue.reason for issue in check.issues] == [NOTE]


def test_people_naming_the_old_name_join_the_renamed_account(
    tmp_path: Path, ops: User, renamed: Account
) -> None:
    path = written(
        tmp_path / "contacts.csv",
        "First Name,Last Name,Account Name\n"
        "Rosa,Vidal,Acme Corporation\n"
        "Tom,Berg,Acme Corporation\n",
    )

    check, job = run(ops, path)

    assert job.counts["People"] == counted(created=2)
    assert list(
        Stakeholder.objects.order_by("last_name").values_list("last_name", "account")
    ) == [("Berg", renamed.pk), ("Vidal", renamed.pk)]
    # said once for the name, not once a row
    assert [(i.line, i.value, i.action) for i in check.issues] == [
        (2, "Acme Corporation", REPAIRED)
    ]
    assert check.issues[0].reason == f"{NOTE} (this row and every later one naming it)"


def test_a_name_an_account_has_now_wins_over_a_former_one(
    tmp_path: Path, ops: User, renamed: Account
) -> None:
    # given: a new account took the old name since
    taken = AccountFactory.create(name="Acme Corporation")
    path = written(
        tmp_path / "accounts.csv", "Account Name,Employees\nAcme Corporation,7\n"
    )

    check, job = run(ops, path)

    assert check.issues == []
    taken.refresh_from_db()
    renamed.refresh_from_db()
    assert (taken.employees, renamed.employees) == (7, 1000)


def test_another_teams_former_names_stay_unknown_to_a_user(
    tmp_path: Path, outsider: User, rep: User, renamed: Account
) -> None:
    # given: Otto, on another team, cannot see the renamed account
    path = written(
        tmp_path / "accounts.csv", "Account Name,Employees\nAcme Corporation,7\n"
    )

    # when his import is checked
    mapped = mapped_import_create_from_paths(user=outsider, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=outsider) == {}
    check = mapped_import_check(mapped=mapped)

    # then the name is no account's to him: nothing names the old one
    assert check.counts["Accounts"] == counted(created=1)
    assert "Zenith" not in repr(check.issues) + repr(check.proposals)
    assert FormerNames.for_user(outsider).find("Acme Corporation") is None
    found = FormerNames.for_user(rep).find("Acme Corporation")
    assert found is not None and found.account.pk == renamed.pk


def test_a_name_two_accounts_had_is_refused_naming_neither(
    tmp_path: Path, ops: User, rep: User, renamed: Account
) -> None:
    # given: a second account took the old name since, and was renamed too
    second = AccountFactory.create(name="Acme Corporation")
    second.team_members.add(rep)
    client = api_for(ops)
    url = reverse("accounts_api:detail", args=[second.pk])
    response = client.patch(
        url,
        {"name": "Nadir Corp"},
        format="json",
        HTTP_IF_MATCH=client.get(url)["ETag"],
    )
    assert response.status_code == 200, response.json()
    accounts = written(
        tmp_path / "accounts.csv", "Account Name,Employees\nAcme Corporation,7\n"
    )
    people = written(
        tmp_path / "contacts.csv",
        "First Name,Last Name,Account Name\nRosa,Vidal,Acme Corporation\n",
    )
    refused = (
        "2 accounts were once called 'Acme Corporation', and none is now; name "
        "the account by its ID"
    )

    # when
    accounts_check, _ = run(ops, accounts)
    people_check, _ = run(ops, people)

    # then: neither file guesses, nor creates a third account
    assert [(i.value, i.reason, i.action) for i in accounts_check.issues] == [
        ("Acme Corporation", refused, "rejected")
    ]
    assert [(i.value, i.reason, i.action) for i in people_check.issues] == [
        ("Acme Corporation", refused, "rejected")
    ]
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Nadir Corp",
        "Zenith Widgets",
    ]
    assert not Stakeholder.objects.exists()
