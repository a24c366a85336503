"""Synthetic people files and their wizard imports, shared by the tests.

The files come from the bench's writer (bench/people_wizard_bench.py): a
Salesforce contact export's layout, every manager listed below the people
who report to them, and no real person or company.
"""

from pathlib import Path

from accounts.models import Account, MappedImport
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_start,
)
from bench.people_wizard_bench import ACCOUNTS, people_write


def synthetic_accounts() -> None:
    """Add the accounts the synthetic people belong to."""
    for account in range(ACCOUNTS):
        Account.objects.create(
            name=f"Synthetic {account}", external_id=f"ACC{account:03d}"
        )


def synthetic_people(path: Path, rows: int) -> None:
    people_write(path=path, rows=rows, seed=0)


def started_people_import(path: Path, rows: int) -> MappedImport:
    """Write `rows` synthetic people to `path`; start, not run, their import."""
    synthetic_people(path, rows)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    return mapped
