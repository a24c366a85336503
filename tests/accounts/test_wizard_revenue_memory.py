"""A revenue lines file is imported in bounded memory, whatever its length.

The rows are synthetic invoice lines written here: a few accounts and
products, one line an invoice, every amount in USD.
"""

from pathlib import Path

import pytest

from accounts.models import Account, ImportJob, Product, RevenueKeyStage, RevenueLine
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_start,
)
from tests.import_memory import (
    BYTES_PER_ROW,
    import_bounds_scale,
    import_peak,
    memory_sizes,
)

pytestmark = pytest.mark.django_db

# LODE_REVENUE_MEMORY="5000,20000,100000" measures larger files.
CHUNK, SMALL, LARGE = memory_sizes("LODE_REVENUE_MEMORY")
ACCOUNTS, PRODUCTS = 20, 4


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def revenue_write(path: Path, rows: int) -> None:
    """Write `rows` synthetic invoice lines over two years of months."""
    with path.open("w", encoding="utf-8") as out:
        out.write("Invoice Number,Invoice Date,Account Name,Product,Amount,Currency\n")
        for number in range(rows):
            month = 1 + number % 12
            year = 2024 + (number // 12) % 2
            out.write(
                f"SYN-{number:08d},{year}-{month:02d}-15,"
                f"Synthetic {number % ACCOUNTS},Series {number % PRODUCTS},"
                f"{100 + number % 997}.00,USD\n"
            )


def peak_import(tmp_path: Path, rows: int, capture) -> int:
    """Import a synthetic file of `rows` revenue lines; return the peak bytes."""
    folder = tmp_path / f"synthetic_revenue_{rows}"
    folder.mkdir(exist_ok=True)
    path = folder / "invoices.csv"
    revenue_write(path, rows)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)

    job, peak = import_peak(mapped=mapped, capture=capture)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues[:3]
    assert job.counts["Revenue lines"]["created"] == rows
    return peak


# Measured 2026-12-06 on SQLite, chunks of 100: 5.88 MB at 200 rows, 7.00 MB
# at 2,000, so about 620 B a row. A snapshot of traced memory at the 5th
# and the 19th chunk of the 2,000 rows named what the import kept for
# every line, about 630 B a row in all: the places each invoice's lines
# took (`_Writer.invoice_places`, 310 B, and 60 B for the invoice numbers
# it kept), how many lines each invoice and each line's values had
# (`LineKeys`, 100 B) and the revenue lines it created
# (`_Writer.created_keys`, 160 B). The places were always the first
# of the count, so they went; the counts are staged in the database for
# the run (RevenueKeyStage), and which lines the import created is read
# from its row changes, as for accounts. Then, with the bounds scaled
# (import_bounds_scale), three runs each: 12 to 21 B a row on SQLite
# (load 10 to 12), 39 to 43 on PostgreSQL (load 15).
def test_the_peak_memory_of_a_revenue_lines_import_does_not_grow_with_its_rows(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    # given
    import_bounds_scale(monkeypatch, chunk=CHUNK)
    for number in range(ACCOUNTS):
        Account.objects.create(name=f"Synthetic {number}")
    for number in range(PRODUCTS):
        Product.objects.create(name=f"Series {number}")
    peak_import(tmp_path, SMALL, django_capture_on_commit_callbacks)
    RevenueLine.objects.all().delete()

    # when
    small = peak_import(tmp_path, SMALL, django_capture_on_commit_callbacks)
    RevenueLine.objects.all().delete()
    large = peak_import(tmp_path, LARGE, django_capture_on_commit_callbacks)

    # then
    per_row = (large - small) / (LARGE - SMALL)
    print(f"peak: {SMALL:,} rows {small:,} B; {LARGE:,} rows {large:,} B")
    assert RevenueLine.objects.count() == LARGE
    assert RevenueKeyStage.objects.count() == 0
    assert per_row < BYTES_PER_ROW, f"the peak grew {per_row:.0f} B a row"
