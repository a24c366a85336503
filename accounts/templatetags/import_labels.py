import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.recognise import layout_label
from accounts.wizard import issue_place

register = template.Library()


@register.filter
def layout_words(kind: str) -> str:
    """Return a recognised layout's kind as words for a badge."""
    return layout_label(str(kind))


@register.filter
def issue_file(issue: dict[str, Any]) -> str:
    """Return the file a row report line names, or the whole import."""
    return issue_place(issue)[0]


@register.filter
def issue_line(issue: dict[str, Any]) -> int | str:
    """Return a row report line's line number, blank for the whole import."""
    return issue_place(issue)[1]


# A value may wrap at its spaces and after these marks; a run of more than
# LONG_TOKEN characters with neither may wrap anywhere (see wizard.css). A
# mark between two digits is part of a number or a date ("1.234,567",
# "2026-12-31"), which reads wrongly over two lines: it is no wrap point.
_WRAP_MARKS = r"_./\\,;:@=&?+-"
_AFTER_MARK = re.compile(rf"(?<=[{_WRAP_MARKS}])(?!(?<=\d[{_WRAP_MARKS}])\d)")
_TOKEN_ENDS = re.compile(rf"\s+|[{_WRAP_MARKS}]+(?!(?<=\d[{_WRAP_MARKS}])\d)")
LONG_TOKEN = 24


@register.filter
def wrap_points(value: object) -> SafeString:
    """Return the value escaped, with a chance to wrap after each mark."""
    parts = _AFTER_MARK.split(str(value))
    return mark_safe("<wbr>".join(escape(part) for part in parts))  # noqa: S308


@register.filter
def has_long_token(value: object) -> bool:
    """Say if the value holds a run too long to wrap at a space or mark."""
    return any(len(token) > LONG_TOKEN for token in _TOKEN_ENDS.split(str(value)))


@register.filter
def has_long_word(value: object) -> bool:
    """Say if the text holds a run too long to wrap, with no space in it."""
    return any(len(word) > LONG_TOKEN for word in str(value).split())
