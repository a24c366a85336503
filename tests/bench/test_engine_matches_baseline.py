from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest

from bench.baseline import SCORE_COLUMNS, baseline_scores
from bench.frames import frames_from_folder, frames_with_currencies_and_signals
from bench.generate import Spec, generate
from scoring.computation import ScoringWeights, score_accounts


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench-data")
    return generate(spec=Spec(accounts=3_000, lines=40_000, seed=11), root=root)


@pytest.mark.parametrize(
    "weights",
    [
        ScoringWeights(),
        ScoringWeights(weight_growth=0, weight_capacity=40, min_peer_group=50),
    ],
    ids=["default model", "tuned model"],
)
def test_engine_and_baseline_give_identical_scores(
    folder: Path, weights: ScoringWeights
) -> None:
    # given
    frames = frames_from_folder(folder=folder)

    # when
    engine = score_accounts(
        accounts=frames.accounts,
        revenue=frames.revenue,
        products=frames.products,
        weights=weights,
    ).scores
    baseline = baseline_scores(
        accounts=frames.accounts,
        revenue=frames.revenue,
        products=frames.products,
        model=asdict(weights),
    )

    # then
    assert len(engine) == 3_000
    assert set(engine["peer_group"]) >= {"sector_size"}
    pd.testing.assert_frame_equal(
        engine[SCORE_COLUMNS], baseline, check_exact=True, check_dtype=True
    )


@pytest.mark.parametrize(
    "weights",
    [
        ScoringWeights(),
        ScoringWeights(weight_relationship_health=60, min_peer_group=50),
    ],
    ids=["default model", "health-heavy model"],
)
def test_engine_and_baseline_agree_with_currencies_and_signals(
    folder: Path, weights: ScoringWeights
) -> None:
    # given: some lines in EUR and SEK (rated) and NOK (no rate), and
    # support signals for about 60 % of the accounts
    frames = frames_with_currencies_and_signals(
        frames=frames_from_folder(folder=folder)
    )

    # when
    result = score_accounts(
        accounts=frames.accounts,
        revenue=frames.revenue,
        products=frames.products,
        weights=weights,
        rates=frames.rates,
        signals=frames.signals,
    )
    baseline = baseline_scores(
        accounts=frames.accounts,
        revenue=frames.revenue,
        products=frames.products,
        model=asdict(weights),
        rates=frames.rates,
        signals=frames.signals,
    )

    # then
    assert result.input_status["relationship_health"] == "used"
    assert set(result.left_out_lines) == {"NOK"}
    assert result.left_out_lines["NOK"] > 0
    health = result.components["relationship_health_available"]
    assert 0 < health.sum() < len(health)
    pd.testing.assert_frame_equal(
        result.scores[SCORE_COLUMNS], baseline, check_exact=True, check_dtype=True
    )


def test_the_quarter_sums_are_the_invoice_lines_sums(folder: Path) -> None:
    # given
    frames = frames_with_currencies_and_signals(
        frames=frames_from_folder(folder=folder)
    )
    lines = frames.lines

    # when
    assert lines is not None
    cells = lines.groupby("cell").agg(
        amount=("amount", "sum"), currency=("currency", "first"), count=("cell", "size")
    )

    # then: several lines a sum, each sum in its lines' one currency
    assert len(lines) > 2 * len(frames.revenue)
    assert cells.index.tolist() == list(range(len(frames.revenue)))
    assert (lines.groupby("cell")["currency"].nunique() == 1).all()
    assert (cells["currency"].to_numpy() == frames.revenue["currency"]).all()
    assert (cells["amount"].round(2).to_numpy() == frames.revenue["amount"]).all()
