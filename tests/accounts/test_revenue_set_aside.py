"""Where invoices cover a quarter, its won deals count in no amount."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks
from rest_framework.test import APIClient

from accounts import revenue_replaced
from accounts.currency import account_revenue_rollup
from accounts.models import (
    Account,
    CurrencyRate,
    ImportJob,
    InvoicesWithoutRate,
    Opportunity,
    Product,
    RevenueLine,
)
from accounts.revenue_keys import won_key
from accounts.selectors import revenue_set_aside_note
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_undo,
)
from accounts.wizard_forewarn import mapped_import_forewarnings
from scoring.loading import scoring_frames_load
from scoring.models import AccountScore
from scoring.services import score_run_request
from tests.accounts.factories import AccountFactory
from tests.accounts.invoice_files import (
    ACME_Q3_ROW,
    ACME_Q4_RATELESS,
    ACME_Q4_WAITING,
    RATELESS_ROWS,
    erp_file,
    won_deals,
)
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db


def invoiced(account: Account, product: Product, day: date, amount: str) -> None:
    RevenueLine.objects.create(
        account=account,
        product=product,
        booked_on=day,
        quarter_start=date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
        amount=Decimal(amount),
        source=RevenueLine.Source.INVOICE,
        import_key=f"invoice:{account.pk}-{day.isoformat()}-{amount}:1",
    )


def won(account: Account, product: Product, quarter: date, amount: str) -> None:
    RevenueLine.objects.create(
        account=account,
        product=product,
        quarter_start=quarter,
        amount=Decimal(amount),
        source=RevenueLine.Source.PIPELINE,
        import_key=won_key(
            account_id=account.pk, product_id=product.pk, quarter=quarter
        ),
    )


@pytest.fixture
def both_sources(account: Account, catalogue: tuple[Product, ...]) -> Account:
    """Invoices and won deals for Q1 2026, won deals only for Q2."""
    pro, special, _ = catalogue
    invoiced(account, pro, date(2026, 1, 10), "1000.00")
    invoiced(account, pro, date(2026, 2, 3), "500.00")
    won(account, pro, date(2026, 1, 1), "1500.00")
    won(account, special, date(2026, 1, 1), "700.00")
    won(account, pro, date(2026, 4, 1), "800.00")
    return account


def test_the_counted_lines_leave_out_won_deals_invoices_cover(
    both_sources: Account,
) -> None:
    counted = RevenueLine.objects.counted().filter(account=both_sources)
    set_aside = RevenueLine.objects.set_aside().filter(account=both_sources)

    assert sorted(
        (line.quarter_start, line.source, line.amount) for line in counted
    ) == [
        (date(2026, 1, 1), "invoice", Decimal("500.00")),
        (date(2026, 1, 1), "invoice", Decimal("1000.00")),
        (date(2026, 4, 1), "pipeline", Decimal("800.00")),
    ]
    assert sorted(line.amount for line in set_aside) == [
        Decimal("700.00"),
        Decimal("1500.00"),
    ]


def test_the_account_page_counts_the_invoices_and_says_why(
    client, rep, both_sources: Account
) -> None:
    # given
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[both_sources.pk]))

    # then
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.revenue_by_quarter == [
        {"quarter": "2026-01-01", "product": "GTX Pro", "amount": 1500.0},
        {"quarter": "2026-04-01", "product": "GTX Pro", "amount": 800.0},
    ]
    note = (
        "Won deals of Q1 2026 are set aside: invoices cover that quarter, so "
        "their sales count once."
    )
    assert overview.revenue_set_aside_note == note
    assert note in response.content.decode()
    # A product named only by a set-aside won deal was still bought.
    assert [p.name for p in overview.products_bought] == ["GTX Pro", "MG Special"]
    assert [p.name for p in overview.products_not_bought] == ["MG Advanced"]


def test_the_account_page_says_nothing_when_nothing_is_set_aside(
    client, rep, account: Account, catalogue: tuple[Product, ...]
) -> None:
    won(account, catalogue[0], date(2026, 1, 1), "300.00")
    client.force_login(rep)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert response.context["overview"].revenue_set_aside_note == ""
    assert 'data-testid="revenue-set-aside"' not in response.content.decode()


def test_the_revenue_api_counts_each_sale_once(rep, both_sources: Account) -> None:
    api = APIClient()
    api.force_authenticate(user=rep)

    response = api.get(f"/api/accounts/{both_sources.pk}/revenue/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "product": "GTX Pro",
            "quarter_start": "2026-01-01",
            "amount": "1500.00",
            "currency": "USD",
            "lines": 2,
        },
        {
            "product": "GTX Pro",
            "quarter_start": "2026-04-01",
            "amount": "800.00",
            "currency": "USD",
            "lines": 1,
        },
    ]


def test_whitespace_still_counts_a_set_aside_product_as_bought(
    rep, both_sources: Account
) -> None:
    api = APIClient()
    api.force_authenticate(user=rep)

    body = api.get(f"/api/accounts/{both_sources.pk}/whitespace/").json()

    assert [row["name"] for row in body["bought"]] == ["GTX Pro", "MG Special"]
    assert [row["name"] for row in body["not_bought"]] == ["MG Advanced"]


def test_the_revenue_rollup_counts_each_sale_once(both_sources: Account) -> None:
    rollup = account_revenue_rollup(account=both_sources)

    assert rollup.total == Decimal("2300.00")


@pytest.mark.parametrize(
    ("quarters", "text"),
    [
        ([], ""),
        (
            [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)],
            "Won deals of Q4 2025, Q1 2026 and Q2 2026 are set aside: invoices "
            "cover those quarters, so their sales count once.",
        ),
    ],
)
def test_the_set_aside_note(quarters: list[date], text: str) -> None:
    assert revenue_set_aside_note(quarters=quarters) == text


def checked(path: Path) -> list[str]:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    outcome = mapped_import_check(mapped=mapped)

    assert outcome.problems == []
    assert outcome.questions == []
    return outcome.warnings


def test_the_check_says_which_won_deals_the_invoices_will_replace(
    acme_won: Account, tmp_path: Path
) -> None:
    # given
    path = erp_file(tmp_path, ACME_Q3_ROW)

    # when
    warnings = checked(path)

    # then
    assert warnings == [
        "Acme Corporation Q3 2017: invoices of 10.00 USD will replace 3 won deals "
        "(17,878.00 USD) counted now"
    ]
    # Nothing was written: the deals still count.
    assert account_revenue_rollup(account=acme_won).total == Decimal("24578.50")
    assert not RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE).exists()


def test_the_check_says_nothing_of_a_quarter_invoices_already_cover(
    acme_won: Account, catalogue: tuple[Product, ...], tmp_path: Path
) -> None:
    invoiced(acme_won, catalogue[0], date(2017, 7, 5), "900.00")
    path = erp_file(tmp_path, ACME_Q3_ROW)

    assert checked(path) == []


def test_the_check_names_a_few_quarters_and_totals_the_rest(
    catalogue: tuple[Product, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    monkeypatch.setattr(revenue_replaced, "REPLACED_SHOWN", 1)
    rows = []
    for name in ("Delta Freight", "Harbor Bank", "Kestrel Labs"):
        account = AccountFactory.create(name=name)
        won_deals(account, catalogue[0], (date(2017, 8, 1), "100.00"))
        rows.append(f"INV-{name[:3]};{name};15/08/2017;GTK 500;10,00;USD")
    won_deals(
        Account.objects.get(name="Kestrel Labs"),
        catalogue[1],
        (date(2017, 9, 1), "50.25"),
    )

    # when
    warnings = checked(erp_file(tmp_path, *rows))

    # then
    assert warnings == [
        "Delta Freight Q3 2017: invoices of 10.00 USD will replace 1 won deal "
        "(100.00 USD) counted now",
        "and 2 more account-quarters: invoices of 20.00 USD will replace 3 won "
        "deals (250.25 USD) counted now",
    ]


def test_the_summed_quarters_say_their_invoices_converted(
    catalogue: tuple[Product, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: two quarters replaced by euro invoices, one named, one summed
    monkeypatch.setattr(revenue_replaced, "REPLACED_SHOWN", 1)
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate_date=date(2017, 6, 30),
        rate=Decimal("1.1"),
    )
    rows = []
    for name in ("Delta Freight", "Harbor Bank"):
        account = AccountFactory.create(name=name)
        won_deals(account, catalogue[0], (date(2017, 8, 1), "100.00"))
        rows.append(f"INV-{name[:3]};{name};15/08/2017;GTK 500;1.000,00;EUR")

    # when
    warnings = checked(erp_file(tmp_path, *rows))

    # then
    assert warnings == [
        "Delta Freight Q3 2017: invoices of 1,000.00 EUR = 1,100.00 USD at "
        "1 EUR = 1.1 USD (rate of 30 Jun 2017) will replace 1 won deal "
        "(100.00 USD) counted now",
        "and 1 more account-quarter: invoices of 1,000.00 EUR = 1,100.00 USD "
        "at the rates of their quarters will replace 1 won deal (100.00 USD) "
        "counted now",
    ]


def test_the_summed_quarters_waiting_on_a_rate_say_their_invoices(
    catalogue: tuple[Product, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: two quarters whose yen invoices no rate converts
    monkeypatch.setattr(revenue_replaced, "REPLACED_SHOWN", 0)
    rows = []
    for name in ("Delta Freight", "Harbor Bank"):
        account = AccountFactory.create(name=name)
        won_deals(account, catalogue[0], (date(2017, 8, 1), "100.00"))
        rows.append(f"INV-{name[:3]};{name};15/08/2017;GTK 500;5000;JPY")

    # when
    warnings = checked(erp_file(tmp_path, *rows))

    # then
    assert warnings[0] == (
        "and 2 more account-quarters: 2 won deals (200.00 USD) still counted, "
        "not replaced by invoices of 10,000 JPY, no rate into USD: "
        f"{revenue_replaced.WAITING_REASON}"
    )


def test_the_import_lists_the_replaced_won_deals_in_its_row_report(
    acme_won: Account, tmp_path: Path
) -> None:
    # given
    path = erp_file(tmp_path, ACME_Q3_ROW)

    # when
    job = imported(path)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    report = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    assert [
        "(whole import)",
        "0",
        "revenue replaced",
        "",
        "Acme Corporation Q3 2017: invoices of 10.00 USD will replace 3 won deals "
        "(17,878.00 USD) counted now",
        "",
    ] in report
    assert account_revenue_rollup(account=acme_won).total == Decimal("6710.50")


def test_undoing_the_invoices_counts_the_won_deals_again(
    acme_won: Account, tmp_path: Path
) -> None:
    # given
    path = erp_file(tmp_path, ACME_Q3_ROW)
    job = imported(path)

    # when
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert account_revenue_rollup(account=acme_won).total == Decimal("24578.50")
    assert not RevenueLine.objects.set_aside().exists()


def test_the_check_warns_of_invoices_no_rate_converts(
    acme_won: Account, tmp_path: Path
) -> None:
    warnings = checked(erp_file(tmp_path, *RATELESS_ROWS))

    assert warnings == [ACME_Q4_WAITING, *ACME_Q4_RATELESS]


def test_the_check_says_nothing_of_a_rate_that_exists(
    acme_won: Account, tmp_path: Path
) -> None:
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate_date=date(2017, 9, 30),
        rate=Decimal("1.18"),
    )

    warnings = checked(erp_file(tmp_path, RATELESS_ROWS[0]))

    # The invoice's side is said too: its amount, what the rate makes of
    # it, which way the rate reads and its date.
    assert warnings == [
        "Acme Corporation Q4 2017: invoices of 10.00 EUR = 11.80 USD at "
        "1 EUR = 1.18 USD (rate of 30 Sep 2017) will replace 2 won deals "
        "(6,700.50 USD) counted now"
    ]


def test_invoices_without_a_rate_leave_the_won_deals_counted(
    client,
    rep,
    acme_won: Account,
    tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    imported(erp_file(tmp_path, *RATELESS_ROWS))
    client.force_login(rep)

    # when
    page = client.get(reverse("accounts:detail", args=[acme_won.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_request(trigger="manual")
    run.refresh_from_db()

    # then the page counts the won deals, leaves out both invoices, says why
    overview = page.context["overview"]
    assert overview.revenue_rollup.total == Decimal("24578.50")
    assert overview.revenue_rollup.notes() == [
        "20.00 CHF not included (1 line): no CHF rate on or before 1 Oct 2017",
        "10.00 EUR not included (1 line): no EUR rate on or before 1 Oct 2017",
    ]
    note = (
        "Q4 2017 lacks a rate for some invoices: the won deals of that quarter "
        "count until a rate that converts the invoices is stored."
    )
    assert overview.revenue_set_aside_note == note
    assert note in page.content.decode()
    # and the scoring run reads the same lines and says the same
    assert run.status == run.Status.SUCCEEDED
    assert run.summary["left_out_lines"] == {"CHF": 1, "EUR": 1}
    assert run.summary["revenue_set_aside"] == 0
    score = AccountScore.objects.get(run=run, account=acme_won)
    assert score.components["left_out"] == {"CHF": 1, "EUR": 1}
    assert score.ttm_revenue == Decimal("24578.50")


def test_invoices_told_to_replace_leave_totals_that_say_so(
    client,
    rep,
    acme_won: Account,
    tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    imported(
        erp_file(tmp_path, *RATELESS_ROWS),
        invoices_without_rate=InvoicesWithoutRate.REPLACE_DEALS,
    )
    client.force_login(rep)

    # when
    page = client.get(reverse("accounts:detail", args=[acme_won.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_request(trigger="manual")
    run.refresh_from_db()

    # then the page leaves out both invoices and the deals, and says why
    overview = page.context["overview"]
    assert overview.revenue_rollup.total == Decimal("17878.00")
    note = (
        "Won deals of Q4 2017 are set aside: invoices cover that quarter, so "
        "their sales count once. Q4 2017 lacks a rate for some of those "
        "invoices: the total leaves them out, and counts the won deals they "
        "replace in no amount, until a rate is stored."
    )
    assert overview.revenue_set_aside_note == note
    assert note in page.content.decode()
    # and the scoring run reads the same lines and says the same
    assert run.status == run.Status.SUCCEEDED
    assert run.summary["left_out_lines"] == {"CHF": 1, "EUR": 1}
    assert run.summary["revenue_set_aside"] == 1
    score = AccountScore.objects.get(run=run, account=acme_won)
    assert score.ttm_revenue == Decimal("17878.00")


@pytest.mark.parametrize(
    ("choice", "rows", "set_aside"),
    [
        (
            InvoicesWithoutRate.KEEP_DEALS,
            [
                (date(2017, 7, 1), 17878.0, "USD"),
                (date(2017, 10, 1), 10.0, "EUR"),
                (date(2017, 10, 1), 20.0, "CHF"),
                (date(2017, 10, 1), 6700.5, "USD"),
            ],
            0,
        ),
        (
            InvoicesWithoutRate.REPLACE_DEALS,
            [
                (date(2017, 7, 1), 17878.0, "USD"),
                (date(2017, 10, 1), 10.0, "EUR"),
                (date(2017, 10, 1), 20.0, "CHF"),
            ],
            1,
        ),
    ],
)
def test_the_scoring_frame_counts_the_rateless_quarter_as_the_page_does(
    acme_won: Account,
    tmp_path: Path,
    choice: str,
    rows: list[tuple[date, float, str]],
    set_aside: int,
) -> None:
    imported(erp_file(tmp_path, *RATELESS_ROWS), invoices_without_rate=choice)

    frames = scoring_frames_load()

    read = frames.revenue.assign(currency=frames.revenue["currency"].astype(str))
    assert sorted(
        (row["quarter_start"].date(), row["amount"], row["currency"])
        for row in read.to_dict("records")
    ) == sorted(rows)
    assert frames.revenue_set_aside == set_aside


def test_the_revenue_api_lists_the_rateless_invoices_in_their_currency(
    rep, acme_won: Account, tmp_path: Path
) -> None:
    imported(erp_file(tmp_path, *RATELESS_ROWS))
    api = APIClient()
    api.force_authenticate(user=rep)

    response = api.get(f"/api/accounts/{acme_won.pk}/revenue/")

    assert [
        (row["quarter_start"], row["amount"], row["currency"])
        for row in response.json()["results"]
    ] == [
        ("2017-07-01", "17878.00", "USD"),
        ("2017-10-01", "20.00", "CHF"),
        ("2017-10-01", "10.00", "EUR"),
        ("2017-10-01", "6700.50", "USD"),
    ]


def test_a_large_upload_forecasts_the_same_warnings(
    acme_won: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: an upload too large to check with a dry run
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    path = erp_file(
        tmp_path,
        "INV-2017-9;ACME CORPORATION;15/08/2017;GTK 500;10,00;USD",
        *RATELESS_ROWS,
        "INV-2017-13;Nobody Known;15/08/2017;GTK 500;5,00;EUR",
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    warnings = mapped_import_forewarnings(mapped=mapped)

    # then
    assert warnings == [
        "Acme Corporation Q3 2017: invoices of 10.00 USD will replace 3 won deals "
        "(17,878.00 USD) counted now",
        ACME_Q4_WAITING,
        *ACME_Q4_RATELESS,
    ]


def test_the_check_page_shows_the_won_deals_the_invoices_replace(
    client, ops, acme_won: Account, tmp_path: Path
) -> None:
    # given
    path = erp_file(tmp_path, ACME_Q3_ROW)
    mapped = mapped_import_create_from_paths(user=ops, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    client.force_login(ops)

    # when
    page = client.get(reverse("accounts:wizard_check", args=[mapped.job_id]))

    # then
    assert page.status_code == 200
    assert page.context["warnings"] == [
        "Acme Corporation Q3 2017: invoices of 10.00 USD will replace 3 won deals "
        "(17,878.00 USD) counted now"
    ]
    assert (
        "<li>Acme Corporation Q3 2017: invoices of 10.00 USD will replace 3 won deals "
        "(17,878.00 USD) counted now</li>"
    ) in page.content.decode()


def test_the_command_line_warns_before_it_writes(
    acme_won: Account, tmp_path: Path, settings
) -> None:
    # given
    settings.MEDIA_ROOT = tmp_path / "media"
    path = erp_file(tmp_path, ACME_Q3_ROW)
    out = io.StringIO()

    # when
    call_command("import_files", str(path), "--yes", stdout=out)

    # then
    assert (
        "WARNING Acme Corporation Q3 2017: invoices of 10.00 USD will replace "
        "3 won deals (17,878.00 USD) counted now\n"
    ) in out.getvalue()
    assert account_revenue_rollup(account=acme_won).total == Decimal("6710.50")


NORTHWIND_INVOICES = (
    "INV-2026-1;Northwind Traders;14/01/2026;GTX Pro;1200,00;USD",
    "INV-2026-2;Northwind Traders;23/03/2026;GTX Pro;800,00;USD",
)
# The tester's Data Loader extract, with no product column: two deals won
# in Q1 2026, and one in Q4 2025, which no invoice covers.
DATA_LOADER_DEALS = (
    "ID,NAME,ACCOUNT.NAME,STAGENAME,AMOUNT,CLOSEDATE,ISWON,ISCLOSED\n"
    "006NW1,Northwind renewal,Northwind Traders,Closed Won,25000,2026-02-14,"
    "true,true\n"
    "006NW2,Northwind add-on,Northwind Traders,Closed Won,1500.50,2026-03-20,"
    "true,true\n"
    "006NW3,Northwind upsell,Northwind Traders,Closed Won,4000,2025-11-06,"
    "true,true\n"
)
NORTHWIND_UNCOUNTED = (
    "Northwind Traders Q1 2026: 2 won deals (26,500.50 USD) will not count: "
    "invoices cover the quarter"
)


@pytest.fixture
def northwind_invoiced(
    rep, catalogue: tuple[Product, ...], tmp_path: Path, settings
) -> tuple[Account, Path]:
    """Northwind's Q1 2026 invoices imported; the deals file beside them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    northwind = AccountFactory.create(name="Northwind Traders")
    northwind.team_members.add(rep)
    assert imported(erp_file(tmp_path, *NORTHWIND_INVOICES)).status == (
        ImportJob.Status.SUCCEEDED
    )
    deals = tmp_path / "opportunities.csv"
    deals.write_text(DATA_LOADER_DEALS)
    return northwind, deals


