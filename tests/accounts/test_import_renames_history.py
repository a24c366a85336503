"""An import that renames an account by its ID writes the rename's history.

As a rename by hand does: so a later file without IDs that still uses the
old name finds the account by it (accounts.former_names). Undoing the
import takes the name back, and the history of that rename with it.
"""

from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.former_names import FormerNames
from accounts.models import Account, ChangeRecord, ImportJob, User
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from tests.accounts.wizard_runs import counted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

NOTE = "matched by former name 'Ärzte GmbH': the account is now called 'Zenith Widgets'"


def run(user: User, path: Path, text: str) -> ImportJob:
    path.write_text(text, encoding="utf-8")
    mapped = mapped_import_create_from_paths(user=user, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    return job


def name_history() -> list[tuple[str, str, str, int | None]]:
    return list(
        ChangeRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(Account), field="name"
        )
        .order_by("pk")
        .values_list("old_value", "new_value", "changed_by__username", "import_job")
    )


@pytest.fixture
def renaming(tmp_path: Path, ops: User) -> ImportJob:
    """Ärzte GmbH, imported with its ID, then renamed by a second import."""
    run(ops, tmp_path / "first.csv", "Account ID,Account Name\nA-1,Ärzte GmbH\n")
    return run(
        ops, tmp_path / "second.csv", "Account ID,Account Name\nA-1,Zenith Widgets\n"
    )


def test_an_import_rename_is_in_the_accounts_history(
    renaming: ImportJob, ops: User
) -> None:
    assert renaming.counts["Accounts"] == counted(updated=1)
    assert name_history() == [("Ärzte GmbH", "Zenith Widgets", "oona", renaming.pk)]


def test_a_file_without_ids_finds_the_account_by_the_name_it_had(
    tmp_path: Path, ops: User, renaming: ImportJob
) -> None:
    # when: a CRM export without IDs still says the old name, in capitals
    job = run(ops, tmp_path / "third.csv", "Account Name,Employees\nÄRZTE GMBH,4200\n")

    # then: no second account; the renamed one is updated and says why
    assert job.counts["Accounts"] == counted(updated=1)
    assert list(Account.objects.values_list("name", "employees")) == [
        ("Zenith Widgets", 4200)
    ]
    assert [issue["reason"] for issue in job.issues] == [NOTE]


def test_undoing_the_import_takes_its_rename_out_of_the_history(
    ops: User, renaming: ImportJob
) -> None:
    # when
    mapped_import_undo(mapped=renaming.mapped, user=ops)

    # then: the old name is back and the one in between is nobody's
    assert list(Account.objects.values_list("name", "name_key")) == [
        ("Ärzte GmbH", "ärzte gmbh")
    ]
    assert name_history() == []
    assert FormerNames.for_user(ops).matches("Zenith Widgets") == []


def test_a_name_edited_by_hand_since_keeps_the_imports_rename(
    ops: User, renaming: ImportJob
) -> None:
    # given: sales ops renamed the account again after the import
    from accounts.services import account_update

    account = Account.objects.get()
    assert account_update(
        account=account,
        user=ops,
        data={"name": "Zenith Group"},
        expected_version=account.updated_at,
    )

    # when
    mapped_import_undo(mapped=renaming.mapped, user=ops)

    # then: the undo keeps the hand edit, and every name on the way to it
    assert Account.objects.get().name == "Zenith Group"
    assert [(old, new) for old, new, *_ in name_history()] == [
        ("Ärzte GmbH", "Zenith Widgets"),
        ("Zenith Widgets", "Zenith Group"),
    ]


def test_the_history_of_many_renames_is_written_in_one_statement(
    tmp_path: Path, ops: User
) -> None:
    # given
    rows = "".join(f"A-{n},Firma {n}\n" for n in range(40))
    run(ops, tmp_path / "first.csv", "Account ID,Account Name\n" + rows)
    renamed = "".join(f"A-{n},FIRMA {n} NEU\n" for n in range(40))

    # when
    with CaptureQueriesContext(connection) as captured:
        job = run(ops, tmp_path / "second.csv", "Account ID,Account Name\n" + renamed)

    # then
    table = ChangeRecord._meta.db_table
    inserts = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith(f'INSERT INTO "{table}"')
    ]
    assert job.counts["Accounts"] == counted(updated=40)
    assert len(name_history()) == 40
    assert len(inserts) == 1
