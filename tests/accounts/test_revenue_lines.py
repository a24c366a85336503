"""ERP extracts add up: each invoice line is kept once, under its own key."""

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from accounts.models import ImportJob, RevenueLine
from accounts.wizard import (
    mapped_import_check,
    mapped_import_start,
    mapped_import_undo,
)
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


@pytest.fixture
def brightwater(rep):
    account = AccountFactory.create(name="Brightwater Foods")
    account.team_members.add(rep)
    return account


def imported(capture, *paths: Path) -> ImportJob:
    mapped = opened(*paths)
    with capture(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    return mapped.job


def counts(created=0, updated=0, unchanged=0, rejected=0) -> dict[str, int]:
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": rejected,
    }


def lines() -> list[tuple]:
    return list(
        RevenueLine.objects.order_by("booked_on", "pk").values_list(
            "booked_on", "quarter_start", "amount", "currency", "source"
        )
    )


def stored() -> list[tuple]:
    return list(
        RevenueLine.objects.order_by("pk").values_list(
            "pk",
            "import_key",
            "account_id",
            "product_id",
            "booked_on",
            "quarter_start",
            "amount",
            "currency",
            "source",
        )
    )


def quarter_sums() -> dict[date, Decimal]:
    return dict(
        RevenueLine.objects.values("quarter_start")
        .annotate(total=Sum("amount"))
        .order_by("quarter_start")
        .values_list("quarter_start", "total")
    )


def test_a_january_extract_after_a_first_quarter_one_adds_only_its_new_line(
    django_capture_on_commit_callbacks, brightwater
) -> None:
    # given the January to March extract
    first = imported(django_capture_on_commit_callbacks, WIZARD / "erp_q1.csv")
    assert first.counts["Revenue lines"] == counts(created=4)
    assert quarter_sums() == {date(2026, 1, 1): Decimal("2650.00")}

    # when the January extract arrives, with one invoice posted late
    january = imported(django_capture_on_commit_callbacks, WIZARD / "erp_january.csv")

    # then February and March stay, the two equal lines are not counted
    # twice, and the late one is added
    assert january.counts["Revenue lines"] == counts(created=1, unchanged=2)
    assert quarter_sums() == {date(2026, 1, 1): Decimal("2700.00")}
    assert lines() == [
        (date(2026, 1, 5), date(2026, 1, 1), Decimal("1000.00"), "USD", "invoice"),
        (date(2026, 1, 5), date(2026, 1, 1), Decimal("1000.00"), "USD", "invoice"),
        (date(2026, 1, 28), date(2026, 1, 1), Decimal("50.00"), "USD", "invoice"),
        (date(2026, 2, 10), date(2026, 1, 1), Decimal("250.00"), "USD", "invoice"),
        (date(2026, 3, 15), date(2026, 1, 1), Decimal("400.00"), "USD", "invoice"),
    ]


def test_the_same_extract_under_another_name_changes_nothing(
    django_capture_on_commit_callbacks, brightwater, tmp_path
) -> None:
    # given
    imported(django_capture_on_commit_callbacks, WIZARD / "erp_q1.csv")
    before = stored()
    renamed = tmp_path / "revenue export (1).csv"
    shutil.copy(WIZARD / "erp_q1.csv", renamed)

    # when
    again = imported(django_capture_on_commit_callbacks, renamed)

    # then
    assert again.counts["Revenue lines"] == counts(unchanged=4)
    assert stored() == before


