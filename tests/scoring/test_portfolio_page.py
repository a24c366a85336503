import statistics
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from scoring.models import AccountScore, ScoreRun, ScoringModel
from scoring.selectors import (
    PAGE_SIZE,
    account_score_queryset_for_user,
    portfolio_potential_threshold,
    potential_top_quartile_threshold,
    score_run_current,
    score_run_current_and_pending,
    score_run_pending,
)
from scoring.services import scoring_model_active
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


def current_run() -> ScoreRun:
    model = ScoringModel.objects.filter(is_active=True).first()
    model = model or ScoringModel.objects.create(name="Default", is_active=True)
    return ScoreRun.objects.create(
        scoring_model=model,
        status=ScoreRun.Status.SUCCEEDED,
        is_current=True,
        figure={"data": [], "layout": {"xaxis": {"title": {"text": "Performance"}}}},
    )


def score(run: ScoreRun, account: Account, **values: object) -> AccountScore:
    fields = {
        "performance": 40.0,
        "potential": 40.0,
        "quadrant": AccountScore.Quadrant.MONITOR,
        "tier": AccountScore.Tier.C,
        "ttm_revenue": Decimal("1000"),
        "components": {},
        **values,
    }
    return AccountScore.objects.create(run=run, account=account, **fields)


def store_figure(run: ScoreRun) -> None:
    """Store a figure shaped as the worker stores it: account ids as customdata."""
    scores = list(run.scores.select_related("account"))
    run.figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": [s.performance for s in scores],
                "y": [s.potential for s in scores],
                "text": [s.account.name for s in scores],
                "customdata": [s.account_id for s in scores],
            }
        ],
        "layout": {},
    }
    run.save()


def chart_account_ids(client) -> set[int]:
    figure = client.get(reverse("scoring:portfolio_figure")).json()["figure"]
    return {point for trace in figure["data"] for point in trace["customdata"]}


def test_a_rep_sees_only_their_accounts_in_the_table_chart_and_panel(
    client, rep, outsider, account
):
    # given
    run = current_run()
    other = AccountFactory.create(name="Zeta Other")
    other.team_members.add(outsider)
    score(run, account, potential=90.0, tier=AccountScore.Tier.B)
    score(run, other, potential=95.0, tier=AccountScore.Tier.C)
    store_figure(run)
    client.force_login(rep)

    # when
    response = client.get(reverse("scoring:portfolio"))

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme Corporation" in html
    assert "Zeta Other" not in html
    assert chart_account_ids(client) == {account.pk}


def test_a_manager_sees_their_reps_accounts(client, manager, rep, outsider, account):
    run = current_run()
    other = AccountFactory.create(name="Zeta Other")
    other.team_members.add(outsider)
    score(run, account)
    score(run, other)
    store_figure(run)
    client.force_login(manager)

    html = client.get(reverse("scoring:portfolio")).content.decode()

    assert "Acme Corporation" in html
    assert "Zeta Other" not in html
    assert chart_account_ids(client) == {account.pk}


def test_hidden_gold_lists_b_and_c_accounts_with_top_quarter_potential(
    client, executive
):
    run = current_run()
    # The top quarter of 10, 20, 30, 95, 96 starts at 95.
    potentials = {
        "A1": (95.0, "A"),
        "B1": (96.0, "B"),
        "C1": (10.0, "C"),
        "C2": (20.0, "C"),
        "C3": (30.0, "C"),
    }
    for name, (potential, tier) in potentials.items():
        score(run, AccountFactory.create(name=name), potential=potential, tier=tier)
    client.force_login(executive)

    response = client.get(reverse("scoring:portfolio"))

    gold = [g.score.account.name for g in response.context["hidden_gold"]]
    assert gold == ["B1"]
    assert "Tier B on revenue alone" in response.content.decode()


