"""Text that COPY reads specially (\\N, backslashes, tabs) is stored as read."""

from pathlib import Path

import pytest

from accounts.models import Account, ImportJob, Opportunity
from accounts.services import maven_import_directory
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from stakeholders.models import Stakeholder
from tests.accounts.factories import AccountFactory
from tests.accounts.test_import import SMALL, write_export

pytestmark = pytest.mark.django_db

# `\N` is COPY's NULL; a backslash starts an escape; a tab ends a field.
ACCOUNTS = [
    *SMALL["accounts.csv"],
    "\\N,medical,1990,10.00,12,Kenya,",
    "a\\b,medical,1991,11.00,13,Kenya,\\N",
]
PIPELINE = [
    *SMALL["sales_pipeline.csv"],
    "\\N,Moses Frase,GTX Basic,\\N,Won,2017-01-05,2017-03-01,500",
    '"OPP\t6\\x",Anna Snelling,GTX Pro,a\\b,Lost,2017-02-01,2017-04-12,0',
]


def import_special_text(directory: Path) -> None:
    job = maven_import_directory(
        directory=write_export(
            directory,
            **{"accounts.csv": ACCOUNTS, "sales_pipeline.csv": PIPELINE},
        )
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert sorted(
        Account.objects.filter(name__in=["\\N", "a\\b"]).values_list(
            "name", "parent__name", "employees"
        )
    ) == [("\\N", None, 12), ("a\\b", "\\N", 13)]
    assert sorted(
        Opportunity.objects.filter(account__name__in=["\\N", "a\\b"]).values_list(
            "external_id", "account__name", "stage"
        )
    ) == [("OPP\t6\\x", "a\\b", "lost"), ("\\N", "\\N", "won")]


def test_special_text_is_stored_as_read(tmp_path):
    import_special_text(tmp_path)


def test_special_text_is_stored_as_read_on_postgresql(postgres, tmp_path):
    import_special_text(tmp_path)


def import_person_named_null(tmp_path: Path, capture) -> None:
    AccountFactory.create(name="Vireo Health", external_id="")
    people = tmp_path / "people.csv"
    people.write_text(
        "FIRSTNAME;LASTNAME;TITLE;ACCOUNT NAME;EMAIL\n"
        "\\N;\\N;C\\TO;Vireo Health;n@vireo.example\n"
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[people])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    with capture(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
        )
        mapped_import_run(mapped=mapped)
    mapped.job.refresh_from_db()

    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    assert list(
        Stakeholder.objects.values_list("first_name", "last_name", "title", "email")
    ) == [("\\N", "\\N", "C\\TO", "n@vireo.example")]


def test_a_person_named_backslash_n_is_stored_as_read(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_person_named_null(tmp_path, django_capture_on_commit_callbacks)


def test_a_person_named_backslash_n_is_stored_as_read_on_postgresql(
    postgres, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_person_named_null(tmp_path, django_capture_on_commit_callbacks)
