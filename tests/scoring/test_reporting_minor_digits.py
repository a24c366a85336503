"""Scores and totals keep the reporting currency's own minor digits.

A KWD reporting currency keeps its third decimal in each score's TTM
revenue and in every converted total; a JPY one keeps none. What converting
made is rounded half to even, on every database.
"""

from datetime import date
from decimal import Decimal

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.test import APIClient

from accounts.currency import DatedAmount, RateTable, money_rollup
from accounts.currency_codes import amount_rounded
from accounts.models import Account, CurrencyRate, RevenueLine, User
from scoring.models import AccountScore, ScoreRun
from scoring.services import score_run_request, scoring_model_active
from tests.accounts.factories import AccountFactory, ProductFactory

pytestmark = pytest.mark.django_db

QUARTER = date(2026, 7, 1)


def reporting_in(currency: str) -> None:
    model = scoring_model_active()
    model.reporting_currency = currency
    model.save()


def line(account: Account, amount: str, currency: str) -> None:
    RevenueLine.objects.create(
        account=account,
        product=ProductFactory.create(),
        quarter_start=QUARTER,
        amount=Decimal(amount),
        currency=currency,
    )


def rate(currency: str, into: str, value: str) -> None:
    CurrencyRate.objects.create(
        currency=currency,
        reporting_currency=into,
        rate=Decimal(value),
        rate_date=date(2026, 1, 1),
    )


def scored(callbacks: DjangoCaptureOnCommitCallbacks) -> dict[str, Decimal]:
    with callbacks(execute=True):
        run = score_run_request(trigger="test")
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.SUCCEEDED, run.message
    return dict(
        AccountScore.objects.filter(run=run).values_list("account__name", "ttm_revenue")
    )


def test_it_rounds_what_converting_made_half_to_even() -> None:
    assert amount_rounded(Decimal("407.4048"), "KWD") == Decimal("407.405")
    assert amount_rounded(Decimal("0.0125"), "KWD") == Decimal("0.012")
    assert amount_rounded(Decimal("0.0135"), "KWD") == Decimal("0.014")
    assert amount_rounded(Decimal("160.5"), "JPY") == Decimal("160")
    assert amount_rounded(Decimal("161.5"), "JPY") == Decimal("162")
    assert amount_rounded(Decimal("2.345"), "USD") == Decimal("2.34")


def test_a_rollup_into_kwd_keeps_its_third_decimal() -> None:
    # given amounts in KWD and in EUR, and a rate from EUR into KWD
    rates = [("EUR", date(2026, 1, 1), Decimal("0.33"))]
    amounts = [
        DatedAmount(amount=Decimal("12.345"), currency="KWD", day=QUARTER),
        DatedAmount(amount=Decimal("1234.56"), currency="EUR", day=QUARTER),
    ]

    # when
    rollup = money_rollup(
        amounts=amounts,
        rates=RateTable.from_rows(reporting_currency="KWD", rows=rates),
        reporting_currency="KWD",
    )

    # then 12.345 + 407.4048 is kept to the fils, not to the cent
    assert rollup.total == Decimal("419.750")
    assert str(rollup.total) == "419.750"


def test_a_rollup_into_yen_has_no_decimals() -> None:
    rates = [("EUR", date(2026, 1, 1), Decimal("160.5"))]

    rollup = money_rollup(
        amounts=[DatedAmount(amount=Decimal("1"), currency="EUR", day=QUARTER)],
        rates=RateTable.from_rows(reporting_currency="JPY", rows=rates),
        reporting_currency="JPY",
    )

    assert str(rollup.total) == "160"


def test_a_kwd_run_stores_each_ttm_revenue_to_the_fils(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    executive: User,
) -> None:
    # given a KWD reporting currency, fils in KWD lines and EUR converted
    reporting_in("KWD")
    dinars = AccountFactory.create(name="Dinar Trading")
    euros = AccountFactory.create(name="Euro Works")
    line(dinars, "12.345", "KWD")
    line(dinars, "0.001", "KWD")
    line(euros, "1234.56", "EUR")
    rate("EUR", "KWD", "0.33")

    # when
    stored = scored(django_capture_on_commit_callbacks)

    # then the third decimal is stored, and the API says it
    assert stored == {
        "Dinar Trading": Decimal("12.346"),
        "Euro Works": Decimal("407.405"),
    }
    client = APIClient()
    client.force_authenticate(user=executive)
    said = {
        row["account"]: row["ttm_revenue"]
        for row in client.get("/api/scoring/scores/").json()["results"]
    }
    assert said == {"Dinar Trading": "12.346", "Euro Works": "407.405"}


def test_a_yen_run_rounds_each_ttm_revenue_to_the_yen_half_to_even(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given a JPY reporting currency and euros whose yen end in a half
    reporting_in("JPY")
    down = AccountFactory.create(name="Rounds Down")
    up = AccountFactory.create(name="Rounds Up")
    line(down, "1.00", "EUR")
    line(up, "1.00", "USD")
    rate("EUR", "JPY", "160.5")
    rate("USD", "JPY", "161.5")

    # when
    stored = scored(django_capture_on_commit_callbacks)

    # then each is whole yen, the half going to the even one
    assert stored == {"Rounds Down": Decimal("160"), "Rounds Up": Decimal("162")}


def test_a_usd_run_keeps_its_cents_as_before(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    account = AccountFactory.create(name="Dollar Stores")
    line(account, "1500.25", "USD")

    stored = scored(django_capture_on_commit_callbacks)

    assert stored == {"Dollar Stores": Decimal("1500.25")}
    assert str(stored["Dollar Stores"]) == "1500.25"
