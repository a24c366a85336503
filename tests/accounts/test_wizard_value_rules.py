"""Deal stages, amounts and rates the import takes only as the deal page does."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from accounts.models import CurrencyRate, ImportJob, Opportunity
from accounts.numbers import AMOUNT_BELOW_ZERO, RATE_NOT_ABOVE_ZERO
from accounts.wizard import REJECTED, mapped_import_check, mapped_import_start
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def unknown(name: str) -> str:
    return (
        f'stage "{name}" is not known; use a Salesforce, HubSpot or bundled '
        "data set stage (such as Prospecting, Negotiation/Review, Closed Won "
        "or Closed Lost), or add a Won or Closed column"
    )


def refusals(outcome) -> list[tuple[int, str, str, str]]:
    return [
        (issue.line, issue.column, issue.value, issue.reason)
        for issue in outcome.issues
        if issue.action == REJECTED
    ]


def imported(path: Path, django_capture_on_commit_callbacks) -> ImportJob:
    mapped = opened(path)
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True)
    mapped.job.refresh_from_db()
    return mapped.job


def stages() -> dict[str, str]:
    return dict(Opportunity.objects.values_list("external_id", "stage"))


def test_an_unknown_stage_is_refused_with_its_row_and_reason() -> None:
    AccountFactory.create(name="Acme Corporation")

    outcome = mapped_import_check(mapped=opened(WIZARD / "deal_stages.csv"))

    assert refusals(outcome) == [
        (2, "Stage", "Not Won", unknown("Not Won")),
        (3, "Stage", "Lost (was Won)", unknown("Lost (was Won)")),
        (4, "Stage", "Won't buy", unknown("Won't buy")),
        (5, "Stage", "Closed - No Decision", unknown("Closed - No Decision")),
        (6, "Stage", "Closed", unknown("Closed")),
        (7, "Stage", "Banana", unknown("Banana")),
        (
            8,
            "Stage",
            "",
            "the deal has no stage; give it one such as Prospecting, Closed Won "
            "or Closed Lost",
        ),
        (9, "Stage", "Verbal Win", unknown("Verbal Win")),
        (10, "Stage", "Gewonnen", unknown("Gewonnen")),
    ]


def test_known_stages_are_read_by_their_whole_name(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")

    job = imported(WIZARD / "deal_stages.csv", django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stages() == {
        "S-10": "won",
        "S-11": "lost",
        "S-12": "engaging",
        "S-13": "prospecting",
        "S-14": "engaging",
    }


def test_won_and_closed_columns_decide_before_the_stage_name(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")

    job = imported(WIZARD / "deal_stage_flags.csv", django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stages() == {
        "F-1": "won",
        "F-2": "lost",
        "F-3": "engaging",
        "F-4": "prospecting",
    }
    assert [
        (i["line"], i["reason"]) for i in job.issues if i["action"] == REJECTED
    ] == [(6, unknown("Not Won"))]


def test_a_deal_amount_below_zero_is_refused_in_the_deal_pages_words(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")
    path = WIZARD / "deal_amounts_below_zero.csv"

    outcome = mapped_import_check(mapped=opened(path))
    job = imported(path, django_capture_on_commit_callbacks)

    assert refusals(outcome) == [
        (2, "Amount", "-1500", AMOUNT_BELOW_ZERO),
        (3, "Amount", "-1", AMOUNT_BELOW_ZERO),
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert dict(Opportunity.objects.values_list("external_id", "close_value")) == {
        "N-3": Decimal("0.00"),
        "N-4": Decimal("1500.00"),
    }


def test_a_rate_not_above_zero_is_refused(django_capture_on_commit_callbacks) -> None:
    path = WIZARD / "rates_not_above_zero.csv"

    outcome = mapped_import_check(mapped=opened(path))
    job = imported(path, django_capture_on_commit_callbacks)

    assert refusals(outcome) == [
        (3, "Rate", "0", RATE_NOT_ABOVE_ZERO),
        (4, "Rate", "-5", RATE_NOT_ABOVE_ZERO),
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(CurrencyRate.objects.values_list("currency", "rate")) == [
        ("EUR", Decimal("1.1000000000"))
    ]


def test_a_rate_of_zero_is_refused_by_the_rate_itself() -> None:
    rate = CurrencyRate(currency="GBP", rate=Decimal(0), rate_date="2017-01-01")

    with pytest.raises(ValidationError) as refused:
        rate.full_clean()

    assert refused.value.message_dict == {"rate": [RATE_NOT_ABOVE_ZERO]}


def test_plain_product_and_currency_headers_are_read(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")

    job = imported(
        WIZARD / "deals_plain_headers.csv", django_capture_on_commit_callbacks
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(
        Opportunity.objects.values_list(
            "external_id", "product__name", "currency", "close_value", "stage"
        )
    ) == [("D-1", "GTX Pro", "EUR", Decimal("1000.00"), "won")]
