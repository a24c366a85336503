"""Wizard imports that never started: shown so, discarded, swept after a week."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ImportJob, MappedImport
from accounts.tasks import mapped_imports_abandoned_delete_task
from accounts.wizard import (
    mapped_import_create,
    mapped_import_files_read,
    mapped_import_mapping_confirm,
    mapped_import_start,
)
from accounts.wizard_discard import DiscardError, mapped_import_discard

pytestmark = pytest.mark.django_db

ACCOUNTS = b"Account Name,Industry\nPelican Paper Co,retail\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _upload(user, name: str = "accounts.csv") -> MappedImport:
    return mapped_import_create(user=user, files=[(name, ACCOUNTS)])


def _confirm(mapped: MappedImport, user) -> None:
    [preview] = mapped_import_files_read(mapped=mapped)
    mapping = {preview.name: {c: list(t) for c, t in preview.mapping.items()}}
    assert (
        mapped_import_mapping_confirm(mapped=mapped, mapping=mapping, user=user) == {}
    )
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)


def _uploaded_days_ago(mapped: MappedImport, days: int) -> None:
    MappedImport.objects.filter(pk=mapped.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_discarding_an_unstarted_import_deletes_it_and_its_files(ops) -> None:
    mapped = _upload(ops)
    folder = Path(mapped.job.source_directory)
    assert (folder / "accounts.csv").is_file()

    mapped_import_discard(mapped=mapped, user=ops)

    assert not ImportJob.objects.exists()
    assert not MappedImport.objects.exists()
    assert not folder.exists()


def test_a_started_import_is_not_discarded(ops) -> None:
    mapped = _upload(ops)
    _confirm(mapped, ops)

    with pytest.raises(DiscardError) as refused:
        mapped_import_discard(mapped=mapped, user=ops)

    assert str(refused.value) == (
        f"Import {mapped.job_id} has started, so it is kept; undo it on its "
        "report instead."
    )
    assert MappedImport.objects.get() == mapped
    assert Path(mapped.job.source_directory).is_dir()


def test_the_sweep_deletes_only_imports_unstarted_for_over_a_week(ops) -> None:
    # given
    old = _upload(ops, "old.csv")
    _uploaded_days_ago(old, 8)
    recent = _upload(ops, "recent.csv")
    _uploaded_days_ago(recent, 6)
    started = _upload(ops, "started.csv")
    _confirm(started, ops)
    _uploaded_days_ago(started, 30)

    # when
    mapped_imports_abandoned_delete_task.delay().get()

    # then
    assert set(MappedImport.objects.values_list("job_id", flat=True)) == {
        recent.job_id,
        started.job_id,
    }
    assert not Path(old.job.source_directory).exists()
    assert Path(recent.job.source_directory).is_dir()


def test_beat_sweeps_abandoned_imports_every_night() -> None:
    from celery.schedules import crontab

    from config.celery import app

    app.finalize(auto=True)
    schedule = {
        entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()
    }

    assert schedule["accounts.tasks.mapped_imports_abandoned_delete_task"] == crontab(
        hour=3, minute=30
    )


def test_the_lists_show_an_unstarted_import_as_not_started(client, ops) -> None:
    mapped = _upload(ops)
    client.force_login(ops)

    wizard_page = client.get(reverse("accounts:wizard")).content.decode()
    import_page = client.get(reverse("accounts:import")).content.decode()

    assert '<span class="status status-not-started">Not started</span>' in wizard_page
    assert (
        f'action="/accounts/import/wizard/{mapped.job_id}/discard/" '
        f'class="discard-form" data-confirm="Discard import {mapped.job_id} and its '
        'uploaded files? Nothing was imported from them."'
    ) in wizard_page
    assert '<span class="status status-not-started">Not started</span>' in import_page
    assert "Pending" not in import_page


def test_ops_discard_an_unstarted_import_from_the_page(client, ops) -> None:
    mapped = _upload(ops)
    client.force_login(ops)

    response = client.post(
        reverse("accounts:wizard_discard", args=[mapped.job_id]), follow=True
    )

    assert response.redirect_chain == [(reverse("accounts:wizard"), 302)]
    assert (
        f"Import {mapped.job_id} discarded with its uploaded files."
        in response.content.decode()
    )
    assert not MappedImport.objects.exists()


def test_a_started_import_is_refused_on_the_page(client, ops) -> None:
    mapped = _upload(ops)
    _confirm(mapped, ops)
    client.force_login(ops)

    response = client.post(
        reverse("accounts:wizard_discard", args=[mapped.job_id]), follow=True
    )

    assert response.redirect_chain == [
        (reverse("accounts:wizard_report", args=[mapped.job_id]), 302)
    ]
    assert "has started, so it is kept" in response.content.decode()
    assert MappedImport.objects.exists()


def test_only_ops_discard_imports(client, ops, rep) -> None:
    mapped = _upload(ops)
    client.force_login(rep)

    response = client.post(reverse("accounts:wizard_discard", args=[mapped.job_id]))

    assert response.status_code == 404
    assert MappedImport.objects.exists()


def test_the_report_of_an_unstarted_import_says_so_and_offers_discard(
    client, ops
) -> None:
    mapped = _upload(ops)
    client.force_login(ops)

    page = client.get(
        reverse("accounts:wizard_report", args=[mapped.job_id])
    ).content.decode()

    assert (
        '<span class="status status-not-started" id="import-status">Not started' in page
    )
    assert "accounts.csv · uploaded " in page
    assert "Pending" not in page
    assert (
        f'action="/accounts/import/wizard/{mapped.job_id}/discard/" '
        'class="discard-form"'
    ) in page


def test_ops_discard_an_unstarted_import_through_the_api(client, ops, rep) -> None:
    mapped = _upload(ops)
    started = _upload(ops, name="second.csv")
    _confirm(started, ops)
    url = f"/api/accounts/imports/{mapped.job_id}/discard/"

    client.force_login(rep)
    hidden = client.post(url)
    client.force_login(ops)
    with_body = client.post(url, {"force": True}, content_type="application/json")
    discarded = client.post(url)
    refused = client.post(f"/api/accounts/imports/{started.job_id}/discard/")

    assert hidden.status_code == 404
    assert with_body.json() == {
        "force": ["This field cannot be set here; it is read-only or unknown."]
    }
    assert discarded.status_code == 204
    assert refused.status_code == 400
    assert refused.json() == {
        "non_field_errors": [
            f"Import {started.job_id} has started, so it is kept; undo it on its "
            "report instead."
        ]
    }
    assert list(MappedImport.objects.values_list("pk", flat=True)) == [started.pk]


def test_ops_reopen_only_a_rejected_or_failed_import_through_the_api(
    client, ops
) -> None:
    mapped = _upload(ops)
    client.force_login(ops)
    url = f"/api/accounts/imports/{mapped.job_id}/reopen/"

    pending = client.post(url)
    ImportJob.objects.filter(pk=mapped.job_id).update(
        status=ImportJob.Status.FAILED, error="Worker lost"
    )
    reopened = client.post(url)

    assert pending.json() == {
        "non_field_errors": [
            "Only a rejected, failed or stalled import can be started again."
        ]
    }
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "pending"
    assert ImportJob.objects.get(pk=mapped.job_id).error == ""
