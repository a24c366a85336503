"""The scoring window: where it ends, what a moved window leaves out, and how
a fixed date keeps it in place."""

import html
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Product, RevenueLine, SupportSignal
from scoring.computation import (
    ScoringWeights,
    idle_accounts_warning,
    score_accounts,
    window_label,
)
from scoring.models import AccountScore
from scoring.services import scoring_model_active
from tests.accounts.factories import AccountFactory
from tests.scoring.test_model_page import URL as MODEL_URL
from tests.scoring.test_model_page import form_data
from tests.scoring.test_runs import portfolio_create, run_requested


def engine_frames() -> dict[str, pd.DataFrame]:
    """Three accounts: one bought in Q3 2026, one in Q1 2025, one never."""
    return {
        "accounts": pd.DataFrame(
            {
                "account_id": [1, 2, 3],
                "sector": ["retail"] * 3,
                "annual_revenue_musd": [10.0, 20.0, 30.0],
                "employees": [100, 200, 300],
                "parent_id": [None, None, None],
            }
        ),
        "revenue": pd.DataFrame(
            {
                "account_id": [1, 2],
                "product_id": [7, 7],
                "quarter_start": pd.to_datetime(["2026-07-01", "2025-01-01"]),
                "amount": [500.0, 800.0],
            }
        ),
        "products": pd.DataFrame({"product_id": [7]}),
    }


def test_the_window_is_named_by_its_quarters() -> None:
    assert window_label(date(2026, 9, 30)) == "Q4 2025\u2013Q3 2026"
    assert window_label(date(2026, 10, 1)) == "Q1 2026\u2013Q4 2026"
    assert window_label(date(2026, 12, 31)) == "Q1 2026\u2013Q4 2026"


def test_accounts_with_revenue_only_outside_the_window_are_counted() -> None:
    # when the window follows the latest revenue (Q3 2026)
    result = score_accounts(**engine_frames(), weights=ScoringWeights())

    # then the account that bought in Q1 2025 has none in it; the one that
    # never bought is not counted
    assert result.as_of == date(2026, 9, 30)
    assert result.idle_accounts == 1
    assert idle_accounts_warning(idle_accounts=1, as_of=result.as_of) == (
        "1 account has no revenue in the window Q4 2025\u2013Q3 2026"
    )


def test_a_fixed_as_of_keeps_the_window_where_it_was_set() -> None:
    result = score_accounts(
        **engine_frames(), weights=ScoringWeights(), as_of=date(2025, 3, 31)
    )

    assert result.as_of == date(2025, 3, 31)
    assert result.scores["ttm_revenue"].to_dict() == {1: 0.0, 2: 800.0, 3: 0.0}
    assert idle_accounts_warning(
        idle_accounts=result.idle_accounts, as_of=result.as_of
    ) == ("1 account has no revenue in the window Q2 2024\u2013Q1 2025")


@pytest.mark.django_db
def test_a_run_moved_by_a_recent_deal_warns_and_a_fixed_date_holds_it(
    client, ops, django_capture_on_commit_callbacks
):
    # given six accounts that bought in 2017, and one deal imported for 2019
    accounts = portfolio_create(size=6)
    RevenueLine.objects.create(
        account=AccountFactory.create(name="Newcomer"),
        product=Product.objects.first(),
        quarter_start=date(2019, 1, 1),
        amount=Decimal(50),
    )

    # when
    moved = run_requested(django_capture_on_commit_callbacks)
    client.force_login(ops)
    portfolio = client.get(reverse("scoring:portfolio")).content.decode()
    account_page = client.get(
        reverse("accounts:detail", args=[accounts[0].pk])
    ).content.decode()

    # then the run says the window moved away from the six accounts
    warning = "6 accounts have no revenue in the window Q2 2018\u2013Q1 2019"
    assert moved.as_of == date(2019, 3, 31)
    assert moved.message == warning
    assert moved.summary["window"] == {
        "as_of": "2019-03-31",
        "label": "Q2 2018\u2013Q1 2019",
        "idle_accounts": 6,
        "warning": warning,
    }
    assert AccountScore.objects.get(
        run=moved, account=accounts[0]
    ).ttm_revenue == Decimal(0)
    assert f'data-testid="run-window-warning">{warning}: their revenue' in portfolio
    assert f'data-testid="run-window-warning">{warning}.</p>' in account_page
    assert "window Q2 2018\u2013Q1 2019" in account_page

    # when sales ops fixes the window at the end of 2017
    model = scoring_model_active()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(MODEL_URL, form_data(model, score_as_of="2017-12-31"))
    assert response.status_code == 302

    # then the next run scores 2017 again, and the newcomer is the one idle
    model.refresh_from_db()
    assert model.score_as_of == date(2017, 12, 31)
    fixed = model.runs.order_by("pk").last()
    assert fixed.as_of == date(2017, 12, 31)
    assert fixed.message == (
        "1 account has no revenue in the window Q1 2017\u2013Q4 2017"
    )
    assert AccountScore.objects.get(
        run=fixed, account=accounts[0]
    ).ttm_revenue == Decimal(1000)
    page = client.get(MODEL_URL).content.decode()
    assert 'value="2017-12-31"' in page
    assert "The current scores use the window Q1 2017\u2013Q4 2017." in page