def test_the_check_says_won_deals_of_an_invoiced_quarter_will_not_count(
    northwind_invoiced: tuple[Account, Path],
) -> None:
    # given
    northwind, deals = northwind_invoiced

    # when
    warnings = checked(deals)

    # then: the Q4 2025 deal counts, so only Q1 2026 is named
    assert warnings == [NORTHWIND_UNCOUNTED]
    assert not Opportunity.objects.exists()


def test_the_page_the_api_and_the_command_line_say_so_too(
    client, ops, northwind_invoiced: tuple[Account, Path]
) -> None:
    # given
    northwind, deals = northwind_invoiced
    mapped = mapped_import_create_from_paths(user=ops, paths=[deals])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    client.force_login(ops)
    api = APIClient()
    api.force_authenticate(ops)
    out = io.StringIO()

    # when
    page = client.get(reverse("accounts:wizard_check", args=[mapped.job_id]))
    answer = api.get(f"/api/accounts/imports/{mapped.job_id}/check/")
    call_command("import_files", str(deals), "--yes", stdout=out)

    # then
    assert page.context["warnings"] == [NORTHWIND_UNCOUNTED]
    assert f"<li>{NORTHWIND_UNCOUNTED}</li>" in page.content.decode()
    assert answer.json()["warnings"] == [NORTHWIND_UNCOUNTED]
    assert f"WARNING {NORTHWIND_UNCOUNTED}\n" in out.getvalue()


