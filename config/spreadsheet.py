"""Text that a spreadsheet would run as a formula, made inert.

A spreadsheet runs a cell that starts with =, +, - or @ as a formula, and
some also treat a leading tab or carriage return as the start of one. Every
file Lode writes for a spreadsheet (exports, import row reports) passes its
text cells through `cell_neutralise`, which puts a leading apostrophe in
front: every spreadsheet shows that as plain text. A cell that is only a
signed number, as "-99.99" or "-1,234.50", is left as it is: a spreadsheet
reads it as that number and runs nothing.

Such a CSV goes out as UTF-8 said in its content type and with a byte order
mark first: without the mark Excel reads it as the system's code page and
shows "Pérez" as "PÃ©rez".
"""

import re
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
SIGNED_NUMBER = re.compile(r"[-+](?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def csv_for_spreadsheet(chunks: Iterable[str]) -> Iterator[str]:
    """Yield CSV text for a spreadsheet: the byte order mark, then the text."""
    yield BOM
    yield from chunks


def cell_neutralise(value: Any) -> Any:
    """Return the value, with text that a spreadsheet would run made inert."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not SIGNED_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
