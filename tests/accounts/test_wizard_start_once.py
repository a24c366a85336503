"""Starting one import from several requests at once runs it once.

The embedded default has no broker: a start runs the import in a thread of
the web process. Two clicks on Import, or a client sending its start four
times, must not each run it; the first to claim the start runs it and the
others are told it was started.
"""

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import tasks, views, wizard_apis
from accounts.models import Account, ImportJob, MappedImport, User
from accounts.services import import_progress_cache_key
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)

pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNTS = 300


@pytest.fixture
def double_click(settings, tmp_path: Path) -> Path:
    """A HubSpot company export of 300 new accounts, as the tester's."""
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "double_click.csv"
    lines = ["Record ID,Company name,Number of Employees"] + [
        f"K{n:04d},Double Click Co {n},{n}" for n in range(ACCOUNTS)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    """Record each import the starts send to the background, without running it.

    The runs are let go once every request has answered, so the refused
    ones find the import queued, and each run is counted.
    """
    sent: list[int] = []
    monkeypatch.setattr(tasks.mapped_import_task, "delay", sent.append)
    return sent


def all_at_once(monkeypatch, module: Any, requests: int) -> None:
    """Hold each request after its check until all have read the import.

    Every request then finds the import not yet started, as two quick clicks
    do, and only the start itself can keep the second from running it.
    """
    ready = threading.Barrier(requests, timeout=120)
    checked = module.mapped_import_start_review

    def held(**kwargs: Any) -> dict[str, list[str]]:
        found = checked(**kwargs)
        ready.wait()
        return found

    monkeypatch.setattr(module, "mapped_import_start_review", held)


def in_threads(send: Callable[[], Any], count: int) -> list[Any]:
    answers: list[Any] = [None] * count

    def one(index: int) -> None:
        try:
            answers[index] = send()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return answers


def runs_let_go(settings, sent: list[int], monkeypatch) -> None:
    """Send the recorded imports to background threads and wait for them."""
    monkeypatch.undo()
    settings.TASKS_IN_BACKGROUND_THREAD = True
    for job_id in sent:
        tasks.mapped_import_task.delay(job_id)
    for thread in threading.enumerate():
        if thread.name.startswith("lode-"):
            thread.join(timeout=300)


@pytest.fixture
def confirmed(double_click: Path, ops: User) -> MappedImport:
    mapped = mapped_import_create_from_paths(user=ops, paths=[double_click])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    # An earlier test's job of the same id may have left its progress in
    # the cache; this one has made none yet.
    cache.delete(import_progress_cache_key(mapped.job_id))
    return mapped


def assert_ran_once(job_id: int) -> None:
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == ImportJob.Status.SUCCEEDED
    assert job.counts["Accounts"] == {
        "created": ACCOUNTS,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert Account.objects.count() == ACCOUNTS
    assert ImportJob.objects.count() == 1


def test_four_api_starts_at_once_run_the_import_once(
    confirmed: MappedImport, ops: User, enqueued: list[int], monkeypatch, settings
) -> None:
    # given: four starts that all read the import before any starts it
    all_at_once(monkeypatch, wizard_apis, 4)
    url = f"/api/accounts/imports/{confirmed.job_id}/start/"

    def start() -> tuple[int, dict]:
        api = APIClient()
        api.force_authenticate(user=ops)
        answer = api.post(url, {"confirm_warnings": True}, format="json")
        return answer.status_code, answer.json()

    # when
    answers = in_threads(start, 4)

    # then: one is accepted and queued once; the others hear it was started
    assert sorted(code for code, _ in answers) == [202, 409, 409, 409]
    assert enqueued == [confirmed.job_id]
    confirmed.refresh_from_db()
    assert confirmed.confirmed_at is not None
    started_at = confirmed.confirmed_at.isoformat(timespec="seconds")
    refused = [body for code, body in answers if code == 409]
    assert (
        refused
        == [
            {
                "detail": (
                    f"This import was already started at {started_at}; it is "
                    "Pending (0%: Queued). Follow it with GET "
                    f"/api/accounts/imports/{confirmed.job_id}/ instead of "
                    "starting it again."
                ),
                "status": "pending",
                "status_label": "Pending",
                "progress": 0,
                "message": "Queued",
                "finished": False,
            }
        ]
        * 3
    )

    # when: the one queued run goes ahead in the background
    runs_let_go(settings, enqueued, monkeypatch)

    # then: its counts are the one run's
    assert_ran_once(confirmed.job_id)


def test_two_clicks_on_import_run_it_once(
    confirmed: MappedImport, ops: User, enqueued: list[int], monkeypatch, settings
) -> None:
    # given: two posts of the check page that both find it not started
    all_at_once(monkeypatch, views, 2)
    url = reverse("accounts:wizard_check", args=[confirmed.job_id])
    report = reverse("accounts:wizard_report", args=[confirmed.job_id])

    def click() -> tuple[int, str]:
        client = Client()
        client.force_login(ops)
        answer = client.post(url, {})
        return answer.status_code, answer["Location"]

    # when
    answers = in_threads(click, 2)

    # then: both go to the report of the one run
    assert answers == [(302, report), (302, report)]
    assert enqueued == [confirmed.job_id]

    # when
    runs_let_go(settings, enqueued, monkeypatch)

    # then
    assert_ran_once(confirmed.job_id)