def test_the_table_filters_and_sorts(client, executive):
    run = current_run()
    score(run, AccountFactory.create(name="Alpha", sector="retail"), performance=10.0)
    score(run, AccountFactory.create(name="Beta", sector="medical"), performance=80.0)
    score(run, AccountFactory.create(name="Gamma", sector="retail"), performance=50.0)
    client.force_login(executive)

    by_sector = client.get(reverse("scoring:portfolio"), {"sector": "retail"})
    by_performance = client.get(reverse("scoring:portfolio"), {"sort": "-performance"})
    by_name = client.get(reverse("scoring:portfolio"), {"q": "amm"})

    names = [s.account.name for s in by_sector.context["page"].rows]
    assert names == ["Alpha", "Gamma"]
    names = [s.account.name for s in by_performance.context["page"].rows]
    assert names == ["Beta", "Gamma", "Alpha"]
    assert [s.account.name for s in by_name.context["page"].rows] == ["Gamma"]


def test_with_no_score_it_says_what_to_do(client, ops):
    client.force_login(ops)

    response = client.get(reverse("scoring:portfolio"))

    assert "Nothing scored yet" in response.content.decode()
    assert "Recompute scores" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "shown"),
    [("ops", 1), ("manager", 0), ("rep", 0), ("executive", 0)],
)
def test_only_ops_see_the_recompute_button(request, client, who, shown):
    current_run()
    client.force_login(request.getfixturevalue(who))

    page = client.get(reverse("scoring:portfolio")).content.decode()

    assert page.count(">Recompute scores</button>") == shown


@pytest.mark.parametrize("who", ["manager", "rep", "executive"])
def test_only_ops_request_a_run(request, client, who):
    client.force_login(request.getfixturevalue(who))

    response = client.post(reverse("scoring:run_create"))

    assert response.status_code == 403
    assert "Only sales ops recompute scores." in response.content.decode()
    assert not ScoreRun.objects.exists()


def test_the_progress_endpoint_reports_the_pending_run(client, manager):
    current_run()
    model = ScoringModel.objects.get(is_active=True)
    pending = ScoreRun.objects.create(
        scoring_model=model, status=ScoreRun.Status.RUNNING, progress=40
    )
    client.force_login(manager)

    state = client.get(reverse("scoring:run_progress")).json()

    assert state["pending"]["id"] == pending.pk
    assert state["pending"]["progress"] == 40
    assert state["current"]["is_current"] is True


@pytest.mark.parametrize("size", [3, 60])
def test_the_page_runs_a_fixed_number_of_queries(client, manager, rep, size):
    run = current_run()
    for index in range(size):
        account = AccountFactory.create(name=f"Account {index:03}")
        account.team_members.add(rep)
        score(run, account, potential=float(index), tier="BC"[index % 2])
    store_figure(run)
    client.force_login(manager)

    with CaptureQueriesContext(connection) as first:
        response = client.get(reverse("scoring:portfolio"))
    with CaptureQueriesContext(connection) as again:
        cached = client.get(reverse("scoring:portfolio"))

    assert response.status_code == 200
    assert response.context["visible_count"] == size
    assert len(response.context["page"].rows) == min(size, PAGE_SIZE)
    assert len(first) == PORTFOLIO_QUERIES, [q["sql"] for q in first]
    # then the count, quartile and sectors of this run come from the cache
    assert cached.context["visible_count"] == size
    assert cached.context["hidden_gold"] == response.context["hidden_gold"]
    assert len(again) == PORTFOLIO_CACHED_QUERIES, [q["sql"] for q in again]


# Session, user, current and pending runs, the visibility key, count of
# visible scores, the two scores around the potential quartile, sectors,
# one table page, hidden gold. The chart comes from its own URL.
PORTFOLIO_QUERIES = 9
# The same less the count, the quartile and the sectors.
PORTFOLIO_CACHED_QUERIES = 6


def test_a_new_team_member_account_shows_at_once(client, manager, rep):
    # given a manager whose summary of this run is cached
    run = current_run()
    for index in range(3):
        account = AccountFactory.create(name=f"Account {index:03}")
        account.team_members.add(rep)
        score(run, account, potential=float(index))
    client.force_login(manager)
    assert client.get(reverse("scoring:portfolio")).context["visible_count"] == 3

    # when the rep joins the team of an account of the same run
    joined = AccountFactory.create(name="Joined", sector="mining")
    score(run, joined, potential=90.0)
    joined.team_members.add(rep)
    response = client.get(reverse("scoring:portfolio"))

    # then the count and the sectors include it
    assert response.context["visible_count"] == 4
    assert "mining" in response.context["sectors"]


