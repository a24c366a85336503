"""Dates are YYYY-MM-DD and currencies are money, in the API and the import."""

from datetime import date

import pytest

from accounts.models import Opportunity
from accounts.wizard import mapped_import_check
from tests.accounts.conftest import api_for, detail_url, history
from tests.accounts.factories import AccountFactory
from tests.accounts.test_wizard_tester_findings import opened
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db

NOT_ISO_DATE = "Enter the date as YYYY-MM-DD, such as 2026-03-31."
GOLD = (
    "The currency XAU is ISO 4217's code for gold, not money: enter the code of "
    "a currency, such as EUR."
)


def patched(deal: Opportunity, rep, body: dict[str, str]):
    api = api_for(rep)
    etag = api.get(detail_url(deal))["ETag"]
    return api.patch(detail_url(deal), body, format="json", HTTP_IF_MATCH=etag)


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ("20260105", NOT_ISO_DATE),
        ("2026-1-5", NOT_ISO_DATE),
        ("2026-W02-1", NOT_ISO_DATE),
        (
            "05/01/2026",
            "05/01/2026 could be 5 January 2026 (day first) or 1 May 2026 (month "
            "first): enter the date as YYYY-MM-DD, 2026-01-05 or 2026-05-01.",
        ),
    ],
)
def test_the_api_takes_a_date_only_as_yyyy_mm_dd(deal, rep, sent, message) -> None:
    response = patched(deal, rep, {"closed_on": sent})

    assert response.status_code == 400
    assert response.json() == {"closed_on": [message]}
    assert history() == []


def test_the_api_still_takes_an_iso_date(deal, rep) -> None:
    response = patched(deal, rep, {"closed_on": "2026-04-30"})

    assert response.status_code == 200
    assert response.json()["closed_on"] == "2026-04-30"


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("XAU", "gold"),
        ("xag", "silver"),
        ("XTS", "testing"),
        ("XXX", "no currency"),
        ("CLF", "a fund"),
        ("XDR", "the IMF's special drawing right"),
    ],
)
def test_the_api_refuses_a_code_that_is_not_money(deal, rep, code, what) -> None:
    response = patched(deal, rep, {"currency": code})

    assert response.status_code == 400
    assert response.json() == {
        "currency": [
            f"The currency {code.upper()} is ISO 4217's code for {what}, not "
            "money: enter the code of a currency, such as EUR."
        ]
    }
    deal.refresh_from_db()
    assert deal.currency == "USD"


@pytest.mark.parametrize("code", ["XAF", "XOF", "XPF", "XCD", "CHF", "eur"])
def test_the_api_takes_real_currencies_that_look_alike(deal, rep, code) -> None:
    response = patched(deal, rep, {"currency": code})

    assert response.status_code == 200
    assert response.json()["currency"] == code.upper()


def test_the_api_takes_a_withdrawn_currency_for_older_deals(deal, rep) -> None:
    response = patched(deal, rep, {"currency": "HRK"})

    assert response.status_code == 200
    assert response.json()["currency"] == "HRK"


def test_the_import_takes_revenue_in_a_withdrawn_currency(tmp_path) -> None:
    # given: a Croatian deal won in 2019, priced in kuna
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Id,Account Name,StageName,Amount,CloseDate,CurrencyIsoCode\n"
        "006A1,Alpha Co,Closed Won,7400,2019-03-14,HRK\n",
        encoding="utf-8",
    )

    # when
    job = imported(path)

    # then
    assert job.issues == []
    assert list(Opportunity.objects.values_list("external_id", "currency")) == [
        ("006A1", "HRK")
    ]


def test_the_import_refuses_a_code_that_is_not_money_in_either_place(
    tmp_path,
) -> None:
    # given: a currency column saying XAU, and an amount naming XAG itself
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Id,Account Name,StageName,Amount,CloseDate,CurrencyIsoCode\n"
        "006A1,Alpha Co,Closed Won,100,2026-01-05,XAU\n"
        "006A2,Alpha Co,Closed Won,XAG 100,2026-01-05,\n"
        "006A3,Alpha Co,Closed Won,100,2026-01-05,QQQ\n"
        "006A4,Alpha Co,Closed Won,100,2026-01-05,EUR\n",
        encoding="utf-8",
    )

    # when
    outcome = mapped_import_check(mapped=opened(path))

    # then
    assert [(i.line, i.column, i.value, i.reason) for i in outcome.issues] == [
        (2, "CurrencyIsoCode", "XAU", GOLD),
        (
            3,
            "Amount",
            "XAG 100",
            "The currency XAG is ISO 4217's code for silver, not money: enter the "
            "code of a currency, such as EUR.",
        ),
        (
            4,
            "CurrencyIsoCode",
            "QQQ",
            "The currency QQQ is not an ISO 4217 currency code: enter one such as EUR.",
        ),
    ]
    assert outcome.rejected_rows == 3


def test_the_import_still_reads_day_first_dates_beside_a_refused_currency(
    tmp_path,
) -> None:
    # given: 13/01 can only be day-first, so 05/01 is 5 January
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Id,Account Name,StageName,Amount,CloseDate,CurrencyIsoCode\n"
        "006A1,Alpha Co,Closed Won,100,05/01/2026,EUR\n"
        "006A2,Alpha Co,Closed Won,100,13/01/2026,XAU\n",
        encoding="utf-8",
    )

    # when
    job = imported(path, keep_good_rows=True)

    # then
    assert [(i["line"], i["reason"]) for i in job.issues] == [(3, GOLD)]
    assert list(Opportunity.objects.values_list("external_id", "closed_on")) == [
        ("006A1", date(2026, 1, 5))
    ]
