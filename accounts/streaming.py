"""Read a stored CSV or XLSX file in chunks of rows, in bounded memory.

`table_chunks` yields accounts.tabular Tables of at most `rows` data rows
each, read as `table_read` reads a whole file (same encodings, delimiters,
line numbers, header repairs, blank rows and Salesforce report footers), so
a file of a million rows never sits whole in memory. A small file comes back
as one chunk equal to `table_read`'s Table.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from accounts.importing import ImportFileError
from accounts.tabular import (
    _OLE_MAGIC,
    _TOTALS,
    _ZIP_MAGIC,
    DELIMITERS,
    HEADER_CHOICE_LINES,
    HEADER_SCAN,
    SNIFF_RECORDS,
    LineTap,
    SheetMarks,
    ShortRows,
    Table,
    _table_build,
    byte_lines,
    csv_error_text,
    delimiter_chosen_check,
    delimiter_mix_check,
    delimiter_sniff,
    header_read,
    header_split,
    mixed_encoding_check,
    not_xlsx_check,
    nul_check,
    sheet_choose,
    sheet_records,
    summary_row,
    title_notes,
    workbook_open,
)

CHUNK_ROWS = 50_000
HEAD_BYTES = 64 * 1024
# The encoding check holds a block and its decoded text at once.
BLOCK_BYTES = 64 * 1024


def _blocks(stream: IO[bytes]) -> Iterator[bytes]:
    """Yield a file's bytes from its start, a block at a time."""
    stream.seek(0)
    yield from iter(lambda: stream.read(BLOCK_BYTES), b"")


def encoding_detect(*, path: Path, file: str) -> str:
    """Return the file's encoding, decided from all of it, like text_decode.

    The file is decoded block by block as strict UTF-8; one invalid byte
    anywhere makes it Windows-1252, which decodes every byte.
    """
    with path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return "utf-16"
        nul_check(blocks=lambda: _blocks(stream), file=file)
        stream.seek(0)
        bom = head.startswith(b"\xef\xbb\xbf")
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while block := stream.read(BLOCK_BYTES):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if bom:
                raise ImportFileError(
                    file, "the file starts with a UTF-8 mark but is not UTF-8"
                ) from None
        else:
            return "utf-8-sig" if bom else "utf-8"

        stream.seek(0)
        mixed_encoding_check(
            lines=byte_lines(iter(lambda: stream.read(BLOCK_BYTES), b"")), file=file
        )
        stream.seek(0)
        offset = 0
        while block := stream.read(BLOCK_BYTES):
            try:
                block.decode("cp1252")
            except UnicodeDecodeError as error:
                position = offset + error.start
                raise ImportFileError(
                    file,
                    f"byte {position} (0x{block[error.start]:02X}) is neither "
                    "UTF-8 nor Windows-1252; save the file as UTF-8 CSV and "
                    "upload it again",
                ) from error
            offset += len(block)
    return "cp1252"


def table_chunks(
    *,
    path: Path,
    file: str,
    rows: int | None = None,
    sheet: str | None = None,
    header_line: int | None = None,
    delimiter: str | None = None,
) -> Generator[Table, None, None]:
    """Yield the file's rows as Tables of about `rows` rows, in order.

    A chunk may run a little past `rows` so that it ends on a row with data.
    `sheet` names a workbook's sheet; see accounts.tabular.sheet_choose.
    `header_line` names the header row, else it is found (header_split).
    `delimiter` names a CSV file's delimiter, else it is detected; a
    workbook has none, and one named for it is not used.
    """
    rows = rows or CHUNK_ROWS
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    if not head.strip():
        raise ImportFileError(file, "the file is empty")
    if head.startswith(_ZIP_MAGIC):
        yield from _xlsx_chunks(
            path=path, file=file, rows=rows, sheet=sheet, header_line=header_line
        )
        return
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            file,
            "this is an old Excel .xls workbook; save it as .xlsx or CSV and "
            "upload that",
        )
    if sheet is not None:
        raise ImportFileError(file, "a sheet can only be chosen in an XLSX workbook")
    not_xlsx_check(file=file)
    yield from _csv_chunks(
        path=path, file=file, rows=rows, header_line=header_line, delimiter=delimiter
    )