@pytest.mark.django_db
def test_a_rep_reads_which_window_the_model_keeps(client, rep):
    model = scoring_model_active()
    client.force_login(rep)

    following = client.get(MODEL_URL).content.decode()
    model.score_as_of = date(2026, 9, 30)
    model.save()
    fixed = client.get(MODEL_URL).content.decode()

    assert 'data-testid="value-score_as_of">Latest revenue quarter' in following
    assert 'data-testid="value-score_as_of">30 Sep 2026 (Q4 2025\u2013Q3 2026)' in fixed


@pytest.mark.django_db
def test_a_date_the_form_cannot_read_is_refused_with_the_format(client, ops):
    model = scoring_model_active()
    client.force_login(ops)

    response = client.post(MODEL_URL, form_data(model, score_as_of="31/12/2017"))

    assert response.status_code == 400
    assert response.context["form"].errors["score_as_of"] == [
        "Give a date as YYYY-MM-DD, or leave it blank to follow the latest revenue."
    ]
    model.refresh_from_db()
    assert model.score_as_of is None


@pytest.mark.django_db
def test_the_api_fixes_and_releases_the_window(ops):
    revenue_until_september_2026()
    model = scoring_model_active()
    client = APIClient()
    client.force_authenticate(user=ops)
    url = f"/api/scoring/models/{model.pk}/"

    read = client.get(url)
    fixed = client.patch(
        url, {"score_as_of": "2026-09-30"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    released = client.patch(
        url, {"score_as_of": None}, format="json", HTTP_IF_MATCH=fixed["ETag"]
    )
    refused = client.patch(
        url, {"score_as_of": "next week"}, format="json", HTTP_IF_MATCH=released["ETag"]
    )

    assert read.json()["score_as_of"] is None
    assert fixed.status_code == 200, fixed.json()
    assert fixed.json()["score_as_of"] == "2026-09-30"
    assert released.json()["score_as_of"] is None
    assert refused.status_code == 400
    assert refused.json()["score_as_of"] == [
        "Give a date as YYYY-MM-DD, or null to follow the latest revenue."
    ]


@pytest.mark.django_db
def test_signals_after_the_window_are_named_with_their_dates(
    client, ops, django_capture_on_commit_callbacks
):
    # given six accounts scored on 2017; two report support in the window,
    # the first only in 2018, after it
    accounts = portfolio_create(size=6)
    for account, day, satisfaction in [
        (accounts[0], date(2018, 1, 1), 60),
        (accounts[0], date(2018, 4, 1), 65),
        (accounts[1], date(2017, 7, 1), 90),
        (accounts[2], date(2017, 7, 1), 70),
    ]:
        SupportSignal.objects.create(
            account=account, period_start=day, satisfaction=Decimal(satisfaction)
        )

    # when
    run = run_requested(django_capture_on_commit_callbacks)
    client.force_login(ops)
    section = html.unescape(
        client.get(reverse("accounts:detail", args=[accounts[0].pk])).content.decode()
    )

    # then
    health = AccountScore.objects.get(run=run, account=accounts[0]).components[
        "performance"
    ]["relationship_health"]
    assert health["status"] == "no_signal"
    assert (health["outside_first"], health["outside_last"]) == (
        "2018-01-01",
        "2018-04-01",
    )
    assert (
        "Not available: this account's support signals (periods starting "
        "1 Jan 2018 to 1 Apr 2018) fall outside the scoring window, "
        "1 Jan 2017 to 31 Dec 2017; its weight went to this account's other "
        "inputs (not counted as 0)."
    ) in section
    assert "no support signal for this account since" not in section
    other = AccountScore.objects.get(run=run, account=accounts[3]).components[
        "performance"
    ]["relationship_health"]
    assert (other["outside_first"], other["outside_last"]) == (None, None)


def revenue_until_september_2026() -> None:
    RevenueLine.objects.create(
        account=AccountFactory.create(),
        product=Product.objects.create(name="GTX Pro"),
        quarter_start=date(2026, 7, 1),
        amount=Decimal(1000),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "2030-01-01",
            "1 Jan 2030 is in the future: choose a date on or before today, {today}.",
        ),
        (
            "2026-10-01",
            "No revenue after 30 Sep 2026: choose a date on or before it.",
        ),
    ],
)
def test_the_form_refuses_a_date_past_today_or_the_revenue(client, ops, typed, message):
    # given
    revenue_until_september_2026()
    model = scoring_model_active()
    client.force_login(ops)
    today = timezone.localdate()

    # when
    response = client.post(MODEL_URL, form_data(model, score_as_of=typed))

    # then
    assert response.status_code == 400
    assert response.context["form"].errors["score_as_of"] == [
        message.format(today=f"{today.day} {today:%b %Y}")
    ]
    model.refresh_from_db()
    assert model.score_as_of is None
    assert not model.runs.exists()


@pytest.mark.django_db
def test_the_api_refuses_a_date_past_the_revenue(ops):
    revenue_until_september_2026()
    model = scoring_model_active()
    client = APIClient()
    client.force_authenticate(user=ops)
    url = f"/api/scoring/models/{model.pk}/"

    read = client.get(url)
    refused = client.patch(
        url, {"score_as_of": "2026-10-01"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )

    assert refused.status_code == 400
    assert refused.json()["score_as_of"] == [
        "No revenue after 30 Sep 2026: choose a date on or before it."
    ]
    model.refresh_from_db()
    assert model.score_as_of is None
