"""The account table pages by keyset: Next and Previous at any depth."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from accounts.selectors import account_name_search
from scoring.models import AccountScore, ScoreRun
from scoring.selectors import (
    OFFSET_PAGES,
    PAGE_SIZE,
    PORTFOLIO_SORTS,
    account_score_queryset_for_user,
    portfolio_page,
)
from tests.accounts.factories import AccountFactory
from tests.scoring.test_portfolio_page import current_run, score

pytestmark = pytest.mark.django_db

SIZE = 5
SORTS = [f"{sign}{key}" for key in PORTFOLIO_SORTS for sign in ("", "-")]


def tied_portfolio(run: ScoreRun, count: int = 23) -> None:
    """Score accounts whose every column but the name ties with others."""
    quadrants = AccountScore.Quadrant.values
    for index in range(count):
        account = AccountFactory.create(
            name=f"Account {(index * 7) % count:03}",
            sector=["retail", "medical", ""][index % 3],
            country=["Norway", "Kenya"][index % 2],
        )
        score(
            run,
            account,
            performance=float(index % 4) * 12.5,
            potential=float(index % 3) / 3,
            quadrant=quadrants[index % 4],
            tier="ABC"[index % 3],
            ttm_revenue=Decimal("1000.10") * (index % 5),
        )


def ids(page) -> list[int]:
    return [row.account_id for row in page.rows]


@pytest.mark.parametrize("sort", SORTS)
def test_next_and_previous_walk_the_same_pages_as_page_numbers(executive, sort):
    # given
    run = current_run()
    tied_portfolio(run)
    scores = account_score_queryset_for_user(user=executive, run=run)
    numbered = [
        ids(portfolio_page(scores=scores, sort=sort, page=number, page_size=SIZE))
        for number in range(1, 6)
    ]

    # when: Next from page 1 to the end, then Previous back to page 1
    forward = [portfolio_page(scores=scores, sort=sort, page_size=SIZE)]
    while forward[-1].has_next:
        here = forward[-1]
        forward.append(
            portfolio_page(
                scores=scores,
                sort=sort,
                page=here.number + 1,
                after=here.next_cursor,
                page_size=SIZE,
            )
        )
    backward = [forward[-1]]
    while backward[-1].has_previous:
        here = backward[-1]
        backward.append(
            portfolio_page(
                scores=scores,
                sort=sort,
                page=here.number - 1,
                before=here.rows[0].account_id,
                page_size=SIZE,
            )
        )

    # then
    assert [ids(page) for page in forward] == numbered
    assert [ids(page) for page in reversed(backward)] == numbered
    assert sorted(sum(numbered, [])) == sorted(
        scores.values_list("account_id", flat=True)
    )
    assert [(page.number, page.first, page.last) for page in forward] == [
        (1, 1, 5),
        (2, 6, 10),
        (3, 11, 15),
        (4, 16, 20),
        (5, 21, 23),
    ]
    assert [page.number for page in backward] == [5, 4, 3, 2, 1]


def test_filters_and_search_hold_across_cursor_pages(executive):
    run = current_run()
    tied_portfolio(run)
    scores = account_score_queryset_for_user(user=executive, run=run)
    asked = {"scores": scores, "sort": "-performance", "tier": "A", "page_size": 3}

    first = portfolio_page(**asked)
    second = portfolio_page(**asked, page=2, after=first.next_cursor)
    third = portfolio_page(**asked, page=3, after=second.next_cursor)

    expected = list(
        scores.filter(tier="A")
        .order_by("-performance", "-account_id")
        .values_list("account_id", flat=True)
    )
    assert ids(first) + ids(second) + ids(third) == expected
    assert not third.has_next


def test_a_cursor_to_an_account_not_shown_falls_back_to_the_page_number(rep, account):
    # given: a rep's one account, and a cursor naming an account they can't see
    run = current_run()
    score(run, account)
    hidden = AccountFactory.create(name="Hidden")
    score(run, hidden)
    scores = account_score_queryset_for_user(user=rep, run=run)

    # when
    page = portfolio_page(scores=scores, page=1, after=hidden.pk)

    # then
    assert ids(page) == [account.pk]
    assert (page.number, page.has_previous, page.has_next) == (1, False, False)


def test_a_page_number_past_the_offset_pages_shows_the_last_of_them(executive):
    run = current_run()
    tied_portfolio(run, count=OFFSET_PAGES * 2 + 1)
    scores = account_score_queryset_for_user(user=executive, run=run)

    page = portfolio_page(scores=scores, page=OFFSET_PAGES + 5, page_size=2)

    assert page.clamped
    assert page.number == OFFSET_PAGES
    assert ids(page) == ids(
        portfolio_page(scores=scores, page=OFFSET_PAGES, page_size=2)
    )


@pytest.mark.parametrize(
    ("sort", "search"),
    [("-potential", ""), ("quadrant", ""), ("-tier", ""), ("name", "ac")],
)
@pytest.mark.parametrize("size", [PAGE_SIZE * 3 + 1, PAGE_SIZE * 6 + 1])
def test_the_pager_links_carry_the_cursor_and_cost_the_same_queries(
    client, executive, size, sort, search
):
    # given
    run = current_run()
    quadrants = AccountScore.Quadrant.values
    for index in range(size):
        score(
            run,
            AccountFactory.create(name=f"Account {index:04}"),
            quadrant=quadrants[index % 2],
            tier="AB"[index % 2],
        )
    client.force_login(executive)
    url = reverse("scoring:portfolio")

    # when: Next to the last page, counting each page's queries
    response = client.get(url, {"sort": sort, "q": search})
    seen, counts = [], []
    while True:
        seen += ids(response.context["page"])
        link = re.search(r'rel="next" href="([^"]+)"', response.content.decode())
        if link is None:
            break
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + link.group(1).replace("&amp;", "&"))
        counts.append(len(queries))

    # then
    assert len(seen) == len(set(seen)) == size
    assert "after=" in link_of(client, url, sort)
    assert len(set(counts)) == 1
    assert counts[0] == SAME_QUERIES
    html = response.content.decode()
    assert f"Showing {size - size % PAGE_SIZE + 1:,}–{size:,}" in html
    assert "before=" in html
    assert 'data-testid="first-page"' in html


def link_of(client, url: str, sort: str) -> str:
    html = client.get(url, {"sort": sort}).content.decode()
    found = re.search(r'rel="next" href="([^"]+)"', html)
    assert found, "the page has no Next link"
    return found.group(1)


# As the first page of the portfolio, for someone who sees all (session,
# user, runs, one table page, hidden gold): a cursor page adds none.
SAME_QUERIES = 5


def test_a_search_of_one_or_two_letters_matches_the_start_of_names(client, executive):
    run = current_run()
    for name in ("Acme", "Pacific Traders", "ACE Tools", "Tracer"):
        score(run, AccountFactory.create(name=name))
    client.force_login(executive)
    url = reverse("scoring:portfolio")

    def found(search: str) -> list[str]:
        response = client.get(url, {"q": search})
        return [row.account.name for row in response.context["page"].rows]

    assert found("ac") == ["ACE Tools", "Acme"]
    assert found(" a ") == ["ACE Tools", "Acme"]
    assert found("acI") == ["Pacific Traders"]
    assert found("ace") == ["ACE Tools", "Tracer"]
    html = client.get(url).content.decode()
    assert (
        "One or two letters find names that start with them; three or more, "
        "names that contain them."
    ) in html


def test_a_short_search_reads_the_prefix_index_on_postgresql(postgres):
    # given: enough names that reading them all costs more than the index,
    # few of them starting with the letters searched for (had a quarter of
    # them matched, reading the table would rightly be the cheaper plan)
    Account.objects.bulk_create(
        Account(name=f"{prefix} {index:04}")
        for index in range(1000)
        for prefix in ("Zen", "Bel", "Tri")
    )
    Account.objects.bulk_create(Account(name=f"Kor {index:04}") for index in range(10))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_account")

    # when
    sql, params = (
        Account.objects.filter(account_name_search(search="ko"))
        .values("pk")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # then
    assert "accounts_account_name_upper_c" in plan, plan


def test_accounts_of_one_sector_or_country_go_by_name(executive):
    run = current_run()
    for name, sector in (("Cobalt", "retail"), ("Alder", "retail"), ("Birch", "")):
        score(run, AccountFactory.create(name=name, sector=sector, country=sector))
    scores = account_score_queryset_for_user(user=executive, run=run)

    def names(sort: str) -> list[str]:
        page = portfolio_page(scores=scores, sort=sort)
        return [row.account.name for row in page.rows]

    assert names("sector") == names("country") == ["Birch", "Alder", "Cobalt"]
    assert names("-sector") == names("-country") == ["Cobalt", "Alder", "Birch"]


@pytest.mark.parametrize("sort", ["quadrant", "-quadrant", "tier", "-tier"])
def test_a_quadrant_or_tier_page_reads_its_index_without_sorting(postgres, sort):
    # given: a portfolio large enough that sorting every score would be
    # planned, were no index to give the order
    run = current_run()
    accounts = Account.objects.bulk_create(
        Account(name=f"Account {index:05}") for index in range(3000)
    )
    AccountScore.objects.bulk_create(
        AccountScore(
            run=run,
            account=account,
            performance=1.0,
            potential=1.0,
            quadrant=AccountScore.Quadrant.values[index % 4],
            tier="ABC"[index % 3],
            ttm_revenue=Decimal("1"),
        )
        for index, account in enumerate(accounts)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scoring_accountscore")
        cursor.execute("ANALYZE accounts_account")
    scores = AccountScore.objects.filter(run=run)
    cursor_id = accounts[1700].pk

    # when: the first page, and a page after a cursor deep in one value
    plans = []
    for after in (None, cursor_id):
        with CaptureQueriesContext(connection) as queries:
            portfolio_page(scores=scores, sort=sort, after=after)
        (sql,) = [query["sql"] for query in queries]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    # then
    field = sort.lstrip("-")
    for plan in plans:
        assert "Sort" not in plan, plan
        assert f"{field}_account_id_idx" in plan, plan
    # the cursor bounds the index scan itself, not a filter after it
    assert re.search(r"Index Cond: .*ROW\(.*account_id\) [<>] ROW", plans[1]), plans[1]


def test_a_short_search_pages_by_the_upper_cased_name(executive):
    # given: names that differ in case, and one that only contains the letters
    run = current_run()
    for name in ("acme b", "ACME A", "Acme c", "Ace", "Bac", "Zed"):
        score(run, AccountFactory.create(name=name))
    scores = account_score_queryset_for_user(user=executive, run=run)

    def walk(sort: str) -> list[list[str]]:
        asked = {"scores": scores, "search": "aC", "sort": sort, "page_size": 2}
        pages = [portfolio_page(**asked)]
        while pages[-1].has_next:
            pages.append(
                portfolio_page(
                    **asked, page=pages[-1].number + 1, after=pages[-1].next_cursor
                )
            )
        back = portfolio_page(**asked, page=1, before=pages[-1].previous_cursor)
        assert [row.account.name for row in back.rows] == [
            row.account.name for row in pages[-2].rows
        ]
        return [[row.account.name for row in page.rows] for page in pages]

    # then
    assert walk("name") == [["Ace", "ACME A"], ["acme b", "Acme c"]]
    assert walk("-name") == [["Acme c", "acme b"], ["ACME A", "Ace"]]
    # other sorts keep their own order over the same matches
    assert walk("-potential")[0][0] in {"Ace", "ACME A", "acme b", "Acme c"}


def test_a_short_search_many_names_share_reads_one_index_on_postgresql(postgres):
    # given: the letters searched for start a third of the names, all of
    # them after the others in name order
    run = current_run()
    accounts = Account.objects.bulk_create(
        Account(name=f"{prefix} {index:04}")
        for index in range(1000)
        for prefix in ("Bel", "Tri", "Zen")
    )
    AccountScore.objects.bulk_create(
        AccountScore(
            run=run,
            account=account,
            performance=1.0,
            potential=1.0,
            quadrant=AccountScore.Quadrant.MONITOR,
            tier="C",
            ttm_revenue=Decimal("1"),
        )
        for account in accounts
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scoring_accountscore")
        cursor.execute("ANALYZE accounts_account")
    scores = AccountScore.objects.filter(run=run)

    # when
    with CaptureQueriesContext(connection) as queries:
        page = portfolio_page(scores=scores, search="ze")
    (sql,) = [query["sql"] for query in queries]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    # then: the names' key index finds and orders them; nothing is sorted
    assert page.rows[0].account.name == "Zen 0000"
    assert "accounts_account_name_upper_c" in plan, plan
    assert "Sort" not in plan, plan
