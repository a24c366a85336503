"""The account page explains a real run's scores truthfully."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import RevenueLine
from scoring.models import AccountScore
from tests.scoring.test_runs import portfolio_create, run_requested

pytestmark = pytest.mark.django_db


def score_section(client, account_id: int) -> str:
    html = client.get(reverse("accounts:detail", args=[account_id])).content.decode()
    start = html.index("Why this account scores as it does")
    return html[start:]


def test_growth_is_not_available_when_nobody_had_revenue_before(
    client, ops, django_capture_on_commit_callbacks
):
    # given six accounts with revenue in 2017 only, none with subsidiaries
    accounts = portfolio_create(size=6)

    # when
    run = run_requested(django_capture_on_commit_callbacks)
    client.force_login(ops)
    section = score_section(client, accounts[0].pk)

    # then growth and the subsidiaries earn nothing, and the page says why
    score = AccountScore.objects.get(run=run, account=accounts[0])
    growth = score.components["performance"]["growth"]
    subsidiaries = score.components["potential"]["subsidiary_whitespace"]
    assert growth["status"] == "no_prior_revenue"
    assert growth["points"] == 0 and growth["share"] == 0
    assert subsidiaries["status"] == "no_separation"
    assert subsidiaries["points"] == 0
    assert "200.0 %" not in section
    assert "Not available: no revenue in the 12 months before 1 Jan 2017" in section
    assert "Did not separate accounts" in section


def test_an_account_with_no_revenue_before_is_shown_as_new(
    client, ops, django_capture_on_commit_callbacks
):
    # given two accounts that also bought in 2016 (so growth ranks them)
    accounts = portfolio_create(size=6)
    for account in accounts[1:3]:
        RevenueLine.objects.create(
            account=account,
            product=RevenueLine.objects.filter(account=account).first().product,
            quarter_start=date(2016, 4, 1),
            amount=Decimal(500),
        )

    # when
    run = run_requested(django_capture_on_commit_callbacks)
    client.force_login(ops)
    section = score_section(client, accounts[0].pk)

    # then growth counts, and the other accounts are new, in the middle
    growth = AccountScore.objects.get(run=run, account=accounts[0]).components[
        "performance"
    ]["growth"]
    assert growth["status"] == "used"
    assert growth["prior_revenue"] == 0
    assert growth["normalised"] == 50
    assert "New: no revenue in the 12 months before" in section
    assert "200.0 %" not in section
