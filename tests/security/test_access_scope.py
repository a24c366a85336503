"""Every role is tried on another team's objects, by path and by filter.

The access walk in test_access_walker.py hides one rep's account from a rep
of another team. Here a second team, South, gets its own manager and its own
hidden objects, so each manager and rep is also tried on the objects of the
team they do not belong to; and the id filters the schema lists are given
hidden ids, which must be answered exactly as ids no row has.
"""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Account, Team, User
from tests.accounts.factories import UserFactory
from tests.security.test_access_walker import (
    METHODS,
    World,
    call,
    hidden_objects_create,
    route_url,
    url_routes,
    world,  # noqa: F401 (a fixture, used by name)
)

pytestmark = pytest.mark.django_db

MISSING_ID = 999_999_999
PAGING = {"limit", "offset"}
# What each id filter in the schema names. A new filter that takes an
# integer and is not here fails the test below until it is added.
FILTER_OBJECTS = {
    "account": "account",
    "plan": "plan",
    "stakeholder": "stakeholder",
    "from": "snapshot",
    "team": "north_team",
    "rep": "north1_user",
    "owner": "north1_user",
    "author": "north1_user",
    "created_by": "north1_user",
}


@dataclass
class Teams:
    """North's and South's hidden objects, and who sits on which side."""

    world: World
    south_manager: User
    north: dict[str, Any]
    south: dict[str, Any]


@pytest.fixture
def teams(world: World) -> Teams:  # noqa: F811 (the fixture above, by name)
    south = Team.objects.get(name="South")
    south_manager = UserFactory.create(
        username="south-manager", role=User.Role.MANAGER, team=south
    )
    south.manager = south_manager
    south.save()
    south_objects = {
        **world.objects,
        **hidden_objects_create(
            account=Account.objects.get(name="south1-acct-00"),
            rep=world.south1,
            label="Southern",
        ),
        "north1_user": world.south1,
        "north_team": south,
    }
    return Teams(
        world=world,
        south_manager=south_manager,
        north=world.objects,
        south=south_objects,
    )


def walk_hidden_routes(user: User, objects: dict[str, Any], base: World) -> list[str]:
    """Try every method on every route that names one of `objects`."""
    client = Client()
    failures = []
    for route in url_routes():
        # Again for each route: walking the logout route ends the session.
        client.force_login(user)
        url, hidden = route_url(route, World(**{**base.__dict__, "objects": objects}))
        if not hidden:
            continue
        for method in METHODS:
            response = call(client, method, url)
            if response.status_code not in {404, 405}:
                failures.append(
                    f"{user.username} {method} {url} -> {response.status_code}"
                )
    return failures


def test_each_role_gets_404_for_another_teams_objects(teams):
    # given: each manager on the other team's objects, and a northern rep on
    # South's (test_access_walker walks south1 on North's)
    pairs = [
        (teams.world.manager, teams.south),
        (teams.south_manager, teams.north),
        (teams.world.north1, teams.south),
    ]
    assert teams.south["account"].name == "south1-acct-00"

    # when
    failures = [
        failure
        for user, objects in pairs
        for failure in walk_hidden_routes(user, objects, teams.world)
    ]

    # then
    assert failures == []


def id_filters() -> list[tuple[str, str, str]]:
    """Return (path, parameter, object key) for each id filter in the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, methods in schema["paths"].items():
        for parameter in methods.get("get", {}).get("parameters", []):
            kind = parameter.get("schema", {})
            # Ids run to the largest integer; a bounded one (a year, a number
            # of days) names no object.
            takes_id = (
                parameter["in"] == "query"
                and kind.get("type") == "integer"
                and kind.get("maximum", 2**31 - 1) == 2**31 - 1
                and parameter["name"] not in PAGING
            )
            if takes_id:
                name = parameter["name"]
                assert name in FILTER_OBJECTS, (
                    f"{path} filters on `{name}`, an id: add to FILTER_OBJECTS "
                    "what it names"
                )
                found.append((path, name, FILTER_OBJECTS[name]))
    return found


def schema_url(path: str, objects: dict[str, Any]) -> str:
    """Fill a schema path's arguments with the caller's own objects."""
    keys = {"pk": "plan", "plan_pk": "plan", "account_pk": "account"}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "file_format":
            return "csv"
        assert name in keys, f"fill `{name}` in {path}"
        return str(objects[keys[name]].pk)

    return re.sub(r"\{(\w+)\}", fill, path)


def answer_text(response: Any, asked_id: int) -> str:
    """Return the body with the asked id and the build time set aside.

    Only an id a message quotes ("Rep #7", 'pk "7"') is set aside: a bare
    number may be a count that happens to equal it.
    """
    body = response.getvalue().decode()
    body = re.sub(r'"built_at":"[^"]*"', '"built_at":""', body)
    return re.sub(rf'(?<=[#"\s]){asked_id}(?=[\s".,\\])', "ID", body)


def test_the_schema_lists_the_id_filters_walked_below():
    filters = {(path, name) for path, name, _ in id_filters()}

    assert ("/api/plans/pursuits/", "account") in filters
    assert ("/api/plans/", "account") in filters
    assert ("/api/plans/accounts/{account_pk}/ratings/", "stakeholder") in filters
    assert len(filters) == 14


def test_a_hidden_id_in_a_filter_is_answered_as_a_missing_one(teams):
    # given: South's rep and manager, on South's objects, filtering by North's
    filters = id_filters()
    failures = []

    for who, path, name, key in [
        (who, *found) for who in ["south1", "south_manager"] for found in filters
    ]:
        user = getattr(teams, who, None) or getattr(teams.world, who)
        client = Client()
        client.force_login(user)
        url = schema_url(path, teams.south)
        hidden_id = teams.north[key].pk

        # when
        hidden = client.get(url, {name: hidden_id})
        missing = client.get(url, {name: MISSING_ID})

        # then: the same status, and the same body once the id is set aside
        where = f"{who} GET {url}?{name}={hidden_id}"
        if hidden.status_code not in {200, 400, 404}:
            failures.append(f"{where} -> {hidden.status_code}")
        if hidden.status_code != missing.status_code:
            failures.append(
                f"{where} -> {hidden.status_code}, a missing id -> "
                f"{missing.status_code}"
            )
        hidden_body = answer_text(hidden, hidden_id)
        missing_body = answer_text(missing, MISSING_ID)
        if hidden_body != missing_body:
            failures.append(f"{where} answers\n{hidden_body}\nnot\n{missing_body}")
        if "north1-acct-" in hidden_body or "Hiddenperson" in hidden_body:
            failures.append(f"{where} leaks North: {hidden_body[:200]!r}")

    assert len(filters) == 14
    assert failures == [], "\n".join(failures)
