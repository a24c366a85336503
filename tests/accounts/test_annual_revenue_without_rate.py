"""A revenue in a currency no stored rate converts is kept, never nulled."""

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.currency import annual_revenue_note
from accounts.models import Account, CurrencyRate, ImportJob, User
from accounts.selectors import account_annual_revenue_usd
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from scoring.loading import scoring_frames_load
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

CURRENCY = Path(__file__).parent / "fixtures" / "currency"
REPORT = CURRENCY / "report_euro_revenue_semicolon_bom.csv"

# As given: the euro amount and a zero in euros, the blank left blank.
KEPT_WITHOUT_RATE = [
    ("Kellerei Schönblick GmbH", Decimal("2345678.91"), "EUR", None, None),
    ("Leer Handel KG", None, "", None, None),
    ("Null Komma Null KG", Decimal("0.00"), "EUR", None, None),
]


def no_rate_reason(amount: str) -> str:
    return (
        f"kept as {amount} EUR, not converted: no EUR to USD rate was stored "
        "when it was given, so the scoring leaves it out: import a EUR rate, "
        "with this file or later, to convert it"
    )


ISSUES = [
    (2, "Annual Revenue", "EUR 2345678.91", no_rate_reason("2,345,678.91"), "kept"),
    (3, "Annual Revenue", "EUR 0", no_rate_reason("0.00"), "kept"),
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


def revenue_issues(issues: list[dict]) -> list[tuple]:
    return [
        (
            issue["line"],
            issue["column"],
            issue["value"],
            issue["reason"],
            issue["action"],
        )
        for issue in issues
        if issue["column"] == "Annual Revenue"
    ]


def test_the_wizard_keeps_a_revenue_it_has_no_rate_for() -> None:
    job = imported(REPORT)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == KEPT_WITHOUT_RATE
    assert revenue_issues(job.issues) == ISSUES


def test_the_api_import_keeps_a_revenue_it_has_no_rate_for(
    ops: User, django_capture_on_commit_callbacks
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    created = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(REPORT.name, REPORT.read_bytes(), "text/csv")]},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    url = f"/api/accounts/imports/{created.json()['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(url + "start/", {}, format="json")

    # then
    assert started.status_code == 202, started.content
    detail = api.get(url).json()
    assert detail["status"] == ImportJob.Status.SUCCEEDED
    assert stored() == KEPT_WITHOUT_RATE
    assert revenue_issues(detail["issues"]) == ISSUES


def test_the_command_keeps_a_revenue_it_has_no_rate_for() -> None:
    out = StringIO()

    call_command("import_files", str(REPORT), "--yes", stdout=out)

    assert stored() == KEPT_WITHOUT_RATE
    assert (
        f"{REPORT.name}:3 Annual Revenue 'EUR 0': {no_rate_reason('0.00')} (kept)"
    ) in out.getvalue()


def test_a_rate_imported_with_the_file_converts_the_revenue() -> None:
    # given
    imported(CURRENCY / "rates_eur.csv")

    # when
    job = imported(REPORT)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored() == [
        (
            "Kellerei Schönblick GmbH",
            Decimal("2345678.91"),
            "EUR",
            Decimal("1.08"),
            date(2026, 3, 31),
        ),
        ("Leer Handel KG", None, "", None, None),
        (
            "Null Komma Null KG",
            Decimal("0.00"),
            "EUR",
            Decimal("1.08"),
            date(2026, 3, 31),
        ),
    ]
    assert revenue_issues(job.issues) == []


def test_importing_the_file_again_after_a_rate_converts_what_was_kept() -> None:
    # given
    imported(REPORT)
    CurrencyRate.objects.create(
        currency="EUR", rate=Decimal("1.08"), rate_date=date(2026, 3, 31)
    )

    # when
    job = imported(REPORT)

    # then
    assert job.counts["Accounts"]["updated"] == 2
    kellerei = Account.objects.get(name="Kellerei Schönblick GmbH")
    assert (kellerei.annual_revenue_rate, kellerei.annual_revenue_rate_date) == (
        Decimal("1.08"),
        date(2026, 3, 31),
    )
    assert kellerei.annual_revenue_musd == Decimal("2.5333332228")


def test_the_scoring_and_the_api_order_read_a_revenue_without_rate_as_unknown() -> None:
    # given: were the raw euros read as dollars, Kellerei would rank first
    AccountFactory.create(name="Acme Widgets", annual_revenue=Decimal("1000.00"))
    imported(REPORT)

    # when
    accounts = scoring_frames_load().accounts
    usd = dict(
        Account.objects.annotate(usd=account_annual_revenue_usd()).values_list(
            "name", "usd"
        )
    )

    # then
    revenue = dict(zip(accounts["name"], accounts["annual_revenue_musd"], strict=True))
    assert revenue["Acme Widgets"] == 0.001
    assert revenue["Kellerei Schönblick GmbH"] != revenue["Kellerei Schönblick GmbH"]
    assert revenue["Null Komma Null KG"] != revenue["Null Komma Null KG"]
    assert usd["Acme Widgets"] == Decimal("1000.00")
    assert usd["Kellerei Schönblick GmbH"] is None
    assert usd["Null Komma Null KG"] is None


def test_the_account_page_says_the_revenue_has_no_rate(
    client, rep: User, account: Account
) -> None:
    # given
    account.annual_revenue = Decimal("2345678.91")
    account.annual_revenue_currency = "EUR"
    account.annual_revenue_rate = None
    account.annual_revenue_rate_date = None
    account.full_clean()
    account.save()
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    note = (
        "not converted: no EUR to USD rate was stored when it was given, so "
        "the scoring leaves it out; storing a EUR rate converts it"
    )
    assert annual_revenue_note(account=account) == note
    html = response.content.decode()
    assert '<span data-testid="company-revenue">2,345,678.91 EUR</span>' in html
    assert f'data-testid="company-revenue-note">{note}</small>' in html


def checked(path: Path) -> list[tuple]:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    mapped_import_mapping_accept(mapped=mapped, user=None)
    outcome = mapped_import_check(mapped=mapped)
    return [
        (issue.line, issue.column, issue.value, issue.reason)
        for issue in outcome.issues
        if issue.action == "rejected"
    ]


def test_a_third_decimal_is_refused_only_where_the_currency_has_none() -> None:
    AccountFactory.create(name="Souq Traders")

    assert checked(CURRENCY / "invoices_three_decimals.csv") == [
        (
            5,
            "Net Amount",
            "10,125",
            "3 decimals, but USD has 2: round the amount or check its currency",
        ),
    ]
