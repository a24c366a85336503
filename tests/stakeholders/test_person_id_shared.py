"""A person's ID names one person: the API keeps it so, the import never guesses.

The import matches a person by their ID across every account. The API
refuses an ID another person the user can see already has; an ID held only
at an account the user cannot see is not refused, since the refusal would
tell them that person exists. Two people who share an ID all the same are
never picked between by an import: the row that gives the ID is refused.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, User
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from stakeholders.models import Stakeholder
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

SHARED = (
    "2 people in Lode have the ID x (Copy Cat at Initech, Copy2 Cat at "
    "Initrode); give each their own ID before this row can say which one it is"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def initech() -> Account:
    return AccountFactory.create(name="Initech", external_id="")


@pytest.fixture
def copies(initech: Account) -> list[Stakeholder]:
    """Two people who share the ID "x" at two accounts, as people who see
    only one of the accounts may give it."""
    initrode = AccountFactory.create(name="Initrode", external_id="")
    return [
        Stakeholder.objects.create(
            account=at, first_name=first, last_name="Cat", external_id="x"
        )
        for first, at in (("Copy", initech), ("Copy2", initrode))
    ]


def checked(tmp_path: Path, text: str) -> list[dict[str, object]]:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    outcome = mapped_import_check(mapped=mapped)
    return [
        {key: issue[key] for key in ("line", "column", "value", "reason", "action")}
        for issue in (i.as_dict() for i in outcome.issues)
    ]


def test_an_import_refuses_a_row_whose_id_several_people_share(
    tmp_path, copies
) -> None:
    issues = checked(
        tmp_path,
        "Contact ID,First Name,Last Name,Account Name,Title\nx,Copy,Cat,Initech,CEO\n",
    )

    assert issues == [
        {
            "line": 2,
            "column": "Contact ID",
            "value": "x",
            "reason": SHARED,
            "action": "rejected",
        }
    ]


def test_an_import_refuses_a_manager_named_by_an_id_several_people_share(
    tmp_path, copies
) -> None:
    issues = checked(
        tmp_path,
        "Contact ID,First Name,Last Name,Account Name,Reports To\n"
        "y,Ada,Lind,Initech,x\n",
    )

    assert issues == [
        {
            "line": 2,
            "column": "Reports To",
            "value": "x",
            "reason": SHARED,
            "action": "rejected",
        }
    ]


def created(client, account: Account, **values: str):
    return client.post(
        reverse("stakeholders_api:create", args=[account.pk]),
        {"last_name": "Cat", **values},
        content_type="application/json",
    )


def test_the_api_refuses_an_id_another_person_has(client, rep: User, account):
    # given
    client.force_login(rep)
    first = created(client, account, first_name="Copy", external_id="x")
    assert first.status_code == 201

    # when
    again = created(client, account, first_name="Copy2", external_id="x")

    # then
    assert again.status_code == 400
    assert again.json() == {
        "external_id": [
            "Copy Cat at Acme Corporation already has the ID x; each person's "
            "ID is their own."
        ]
    }
    assert account.stakeholders.count() == 1


def test_a_patch_may_not_take_an_id_another_person_has(client, rep: User, account):
    # given
    client.force_login(rep)
    created(client, account, first_name="Copy", external_id="x")
    other = Stakeholder.objects.create(account=account, last_name="Other")
    url = reverse("stakeholders_api:detail", args=[other.pk])

    # when
    response = client.patch(
        url,
        {"external_id": "x"},
        content_type="application/json",
        HTTP_IF_MATCH=client.get(url)["ETag"],
    )

    # then
    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]
    other.refresh_from_db()
    assert other.external_id == ""


def test_an_id_held_at_an_account_the_user_cannot_see_is_not_told(
    client, rep: User, account, copies
) -> None:
    # given: "x" is held at Initech, which the rep cannot see
    client.force_login(rep)

    # when
    response = created(client, account, first_name="Copy3", external_id="x")

    # then: the answer is the one an unused ID gets
    assert response.status_code == 201
    assert "Initech" not in response.content.decode()