def _csv_chunks(
    *,
    path: Path,
    file: str,
    rows: int,
    header_line: int | None,
    delimiter: str | None = None,
) -> Iterator[Table]:
    chosen = delimiter is not None
    encoding = encoding_detect(path=path, file=file)
    with path.open("r", encoding=encoding, newline="") as text:
        opened = os.fstat(text.fileno())
        head = text.read(HEAD_BYTES)
        text.seek(0)
        hint = re.match(r'"?sep=(.)"?(\r\n|\r|\n)', head)
        if hint and hint.group(1) in DELIMITERS:
            delimiter = delimiter or hint.group(1)
            text.readline()
        elif delimiter is None:
            delimiter = delimiter_sniff(text=head)
        tap = LineTap(_unchanged(text, opened=opened, file=file))
        reader = csv.reader(tap, delimiter=delimiter)
        try:
            records = _records(tap.checked(reader, file=file, delimiter=delimiter))
            yield from _chunked(
                records,
                file=file,
                rows=rows,
                encoding=encoding,
                delimiter=delimiter,
                delimiter_chosen=chosen,
                sheet=None,
                header_line=header_line,
            )
        except csv.Error as error:
            raise ImportFileError(
                file,
                f"line {reader.line_num} cannot be read as CSV "
                f"({csv_error_text(error)})",
            ) from error


def _unchanged(text: TextIO, *, opened: os.stat_result, file: str) -> Iterator[str]:
    """Yield the text's lines; refuse the file if it changed while read.

    A file rewritten in place under an open reader (another upload given
    the same folder) ends, for that reader, wherever the new one ends: its
    rows would be taken for the whole file without a word.
    """
    yield from text
    _unchanged_check(stream=text, opened=opened, file=file)


def _unchanged_check(*, stream: IO[Any], opened: os.stat_result, file: str) -> None:
    """Refuse the file if its size or time differ from when it was opened."""
    now = os.fstat(stream.fileno())
    if (now.st_size, now.st_mtime_ns) != (opened.st_size, opened.st_mtime_ns):
        raise ImportFileError(
            file,
            "the file changed while it was read, so it may not have been read "
            "whole; start the import again",
        )


def _rows_unchanged(
    rows: Iterator[tuple[Any, ...]],
    *,
    stream: IO[bytes],
    opened: os.stat_result,
    file: str,
) -> Iterator[tuple[Any, ...]]:
    """Yield a workbook's rows; refuse the workbook if it changed while read.

    A workbook is read through the ZIP directory found when it was opened:
    rewritten in place, its rows come from the new file's bytes at the old
    offsets, so reading fails in some way of the ZIP's or the XML's, or
    ends early. Each of these is said as the change it is.
    """
    try:
        yield from rows
    except Exception:
        _unchanged_check(stream=stream, opened=opened, file=file)
        raise
    _unchanged_check(stream=stream, opened=opened, file=file)


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    # A record's line is its place among the records, as a spreadsheet
    # user counts it: a quoted line break does not start a new line.
    yield from enumerate(reader, start=1)


def _xlsx_chunks(
    *, path: Path, file: str, rows: int, sheet: str | None, header_line: int | None
) -> Iterator[Table]:
    with path.open("rb") as stream:
        opened = os.fstat(stream.fileno())
        yield from _workbook_chunks(
            stream=stream,
            opened=opened,
            file=file,
            rows=rows,
            sheet=sheet,
            header_line=header_line,
        )


def _workbook_chunks(
    *,
    stream: IO[bytes],
    opened: os.stat_result,
    file: str,
    rows: int,
    sheet: str | None,
    header_line: int | None,
) -> Iterator[Table]:
    workbook = workbook_open(stream, file=file)
    marks = SheetMarks()
    try:
        sheet = sheet_choose(workbook=workbook, file=file, sheet=sheet)
        # Both reads share the stream: a ZIP member keeps its own offset.
        records = _rows_unchanged(
            sheet_records(
                workbook=workbook, sheet=sheet, source=stream, marks=marks, file=file
            ),
            stream=stream,
            opened=opened,
            file=file,
        )
        yield from _chunked(
            records,
            file=file,
            rows=rows,
            encoding="xlsx",
            delimiter=None,
            sheet=sheet,
            header_line=header_line,
            marks=marks,
        )
    finally:
        workbook.close()