def test_the_row_report_names_the_won_deals_that_do_not_count(
    rep, northwind_invoiced: tuple[Account, Path]
) -> None:
    # given
    northwind, deals = northwind_invoiced

    # when
    job = imported(deals)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    report = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    assert [row for row in report if row[:1] == ["(whole import)"]] == [
        ["(whole import)", "0", "revenue replaced", "", NORTHWIND_UNCOUNTED, ""]
    ]
    api = APIClient()
    api.force_authenticate(rep)
    revenue = api.get(f"/api/accounts/{northwind.pk}/revenue/").json()["results"]
    assert [
        (row["product"], row["quarter_start"], row["amount"]) for row in revenue
    ] == [
        ("Unspecified", "2025-10-01", "4000.00"),
        ("GTX Pro", "2026-01-01", "2000.00"),
    ]
    assert list(RevenueLine.objects.set_aside().values_list("amount", flat=True)) == [
        Decimal("26500.50")
    ]


def test_importing_the_same_deals_again_warns_of_nothing(
    northwind_invoiced: tuple[Account, Path],
) -> None:
    # given
    northwind, deals = northwind_invoiced
    imported(deals)

    # when
    warnings = checked(deals)

    # then
    assert warnings == []


def test_a_large_deals_upload_forecasts_the_same_warning(
    northwind_invoiced: tuple[Account, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: an upload too large to check with a dry run
    northwind, deals = northwind_invoiced
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    mapped = mapped_import_create_from_paths(user=None, paths=[deals])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    warnings = mapped_import_forewarnings(mapped=mapped)

    # then
    assert warnings == [NORTHWIND_UNCOUNTED]


def test_the_won_revenue_header_counts_what_the_chart_and_the_api_count(
    client, rep, account: Account, catalogue: tuple[Product, ...]
) -> None:
    # given: won deals in Q3 and Q4 2017, and an invoice covering Q3 only
    pro = catalogue[0]
    won_deals(
        account,
        pro,
        (date(2017, 7, 3), "1000.00"),
        (date(2017, 8, 9), "2000.00"),
        (date(2017, 11, 20), "400.00"),
    )
    invoiced(account, pro, date(2017, 8, 1), "1100.00")
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then: the Q3 deals are set aside in the header as in the counted lines
    overview = response.context["overview"]
    counted = sum(
        line.amount for line in RevenueLine.objects.counted().filter(account=account)
    )
    assert (overview.won_revenue, overview.won_deals) == (Decimal("400.00"), 1)
    assert overview.won_deals_set_aside == 2
    assert sum(row["amount"] for row in overview.revenue_by_quarter) == float(counted)
    assert counted == Decimal("1500.00")
    header = response.content.decode()
    assert (
        '<dd data-testid="won-revenue">400.00 USD <span class="muted" '
        'data-testid="won-deals">(1 deal; 2 more set aside: invoices count in '
        "their place)</span>"
    ) in header