@pytest.mark.parametrize("size", [3, 60])
def test_someone_who_sees_all_reads_stored_counts(client, ops, size):
    # given a run that stored its count, sectors and quartile
    run = current_run()
    for index in range(size):
        account = AccountFactory.create(name=f"Account {index:03}", sector="retail")
        score(run, account, potential=float(index), tier="BC"[index % 2])
    run.accounts_scored = size
    run.summary = {"sectors": ["retail"], "potential_quartile": 0.75 * (size - 1)}
    run.save()
    client.force_login(ops)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("scoring:portfolio"))

    # then no query counts or scans the scores
    assert response.status_code == 200
    assert response.context["visible_count"] == size
    assert response.context["sectors"] == ["retail"]
    sql = " ".join(q["sql"] for q in queries).upper()
    assert "COUNT(" not in sql
    assert len(queries) == SEES_ALL_QUERIES, [q["sql"] for q in queries]


# Session, user, current and pending runs, one table page, hidden gold.
SEES_ALL_QUERIES = 5


@pytest.mark.parametrize("url", ["scoring:portfolio", "scoring:run_progress"])
def test_the_page_and_its_poll_leave_the_stored_chart_unread(client, ops, url):
    # The chart grows with the portfolio and has its own URL.
    run = current_run()
    score(run, AccountFactory.create(name="Acme"))
    store_figure(run)
    client.force_login(ops)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(url))

    assert response.status_code == 200
    run_reads = [q["sql"] for q in queries if "scoring_scorerun" in q["sql"]]
    assert len(run_reads) == 1, run_reads
    assert '"figure"' not in run_reads[0]


def test_one_query_finds_the_current_run_and_the_one_waiting_after_it():
    # given an old pending run, the current run and two newer waiting runs
    model = ScoringModel.objects.filter(is_active=True).first()
    model = model or ScoringModel.objects.create(name="Default", is_active=True)
    ScoreRun.objects.create(scoring_model=model, status=ScoreRun.Status.PENDING)
    run = current_run()
    ScoreRun.objects.create(scoring_model=model, status=ScoreRun.Status.RUNNING)
    newest = ScoreRun.objects.create(
        scoring_model=model, status=ScoreRun.Status.PENDING
    )

    # when
    with CaptureQueriesContext(connection) as queries:
        found = score_run_current_and_pending()

    # then
    assert found == (run, newest)
    assert len(queries) == 1
    assert found == (score_run_current(), score_run_pending())


def test_with_no_current_run_the_newest_waiting_run_is_pending():
    model = ScoringModel.objects.filter(is_active=True).first()
    model = model or ScoringModel.objects.create(name="Default", is_active=True)
    ScoreRun.objects.create(scoring_model=model, status=ScoreRun.Status.FAILED)
    waiting = ScoreRun.objects.create(scoring_model=model)

    assert score_run_current_and_pending() == (None, waiting)
    run = current_run()
    assert score_run_current_and_pending() == (run, None)


def test_the_chart_of_someone_who_sees_all_is_revalidated_not_resent(client, ops):
    run = current_run()
    client.force_login(ops)

    first = client.get(reverse("scoring:portfolio_figure"))
    again = client.get(
        reverse("scoring:portfolio_figure"), HTTP_IF_NONE_MATCH=first["ETag"]
    )

    assert first.status_code == 200
    assert first.json()["figure"] == run.figure
    assert again.status_code == 304


def test_the_chart_without_webgl_has_its_own_tag(client, ops):
    run = current_run()
    client.force_login(ops)
    url = reverse("scoring:portfolio_figure")

    webgl = client.get(url)
    svg = client.get(url, {"renderer": "svg"}, HTTP_IF_NONE_MATCH=webgl["ETag"])

    # A cached WebGL figure is never reused where WebGL cannot draw it.
    assert svg.status_code == 200
    assert svg["ETag"] != webgl["ETag"]
    assert svg.json()["figure"] == run.figure


def test_the_chart_needs_a_login(client):
    response = client.get(reverse("scoring:portfolio_figure"))

    assert response.status_code == 302


