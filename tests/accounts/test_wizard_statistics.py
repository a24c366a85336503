"""The wizard refreshes the planner's statistics of what it wrote."""

from pathlib import Path

import pytest
from django.db import connection

from accounts.models import ImportJob, MappedImport
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_start,
    mapped_import_undo,
)

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
TABLES = ("accounts_account", "accounts_opportunity")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def row_estimates() -> dict[str, int]:
    """Return the row counts the planner believes, from pg_class."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::int FROM pg_class WHERE relname = ANY(%s)",
            [list(TABLES)],
        )
        return dict(cursor.fetchall())


def wizard_import(capture) -> MappedImport:
    mapped = mapped_import_create_from_paths(
        user=None,
        paths=[
            WIZARD / "accounts_semicolon.csv",
            WIZARD / "opportunities_semicolon.csv",
        ],
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    with capture(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()
    assert mapped.job.status == ImportJob.Status.SUCCEEDED
    return mapped


def test_the_wizard_import_refreshes_the_statistics_of_what_it_wrote(
    postgres, django_capture_on_commit_callbacks
):
    # given: statistics of the empty tables, as a planner would hold them
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(TABLES))
    assert row_estimates() == dict.fromkeys(TABLES, 0)

    # when
    wizard_import(django_capture_on_commit_callbacks)

    # then: ANALYZE saw the import's own rows and wrote their number at once
    assert row_estimates() == {"accounts_account": 2, "accounts_opportunity": 4}


def test_undoing_a_wizard_import_refreshes_the_statistics_too(
    postgres, django_capture_on_commit_callbacks
):
    # given
    mapped = wizard_import(django_capture_on_commit_callbacks)
    assert row_estimates() == {"accounts_account": 2, "accounts_opportunity": 4}

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=mapped, user=None)

    # then
    assert row_estimates() == dict.fromkeys(TABLES, 0)
