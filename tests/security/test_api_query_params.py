"""Lists refuse query parameters they do not document, and accept those they do.

The lists are found from the schema, not a hand-kept list: each paged list
is asked with an unknown parameter and with each parameter it documents.
"""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.plans.factories import PlanFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

UNKNOWN = "Unknown query parameter; this list takes:"


def paged_lists() -> list[tuple[str, list[str]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, methods in schema["paths"].items():
        operation = methods.get("get")
        if operation is None:
            continue
        names = [
            parameter["name"]
            for parameter in operation.get("parameters", [])
            if parameter["in"] == "query"
        ]
        if "limit" in names:
            found.append((path, names))
    return found


@pytest.fixture
def admin(db: None) -> User:
    return UserFactory.create(username="ada", role=User.Role.OPS, is_superuser=True)


def test_page_size_and_account_on_the_accounts_list_are_refused_by_name(
    client, rep, account
) -> None:
    client.force_login(rep)

    response = client.get("/api/accounts/?page_size=5&account=3")

    assert response.status_code == 400
    message = (
        "Unknown query parameter; this list takes: country, cursor, limit, "
        "offset, ordering, search, sector."
    )
    assert response.json() == {"account": [message], "page_size": [message]}


def test_a_documented_filter_is_applied(client, rep, account) -> None:
    client.force_login(rep)

    response = client.get("/api/accounts/?search=Acme&limit=1")

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Acme Corporation"]


def test_every_paged_list_refuses_unknown_and_accepts_documented_parameters(
    client, admin, account
) -> None:
    # given
    plan = PlanFactory.create(account=account)
    client.force_login(admin)
    lists = paged_lists()

    for path, names in lists:
        url = (
            path.replace("{account_pk}", str(account.pk))
            .replace("{plan_pk}", str(plan.pk))
            .replace("{pk}", str(plan.pk))
        )

        # when
        unknown = client.get(url, {"page_size": "5"})
        documented = {
            name: client.get(url, {name: "1"}).json()
            for name in names
            if name not in {"limit", "offset"}
        }

        # then
        assert unknown.status_code == 400, path
        assert list(unknown.json()) == ["page_size"], path
        assert unknown.json()["page_size"][0].startswith(UNKNOWN), path
        for name, body in documented.items():
            refused = body.get(name, []) if isinstance(body, dict) else []
            assert not any(str(m).startswith(UNKNOWN) for m in refused), (path, name)
    assert len(lists) == 32


def test_the_people_at_an_account_are_paged_like_other_lists(
    client, rep, account
) -> None:
    for last_name in ("Adams", "Baker", "Clark"):
        StakeholderFactory.create(account=account, last_name=last_name)
    client.force_login(rep)

    response = client.get(f"/api/stakeholders/accounts/{account.pk}/people/?limit=2")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [person["last_name"] for person in body["results"]] == ["Adams", "Baker"]
    assert body["next"] == (
        f"http://testserver/api/stakeholders/accounts/{account.pk}/people/"
        "?limit=2&offset=2"
    )


def get_operations() -> list[tuple[str, list[str]]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (
            path,
            [
                p["name"]
                for p in methods["get"].get("parameters", [])
                if p["in"] == "query"
            ],
        )
        for path, methods in schema["paths"].items()
        if "get" in methods
    ]


def test_a_detail_read_refuses_an_unknown_parameter_by_name(
    client, rep, account
) -> None:
    plan = PlanFactory.create(account=account)
    client.force_login(rep)

    refused = client.get(f"/api/plans/{plan.pk}/?foo=1")
    plain = client.get(f"/api/plans/{plan.pk}/")

    assert refused.status_code == 400
    assert refused.json() == {
        "foo": ["Unknown query parameter; this takes no query parameters."]
    }
    assert plain.status_code == 200


def test_a_read_with_parameters_lists_them_when_refusing(client, rep, account):
    client.force_login(rep)

    response = client.get(
        f"/api/plans/accounts/{account.pk}/scorecard/?quaarter=2026-Q1"
    )

    assert response.status_code == 400
    assert response.json() == {
        "quaarter": ["Unknown query parameter; this takes: quarter."]
    }


def test_an_unknown_parameter_does_not_hide_a_missing_login(client, account):
    plan = PlanFactory.create(account=account)

    response = client.get(f"/api/plans/{plan.pk}/?foo=1")

    assert response.status_code == 401


def test_every_read_refuses_an_unknown_parameter(client, admin, account) -> None:
    # given: every GET in the schema, its path filled with ids
    client.force_login(admin)
    operations = get_operations()

    for path, names in operations:
        url = path
        for name, value in (("{kind}", "strategy"),):
            url = url.replace(name, value)
        url = re.sub(r"\{[a-z_]+\}", "1", url)

        # when
        response = client.get(url, {"zz_unknown": "1"})

        # then
        assert response.status_code == 400, (path, response.status_code)
        assert list(response.json()) == ["zz_unknown"], path
        assert "zz_unknown" not in names
    assert len(operations) == 72