def test_the_table_pages_through_every_account_once(client, executive):
    run = current_run()
    for index in range(PAGE_SIZE + 7):
        score(run, AccountFactory.create(name=f"Account {index:03}"), performance=50.0)
    client.force_login(executive)

    first = client.get(reverse("scoring:portfolio"), {"sort": "-performance"})
    second = client.get(
        reverse("scoring:portfolio"), {"sort": "-performance", "page": "2"}
    )

    rows = first.context["page"].rows + second.context["page"].rows
    assert len({row.account_id for row in rows}) == PAGE_SIZE + 7
    assert first.context["page"].has_next and not second.context["page"].has_next
    html = second.content.decode()
    assert "Showing 51–57" in html
    assert 'rel="prev"' in html


def test_the_quartile_read_by_offset_matches_the_statistics_module(rep):
    run = current_run()
    potentials = [3.0, 17.5, 9.0, 42.0, 8.0, 99.0, 61.0]
    for index, potential in enumerate(potentials):
        account = AccountFactory.create(name=f"Account {index}")
        account.team_members.add(rep)
        score(run, account, potential=potential)

    scores = account_score_queryset_for_user(user=rep, run=run)
    threshold = portfolio_potential_threshold(
        user=rep, run=run, scores=scores, count=len(potentials)
    )

    expected = statistics.quantiles(potentials, n=4, method="inclusive")[2]
    assert threshold == pytest.approx(expected)
    assert potential_top_quartile_threshold(potentials=potentials) == pytest.approx(
        expected
    )


def test_a_failing_run_shows_its_reason_and_keeps_the_current_scores(
    transactional_db, client, ops
):
    # given a scoring model whose potential weights add up to zero
    model = scoring_model_active()
    ScoringModel.objects.filter(pk=model.pk).update(
        weight_wallet_headroom=0,
        weight_product_whitespace=0,
        weight_subsidiary_whitespace=0,
        weight_capacity=0,
    )
    client.force_login(ops)

    # when ops asks for a run, which executes in process
    response = client.post(reverse("scoring:run_create"), follow=True)

    # then the page says why, and nothing became current
    assert response.status_code == 200
    assert "The score run failed: The potential weights add up to zero." in (
        response.content.decode()
    )
    assert not ScoreRun.objects.filter(is_current=True).exists()
    assert ScoreRun.objects.get().status == ScoreRun.Status.FAILED


def test_revenue_is_labelled_in_the_run_s_reporting_currency(client, executive):
    run = current_run()
    run.summary = {**(run.summary or {}), "reporting_currency": "EUR"}
    run.save(update_fields=["summary"])
    for name, potential in [("B1", 96.0), ("C1", 10.0), ("C2", 20.0), ("C3", 30.0)]:
        score(run, AccountFactory.create(name=name), potential=potential, tier="B")
    client.force_login(executive)

    page = client.get(reverse("scoring:portfolio")).content.decode()

    assert "TTM revenue (EUR)" in page
    assert "(1,000.00 EUR in the last 12 months)" in page
    assert "USD" not in page


def test_revenue_shows_every_decimal_of_a_kwd_reporting_currency(client, executive):
    # given a run reporting in KWD, and a revenue with fils
    run = current_run()
    run.summary = {**(run.summary or {}), "reporting_currency": "KWD"}
    run.save(update_fields=["summary"])
    for name, potential in [("B1", 96.0), ("C1", 10.0), ("C2", 20.0), ("C3", 30.0)]:
        score(
            run,
            AccountFactory.create(name=name),
            potential=potential,
            tier="B",
            ttm_revenue=Decimal("1234.5"),
        )
    client.force_login(executive)

    # when
    page = client.get(reverse("scoring:portfolio")).content.decode()

    # then the table and the reason both keep the third decimal
    assert "TTM revenue (KWD)" in page
    assert '<td class="num">1,234.500</td>' in page
    assert "(1,234.500 KWD in the last 12 months)" in page


def test_an_empty_search_says_no_account_matches_once(client, executive):
    run = current_run()
    score(run, AccountFactory.create(name="Alpha"))
    score(run, AccountFactory.create(name="Beta"))
    client.force_login(executive)

    response = client.get(reverse("scoring:portfolio"), {"q": "zzz"})

    text = response.content.decode()
    assert text.count("No account matches") == 1
    assert "No account matches these filters." in text
    assert "0 matching, of 2 accounts you can see" in text
