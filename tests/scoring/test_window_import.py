"""An import that would move the scoring window says so before it writes."""

import html
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import CurrencyRate, RevenueLine
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from scoring.models import ScoreRun
from scoring.selectors import revenue_last_date, scoring_window_forecast
from scoring.services import scoring_model_active
from tests.accounts.factories import AccountFactory, ProductFactory

ERP_REVENUE = Path(__file__).parents[1] / "accounts/fixtures/wizard/erp_revenue.csv"
MOVE_WARNING = (
    "This import moves the scoring window from Q2 2024\u2013Q1 2025 to "
    "Q3 2025\u2013Q2 2026: 1 account with revenue would have none in the new "
    "window and score as if they bought nothing. The import keeps the "
    "window unless you choose to move it."
)


def erp_upload_confirmed(api: APIClient) -> tuple[dict, str]:
    """Upload the ERP revenue file by API and confirm its mapping."""
    job = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("erp.csv", ERP_REVENUE.read_bytes())]},
        format="multipart",
    ).json()
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)
    return job, url


@pytest.fixture
def billed_early_2025(settings, tmp_path) -> list:
    """Three accounts billed in Q1 2025; the ERP file bills two in Q2 2026."""
    settings.MEDIA_ROOT = tmp_path / "media"
    product = ProductFactory.create(name="GTX Pro")
    accounts = [
        AccountFactory.create(name=name)
        for name in ["Nordlicht Maschinenbau GmbH", "Brightwater Foods", "Harbor"]
    ]
    for account in accounts:
        RevenueLine.objects.create(
            account=account,
            product=product,
            quarter_start=date(2025, 1, 1),
            amount=Decimal(100),
        )
    # The file bills in EUR: with a rate, the check has no missing one to
    # warn of, only the window.
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate_date=date(2026, 3, 31),
        rate=Decimal("1.08"),
    )
    return accounts


@pytest.mark.django_db
def test_the_check_warns_an_import_would_move_the_window(billed_early_2025):
    # given
    mapped = mapped_import_create_from_paths(user=None, paths=[ERP_REVENUE])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then the warning names both windows and the account left idle, and
    # nothing was written
    assert outcome.can_write
    assert outcome.warnings == [MOVE_WARNING]
    assert RevenueLine.objects.count() == 3


@pytest.mark.django_db
def test_a_fixed_window_gets_no_warning(billed_early_2025):
    # given
    model = scoring_model_active()
    model.score_as_of = date(2025, 3, 31)
    model.save()
    mapped = mapped_import_create_from_paths(user=None, paths=[ERP_REVENUE])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert outcome.can_write
    assert outcome.warnings == []


@pytest.mark.django_db
def test_the_page_the_api_and_the_command_line_show_the_warning(
    billed_early_2025, client, ops
):
    # given an upload whose mapping is confirmed
    api = APIClient()
    api.force_authenticate(ops)
    job, url = erp_upload_confirmed(api)
    client.force_login(ops)

    # when
    check = api.get(url + "check/").json()
    page = client.get(reverse("accounts:wizard_check", args=[job["id"]]))
    output = StringIO()
    call_command("import_files", str(ERP_REVENUE), stdout=output)

    # then
    assert check["warnings"] == [MOVE_WARNING]
    assert MOVE_WARNING in html.unescape(page.content.decode())
    assert f"WARNING {MOVE_WARNING}\n" in output.getvalue()
    assert RevenueLine.objects.count() == 3


@pytest.mark.django_db
def test_the_page_starts_a_window_move_only_once_it_is_confirmed(
    billed_early_2025, client, ops, django_capture_on_commit_callbacks
):
    # given
    mapped = mapped_import_create_from_paths(user=ops, paths=[ERP_REVENUE])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])
    page = client.get(url)

    # when
    refused = client.post(url, {"window": "move"})

    # then
    assert page.context["outcome"].confirmations == []
    assert page.context["outcome"].window_warning.text == MOVE_WARNING
    assert b'name="confirm_warnings"' in page.content
    assert refused.status_code == 400
    assert refused.context["refused"] == [
        f"Not started: {MOVE_WARNING} Tick \u201cI have read the warnings "
        "above\u201d to import anyway."
    ]
    mapped.refresh_from_db()
    assert mapped.confirmed_at is None
    assert RevenueLine.objects.count() == 3

    # when
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url, {"window": "move", "confirm_warnings": "on"})

    # then
    assert started.status_code == 302
    assert RevenueLine.objects.count() == 6


