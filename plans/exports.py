"""Tables as CSV and XLSX files, safe to open in a spreadsheet.

CSV text cells go through config.spreadsheet.cell_neutralise. XLSX marks
each cell's type, so its text cells are written as text as they are: a name
starting with = stays that name, never a formula. Numbers are written as
numbers, so a negative revenue stays a negative number.
"""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from config.spreadsheet import cell_neutralise

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | Decimal | date | datetime | bool | None


@dataclass(frozen=True)
class Table:
    """One table to export: a sheet in a workbook, or one CSV file."""

    name: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


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


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # openpyxl writes Decimal as a number too; float keeps readers simple.
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        # XLSX has no time zones; the caller passes local times.
        return value.replace(tzinfo=None)
    return value


def _xlsx_append(sheet: Any, values: Iterable[Any]) -> None:
    """Append a row, its text cells typed as text even when they start with =."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        # openpyxl takes any text starting with = for a formula; typed as a
        # string the cell shows the text and nothing runs.
        if cell.data_type == "f":
            cell.data_type = "s"


def tables_xlsx(*, tables: Iterable[Table]) -> bytes:
    """Return a workbook with one sheet per table, headers in bold."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for table in tables:
        # Sheet titles are at most 31 characters and may not hold []:*?/\.
        title = "".join(c for c in table.name if c not in "[]:*?/\\")[:31]
        sheet = workbook.create_sheet(title=title or "Sheet")
        _xlsx_append(sheet, table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            _xlsx_append(sheet, (_xlsx_value(value) for value in row))
        for cell in sheet[1]:
            width = max(len(str(cell.value or "")) + 2, 12)
            sheet.column_dimensions[cell.column_letter].width = min(width, 40)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
