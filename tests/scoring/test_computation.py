"""The pure scoring engine, checked against values worked out by hand."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from scoring.computation import (
    ScoringInputError,
    ScoringWeights,
    default_as_of,
    percentile_score,
    score_accounts,
)

P1, P2 = 10, 20


def accounts_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "sector",
            "annual_revenue_musd",
            "employees",
            "parent_id",
        ],
    )


def revenue_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["account_id", "product_id", "quarter_start", "amount"]
    )


def products_frame(ids: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"product_id": ids})


@pytest.fixture
def small_portfolio() -> dict:
    """Four accounts, two products, one year of history on each side.

    A1 retail  rev 100 emp 100           P1 100 + P2 100 in TTM, P1 100 prior
    A2 retail  rev 200 emp 300 parent A1 P1 200 in TTM
    A3 retail  rev 300 emp 200 parent A1 nothing
    A4 medical rev 400 emp 400           P1 50 prior only
    """
    return {
        "accounts": accounts_frame(
            [
                (1, "retail", 100, 100, None),
                (2, "retail", 200, 300, 1),
                (3, "Retail ", 300, 200, 1),
                (4, "medical", 400, 400, None),
            ]
        ),
        "revenue": revenue_frame(
            [
                (1, P1, date(2017, 4, 1), 100),
                (1, P2, date(2017, 7, 1), 100),
                (1, P1, date(2016, 4, 1), 100),
                (2, P1, date(2017, 1, 1), 200),
                (4, P1, date(2016, 7, 1), 50),
            ]
        ),
        "products": products_frame([P1, P2]),
        "weights": ScoringWeights(min_peer_group=2),
    }


def test_as_of_defaults_to_the_end_of_the_latest_quarter(small_portfolio: dict) -> None:
    assert default_as_of(small_portfolio["revenue"]) == date(2017, 9, 30)

    revenue = revenue_frame([(1, P1, date(2017, 10, 1), 5)])

    assert default_as_of(revenue) == date(2017, 12, 31)


def test_it_scores_performance_by_hand(small_portfolio: dict) -> None:
    result = score_accounts(**small_portfolio, as_of=date(2017, 12, 31))
    scores = result.scores

    # TTM (2017): A1 200, A2 200, A3 0, A4 0. Prior (2016): 100, 0, 0, 50.
    assert scores["ttm_revenue"].tolist() == [200, 200, 0, 0]
    # n = 4, so a mid-rank r normalises to 100 * (r - 1) / 3.
    # ttm ranks 3.5, 3.5, 1.5, 1.5 -> 83.33, 83.33, 16.67, 16.67
    # growth (ttm - prior) / mean: A1 100/150 = 0.667, A2 200/100 = 2,
    #   A3 0/0 -> 0, A4 -50/25 = -2; ranks 3, 4, 2, 1 -> 66.67, 100, 33.33, 0
    # breadth 2/2, 1/2, 0, 0; ranks 4, 3, 1.5, 1.5 -> 100, 66.67, 16.67, 16.67
    growth = [item["performance"]["growth"] for item in result.breakdown_list()]
    assert [g["raw"] for g in growth] == pytest.approx([2 / 3, 2, 0, -2])
    assert [g["normalised"] for g in growth] == pytest.approx(
        [200 / 3, 100, 100 / 3, 0]
    )
    # Weights 50/25/25 renormalise to 0.5/0.25/0.25:
    # A1 .5*83.33 + .25*66.67 + .25*100   = 83.33
    # A2 .5*83.33 + .25*100   + .25*66.67 = 83.33
    # A3 .5*16.67 + .25*33.33 + .25*16.67 = 20.83
    # A4 .5*16.67 + .25*0     + .25*16.67 = 12.50
    assert scores["performance"].tolist() == pytest.approx(
        [83.3333, 83.3333, 20.8333, 12.5], abs=1e-3
    )


def test_it_scores_potential_by_hand(small_portfolio: dict) -> None:
    result = score_accounts(**small_portfolio, as_of=date(2017, 12, 31))
    scores = result.scores
    parts = [item["potential"] for item in result.breakdown_list()]
    peers = [item["peer_group"] for item in result.breakdown_list()]

    # Size bands by revenue tercile: A1 small, A2 mid, A3 and A4 large.
    assert scores["size_band"].tolist() == ["small", "mid", "large", "large"]
    # Peers bought in TTM: A1 and A2 only. min_peer_group is 2.
    # A1: alone in retail/small, 1 other in retail -> portfolio (A2):
    #     200/200 = 1.0 per $M, expects 100, spends 200 -> headroom 0
    # A2: portfolio (A1): 200/100 = 2.0, expects 400, spends 200 -> 200
    # A3: retail has A1 and A2 (2 peers): 400/300 = 1.333, expects 400 -> 400
    # A4: medical has none -> portfolio (A1, A2): 1.333 * 400 = 533.33
    assert [p["level"] for p in peers] == [
        "portfolio",
        "portfolio",
        "sector",
        "portfolio",
    ]
    assert [p["peers"] for p in peers] == [1, 1, 2, 2]
    headroom = [p["wallet_headroom"]["raw"] for p in parts]
    assert headroom == pytest.approx([0, 200, 400, 1600 / 3])
    # Adoption in TTM: P1 2 of 4 = .5, P2 1 of 4 = .25. Whitespace is the
    # adoption of what is not bought: A1 0, A2 .25, A3 .75, A4 .75.
    whitespace = [p["product_whitespace"]["raw"] for p in parts]
    assert whitespace == pytest.approx([0, 0.25, 0.75, 0.75])
    # A1's subsidiaries: A2 buys, A3 does not -> 1.
    assert [p["subsidiary_whitespace"]["raw"] for p in parts] == [1, 0, 0, 0]
    # Normalised: headroom 0, 33.33, 66.67, 100; whitespace 0, 33.33, 83.33,
    # 83.33; subsidiaries 100, 33.33, 33.33, 33.33; revenue 0, 33.33, 66.67,
    # 100; employees (100, 300, 200, 400) 0, 66.67, 33.33, 100.
    # Weights 50/25/10/7.5/7.5 of 100:
    # A1 0 + 0 + 10 + 0 + 0                              = 10.00
    # A2 16.67 + 8.33 + 3.33 + 2.5 + 5                   = 35.83
    # A3 33.33 + 20.83 + 3.33 + 5 + 2.5                  = 65.00
    # A4 50 + 20.83 + 3.33 + 7.5 + 7.5                   = 89.17
    assert scores["potential"].tolist() == pytest.approx(
        [10, 35.8333, 65, 89.1667], abs=1e-3
    )
    assert scores["quadrant"].tolist() == ["maintain", "maintain", "expand", "expand"]


def test_components_add_up_to_each_score(small_portfolio: dict) -> None:
    result = score_accounts(**small_portfolio)

    breakdowns = result.breakdown_list()
    for (_, row), breakdown in zip(result.scores.iterrows(), breakdowns, strict=True):
        for axis in ("performance", "potential"):
            parts = breakdown[axis].values()
            assert sum(part["points"] for part in parts) == pytest.approx(row[axis])
            assert sum(part["share"] for part in parts) == pytest.approx(1)


def test_it_widens_peer_groups_only_when_too_small() -> None:
    # Three retail accounts of equal size share the band "mid" (mid-rank
    # 2 of 3); each has the two others as peers.
    accounts = accounts_frame(
        [
            (1, "retail", 100, 10, None),
            (2, "retail", 100, 10, None),
            (3, "retail", 100, 10, None),
            (4, "finance", 50, 10, None),
        ]
    )
    revenue = revenue_frame(
        [(1, P1, date(2017, 1, 1), 100), (2, P1, date(2017, 1, 1), 300)]
        + [(3, P1, date(2017, 1, 1), 500)]
    )
    weights = ScoringWeights(min_peer_group=2)

    result = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=weights,
    )
    peers = [item["peer_group"] for item in result.breakdown_list()]

    assert [p["level"] for p in peers] == [
        "sector_size",
        "sector_size",
        "sector_size",
        "portfolio",
    ]
    # Account 1's peers spend (300 + 500) / 200 = 4 per $M; it expects 400.
    assert peers[0]["spend_per_musd"] == pytest.approx(4)
    assert peers[0]["expected_spend"] == pytest.approx(400)
    # Account 4 has no peer in finance; the portfolio spends 900/300 = 3.
    assert peers[3]["spend_per_musd"] == pytest.approx(3)
    assert peers[3]["peers"] == 3


def test_a_single_account_scores_fifty_on_both_axes() -> None:
    accounts = accounts_frame([(1, "retail", 100, 10, None)])
    revenue = revenue_frame([(1, P1, date(2017, 1, 1), 100)])

    result = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1, P2]),
        weights=ScoringWeights(),
    )
    scores = result.scores

    assert scores.loc[1, "performance"] == 50
    assert scores.loc[1, "potential"] == 50
    assert scores.loc[1, "quadrant"] == "grow"
    assert scores.loc[1, "tier"] == "A"
    assert result.breakdown_list()[0]["peer_group"]["level"] == "none"


def test_an_all_equal_portfolio_scores_fifty_everywhere() -> None:
    accounts = accounts_frame([(i, "retail", 100, 10, None) for i in range(1, 6)])
    revenue = revenue_frame([(i, P1, date(2017, 1, 1), 100) for i in range(1, 6)])

    scores = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(),
    ).scores

    assert scores["performance"].tolist() == [50] * 5
    assert scores["potential"].tolist() == [50] * 5
    assert set(scores["tier"]) == {"A"}


def test_zeros_and_missing_values_give_no_nan_or_infinity() -> None:
    accounts = accounts_frame(
        [
            (1, "", None, None, None),
            (2, "retail", 0, 0, 1),
            (3, None, 10, None, 99),
        ]
    )

    scores = score_accounts(
        accounts=accounts,
        revenue=revenue_frame([]),
        products=products_frame([]),
        weights=ScoringWeights(),
    )
    numbers = scores.scores[["performance", "potential", "ttm_revenue"]].to_numpy()

    assert scores.as_of is None
    assert np.isfinite(numbers).all()
    assert scores.scores["performance"].between(0, 100).all()
    assert set(scores.scores["tier"]) == {"C"}
    for item in scores.breakdown_list():
        for axis in ("performance", "potential"):
            for part in item[axis].values():
                assert all(np.isfinite(value) for value in part.values())


def test_ties_get_equal_normalised_values() -> None:
    values = pd.Series([0, 0, 5, 5, 1000])

    # Mid-ranks 1.5, 1.5, 3.5, 3.5, 5 of 5: 100 * (r - 1) / 4.
    assert percentile_score(values).tolist() == [12.5, 12.5, 62.5, 62.5, 100]


def test_tiers_follow_the_cumulative_share_of_revenue() -> None:
    accounts = accounts_frame([(i, "retail", 100, 10, None) for i in range(1, 6)])
    # Shares above each: 60 -> 0, 25 -> 60, 10 -> 85, 5 -> 95, 0 -> 100.
    revenue = revenue_frame(
        [
            (1, P1, date(2017, 1, 1), 60),
            (2, P1, date(2017, 1, 1), 25),
            (3, P1, date(2017, 1, 1), 10),
            (4, P1, date(2017, 1, 1), 5),
        ]
    )

    scores = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(),
    ).scores

    assert scores["tier"].tolist() == ["A", "A", "B", "C", "C"]


def test_high_means_at_or_above_the_threshold(small_portfolio: dict) -> None:
    weights = ScoringWeights(
        min_peer_group=2, performance_threshold=20.8, potential_threshold=35
    )

    scores = score_accounts(**{**small_portfolio, "weights": weights}).scores

    # Performance 83.3, 83.3, 20.8, 12.5; potential 10, 35.8, 65, 89.2.
    assert scores["quadrant"].tolist() == ["maintain", "grow", "grow", "expand"]


def test_the_last_quadrant_is_monitor() -> None:
    accounts = accounts_frame([(1, "retail", 100, 10, None)])
    weights = ScoringWeights(performance_threshold=60, potential_threshold=60)

    scores = score_accounts(
        accounts=accounts,
        revenue=revenue_frame([]),
        products=products_frame([P1]),
        weights=weights,
    ).scores

    assert scores.loc[1, "quadrant"] == "monitor"


def test_it_rejects_an_axis_whose_weights_add_up_to_zero(small_portfolio: dict) -> None:
    weights = ScoringWeights(weight_ttm_revenue=0, weight_growth=0, weight_breadth=0)

    with pytest.raises(ScoringInputError, match="performance weights add up to zero"):
        score_accounts(**{**small_portfolio, "weights": weights})
