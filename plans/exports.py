"""Tables as CSV and XLSX files, safe to open in a spreadsheet.

CSV text cells go through config.spreadsheet.cell_neutralise. XLSX marks
each cell's type, so its text cells are written as text as they are: a name
starting with = stays that name, never a formula. Numbers are written as
numbers, so a negative revenue stays a negative number.

Both are written a row at a time and sent as they are written, so a table
of 100,000 rows is never held whole: CSV as chunks of text, XLSX as its
sheets' XML compressed into the ZIP archive on the way out (xlsx_chunks).
Writing the sheets' XML here rather than through a spreadsheet library
took the 100,000-account workbook from minutes to seconds: the library's
per-cell checks cost more than writing the file.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any, cast

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
    return b"".join(xlsx_chunks(tables=tables))


# The workbook's fixed parts. Styles by index: 0 plain, 1 bold (headers),
# 2 a date, 3 a date and time, both in ISO order.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
    "</border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    "</cellStyleXfs>"
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" '
    'applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
# Control characters XML cannot hold, stored as the format escapes them
# (_xHHHH_); tab and line feed stay as they are.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")
# What a text cell needs beyond plain characters: escaping, or keeping its
# outer blanks (xml:space="preserve").
_SPECIAL = re.compile("[&<>\x00-\x08\x0b-\x1f]|^\\s|\\s$")
# Excel's day 0, so that 1900-01-01 is day 1 (its 1900 leap year included).
_EPOCH = datetime(1899, 12, 30)
# Bytes gathered before a chunk leaves: large enough for few chunks, small
# enough that a download starts at once.
_CHUNK_BYTES = 64 * 1024
# Rows whose XML is joined before it goes into the archive.
_ROWS_WRITTEN = 200


class _Sink:
    """A write-only stream whose bytes are taken away a chunk at a time."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _text_xml(reference: str, text: str, style: str = "") -> str:
    """Return a cell holding text as text, never as a formula."""
    if _SPECIAL.search(text):
        text = escape(text, quote=False)
        text = _CONTROL.sub(lambda found: f"_x{ord(found[0]):04X}_", text)
        return (
            f'<c r="{reference}"{style} t="inlineStr"><is>'
            f'<t xml:space="preserve">{text}</t></is></c>'
        )
    return f'<c r="{reference}"{style} t="inlineStr"><is><t>{text}</t></is></c>'


def _cell_xml(reference: str, value: Cell) -> str:
    """Return one cell by its value's type; an empty cell is left out."""
    kind = type(value)
    if kind is str:
        return _text_xml(reference, cast(str, value))
    if value is None:
        return ""
    if kind is bool:
        return f'<c r="{reference}" t="b"><v>{int(cast(bool, value))}</v></c>'
    if kind is int or kind is float or kind is Decimal:
        # 16 significant digits, as Excel keeps 15: 1250 stays 1250.
        return f'<c r="{reference}"><v>{float(cast(float, value)):.16G}</v></c>'
    if isinstance(value, datetime):
        # XLSX has no time zones; the caller passes local times.
        serial = (value.replace(tzinfo=None) - _EPOCH) / timedelta(days=1)
        return f'<c r="{reference}" s="3"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        serial = (value - _EPOCH.date()).days
        return f'<c r="{reference}" s="2"><v>{serial}</v></c>'
    return _text_xml(reference, str(value))


def _sheet_title(name: str, taken: set[str]) -> str:
    # Sheet titles are at most 31 characters, may not hold []:*?/\ and
    # differ from each other whatever their case.
    title = "".join(c for c in name if c not in "[]:*?/\\")[:31] or "Sheet"
    number = 1
    while title.lower() in taken:
        number += 1
        title = f"{title[: 31 - len(str(number)) - 1]} {number}"
    taken.add(title.lower())
    return title


def xlsx_chunks(*, tables: Iterable[Table]) -> Iterator[bytes]:
    """Yield a workbook with one sheet per table as it is written.

    For a streamed download of any size: each sheet's rows are written as
    XML into the ZIP archive as they are read, compressed on the way, and
    the archive's bytes leave every few dozen kilobytes, so neither the
    rows nor the file are ever held whole. Each cell is typed: text as
    inline text (never a formula, whatever it starts with), numbers as
    numbers, dates and times as dates with a format; headers are bold and
    stay in view.
    """
    sink = _Sink()
    titles: list[str] = []
    taken: set[str] = set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, table in enumerate(tables, start=1):
            titles.append(_sheet_title(table.name, taken))
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as part:
                part.write(_sheet_start(table.headers).encode())
                columns = [_column_name(index) for index in range(len(table.headers))]
                lines = []
                for row_number, row in enumerate(table.rows, start=2):
                    cells = "".join(
                        [
                            _cell_xml(f"{column}{row_number}", value)
                            for column, value in zip(columns, row, strict=False)
                        ]
                    )
                    lines.append(f'<row r="{row_number}">{cells}</row>')
                    if len(lines) >= _ROWS_WRITTEN:
                        part.write("".join(lines).encode())
                        lines = []
                        if sink.size >= _CHUNK_BYTES:
                            yield sink.take()
                part.write(("".join(lines) + "</sheetData></worksheet>").encode())
            yield sink.take()
        _package_write(archive, titles)
    yield sink.take()


def _sheet_start(headers: Sequence[str]) -> str:
    widths = "".join(
        f'<col min="{index}" max="{index}" '
        f'width="{min(max(len(header) + 2, 12), 40)}" customWidth="1"/>'
        for index, header in enumerate(headers, start=1)
    )
    cells = "".join(
        _text_xml(f"{_column_name(index)}1", header, ' s="1"')
        for index, header in enumerate(headers)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{_MAIN}" xmlns:r="{_DOCUMENT}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        f"{f'<cols>{widths}</cols>' if widths else ''}"
        f'<sheetData><row r="1">{cells}</row>'
    )


def _package_write(archive: zipfile.ZipFile, titles: list[str]) -> None:
    """Write the parts that tie the sheets into a workbook."""
    numbers = range(1, len(titles) + 1)
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
        f'ContentType="{_SHEET_TYPE}.worksheet+xml"/>'
        for number in numbers
    )
    archive.writestr(
        "[Content_Types].xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        f'ContentType="{_SHEET_TYPE}.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        f'ContentType="{_SHEET_TYPE}.styles+xml"/>'
        f"{sheets}</Types>",
    )
    archive.writestr(
        "_rels/.rels",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_DOCUMENT}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
    )
    archive.writestr(
        "xl/workbook.xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_DOCUMENT}"><sheets>'
        + "".join(
            f'<sheet name="{escape(title)}" sheetId="{number}" r:id="rId{number}"/>'
            for number, title in zip(numbers, titles, strict=True)
        )
        + "</sheets></workbook>",
    )
    archive.writestr(
        "xl/_rels/workbook.xml.rels",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_RELATIONSHIPS}">'
        + "".join(
            f'<Relationship Id="rId{number}" Type="{_DOCUMENT}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
            for number in numbers
        )
        + f'<Relationship Id="rId{len(titles) + 1}" Type="{_DOCUMENT}/styles" '
        'Target="styles.xml"/></Relationships>',
    )
    archive.writestr("xl/styles.xml", _STYLES)
