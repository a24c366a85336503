"""A people import gives the planner the size of its stage before using it."""

from django.db import connection

from accounts.models import ImportJob
from accounts.wizard import mapped_import_run
from stakeholders import wizard_people
from tests.stakeholders.people_files import started_people_import, synthetic_accounts


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
    synthetic_accounts()
    mapped = started_people_import(tmp_path / "synthetic_people.csv", 300)
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
