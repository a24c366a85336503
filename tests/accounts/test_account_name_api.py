"""An account's name is changed by hand through the API, as its other fields.

Under If-Match (428 without, 412 with the current account when stale),
through the one access rule (404 for an account the user cannot see), into
the account's history, and refused field by field when blank, too long or
another account's. Only sales ops, who see every account, rename one: a
name is unique across the portfolio, and telling anyone else that a name
is taken would tell them of an account they may not see.
"""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts.models import Account, ChangeRecord, User
from accounts.services import ACCOUNT_NAME_TAKEN, ACCOUNT_RENAME_REFUSED
from tests.accounts.conftest import STALE_DETAIL, api_for
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


def url(account: Account) -> str:
    return reverse("accounts_api:detail", args=[account.pk])


def rename(user: User, account: Account, body: dict, *, etag: str | None = None):
    client = api_for(user)
    etag = etag if etag is not None else client.get(url(account))["ETag"]
    return client.patch(url(account), body, format="json", HTTP_IF_MATCH=etag)


def test_sales_ops_rename_an_account_under_if_match(ops, account) -> None:
    # given
    client = api_for(ops)
    etag = client.get(url(account))["ETag"]

    # when
    without = client.patch(url(account), {"name": "Acme Group"}, format="json")
    renamed = client.patch(
        url(account), {"name": "Acme Group"}, format="json", HTTP_IF_MATCH=etag
    )
    stale = client.patch(
        url(account), {"name": "Acme Old"}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    account.refresh_from_db()
    assert without.status_code == 428
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["name"] == "Acme Group"
    assert renamed["ETag"] != etag
    assert stale.status_code == 412
    assert stale.json()["detail"] == STALE_DETAIL
    assert stale.json()["current"]["name"] == "Acme Group"
    assert stale["ETag"] == renamed["ETag"]
    assert account.name == "Acme Group"
    assert list(
        ChangeRecord.objects.filter(account=account).values_list(
            "field", "old_value", "new_value", "changed_by__username"
        )
    ) == [("name", "Acme Corporation", "Acme Group", "oona")]


def test_the_name_comes_back_trimmed_and_a_same_name_writes_nothing(
    ops, account
) -> None:
    etag = api_for(ops).get(url(account))["ETag"]

    same = rename(ops, account, {"name": "  Acme Corporation "}, etag=etag)

    assert same.status_code == 200
    assert same["ETag"] == etag
    assert ChangeRecord.objects.count() == 0


def test_an_account_the_user_cannot_see_answers_404(outsider, account) -> None:
    response = rename(outsider, account, {"name": "Mine now"}, etag='"x"')

    account.refresh_from_db()
    assert response.status_code == 404
    assert account.name == "Acme Corporation"


def test_an_executive_reads_the_account_but_may_not_rename_it(
    executive, account
) -> None:
    response = rename(executive, account, {"name": "Renamed"})

    account.refresh_from_db()
    assert response.status_code == 403
    assert response.json() == {"detail": "Executives read Lode but do not change it."}
    assert account.name == "Acme Corporation"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field may not be blank."),
        ("   ", "This field may not be blank."),
        (None, "This field may not be null."),
        ("x" * 201, "Ensure this field has no more than 200 characters."),
        ("Globex", ACCOUNT_NAME_TAKEN),
        ("GLOBEX", ACCOUNT_NAME_TAKEN),
        ("globex", ACCOUNT_NAME_TAKEN),
    ],
    ids=["empty", "spaces", "null", "too-long", "taken", "taken-upper", "taken-lower"],
)
def test_a_bad_name_is_refused_as_the_names_field_error(
    ops, account, name, message
) -> None:
    # given another account, on nobody's team but seen by sales ops
    AccountFactory.create(name="Globex")

    # when
    response = rename(ops, account, {"name": name, "employees": 5})

    # then
    account.refresh_from_db()
    assert response.status_code == 400
    assert response.json() == {"name": [message]}
    assert (account.name, account.employees) == ("Acme Corporation", 1000)
    assert ChangeRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("existing", "name"),
    [
        ("ÉCLAIR AB", "éclair ab"),
        ("éclair ab", "ÉCLAIR AB"),
        ("ΣΟΦΙΑ ΑΕ", "σοφια αε"),
        ("STRASSE GMBH", "Straße GmbH"),
        # Composed and decomposed accents are one letter.
        ("E\u0301clair AB", "ÉCLAIR AB"),
    ],
    ids=["lower", "upper", "greek", "sharp-s", "decomposed"],
)
def test_a_name_another_has_in_other_capitals_is_refused_in_any_alphabet(
    ops, account, existing: str, name: str
) -> None:
    # given another account, on nobody's team
    AccountFactory.create(name=existing)

    # when
    response = rename(ops, account, {"name": name})

    # then: refused alike on SQLite, whose LIKE folds ASCII only, and on
    # PostgreSQL
    account.refresh_from_db()
    assert response.status_code == 400
    assert response.json() == {"name": [ACCOUNT_NAME_TAKEN]}
    assert account.name == "Acme Corporation"


