"""The portfolio table's rows, written in one pass.

At 100,000 accounts the template loop over a page of 50 rows was most of
the page's own work: a URL reversed and eight cells resolved and filtered
per row. Here the account URL is reversed once per page and each row is
formatted directly; the cells read as the template's did.

The name cell also carries the sector and country, folded under the name,
for tablet widths where their own columns are hidden (portfolio.css).
"""

from collections.abc import Iterable

from django import template
from django.template.defaultfilters import capfirst, floatformat
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from accounts.currency import amount_text
from scoring.models import AccountScore

register = template.Library()

# An id no account has, reversed once and replaced by each row's id.
_MARK = 918_273_645
EMPTY_ROW = (
    '<tr><td colspan="8" class="muted">No account matches these filters.</td></tr>'
)


@register.simple_tag
def portfolio_rows(rows: Iterable[AccountScore], currency: str) -> SafeString:
    """Return the table rows of one portfolio page, or the empty row.

    Revenue is in `currency`, the run's reporting currency, with its decimals.
    """
    before, after = reverse("accounts:detail", args=[_MARK]).split(str(_MARK))
    quadrants = dict(AccountScore.Quadrant.choices)
    html = format_html_join(
        "",
        '<tr data-account="{}"><td><a href="{}{}{}">{}</a>'
        '<span class="folded">{}</span></td><td>{}</td>'
        '<td>{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td><span class="badge {}">{}</span></td>'
        "<td>{}</td></tr>",
        (
            (
                score.account_id,
                before,
                score.account_id,
                after,
                score.account.name,
                " · ".join(
                    part
                    for part in (capfirst(score.account.sector), score.account.country)
                    if part
                ),
                capfirst(score.account.sector),
                score.account.country,
                amount_text(score.ttm_revenue, currency),
                floatformat(score.performance, 0),
                floatformat(score.potential, 0),
                score.quadrant,
                quadrants.get(score.quadrant, score.quadrant),
                score.tier,
            )
            for score in rows
        ),
    )
    return html or mark_safe(EMPTY_ROW)
