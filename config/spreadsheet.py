"""Text that a spreadsheet would run as a formula, made inert.

A spreadsheet runs a cell that starts with =, +, - or @ as a formula, and
some also treat a leading tab or carriage return as the start of one. Every
file Lode writes for a spreadsheet (exports, import row reports) passes its
text cells through `cell_neutralise`, which puts a leading apostrophe in
front: every spreadsheet shows that as plain text.
"""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralise(value: Any) -> Any:
    """Return the value, with text that a spreadsheet would run made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
