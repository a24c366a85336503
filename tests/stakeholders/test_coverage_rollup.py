"""The coverage roll-up, counted by the database, against each account's findings.

The page counts findings with a few aggregates over every visible account
(kept a few minutes: tests/stakeholders/test_coverage_totals.py).
Here the same counts come from coverage_findings, one account at a time, on
the dashboard's edge-case portfolio (sectors matched only once stripped and
lower-cased, an account's own role list, people who left or were erased,
stale days an hour either side) and a few people more for the kinds the
dashboard does not count: opponents with a blank or a real action plan,
empty suits, hidden influencers and accounts with one or two supporters.
"""

from collections import Counter
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from accounts.models import Account, User
from stakeholders.coverage import BLANK_CHARACTERS
from stakeholders.coverage_counts import coverage_counts_fold
from stakeholders.models import Stakeholder
from stakeholders.selectors import (
    COVERAGE_KINDS,
    CoverageRollup,
    coverage_findings_for_accounts,
    coverage_rollup_page_for_user,
)
from tests.accounts.factories import AccountFactory, UserFactory
from tests.plans.test_dashboard_set_based import portfolio  # noqa: F401
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def _person(account: Account, **values: Any) -> Stakeholder:
    return cast(Stakeholder, StakeholderFactory.create(account=account, **values))


@pytest.fixture
def groups(portfolio: dict[str, Any]) -> dict[str, Account]:  # noqa: F811
    accounts = portfolio["accounts"]
    charlie, echo, foxtrot = (accounts[name] for name in ("Charlie", "Echo", "Foxtrot"))
    # Opponents of high influence: a plan of blanks is none, a word is one.
    _person(charlie, sentiment=-2, influence=5, action_plan=BLANK_CHARACTERS)
    _person(charlie, sentiment=-1, influence=4, action_plan=" Meet the CFO ")
    # A senior title of low influence, a junior one of high influence.
    _person(echo, seniority=Stakeholder.Seniority.VICE_PRESIDENT, influence=2)
    _person(echo, seniority=Stakeholder.Seniority.MANAGER, influence=4)
    # Two supporters: no longer single-threaded.
    _person(foxtrot, sentiment=1, seniority=Stakeholder.Seniority.DIRECTOR, influence=2)
    _person(foxtrot, sentiment=2, status=Stakeholder.Status.LEFT)
    _person(foxtrot, sentiment=2, influence=1)
    return cast(dict[str, Account], accounts)


def _findings_by_hand(accounts: list[Account]) -> list[tuple[str, int, tuple]]:
    """Count each account's findings from coverage_findings, kind by kind."""
    rows = []
    for item in coverage_findings_for_accounts(accounts=accounts):
        kinds = Counter(finding.kind for finding in item.findings)
        rows.append(
            (item.account.name, item.people, tuple(kinds[k] for k in COVERAGE_KINDS))
        )
    return rows


def test_the_rollup_counts_what_each_accounts_findings_say(
    groups: dict[str, Account],
) -> None:
    # given
    ops = cast(User, UserFactory.create(role=User.Role.OPS))
    accounts = list(Account.objects.order_by("name", "pk"))

    # when
    rollup = coverage_rollup_page_for_user(user=ops, page=1)

    # then: each row as its account's findings, and the totals as their sums
    by_hand = _findings_by_hand(accounts)
    shown = [(row.account.name, row.people, row.counts) for row in rollup.rows]
    assert shown == by_hand
    assert rollup.people == sum(people for _, people, _ in by_hand)
    assert rollup.totals == tuple(
        sum(counts[index] for _, _, counts in by_hand)
        for index in range(len(COVERAGE_KINDS))
    )
    # and by value, in COVERAGE_KINDS' order: unnamed roles, no owner,
    # opponents with no plan, single-threaded, stale, empty suits, hidden
    # influencers
    assert list(COVERAGE_KINDS) == [
        "missing_role",
        "no_owner",
        "unaddressed_opponent",
        "single_threaded",
        "stale",
        "empty_suit",
        "hidden_influencer",
    ]
    # (the factory's people are staff, so any of influence 4 or more is a
    # hidden influencer; Charlie's blank plan is none, its worded one is)
    assert shown == [
        ("Alpha", 1, (1, 1, 0, 1, 0, 0, 1)),
        ("Bravo", 2, (2, 0, 0, 0, 1, 0, 1)),
        ("Charlie", 3, (1, 2, 1, 1, 0, 0, 2)),
        ("Delta", 3, (1, 0, 1, 1, 1, 0, 1)),
        ("Echo", 4, (0, 1, 1, 1, 0, 1, 2)),
        ("Foxtrot", 2, (1, 0, 0, 0, 0, 1, 0)),
    ]
    assert (rollup.people, rollup.totals) == (15, (6, 4, 3, 4, 2, 2, 7))


