"""The account page explains a real run's scores truthfully."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import CurrencyRate, Product, RevenueLine, SupportSignal
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


def test_currencies_and_support_signals_are_explained(
    client, ops, django_capture_on_commit_callbacks
):
    # given three SEK lines with no SEK rate, one EUR line with a rate, and
    # support signals for the first three accounts only
    accounts = portfolio_create(size=6)
    basic, special = Product.objects.order_by("pk")
    for product, quarter in [
        (special, date(2017, 1, 1)),
        (special, date(2017, 4, 1)),
        (basic, date(2017, 4, 1)),
    ]:
        RevenueLine.objects.create(
            account=accounts[0],
            product=product,
            quarter_start=quarter,
            amount=Decimal(900),
            currency="SEK",
        )
    RevenueLine.objects.create(
        account=accounts[1],
        product=basic,
        quarter_start=date(2017, 4, 1),
        amount=Decimal(100),
        currency="EUR",
    )
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("1.5"), rate_date=date(2017, 1, 1)
    )
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("3"), rate_date=date(2017, 5, 1)
    )
    for account, satisfaction in zip(accounts[:3], [90, 70, 80], strict=True):
        SupportSignal.objects.create(
            account=account,
            period_start=date(2017, 7, 1),
            satisfaction=Decimal(satisfaction),
            tickets=3,
        )

    # when
    run = run_requested(django_capture_on_commit_callbacks)
    client.force_login(ops)
    first = score_section(client, accounts[0].pk)
    fourth = score_section(client, accounts[3].pk)

    # then the run and the account say what was left out and why
    assert run.summary["left_out_lines"] == {"SEK": 3}
    assert run.summary["reporting_currency"] == "USD"
    assert run.message == (
        "3 lines in SEK left out: no SEK rate to USD on or before each line's "
        "quarter start"
    )
    scores = {score.account_id: score for score in AccountScore.objects.filter(run=run)}
    assert scores[accounts[0].pk].ttm_revenue == Decimal("1000.00")
    # 2,000 USD plus EUR 100 at the rate of 1 January (1.5), not May's.
    assert scores[accounts[1].pk].ttm_revenue == Decimal("2150.00")
    assert scores[accounts[0].pk].components["left_out"] == {"SEK": 3}
    assert (
        "3 lines in SEK left out: no SEK rate to USD on or before each "
        "line&#x27;s quarter start"
    ) in first
    assert "3 lines in SEK left out" not in fourth

    # and health counts for the accounts with signals, ranked on satisfaction
    # (tickets are equal), and is not available, not zero, for the others
    health = [
        scores[account.pk].components["performance"]["relationship_health"]
        for account in accounts[:4]
    ]
    assert [part["normalised"] for part in health] == [100.0, 0.0, 50.0, 0.0]
    assert [part["status"] for part in health] == ["used"] * 3 + ["no_signal"]
    assert health[0]["satisfaction"] == 90.0
    assert health[3]["share"] == 0.0
    assert "Relationship health" in first
    assert "Latest support figures: satisfaction 90, 3 tickets" in first
    assert "Not available: no support signal for this account" in fourth
