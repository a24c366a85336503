"""Put an import's row report in file order, whatever order it was logged in.

A run logs each row as it writes it: kind of record by kind (users before
accounts), the rows of merged accounts once every accounts file is read,
the refused rows last. The report reads by file, then line; the notes on
the import as a whole (line 0) close it. Sorted in runs of RUN_LINES lines,
merged from disk, so a report of millions of rows never sits in memory
whole.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

# How many report lines one sorted run holds in memory.
RUN_LINES = 200_000

RowKey = tuple[bool, str, int]


def row_report_key(*, file: str, line: int) -> RowKey:
    """Return where a report line stands: by file and line, whole-import last."""
    return (not line, file, line)


class RowReportOrder:
    """Note whether a run logged any line before one it logged earlier."""

    def __init__(self) -> None:
        self.last = row_report_key(file="", line=1)
        self.sorted = True

    def note(self, *, file: str, line: int) -> None:
        place = row_report_key(file=file, line=line)
        self.sorted = self.sorted and self.last <= place
        self.last = place


def row_report_sort(*, path: Path) -> None:
    """Sort the report at `path` in place, keeping the order within a row."""
    with ExitStack() as stack:
        source = stack.enter_context(path.open(newline="", encoding="utf-8"))
        reader = csv.reader(source)
        runs: list[Path] = []
        while chunk := list(itertools.islice(reader, RUN_LINES)):
            # sorted() and heapq.merge() are both stable: a row's lines keep
            # the order they were logged in (the record, then what it led to).
            chunk.sort(key=_key)
            runs.append(_written(path, chunk))
        for run in runs:
            stack.callback(run.unlink, missing_ok=True)
        merged = heapq.merge(*(_read(stack, run) for run in runs), key=_key)
        os.replace(_written(path, merged), path)


def _key(row: list[str]) -> RowKey:
    return row_report_key(file=row[0], line=int(row[1]))


def _written(beside: Path, rows: Iterator[list[str]] | list[list[str]]) -> Path:
    handle, name = tempfile.mkstemp(dir=beside.parent, suffix=".csv")
    with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return Path(name)


def _read(stack: ExitStack, path: Path) -> Iterator[list[str]]:
    return csv.reader(stack.enter_context(path.open(newline="", encoding="utf-8")))
