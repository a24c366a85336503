"""The command line checks and asks as the check page does.

--merge-proposed shows the rows it merges as the write will write them, and
--yes stops at a warning the page makes the user tick unless
--accept-warnings is given; the API's start asks the same.
"""

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import (
    Account,
    AccountAlias,
    CurrencyRate,
    ImportJob,
    MappedImport,
    RevenueLine,
    User,
)
from tests.accounts.factories import AccountFactory, ProductFactory

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
# Two invoices of one new customer, spelt two ways in one file.
ERP_MERGE = WIZARD / "erp_merge_one_file.csv"
# A Windows-1252 ERP extract billing two of three accounts in Q2 2026.
ERP_WINDOW = WIZARD / "erp_window_cp1252.csv"
MOVE_WARNING = (
    "This import moves the scoring window from Q2 2024\u2013Q1 2025 to "
    "Q3 2025\u2013Q2 2026: 1 account with revenue would have none in the new "
    "window and score as if they bought nothing. The import keeps the "
    "window unless you choose to move it."
)
FORECAST_WARNING = (
    MOVE_WARNING.replace("1 account with", "3 accounts with")
    + " (Counted from the revenue stored now: this upload's own lines may give "
    "some of them revenue in the new window.)"
)
REFUSED = (
    f"Not started: {MOVE_WARNING} Run again with --accept-warnings to import anyway."
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_files", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def billed_early_2025() -> list[Account]:
    """Three accounts billed in Q1 2025, two of which the file bills later."""
    product = ProductFactory.create(name="GTX Pro")
    accounts = [
        AccountFactory.create(name=name)
        for name in [
            "Brauerei F\u00e4\u00dfler GmbH",
            "\u00d8resund Logistik AB",
            "Zeroes & Co",
        ]
    ]
    for account in accounts:
        RevenueLine.objects.create(
            account=account,
            product=product,
            quarter_start=date(2025, 1, 1),
            amount=Decimal(100),
        )
    CurrencyRate.objects.create(
        currency="CHF",
        reporting_currency="USD",
        rate_date=date(2026, 3, 31),
        rate=Decimal("1.10"),
    )
    return accounts


def revenue_stored() -> list[tuple[str, date, Decimal, str]]:
    return sorted(
        RevenueLine.objects.values_list(
            "account__name", "quarter_start", "amount", "currency"
        )
    )


BEFORE = [
    ("Brauerei F\u00e4\u00dfler GmbH", date(2025, 1, 1), Decimal("100.00"), "USD"),
    ("Zeroes & Co", date(2025, 1, 1), Decimal("100.00"), "USD"),
    ("\u00d8resund Logistik AB", date(2025, 1, 1), Decimal("100.00"), "USD"),
]


AFTER = sorted(
    [
        *BEFORE,
        ("Brauerei F\u00e4\u00dfler GmbH", date(2026, 4, 1), Decimal("1234.50"), "CHF"),
        ("\u00d8resund Logistik AB", date(2026, 4, 1), Decimal("500.00"), "CHF"),
    ]
)


def test_merge_proposed_checks_the_rows_it_merges_as_the_write_writes_them() -> None:
    # given: the customer is stored as "Zeroes & Co"; the file spells it
    # that way once and as "Zeroes and Co." once
    AccountFactory.create(name="Zeroes & Co")
    CurrencyRate.objects.create(
        currency="CHF",
        reporting_currency="USD",
        rate_date=date(2025, 3, 31),
        rate=Decimal("1.10"),
    )

    # when
    checked = run(str(ERP_MERGE), "--merge-proposed")
    assert not RevenueLine.objects.exists()
    written = run(str(ERP_MERGE), "--merge-proposed", "--yes")

    # then: the check counts the merged row as created, as the write does
    counts = (
        "records        created  updated  unchanged  rejected\n"
        "Revenue lines        2        0          0         0\n"
        "Products             1        0          0         0\n"
    )
    for output in (checked, written):
        assert (
            "DUPLICATE? 'Zeroes and Co.' is 'Zeroes & Co': same name once case, "
            "spacing, punctuation and legal form are ignored ('zeroes and') "
            "(1 row of revenue lines). Accepted by --merge-proposed\n"
        ) in output
        assert counts in output
        assert "rejected)" not in output
    assert list(AccountAlias.objects.values_list("name", "account__name")) == [
        ("Zeroes and Co.", "Zeroes & Co")
    ]
    assert revenue_stored() == [
        ("Zeroes & Co", date(2025, 4, 1), Decimal("50.00"), "CHF"),
        ("Zeroes & Co", date(2025, 4, 1), Decimal("100.00"), "CHF"),
    ]


def test_yes_stops_at_a_warning_the_page_makes_the_user_tick(billed_early_2025) -> None:
    # when
    with pytest.raises(CommandError) as refused:
        run(str(ERP_WINDOW), "--yes", "--window", "move")

    # then
    assert str(refused.value) == REFUSED
    assert revenue_stored() == BEFORE
    mapped = MappedImport.objects.get()
    assert mapped.confirmed_at is None
    assert mapped.job.status == ImportJob.Status.PENDING


def test_the_check_says_which_flags_write_past_the_warning(billed_early_2025) -> None:
    output = run(str(ERP_WINDOW), "--window", "move")

    assert f"WARNING {MOVE_WARNING}\n" in output
    assert (
        "WINDOW Keep scoring the twelve months to 31 Mar 2025 (the window "
        "stays): choose with --window keep\n"
        "WINDOW Move the window to 30 Jun 2026 (1 account would have no revenue "
        "in it): chosen with --window move\n"
    ) in output
    job = ImportJob.objects.get()
    assert output.endswith(
        f"Checked import {job.pk}: nothing written. Run again with --yes "
        "--accept-warnings to write it.\n"
    )
    assert revenue_stored() == BEFORE


def test_merge_proposed_with_yes_stops_at_the_warning_too(billed_early_2025) -> None:
    with pytest.raises(CommandError) as refused:
        run(str(ERP_WINDOW), "--yes", "--merge-proposed", "--window", "move")

    assert str(refused.value) == REFUSED
    assert revenue_stored() == BEFORE


def test_accept_warnings_writes_past_the_warning(billed_early_2025) -> None:
    # when
    output = run(str(ERP_WINDOW), "--yes", "--accept-warnings", "--window", "move")

    # then
    assert f"WARNING {MOVE_WARNING}\n" in output
    assert output.endswith(f"Import {ImportJob.objects.get().pk}: Succeeded\n")
    assert revenue_stored() == AFTER


def test_a_large_upload_stops_at_the_forecast_warning(
    billed_early_2025, monkeypatch
) -> None:
    # given: too large to check while the user waits, so forecast
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)

    # when
    with pytest.raises(CommandError) as refused:
        run(str(ERP_WINDOW), "--yes", "--window", "move")

    # then
    assert str(refused.value) == (
        f"Not started: {FORECAST_WARNING} Run again with --accept-warnings to "
        "import anyway."
    )
    assert revenue_stored() == BEFORE


def test_help_lists_accept_warnings(capsys) -> None:
    with pytest.raises(SystemExit):
        call_command("import_files", "--help")

    shown = " ".join(capsys.readouterr().out.split())
    assert (
        "--accept-warnings with --yes, write past the warnings the check page "
        "asks to confirm (such as a scoring window move that leaves accounts "
        "without revenue); without it such a warning stops the import"
    ) in shown


def test_the_api_start_asks_the_same_confirmation(
    billed_early_2025, ops: User, django_capture_on_commit_callbacks
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    job = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(ERP_WINDOW.name, ERP_WINDOW.read_bytes())]},
        format="multipart",
    ).json()
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    refused = api.post(url + "start/", {"window": "move"}, format="json")

    # then
    assert refused.status_code == 400
    assert refused.json() == {
        "confirm_warnings": [
            f"Not started: {MOVE_WARNING} Send confirm_warnings: true to import anyway."
        ]
    }
    assert revenue_stored() == BEFORE

    # when
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            url + "start/", {"window": "move", "confirm_warnings": True}, format="json"
        )

    # then
    assert started.status_code == 202
    assert revenue_stored() == AFTER
