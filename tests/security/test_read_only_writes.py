"""An executive's write is refused for the role before its body is read.

The write operations are found from the schema. Each is sent with a body
no endpoint accepts; the answer must be 403 for the role, not 400 for the
body, so the refusal does not suggest a better body would go through.
"""

import re

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

WRITES = {"post", "put", "patch", "delete"}
# Executives manage their own tokens; the import wizard answers 404 to
# everyone but sales ops, as for an import that does not exist.
OWN_RULES = {
    "/api/accounts/tokens/create/": 400,
    "/api/accounts/tokens/{pk}/revoke/": 404,
}
WIZARD = "/api/accounts/imports/"


def write_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in WRITES
    ]


def test_every_api_write_by_an_executive_is_refused_before_its_body(
    executive,
) -> None:
    client = Client()
    client.force_login(executive)
    operations = write_operations()
    answers = {}

    for method, path in operations:
        url = re.sub(r"\{[a-z_]+\}", "1", path).replace("{kind}", "strategy")
        response = getattr(client, method)(
            url, '{"no_such_field": ', content_type="application/json"
        )
        answers[f"{method.upper()} {path}"] = (response.status_code, response.json())

    refused = {
        name: answer
        for name, answer in answers.items()
        if name.split(" ")[1] not in OWN_RULES and WIZARD not in name
    }
    not_refused = {
        name: answer
        for name, answer in refused.items()
        if answer != (403, {"detail": "Executives read Lode but do not change it."})
    }
    assert not_refused == {}
    assert len(refused) == 58
    for name, (status, _) in answers.items():
        path = name.split(" ")[1]
        if path in OWN_RULES:
            assert status == OWN_RULES[path], name
        elif path.startswith(WIZARD):
            assert status == 404, name


def test_an_executive_still_reads(client, executive, account) -> None:
    client.force_login(executive)

    response = client.get(f"/api/accounts/{account.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "Acme Corporation"
