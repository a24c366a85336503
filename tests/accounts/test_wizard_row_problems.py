"""A row with several problems is told each of them, and counted once."""

import csv
import io
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Opportunity
from accounts.wizard import mapped_import_check, mapped_import_report_csv
from tests.accounts.factories import AccountFactory
from tests.accounts.test_wizard_tester_findings import opened
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db

GOLD = (
    "The currency XAU is ISO 4217's code for gold, not money: enter the code of "
    "a currency, such as EUR."
)
NO_NOBODY = "no account 'Nobody Ltd'; import the accounts first or in the same upload"
NOT_COMPACT = (
    "no such date when read as YYYYMMDD (year 1900-2099, month, day); write it "
    "as YYYY-MM-DD"
)
# Line 2: three problems; line 3: none; line 4: one.
DEALS = (
    "Id,Account Name,StageName,Amount,CloseDate,CurrencyIsoCode\n"
    "006A1,Nobody Ltd,Closed Won,100,20261301,XAU\n"
    "006A2,Alpha Co,Closed Won,100,2026-01-05,USD\n"
    "006A3,Alpha Co,Closed Won,100,2026-13-45,USD\n"
)


@pytest.fixture
def deals(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.csv"
    path.write_text(DEALS, encoding="utf-8")
    return path


def test_the_check_names_every_problem_of_a_row_and_counts_it_once(deals) -> None:
    outcome = mapped_import_check(mapped=opened(deals))

    assert [(i.line, i.column, i.value, i.reason) for i in outcome.issues] == [
        (2, "CloseDate", "20261301", NOT_COMPACT),
        (2, "CurrencyIsoCode", "XAU", GOLD),
        (2, "Account Name", "Nobody Ltd", NO_NOBODY),
        (4, "CloseDate", "2026-13-45", "no such date"),
    ]
    assert outcome.rejected_rows == 2
    assert outcome.counts["Deals"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
    }


def test_the_row_report_names_every_problem_and_writes_the_good_row(deals) -> None:
    job = imported(deals, keep_good_rows=True)

    table = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))

    blank = table.index([])
    assert [row[:4] for row in table[1:blank]] == [
        ["deals.csv", "2", "rejected", ""],
        ["deals.csv", "3", "created", "product Unspecified"],
        ["deals.csv", "3", "created", "deal 006A2 of Alpha Co"],
        [
            "deals.csv",
            "3",
            "created",
            "revenue line Alpha Co / Unspecified / Q1 2026 (won deals)",
        ],
        ["deals.csv", "4", "rejected", ""],
    ]
    assert [row[4] for row in table[1:blank] if row[2] == "rejected"] == [
        f"CloseDate: {NOT_COMPACT}; CurrencyIsoCode: {GOLD}; Account Name: {NO_NOBODY}",
        "CloseDate: no such date",
    ]
    issues = table[blank + 2 : blank + 6]
    assert [row[1:3] for row in issues] == [
        ["2", "CloseDate"],
        ["2", "CurrencyIsoCode"],
        ["2", "Account Name"],
        ["4", "CloseDate"],
    ]
    assert ["Deals", "1", "0", "0", "2"] in table
    assert list(Opportunity.objects.values_list("external_id", flat=True)) == ["006A2"]


def test_the_command_and_api_name_every_problem_of_a_row(deals, ops) -> None:
    # given
    out = StringIO()
    api = APIClient()
    api.force_authenticate(ops)

    # when
    call_command("import_files", str(deals), stdout=out)
    mapped = opened(deals)
    check = api.get(f"/api/accounts/imports/{mapped.job_id}/check/").json()

    # then
    printed = out.getvalue()
    assert f"deals.csv:2 CloseDate '20261301': {NOT_COMPACT} (rejected)" in printed
    assert f"deals.csv:2 CurrencyIsoCode 'XAU': {GOLD} (rejected)" in printed
    assert f"deals.csv:2 Account Name 'Nobody Ltd': {NO_NOBODY} (rejected)" in printed
    assert [(i["line"], i["column"]) for i in check["issues"]] == [
        (2, "CloseDate"),
        (2, "CurrencyIsoCode"),
        (2, "Account Name"),
        (4, "CloseDate"),
    ]
    assert check["rejected_rows"] == 2
    assert check["counts"]["Deals"]["rejected"] == 2


def test_a_revenue_row_is_told_its_account_and_its_amount(tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "revenue.csv"
    path.write_text(
        "Customer,Invoice Date,Product,Net Amount,Currency\n"
        "Nobody Ltd,2026-04-03,GTX Pro,lots,EUR\n",
        encoding="utf-8",
    )

    outcome = mapped_import_check(mapped=opened(path))

    assert [(i.line, i.column, i.reason) for i in outcome.issues] == [
        (2, "Net Amount", "not a number"),
        (2, "Customer", NO_NOBODY),
    ]
    assert outcome.rejected_rows == 1
    assert outcome.counts["Revenue lines"]["rejected"] == 1


def test_a_person_is_told_a_bad_email_and_an_unknown_account_together(
    tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "people.csv"
    path.write_text(
        "First Name,Last Name,Account Name,Title,Email\n"
        "Wile,Coyote,Nobody Ltd,Head of Procurement,wile(at)acme\n"
        "Rhoda,Runner,Alpha Co,Chief Financial Officer,rhoda@alpha.example\n",
        encoding="utf-8",
    )

    outcome = mapped_import_check(mapped=opened(path))

    assert [(i.line, i.column, i.reason) for i in outcome.issues] == [
        (2, "Email", "not an email address"),
        (2, "Account Name", NO_NOBODY),
    ]
    assert outcome.rejected_rows == 1
    assert outcome.counts["People"]["rejected"] == 1
    assert outcome.counts["People"]["created"] == 1
