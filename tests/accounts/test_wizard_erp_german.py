"""An ERP invoice extract with German headers imports with no manual mapping."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import ImportJob, RevenueLine
from accounts.wizard import mapped_import_check
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported
from tests.accounts.wizard_steps import opened

GERMAN = Path(__file__).parent / "fixtures" / "wizard" / "erp_german.csv"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def test_german_headers_are_read_as_an_invoice_extract() -> None:
    mapped = opened(GERMAN)

    outcome = mapped_import_check(mapped=mapped)

    assert mapped.mapping["erp_german.csv"] == {
        "Rechnungsnummer": ["revenue", "invoice_number"],
        "Rechnungsdatum": ["revenue", "date"],
        "Kundennummer": ["revenue", "account_external_id"],
        "Kunde": ["revenue", "account_name"],
        "Artikel": ["revenue", "product"],
        "Nettobetrag": ["revenue", "amount"],
        "Währung": ["revenue", "currency"],
    }
    assert outcome.questions == []
    assert outcome.problems == []


def test_a_german_extract_imports_with_decimal_commas_and_day_first_dates() -> None:
    # given
    AccountFactory.create(name="Nordlicht Maschinenbau GmbH", external_id="010042")
    AccountFactory.create(name="Brauerei Falkenstein AG", external_id="010077")

    # when
    job = imported(GERMAN)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert job.counts["Revenue lines"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    lines = RevenueLine.objects.order_by("booked_on").values_list(
        "account__external_id",
        "product__name",
        "booked_on",
        "quarter_start",
        "amount",
        "currency",
        "import_key",
    )
    assert list(lines) == [
        (
            "010042",
            "GTX Pro",
            date(2026, 1, 13),
            date(2026, 1, 1),
            Decimal("1250.50"),
            "EUR",
            "invoice:R-2026-0101:1",
        ),
        (
            "010042",
            "GTX Plus",
            date(2026, 2, 3),
            date(2026, 1, 1),
            Decimal("480.00"),
            "EUR",
            "invoice:R-2026-0102:1",
        ),
        (
            "010077",
            "GTX Pro",
            date(2026, 2, 28),
            date(2026, 1, 1),
            Decimal("2100.75"),
            "EUR",
            "invoice:R-2026-0103:1",
        ),
    ]
