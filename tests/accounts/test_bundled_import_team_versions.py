"""The bundled import moves the version of each account whose team it changes.

An account, as the API shows it, lists its team. The bundled (Maven) import
puts a deal's owner on the deal's account team and takes them off when no
deal of theirs is left there; a PATCH read before either must be refused,
on the pandas path (SQLite) as on the set-based one (PostgreSQL).
"""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, AccountTeamMember, User
from accounts.services import maven_import_directory
from tests.accounts.conftest import STALE_DETAIL, api_for
from tests.accounts.test_import import SMALL, write_export

pytestmark = pytest.mark.django_db


def team_of(name: str) -> set[str]:
    return set(
        AccountTeamMember.objects.filter(account__name=name).values_list(
            "user__username", flat=True
        )
    )


def etags(user: User) -> dict[str, str]:
    client = api_for(user)
    return {
        account.name: client.get(reverse("accounts_api:detail", args=[account.pk]))[
            "ETag"
        ]
        for account in Account.objects.all()
    }


def pipeline(*replaced: tuple[int, str]) -> list[str]:
    lines = [*SMALL["sales_pipeline.csv"]]
    for index, line in replaced:
        lines[index] = line
    return lines


def test_an_account_whose_team_the_import_changes_gets_a_new_version(
    tmp_path: Path, ops: User
) -> None:
    # given: the small export imported; Betatech's team is Violet alone
    maven_import_directory(directory=write_export(tmp_path / "first"))
    assert team_of("Betatech") == {"violet.mclelland"}
    assert team_of("Acme Corporation") == {"moses.frase"}
    before = etags(ops)

    # when: Betatech's one deal moves to Acme Corporation
    job = maven_import_directory(
        directory=write_export(
            tmp_path / "second",
            **{
                "sales_pipeline.csv": pipeline(
                    (
                        3,
                        "OPP3,Violet Mclelland,GTX Pro,Acme Corporation,Lost,"
                        "2017-02-01,2017-05-02,0",
                    )
                )
            },
        )
    )

    # then: Violet left Betatech's team and joined Acme's; both moved
    after = etags(ops)
    assert job.counts["account_team_members"]["created"] == 1
    assert team_of("Betatech") == set()
    assert team_of("Acme Corporation") == {"moses.frase", "violet.mclelland"}
    assert after["Betatech"] != before["Betatech"]
    assert after["Acme Corporation"] != before["Acme Corporation"]
    assert after["Bluth Company"] == before["Bluth Company"]


def test_a_patch_read_before_the_import_joined_someone_is_refused(
    tmp_path: Path, ops: User
) -> None:
    # given: ops read Bluth Company, whose team is Anna alone
    maven_import_directory(directory=write_export(tmp_path / "first"))
    bluth = Account.objects.get(name="Bluth Company")
    url = reverse("accounts_api:detail", args=[bluth.pk])
    client = api_for(ops)
    read = client.get(url)["ETag"]

    # when: a new deal of Moses's is for Bluth Company
    maven_import_directory(
        directory=write_export(
            tmp_path / "second",
            **{
                "sales_pipeline.csv": [
                    *SMALL["sales_pipeline.csv"],
                    "OPP6,Moses Frase,GTX Basic,Bluth Company,Engaging,2017-03-01,,",
                ]
            },
        )
    )
    response = client.patch(url, {"employees": 1}, format="json", HTTP_IF_MATCH=read)

    # then
    bluth.refresh_from_db()
    assert response.status_code == 412
    assert response.json()["detail"] == STALE_DETAIL
    assert {member["name"] for member in response.json()["current"]["team"]} == {
        "Anna Snelling",
        "Moses Frase",
    }
    assert bluth.employees == 3027


def test_an_import_that_changes_no_team_keeps_every_version(
    tmp_path: Path, ops: User
) -> None:
    directory = write_export(tmp_path / "small")
    maven_import_directory(directory=directory)
    before = etags(ops)

    maven_import_directory(directory=directory)

    assert etags(ops) == before
