"""An account's version moves when the team list it shows changes.

The account's API answer lists its team: each member's name, role and team.
A rename, a new role or team, or a team renamed or deleted changes that
list though no column of the account changes; a PATCH holding the ETag
read before must get 412 with the current state, through the API, the
admin and the import wizard alike. Accounts the change does not show on
keep their ETag.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Account, Team, User
from accounts.services import maven_import_directory
from config.api import etag_for
from tests.accounts.conftest import STALE_DETAIL, api_for
from tests.accounts.factories import AccountFactory, TeamFactory, UserFactory
from tests.accounts.test_import import SMALL, write_export
from tests.accounts.test_wizard_users import WIZARD, imported
from tests.conftest import READ_AT
from tests.security.test_permission_audit import change_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex(outsider: User) -> Account:
    """An account whose team does not show the people changed here."""
    account = AccountFactory.create(name="Globex")
    account.team_members.add(outsider)
    return account


@pytest.fixture
def south(db: None) -> Team:
    return TeamFactory.create(name="South")


def _api_patch(url: str, data: dict[str, Any], ops: User) -> int:
    client = api_for(ops)
    etag = client.get(url)["ETag"]
    return client.patch(url, data, format="json", HTTP_IF_MATCH=etag).status_code


def _api_delete(url: str, ops: User) -> int:
    client = api_for(ops)
    etag = client.get(url)["ETag"]
    return client.delete(url, HTTP_IF_MATCH=etag).status_code


def _admin(url: str, data: dict[str, Any]) -> int:
    client = Client()
    client.force_login(
        UserFactory.create(username="ada", is_staff=True, is_superuser=True)
    )
    return client.post(url, data).status_code


def user_url(user: User) -> str:
    return f"/api/accounts/users/{user.pk}/"


def team_url(team: Team) -> str:
    return f"/api/accounts/teams/{team.pk}/"


# Each change: how it is made, and what the account's team list then shows
# for Rita, the rep on Acme's team: name (None: as before), role, team.
CHANGES: dict[str, tuple[Callable[..., int], tuple[str | None, str, str | None]]] = {
    "api rename": (
        lambda rep, team, south, ops: _api_patch(
            user_url(rep), {"first_name": "Rita", "last_name": "Renamed"}, ops
        ),
        ("Rita Renamed", "rep", "Central"),
    ),
    "api role": (
        lambda rep, team, south, ops: _api_patch(
            user_url(rep), {"role": "manager"}, ops
        ),
        (None, "manager", "Central"),
    ),
    "api team moved": (
        lambda rep, team, south, ops: _api_patch(
            user_url(rep), {"team_id": south.pk}, ops
        ),
        (None, "rep", "South"),
    ),
    "api team left": (
        lambda rep, team, south, ops: _api_patch(user_url(rep), {"team_id": None}, ops),
        (None, "rep", None),
    ),
    "api team renamed": (
        lambda rep, team, south, ops: _api_patch(
            team_url(team), {"name": "Midlands"}, ops
        ),
        (None, "rep", "Midlands"),
    ),
    "api team deleted": (
        lambda rep, team, south, ops: _api_delete(team_url(team), ops),
        (None, "rep", None),
    ),
    "admin rename": (
        lambda rep, team, south, ops: _admin(
            f"/admin/accounts/user/{rep.pk}/change/",
            change_form(rep, first_name="Rita", last_name="Renamed"),
        ),
        ("Rita Renamed", "rep", "Central"),
    ),
    "admin role": (
        lambda rep, team, south, ops: _admin(
            f"/admin/accounts/user/{rep.pk}/change/",
            change_form(rep, role=User.Role.MANAGER),
        ),
        (None, "manager", "Central"),
    ),
    "admin team moved": (
        lambda rep, team, south, ops: _admin(
            f"/admin/accounts/user/{rep.pk}/change/", change_form(rep, team=south.pk)
        ),
        (None, "rep", "South"),
    ),
    "admin team left": (
        lambda rep, team, south, ops: _admin(
            f"/admin/accounts/user/{rep.pk}/change/", change_form(rep, team="")
        ),
        (None, "rep", None),
    ),
    "admin team renamed": (
        lambda rep, team, south, ops: _admin(
            f"/admin/accounts/team/{team.pk}/change/",
            {"name": "Midlands", "region": "", "manager": team.manager_id},
        ),
        (None, "rep", "Midlands"),
    ),
    "admin team deleted": (
        lambda rep, team, south, ops: _admin(
            f"/admin/accounts/team/{team.pk}/delete/", {"post": "yes"}
        ),
        (None, "rep", None),
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_an_etag_read_before_the_change_gets_412_with_the_team_shown_now(
    change: str,
    account: Account,
    globex: Account,
    rep: User,
    team: Team,
    south: Team,
    ops: User,
) -> None:
    # given: Olga read Acme, Rita on its team
    Account.objects.filter(pk__in=[account.pk, globex.pk]).update(updated_at=READ_AT)
    client = api_for(ops)
    url = f"/api/accounts/{account.pk}/"
    read = client.get(url)
    make, shown = CHANGES[change]

    # when
    status = make(rep, team, south, ops)
    stale = client.patch(
        url, {"employees": 120}, format="json", HTTP_IF_MATCH=read["ETag"]
    )

    # then
    assert status in {200, 204, 302}
    assert stale.status_code == 412
    assert stale.json()["detail"] == STALE_DETAIL
    [member] = stale.json()["current"]["team"]
    name, role, team_name = shown
    assert member["name"] == (name or read.json()["team"][0]["name"])
    assert (member["role"], member["team"]) == (role, team_name)
    account.refresh_from_db()
    assert account.updated_at > READ_AT
    assert stale["ETag"] == etag_for(instance=account)
    assert account.employees == read.json()["employees"]
    assert Account.objects.get(pk=globex.pk).updated_at == READ_AT


def test_a_save_that_changes_nothing_shown_keeps_the_etag(
    account: Account, rep: User, ops: User
) -> None:
    Account.objects.filter(pk=account.pk).update(updated_at=READ_AT)

    status = _api_patch(user_url(rep), {"email": "rita@example.com"}, ops)

    assert status == 200
    assert Account.objects.get(pk=account.pk).updated_at == READ_AT


def test_a_users_file_that_renames_a_team_member_moves_the_account(
    django_capture_on_commit_callbacks: Any, globex: Account, ops: User
) -> None:
    # given: Lee, on Acme's team, known by the address the users file gives
    lee = UserFactory.create(
        username="lee", email="lee.park@lode.example", first_name="L", last_name="P"
    )
    acme = AccountFactory.create(name="Acme Corporation")
    acme.team_members.add(lee)
    Account.objects.filter(pk__in=[acme.pk, globex.pk]).update(updated_at=READ_AT)
    client = api_for(ops)
    read = client.get(f"/api/accounts/{acme.pk}/")

    # when: the file names him Lee Park, a rep of Enterprise East
    imported(django_capture_on_commit_callbacks, WIZARD / "plain_users.csv", user=ops)
    stale = client.patch(
        f"/api/accounts/{acme.pk}/",
        {"employees": 120},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )

    # then
    assert stale.status_code == 412
    [member] = stale.json()["current"]["team"]
    assert (member["name"], member["team"]) == ("Lee Park", "Enterprise East")
    assert Account.objects.get(pk=globex.pk).updated_at == READ_AT


def _rename_queries(
    client: APIClient, rep: User, accounts: int
) -> tuple[int, int, int]:
    """Put Rita on `accounts` more accounts' teams and rename her; return
    the queries the PATCH made, how many updated accounts, and how many
    accounts moved."""
    for account in AccountFactory.create_batch(accounts):
        account.team_members.add(rep)
    Account.objects.update(updated_at=READ_AT)
    url = user_url(rep)
    etag = client.get(url)["ETag"]

    with CaptureQueriesContext(connection) as queries:
        response = client.patch(
            url, {"last_name": f"Renamed {accounts}"}, format="json", HTTP_IF_MATCH=etag
        )

    assert response.status_code == 200
    moved = Account.objects.filter(updated_at__gt=READ_AT).count()
    updates = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('UPDATE "accounts_account"')
    ]
    return len(queries), len(updates), moved


def test_a_rename_moves_any_number_of_accounts_in_one_update(
    rep: User, ops: User
) -> None:
    client = api_for(ops)

    few = _rename_queries(client, rep, 3)
    many = _rename_queries(client, rep, 30)

    # The same 13 queries, one UPDATE of the accounts among them, for 3
    # accounts and for 33.
    assert few == (13, 1, 3)
    assert many == (13, 1, 33)


def test_a_bundled_import_that_moves_a_rep_moves_their_accounts_only(
    tmp_path: Path,
) -> None:
    # given: Moses works Acme, Anna Bluth, Violet Betatech
    maven_import_directory(directory=write_export(tmp_path / "first"))
    Account.objects.update(updated_at=READ_AT)
    teams = [*SMALL["sales_teams.csv"]]
    teams[2] = "Moses Frase,Cara Losch,East"

    # when: Moses moves to Cara's team
    job = maven_import_directory(
        directory=write_export(tmp_path / "second", **{"sales_teams.csv": teams})
    )

    # then
    assert job.counts["users"]["updated"] == 1
    moved = Account.objects.filter(updated_at__gt=READ_AT)
    assert list(moved.values_list("name", flat=True)) == ["Acme Corporation"]
