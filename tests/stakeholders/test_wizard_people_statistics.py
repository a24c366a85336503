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


def managerless_share() -> float | None:
    """Return the share of staged rows the planner believes have no manager."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT null_frac FROM pg_stats "
            "WHERE tablename = 'stakeholders_personimportrow' "
            "AND attname = 'manager_row_id'"
        )
        found = cursor.fetchone()
    return None if found is None else round(found[0], 4)


def test_the_stage_is_analysed_again_once_its_managers_are_found(
    postgres, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given: 300 people at 50 accounts, six each, so the 50 at the top of
    # each account's tree have no manager
    settings.MEDIA_ROOT = tmp_path / "media"
    synthetic_accounts()
    mapped = started_people_import(tmp_path / "synthetic_people.csv", 300)
    seen = {}
    for step in ("_loops_refuse", "_reports_to"):
        original = getattr(wizard_people.PeopleWrite, step)

        def observed(self, step=step, original=original) -> None:
            seen[step] = managerless_share()
            original(self)

        monkeypatch.setattr(wizard_people.PeopleWrite, step, observed)

    # when
    with django_capture_on_commit_callbacks(execute=False):
        job = mapped_import_run(mapped=mapped)

    # then: analysed while the manager columns were empty, the planner took
    # the rows with a manager for one and fetched each chunk through the
    # manager index, every linked row of the job at each chunk
    assert job.status == ImportJob.Status.SUCCEEDED
    assert seen == {"_loops_refuse": 0.1667, "_reports_to": 0.1667}
