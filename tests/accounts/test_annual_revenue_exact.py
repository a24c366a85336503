"""Annual revenue is kept exactly as given, in its own currency."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import Account, ChangeRecord, CurrencyRate, User
from scoring.loading import scoring_frames_load
from tests.accounts.conftest import api_for
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

# Zero and a blank revenue, kept apart; a revenue under 5,000 kept whole.
ROWS = [
    ("Acme Widgets", "1,234,567.89"),
    ("Beta Tools", "4,999"),
    ("Gamma Foods", "0"),
    ("Delta Mills", ""),
]
STORED = [
    ("Acme Widgets", Decimal("1234567.89"), "USD", None, None),
    ("Beta Tools", Decimal("4999.00"), "USD", None, None),
    ("Delta Mills", None, "", None, None),
    ("Gamma Foods", Decimal("0.00"), "USD", None, None),
]


def stored() -> list[tuple]:
    return list(
        Account.objects.order_by("name").values_list(
            "name",
            "annual_revenue",
            "annual_revenue_currency",
            "annual_revenue_rate",
            "annual_revenue_rate_date",
        )
    )


def test_a_csv_revenue_is_stored_to_the_cent(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account Name,Annual Revenue\n"
        + "".join(f'"{name}","{revenue}"\n' for name, revenue in ROWS),
        encoding="utf-8",
    )

    job = imported(path)

    assert job.status == "succeeded", job.issues
    assert stored() == STORED
    assert [issue for issue in job.issues if issue["action"] == "kept"] == []


def test_an_xlsx_revenue_is_stored_to_the_cent(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Account Name", "Annual Revenue"])
    sheet.append(["Acme Widgets", 1234567.89])
    sheet.append(["Beta Tools", 4999])
    sheet.append(["Gamma Foods", 0])
    sheet.append(["Delta Mills", None])
    path = tmp_path / "accounts.xlsx"
    workbook.save(path)

    job = imported(path)

    assert job.status == "succeeded", job.issues
    assert stored() == STORED


def test_a_euro_revenue_keeps_its_currency_and_rate_date(tmp_path: Path) -> None:
    # given
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("1.08"), rate_date=date(2026, 3, 31)
    )
    path = tmp_path / "accounts.csv"
    path.write_text(
        'Account Name,Annual Revenue\n"Nordlicht GmbH","EUR 12,500,000.55"\n',
        encoding="utf-8",
    )

    # when
    job = imported(path)

    # then
    assert job.status == "succeeded", job.issues
    assert stored() == [
        (
            "Nordlicht GmbH",
            Decimal("12500000.55"),
            "EUR",
            Decimal("1.08"),
            date(2026, 3, 31),
        )
    ]
    assert Account.objects.get().annual_revenue_musd == Decimal("13.500000594")


def test_the_api_reads_back_the_exact_revenue_it_was_given(
    rep: User, account: Account
) -> None:
    # given
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("1.08"), rate_date=date(2026, 3, 31)
    )
    api = api_for(rep)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = api.get(url)["ETag"]

    # when
    written = api.patch(
        url,
        {"annual_revenue": "1234567.89", "annual_revenue_currency": "eur"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    read = api.get(url).json()

    # then
    assert written.status_code == 200, written.json()
    assert {key: read[key] for key in read if key.startswith("annual")} == {
        "annual_revenue": "1234567.89",
        "annual_revenue_currency": "EUR",
        "annual_revenue_rate": "1.0800000000",
        "annual_revenue_rate_date": "2026-03-31",
    }
    assert list(
        ChangeRecord.objects.filter(field="annual_revenue").values_list(
            "old_value", "new_value"
        )
    ) == [("500,000,000.00 USD", "1,234,567.89 EUR")]


def test_the_api_keeps_a_revenue_in_a_currency_it_has_no_rate_for(
    rep: User, account: Account
) -> None:
    # given
    api = api_for(rep)
    url = reverse("accounts_api:detail", args=[account.pk])

    # when
    kept = api.patch(
        url,
        {"annual_revenue": "100", "annual_revenue_currency": "SEK"},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    )
    CurrencyRate.objects.create(
        currency="SEK", rate=Decimal("0.095"), rate_date=date(2026, 3, 31)
    )
    again = api.patch(
        url,
        {"annual_revenue": "100", "annual_revenue_currency": "SEK"},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    )

    # then
    assert kept.status_code == 200, kept.json()
    assert {
        key: kept.json()[key] for key in kept.json() if key.startswith("annual")
    } == {
        "annual_revenue": "100.00",
        "annual_revenue_currency": "SEK",
        "annual_revenue_rate": None,
        "annual_revenue_rate_date": None,
    }
    assert again.status_code == 200, again.json()
    assert (
        again.json()["annual_revenue_rate"],
        again.json()["annual_revenue_rate_date"],
    ) == (
        "0.0950000000",
        "2026-03-31",
    )


def test_the_api_keeps_zero_apart_from_blank(rep: User, account: Account) -> None:
    api = api_for(rep)
    url = reverse("accounts_api:detail", args=[account.pk])

    zero = api.patch(
        url,
        {"annual_revenue": "0"},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    ).json()
    blank = api.patch(
        url,
        {"annual_revenue": None},
        format="json",
        HTTP_IF_MATCH=api.get(url)["ETag"],
    ).json()

    assert (zero["annual_revenue"], zero["annual_revenue_currency"]) == ("0.00", "USD")
    assert (blank["annual_revenue"], blank["annual_revenue_currency"]) == (None, "")


def test_the_admin_form_stores_the_exact_revenue_and_its_history(client) -> None:
    # given
    admin = User.objects.create_superuser(username="ada", password="x")
    account = AccountFactory.create(name="Acme Widgets")
    client.force_login(admin)
    url = reverse("admin:accounts_account_change", args=[account.pk])

    # when
    response = client.post(
        url,
        {
            "name": "Acme Widgets",
            "annual_revenue": "4999",
            "annual_revenue_currency": "USD",
            "custom_values": "{}",
            "AccountTeamMember_set-TOTAL_FORMS": "0",
        },
    )

    # then
    assert response.status_code == 302, response.context["adminform"].errors
    account.refresh_from_db()
    assert (account.annual_revenue, account.annual_revenue_currency) == (
        Decimal("4999.00"),
        "USD",
    )
    assert list(
        ChangeRecord.objects.filter(field="annual_revenue").values_list(
            "old_value", "new_value"
        )
    ) == [("500,000,000.00 USD", "4,999.00 USD")]


def test_the_scoring_frame_reads_whole_millions_as_before() -> None:
    # given
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("1.08"), rate_date=date(2026, 3, 31)
    )
    AccountFactory.create(name="Acme Widgets", annual_revenue=Decimal("12000000.00"))
    AccountFactory.create(name="Beta Tools", annual_revenue=Decimal("4999.00"))
    AccountFactory.create(
        name="Nordlicht GmbH",
        annual_revenue=Decimal("12500000.00"),
        annual_revenue_currency="EUR",
        annual_revenue_rate=Decimal("1.08"),
        annual_revenue_rate_date=date(2026, 3, 31),
    )
    AccountFactory.create(
        name="Delta Mills", annual_revenue=None, annual_revenue_currency=""
    )

    # when
    accounts = scoring_frames_load().accounts

    # then
    revenue = dict(zip(accounts["name"], accounts["annual_revenue_musd"], strict=True))
    assert revenue["Acme Widgets"] == float(Decimal("12.00"))
    assert revenue["Beta Tools"] == 0.004999
    assert revenue["Nordlicht GmbH"] == 13.5
    assert pd_isna(revenue["Delta Mills"])


def pd_isna(value: object) -> bool:
    return value != value
