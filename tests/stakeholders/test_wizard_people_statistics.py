"""A people import gives the planner the size of its stage before using it."""

from django.db import connection

from accounts.models import Account, ImportJob
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from stakeholders import wizard_people
from tests.stakeholders.test_wizard_people_memory import ACCOUNTS, synthetic_people


def stage_estimate() -> int:
    """Return the staged rows the planner believes there are, from pg_class."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::int FROM pg_class "
            "WHERE relname = 'stakeholders_personimportrow'"
        )
        return cursor.fetchone()[0]


def test_the_stage_is_analysed_before_its_managers_are_found(
    postgres, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given: a stage the planner believes empty, as an import's own
    # uncommitted rows are to autovacuum
    settings.MEDIA_ROOT = tmp_path / "media"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stakeholders_personimportrow")
    assert stage_estimate() == 0
    for account in range(ACCOUNTS):
        Account.objects.create(
            name=f"Synthetic {account}", external_id=f"ACC{account:03d}"
        )
    path = tmp_path / "synthetic_people.csv"
    synthetic_people(path, 300)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    mapped_import_mapping_accept(mapped=mapped, user=None)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    seen = []
    find = wizard_people.PeopleWrite._managers_find

    def managers_find(self: wizard_people.PeopleWrite) -> None:
        seen.append(stage_estimate())
        find(self)

    monkeypatch.setattr(wizard_people.PeopleWrite, "_managers_find", managers_find)

    # when
    with django_capture_on_commit_callbacks(execute=False):
        job = mapped_import_run(mapped=mapped)

    # then: without it each chunk of the stage was fetched through the
    # (job, account) index, every staged row of the job at each chunk
    assert job.status == ImportJob.Status.SUCCEEDED
    assert seen == [300]
