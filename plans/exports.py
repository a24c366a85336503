"""Tables as CSV and XLSX files, safe to open in a spreadsheet.

CSV text cells go through config.spreadsheet.cell_neutralise. XLSX marks
each cell's type, so its text cells are written as text as they are: a name
starting with = stays that name, never a formula. Numbers are written as
numbers, so a negative revenue stays a negative number.

Both are written a row at a time, so a table of 100,000 rows is never held
whole: CSV as chunks of text, XLSX through xlsxwriter's constant memory
mode, which writes each row to disk once the next one starts.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter

from config.spreadsheet import cell_neutralise

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | Decimal | date | datetime | bool | None


@dataclass(frozen=True)
class Table:
    """One table to export: a sheet in a workbook, or one CSV file.

    Its rows may be an iterator, read once as the file is written.
    """

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Cell]]


def _csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return cell_neutralise(value)


def csv_chunks(
    *, headers: Sequence[str], rows: Iterable[Sequence[Cell]], rows_per_chunk: int = 500
) -> Iterator[bytes]:
    """Yield a table as UTF-8 CSV with a byte order mark, a few rows a chunk.

    For a streamed download: the first chunk is the byte order mark and the
    headers, sent before any row is read.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell_neutralise(header) for header in headers])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")

    buffer.seek(0)
    buffer.truncate()
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(value) for value in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def table_csv(*, table: Table) -> bytes:
    """Return the table as UTF-8 CSV with a byte order mark, for Excel."""
    return b"".join(csv_chunks(headers=table.headers, rows=table.rows))


def tables_xlsx(*, tables: Iterable[Table]) -> bytes:
    """Return a workbook with one sheet per table, headers in bold."""
    buffer = io.BytesIO()
    _xlsx_write(tables, buffer)
    return buffer.getvalue()


def tables_xlsx_file(*, tables: Iterable[Table]) -> IO[bytes]:
    """Write tables_xlsx's workbook to a temporary file; return it rewound.

    For a large download: the rows go to disk as they are read, and the
    file, deleted when closed, is sent a block at a time.
    """
    # Returned open: the response that sends it closes it.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        _xlsx_write(tables, output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    return output


def _xlsx_write(tables: Iterable[Table], output: IO[bytes]) -> None:
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
    formats = {
        "header": workbook.add_format({"bold": True}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    for table in tables:
        # Sheet titles are at most 31 characters and may not hold []:*?/\.
        title = "".join(c for c in table.name if c not in "[]:*?/\\")[:31]
        sheet = workbook.add_worksheet(title or "Sheet")
        for column, header in enumerate(table.headers):
            sheet.write_string(0, column, header, formats["header"])
            sheet.set_column(column, column, min(max(len(header) + 2, 12), 40))
        sheet.freeze_panes(1, 0)
        for number, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row):
                _xlsx_cell(sheet, number, column, value, formats)
    workbook.close()


def _xlsx_cell(
    sheet: Any, row: int, column: int, value: Cell, formats: dict[str, Any]
) -> None:
    """Write one cell by its type: text as text, never as a formula."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value))
    elif isinstance(value, datetime):
        # XLSX has no time zones; the caller passes local times.
        sheet.write_datetime(
            row, column, value.replace(tzinfo=None), formats["datetime"]
        )
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats["date"])
    else:
        sheet.write_string(row, column, value)
