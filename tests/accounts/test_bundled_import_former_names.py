"""The bundled data loader finds a renamed account by the name it had.

Sales ops rename a bundled account in Lode; the bundled files still give
the old name. Loading them again updates the renamed account, under the
name the user gave it, with its deals, revenue and team where they were,
and makes no second account under the old name.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.former_names import account_former_names_current
from accounts.models import (
    Account,
    AccountTeamMember,
    ImportJob,
    Opportunity,
    RevenueLine,
    User,
)
from accounts.services import maven_import_directory
from tests.accounts.conftest import api_for
from tests.accounts.factories import AccountFactory
from tests.accounts.test_import import SMALL, write_export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def rename(user: User, name: str, to: str) -> None:
    account = Account.objects.get(name=name)
    client = api_for(user)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = client.get(url)["ETag"]
    response = client.patch(url, {"name": to}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()


def load(directory: Path) -> ImportJob:
    job = maven_import_directory(directory=directory)
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    return job


def deals_by_account() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, external_id in Opportunity.objects.order_by("external_id").values_list(
        "account__name", "external_id"
    ):
        found.setdefault(name, []).append(external_id)
    return found


def unchanged(total: int) -> dict[str, int]:
    return {"created": 0, "updated": 0, "unchanged": total, "rejected": 0}


@pytest.fixture
def loaded(tmp_path: Path, ops: User) -> Account:
    """The small export loaded, then Acme Corporation renamed by sales ops."""
    load(write_export(tmp_path / "first"))
    rename(ops, "Acme Corporation", "Zenith Widgets")
    return Account.objects.get(name="Zenith Widgets")


def test_loading_the_same_files_again_keeps_the_renamed_account_whole(
    tmp_path: Path, loaded: Account
) -> None:
    # given
    lines = set(RevenueLine.objects.values_list("pk", "account_id", "amount"))
    members = set(AccountTeamMember.objects.values_list("account_id", "user_id"))

    # when
    job = load(write_export(tmp_path / "again"))

    # then: no "Acme Corporation" again; nothing moved
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Betatech",
        "Bluth Company",
        "Zenith Widgets",
    ]
    assert deals_by_account() == {
        None: ["OPP4"],
        "Zenith Widgets": ["OPP1", "OPP5"],
        "Bluth Company": ["OPP2"],
        "Betatech": ["OPP3"],
    }
    assert Account.objects.get(name="Bluth Company").parent == loaded
    assert set(RevenueLine.objects.values_list("pk", "account_id", "amount")) == (lines)
    assert set(AccountTeamMember.objects.values_list("account_id", "user_id")) == (
        members
    )
    assert job.counts["accounts"] == unchanged(3)
    assert job.counts["opportunities"] == unchanged(5)
    assert job.counts["revenue_lines"] == unchanged(2)
    assert job.counts["account_team_members"] == unchanged(3)


def test_new_figures_under_the_old_name_update_the_renamed_account(
    tmp_path: Path, loaded: Account
) -> None:
    # given: the file has Acme's employees changed
    accounts = [
        line.replace(
            "Acme Corporation,technolgy,1996,1100.04,2822",
            "Acme Corporation,technolgy,1996,1100.04,3000",
        )
        for line in SMALL["accounts.csv"]
    ]

    # when
    job = load(write_export(tmp_path / "again", **{"accounts.csv": accounts}))

    # then
    assert job.counts["accounts"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
        "rejected": 0,
    }
    assert Account.objects.count() == 3
    loaded.refresh_from_db()
    assert (loaded.name, loaded.name_key, loaded.employees) == (
        "Zenith Widgets",
        "zenith widgets",
        3000,
    )


def test_an_account_renamed_twice_is_found_by_its_first_name(
    tmp_path: Path, ops: User, loaded: Account
) -> None:
    rename(ops, "Zenith Widgets", "Zenith Holdings")

    job = load(write_export(tmp_path / "again"))

    assert job.counts["accounts"] == unchanged(3)
    assert deals_by_account()["Zenith Holdings"] == ["OPP1", "OPP5"]
    assert Account.objects.count() == 3


def test_a_name_an_account_has_now_wins_over_a_former_name(
    tmp_path: Path, loaded: Account
) -> None:
    # given: someone has since made an account called Acme Corporation
    newer = AccountFactory.create(name="Acme Corporation")

    # when
    job = load(write_export(tmp_path / "again"))

    # then: the file's Acme Corporation is that account
    assert job.counts["accounts"]["created"] == 0
    assert Account.objects.count() == 4
    assert list(
        newer.opportunities.order_by("external_id").values_list(
            "external_id", flat=True
        )
    ) == ["OPP1", "OPP5"]
    assert list(loaded.opportunities.all()) == []


def test_a_name_two_accounts_had_is_the_one_that_had_it_last(
    tmp_path: Path, ops: User, loaded: Account
) -> None:
    # given: a second account took the name, then was renamed in turn
    AccountFactory.create(name="Acme Corporation")
    rename(ops, "Acme Corporation", "Acme Labs")

    # when
    job = load(write_export(tmp_path / "again"))

    # then
    assert job.counts["accounts"]["created"] == 0
    assert Account.objects.count() == 4
    assert deals_by_account()["Acme Labs"] == ["OPP1", "OPP5"]
    assert "Zenith Widgets" not in deals_by_account()


def test_a_file_that_has_the_name_now_too_keeps_its_old_name_apart(
    tmp_path: Path, loaded: Account
) -> None:
    # given: the file names both Zenith Widgets and Acme Corporation
    accounts = [
        *SMALL["accounts.csv"],
        "Zenith Widgets,technolgy,2001,12.00,40,Canada,",
    ]

    # when
    job = load(write_export(tmp_path / "again", **{"accounts.csv": accounts}))

    # then: the renamed account is the file's Zenith Widgets; Acme is new
    assert job.counts["accounts"]["created"] == 1
    assert Account.objects.count() == 4
    loaded.refresh_from_db()
    assert (loaded.country, loaded.employees) == ("Canada", 40)
    assert deals_by_account()["Acme Corporation"] == ["OPP1", "OPP5"]


def test_the_pandas_path_reads_the_history_in_two_queries(
    loaded: Account, django_assert_num_queries
) -> None:
    with django_assert_num_queries(2):
        current = account_former_names_current(
            names=["Acme Corporation", "Betatech", "Nobody Ltd"]
        )

    assert current == {"Acme Corporation": "Zenith Widgets"}
