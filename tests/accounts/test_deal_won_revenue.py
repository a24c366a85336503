"""A deal won, changed or un-won by hand moves its won revenue line with it.

Revenue by quarter, whitespace and the scoring inputs all read revenue
lines (scoring through the quarter sums the database keeps), so each is
checked with its exact values after every kind of hand write: the API, the
deal page and the admin.
"""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from django.urls import reverse

from accounts.models import Account, Opportunity, RevenueLine, User
from accounts.revenue_keys import won_key
from accounts.selectors import account_revenue_by_quarter, whitespace_bought_since
from scoring.loading import scoring_frames_load
from tests.accounts.conftest import api_for, detail_url, page_url
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db

Q1 = date(2026, 1, 1)


def patched(deal: Opportunity, user, **values) -> Opportunity:
    api = api_for(user)
    response = api.patch(
        detail_url(deal),
        values,
        format="json",
        HTTP_IF_MATCH=api.get(detail_url(deal))["ETag"],
    )
    assert response.status_code == 200, response.json()
    deal.refresh_from_db()
    return deal


def lines(account: Account) -> list[tuple[str, Decimal, str, str]]:
    return list(
        RevenueLine.objects.filter(account=account)
        .order_by("import_key")
        .values_list("import_key", "amount", "currency", "source")
    )


def scored_revenue(account: Account) -> list[tuple]:
    revenue = scoring_frames_load().revenue
    mine = revenue[revenue["account_id"] == account.pk]
    return [
        (int(row.product_id), row.quarter_start, float(row.amount), str(row.currency))
        for row in mine.itertuples()
    ]


def test_winning_a_deal_by_hand_counts_it_everywhere(deal, rep, account) -> None:
    # when
    patched(deal, rep, stage="won")

    # then
    key = won_key(account_id=account.pk, product_id=deal.product_id, quarter=Q1)
    assert lines(account) == [(key, Decimal("48000.00"), "USD", "pipeline")]
    assert account_revenue_by_quarter(account=account, reporting_currency="USD") == [
        {"quarter": "2026-01-01", "product": "GTX Pro", "amount": 48000.0}
    ]
    assert whitespace_bought_since(account_ids=[account.pk]) == {
        (account.pk, deal.product_id): Q1
    }
    assert scored_revenue(account) == [
        (deal.product_id, pd.Timestamp(Q1), 48000.0, "USD")
    ]


def test_changing_a_won_deals_amount_and_currency_changes_its_line(
    deal, rep, account
) -> None:
    # given
    patched(deal, rep, stage="won")

    # when
    patched(deal, rep, close_value="50000.00", currency="EUR")

    # then
    key = won_key(account_id=account.pk, product_id=deal.product_id, quarter=Q1)
    assert lines(account) == [(key, Decimal("50000.00"), "EUR", "pipeline")]
    assert whitespace_bought_since(account_ids=[account.pk]) == {
        (account.pk, deal.product_id): Q1
    }
    assert scored_revenue(account) == [
        (deal.product_id, pd.Timestamp(Q1), 50000.0, "EUR")
    ]


def test_moving_a_won_deal_moves_its_revenue_to_the_new_quarter_and_product(
    deal, rep, account
) -> None:
    # given
    patched(deal, rep, stage="won")
    other = ProductFactory.create(name="GTK 500")

    # when
    patched(deal, rep, closed_on="2026-05-15", product_id=other.pk)

    # then
    q2 = date(2026, 4, 1)
    key = won_key(account_id=account.pk, product_id=other.pk, quarter=q2)
    assert lines(account) == [(key, Decimal("48000.00"), "USD", "pipeline")]
    assert account_revenue_by_quarter(account=account, reporting_currency="USD") == [
        {"quarter": "2026-04-01", "product": "GTK 500", "amount": 48000.0}
    ]
    assert whitespace_bought_since(account_ids=[account.pk]) == {
        (account.pk, other.pk): q2
    }
    assert scored_revenue(account) == [(other.pk, pd.Timestamp(q2), 48000.0, "USD")]


def test_un_winning_a_deal_takes_its_revenue_away(deal, rep, account) -> None:
    # given
    patched(deal, rep, stage="won")

    # when
    patched(deal, rep, stage="lost")

    # then
    assert lines(account) == []
    assert account_revenue_by_quarter(account=account, reporting_currency="USD") == []
    assert whitespace_bought_since(account_ids=[account.pk]) == {}
    assert scored_revenue(account) == []


def test_deals_of_one_quarter_sum_on_one_line_per_currency(deal, rep, account) -> None:
    # given: a second won deal of the same product and quarter, in euros
    api = api_for(rep)
    created = api.post(
        reverse("accounts_api:deal_create", args=[account.pk]),
        {
            "product_id": deal.product_id,
            "stage": "won",
            "close_value": "2000.00",
            "currency": "EUR",
            "closed_on": "2026-02-10",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()

    # when: the first one is won in dollars, then gets a euro price too
    patched(deal, rep, stage="won")
    dollars = lines(account)
    patched(deal, rep, currency="EUR")

    # then
    key = won_key(account_id=account.pk, product_id=deal.product_id, quarter=Q1)
    assert dollars == [
        (key, Decimal("2000.00"), "EUR", "pipeline"),
        (f"{key}:USD", Decimal("48000.00"), "USD", "pipeline"),
    ]
    assert lines(account) == [(key, Decimal("50000.00"), "EUR", "pipeline")]


def test_a_deal_won_on_the_deal_page_counts_as_revenue(
    client, deal, rep, account
) -> None:
    # given
    client.force_login(rep)
    form = client.get(page_url(deal)).context["form"]
    sent = {
        name: "" if value is None else str(getattr(value, "pk", value))
        for name, value in form.initial.items()
    }

    # when
    response = client.post(page_url(deal), {**sent, "stage": "won"})

    # then
    assert response.status_code == 302
    key = won_key(account_id=account.pk, product_id=deal.product_id, quarter=Q1)
    assert lines(account) == [(key, Decimal("48000.00"), "USD", "pipeline")]


def test_a_deal_un_won_in_the_admin_loses_its_revenue(
    client, deal, rep, ops, account
) -> None:
    # given
    patched(deal, rep, stage="won")
    User.objects.filter(pk=ops.pk).update(is_staff=True, is_superuser=True)
    client.force_login(ops)

    # when
    response = client.post(
        reverse("admin:accounts_opportunity_change", args=[deal.pk]),
        {
            "external_id": deal.external_id,
            "account": deal.account_id,
            "product": deal.product_id,
            "owner": "",
            "stage": "lost",
            "engaged_on": "2026-01-12",
            "closed_on": "2026-03-31",
            "close_value": "48000.00",
            "currency": "USD",
        },
    )

    # then
    assert response.status_code == 302
    assert lines(account) == []
    assert whitespace_bought_since(account_ids=[account.pk]) == {}


def test_a_hand_edit_leaves_invoice_lines_alone(deal, rep, account) -> None:
    # given
    invoice = RevenueLine.objects.create(
        account=account,
        product=deal.product,
        quarter_start=Q1,
        booked_on=date(2026, 2, 3),
        amount=Decimal("1200.00"),
        import_key="invoice:INV-1:1",
    )

    # when
    patched(deal, rep, stage="won")
    patched(deal, rep, stage="lost")

    # then
    assert lines(account) == [("invoice:INV-1:1", Decimal("1200.00"), "USD", "invoice")]
    invoice.refresh_from_db()
    assert invoice.amount == Decimal("1200.00")