@pytest.mark.django_db
def test_the_api_starts_a_window_move_only_once_it_is_confirmed(
    billed_early_2025, ops, django_capture_on_commit_callbacks
):
    # given
    api = APIClient()
    api.force_authenticate(ops)
    job, url = erp_upload_confirmed(api)

    # when
    refused = api.post(url + "start/", {"window": "move"}, format="json")

    # then
    assert refused.status_code == 400
    assert refused.json() == {
        "confirm_warnings": [
            f"Not started: {MOVE_WARNING} Send confirm_warnings: true to import anyway."
        ]
    }
    assert RevenueLine.objects.count() == 3

    # when
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            url + "start/", {"window": "move", "confirm_warnings": True}, format="json"
        )

    # then
    assert started.status_code == 202
    assert RevenueLine.objects.count() == 6


@pytest.mark.django_db
def test_a_fixed_window_needs_no_confirmation(billed_early_2025):
    model = scoring_model_active()
    model.score_as_of = date(2025, 3, 31)
    model.save()
    mapped = mapped_import_create_from_paths(user=None, paths=[ERP_REVENUE])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    assert mapped_import_check(mapped=mapped).confirmations == []
    assert mapped_import_check(mapped=mapped).window_warning is None


FORECAST_WARNING = (
    MOVE_WARNING + " (Counted from the revenue stored now: this upload's own "
    "lines may give some of them revenue in the new window.)"
)
# Two of the three accounts get Q2 2026 revenue from the file: one is left.
FORECAST_WARNING = FORECAST_WARNING.replace("1 account with", "3 accounts with")


@pytest.mark.django_db
def test_the_command_line_with_yes_warns_before_it_writes(billed_early_2025):
    # given
    output = StringIO()

    # when
    call_command(
        "import_files", str(ERP_REVENUE), "--yes", "--accept-warnings", stdout=output
    )

    # then: the dry run's warning, as the page and the API give it for the
    # same file, before the counts the write prints
    text = output.getvalue()
    assert f"WARNING {MOVE_WARNING}\n" in text
    assert text.index("WARNING") < text.index("\nrecords ") < text.index("Import ")
    assert RevenueLine.objects.count() == 6


@pytest.mark.django_db
def test_a_large_upload_shows_the_forecast_and_starts_once_confirmed(
    billed_early_2025, client, ops, monkeypatch, django_capture_on_commit_callbacks
):
    # given: every upload is checked in the background
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    api = APIClient()
    api.force_authenticate(ops)
    job, url = erp_upload_confirmed(api)
    client.force_login(ops)

    # when
    check = api.get(url + "check/")
    page = client.get(reverse("accounts:wizard_check", args=[job["id"]]))

    # then
    assert check.status_code == 202
    assert check.json()["warnings"] == [FORECAST_WARNING]
    shown = html.unescape(page.content.decode())
    assert "A large upload" in shown
    assert FORECAST_WARNING in shown
    assert shown.index(FORECAST_WARNING) < shown.index("Import in the background")
    assert RevenueLine.objects.count() == 3

    # when: started without confirming, on the page and by the API
    refused_page = client.post(
        reverse("accounts:wizard_check", args=[job["id"]]), {"window": "move"}
    )
    refused_api = api.post(url + "start/", {"window": "move"}, format="json")

    # then
    assert refused_page.status_code == 400
    assert refused_page.context["refused"] == [
        f"Not started: {FORECAST_WARNING} Tick \u201cI have read the warnings "
        "above\u201d to import anyway."
    ]
    assert refused_api.json() == {
        "confirm_warnings": [
            f"Not started: {FORECAST_WARNING} Send confirm_warnings: true to "
            "import anyway."
        ]
    }
    assert RevenueLine.objects.count() == 3
    assert b'name="confirm_warnings"' in page.content

    # when: confirmed
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            url + "start/", {"window": "move", "confirm_warnings": True}, format="json"
        )

    # then
    assert started.status_code == 202
    assert RevenueLine.objects.count() == 6


@pytest.mark.django_db
def test_the_forecast_names_unimported_columns_and_no_move_for_old_revenue(
    billed_early_2025, tmp_path
):
    # given: revenue within the current window, and a column left out
    path = tmp_path / "erp_old.csv"
    path.write_text(
        "Customer,Invoice Date,Net Amount,Notes\nHarbor,2024-11-02,10.00,late\n"
    )
    output = StringIO()

    # when
    call_command("import_files", str(path), "--yes", stdout=output)

    # then
    assert output.getvalue().splitlines()[:1] + [
        line for line in output.getvalue().splitlines() if "WARNING" in line
    ] == [
        output.getvalue().splitlines()[0],
        "WARNING erp_old.csv: 1 of 4 columns is not imported: Notes",
    ]
    assert RevenueLine.objects.count() == 4