def _portfolio_of(size: int, rep: User) -> None:
    for number in range(size):
        account = cast(Account, AccountFactory.create(name=f"Account {number:03}"))
        account.team_members.add(rep)
        _person(account, sentiment=number % 5 - 2, influence=number % 5 + 1)


# session, user; the marked accounts' ids, the viewer's kept sums, then
# (Rita's memberships waiting for their fold) the stored counts and stale
# people of what she sees, the six of a live count of the accounts not yet
# folded, and the page's accounts, their people, sector defaults and
# unheld roles
PAGE_QUERIES = 16
# once folded, nothing marked: her kept sums, the quiet days before the
# cutoff's and that day's people, and the page's four
PAGE_QUERIES_KEPT = 10


@pytest.mark.parametrize("size", [3, 130])
def test_the_page_asks_the_same_queries_at_any_size(
    client: Client,
    rep: User,
    size: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    # given: more accounts than a page holds at the larger size
    _portfolio_of(size, rep)
    client.force_login(rep)

    # when / then: the same at both sizes, before the fold and after it
    with django_assert_num_queries(PAGE_QUERIES):
        counted = client.get(reverse("stakeholders:coverage"))
    coverage_counts_fold()
    with django_assert_num_queries(PAGE_QUERIES_KEPT):
        kept = client.get(reverse("stakeholders:coverage"))

    for page in (counted, kept):
        body = page.content.decode()
        assert page.status_code == 200
        assert f"All {size} accounts" in body
        assert body.count('href="/stakeholders/account/') == min(size, 100)


def test_the_second_page_lists_the_accounts_after_the_first_hundred(
    client: Client, rep: User
) -> None:
    _portfolio_of(130, rep)
    client.force_login(rep)

    page = client.get(reverse("stakeholders:coverage"), {"page": 2})

    body = page.content.decode()
    assert "Page 2 of 2" in body
    assert "Account 100" in body and "Account 129" in body
    assert "Account 099" not in body


def _names(rollup: CoverageRollup) -> list[str]:
    return [row.account.name for row in rollup.rows]


def test_next_and_previous_read_from_the_edge_the_same_pages_as_numbers(
    rep: User,
) -> None:
    # given
    _portfolio_of(250, rep)
    by_number = [
        _names(coverage_rollup_page_for_user(user=rep, page=number))
        for number in (1, 2, 3)
    ]

    # when: Next to the end, then Previous back
    forward = [coverage_rollup_page_for_user(user=rep, page=1)]
    for number in (2, 3):
        after = forward[-1].rows[-1].account.pk
        forward.append(
            coverage_rollup_page_for_user(user=rep, page=number, after=after)
        )
    backward = [forward[-1]]
    for number in (2, 1):
        before = backward[-1].rows[0].account.pk
        backward.append(
            coverage_rollup_page_for_user(user=rep, page=number, before=before)
        )

    # then
    assert [_names(rollup) for rollup in forward] == by_number
    assert [_names(rollup) for rollup in backward] == by_number[::-1]
    assert [len(names) for names in by_number] == [100, 100, 50]
    assert [rollup.page.number for rollup in forward] == [1, 2, 3]


def test_a_cursor_the_user_may_not_see_falls_back_to_the_page_number(
    rep: User,
) -> None:
    _portfolio_of(130, rep)
    hidden = cast(Account, AccountFactory.create(name="Account 050 hidden"))

    rollup = coverage_rollup_page_for_user(user=rep, page=2, after=hidden.pk)

    assert _names(rollup)[0] == "Account 100"
    assert rollup.page.number == 2


def test_the_pager_links_carry_the_edge_of_the_page(client: Client, rep: User) -> None:
    # given
    _portfolio_of(130, rep)
    client.force_login(rep)
    first = Account.objects.get(name="Account 100")
    last = Account.objects.get(name="Account 099")

    # when
    page_one = client.get(reverse("stakeholders:coverage")).content.decode()
    page_two = client.get(
        reverse("stakeholders:coverage"), {"page": 2, "after": last.pk}
    ).content.decode()

    # then
    assert f'href="?page=2&amp;after={last.pk}"' in page_one
    assert f'href="?page=1&amp;before={first.pk}"' in page_two
    assert "Account 100" in page_two and "Account 099" not in page_two


@pytest.mark.parametrize("size", [130, 260])
def test_a_next_page_asks_the_same_queries_at_any_size(
    client: Client,
    rep: User,
    size: int,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    # given: the totals kept by a first visit
    _portfolio_of(size, rep)
    client.force_login(rep)
    client.get(reverse("stakeholders:coverage"))
    last = Account.objects.get(name="Account 099")

    # when / then: as page 1, the page read from its edge
    with django_assert_num_queries(PAGE_QUERIES):
        page = client.get(
            reverse("stakeholders:coverage"), {"page": 2, "after": last.pk}
        )

    body = page.content.decode()
    assert "Account 100" in body and f"Account {min(size, 200) - 1}" in body
    assert "Account 099" not in body