def test_a_name_that_differs_in_its_accents_is_another_name(ops, account) -> None:
    AccountFactory.create(name="ÉCLAIR AB")

    response = rename(ops, account, {"name": "Eclair AB"})

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Eclair AB"


def test_a_name_of_200_characters_is_kept_whole(ops, account) -> None:
    response = rename(ops, account, {"name": "y" * 200})

    account.refresh_from_db()
    assert response.status_code == 200
    assert account.name == "y" * 200


def test_a_name_left_as_it_is_passes_beside_an_imported_twin(rep) -> None:
    # given: an import kept "ACME" and "Acme" apart
    AccountFactory.create(name="ACME")
    acme = AccountFactory.create(name="Acme")
    acme.team_members.add(rep)

    # when
    response = rename(rep, acme, {"name": "Acme", "employees": 5})

    # then
    acme.refresh_from_db()
    assert response.status_code == 200, response.json()
    assert (acme.name, acme.employees) == ("Acme", 5)


def test_a_capitals_only_rename_of_the_same_account_passes(ops, account) -> None:
    response = rename(ops, account, {"name": "ACME Corporation"})

    account.refresh_from_db()
    assert response.status_code == 200, response.json()
    assert account.name == "ACME Corporation"


def test_a_rename_beside_a_new_parent_keeps_the_same_rules(ops, account) -> None:
    # given
    parent = AccountFactory.create(name="Acme Holdings")
    parent.team_members.add(ops)

    # when
    taken = rename(ops, account, {"name": "acme holdings", "parent_id": parent.pk})
    saved = rename(ops, account, {"name": "Acme Europe", "parent_id": parent.pk})

    # then
    account.refresh_from_db()
    assert taken.status_code == 400
    assert taken.json() == {"name": [ACCOUNT_NAME_TAKEN]}
    assert saved.status_code == 200, saved.json()
    assert (account.name, account.parent_id) == ("Acme Europe", parent.pk)
    assert sorted(
        ChangeRecord.objects.filter(account=account).values_list(
            "field", "old_value", "new_value"
        )
    ) == [("name", "Acme Corporation", "Acme Europe"), ("parent", "", str(parent.pk))]


@pytest.mark.parametrize(
    "body",
    [{"name": "Globex"}, {"name": "Globex", "parent_id": None}],
    ids=["name", "name-and-parent"],
)
def test_a_clash_only_the_database_catches_is_the_names_field_error(
    ops, account, monkeypatch, body
) -> None:
    # given: the other rename committed after this one's checks passed
    AccountFactory.create(name="Globex")
    monkeypatch.setattr("accounts.services.account_name_check", lambda **kw: None)
    monkeypatch.setattr("accounts.directory.account_name_check", lambda **kw: None)
    monkeypatch.setattr(Account, "validate_unique", lambda self, exclude=None: None)

    # when
    response = rename(ops, account, body)

    # then
    account.refresh_from_db()
    assert response.status_code == 400
    assert response.json() == {"name": [ACCOUNT_NAME_TAKEN]}
    assert account.name == "Acme Corporation"


def test_another_integrity_error_is_not_said_as_a_name_clash(
    ops, account, monkeypatch
) -> None:
    def refuse(**kwargs: object) -> bool:
        raise IntegrityError("some other constraint")

    monkeypatch.setattr("accounts.services._hand_edit_save", refuse)

    response = rename(ops, account, {"name": "Free name"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This conflicts with data that already exists."
    }


@pytest.mark.parametrize(
    "name",
    ["Globex", "Initech", "Free name", "ACME CORPORATION"],
    ids=["seen", "unseen", "free", "capitals"],
)
def test_anyone_who_does_not_see_every_account_is_refused_alike(
    rep, account, name: str
) -> None:
    # given: Globex on the rep's team, Initech on nobody's
    AccountFactory.create(name="Globex").team_members.add(rep)
    AccountFactory.create(name="Initech")

    # when
    response = rename(rep, account, {"name": name, "employees": 5})

    # then: one answer whoever has the name, so it tells of no account
    account.refresh_from_db()
    assert response.status_code == 400
    assert response.json() == {"name": [ACCOUNT_RENAME_REFUSED]}
    assert (account.name, account.employees) == ("Acme Corporation", 1000)
    assert ChangeRecord.objects.count() == 0


def test_a_manager_sending_the_name_as_it_is_changes_the_rest(manager, account) -> None:
    response = rename(manager, account, {"name": "Acme Corporation", "employees": 5})

    account.refresh_from_db()
    assert response.status_code == 200, response.json()
    assert (account.name, account.employees) == ("Acme Corporation", 5)
