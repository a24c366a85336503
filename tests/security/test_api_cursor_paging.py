"""Every list API pages by cursor, in every ordering it allows.

The lists come from the OpenAPI schema (each GET that takes `cursor`),
never from a hand-kept list. With the count capped at one row, every
page after the first is read by the cursor in `next`; the walk must
see each row once, in the order one long page shows them, through rows
that tie on the sort value.
"""

import json
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from config.api import LodePagination
from tests.security.test_access_walker import World, route_url, url_routes, world

pytestmark = pytest.mark.django_db

__all__ = ["world"]


def list_routes() -> list[tuple[str, Any, list[str | None]]]:
    """Return each paged list's schema path, route and allowed orderings."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    routes = {route.schema_path: route for route in url_routes()}
    found = []
    for path, operations in schema["paths"].items():
        parameters = {
            parameter["name"]: parameter
            for parameter in operations.get("get", {}).get("parameters", [])
        }
        if "cursor" not in parameters:
            continue
        ordering = parameters.get("ordering", {}).get("schema", {}).get("enum")
        found.append((path, routes[path], [None, *(ordering or [])]))
    return found


def _key(row: dict[str, Any]) -> Any:
    return row["id"] if "id" in row else json.dumps(row, sort_keys=True)


def _walk(client: Client, url: str) -> tuple[list[Any], int, list[str]]:
    """Read every page by `next`; return the rows, cursor pages and errors."""
    seen: list[Any] = []
    cursors = 0
    while url:
        response = client.get(url)
        if response.status_code != 200:
            return (
                seen,
                cursors,
                [f"{url} -> {response.status_code} {response.content[:300]!r}"],
            )
        body = response.json()
        seen += [_key(row) for row in body["results"]]
        url = body["next"]
        cursors += bool(url and "cursor=" in url)
    return seen, cursors, []


def test_every_list_walks_every_row_once_by_cursor_in_every_ordering(
    world: World, monkeypatch
):
    # given
    client = Client()
    client.force_login(world.executive)
    routes = list_routes()
    assert len(routes) > 20
    failures: list[str] = []

    for path, route, orderings in routes:
        base, _ = route_url(route, world)
        for ordering in orderings:
            query = f"?ordering={ordering}&" if ordering else "?"
            monkeypatch.setattr(LodePagination, "count_limit", 10_000)
            whole = client.get(f"{base}{query}limit=1000")
            if whole.status_code != 200:
                failures.append(f"{path} {ordering}: whole list {whole.status_code}")
                continue
            expected = [_key(row) for row in whole.json()["results"]]

            # when
            monkeypatch.setattr(LodePagination, "count_limit", 1)
            # About four pages, the first by offset, the rest by cursor.
            limit = max(1, len(expected) // 3)
            seen, cursors, errors = _walk(client, f"{base}{query}limit={limit}")

            # then
            where = f"{path} ordering={ordering}"
            failures += [f"{where}: {error}" for error in errors]
            if len(expected) < 3:
                failures.append(f"{where}: only {len(expected)} rows to walk")
            elif not errors and cursors == 0:
                failures.append(f"{where}: no cursor page")
            if not errors and seen != expected:
                failures.append(f"{where}: walked {seen} for {expected}")

    assert not failures, "\n".join(failures)
