"""Walk every page with ids no database integer can hold; none may fail.

SQLite refuses a Python int past 2**63 - 1 with OverflowError and
PostgreSQL with a DataError, so a page that hands such an id to a query
answers 500. An id that cannot exist is a 404 or an ignored filter, as in
the API. The pages come from the URL configuration (the access walker's
discovery), so a new page is walked the day it is added.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.security.test_access_walker import (
    KWARG_OBJECTS,
    PK_OBJECTS,
    Route,
    World,
    url_routes,
    world,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db

HUGE = ["99999999999999999999", str(2**63), "-99999999999999999999"]
# The integer query parameters pages read, and the rest, by name; a page
# that reads a new one fails test_every_page_query_parameter_is_known.
INT_QUERY_PARAMS = {"rep", "stale", "page", "after", "before", "from", "to"}
TEXT_QUERY_PARAMS = {
    "action",
    "draft",
    "figure",
    "file",
    "q",
    "region",
    "quadrant",
    "rows",
    "renderer",
    "sector",
    "sort",
    "table",
    "tier",
}
PAGE_APPS = ["accounts", "plans", "scoring", "stakeholders", "config"]


def page_routes() -> list[Route]:
    return [
        route
        for route in url_routes()
        if not route.template.startswith("api/") and route.name != "logout"
    ]


def int_kwargs(route: Route) -> list[str]:
    return re.findall(r"<int:(\w+)>", route.template)


def filled(route: Route, walked: World, huge: dict[str, str]) -> str:
    """Return the route's URL: huge ids where given, fixture objects elsewhere."""
    kwargs: dict[str, Any] = {}
    for name in route.kwargs:
        if name in huge:
            kwargs[name] = huge[name]
            continue
        key = PK_OBJECTS[route.name] if name == "pk" else KWARG_OBJECTS[name]
        value = 999_999_999 if key is None else walked.objects[key]
        kwargs[name] = getattr(value, "pk", value)
    # Built from the template, not reverse(): a minus sign fails the int
    # converter's pattern there, and is worth sending all the same.
    url = "/" + route.template
    for name, value in kwargs.items():
        url = re.sub(rf"<(?:\w+:)?{name}>", str(value), url)
    return url


def test_no_page_fails_on_a_huge_id(world: World) -> None:  # noqa: F811
    # given: a rep who can see the fixture objects
    client = Client(raise_request_exception=False)
    routes = page_routes()
    assert len(routes) > 60
    urls = []
    for route in routes:
        for value in HUGE:
            names = int_kwargs(route)
            urls += [filled(route, world, {name: value}) for name in names]
            if len(names) > 1:
                urls.append(filled(route, world, dict.fromkeys(names, value)))
            query = "&".join(f"{name}={value}" for name in sorted(INT_QUERY_PARAMS))
            urls.append(f"{filled(route, world, {})}?{query}&figure=accounts")
    failures = []

    # when
    for url in urls:
        for method in ["GET", "POST"]:
            client.force_login(world.north1)
            response = client.generic(method, url)

            # then
            if response.status_code >= 500:
                failures.append(f"{method} {url} -> {response.status_code}")

    assert not failures, "\n".join(failures)


def test_every_page_query_parameter_is_known() -> None:
    sources = [
        path
        for app in PAGE_APPS
        for path in (Path(settings.BASE_DIR) / app).glob("*.py")
        if "api" not in path.name
    ]
    read = set()
    for path in sources:
        read |= set(re.findall(r"request\.GET\.get\(\s*\"(\w+)\"", path.read_text()))
        read |= set(re.findall(r"query\.get\(\s*\"(\w+)\"", path.read_text()))

    assert read - INT_QUERY_PARAMS - TEXT_QUERY_PARAMS == set()
    assert "rep" in read
