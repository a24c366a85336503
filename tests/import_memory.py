"""Measure the peak memory of one import run, for the bounded-memory tests.

Each test imports a smaller and a larger synthetic file with every bound
of the import scaled down to a chunk of a few rows, and compares the two
peaks: what a row adds is what the import keeps for each row.
"""

import gc
import os
import tracemalloc
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from accounts import row_report, streaming, wizard
from accounts.models import ImportJob, MappedImport
from accounts.wizard import mapped_import_run

# What a row may add to the peak. Anything an import kept for each row (its
# cells, an id in a set, a name in a dict) costs more than this; what is
# left is noise of a few kilobytes between runs.
BYTES_PER_ROW = 50
# The bytes read at once to sniff a file and check its encoding: below the
# 11 to 12 kB of a smaller file of 200 rows, so that it reaches them too.
READ_BYTES = 4096

# How many tuples of each length CPython keeps for reuse once freed, and up
# to which length (3.11's PyTuple_MAXFREELIST and PyTuple_MAXSAVESIZE).
TUPLE_FREE_LIST = 2_000
TUPLE_FREE_LIST_LENGTHS = 20
# Lookups that fill CPython's type attribute cache (4,096 entries in 3.11,
# each lookup of an attribute of a class takes two) many times over.
TYPE_CACHE_LOOKUPS = 40_000


def memory_sizes(variable: str) -> tuple[int, int, int]:
    """Return the rows per chunk and the two file lengths compared.

    Small by default, so the suite stays quick; the environment variable,
    such as "5000,20000,100000", measures larger ones.
    """
    chunk, small, large = (
        int(number) for number in os.environ.get(variable, "100,200,2000").split(",")
    )
    return chunk, small, large


def import_bounds_scale(monkeypatch: pytest.MonkeyPatch, *, chunk: int) -> None:
    """Scale every bound of an import run to chunks of `chunk` rows.

    A bounded read or buffer that only the larger file fills would count
    as growth: the chunks, the report sorted in runs of about a chunk and
    merged four at a time, the plan's head (up to PREVIEW_READ_ROWS rows),
    and the blocks read to sniff a file and check its encoding.
    """
    monkeypatch.setattr(streaming, "CHUNK_ROWS", chunk)
    monkeypatch.setattr(row_report, "RUN_BYTES", chunk * 2 * row_report.LINE_OVERHEAD)
    monkeypatch.setattr(row_report, "MERGE_FAN_IN", 4)
    monkeypatch.setattr(wizard, "PREVIEW_READ_ROWS", chunk)
    monkeypatch.setattr(streaming, "HEAD_BYTES", READ_BYTES)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", READ_BYTES)


def tuple_free_lists_fill() -> None:
    """Fill CPython's free list of each short tuple length to its cap.

    A tuple that Python builds by growing it (`zip(*row)` in Django's
    bulk_create builds one of 16 items a staged row) takes no tuple from
    the free list, but goes to it when freed: the list of that length
    grows by a tuple a row until it holds TUPLE_FREE_LIST. Filled first,
    under tracing, that bounded memory counts alike in every import.
    """
    held = [
        tuple(range(length))
        for length in range(1, TUPLE_FREE_LIST_LENGTHS + 1)
        for _ in range(TUPLE_FREE_LIST)
    ]
    del held


class _Probe:
    pass


def type_attribute_cache_fill() -> None:
    """Fill CPython's type attribute cache with names of traced strings.

    The cache keeps the last name looked up in each entry alive, and finds
    an entry by the name's address: a name built as it is asked for (the
    "as_" + vendor of Django's SQL compiler) is a new string each time, so
    the cache keeps up to 4,096 such strings, more of them the longer the
    import runs. Filled first, under tracing, with strings no shorter, that
    bounded memory counts alike in every import.
    """
    for number in range(TYPE_CACHE_LOOKUPS):
        getattr(_Probe, f"probe_{number:010d}", None)


def import_peak(
    *,
    mapped: MappedImport,
    capture: Callable[..., AbstractContextManager[Any]],
) -> tuple[ImportJob, int]:
    """Run a started import under tracing; return its job and peak bytes.

    `capture` is pytest-django's django_capture_on_commit_callbacks: the
    score run the import's commit would start is not run.
    """
    # A full collection empties the free lists, so each is filled below
    # with traced tuples only; none runs during the import, which would
    # empty them again at a moment that differs from one import to the
    # next. Cyclic garbage the import left would then add to its peak.
    gc.collect()
    gc.disable()

    tracemalloc.start()
    try:
        tuple_free_lists_fill()
        type_attribute_cache_fill()
        tracemalloc.reset_peak()
        with capture(execute=False):
            job = mapped_import_run(mapped=mapped)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        gc.enable()
    return job, peak
