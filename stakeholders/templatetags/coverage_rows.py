"""The coverage roll-up's rows, written in one pass.

A page is 100 accounts of nine counts each. Through the template loop
that was a reversed URL and nine cells, each with its condition and its
filter, per row: most of the page's own work at 100,000 accounts. Here
the account URL is reversed once per page, with a marker id replaced by
each row's, and the cells read as the template's did.
"""

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from stakeholders.selectors import CoverageRow

register = template.Library()

# An id no account has, reversed once and replaced by each row's id.
_MARK = 918_273_645
EMPTY_ROW = '<tr><td colspan="9" class="muted">You see no accounts yet.</td></tr>'


def _count_cell(count: int) -> SafeString:
    if count:
        return format_html('<td class="num hot">{}</td>', count)
    return mark_safe('<td class="num">·</td>')


@register.simple_tag
def coverage_rows(rows: Iterable[CoverageRow]) -> SafeString:
    """Return the table rows of one roll-up page, or the empty row."""
    before, after = reverse("stakeholders:account", args=[_MARK]).split(str(_MARK))
    html = format_html_join(
        "\n",
        '<tr><td><a href="{}{}{}">{}</a></td><td class="num">{}</td>{}</tr>',
        (
            (
                before,
                row.account.pk,
                after,
                row.account.name,
                row.people,
                mark_safe("".join(_count_cell(count) for count in row.counts)),
            )
            for row in rows
        ),
    )
    return html or mark_safe(EMPTY_ROW)
