"""The manager dashboard through the API: figures and the accounts behind."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import Account, User
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(rep: User, outsider: User, account: Account) -> dict[str, Account]:
    bolt = AccountFactory.create(name="Bolt Industries")
    bolt.team_members.add(rep)
    edge = AccountFactory.create(name="Edge Logistics")
    edge.team_members.add(outsider)
    return {"acme": account, "bolt": bolt, "edge": edge}


def _figures(response: Any) -> dict[str, dict[str, Any]]:
    return {figure["key"]: figure for figure in response.json()["figures"]}


def test_the_figures_count_only_the_accounts_the_caller_sees(
    client: Client, manager: User, accounts: dict[str, Account]
) -> None:
    client.force_login(manager)

    response = client.get("/api/plans/dashboard/")

    assert response.status_code == 200
    figure = _figures(response)["accounts"]
    assert (figure["count"], figure["accounts"]) == (2, 2)
    assert response.json()["filters"]["stale"] == 30
    assert response.json()["notices"] == []


def test_the_drill_down_lists_the_accounts_behind_a_figure(
    client: Client, rep: User, outsider: User, accounts: dict[str, Account]
) -> None:
    client.force_login(rep)

    mine = client.get("/api/plans/dashboard/accounts/?figure=accounts")
    first = client.get("/api/plans/dashboard/accounts/?figure=accounts&limit=1")
    client.force_login(outsider)
    theirs = client.get("/api/plans/dashboard/accounts/?figure=accounts")

    assert mine.status_code == 200
    assert mine.json()["count"] == 2
    assert sorted(row["name"] for row in mine.json()["results"]) == [
        "Acme Corporation",
        "Bolt Industries",
    ]
    assert len(first.json()["results"]) == 1
    assert first.json()["next"].endswith("figure=accounts&limit=1&offset=1")
    assert [row["name"] for row in theirs.json()["results"]] == ["Edge Logistics"]
    row = theirs.json()["results"][0]
    assert row["id"] == accounts["edge"].pk
    assert (row["quadrant"], row["plan"], row["touches"]) == (None, None, 0)


def test_the_drill_down_matches_the_page(
    client: Client, manager: User, accounts: dict[str, Account]
) -> None:
    client.force_login(manager)

    api = client.get("/api/plans/dashboard/accounts/?figure=accounts")
    page = client.get("/plans/dashboard/accounts/?figure=accounts")

    names = [row["name"] for row in api.json()["results"]]
    assert page.status_code == 200
    body = page.content.decode()
    assert [body.index(name) for name in names] == sorted(
        body.index(name) for name in names
    )
    assert "Edge Logistics" not in body


def test_bad_parameters_are_refused_by_name(
    client: Client, rep: User, accounts: dict[str, Account]
) -> None:
    client.force_login(rep)

    no_figure = client.get("/api/plans/dashboard/accounts/")
    unknown_figure = client.get("/api/plans/dashboard/accounts/?figure=bogus")
    bad_tier = client.get("/api/plans/dashboard/?tier=Z")
    bad_stale = client.get("/api/plans/dashboard/?stale=0")
    unknown = client.get("/api/plans/dashboard/?limit=5")

    assert no_figure.json() == {"figure": ["This field is required."]}
    assert unknown_figure.json() == {
        "figure": ["No such figure; use a `key` from /api/plans/dashboard/."]
    }
    assert bad_tier.json() == {"tier": ['"Z" is not a valid choice.']}
    assert bad_stale.json() == {
        "stale": ["Ensure this value is greater than or equal to 1."]
    }
    assert unknown.status_code == 400
    assert list(unknown.json()) == ["limit"]


def test_a_rep_filter_the_caller_cannot_use_is_named_and_ignored(
    client: Client, rep: User, outsider: User, accounts: dict[str, Account]
) -> None:
    client.force_login(rep)

    response = client.get(f"/api/plans/dashboard/?rep={outsider.pk}")

    assert response.status_code == 200
    assert response.json()["filters"]["rep"] is None
    assert response.json()["notices"] == [
        f"Rep #{outsider.pk} is not one of the reps you can filter by and was ignored."
    ]
    assert _figures(response)["accounts"]["count"] == 2
