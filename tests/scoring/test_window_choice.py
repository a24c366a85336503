"""An import that would move the scoring window keeps it unless asked to.

The ERP file bills two of three accounts in Q2 2026; stored, all three
were billed in Q1 2025, so the window ends on 31 Mar 2025 and the file
would end it on 30 Jun 2026, leaving one account without revenue in it.
"""

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

from accounts.import_checks import WindowMove
from accounts.models import CurrencyRate, ImportJob, MappedImport, RevenueLine
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_undo,
)
from accounts.wizard_forewarn import WINDOW_MOVE_REFUSED, mapped_import_start_review
from scoring.models import ScoreRun
from scoring.services import scoring_model_active, scoring_window_import_keep
from tests.accounts.factories import AccountFactory, ProductFactory

ERP_REVENUE = Path(__file__).parents[1] / "accounts/fixtures/wizard/erp_revenue.csv"
KEEP = "Keep scoring the twelve months to 31 Mar 2025 (the window stays)"
MOVE = "Move the window to 30 Jun 2026 (1 account would have no revenue in it)"
KEPT_SAID = (
    "Scoring window kept: the twelve months to 31 Mar 2025 (this import's "
    "revenue reaches 30 Jun 2026)."
)
MOVED_SAID = (
    "Scoring window moved: from the twelve months to 31 Mar 2025 to the "
    "twelve months to 30 Jun 2026."
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed_early_2025(settings, tmp_path) -> None:
    """Three accounts billed in Q1 2025; the ERP file bills two in Q2 2026."""
    settings.MEDIA_ROOT = tmp_path / "media"
    product = ProductFactory.create(name="GTX Pro")
    for name in ["Nordlicht Maschinenbau GmbH", "Brightwater Foods", "Harbor"]:
        RevenueLine.objects.create(
            account=AccountFactory.create(name=name),
            product=product,
            quarter_start=date(2025, 1, 1),
            amount=Decimal(100),
        )
    CurrencyRate.objects.create(
        currency="EUR",
        reporting_currency="USD",
        rate_date=date(2026, 3, 31),
        rate=Decimal("1.08"),
    )


@pytest.fixture
def api(ops) -> APIClient:
    client = APIClient()
    client.force_authenticate(ops)
    return client


def uploaded(api: APIClient) -> str:
    """Upload the ERP file by API, confirm its mapping; return the job's URL."""
    job = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile("erp.csv", ERP_REVENUE.read_bytes())]},
        format="multipart",
    ).json()
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)
    return url


def test_the_check_offers_to_keep_the_window_first(billed_early_2025, api, client, ops):
    # given
    url = uploaded(api)
    job_id = MappedImport.objects.get().job_id
    client.force_login(ops)

    # when
    check = api.get(url + "check/").json()
    page = client.get(reverse("accounts:wizard_check", args=[job_id]))
    output = StringIO()
    call_command("import_files", str(ERP_REVENUE), stdout=output)

    # then
    assert check["window_move"] == {
        "before": "2025-03-31",
        "after": "2026-06-30",
        "idle_accounts": 1,
        "keep": KEEP,
        "move": MOVE,
    }
    assert page.context["window_move"] == WindowMove(
        before=date(2025, 3, 31), after=date(2026, 6, 30), idle_accounts=1
    )
    shown = html.unescape(page.content.decode())
    assert f'value="keep" checked> {KEEP}</label>' in shown
    assert f'value="move"> {MOVE}</label>' in shown
    assert (
        f"WINDOW {KEEP}: chosen with --window keep\n"
        f"WINDOW {MOVE}: choose with --window move\n"
    ) in output.getvalue()
    assert output.getvalue().endswith("Run again with --yes to write it.\n")


def test_keeping_pins_the_window_before_the_score_run(
    billed_early_2025, api, client, ops, django_capture_on_commit_callbacks
):
    # given
    url = uploaded(api)
    job_id = MappedImport.objects.get().job_id
    client.force_login(ops)

    # when: started as the page starts it, with no choice and no tick
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("accounts:wizard_check", args=[job_id]), {})

    # then
    assert started.status_code == 302
    job = ImportJob.objects.get(pk=job_id)
    assert (job.window, job.window_before, job.window_after) == (
        "keep",
        date(2025, 3, 31),
        date(2026, 6, 30),
    )
    assert RevenueLine.objects.count() == 6
    assert scoring_model_active().score_as_of == date(2025, 3, 31)
    run = ScoreRun.objects.latest("pk")
    assert (run.trigger, run.import_job_id, run.as_of) == (
        "import",
        job_id,
        date(2025, 3, 31),
    )
    assert run.message == ""
    report = client.get(reverse("accounts:wizard_report", args=[job_id]))
    assert KEPT_SAID in html.unescape(report.content.decode())
    detail = api.get(url).json()
    assert {key: detail[key] for key in detail if key.startswith("window")} == {
        "window": "keep",
        "window_before": "2025-03-31",
        "window_after": "2026-06-30",
        "window_label": KEPT_SAID,
    }


