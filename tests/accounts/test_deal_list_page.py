"""An account's deals, a page at a time, and a new deal added from a page.

The account page lists the latest 20 deals and links to all of them; the
list pages through the rest at the same cost in queries however many
deals there are.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, ChangeRecord, Opportunity, RevenueLine, User
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db

# The one-time key a New deal form carries.
NEW_FORM_KEY = "5f0c6a52-8d1e-4c7b-9a43-2b7e1d6f9c80"


def deals_made(account: Account, start: int, stop: int) -> None:
    product = ProductFactory.create(name=f"Product {start}")
    Opportunity.objects.bulk_create(
        Opportunity(
            external_id=f"D-{number:03}",
            account=account,
            product=product,
            stage=Opportunity.Stage.WON,
            closed_on=date(2025, 1, 1) + timedelta(days=number),
            close_value=Decimal("100.00"),
        )
        for number in range(start, stop)
    )


def list_url(account: Account) -> str:
    return reverse("accounts:deal_list", args=[account.pk])


def new_url(account: Account) -> str:
    return reverse("accounts:deal_create", args=[account.pk])


def queries_for(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries]


def test_the_account_page_links_to_all_its_deals_and_a_new_one(
    client, rep, account
) -> None:
    # given
    deals_made(account, 0, 23)
    client.force_login(rep)

    # when
    shown = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()

    # then
    assert (
        f'The latest 20 of 23 deals. <a href="{list_url(account)}" '
        'data-testid="all-deals">All 23 deals</a>'
    ) in shown
    assert f'<a class="button" href="{new_url(account)}">New deal</a>' in shown


def test_an_executive_sees_the_list_without_edit_or_new_links(
    client, executive, account
) -> None:
    deals_made(account, 0, 3)
    client.force_login(executive)

    shown = client.get(list_url(account)).content.decode()

    assert shown.count('<tr><td class="wrap"><span class="deal-id">D-') == 3
    assert "New deal" not in shown
    assert "Edit deal" not in shown


def test_the_list_pages_through_every_deal_latest_first(client, rep, account) -> None:
    # given
    deals_made(account, 0, 60)
    client.force_login(rep)

    # when
    first = client.get(list_url(account)).content.decode()
    second = client.get(list_url(account) + "?page=2").content.decode()

    # then
    assert first.count('<tr><td class="wrap"><span class="deal-id">D-') == 50
    assert first.index(">D-059<") < first.index(">D-010<")
    assert ">D-009<" not in first
    assert "Page 1 of 2" in first
    assert second.count('<tr><td class="wrap"><span class="deal-id">D-') == 10
    assert ">D-009<" in second and ">D-000<" in second


def test_the_list_asks_the_same_queries_for_3_deals_or_60(client, rep, account) -> None:
    client.force_login(rep)
    deals_made(account, 0, 3)
    small = queries_for(client, list_url(account))

    deals_made(account, 3, 60)
    large = queries_for(client, list_url(account))

    assert Opportunity.objects.filter(account=account).count() == 60
    assert len(small) == len(large)


def test_the_new_deal_page_asks_the_same_queries_for_a_team_of_1_or_20(
    client, rep, account
) -> None:
    client.force_login(rep)
    small = queries_for(client, new_url(account))

    for number in range(19):
        account.team_members.add(User.objects.create(username=f"member{number}"))
    large = queries_for(client, new_url(account))

    assert len(small) == len(large)


def test_a_rep_of_another_team_gets_404_and_an_executive_403(
    client, outsider, executive, account
) -> None:
    client.force_login(outsider)
    hidden = [client.get(list_url(account)), client.get(new_url(account))]
    client.force_login(executive)
    read_only = client.post(new_url(account), {"stage": "won"})

    assert [response.status_code for response in hidden] == [404, 404]
    assert read_only.status_code == 403
    assert Opportunity.objects.count() == 0


def test_a_rep_adds_a_won_deal_that_counts_as_revenue(client, rep, account) -> None:
    # given
    product = ProductFactory.create(name="GTX Pro")
    client.force_login(rep)

    # when
    response = client.post(
        new_url(account),
        {
            "product": product.pk,
            "stage": "won",
            "close_value": "12500",
            "currency": "usd",
            "engaged_on": "2026-01-05",
            "closed_on": "2026-02-20",
            "owner": rep.pk,
            "creation_key": NEW_FORM_KEY,
        },
    )

    # then
    deal = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:detail", args=[account.pk]) + (
        "#deals"
    )
    assert (deal.product, deal.stage, deal.close_value, deal.currency, deal.owner) == (
        product,
        "won",
        Decimal("12500.00"),
        "USD",
        rep,
    )
    assert deal.external_id.startswith("lode-")
    assert list(
        RevenueLine.objects.values_list("quarter_start", "amount", "currency")
    ) == [(date(2026, 1, 1), Decimal("12500.00"), "USD")]
    assert list(
        ChangeRecord.objects.filter(field="stage").values_list("action", "new_value")
    ) == [("create", "won")]


def test_a_refused_new_deal_says_why_on_its_field(client, rep, account) -> None:
    product = ProductFactory.create(name="GTX Pro")
    client.force_login(rep)

    response = client.post(
        new_url(account),
        {
            "product": product.pk,
            "stage": "won",
            "currency": "USD",
            "creation_key": NEW_FORM_KEY,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "closed_on": ["A won deal needs a close date."],
        "close_value": ["A won deal needs an amount."],
    }
    assert Opportunity.objects.count() == 0
