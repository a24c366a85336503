"""The plausible range of free text and dates that people type in.

A year 9999 or a 100,000-character note is a slip or an attack, never
data; the API and the plan services refuse both, naming the field.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

# Generous for a note or a piece of evidence, far below what would slow
# the pages, the exports or the search that show it.
TEXT_MAX = 10_000
DATE_MIN = date(1990, 1, 1)
DATE_MAX = date(2099, 12, 31)
# The largest id a row can have: a 64-bit signed integer. A bigger one in a
# URL names nothing, and SQLite would overflow on it rather than find nothing.
ID_MAX = 2**63 - 1

TEXT_MESSAGE = f"Keep this under {TEXT_MAX:,} characters."
DATE_MESSAGE = f"Give a date from {DATE_MIN:%-d %B %Y} to {DATE_MAX:%-d %B %Y}."


def text_problem(value: Any) -> str | None:
    """Return why the text is implausible, or None if it is fine."""
    if isinstance(value, str) and len(value) > TEXT_MAX:
        return TEXT_MESSAGE
    return None


def date_problem(value: Any) -> str | None:
    """Return why the date or moment is implausible, or None if it is fine."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date) and not DATE_MIN <= value <= DATE_MAX:
        return DATE_MESSAGE
    return None


def id_possible(value: int) -> bool:
    """Return whether a row could have this id."""
    return 0 < value <= ID_MAX


def query_id(query: Mapping[str, str], name: str) -> int | None:
    """Return the row id a page's query parameter names, None for nonsense."""
    text = (query.get(name) or "").strip()
    try:
        number = int(text)
    except ValueError:
        return None
    return number if id_possible(number) else None