def test_undo_lets_the_model_follow_the_revenue_again(
    billed_early_2025, api, ops, django_capture_on_commit_callbacks
):
    # given: imported, keeping the window
    url = uploaded(api)
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(url + "start/", {}, format="json").status_code == 202
    mapped = MappedImport.objects.get()
    assert scoring_model_active().score_as_of == date(2025, 3, 31)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=mapped, user=ops)

    # then: the model follows the latest quarter again, and the job still
    # says what the import chose
    assert scoring_model_active().score_as_of is None
    assert RevenueLine.objects.count() == 3
    run = ScoreRun.objects.latest("pk")
    assert run.as_of == date(2025, 3, 31)
    assert api.get(url).json()["window_label"] == KEPT_SAID


def test_undo_keeps_a_date_set_by_hand_since(
    billed_early_2025, api, ops, django_capture_on_commit_callbacks
):
    # given: imported, keeping the window, then pinned elsewhere by hand
    url = uploaded(api)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(url + "start/", {}, format="json")
    model = scoring_model_active()
    model.score_as_of = date(2025, 12, 31)
    model.save()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=MappedImport.objects.get(), user=ops)

    # then
    assert scoring_model_active().score_as_of == date(2025, 12, 31)


def test_keeping_leaves_a_date_set_by_hand_before_the_run(billed_early_2025, ops):
    # given: a job that chose to keep, and a model pinned by hand meanwhile
    job = ImportJob.objects.create(
        window="keep",
        window_before=date(2025, 3, 31),
        window_after=date(2026, 6, 30),
    )
    model = scoring_model_active()
    model.score_as_of = date(2024, 12, 31)
    model.save()

    # when
    pinned = scoring_window_import_keep(job=job)

    # then
    assert pinned is False
    assert scoring_model_active().score_as_of == date(2024, 12, 31)


def test_moving_the_window_leaves_the_model_following(
    billed_early_2025, api, client, ops, django_capture_on_commit_callbacks
):
    # given
    url = uploaded(api)

    # when
    unconfirmed = api.post(url + "start/", {"window": "move"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            url + "start/", {"window": "move", "confirm_warnings": True}, format="json"
        )

    # then
    assert unconfirmed.status_code == 400
    assert list(unconfirmed.json()) == ["confirm_warnings"]
    assert started.status_code == 202
    assert started.json()["window"] == "move"
    assert scoring_model_active().score_as_of is None
    run = ScoreRun.objects.latest("pk")
    assert run.as_of == date(2026, 6, 30)
    assert run.message == (
        "1 account has no revenue in the window Q3 2025\u2013Q2 2026"
    )
    client.force_login(ops)
    job_id = MappedImport.objects.get().job_id
    report = client.get(reverse("accounts:wizard_report", args=[job_id]))
    assert MOVED_SAID in html.unescape(report.content.decode())


def test_only_sales_ops_may_move_the_window(billed_early_2025, ops, rep):
    # given
    mapped = mapped_import_create_from_paths(user=ops, paths=[ERP_REVENUE])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}

    def review(user, window):
        return mapped_import_start_review(
            mapped=mapped,
            confirmed=True,
            how="Tick it.",
            answer_how="Answer it.",
            window=window,
            user=user,
        )

    # when
    by_rep = review(rep, "move")
    kept_by_rep = review(rep, "keep")
    by_ops = review(ops, "move")

    # then
    assert by_rep.refusals == {"window": [WINDOW_MOVE_REFUSED]}
    assert kept_by_rep.refusals == {}
    assert by_ops.refusals == {}
    assert by_ops.window == WindowMove(
        before=date(2025, 3, 31), after=date(2026, 6, 30), idle_accounts=1
    )


def test_the_api_refuses_an_unknown_window(billed_early_2025, api):
    url = uploaded(api)

    refused = api.post(url + "start/", {"window": "later"}, format="json")

    assert refused.status_code == 400
    assert refused.json() == {"window": ['"later" is not a valid choice.']}
    assert MappedImport.objects.get().confirmed_at is None


def test_a_large_upload_keeps_the_forecast_window(
    billed_early_2025, api, monkeypatch, django_capture_on_commit_callbacks
):
    # given: checked in the background, so its window move is forecast
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    url = uploaded(api)

    # when
    check = api.get(url + "check/").json()
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(url + "start/", {}, format="json")

    # then: the forecast counts all three accounts as left without revenue,
    # before the upload's own lines; nothing moves, so nothing is ticked
    assert check["window_move"]["idle_accounts"] == 3
    assert check["window_move"]["move"] == (
        "Move the window to 30 Jun 2026 (3 accounts would have no revenue in it)"
    )
    assert started.status_code == 202
    job = ImportJob.objects.get()
    assert (job.window, job.window_before, job.window_after) == (
        "keep",
        date(2025, 3, 31),
        date(2026, 6, 30),
    )
    assert scoring_model_active().score_as_of == date(2025, 3, 31)
    assert ScoreRun.objects.latest("pk").as_of == date(2025, 3, 31)
