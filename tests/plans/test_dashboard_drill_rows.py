"""The drill-down rows, written in one pass, read as the template loop did."""

import re
from dataclasses import replace
from decimal import Decimal

import pytest
from django.template import Context, Template

from plans.dashboard import AccountRow, ScoreFact, dashboard_for_user
from plans.templatetags.drill_rows import drill_rows
from tests.plans.test_dashboard import Team, build_team

# The drill-down's row markup as a template, as it was before the rows were
# written in one pass (each rep since kept whole); the tag must give the
# same cells.
TEMPLATE_ROWS = Template(
    """{% load money %}{% for row in rows %}
<tr>
<td><a href="{% url 'accounts:detail' row.pk %}">{{ row.name }}</a></td>
<td class="reps">{% for rep in row.reps|slice:":3" %}<span class="rep" title="{{ rep }}">{{ rep }}</span>{% if not forloop.last %}, {% endif %}{% empty %}—{% endfor %}{% if row.reps|length > 3 %} <span class="muted rep" title="{{ row.reps|join:', ' }}">+{{ row.reps|length|add:"-3" }} more</span>{% endif %}</td>
<td>{% if row.score %}<span class="badge {{ row.score.quadrant }}">{{ row.score.quadrant|capfirst }}</span>{% else %}<span class="muted">Not scored</span>{% endif %}</td>
<td>{{ row.score.tier|default:"—" }}</td>
<td class="num">{% if row.score %}{{ row.score.potential|floatformat:0 }}{% else %}—{% endif %}</td>
<td class="num">{% if row.ttm_revenue is not None %}{{ row.ttm_revenue|amount:currency }}{% else %}—{% endif %}</td>
<td class="num">{% if row.completeness %}{{ row.completeness.percent }}%{% else %}<span class="muted">No plan</span>{% endif %}</td>
<td class="nowrap">{% if row.plan_id %}<a href="{% url 'plans:detail' row.plan_id %}">Plan</a> · <a href="{% url 'plans:reviews' row.plan_id %}">Reviews</a>{% else %}<a href="{% url 'plans:account' row.pk %}">Start a plan</a>{% endif %}</td>
</tr>{% endfor %}"""  # noqa: E501
)


@pytest.fixture
def team_data(db: None) -> Team:
    return build_team()


def _joined(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_the_rows_read_as_the_template_did(team_data: Team) -> None:
    # given: the team's rows, and one with five reps, a hostile name, no
    # tier and a revenue in the millions
    rows = list(dashboard_for_user(user=team_data.manager).rows.values())
    rows.append(
        AccountRow(
            pk=91,
            name='<b>"Hostile" & Co</b>',
            reps=["Ann", "Bo", "Cy", "Di", "<i>Ed</i>"],
            regions=["North"],
            score=ScoreFact(91, 70.5, 62.5, "expand", ""),
            ttm_revenue=Decimal("1234567.50"),
        )
    )
    rows.append(replace(rows[-1], pk=92, score=None, ttm_revenue=None, reps=[]))

    # when
    written = drill_rows(rows, "USD")

    # then
    expected = TEMPLATE_ROWS.render(Context({"rows": rows, "currency": "USD"}))
    assert _joined(written) == _joined(expected)
    assert written.count("<tr>") == len(rows) == 6
    assert "&lt;b&gt;&quot;Hostile&quot; &amp; Co&lt;/b&gt;" in written
    assert (
        '<td class="reps"><span class="rep" title="Ann">Ann</span>, '
        '<span class="rep" title="Bo">Bo</span>, '
        '<span class="rep" title="Cy">Cy</span> <span class="muted rep" '
        'title="Ann, Bo, Cy, Di, &lt;i&gt;Ed&lt;/i&gt;">+2 more</span></td>' in written
    )
    assert '<td class="num">1,234,567.50</td>' in written


def test_revenue_keeps_the_reporting_currencys_decimals() -> None:
    row = AccountRow(
        pk=93,
        name="Dinar Trading",
        reps=[],
        regions=[],
        ttm_revenue=Decimal("1234.5"),
    )

    assert '<td class="num">1,234.500</td>' in drill_rows([row], "KWD")
    # Half to even, as every converted figure is rounded.
    assert '<td class="num">1,234</td>' in drill_rows([row], "JPY")


def test_no_rows_give_no_markup() -> None:
    assert drill_rows([], "USD") == ""
