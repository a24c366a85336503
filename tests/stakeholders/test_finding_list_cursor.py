"""An account's findings page by an exact cursor: kind, person, role.

The findings are worked out in Python on each request; a cursor holds the
kind, person id and role id of the last finding shown, so a finding added
before it between two pages repeats and skips none.
"""

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, User
from config.api import LodePagination
from stakeholders.models import SectorRoleDefault, Stakeholder
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_expected_roles() -> None:
    # Only the people's findings, none for the sectors' expected roles.
    SectorRoleDefault.objects.all().delete()


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> None:
    # With more rows than the count's cap, `next` carries a cursor.
    monkeypatch.setattr(LodePagination, "count_limit", 1)


def hidden_influencer(account: Account) -> Stakeholder:
    """Add a person with two findings: no owner, and a junior title."""
    return StakeholderFactory.create(
        account=account,
        seniority=Stakeholder.Seniority.STAFF,
        influence=Stakeholder.Influence.DECISIVE,
        sentiment=Stakeholder.Sentiment.SUPPORTER,
    )


def _url(account: Account) -> str:
    return f"/api/stakeholders/accounts/{account.pk}/findings/?limit=2"


def _keys(page: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(row["kind"], row["person_id"]) for row in page["results"]]


def _walk(client: Client, url: str | None) -> list[tuple[str, int | None]]:
    seen = []
    while url:
        page = client.get(url).json()
        seen += _keys(page)
        url = page["next"]
    return seen


def test_findings_walk_by_kind_then_person(
    client: Client, rep: User, account: Account, capped: None
) -> None:
    # given
    people = [hidden_influencer(account) for _ in range(3)]
    client.force_login(rep)

    # when
    first = client.get(_url(account)).json()
    seen = _walk(client, _url(account))

    # then
    ids = [person.pk for person in people]
    assert seen == [
        *(("no_owner", pk) for pk in ids),
        *(("hidden_influencer", pk) for pk in ids),
    ]
    cursor = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    held = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert held == {"o": "kind,person_id,role_id", "v": ["no_owner", ids[1], None]}


def test_a_finding_added_before_the_cursor_repeats_none(
    client: Client, rep: User, account: Account, capped: None
) -> None:
    # given: the first page read: the first two people have no owner
    people = [hidden_influencer(account) for _ in range(3)]
    client.force_login(rep)
    first = client.get(_url(account)).json()

    # when: a new person adds a finding that sorts before the cursor
    newcomer = hidden_influencer(account)
    rest = _walk(client, first["next"])

    # then: the newcomer's no-owner finding is behind the walk; the rest
    # follows the cursor once each
    ids = [person.pk for person in people]
    assert _keys(first) == [("no_owner", ids[0]), ("no_owner", ids[1])]
    assert rest == [
        ("no_owner", ids[2]),
        ("no_owner", newcomer.pk),
        *(("hidden_influencer", pk) for pk in [*ids, newcomer.pk]),
    ]


def test_a_cursor_with_an_unknown_kind_is_refused(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    raw = json.dumps({"o": "kind,person_id,role_id", "v": ["gossip", 1, None]})
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    response = client.get(f"{_url(account)}&cursor={cursor}")

    assert response.status_code == 400
    assert response.json() == {
        "cursor": [
            "This cursor holds a value this list cannot sort by; start "
            "without a cursor."
        ]
    }


@pytest.mark.parametrize("people", [3, 30])
def test_a_cursor_page_reads_the_same_queries_at_any_size(
    client: Client, rep: User, account: Account, capped: None, people: int
) -> None:
    for _ in range(people):
        hidden_influencer(account)
    client.force_login(rep)
    first = client.get(_url(account)).json()
    client.get(first["next"])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(first["next"])

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    # The session and user, the account, its people and their roles, the
    # account's expected roles and the sectors' defaults.
    assert len(queries) == 7