@pytest.mark.django_db
def test_a_line_dated_after_today_does_not_move_the_stored_window(
    billed_early_2025,
) -> None:
    RevenueLine.objects.create(
        account=billed_early_2025[0],
        product=ProductFactory.create(name="GTX Pro"),
        quarter_start=date(2099, 10, 1),
        amount=Decimal(100),
    )

    assert revenue_last_date() == date(2025, 3, 31)


@pytest.fixture
def billed_in_2017(settings, tmp_path) -> Path:
    """Twenty accounts billed each quarter of 2017, and an upload whose
    latest lines are one account's in Q1 2026 and one dated after today."""
    settings.MEDIA_ROOT = tmp_path / "media"
    product = ProductFactory.create(name="GTX Pro")
    accounts = [AccountFactory.create(name=f"Account {n:02d}") for n in range(20)]
    RevenueLine.objects.bulk_create(
        RevenueLine(
            account=account,
            product=product,
            quarter_start=date(2017, month, 1),
            amount=Decimal(100),
        )
        for account in accounts
        for month in (1, 4, 7, 10)
    )
    path = tmp_path / "erp_thin.csv"
    path.write_text(
        "Customer,Invoice Date,Product,Net Amount,Currency\n"
        "Account 01,2017-11-02,GTX Pro,10.00,USD\n"
        "Account 02,2026-02-10,GTX Pro,10.00,USD\n"
        "Account 03,2099-01-15,GTX Pro,10.00,USD\n"
    )
    return path


THIN_MOVE_WARNING = (
    "This import moves the scoring window from Q1 2017\u2013Q4 2017 to "
    "Q2 2025\u2013Q1 2026: {idle} accounts with revenue would have none in the "
    "new window and score as if they bought nothing. The import keeps the "
    "window unless you choose to move it."
)
FORECAST_NOTE = (
    " (Counted from the revenue stored now: this upload's own lines may give "
    "some of them revenue in the new window.)"
)


@pytest.mark.django_db
def test_later_revenue_of_one_account_moves_the_window_everywhere(
    billed_in_2017, client, ops, monkeypatch, django_capture_on_commit_callbacks
):
    # given: the window a score run would use now
    assert revenue_last_date() == date(2017, 12, 31)
    api = APIClient()
    api.force_authenticate(ops)
    client.force_login(ops)
    mapped = mapped_import_create_from_paths(user=ops, paths=[billed_in_2017])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    url = f"/api/accounts/imports/{mapped.job_id}/check/"
    page_url = reverse("accounts:wizard_check", args=[mapped.job_id])

    # when: checked by a dry run, then forecast as a large upload, then
    # imported from the command line
    checked = [
        mapped_import_check(mapped=mapped).warnings,
        api.get(url).json()["warnings"],
    ]
    page = client.get(page_url)
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    forecast = api.get(url)
    large_page = client.get(page_url)
    monkeypatch.undo()
    output = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_files",
            str(billed_in_2017),
            "--yes",
            "--accept-warnings",
            "--window",
            "move",
            stdout=output,
        )

    # then: each says the window moves to the quarter one account reaches
    # (the line dated after today moves nothing), and the score run after
    # the import ends its window there
    moved = THIN_MOVE_WARNING.format(idle=19)
    assert checked == [[moved], [moved]]
    assert page.context["outcome"].warnings == [moved]
    assert forecast.status_code == 202
    assert forecast.json()["warnings"] == [
        THIN_MOVE_WARNING.format(idle=20) + FORECAST_NOTE
    ]
    assert large_page.context["warnings"] == [
        THIN_MOVE_WARNING.format(idle=20) + FORECAST_NOTE
    ]
    assert f"WARNING {moved}\n" in output.getvalue()
    assert f"Import {mapped.job_id + 1}: Succeeded" in output.getvalue()
    run = ScoreRun.objects.latest("pk")
    assert run.trigger == "import"
    assert run.as_of == date(2026, 3, 31)
    assert run.message == (
        "19 accounts have no revenue in the window Q2 2025\u2013Q1 2026"
    )
    assert revenue_last_date() == date(2026, 3, 31)


@pytest.mark.django_db
def test_a_forecast_moves_the_window_for_any_past_quarter(billed_in_2017):
    # given: stored, twenty accounts a quarter in 2017
    later = {date(2026, 1, 1): 1}
    future = {date(2099, 1, 1): 20}

    # when
    later_warnings = scoring_window_forecast(later)
    future_warnings = scoring_window_forecast(future)

    # then
    assert [warning.text for warning in later_warnings] == [
        THIN_MOVE_WARNING.format(idle=20) + FORECAST_NOTE
    ]
    assert future_warnings == []
