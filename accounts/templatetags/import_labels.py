from typing import Any

from django import template

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
