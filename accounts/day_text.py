"""Read a date a person typed, as YYYY-MM-DD only, and say why not otherwise.

The deal page and the deal API share these words. A date written with
slashes (05/01/2026) is never guessed: it is refused, naming each way it
could be read, even when only one is a real day (25/01/2026), so the rule
is one and the same whatever the numbers.
"""

import re
from datetime import date

from django.utils.dateformat import format as date_format

ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
SLASHED_DAY = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
# The date box of a browser such as Chromium shows the day in the
# browser's own way (10/20/2016 in US English) and sends YYYY-MM-DD, so
# the help must not call every slashed date refused: only one typed as
# text, where the browser has no date box, and one sent to the API.
DAY_FORMAT_HELP = (
    "The box shows the day your browser's way (10/20/2016 in US English). "
    "Typed as text, or in the API, a date is YYYY-MM-DD; one with slashes is "
    "refused, not guessed."
)
NOT_ISO_DAY = "Enter the date as YYYY-MM-DD, such as 2026-03-31."


class DayTextError(ValueError):
    """A typed date that is not YYYY-MM-DD, with the message to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _spelled(day: date) -> str:
    return date_format(day, "j F Y")


def day_from_text(text: str) -> date:
    """Return the day YYYY-MM-DD names, or raise DayTextError saying why not."""
    text = text.strip()
    iso = ISO_DAY.fullmatch(text)
    if iso:
        found = _day(*(int(part) for part in iso.groups()))
        if found is not None:
            return found
        raise DayTextError(f"{text} is not a day of the calendar.")

    slashed = SLASHED_DAY.fullmatch(text)
    if slashed is None:
        raise DayTextError(NOT_ISO_DAY)
    first, second, year = (int(part) for part in slashed.groups())
    readings = [
        found
        for found in (_day(year, second, first), _day(year, first, second))
        if found is not None
    ]
    readings = list(dict.fromkeys(readings))
    if len(readings) == 2:
        day_first, month_first = readings
        raise DayTextError(
            f"{text} could be {_spelled(day_first)} (day first) or "
            f"{_spelled(month_first)} (month first): enter the date as "
            f"YYYY-MM-DD, {day_first.isoformat()} or {month_first.isoformat()}."
        )
    if len(readings) == 1:
        raise DayTextError(
            f"{text} is not written YYYY-MM-DD: if it is "
            f"{_spelled(readings[0])}, enter {readings[0].isoformat()}."
        )
    raise DayTextError(f"{text} is not a day of the calendar.")
