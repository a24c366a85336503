"""A dashboard figure's accounts page by an exact cursor: name, then id.

The accounts are read from the stored summary. A cursor holds the name and
id of the last account shown, so a summary built again between two pages,
with an account added before the cursor or the cursor's own account gone,
repeats and skips no account.
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
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

URL = "/api/plans/dashboard/accounts/?figure=accounts&limit=2"
# Names that tie but for case: the id decides between them.
NAMES = ["bolt", "Acme", "BOLT", "Bolt", "acme", "Core"]


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> None:
    # With more rows than the count's cap, `next` carries a cursor.
    monkeypatch.setattr(LodePagination, "count_limit", 1)


@pytest.fixture
def named(ops: User) -> list[Account]:
    return [AccountFactory.create(name=name) for name in NAMES]


def _order(accounts: list[Account]) -> list[str]:
    ranked = sorted(accounts, key=lambda account: (account.name.lower(), account.pk))
    return [account.name for account in ranked]


def _cursor(page: dict[str, Any]) -> Any:
    cursor = parse_qs(urlsplit(page["next"]).query)["cursor"][0]
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _names(page: dict[str, Any]) -> list[str]:
    return [row["name"] for row in page["results"]]


def test_a_walk_by_cursor_reads_each_account_once_by_name_then_id(
    client: Client, ops: User, named: list[Account], capped: None
) -> None:
    # given
    client.force_login(ops)
    seen: list[str] = []

    # when
    url: str | None = URL
    cursors = []
    while url:
        page = client.get(url).json()
        seen += _names(page)
        url = page["next"]
        if url:
            cursors.append(_cursor(page))

    # then
    assert seen == _order(named)
    assert seen == ["Acme", "acme", "bolt", "BOLT", "Bolt", "Core"]
    acme = next(account for account in named if account.name == "acme")
    assert cursors[0] == {"o": "name,id", "v": ["acme", acme.pk]}
    assert len(cursors) == 2


def test_an_account_added_before_the_cursor_repeats_no_account(
    client: Client, ops: User, named: list[Account], capped: None
) -> None:
    # given: the first page read
    client.force_login(ops)
    first = client.get(URL).json()

    # when: an account that sorts first is added, and the summary built again
    AccountFactory.create(name="Aardvark Ltd")
    second = client.get(first["next"]).json()

    # then
    assert _names(first) == ["Acme", "acme"]
    assert _names(second) == ["bolt", "BOLT"]


def test_the_cursor_account_gone_the_walk_reads_on_after_its_place(
    client: Client, ops: User, named: list[Account], capped: None
) -> None:
    # given: the first page read, ending on "acme"
    client.force_login(ops)
    first = client.get(URL).json()

    # when: "acme" is deleted and "Able" added, and the summary built again
    Account.objects.filter(name="acme").delete()
    AccountFactory.create(name="Able")
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    # then: the summary holds no "acme" to stand on; the walk goes on after
    # where it stood, by name and id
    assert _names(first) == ["Acme", "acme"]
    assert _names(second) == ["bolt", "BOLT"]
    assert _names(third) == ["Bolt", "Core"]
    assert third["next"] is None


def test_a_cursor_with_a_value_no_account_has_is_refused(
    client: Client, ops: User, named: list[Account], capped: None
) -> None:
    client.force_login(ops)
    raw = json.dumps({"o": "name,id", "v": ["acme", "seven"]}).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")

    response = client.get(f"{URL}&cursor={cursor}")

    assert response.status_code == 400
    assert response.json() == {
        "cursor": [
            "This cursor holds a value this list cannot sort by; start "
            "without a cursor."
        ]
    }


def _cursor_page_queries(client: Client, accounts: int) -> int:
    AccountFactory.create_batch(accounts)
    first = client.get(URL).json()
    client.get(first["next"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(first["next"])
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    return len(queries)


@pytest.mark.parametrize("accounts", [6, 60])
def test_a_cursor_page_reads_the_same_queries_at_any_size(
    client: Client, ops: User, capped: None, accounts: int
) -> None:
    client.force_login(ops)

    queries = _cursor_page_queries(client, accounts)

    # The session and user, the data's version and the summary, the
    # cursor's row, the figure's block and the page's rows.
    assert queries == 7
