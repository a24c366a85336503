"""Lists that are not paged refuse unknown query parameters too."""

import pytest

from tests.plans.factories import PlanFactory

pytestmark = pytest.mark.django_db


def test_the_plan_history_refuses_page_size(client, rep, account) -> None:
    plan = PlanFactory.create(account=account)
    client.force_login(rep)

    response = client.get(f"/api/plans/{plan.pk}/history/?page_size=5")

    assert response.status_code == 400
    assert response.json() == {
        "page_size": [
            "Unknown query parameter; this list takes: author, changed_from, "
            "changed_to, cursor, field, limit, offset, ordering."
        ]
    }


def test_the_buying_roles_refuse_an_account_filter(client, rep) -> None:
    client.force_login(rep)

    response = client.get("/api/stakeholders/roles/?account=3")

    assert response.status_code == 400
    assert response.json() == {
        "account": ["Unknown query parameter; this list takes: no parameters."]
    }
    assert client.get("/api/stakeholders/roles/").status_code == 200


def test_the_single_reads_refuse_an_unknown_parameter(client, rep, account) -> None:
    client.force_login(rep)
    paths = [
        "/api/plans/balance/",
        f"/api/accounts/{account.pk}/whitespace/",
        f"/api/stakeholders/accounts/{account.pk}/board/",
        "/api/scoring/runs/current/",
    ]

    responses = [client.get(f"{path}?foo=1") for path in paths]

    assert [response.status_code for response in responses] == [400] * 4
    assert [response.json() for response in responses] == [
        {"foo": ["Unknown query parameter; this takes no query parameters."]}
    ] * 4
    assert client.get(paths[0]).status_code == 200
