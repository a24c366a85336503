"""The account's edit form: the API's rules, said beside each field."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from accounts.forms import MISSING_ACCOUNT_VERSION
from accounts.models import Account, ChangeRecord, CurrencyRate
from accounts.services import ACCOUNT_NAME_TAKEN, ACCOUNT_RENAME_REFUSED
from config.api import etag_for
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


def edit_url(account: Account) -> str:
    return reverse("accounts:edit", args=[account.pk])


def form_data(account: Account, **changes: object) -> dict[str, object]:
    """Return the form as the page fills it, with these changes typed in."""
    data = {
        "name": account.name,
        "sector": account.sector,
        "country": account.country,
        "year_established": account.year_established or "",
        "employees": "" if account.employees is None else account.employees,
        "annual_revenue": account.annual_revenue or "",
        "annual_revenue_currency": account.annual_revenue_currency,
        "version": etag_for(instance=account),
    }
    return {**data, **changes}


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_account_page_links_to_the_form_for_those_who_may_edit(
    client, rep, executive, account
) -> None:
    client.force_login(rep)
    for_rep = client.get(reverse("accounts:detail", args=[account.pk])).text
    client.force_login(executive)
    for_executive = client.get(reverse("accounts:detail", args=[account.pk])).text

    assert f'href="{edit_url(account)}"' in for_rep
    assert f'href="{edit_url(account)}"' not in for_executive


def test_the_form_shows_the_account_as_stored(client, rep, account) -> None:
    client.force_login(rep)

    response = client.get(edit_url(account))

    form = response.context["form"]
    assert response.status_code == 200
    assert form["name"].value() == "Acme Corporation"
    assert form["employees"].value() == 1000
    assert form["annual_revenue_currency"].value() == "USD"
    assert form["version"].value() == etag_for(instance=account)


def test_sales_ops_rename_the_account_and_it_is_in_the_history(
    client, ops, account
) -> None:
    # given
    client.force_login(ops)

    # when
    response = client.post(
        edit_url(account), form_data(account, name="Acme Group", country="Canada")
    )

    # then
    account.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[account.pk])
    assert said(response) == ["Acme Group saved."]
    assert (account.name, account.country) == ("Acme Group", "Canada")
    assert sorted(
        ChangeRecord.objects.values_list(
            "field", "old_value", "new_value", "changed_by__username"
        )
    ) == [
        ("country", "United States", "Canada", "oona"),
        ("name", "Acme Corporation", "Acme Group", "oona"),
    ]
    page = client.get(edit_url(account)).text
    assert "Acme Corporation" in page


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "This field is required."),
        ("   ", "This field is required."),
        ("x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("globex", ACCOUNT_NAME_TAKEN),
    ],
    ids=["empty", "spaces", "too-long", "taken"],
)
def test_a_bad_name_is_said_beside_the_field_and_nothing_is_saved(
    client, ops, account, name, message
) -> None:
    # given
    AccountFactory.create(name="Globex")
    client.force_login(ops)

    # when
    response = client.post(edit_url(account), form_data(account, name=name))

    # then
    account.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": [message]}
    assert response.context["account"].name == "Acme Corporation"
    assert account.name == "Acme Corporation"
    assert ChangeRecord.objects.count() == 0


def test_a_currency_without_a_revenue_is_said_beside_the_currency(
    client, rep, account
) -> None:
    client.force_login(rep)

    response = client.post(
        edit_url(account),
        form_data(account, annual_revenue="", annual_revenue_currency="EUR"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "annual_revenue_currency": ["A currency needs an annual revenue."]
    }


def test_a_form_read_before_another_change_is_refused(client, ops, account) -> None:
    # given: the form was read, then someone else changed the country
    read = form_data(account, name="Acme Group")
    Account.objects.filter(pk=account.pk).update(country="Canada")
    account.refresh_from_db()
    client.force_login(ops)

    # when
    response = client.post(edit_url(account), read)

    # then
    account.refresh_from_db()
    when = date_format(timezone.localtime(account.updated_at), "j M Y H:i")
    assert response.status_code == 302
    assert response["Location"] == edit_url(account)
    assert said(response) == [
        f"Acme Corporation was changed since you opened this page (last changed "
        f"{when}), so nothing was saved. The form now shows the account as it "
        "is; make your change again if it is still needed."
    ]
    assert (account.name, account.country) == ("Acme Corporation", "Canada")


def test_the_same_form_sent_twice_is_saved_once(client, ops, account) -> None:
    client.force_login(ops)
    sent = form_data(account, name="Acme Group")

    first = client.post(edit_url(account), sent)
    again = client.post(edit_url(account), sent)

    assert said(first) == ["Acme Group saved."]
    assert again["Location"] == reverse("accounts:detail", args=[account.pk])
    assert said(again)[-1] == "Acme Group was already saved as sent."
    assert ChangeRecord.objects.filter(field="name").count() == 1


def test_a_form_without_its_version_saves_nothing(client, rep, account) -> None:
    client.force_login(rep)
    data = form_data(account, name="Acme Group")
    del data["version"]

    response = client.post(edit_url(account), data)

    account.refresh_from_db()
    assert response.status_code == 200
    assert response.context["hidden_errors"] == [MISSING_ACCOUNT_VERSION]
    assert account.name == "Acme Corporation"


def test_an_unchanged_revenue_without_a_rate_is_not_converted_by_a_rename(
    client, ops, account
) -> None:
    # given: a revenue in EUR kept without a rate; a rate is stored since
    Account.objects.filter(pk=account.pk).update(
        annual_revenue=Decimal("900000.00"), annual_revenue_currency="EUR"
    )
    account.refresh_from_db()
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("1.1"), rate_date=date(2026, 11, 30)
    )
    client.force_login(ops)

    # when
    client.post(edit_url(account), form_data(account, name="Acme Group"))

    # then
    account.refresh_from_db()
    assert account.name == "Acme Group"
    assert (account.annual_revenue, account.annual_revenue_rate) == (
        Decimal("900000.00"),
        None,
    )


def test_someone_who_cannot_see_the_account_gets_404_and_an_executive_403(
    client, outsider, executive, account
) -> None:
    client.force_login(outsider)
    hidden = [
        client.get(edit_url(account)).status_code,
        client.post(edit_url(account), form_data(account, name="Mine")).status_code,
    ]
    client.force_login(executive)
    read_only = client.post(edit_url(account), form_data(account, name="Mine"))

    account.refresh_from_db()
    assert hidden == [404, 404]
    assert read_only.status_code == 403
    assert account.name == "Acme Corporation"


def test_a_rep_sees_the_name_fixed_and_a_posted_name_is_left_as_it_was(
    client, rep, account
) -> None:
    # given: Initech, on nobody's team, which the rep may not learn of
    AccountFactory.create(name="Initech")
    client.force_login(rep)

    # when
    shown = client.get(edit_url(account))
    response = client.post(
        edit_url(account), form_data(account, name="Initech", country="Canada")
    )

    # then: the rest of the form is saved, the name is not asked about
    account.refresh_from_db()
    assert shown.context["form"].fields["name"].disabled
    assert escape(ACCOUNT_RENAME_REFUSED) in shown.text
    assert response.status_code == 302
    assert said(response) == ["Acme Corporation saved."]
    assert (account.name, account.country) == ("Acme Corporation", "Canada")
