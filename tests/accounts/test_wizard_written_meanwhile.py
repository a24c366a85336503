"""Two imports creating the same new account: the later is told by whom."""

import threading
import time
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction

from accounts.models import Account, ImportJob, ImportRowChange, User
from accounts.wizard import (
    mapped_import_create,
    mapped_import_mapping_accept,
    mapped_import_reopen,
    mapped_import_run,
    mapped_import_start,
)

ACCOUNTS = b"Account Name,Employees\nPelican Paper Co,120\nGull Bank,3400\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def create_once_it_waits(
    *, name: str, by: ImportJob, waiter: int, inserted: threading.Event
) -> None:
    """Insert an account in another session; commit once `waiter` blocks on it."""
    try:
        with transaction.atomic():
            account = Account.objects.create(name=name)
            ImportRowChange.objects.create(
                job=by,
                content_type=ContentType.objects.get_for_model(Account),
                object_id=account.pk,
                action=ImportRowChange.Action.CREATED,
            )
            inserted.set()
            deadline = time.monotonic() + 30
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE pid = %s AND wait_event_type = 'Lock'",
                        [waiter],
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_an_account_created_meanwhile_is_named_with_its_import(
    postgres, ops: User, bruce: User
) -> None:
    # given: an import checked while no "Gull Bank" existed, and another
    # import (bruce's) that creates one between our look-up and our insert
    other = ImportJob.objects.create(created_by=bruce, status="succeeded")
    mapped = mapped_import_create(user=ops, files=[("accounts.csv", ACCOUNTS)])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    threads: list[threading.Thread] = []
    inserted = threading.Event()
    pid = backend_pid()

    def progress(percent: int, message: str) -> None:
        if message.startswith("Writing accounts") and not threads:
            thread = threading.Thread(
                target=create_once_it_waits,
                kwargs={
                    "name": "Gull Bank",
                    "by": other,
                    "waiter": pid,
                    "inserted": inserted,
                },
            )
            thread.start()
            threads.append(thread)
            # The other session holds its new row before we look it up.
            assert inserted.wait(30)

    # when
    job = mapped_import_run(mapped=mapped, progress=progress)
    threads[0].join()

    # then
    assert job.status == ImportJob.Status.REJECTED
    assert job.progress_message == (
        "Rejected: another import created some of these accounts meanwhile; "
        "check it again"
    )
    assert job.error == ""
    assert job.issues == [
        {
            "file": "accounts.csv",
            "line": 3,
            "column": "Account Name",
            "value": "Gull Bank",
            "reason": (
                f"the account 'Gull Bank' was created meanwhile by import "
                f"{other.pk} (Bruce Wayne); nothing was written: check this "
                "import again and this row updates it"
            ),
            "action": "rejected",
        }
    ]
    assert list(Account.objects.values_list("name", "employees")) == [
        ("Gull Bank", None)
    ]

    # when: checked and started again
    mapped_import_reopen(mapped=mapped)
    mapped.refresh_from_db()
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    again = mapped_import_run(mapped=mapped)

    # then: the row updates the account the other import created
    assert again.status == ImportJob.Status.SUCCEEDED, again.issues
    assert again.counts["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    assert sorted(Account.objects.values_list("name", "employees")) == [
        ("Gull Bank", 3400),
        ("Pelican Paper Co", 120),
    ]
