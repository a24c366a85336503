"""Every write that refuses a request without If-Match says so in the schema.

The walk is by behaviour, not by a list: each write in the schema is sent
without If-Match by someone allowed to make it, and any that answers 428
must document the If-Match header and its 428 and 412 answers.
"""

import json
import re
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from accounts.models import User
from scoring.services import scoring_model_active
from tests.accounts.factories import UserFactory
from tests.security.test_access_walker import (
    KWARG_OBJECTS,
    PK_OBJECTS,
    Route,
    World,
    url_routes,
    world,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db

WRITES = ["post", "put", "patch", "delete"]
# Writes that read their body before If-Match get one they would accept.
BODIES = {
    "plans_api:measure_quarter_set": lambda walked: {
        "measure": walked.objects["measure"].pk,
        "target": None,
        "actual": "1.00",
        "note": "",
    },
}
# Rows the access walker leaves to a made-up id, which a write here needs.
LIVE_ROWS = {"scoring_api:model_detail": lambda: scoring_model_active().pk}


def _route(path: str) -> Route:
    return {route.schema_path: route for route in url_routes()}[path]


def _path_url(path: str, walked: World) -> str:
    """Fill a schema path's arguments from the walker's fixture objects."""
    route = _route(path)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        key = PK_OBJECTS[route.name] if name == "pk" else KWARG_OBJECTS[name]
        if key is None:
            live = LIVE_ROWS.get(route.name)
            return str(live()) if live else "999999999"
        value = walked.objects[key]
        return str(getattr(value, "pk", value))

    return re.sub(r"\{(\w+)\}", fill, path)


def _documents_if_match(operation: dict[str, Any]) -> list[str]:
    missing = []
    headers = [
        parameter["name"]
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header"
    ]
    if "If-Match" not in headers:
        missing.append("If-Match header")
    for code in ("412", "428"):
        if code not in operation["responses"]:
            missing.append(code)
    return missing


def test_every_write_that_needs_if_match_documents_it(
    world: World,  # noqa: F811 (the walker's fixture)
) -> None:
    # given: the account's own rep, and sales ops for what only ops change
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = UserFactory.create(username="walker-ops", role=User.Role.OPS)
    needing: list[str] = []
    undocumented: list[str] = []

    # when
    for path, methods in schema["paths"].items():
        url = _path_url(path, world)
        body = BODIES.get(_route(path).name, lambda walked: {})(world)
        for method in WRITES:
            if method not in methods:
                continue
            for user in (world.north1, ops):
                client = Client()
                client.force_login(user)
                response = client.generic(
                    method.upper(),
                    url,
                    json.dumps(body),
                    content_type="application/json",
                )
                if response.status_code == 428:
                    break
            else:
                continue
            name = f"{method.upper()} {path}"
            needing.append(name)
            missing = _documents_if_match(methods[method])
            if missing:
                undocumented.append(f"{name}: {', '.join(missing)}")

    # then
    assert undocumented == [], "\n".join(undocumented)
    for known in [
        "PUT /api/plans/accounts/{account_pk}/reviews/{quarter}/",
        "PUT /api/plans/accounts/{account_pk}/scorecard/{quarter}/",
        "PATCH /api/plans/accounts/{account_pk}/scorecard/measures/{pk}/",
        "DELETE /api/plans/accounts/{account_pk}/scorecard/measures/{pk}/",
        "PATCH /api/plans/accounts/{account_pk}/voice/{pk}/",
        "DELETE /api/plans/accounts/{account_pk}/voice/{pk}/",
        "PATCH /api/plans/items/{kind}/{pk}/",
        "PATCH /api/stakeholders/people/{pk}/",
        "PATCH /api/scoring/models/{pk}/",
        "PATCH /api/accounts/{pk}/",
        "PATCH /api/accounts/deals/{pk}/",
        "PATCH /api/plans/templates/{pk}/",
        "PATCH /api/plans/templates/stages/{pk}/",
        "DELETE /api/plans/templates/stages/{pk}/",
        "DELETE /api/plans/templates/checkpoints/{pk}/",
    ]:
        assert known in needing


def test_a_write_without_if_match_is_not_documented_as_needing_it() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    creates = schema["paths"]["/api/plans/{plan_pk}/items/{kind}/"]["post"]
    headers = [p["name"] for p in creates.get("parameters", []) if p["in"] == "header"]

    assert headers == []
    assert "428" not in creates["responses"]
