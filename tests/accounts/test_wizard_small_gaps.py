"""Smaller import gaps a tester found in HubSpot and Salesforce exports."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import (
    Account,
    CurrencyRate,
    ImportJob,
    Opportunity,
    SavedMapping,
)
from accounts.wizard import mapped_import_report_csv
from tests.accounts.wizard_runs import imported

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def said(job: ImportJob) -> list[tuple]:
    return [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
    ]


def test_a_hubspot_parent_company_given_as_a_record_id_links_to_it(
    tmp_path,
) -> None:
    # given
    path = written(
        tmp_path / "companies.csv",
        "Record ID,Company name,Parent Company\n"
        "102,Acme Widgets,101\n"
        "101,Acme Holdings,\n"
        "103,Acme Tools,Acme Holdings\n",
    )

    # when
    job = imported(path)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert said(job) == []
    assert list(
        Account.objects.order_by("external_id").values_list(
            "external_id", "name", "parent__external_id"
        )
    ) == [
        ("101", "Acme Holdings", None),
        ("102", "Acme Widgets", "101"),
        ("103", "Acme Tools", "101"),
    ]


def test_a_hubspot_parent_record_id_that_closes_a_cycle_is_refused(
    tmp_path,
) -> None:
    path = written(
        tmp_path / "companies.csv",
        "Record ID,Company name,Parent Company\n201,Loop A,202\n202,Loop B,201\n",
    )

    job = imported(path, keep_good_rows=True)

    # Line 3 is refused, so line 2's parent is not there to link to.
    assert said(job) == [
        (
            2,
            "Parent Company",
            "202",
            "no such parent account; the parent was left as it was",
        ),
        (3, "Parent Company", "201", "parent 201 makes a cycle: 202 → 201 → 202"),
    ]
    assert list(Account.objects.values_list("external_id", "parent__external_id")) == [
        ("201", None)
    ]


def test_a_hubspot_deal_with_several_associated_companies_is_refused(
    tmp_path,
) -> None:
    # given
    imported(
        written(
            tmp_path / "companies.csv",
            "Record ID,Company name\n101,Acme Holdings\n102,Acme Widgets\n",
        )
    )
    path = written(
        tmp_path / "deals.csv",
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Associated Company IDs\n"
        "D1,Big deal,closedwon,100,2026-01-05,101;102\n"
        "D2,Small deal,closedwon,50,2026-01-06,102\n",
    )

    # when
    job = imported(path, keep_good_rows=True)

    # then
    assert said(job) == [
        (
            2,
            "Associated Company IDs",
            "101;102",
            "a deal belongs to one account, and this row names 2: '101', '102'; "
            "keep the ID of its account",
        ),
    ]
    assert list(
        Opportunity.objects.values_list("external_id", "account__external_id")
    ) == [("D2", "102")]


def product_reasons(job: ImportJob) -> list[tuple[str, str, str]]:
    """Return where and why the row report says each product was created."""
    table = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    return [
        (row[0], row[1], row[4])
        for row in table[1 : table.index([])]
        if row[3].startswith("product ")
    ]


@pytest.mark.parametrize(
    ("header", "cells", "reason"),
    [
        (
            "",
            "",
            "from this row: the file has no product column, so the deal is filed "
            'under "Unspecified"',
        ),
        (
            ",Product",
            ",",
            "from this row: the row names no product, so the deal is filed under "
            '"Unspecified"',
        ),
    ],
)
def test_a_deal_without_a_product_says_why_it_is_filed_under_unspecified(
    tmp_path, header: str, cells: str, reason: str
) -> None:
    # given
    Account.objects.create(name="Acme", external_id="101")
    path = written(
        tmp_path / "deals.csv",
        f"Opportunity Name,Account ID,Stage,Amount,Close Date{header}\n"
        f"Big deal,101,Closed Won,100,2026-01-05{cells}\n",
    )

    # when
    job = imported(path)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert product_reasons(job) == [("deals.csv", "2", reason)]
    assert list(Opportunity.objects.values_list("product__name", flat=True)) == [
        "Unspecified"
    ]


def test_a_date_in_a_year_founded_column_is_refused_as_a_date(tmp_path) -> None:
    # given
    path = written(
        tmp_path / "companies.csv",
        "Record ID,Company name,Year Founded\n"
        "301,Old Co,01.04.1998\n"
        "302,New Co,2001\n"
        "303,Mid Co,4/1/98\n",
    )

    # when
    job = imported(path, keep_good_rows=True)

    # then
    assert said(job) == [
        (
            2,
            "Year Founded",
            "01.04.1998",
            "a date where a year is expected; give the year alone, e.g. 1998",
        ),
        (
            4,
            "Year Founded",
            "4/1/98",
            "a date where a year is expected; give the year alone, in four digits",
        ),
    ]
    assert list(Account.objects.values_list("name", "year_established")) == [
        ("New Co", 2001)
    ]


def test_the_command_quotes_the_start_of_an_over_long_value(tmp_path) -> None:
    path = written(
        tmp_path / "long.csv",
        f"Account Name,Billing Country\n{'L' * 5000},Norway\nShort Co,Norway\n",
    )
    out = io.StringIO()

    call_command("import_files", str(path), stdout=out)

    assert (
        f"long.csv:2 Account Name '{'L' * 60}…': 5,000 characters, over the limit "
        "of 200 (rejected)\n"
    ) in out.getvalue()
    assert "L" * 61 not in out.getvalue()


def test_the_command_refuses_one_name_merged_into_two_accounts(tmp_path) -> None:
    # given
    Account.objects.create(name="Acme Corporation")
    Account.objects.create(name="Acme Industries")
    path = written(tmp_path / "accounts.csv", "Account Name\nACME CORP\n")

    # when
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_files",
            str(path),
            "--yes",
            "--merge",
            "ACME CORP",
            "Acme Corporation",
            "--merge",
            "ACME CORP",
            "Acme Industries",
            stdout=io.StringIO(),
        )

    # then
    assert str(refused.value) == (
        "--merge 'ACME CORP' is given twice, as 'Acme Corporation' and as "
        "'Acme Industries'; name one account for it"
    )
    assert list(Account.objects.order_by("name").values_list("name", flat=True)) == [
        "Acme Corporation",
        "Acme Industries",
    ]


COMPANIES = "Record ID,Company name,Industry,Year Founded\n401,Map Co,Retail,1999\n"


def test_the_command_mapping_changes_only_the_columns_it_names(tmp_path) -> None:
    # given
    path = written(tmp_path / "map.csv", COMPANIES)
    out = io.StringIO()

    # when
    call_command(
        "import_files",
        str(path),
        "--yes",
        "--mapping",
        '{"map.csv": {"Industry": "account.country", "Year Founded": ""}}',
        stdout=out,
    )

    # then
    assert (
        "  Record ID    -> account.external_id\n"
        "  Company name -> account.name\n"
        "  Industry     -> account.country\n"
        "  Year Founded -> (not imported)\n"
    ) in out.getvalue()
    assert list(
        Account.objects.values_list(
            "external_id", "name", "country", "sector", "year_established"
        )
    ) == [("401", "Map Co", "Retail", "", None)]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            '{"map.csv": {"Industry": "account.sektor"}}',
            "the mapping cannot be used:\nmap.csv: 'Industry' maps to an unknown "
            "field account.sektor; the account fields are external_id, name, "
            "owner, sector, annual_revenue, annual_revenue_musd, employees, "
            "country, city, website, year_established, parent_external_id, "
            "parent_name, currency, extra",
        ),
        (
            '{"map.csv": {"Industry": "acount.sector"}}',
            "the mapping cannot be used:\nmap.csv: 'Industry' maps to "
            "acount.sector, and 'acount' is no kind of record; the kinds are "
            "account, person, opportunity, product, revenue, support, rate, "
            "user, sales_team",
        ),
        (
            '{"map.csv": {"Industri": "account.sector"}}',
            "--mapping names 'Industri', which map.csv does not have; its "
            "columns are 'Record ID', 'Company name', 'Industry', 'Year Founded'",
        ),
    ],
)
def test_the_command_mapping_names_what_it_could_have_said(
    tmp_path, mapping: str, message: str
) -> None:
    path = written(tmp_path / "map.csv", COMPANIES)

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_files", str(path), "--mapping", mapping, stdout=io.StringIO()
        )

    assert str(refused.value) == message
    assert not Account.objects.exists()


def euro_rate() -> None:
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate=Decimal("1.08"),
        rate_date=date(2026, 3, 31),
    )


def test_a_currency_answer_is_saved_with_the_mapping_for_the_next_file(
    tmp_path,
) -> None:
    # given: a file answered once
    euro_rate()
    first = written(
        tmp_path / "revenue.csv",
        "Account Name,Annual Revenue\nEuro Co,€1200.50\nBare Co,300\n",
    )
    call_command(
        "import_files",
        str(first),
        "--yes",
        "--answer",
        "revenue.csv:Annual Revenue|currency=EUR",
        stdout=io.StringIO(),
    )
    later = written(
        tmp_path / "revenue.csv",
        "Account Name,Annual Revenue\nEuro Co,€1300.50\nBare Co,400\n",
    )

    # when: next month's file comes with the same headers
    call_command("import_files", str(later), "--yes", stdout=io.StringIO())

    # then
    assert list(
        Account.objects.order_by("name").values_list(
            "name", "annual_revenue", "annual_revenue_currency"
        )
    ) == [
        ("Bare Co", Decimal("400.00"), "EUR"),
        ("Euro Co", Decimal("1300.50"), "EUR"),
    ]


def test_a_saved_currency_answer_is_said_and_can_be_cleared(tmp_path) -> None:
    # given
    euro_rate()
    path = written(
        tmp_path / "revenue.csv",
        "Account Name,Annual Revenue\nEuro Co,€1200.50\nBare Co,300\n",
    )
    call_command(
        "import_files",
        str(path),
        "--answer",
        "revenue.csv:Annual Revenue|currency=EUR",
        stdout=io.StringIO(),
    )
    out = io.StringIO()

    # when
    call_command("import_files", str(path), stdout=out)
    with pytest.raises(CommandError) as asked:
        call_command(
            "import_files",
            str(path),
            "--answer",
            "revenue.csv:Annual Revenue|currency=clear",
            stdout=io.StringIO(),
        )

    # then
    assert (
        "SAVED ANSWER revenue.csv: 'Annual Revenue' has amounts without a "
        "currency (e.g. '300' on line 3) beside amounts with one, EUR "
        "('€1200.50' on line 2): read in EUR, the answer saved with the mapping "
        "for these headers. Answer again to change it, or clear it to be asked. "
        "Change with --answer 'revenue.csv:Annual Revenue|currency=<EUR|USD|clear>'"
    ) in out.getvalue()
    assert str(asked.value).endswith("needs answers before it can be written")
    assert SavedMapping.objects.get().currency_answers == {}
    assert not Account.objects.exists()
