"""Score runs against the database: request, execute, fail, load and save."""

import base64
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db import connection
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from accounts.models import Account, ImportJob, Product, RevenueLine, User
from accounts.signals import import_finished
from scoring import charts, selectors
from scoring.computation import score_accounts
from scoring.loading import (
    account_scores_save,
    score_partition_name,
    scoring_frames_load,
    scoring_weights_from_model,
)
from scoring.models import AccountScore, ScoreRun
from scoring.services import score_run_execute, score_run_request, scoring_model_active
from scoring.tasks import scoring_nightly_task
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def portfolio_create(*, size: int, prefix: str = "Account") -> list[Account]:
    """Create `size` accounts buying from two products, set-based."""
    products = [
        ProductFactory.create(name="GTX Basic"),
        ProductFactory.create(name="MG Special"),
    ]
    accounts = Account.objects.bulk_create(
        Account(
            name=f"{prefix} {index:04d}",
            sector="retail" if index % 2 else "medical",
            annual_revenue=Decimal(100 + index) * 1_000_000,
            annual_revenue_currency="USD",
            employees=10 * (index + 1),
        )
        for index in range(size)
    )
    RevenueLine.objects.bulk_create(
        RevenueLine(
            account=account,
            product=products[index % 2],
            quarter_start=date(2017, 1 + 3 * (index % 4), 1),
            amount=Decimal(1000 * (index + 1)),
        )
        for index, account in enumerate(accounts)
    )
    return accounts


def drawn(figure: dict | None) -> dict:
    """Return a figure the test expects the run to have drawn."""
    assert figure is not None, "no figure was drawn"
    return figure


