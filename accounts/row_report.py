"""Put an import's row report in file order, whatever order it was logged in.

A run logs each row as it writes it: kind of record by kind (users before
accounts), the rows of merged accounts once every accounts file is read,
the refused rows last. The report reads by file, then line; the notes on
the import as a whole (line 0) close it. Sorted in runs of about RUN_BYTES
held in memory, then merged from disk MERGE_FAN_IN runs at a time, pass
after pass, so what the sort holds is the same for a report of a thousand
rows or of millions.
"""

from __future__ import annotations

import csv
import heapq
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

# About how many bytes of report lines one sorted run holds in memory.
RUN_BYTES = 8_000_000
# How many sorted runs one merge reads at once: each open run holds its
# file's read buffers.
MERGE_FAN_IN = 16
# What a line costs in memory beyond its text: the list and a str a cell.
LINE_OVERHEAD = 400

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
    """Sort the report at `path` in place, keeping the order within a row.

    sorted() and heapq.merge() are both stable, and a merge only ever joins
    runs that follow each other in the file: a row's lines keep the order
    they were logged in (the record, then what it led to).
    """
    # Sorted runs waiting to be merged, by how many merges made them: each
    # level's runs come after all the runs of the levels above it.
    levels: list[list[Path]] = []
    try:
        with path.open(newline="", encoding="utf-8") as source:
            for lines in _runs(csv.reader(source)):
                lines.sort(key=_key)
                _level_add(path, levels, _written(path, lines))
                # Not held while the next run is read.
                del lines
        # What is left, in file order, merged a few runs at a time to one.
        levels = [[run for level in reversed(levels) for run in level]]
        while len(levels[-1]) > 1:
            runs = levels[-1]
            levels.append([])
            for start in range(0, len(runs), MERGE_FAN_IN):
                levels[-1].append(_merged(path, runs[start : start + MERGE_FAN_IN]))
            levels = [levels[-1]]
        for run in levels[-1]:
            os.replace(run, path)
        levels = []
    finally:
        for level in levels:
            for run in level:
                run.unlink(missing_ok=True)


def _runs(reader: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    """Yield the report's lines in runs of about RUN_BYTES each."""
    while True:
        run: list[list[str]] = []
        size = 0
        for row in reader:
            run.append(row)
            size += LINE_OVERHEAD + sum(len(cell) for cell in row)
            if size >= RUN_BYTES:
                break
        if not run:
            return
        yield run


def _level_add(beside: Path, levels: list[list[Path]], run: Path) -> None:
    """Add a sorted run; merge a level's runs into one once it has enough."""
    depth = 0
    while True:
        if depth == len(levels):
            levels.append([])
        levels[depth].append(run)
        if len(levels[depth]) < MERGE_FAN_IN:
            return
        run = _merged(beside, levels[depth])
        levels[depth] = []
        depth += 1


def _merged(beside: Path, runs: list[Path]) -> Path:
    """Merge sorted runs, in their order, into one; delete the runs."""
    if len(runs) == 1:
        return runs[0]
    with ExitStack() as stack:
        readers = [
            csv.reader(stack.enter_context(run.open(newline="", encoding="utf-8")))
            for run in runs
        ]
        merged = _written(beside, heapq.merge(*readers, key=_key))
    for run in runs:
        run.unlink(missing_ok=True)
    return merged


def _key(row: list[str]) -> RowKey:
    return row_report_key(file=row[0], line=int(row[1]))


def _written(beside: Path, rows: Iterable[list[str]]) -> Path:
    handle, name = tempfile.mkstemp(dir=beside.parent, suffix=".csv")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(rows)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)