def test_an_amended_invoice_updates_its_line_by_number(
    django_capture_on_commit_callbacks, brightwater
) -> None:
    # given
    imported(django_capture_on_commit_callbacks, WIZARD / "erp_invoices.csv")
    keys = list(RevenueLine.objects.order_by("pk").values_list("import_key", flat=True))
    assert keys == ["invoice:00017:1", "invoice:00018:1"]

    # when invoice 00018 comes again, re-dated and for 300 instead of 250
    amended = imported(
        django_capture_on_commit_callbacks, WIZARD / "erp_invoices_amended.csv"
    )

    # then its line is updated, not added
    assert amended.counts["Revenue lines"] == counts(updated=1, unchanged=1)
    assert lines() == [
        (date(2026, 1, 5), date(2026, 1, 1), Decimal("1000.00"), "USD", "invoice"),
        (date(2026, 2, 12), date(2026, 1, 1), Decimal("300.00"), "USD", "invoice"),
    ]
    assert quarter_sums() == {date(2026, 1, 1): Decimal("1300.00")}


def test_an_invoice_with_its_lines_in_another_order_is_unchanged(
    django_capture_on_commit_callbacks, brightwater
) -> None:
    # given
    imported(django_capture_on_commit_callbacks, WIZARD / "erp_invoice_lines.csv")
    before = stored()

    # when the same invoice comes again with its lines in another order
    again = imported(
        django_capture_on_commit_callbacks, WIZARD / "erp_invoice_lines_reordered.csv"
    )

    # then each line is found by its values, not its place
    assert again.counts["Revenue lines"] == counts(unchanged=3)
    assert stored() == before
    assert [key for _, key, *_ in before] == [
        "invoice:00021:1",
        "invoice:00021:2",
        "invoice:00021:3",
    ]


def test_the_check_maps_the_invoice_number_and_says_how_lines_are_kept() -> None:
    mapped = opened(WIZARD / "erp_invoices.csv")

    outcome = mapped_import_check(mapped=mapped)

    assert mapped.mapping["erp_invoices.csv"]["Invoice No"] == [
        "revenue",
        "invoice_number",
    ]
    assert (
        "erp_invoices.csv",
        "",
        "each line is kept by its invoice number, or without one by its values: "
        "an extract read again, or overlapping an earlier one, adds no line twice",
    ) in outcome.decisions


def test_undoing_an_amendment_or_an_overlapping_extract_restores_the_lines(
    django_capture_on_commit_callbacks, brightwater
) -> None:
    # given
    imported(django_capture_on_commit_callbacks, WIZARD / "erp_invoices.csv")
    before_amendment = stored()
    amended = imported(
        django_capture_on_commit_callbacks, WIZARD / "erp_invoices_amended.csv"
    )
    assert stored() != before_amendment

    # when / then the amended line is back as it was
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=amended.mapped, user=None)
    assert stored() == before_amendment

    # given an extract overlapping the first
    before_overlap = stored()
    overlap = imported(django_capture_on_commit_callbacks, WIZARD / "erp_q1.csv")
    assert overlap.counts["Revenue lines"] == counts(created=4)

    # when / then only its own lines go
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=overlap.mapped, user=None)
    assert stored() == before_overlap


def test_the_revenue_api_sums_the_lines_of_each_quarter(
    django_capture_on_commit_callbacks, brightwater, rep
) -> None:
    imported(django_capture_on_commit_callbacks, WIZARD / "erp_q1.csv")
    client = APIClient()
    client.force_authenticate(user=rep)

    response = client.get(f"/api/accounts/{brightwater.pk}/revenue/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "product": "GTX Pro",
            "quarter_start": "2026-01-01",
            "amount": "2650.00",
            "currency": "USD",
            "lines": 4,
        }
    ]


def test_revenue_without_a_product_is_never_whitespace(
    django_capture_on_commit_callbacks, brightwater, rep
) -> None:
    # given a catalogue of one product and an invoice that names none
    ProductFactory.create(name="MG Special", list_price=Decimal("1200.00"))

    # when
    imported(django_capture_on_commit_callbacks, WIZARD / "erp_no_product.csv")

    # then the line is filed under a placeholder, which is in no list
    line = RevenueLine.objects.select_related("product").get()
    assert (line.product.name, line.product.is_placeholder, line.amount) == (
        "Unspecified",
        True,
        Decimal("700.00"),
    )
    api = APIClient()
    api.force_authenticate(user=rep)
    body = api.get(f"/api/accounts/{brightwater.pk}/whitespace/").json()
    assert [row["name"] for row in body["bought"]] == []
    assert [row["name"] for row in body["not_bought"]] == ["MG Special"]


