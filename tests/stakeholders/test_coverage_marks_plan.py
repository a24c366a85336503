"""The coverage marks that pair old and new rows are planned per statement.

PL/pgSQL keeps a static statement's plan for the session. A mark joining a
statement's old rows to its new ones, planned for a one-row save, stayed a
nested loop for every later update in that session, however many rows it
changed. These tests save one row, then update many in the same session,
and read the plan of the second statement's mark from auto_explain.
"""

import re
from collections.abc import Iterator

import pytest
from django.db import connection

from accounts.models import Account, User
from stakeholders.models import CoverageChangedAccount, CoverageChangedViewer
from tests.accounts.factories import AccountFactory, TeamFactory

pytestmark = pytest.mark.postgres

ROWS = 300
# A plan line that joins a new row to its old one ("row" is a keyword, so
# quoted; a second SELECT's aliases are numbered).
PAIRED = re.compile(r'"?row"?(?:_\d+)?\.id = gone(?:_\d+)?\.id')


@pytest.fixture
def plans_logged(postgres: None) -> Iterator[list[str]]:
    """Collect the plan of every statement, triggers' included, as run."""
    with connection.cursor() as cursor:
        cursor.execute("LOAD 'auto_explain'")
        cursor.execute("SET auto_explain.log_min_duration = 0")
        cursor.execute("SET auto_explain.log_nested_statements = on")
        cursor.execute("SET client_min_messages = log")
    notices = connection.connection.notices
    notices.clear()
    yield notices
    with connection.cursor() as cursor:
        cursor.execute("RESET client_min_messages")
        cursor.execute("SET auto_explain.log_min_duration = -1")


def _mark_plan(notices: list[str], *, table: str) -> str:
    """Return the one logged plan of a mark into `table` that pairs rows."""
    [plan] = [
        notice
        for notice in notices
        if f"INSERT INTO {table}" in notice and "old_rows" in notice
    ]
    return plan


def _pairings(plan: str) -> list[str]:
    """Return how each join of new rows to old ones is made: "Hash Cond"..."""
    return [
        line.strip().split(":")[0]
        for line in plan.splitlines()
        if PAIRED.search(line) and "Query Text" not in line
    ]


def test_an_accounts_bulk_update_after_a_save_pairs_rows_without_a_loop(
    plans_logged: list[str],
) -> None:
    # given
    accounts = AccountFactory.create_batch(ROWS, sector="Retail")
    CoverageChangedAccount.objects.all().delete()
    Account.objects.filter(pk=accounts[0].pk).update(sector="Energy")
    plans_logged.clear()

    # when
    Account.objects.update(sector="Banking")

    # then
    plan = _mark_plan(plans_logged, table=CoverageChangedAccount._meta.db_table)
    assert _pairings(plan) in (["Hash Cond"], ["Merge Cond"])
    assert CoverageChangedAccount.objects.count() == ROWS


def test_a_users_bulk_update_after_a_save_pairs_rows_without_a_loop(
    plans_logged: list[str],
) -> None:
    # given
    north, south = TeamFactory.create_batch(2)
    # Without passwords: hashing 300 of them takes minutes on a loaded machine.
    users = User.objects.bulk_create(
        User(username=f"viewer{number}", team=north) for number in range(ROWS)
    )
    CoverageChangedViewer.objects.all().delete()
    User.objects.filter(pk=users[0].pk).update(team=south)
    plans_logged.clear()

    # when
    User.objects.filter(pk__in=[user.pk for user in users]).update(team=south)

    # then
    plan = _mark_plan(plans_logged, table=CoverageChangedViewer._meta.db_table)
    pairings = _pairings(plan)
    assert len(pairings) == 2
    assert set(pairings) <= {"Hash Cond", "Merge Cond"}
    marked = CoverageChangedViewer.objects.values_list("viewer_id", flat=True)
    assert set(marked) == {user.pk for user in users}
