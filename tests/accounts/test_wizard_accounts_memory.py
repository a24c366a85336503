"""An accounts file is imported in bounded memory, whatever its length.

The rows are synthetic, written by the bench's accounts generator (see
bench/accounts_wizard_bench.py): the bundled data set's layout, names no
rule merges, and about one account in seven a subsidiary of an earlier one.
"""

from pathlib import Path

import pytest

from accounts.models import (
    Account,
    AccountNameStage,
    AccountReadStage,
    ImportJob,
)
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_start,
)
from bench.accounts_wizard_bench import accounts_write
from tests.import_memory import (
    BYTES_PER_ROW,
    import_bounds_scale,
    import_peak,
    memory_sizes,
)

pytestmark = pytest.mark.django_db

# LODE_ACCOUNTS_MEMORY="5000,20000,100000" measures larger files.
CHUNK, SMALL, LARGE = memory_sizes("LODE_ACCOUNTS_MEMORY")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def peak_import(tmp_path: Path, rows: int, capture) -> int:
    """Import a synthetic file of `rows` new accounts; return the peak bytes."""
    folder = tmp_path / f"synthetic_accounts_{rows}"
    folder.mkdir(exist_ok=True)
    path = folder / "accounts.csv"
    accounts_write(path=path, rows=rows, seed=0)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)

    job, peak = import_peak(mapped=mapped, capture=capture)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues[:3]
    assert job.counts["Accounts"]["created"] == rows
    return peak


# Measured 2026-12-06 on SQLite, chunks of 100, load 16-21: the peak grew
# about 2.2 kB a row before the names, the accounts read for each chunk and
# where IDs and names were first read were staged in the database.
#
# The 100 B a row left was no row's: every chunk of the 2,000-row run ends
# at the same traced size (5.50 MB from the 5th chunk on), and a run of
# 6,000 rows peaks where one of 2,000 does (5,928,853 B against 5,930,837,
# load 4, 2026-12-06). The peak came from reads that fill up to a bound
# the 200-row file (12 kB) does not reach: the plan's head of up to
# PREVIEW_READ_ROWS (1,000) rows, and the 64 kB head and blocks of the
# encoding check. Those bounds are scaled down with the chunk's
# (import_bounds_scale);
# then 12 to 15 B a row on SQLite (load 8) and 31 to 39 on PostgreSQL
# (load 9), three runs each, 2026-12-06.
def test_the_peak_memory_of_an_accounts_import_does_not_grow_with_its_rows(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    import_bounds_scale(monkeypatch, chunk=CHUNK)
    # A first import fills what a process keeps once.
    peak_import(tmp_path, SMALL, django_capture_on_commit_callbacks)
    Account.objects.all().delete()

    # when
    small = peak_import(tmp_path, SMALL, django_capture_on_commit_callbacks)
    Account.objects.all().delete()
    large = peak_import(tmp_path, LARGE, django_capture_on_commit_callbacks)

    # then
    per_row = (large - small) / (LARGE - SMALL)
    print(f"peak: {SMALL:,} rows {small:,} B; {LARGE:,} rows {large:,} B")
    assert Account.objects.count() == LARGE
    # One account in seven names an earlier one as its parent.
    assert Account.objects.exclude(parent=None).count() > LARGE // 8
    assert AccountNameStage.objects.count() == 0
    assert AccountReadStage.objects.count() == 0
    assert per_row < BYTES_PER_ROW, f"the peak grew {per_row:.0f} B a row"