def test_lines_adding_to_a_quarter_stored_as_one_sum_are_reported(
    django_capture_on_commit_callbacks, brightwater
) -> None:
    # given a quarter's sum stored before lines were kept one by one
    pro = ProductFactory.create(name="GTX Pro")
    RevenueLine.objects.create(
        account=brightwater,
        product=pro,
        quarter_start=date(2026, 1, 1),
        amount=Decimal("1500.00"),
        import_key=f"quarter:{brightwater.pk}:{pro.pk}:2026-01-01",
    )

    # when
    job = imported(django_capture_on_commit_callbacks, WIZARD / "erp_q1.csv")

    # then the lines are added, and the report says to what
    assert job.counts["Revenue lines"] == counts(created=4)
    assert quarter_sums() == {date(2026, 1, 1): Decimal("4150.00")}
    assert [issue for issue in job.issues if issue["action"] == "kept"] == [
        {
            "file": "erp_q1.csv",
            "line": 2,
            "column": "Net Amount",
            "value": "1500.00 USD",
            "reason": "'Brightwater Foods' already has 1,500.00 USD of GTX Pro "
            "revenue in the quarter from 2026-01-01, stored as one sum before "
            "lines were kept one by one; this file's lines add to it, so if they "
            "are the same sales, undo the import that stored the sum first",
            "action": "kept",
        }
    ]


@pytest.mark.parametrize(
    "header",
    ["Invoice", "Invoice No", "Invoice Number", "Document No", "InvoiceId"],
)
def test_common_invoice_number_headers_are_recognised(tmp_path, header) -> None:
    path = tmp_path / "erp.csv"
    path.write_text(
        f"{header},Customer,Invoice Date,Net Amount\n"
        "INV-1,Brightwater Foods,2026-01-05,100.00\n"
    )

    mapped = opened(path)

    assert mapped.mapping["erp.csv"][header] == ["revenue", "invoice_number"]


def test_won_deals_adding_to_a_quarter_stored_as_one_sum_are_reported(
    django_capture_on_commit_callbacks, brightwater
) -> None:
    # given a quarter's sum stored before lines were kept one by one
    special = ProductFactory.create(name="MG Special")
    RevenueLine.objects.create(
        account=brightwater,
        product=special,
        quarter_start=date(2026, 1, 1),
        amount=Decimal("15500.00"),
        import_key=f"quarter:{brightwater.pk}:{special.pk}:2026-01-01",
    )
    AccountFactory.create(name="Nordlicht Maschinenbau GmbH")

    # when
    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "opportunities_semicolon.csv"
    )

    # then the won deals' sum is written beside it, and the report says so
    assert list(
        RevenueLine.objects.filter(account=brightwater)
        .order_by("pk")
        .values_list("import_key", "amount", "source")
    ) == [
        (
            f"quarter:{brightwater.pk}:{special.pk}:2026-01-01",
            Decimal("15500.00"),
            "invoice",
        ),
        (
            f"won:{brightwater.pk}:{special.pk}:2026-01-01",
            Decimal("15500.00"),
            "pipeline",
        ),
    ]
    assert [issue for issue in job.issues if issue["action"] == "kept"] == [
        {
            "file": "opportunities_semicolon.csv",
            "line": 4,
            "column": "Amount",
            "value": "15500.00 USD",
            "reason": "'Brightwater Foods' already has 15,500.00 USD of MG Special "
            "revenue in the quarter from 2026-01-01, stored as one sum before "
            "lines were kept one by one; this file's lines add to it, so if they "
            "are the same sales, undo the import that stored the sum first",
            "action": "kept",
        }
    ]
