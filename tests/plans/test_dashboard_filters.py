"""Dashboard filters: the rep list by role, and bad input said to the user."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from accounts.models import User
from plans.dashboard import DashboardFilters, dashboard_for_user
from tests.accounts.factories import UserFactory
from tests.plans.test_dashboard import Team, _names, build_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_data(db: None) -> Team:
    return build_team()


def _rep_names(dashboard: object) -> list[str]:
    return [name for _pk, name in dashboard.reps]  # type: ignore[attr-defined]


def test_a_manager_picks_only_the_reps_of_their_teams(team_data: Team) -> None:
    # Otto of the West team also sits on Acme, which Mark can see.
    team_data.accounts["Acme"].team_members.add(team_data.otto)

    managers = dashboard_for_user(user=team_data.manager)
    executives = dashboard_for_user(user=UserFactory.create(role=User.Role.EXECUTIVE))
    ritas = dashboard_for_user(user=team_data.rita)

    assert _rep_names(managers) == ["Ray Ortiz", "Rita Reyes"]
    assert _rep_names(executives) == ["Otto West", "Ray Ortiz", "Rita Reyes"]
    assert _rep_names(ritas) == ["Rita Reyes"]
    assert (managers.viewer_is_rep, ritas.viewer_is_rep) == (False, True)


def test_a_rep_outside_the_list_is_said_and_ignored(team_data: Team) -> None:
    otto = team_data.otto

    dashboard = dashboard_for_user(
        user=team_data.manager,
        filters=DashboardFilters.from_query({"rep": str(otto.pk)}),
    )

    assert dashboard.filters.rep is None
    assert _names(dashboard, "accounts") == {"Acme", "Bolt", "Crane", "Dune"}
    assert dashboard.filters.notices == (
        f"Rep #{otto.pk} is not one of the reps you can filter by and was ignored.",
    )


@pytest.mark.parametrize(
    ("query", "notice", "stale_days"),
    [
        ({"rep": "abc"}, "Rep filter “abc” is unknown and was ignored.", 30),
        (
            {"rep": "99999999999999999999"},
            "Rep filter “99999999999999999999” is unknown and was ignored.",
            30,
        ),
        (
            {"rep": "9223372036854775808"},
            "Rep filter “9223372036854775808” is unknown and was ignored.",
            30,
        ),
        (
            {"quadrant": "sideways"},
            "Quadrant “sideways” is unknown and was ignored; "
            "choose Grow, Expand, Maintain or Monitor.",
            30,
        ),
        ({"tier": "Z"}, "Tier “Z” is unknown and was ignored; choose A, B or C.", 30),
        (
            {"stale": "5000"},
            "Untouched after 5000 days is out of range (1 to 730); 730 days was used.",
            730,
        ),
        (
            {"stale": "-4"},
            "Untouched after -4 days is out of range (1 to 730); 1 days was used.",
            1,
        ),
        (
            {"stale": "soon"},
            "“soon” is not a number of days; untouched means after 30 days.",
            30,
        ),
        (
            {"region": "Atlantis"},
            "Region “Atlantis” has none of your accounts and was ignored.",
            30,
        ),
    ],
)
def test_the_page_says_what_it_ignored_or_clamped(
    client: Client,
    settings: Settings,
    team_data: Team,
    query: dict[str, str],
    notice: str,
    stale_days: int,
) -> None:
    settings.PLAN_STALE_DAYS = 30
    client.force_login(team_data.manager)

    page = client.get(f"{reverse('plans:dashboard')}?{urlencode(query)}")
    drill = client.get(
        f"{reverse('plans:dashboard_accounts')}?figure=accounts&{urlencode(query)}"
    )

    assert page.status_code == drill.status_code == 200
    assert page.context["dashboard"].filters.stale_days == stale_days
    for response in (page, drill):
        text = response.content.decode()
        assert "Some filters were not applied as asked" in text
        assert notice.replace("“", "&ldquo;") in text or notice in text
    assert "4 accounts" in page.content.decode()


@pytest.mark.parametrize(
    "path", ["export.csv?table=accounts&", "export.xlsx?", "accounts/?figure=accounts&"]
)
def test_a_rep_id_past_any_row_is_ignored_everywhere(
    client: Client, team_data: Team, path: str
) -> None:
    # SQLite refused 2**63 as a query parameter: this answered 500.
    client.force_login(team_data.rita)

    response = client.get(f"/plans/dashboard/{path}rep=99999999999999999999")

    assert response.status_code == 200


def test_a_rep_sees_my_dashboard(client: Client, team_data: Team) -> None:
    client.force_login(team_data.rita)

    page = client.get(reverse("plans:dashboard")).content.decode()

    assert "<h1>My dashboard</h1>" in page
    assert "Manager dashboard" not in page
    assert "Some filters were not applied" not in page
