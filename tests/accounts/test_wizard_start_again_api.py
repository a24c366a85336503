"""Starting an import a second time answers 409 with how far the first got."""

from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, ImportJob, User
from accounts.services import import_progress_cache_key
from accounts.wizard import (
    mapped_import_create,
    mapped_import_mapping_accept,
    mapped_import_start,
)

pytestmark = pytest.mark.django_db

ACCOUNTS = b"Account Name,Employees\nPelican Paper Co,120\nGull Bank,3400\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_retried_start_answers_409_with_the_import_state(
    ops: User, django_capture_on_commit_callbacks
) -> None:
    # given: an import started once through the API, which ran it
    mapped = mapped_import_create(user=ops, files=[("accounts.csv", ACCOUNTS)])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    api = APIClient()
    api.force_authenticate(user=ops)
    url = f"/api/accounts/imports/{mapped.job_id}/start/"
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(url, {"confirm_warnings": True}, format="json")
    assert first.status_code == 202, first.content
    mapped.refresh_from_db()
    assert mapped.confirmed_at is not None
    started_at = mapped.confirmed_at.isoformat(timespec="seconds")

    # when: a client that timed out sends the same start again
    again = api.post(url, {"confirm_warnings": True}, format="json")

    # then
    assert again.status_code == 409
    assert again.json() == {
        "detail": (
            "This import was already started at "
            f"{started_at}; it is "
            "Succeeded (100%: Done). Follow it with GET "
            f"/api/accounts/imports/{mapped.job_id}/ instead of starting it "
            "again."
        ),
        "status": "succeeded",
        "status_label": "Succeeded",
        "progress": 100,
        "message": "Done",
        "finished": True,
    }
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Gull Bank",
        "Pelican Paper Co",
    ]
    assert ImportJob.objects.count() == 1


def test_a_start_while_it_runs_says_it_is_running(ops: User) -> None:
    # given: an import queued and picked up by a worker
    mapped = mapped_import_create(user=ops, files=[("accounts.csv", ACCOUNTS)])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    ImportJob.objects.filter(pk=mapped.job_id).update(
        status=ImportJob.Status.RUNNING, updated_at=timezone.now()
    )
    # A running import's progress is read from the cache the worker writes.
    cache.set(import_progress_cache_key(mapped.job_id), (40, "Writing accounts"))
    mapped.refresh_from_db()
    assert mapped.confirmed_at is not None
    started_at = mapped.confirmed_at.isoformat(timespec="seconds")
    api = APIClient()
    api.force_authenticate(user=ops)

    # when: a body a first start would refuse, to show it is not read
    response = api.post(
        f"/api/accounts/imports/{mapped.job_id}/start/",
        {"merges": {"Nobody": "Nothing"}},
        format="json",
    )

    # then
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "This import was already started at "
        f"{started_at}; it is Running "
        "(40%: Writing accounts). Follow it with GET "
        f"/api/accounts/imports/{mapped.job_id}/ instead of starting it again."
    )
    assert Account.objects.count() == 0
