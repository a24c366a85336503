"""The dashboard's words agree with its counts, and say what they count.

On the hand-built team of tests.plans.test_dashboard, where most figures
count one thing.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from plans.dashboard import FIGURE_SINGULARS, FIGURE_TITLES, Figure
from tests.plans.test_dashboard import Team, build_team


@pytest.fixture
def team_data(db: None) -> Team:
    return build_team()


def test_every_singular_belongs_to_a_figure_and_differs_from_its_title() -> None:
    assert set(FIGURE_SINGULARS) <= set(FIGURE_TITLES)
    assert [
        key for key, word in FIGURE_SINGULARS.items() if word == FIGURE_TITLES[key]
    ] == []


@pytest.mark.parametrize(
    ("key", "count", "label"),
    [
        ("execution.overridden", 1, "Gate overridden"),
        ("execution.overridden", 0, "Gates overridden"),
        ("execution.overridden", 2, "Gates overridden"),
        ("coverage.unowned", 1, "Important person with no owner"),
        ("sentiment.0", 1, "Neutral"),
        ("effort.waiting", 1, "Waiting: high potential, little effort"),
    ],
)
def test_a_figure_label_agrees_with_its_count(key: str, count: int, label: str) -> None:
    assert Figure(key, FIGURE_TITLES[key], count).label == label


def test_the_dashboard_labels_agree_with_their_counts(
    client: Client, team_data: Team
) -> None:
    # given
    client.force_login(team_data.manager)

    # when
    body = client.get(reverse("plans:dashboard")).content.decode()

    # then: every figure row and sentiment tile, in page order
    rows = re.findall(
        r'<span class="figure-count">(\d+)</span>\s*'
        r'<span class="figure-title">([^<]*)</span>',
        body,
    )
    tiles = re.findall(
        r'<strong>(\d+)</strong> <span class="sentiment-label">([^<]*)</span>', body
    )
    assert rows == [
        ("1", "Changed quadrant over the quarters shown"),
        ("1", "Not scored yet"),
        ("3", "Expected roles with no named person"),
        ("1", "Important person with no owner"),
        ("1", "Relationship going stale"),
        ("1", "Pursuit claimed ahead of validated checkpoints"),
        ("1", "Gate overridden"),
        ("1", "Overdue action"),
        ("1", "Plan not touched recently"),
        ("1", "External force putting items at risk"),
        ("2", "Accounts without an open plan"),
        ("1", "Waiting: high potential, little effort"),
        ("1", "Tapped out: low potential, much effort"),
        ("1", "Plan under the completeness bar"),
    ]
    assert tiles == [
        ("1", "Opponent"),
        ("0", "Sceptics"),
        ("0", "Neutral"),
        ("1", "Supporter"),
        ("1", "Ally"),
    ]
    assert "no change to the plan or its items in 30 days." in body


def test_the_untouched_note_says_one_day(client: Client, team_data: Team) -> None:
    client.force_login(team_data.manager)

    body = client.get(reverse("plans:dashboard"), {"stale": "1"}).content.decode()

    assert "no change to the plan or its items in 1 day." in body


def test_a_quarter_cell_says_what_it_counts_when_pointed_at(
    client: Client, team_data: Team
) -> None:
    # given
    q3, q2, q1, q0 = team_data.quarters
    client.force_login(team_data.manager)

    # when
    body = client.get(reverse("plans:dashboard")).content.decode()

    # then
    titles = re.findall(r'class="count-link[^"]*"[^>]* title="([^"]*)"', body)
    assert f"1 pursuit won in {q1.label} across 1 account" in titles
    assert f"9 open whitespace cells at the start of {q0.label} across 4 accounts" in (
        titles
    )
    assert f"0 whitespace cells with a pursuit in {q3.label} across 0 accounts" in (
        titles
    )
    assert [title for title in titles if ": " in title] == []


@pytest.mark.parametrize(
    ("key", "counted"),
    [
        ("accounts", "4 accounts."),
        ("quadrant.grow", "1 account."),
        ("execution.no_plan", "2 accounts."),
        ("execution.overridden", "1 gate overridden across 1 account."),
        ("execution.overdue", "1 overdue action across 1 account."),
        (
            "coverage.missing_role",
            "3 expected roles with no named person across 3 accounts.",
        ),
        ("coverage.important", "2 important people across 1 account."),
        ("sentiment.2", "1 ally across 1 account."),
        ("sentiment.0", "0 neutral people across 0 accounts."),
        ("plans.incomplete", "1 plan under the completeness bar across 1 account."),
    ],
)
def test_the_drill_down_says_what_its_figure_counts(
    client: Client, team_data: Team, key: str, counted: str
) -> None:
    client.force_login(team_data.manager)

    response = client.get(reverse("plans:dashboard_accounts"), {"figure": key})

    body = response.content.decode()
    assert response.status_code == 200
    assert counted in body
    assert "counted on" not in body


def test_a_quarter_figure_drill_down_names_its_quarter(
    client: Client, team_data: Team
) -> None:
    # given
    q1, q0 = team_data.quarters[2:]
    client.force_login(team_data.manager)
    url = reverse("plans:dashboard_accounts")

    # when
    won = client.get(url, {"figure": f"outcome.won.{q1.slug}"}).content.decode()
    cells = client.get(url, {"figure": f"whitespace.open.{q0.slug}"}).content.decode()

    # then
    assert f"1 pursuit won in {q1.label} across 1 account." in won
    assert (
        f"9 open whitespace cells at the start of {q0.label} across 4 accounts."
        in cells
    )


def test_the_drill_down_says_when_the_dashboards_filters_apply(
    client: Client, team_data: Team
) -> None:
    client.force_login(team_data.manager)

    body = client.get(
        reverse("plans:dashboard_accounts"),
        {"figure": "accounts", "rep": str(team_data.rita.pk)},
    ).content.decode()

    assert "2 accounts, with the dashboard's filters." in body
