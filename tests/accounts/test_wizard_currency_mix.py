"""A money column mixing amounts with a currency and bare amounts."""

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.management.commands.import_files import Command as ImportFilesCommand
from accounts.models import CurrencyRate, ImportJob, RevenueLine
from accounts.wizard import (
    WizardError,
    mapped_import_answer,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
MIXED = WIZARD / "erp_currency_mixed.csv"
WITH_COLUMN = WIZARD / "erp_currency_column_mixed.csv"
QUESTION = (
    "'Net Amount' has amounts with a currency, EUR ('€1.200,50' on line 2), "
    "GBP ('£40,00' on line 4), and amounts without one (e.g. '300' on line 3), "
    "and no currency column; which currency are the amounts without one in?"
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    AccountFactory.create(name="Brightwater Foods")


def lines() -> list[tuple[Decimal, str]]:
    ordered = RevenueLine.objects.order_by("booked_on")
    return list(ordered.values_list("amount", "currency"))


def test_bare_amounts_beside_signed_ones_are_asked_about() -> None:
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[MIXED])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert [
        (file, q.column, q.message, q.options) for file, q in outcome.questions
    ] == [
        (
            "erp_currency_mixed.csv",
            "Net Amount|currency",
            QUESTION,
            ["EUR", "GBP", "USD"],
        )
    ]
    assert not outcome.can_write


def test_the_answer_reads_bare_amounts_in_its_currency_and_says_so() -> None:
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[MIXED])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_answer(
        mapped=mapped,
        file="erp_currency_mixed.csv",
        column="Net Amount|currency",
        option="eur",
    )

    # when
    outcome = mapped_import_check(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert (
        "erp_currency_mixed.csv",
        "Net Amount",
        "amounts without a currency (e.g. '300' on line 3) are read in EUR, as "
        "answered; amounts with one keep it: EUR ('€1.200,50' on line 2), GBP "
        "('£40,00' on line 4)",
    ) in outcome.decisions
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert lines() == [
        (Decimal("1200.50"), "EUR"),
        (Decimal("300.00"), "EUR"),
        (Decimal("40.00"), "GBP"),
    ]


def test_a_currency_column_decides_and_the_check_says_how() -> None:
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[WITH_COLUMN])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert outcome.questions == []
    assert (
        "erp_currency_column_mixed.csv",
        "Net Amount",
        "amounts without a currency (e.g. '300' on line 3) are read in the "
        "currency 'Currency' names on their row, or in USD where it is blank; "
        "amounts with one keep it: EUR ('€1.200,50' on line 2)",
    ) in outcome.decisions
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert lines() == [
        (Decimal("1200.50"), "EUR"),
        (Decimal("300.00"), "SEK"),
        (Decimal("75.00"), "USD"),
    ]


def test_an_answer_that_is_no_currency_code_is_refused() -> None:
    mapped = mapped_import_create_from_paths(user=None, paths=[MIXED])

    with pytest.raises(WizardError) as refused:
        mapped_import_answer(
            mapped=mapped,
            file="erp_currency_mixed.csv",
            column="Net Amount|currency",
            option="euro",
        )

    assert str(refused.value) == "'EURO' is not an answer to this question"


def test_the_command_line_asks_and_takes_the_answer() -> None:
    # given
    asked = StringIO()
    answered = StringIO()

    # when
    with pytest.raises(CommandError) as refused:
        call_command("import_files", str(MIXED), "--yes", stdout=asked)
    call_command(
        "import_files",
        str(MIXED),
        "--yes",
        "--answer",
        "erp_currency_mixed.csv:Net Amount|currency=GBP",
        stdout=answered,
    )

    # then
    job = ImportJob.objects.order_by("pk").first()
    assert job is not None
    assert str(refused.value) == (
        f"import {job.pk} ended rejected: erp_currency_mixed.csv: {QUESTION} Answer "
        "with --answer 'erp_currency_mixed.csv:Net Amount|currency=<EUR|GBP|USD>'"
    )
    assert lines() == [
        (Decimal("1200.50"), "EUR"),
        (Decimal("300.00"), "GBP"),
        (Decimal("40.00"), "GBP"),
    ]


def test_the_command_line_takes_the_currency_answer_without_its_suffix() -> None:
    out = StringIO()

    call_command(
        "import_files",
        str(MIXED),
        "--yes",
        "--answer",
        "erp_currency_mixed.csv:Net Amount=gbp",
        stdout=out,
    )

    assert lines() == [
        (Decimal("1200.50"), "EUR"),
        (Decimal("300.00"), "GBP"),
        (Decimal("40.00"), "GBP"),
    ]


def test_the_command_line_help_shows_the_currency_answer() -> None:
    parser = ImportFilesCommand().create_parser("manage.py", "import_files")

    text = " ".join(parser.format_help().split())

    assert (
        "accounts.csv:Annual Revenue=EUR (the currency of amounts without one; "
        "also accepted as ...:Annual Revenue|currency=EUR)"
    ) in text


def test_the_question_offers_every_currency_with_a_stored_rate() -> None:
    # given
    CurrencyRate.objects.create(
        currency="CHF", rate=Decimal("1.1"), rate_date=date(2026, 1, 1)
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[MIXED])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert [q.options for _, q in outcome.questions] == [["CHF", "EUR", "GBP", "USD"]]


def test_bare_amounts_without_a_currency_column_are_said_to_be_usd(
    tmp_path,
) -> None:
    # given
    path = tmp_path / "deals.csv"
    path.write_text(
        "Opportunity Name,Account Name,Close Date,Amount\n"
        "Big deal,Acme Corporation,2026-03-31,600\n"
    )
    AccountFactory(name="Acme Corporation")
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)
    out = StringIO()
    call_command("import_files", str(path), stdout=out)

    # then
    decision = (
        "amounts name no currency (e.g. '600' on line 2) and the file has no "
        "currency column: read in USD, the reporting currency"
    )
    assert ("deals.csv", "Amount", decision) in outcome.decisions
    assert f"DECIDED deals.csv: Amount: {decision}\n" in out.getvalue()