def _chunked(
    records: Iterator[tuple[int, list[str]]],
    *,
    file: str,
    rows: int,
    encoding: str,
    delimiter: str | None,
    sheet: str | None,
    header_line: int | None = None,
    marks: SheetMarks | None = None,
    delimiter_chosen: bool = False,
) -> Iterator[Table]:
    head: list[tuple[int, list[str]]] = []
    unread: csv.Error | ImportFileError | None = None
    try:
        for line, record in records:
            if head or any(cell.strip() for cell in record):
                head.append((line, record))
            # Every line the header may be chosen from, and the rows below
            # it that header_read weighs it against.
            if len(head) > HEADER_SCAN and line >= HEADER_CHOICE_LINES + HEADER_SCAN:
                break
    except (csv.Error, ImportFileError) as error:
        # Said after the rows before it, as further down the file.
        unread = error
    if not head:
        if unread is not None:
            raise unread
        raise ImportFileError(
            file, "the file is empty" if sheet is None else f"sheet {sheet!r} is empty"
        )
    read = header_read(head, file=file, line=header_line)
    title, (_, header), rest = header_split(head, line=read.line, file=file)
    if delimiter is not None:
        (delimiter_chosen_check if delimiter_chosen else delimiter_mix_check)(
            header=header,
            rows=rest[:SNIFF_RECORDS],
            delimiter=delimiter,
            line=read.line,
            file=file,
        )
    records = itertools.chain(rest, _raising(unread) if unread else records)

    first = True
    batch: list[tuple[int, list[str]]] = []
    # The rows short of the header in every chunk, said with the last one.
    short_rows = ShortRows()

    def build(part: list[tuple[int, list[str]]], *, last: bool = False) -> Table:
        nonlocal first
        table = _table_build(
            file=file,
            header=header,
            header_line=read.line,
            rows=[cells for _, cells in part],
            lines=[line for line, _ in part],
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            notes=title_notes(title, file=file, chosen=read.chosen) if first else [],
            marks=marks,
            delimiter_chosen=delimiter_chosen,
            short_rows=short_rows,
            short_said=last,
        )
        if marks is not None and part:
            # Marked cells of rows already built are not needed again.
            marks.lines_forget(done=part[-1][0])
        if first:
            table.header = read
        else:
            # Header repairs are reported once, with the first chunk.
            table.notes = [note for note in table.notes if note.line != 1]
        first = False
        return table

    # A chunk is cut once a few rows past its end are read: enough to see
    # that it ends on a row with data. Reading twice its rows first would
    # hold two chunks of records at once.
    ahead = max(1, rows // 50)
    attempt = rows + ahead
    broken: csv.Error | None = None
    try:
        for line, record in records:
            batch.append((line, record))
            if len(batch) >= attempt:
                cut = _cut(batch, rows)
                if cut is None:
                    attempt = len(batch) + ahead
                    continue
                yield build(batch[:cut])
                batch = batch[cut:]
                attempt = rows + ahead
    except csv.Error as error:
        # The rows read so far come first, so a preview of the head works;
        # the error follows them.
        broken = error
    while len(batch) > rows:
        cut = _cut(batch, rows)
        if cut is None:
            break
        yield build(batch[:cut])
        batch = batch[cut:]
    if broken is None:
        yield build(batch, last=True)
        return
    if batch:
        yield build(batch, last=True)
    raise broken


def _raising(
    error: csv.Error | ImportFileError,
) -> Iterator[tuple[int, list[str]]]:
    raise error
    yield  # a generator: the error comes when the records run out


def _cut(batch: list[tuple[int, list[str]]], rows: int) -> int | None:
    """Return where to end a chunk: on a row with data, with data after it.

    A chunk never ends in blank or single-value rows, so a blank row inside
    the file is not reported as trailing and a report footer is never split;
    None means "read on": the rest of the batch may be the footer.
    """
    cut = rows
    while cut < len(batch) and _sparse(batch[cut - 1][1]):
        cut += 1
    return cut if cut < len(batch) else None


def _sparse(cells: list[str]) -> bool:
    filled = [cell.strip() for cell in cells if cell.strip()]
    return len(filled) <= 1 or bool(_TOTALS.match(filled[0])) or summary_row(filled)
