"""The admin refuses an account name as the page and the API do.

A name another account has, in any capitals, is refused on the name field
with the service's message, whether the account is added or renamed; its
own name in other capitals is not.
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import Account, ChangeRecord, User
from accounts.services import ACCOUNT_NAME_TAKEN, ACCOUNT_RENAME_REFUSED
from tests.accounts.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db: None) -> Account:
    return AccountFactory.create(name="Acme Widgets")


@pytest.fixture
def globex(db: None) -> Account:
    return AccountFactory.create(name="Globex")


def admin_client(user: User | None = None) -> Client:
    client = Client()
    client.force_login(
        user
        or UserFactory.create(
            username="ada", role=User.Role.OPS, is_staff=True, is_superuser=True
        )
    )
    return client


def account_form(account: Account | None = None, **changes: str) -> dict[str, str]:
    """The admin's account form as stored (or blank), with these changes."""
    fields = [
        "name",
        "sector",
        "country",
        "year_established",
        "employees",
        "annual_revenue",
        "annual_revenue_currency",
    ]
    data = {
        field: "" if value is None else str(value)
        for field in fields
        for value in [getattr(account, field, None)]
    }
    data.update(changes)
    return data


def name_errors(response) -> dict[str, list[str]]:
    return response.context["adminform"].form.errors.get_json_data()


@pytest.mark.parametrize(
    "name",
    ["ACME widgets", "acme widgets", "Acme Widgets"],
    ids=["mixed", "lower", "exact"],
)
def test_adding_a_name_another_has_in_any_capitals_is_refused(
    acme: Account, name: str
) -> None:
    # when
    response = admin_client().post(
        reverse("admin:accounts_account_add"), account_form(name=name)
    )

    # then: the service's message alone, on the name field
    assert response.status_code == 200
    assert name_errors(response) == {
        "name": [{"message": ACCOUNT_NAME_TAKEN, "code": ""}]
    }
    assert ACCOUNT_NAME_TAKEN in response.content.decode()
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme Widgets"]


def test_adding_a_new_name_saves_it_with_its_key(acme: Account) -> None:
    response = admin_client().post(
        reverse("admin:accounts_account_add"), account_form(name="ACME Tools")
    )

    assert response.status_code == 302
    assert Account.objects.get(name="ACME Tools").name_key == "acme tools"


def test_renaming_to_a_name_another_has_in_other_capitals_is_refused(
    acme: Account, globex: Account
) -> None:
    # when
    response = admin_client().post(
        reverse("admin:accounts_account_change", args=[globex.pk]),
        account_form(globex, name="ACME WIDGETS", sector="logistics"),
    )

    # then: nothing of the form is saved
    assert response.status_code == 200
    assert name_errors(response) == {
        "name": [{"message": ACCOUNT_NAME_TAKEN, "code": ""}]
    }
    globex.refresh_from_db()
    assert (globex.name, globex.sector) == ("Globex", "retail")
    assert ChangeRecord.objects.count() == 0


def test_renaming_to_its_own_name_in_other_capitals_is_allowed(
    acme: Account, globex: Account
) -> None:
    # when
    response = admin_client().post(
        reverse("admin:accounts_account_change", args=[acme.pk]),
        account_form(acme, name="ACME WIDGETS"),
    )

    # then
    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.name_key) == ("ACME WIDGETS", "acme widgets")
    assert list(
        ChangeRecord.objects.values_list("field", "old_value", "new_value")
    ) == [("name", "Acme Widgets", "ACME WIDGETS")]


def test_staff_who_do_not_see_every_account_cannot_rename_one_there(
    acme: Account,
) -> None:
    # given a rep let into the admin's account pages
    rep = UserFactory.create(username="rita", role=User.Role.REP, is_staff=True)
    rep.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_account", "change_account"])
    )
    url = reverse("admin:accounts_account_change", args=[acme.pk])

    # when
    renamed = admin_client(rep).post(url, account_form(acme, name="Acme Tools"))
    edited = admin_client(rep).post(url, account_form(acme, sector="logistics"))

    # then: the rename is refused as the API refuses it; other fields save
    assert name_errors(renamed) == {
        "name": [{"message": ACCOUNT_RENAME_REFUSED, "code": ""}]
    }
    assert edited.status_code == 302
    acme.refresh_from_db()
    assert (acme.name, acme.sector) == ("Acme Widgets", "logistics")
