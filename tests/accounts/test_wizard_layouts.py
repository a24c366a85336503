from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import ImportJob, Opportunity
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
)
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.accounts.wizard_runs import imported
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def proposed(path: Path) -> tuple[str, dict[str, tuple[str, str]]]:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    (preview,) = mapped_import_files_read(mapped=mapped)
    return preview.kind, preview.mapping


def test_an_invoice_extract_with_an_account_name_is_read_as_revenue() -> None:
    assert proposed(WIZARD / "erp_account_name.csv") == (
        "erp revenue",
        {
            "Invoice Number": ("revenue", "invoice_number"),
            "Invoice Date": ("revenue", "date"),
            "Account Name": ("revenue", "account_name"),
            "Product": ("revenue", "product"),
            "Amount": ("revenue", "amount"),
            "Currency": ("revenue", "currency"),
        },
    )


def test_a_support_export_with_an_account_name_is_read_as_support() -> None:
    assert proposed(WIZARD / "support_account_name.csv") == (
        "support desk",
        {
            "Account Name": ("support", "account_name"),
            "Period": ("support", "period"),
            "Tickets": ("support", "tickets"),
            "CSAT": ("support", "satisfaction"),
            "NPS": ("support", "nps"),
        },
    )


def test_the_check_warns_of_columns_with_data_left_out() -> None:
    AccountFactory.create(name="Brightwater Foods")

    outcome = mapped_import_check(mapped=opened(WIZARD / "accounts_extra_columns.csv"))

    assert outcome.warnings == [
        "accounts_extra_columns.csv: 2 of 3 columns are not imported: Region, Notes"
    ]


def test_a_pipeline_with_titled_headers_maps_its_account_name() -> None:
    assert proposed(WIZARD / "pipeline_titled_headers.csv") == (
        "bundled pipeline",
        {
            "Opportunity ID": ("opportunity", "external_id"),
            "Account Name": ("opportunity", "account_name"),
            "Product": ("opportunity", "product"),
            "Deal Stage": ("opportunity", "stage"),
            "Close Date": ("opportunity", "close_date"),
            "Close Value": ("opportunity", "amount"),
        },
    )


def test_a_titled_pipeline_keeps_its_deals_on_the_named_accounts() -> None:
    # given
    acme = AccountFactory.create(name="Acme Corporation")
    betasoloin = AccountFactory.create(name="Betasoloin")
    ProductFactory.create(name="GTX Pro")
    ProductFactory.create(name="MG Special")

    # when
    job = imported(WIZARD / "pipeline_titled_headers.csv")

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    assert list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id",
            "account_id",
            "product__name",
            "stage",
            "closed_on",
            "close_value",
        )
    ) == [
        ("PW-0001", acme.pk, "GTX Pro", "won", date(2026, 3, 31), Decimal("4821")),
        ("PW-0002", betasoloin.pk, "MG Special", "engaging", None, None),
    ]
