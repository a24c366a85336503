"""The PostgreSQL save: each run's scores in a partition of their own."""

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection

from accounts.models import Account
from scoring.computation import ScoringResult, breakdown_columns, score_accounts
from scoring.loading import (
    account_scores_save,
    score_partition_name,
    scoring_frames_load,
    scoring_weights_from_model,
)
from scoring.models import AccountScore, ScoreRun
from scoring.services import scoring_model_active
from tests.scoring.test_runs import portfolio_create

pytestmark = pytest.mark.django_db


def partition_of(score_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM scoring_accountscore WHERE id = %s",
            [score_id],
        )
        (name,) = cursor.fetchone()
    return name


def engine_result() -> ScoringResult:
    frames = scoring_frames_load()
    return score_accounts(
        accounts=frames.accounts,
        revenue=frames.revenue,
        products=frames.products,
        weights=scoring_weights_from_model(model=scoring_model_active()),
        rates=frames.rates,
        signals=frames.signals,
    )


def test_a_saved_run_reads_back_exactly_the_computed_frame(postgres: None) -> None:
    # given 30 accounts, and amounts on the edges of rounding to cents
    portfolio_create(size=30)
    result = engine_result()
    edges = [0.125, 0.135, -5.005, 123_456_789_012.34, 0.0, 1e-9, -0.004, 99.995]
    scores = result.scores.copy()
    scores.iloc[: len(edges), scores.columns.get_loc("ttm_revenue")] = edges
    result = replace(result, scores=scores)
    run = ScoreRun.objects.create(scoring_model=scoring_model_active())

    # when
    saved = account_scores_save(run=run, result=result)

    # then every stored value equals the frame's, in the run's own partition
    _, columns = breakdown_columns(result)
    matrix = np.column_stack(columns)
    stored = list(AccountScore.objects.filter(run=run).order_by("account_id"))
    assert saved == 30
    assert [score.account_id for score in stored] == sorted(scores.index)
    positions = {account_id: row for row, account_id in enumerate(scores.index)}
    for score in stored:
        row = scores.loc[score.account_id]
        assert score.performance == row["performance"]
        assert score.potential == row["potential"]
        assert score.quadrant == row["quadrant"]
        assert score.tier == row["tier"]
        assert score.ttm_revenue == Decimal(f"{row['ttm_revenue']:.2f}")
        assert score.stored_components == {}
        assert np.array_equal(
            np.array(score.breakdown, dtype="float64"),
            matrix[positions[score.account_id]],
            equal_nan=True,
        )
    by_account = {score.account_id: score for score in stored}
    first = scores.index[:4]
    assert [by_account[pk].ttm_revenue for pk in first] == [
        Decimal("0.12"),
        Decimal("0.14"),
        Decimal("-5.00"),
        Decimal("123456789012.34"),
    ]
    assert len({score.pk for score in stored}) == 30
    assert {partition_of(score.pk) for score in stored} == {
        score_partition_name(run_id=run.pk)
    }


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        (
            "KWD",
            ["0.013", "0.013", "-5.000", "123456789012.345", "99.999", "160.500"],
        ),
        ("JPY", ["0", "0", "-5", "123456789012", "100", "160"]),
    ],
)
def test_a_saved_run_keeps_the_reporting_currencys_digits(
    postgres: None, currency: str, expected: list[str]
) -> None:
    # given a reporting currency of 3 decimals, or none, and amounts on the
    # edges of rounding to them
    portfolio_create(size=8)
    model = scoring_model_active()
    model.reporting_currency = currency
    model.save()
    result = engine_result()
    edges = [0.0125, 0.0135, -5.0005, 123_456_789_012.345, 99.9995, 160.5]
    scores = result.scores.copy()
    scores.iloc[: len(edges), scores.columns.get_loc("ttm_revenue")] = edges
    result = replace(result, scores=scores)
    run = ScoreRun.objects.create(scoring_model=model)

    # when
    account_scores_save(run=run, result=result)

    # then each is rounded as the other databases round it, half to even
    places = 3 if currency == "KWD" else 0
    by_account = {
        score.account_id: score.ttm_revenue
        for score in AccountScore.objects.filter(run=run)
    }
    stored = [by_account[pk] for pk in scores.index[: len(edges)]]
    assert stored == [Decimal(value) for value in expected]
    assert stored == [Decimal(f"{value:.{places}f}") for value in edges]


def test_scores_written_one_by_one_sit_beside_a_saved_run(postgres: None) -> None:
    # given one score written by hand, as the reviews demo does
    accounts = portfolio_create(size=5)
    model = scoring_model_active()
    by_hand = ScoreRun.objects.create(scoring_model=model)
    single = AccountScore.objects.create(
        run=by_hand,
        account=accounts[0],
        performance=10.0,
        potential=20.0,
        quadrant=AccountScore.Quadrant.MONITOR,
        tier=AccountScore.Tier.C,
        ttm_revenue=Decimal("12.50"),
    )
    saved_run = ScoreRun.objects.create(scoring_model=model)

    # when
    saved = account_scores_save(run=saved_run, result=engine_result())

    # then both read back, each from its partition, with distinct ids
    assert saved == 5
    assert partition_of(single.pk) == "scoring_accountscore_default"
    assert AccountScore.objects.get(run=by_hand).ttm_revenue == Decimal("12.50")
    assert AccountScore.objects.filter(run=saved_run).count() == 5
    assert single.pk not in set(
        AccountScore.objects.filter(run=saved_run).values_list("pk", flat=True)
    )
    assert Account.objects.get(pk=accounts[0].pk).scores.count() == 2