def run_requested(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> ScoreRun:
    """Request a run and let its on-commit task run (eagerly, in process)."""
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_request(trigger="manual")
    run.refresh_from_db()
    return run


def rows_written(run: ScoreRun) -> int:
    """Count a run's saved scores, in its own table until that is attached."""
    if connection.vendor != "postgresql":
        return AccountScore.objects.filter(run=run).count()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {score_partition_name(run_id=run.pk)}")
        (count,) = cursor.fetchone()
    return count


def test_a_run_scores_every_account_and_becomes_current(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    portfolio_create(size=6)

    # when
    run = run_requested(django_capture_on_commit_callbacks)

    # then
    assert run.status == ScoreRun.Status.SUCCEEDED
    assert run.is_current
    assert run.progress == 100
    assert run.accounts_scored == 6
    assert run.revenue_lines_read == 6
    assert run.as_of == date(2017, 12, 31)
    assert AccountScore.objects.filter(run=run).count() == 6
    assert set(run.timings) == {
        "load_seconds",
        "score_seconds",
        "save_seconds",
        "render_seconds",
        "total_seconds",
    }
    traces = drawn(run.figure)["data"]
    assert [trace["meta"]["quadrant"] for trace in traces] == [
        "grow",
        "expand",
        "maintain",
        "monitor",
    ]
    plotted = sorted(point for trace in traces for point in trace["customdata"])
    assert plotted == sorted(Account.objects.values_list("pk", flat=True))
    assert selectors.score_run_current() == run


def test_a_new_run_takes_over_from_the_current_one(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    portfolio_create(size=4)
    first = run_requested(django_capture_on_commit_callbacks)

    second = run_requested(django_capture_on_commit_callbacks)
    first.refresh_from_db()

    assert second.pk != first.pk
    assert second.is_current
    assert not first.is_current
    assert first.scores.count() == 4


def test_a_run_failing_midway_leaves_the_previous_run_current(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given a current run and a second one that breaks after its first batch
    portfolio_create(size=5)
    previous = run_requested(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        failing = score_run_request(trigger="manual")
    written_before_fault = []

    def fault(saved: int) -> None:
        written_before_fault.append(rows_written(failing))
        raise RuntimeError(f"disk full after {saved} scores")

    # when
    with pytest.raises(RuntimeError, match="disk full after 2 scores"):
        score_run_execute(run_id=failing.pk, batch_size=2, on_batch_saved=fault)

    # then the partial batch really was written, and then rolled back
    assert written_before_fault == [2]
    failing.refresh_from_db()
    previous.refresh_from_db()
    assert failing.status == ScoreRun.Status.FAILED
    assert failing.message == "disk full after 2 scores"
    assert not failing.is_current
    assert failing.figure is None
    assert AccountScore.objects.filter(run=failing).count() == 0
    assert previous.is_current
    assert AccountScore.objects.filter(run=previous).count() == 5
    assert selectors.score_run_current() == previous


def test_a_run_with_unusable_weights_fails_with_the_reason(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    portfolio_create(size=3)
    model = scoring_model_active()
    model.weight_wallet_headroom = model.weight_product_whitespace = Decimal(0)
    model.weight_subsidiary_whitespace = model.weight_capacity = Decimal(0)
    model.save()

    with pytest.raises(ValueError, match="potential weights add up to zero"):
        run_requested(django_capture_on_commit_callbacks)

    run = ScoreRun.objects.get()
    assert run.status == ScoreRun.Status.FAILED
    assert run.message == "The potential weights add up to zero."
    assert selectors.score_run_current() is None


def test_executing_a_finished_run_again_does_nothing(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    portfolio_create(size=3)
    run = run_requested(django_capture_on_commit_callbacks)
    finished_at = run.finished_at

    again = score_run_execute(run_id=run.pk)

    assert again.status == ScoreRun.Status.SUCCEEDED
    assert again.finished_at == finished_at
    assert AccountScore.objects.filter(run=run).count() == 3


def test_a_waiting_run_is_reused_rather_than_piled_up(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks, ops: User
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = score_run_request(trigger="manual", user=ops)
        second = score_run_request(trigger="nightly")

    assert first.pk == second.pk
    assert ScoreRun.objects.count() == 1
    assert first.requested_by == ops
    assert first.scoring_model.name == "Default"
    assert first.scoring_model.is_active
    # Each request enqueues on commit; only one execution can claim the run.
    assert len(callbacks) == 2


def test_pending_means_newer_than_the_current_run(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    portfolio_create(size=3)
    run_requested(django_capture_on_commit_callbacks)
    assert selectors.score_run_pending() is None

    with django_capture_on_commit_callbacks(execute=False):
        waiting = score_run_request(trigger="manual")

    assert selectors.score_run_pending() == waiting


def test_an_import_and_the_nightly_task_request_runs(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    portfolio_create(size=3)

    with django_capture_on_commit_callbacks(execute=True):
        import_finished.send(sender=None, job=None)
    after_import = ScoreRun.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        scoring_nightly_task.delay()
    nightly = ScoreRun.objects.exclude(pk=after_import.pk).get()

    assert after_import.trigger == "import"
    assert after_import.status == ScoreRun.Status.SUCCEEDED
    assert nightly.trigger == "nightly"
    assert nightly.status == ScoreRun.Status.SUCCEEDED
    assert nightly.is_current


def test_a_run_requested_by_an_import_names_the_job(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    portfolio_create(size=3)
    first_job = ImportJob.objects.create()
    second_job = ImportJob.objects.create()

    with django_capture_on_commit_callbacks(execute=False):
        import_finished.send(sender=ImportJob, job=first_job)
        # A second import while the run still waits reuses it.
        import_finished.send(sender=ImportJob, job=second_job)
    run = ScoreRun.objects.get()

    assert run.import_job == first_job
    assert list(first_job.score_runs.all()) == [run]
    assert not second_job.score_runs.exists()

    first_job.delete()
    run.refresh_from_db()
    assert run.import_job is None


def test_the_quadrant_shows_a_rep_only_their_accounts(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    rep: User,
    executive: User,
) -> None:
    accounts = portfolio_create(size=5)
    accounts[1].team_members.add(rep)
    accounts[3].team_members.add(rep)
    run = run_requested(django_capture_on_commit_callbacks)

    for_rep = selectors.quadrant_figure_for_user(user=rep, run=run)
    for_executive = selectors.quadrant_figure_for_user(user=executive, run=run)

    def plotted(figure: dict | None) -> list[int]:
        return sorted(p for trace in drawn(figure)["data"] for p in trace["customdata"])

    assert plotted(for_rep) == sorted([accounts[1].pk, accounts[3].pk])
    assert plotted(for_executive) == sorted(account.pk for account in accounts)
    for trace in drawn(for_rep)["data"]:
        assert len(trace["x"]) == len(trace["y"]) == len(trace["customdata"])
        assert len(trace["text"]) == len(trace["customdata"])
        assert trace["name"].endswith(f"({len(trace['customdata'])})")
    # The stored figure itself is untouched.
    run.refresh_from_db()
    assert plotted(run.figure) == plotted(for_executive)


def test_the_current_score_of_an_account(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    accounts = portfolio_create(size=3)
    assert selectors.account_score_current(account=accounts[0]) is None

    run = run_requested(django_capture_on_commit_callbacks)
    score = selectors.account_score_current(account=accounts[0])

    assert score is not None
    assert score.run == run
    assert score.ttm_revenue == Decimal("1000.00")


@pytest.mark.parametrize("size", [3, 40])
def test_loading_takes_one_query_per_table(
    size: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    portfolio_create(size=size)

    # Products, rates, accounts, revenue lines, the quarters whose won
    # deals invoices cover, support signals.
    with django_assert_num_queries(6):
        frames = scoring_frames_load()

    assert len(frames.accounts) == size
    assert len(frames.revenue) == size
    assert len(frames.products) == Product.objects.count()


@pytest.mark.parametrize("size", [3, 40])
def test_saving_takes_a_constant_number_of_statements(
    size: int,
    django_assert_num_queries: DjangoAssertNumQueries,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    portfolio_create(size=size)
    run = run_requested(django_capture_on_commit_callbacks)
    scores = AccountScore.objects.filter(run=run)
    frame = scoring_frames_load()
    result = score_accounts(
        accounts=frame.accounts,
        revenue=frame.revenue,
        products=frame.products,
        weights=scoring_weights_from_model(model=run.scoring_model),
    )
    other = ScoreRun.objects.create(scoring_model=run.scoring_model)
    # The run's breakdown layout, then on PostgreSQL: lock the accounts, COPY
    # out their ids, drop any stale table of the run's and create it, COPY
    # into it, set the memory to sort in, add its keys, its six indexes,
    # ANALYZE it and attach it; elsewhere one bulk INSERT.
    statements = 16 if connection.vendor == "postgresql" else 2

    with django_assert_num_queries(statements):
        saved = account_scores_save(run=other, result=result)

    assert saved == size
    assert AccountScore.objects.filter(run=other).count() == scores.count()


def test_saved_breakdowns_match_the_engine(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    portfolio_create(size=7)

    # when
    run = run_requested(django_capture_on_commit_callbacks)
    frame = scoring_frames_load()
    result = score_accounts(
        accounts=frame.accounts,
        revenue=frame.revenue,
        products=frame.products,
        weights=scoring_weights_from_model(model=run.scoring_model),
    )

    # then every stored number equals the engine's, whichever way it was saved
    stored = {
        score.account_id: score
        for score in AccountScore.objects.filter(run=run).order_by("account_id")
    }
    for account_id, breakdown in zip(
        result.scores.index, result.breakdown_list(), strict=True
    ):
        score = stored[account_id]
        assert score.components == breakdown
        row = result.scores.loc[account_id]
        assert score.performance == row["performance"]
        assert score.potential == row["potential"]
        assert score.quadrant == row["quadrant"]
        assert score.tier == row["tier"]
        assert score.ttm_revenue == Decimal(f"{row['ttm_revenue']:.2f}")


def trace_values(column: Iterable[Any]) -> list:
    """Return a stored trace column as a list, typed arrays decoded."""
    if isinstance(column, dict):
        raw = base64.b64decode(column["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(column["dtype"])).tolist()
    return list(column)


def plotted_ids(figure: dict | None) -> list[int]:
    return sorted(
        int(point)
        for trace in drawn(figure)["data"]
        if "customdata" in trace
        for point in trace_values(trace["customdata"])
    )


def density_total(trace: dict) -> int:
    """Return the accounts a density trace counts (its hover labels)."""
    return sum(int(label.replace(",", "")) for row in trace["text"] for label in row)


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the chart's size limits so a test portfolio crosses them."""
    for module in (charts, selectors):
        monkeypatch.setattr(module, "DENSITY_FROM", 12, raising=False)
        monkeypatch.setattr(module, "TOP_ACCOUNTS", 3, raising=False)
    monkeypatch.setattr(charts, "SVG_POINTS_MAX", 5)


def test_a_mid_sized_portfolio_is_drawn_with_webgl_typed_arrays(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    small_limits: None,
    rep: User,
) -> None:
    # given 10 accounts: above the SVG limit, below the density one
    accounts = portfolio_create(size=10)
    accounts[2].team_members.add(rep)

    # when
    run = run_requested(django_capture_on_commit_callbacks)
    for_rep = selectors.quadrant_figure_for_user(user=rep, run=run)

    # then
    traces = drawn(run.figure)["data"]
    assert {trace["type"] for trace in traces} == {"scattergl"}
    assert any(isinstance(trace["x"], dict) for trace in traces)
    assert plotted_ids(run.figure) == sorted(account.pk for account in accounts)
    assert plotted_ids(for_rep) == [accounts[2].pk]


def test_without_webgl_a_mid_sized_portfolio_is_a_density_of_its_scores(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    small_limits: None,
    ops: User,
    rep: User,
) -> None:
    # given 10 accounts the worker draws as WebGL markers; the rep is on 2
    accounts = portfolio_create(size=10)
    for account in accounts[:2]:
        account.team_members.add(rep)
    run = run_requested(django_capture_on_commit_callbacks)

    # when
    with django_assert_max_num_queries(5):
        for_ops = selectors.quadrant_figure_for_user(user=ops, run=run, webgl=False)
    for_rep = selectors.quadrant_figure_for_user(user=rep, run=run, webgl=False)

    # then sales ops gets the density of all 10, its top markers in SVG
    density, *markers = drawn(for_ops)["data"]
    assert density["type"] == "heatmap"
    assert density_total(density) == 10
    assert {trace["type"] for trace in markers} == {"scatter"}
    assert drawn(for_ops)["layout"]["meta"]["accounts"] == 10
    assert set(plotted_ids(for_ops)) <= {account.pk for account in accounts}
    # and the rep's 2 markers, few enough for SVG, are the scatter in SVG
    assert {trace["type"] for trace in drawn(for_rep)["data"]} == {"scatter"}
    assert plotted_ids(for_rep) == sorted(account.pk for account in accounts[:2])
    # while with WebGL both keep the stored WebGL markers
    with_webgl = selectors.quadrant_figure_for_user(user=ops, run=run)
    assert {trace["type"] for trace in drawn(with_webgl)["data"]} == {"scattergl"}


def test_the_density_view_draws_its_top_accounts_without_webgl(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    small_limits: None,
    ops: User,
) -> None:
    # given 30 accounts, over the (shrunk) density limit of 12
    portfolio_create(size=30)

    # when
    run = run_requested(django_capture_on_commit_callbacks)
    without = selectors.quadrant_figure_for_user(user=ops, run=run, webgl=False)

    # then the stored figure holds no WebGL trace, so it is served as it is
    types = [trace["type"] for trace in drawn(run.figure)["data"]]
    assert types[:5] == ["heatmap", "scatter", "scatter", "scatter", "scatter"]
    assert without is run.figure


def test_a_large_portfolio_stores_a_density_and_the_top_accounts(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    small_limits: None,
) -> None:
    # given 30 accounts, over the (shrunk) density limit of 12
    accounts = portfolio_create(size=30)

    # when
    run = run_requested(django_capture_on_commit_callbacks)

    # then one density trace counts every account
    density, *markers = drawn(run.figure)["data"]
    assert density["type"] == "heatmap"
    assert density_total(density) == 30
    assert drawn(run.figure)["layout"]["meta"] == {
        "mode": "density",
        "accounts": 30,
        "drawn": len(plotted_ids(run.figure)),
    }
    # and the markers are each quadrant's top 3 by potential and by revenue
    scores = AccountScore.objects.filter(run=run)
    top = set()
    for quadrant in AccountScore.Quadrant.values:
        part = scores.filter(quadrant=quadrant)
        for column in ("-potential", "-ttm_revenue"):
            ranked = part.order_by(column, "account_id")
            top |= set(ranked.values_list("account_id", flat=True)[:3])
    assert set(plotted_ids(run.figure)) == top
    assert [trace["meta"]["quadrant"] for trace in markers] == [
        "grow",
        "expand",
        "maintain",
        "monitor",
    ]
    legend_total = sum(
        int(trace["name"].split("(")[1].rstrip(")").replace(",", ""))
        for trace in markers
    )
    assert legend_total == len(accounts)
    assert all(trace["text"] for trace in markers if trace_values(trace["x"]))


def test_on_a_large_portfolio_each_user_sees_only_their_accounts(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    small_limits: None,
    rep: User,
    manager: User,
    executive: User,
) -> None:
    # given 30 accounts; the rep is on 4, the manager alone on 16 more
    accounts = portfolio_create(size=30)
    for account in accounts[:4]:
        account.team_members.add(rep)
    for account in accounts[10:26]:
        account.team_members.add(manager)
    run_requested(django_capture_on_commit_callbacks)
    run = selectors.score_run_current()
    assert run is not None

    # when
    with django_assert_max_num_queries(5):
        for_rep = selectors.quadrant_figure_for_user(user=rep, run=run)
    with django_assert_max_num_queries(6):
        for_manager = selectors.quadrant_figure_for_user(user=manager, run=run)
    for_executive = selectors.quadrant_figure_for_user(user=executive, run=run)

    # then the rep's 4 accounts are a plain scatter of exactly those
    assert plotted_ids(for_rep) == sorted(account.pk for account in accounts[:4])
    # the manager sees 20 (their 16 and their rep's 4): over the limit, so a
    # density of those 20 with only their own top accounts drawn
    visible = {account.pk for account in accounts[:4] + accounts[10:26]}
    density = drawn(for_manager)["data"][0]
    assert density_total(density) == 20
    assert set(plotted_ids(for_manager)) <= visible
    assert 3 <= len(plotted_ids(for_manager)) <= 4 * 6
    # and the executive gets the stored density of everyone
    assert for_executive == run.figure


def test_no_score_is_saved_for_an_account_deleted_after_loading(
    postgres: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # The PostgreSQL save joins the accounts; under CI a missing PostgreSQL
    # fails this test instead of skipping it.
    accounts = portfolio_create(size=4)
    run = run_requested(django_capture_on_commit_callbacks)
    frames = scoring_frames_load()
    result = score_accounts(
        accounts=frames.accounts,
        revenue=frames.revenue,
        products=frames.products,
        weights=scoring_weights_from_model(model=run.scoring_model),
    )
    accounts[2].delete()
    other = ScoreRun.objects.create(scoring_model=run.scoring_model)

    saved = account_scores_save(run=other, result=result)

    assert saved == 3
    assert sorted(other.scores.values_list("account_id", flat=True)) == sorted(
        account.pk for account in accounts if account != accounts[2]
    )


def test_a_breakdown_is_read_with_the_layout_of_a_run_already_read(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    portfolio_create(size=3)
    run = run_requested(django_capture_on_commit_callbacks)
    expected = AccountScore.objects.select_related("run").filter(run=run)
    expected_breakdowns = [score.components for score in expected.order_by("pk")]

    # A page reads the current run first, then its scores without the run.
    current = selectors.score_run_current()
    with django_assert_num_queries(1):
        scores = list(AccountScore.objects.filter(run=current).order_by("pk"))
        breakdowns = [score.components for score in scores]

    assert breakdowns == expected_breakdowns
    assert breakdowns[0]["performance"]["ttm_revenue"]["weight"] == 50.0
    assert scores[0].breakdown is not None
    assert scores[0].stored_components == {}
