"""Salesforce "Opportunities with Products": one row per product line."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import ImportJob, Opportunity, RevenueLine
from accounts.recognise import headers_recognise
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory

FILE = Path(__file__).parent / "fixtures" / "wizard" / "sf_opportunity_products.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory.create(name="Rheinwerk AG")
    AccountFactory.create(name="Harbor Bank")


def imported() -> ImportJob:
    mapped = mapped_import_create_from_paths(user=None, paths=[FILE])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return mapped_import_run(mapped=mapped)


def deals() -> list[tuple]:
    return list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id", "account__name", "product__name", "stage", "close_value"
        )
    )


def revenue() -> list[tuple]:
    return list(
        RevenueLine.objects.order_by("account__name", "product__name").values_list(
            "account__name", "product__name", "quarter_start", "amount", "currency"
        )
    )


def test_the_report_is_recognised_with_its_product_line_columns() -> None:
    headers = FILE.read_text().splitlines()[0].split(",")

    recognition = headers_recognise(headers=headers)

    assert recognition.kind == "salesforce-report opportunity products"
    assert recognition.mapping == {
        "Opportunity ID": ("opportunity", "external_id"),
        "Opportunity Name": ("opportunity", "name"),
        "Account Name": ("opportunity", "account_name"),
        "Product Name": ("opportunity", "product"),
        "Quantity": ("opportunity", "quantity"),
        "Sales Price": ("opportunity", "unit_price"),
        "Total Price": ("opportunity", "line_total"),
        "Close Date": ("opportunity", "close_date"),
        "Stage": ("opportunity", "stage"),
        "Won": ("opportunity", "is_won"),
    }


def test_the_check_says_how_product_lines_are_kept() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[FILE])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    outcome = mapped_import_check(mapped=mapped)

    assert outcome.can_write
    assert outcome.rejected_rows == 0
    assert (
        "sf_opportunity_products.csv",
        "",
        "each row is one product line of a CRM deal, kept as a deal of its "
        "own under that deal's ID, the product and its place among that "
        "product's lines; won lines add revenue per product, open ones are "
        "open deals, and a re-import changes nothing",
    ) in outcome.decisions


def test_won_lines_become_revenue_per_product_and_open_ones_open_deals() -> None:
    # when
    job = imported()

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert deals() == [
        (
            "0065g00000OPP001:GTX Basic:1",
            "Rheinwerk AG",
            "GTX Basic",
            "won",
            Decimal("5500.00"),
        ),
        (
            "0065g00000OPP001:GTX Pro:1",
            "Rheinwerk AG",
            "GTX Pro",
            "won",
            Decimal("9642.00"),
        ),
        (
            "0065g00000OPP001:GTX Pro:2",
            "Rheinwerk AG",
            "GTX Pro",
            "won",
            Decimal("4000.00"),
        ),
        (
            "0065g00000OPP002:MG Special:1",
            "Rheinwerk AG",
            "MG Special",
            "engaging",
            Decimal("165.00"),
        ),
        (
            "0065g00000OPP003:GTX Basic:1",
            "Harbor Bank",
            "GTX Basic",
            "won",
            Decimal("825.00"),
        ),
    ]
    assert revenue() == [
        ("Harbor Bank", "GTX Basic", date(2026, 1, 1), Decimal("825.00"), "USD"),
        ("Rheinwerk AG", "GTX Basic", date(2026, 1, 1), Decimal("5500.00"), "USD"),
        ("Rheinwerk AG", "GTX Pro", date(2026, 1, 1), Decimal("13642.00"), "USD"),
    ]
    assert job.counts["Deals"] == {
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }


def test_reimporting_the_report_changes_nothing() -> None:
    # given
    imported()
    before = (deals(), revenue())

    # when
    again = imported()

    # then
    assert (deals(), revenue()) == before
    assert again.counts["Deals"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 5,
        "rejected": 0,
    }
    assert again.counts["Revenue lines"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 0,
    }


def test_a_line_without_a_total_is_priced_to_the_cent_and_says_so(tmp_path) -> None:
    # given
    path = tmp_path / "lines.csv"
    path.write_text(
        "Opportunity ID,Opportunity Name,Account Name,Product Name,Quantity,"
        "Sales Price,Close Date,Stage,Won\n"
        "0065g00000OPP009,Harbor Add-on,Harbor Bank,GTX Basic,1.5,19.99,"
        "2026-03-15,Closed Won,1\n"
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert [
        (i["line"], i["column"], i["value"], i["reason"], i["action"])
        for i in job.issues
    ] == [
        (
            2,
            "Quantity",
            "1.5 × 19.99",
            "quantity × sales price is 29.985, kept to the cent as 29.99",
            "repaired",
        )
    ]
    assert deals() == [
        (
            "0065g00000OPP009:GTX Basic:1",
            "Harbor Bank",
            "GTX Basic",
            "won",
            Decimal("29.99"),
        )
    ]
