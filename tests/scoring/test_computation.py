"""The pure scoring engine, checked against values worked out by hand."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from scoring.computation import (
    ScoringInputError,
    ScoringWeights,
    amount_score,
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


def test_a_quarter_after_today_does_not_set_the_window(small_portfolio: dict) -> None:
    revenue = revenue_frame(
        [*small_portfolio["revenue"].itertuples(index=False)]
        + [(2, P1, date(2099, 10, 1), 900)]
    )

    assert default_as_of(revenue, today=date(2026, 12, 5)) == date(2017, 9, 30)


def test_the_latest_past_quarter_sets_the_window_however_few_reach_it() -> None:
    # given: 30 accounts buy every quarter of 2016-2017; one deal of one
    # account is dated January 2026, in the past but years after the rest
    rows = [
        (account, P1, date(year, month, 1), 100)
        for account in range(1, 31)
        for year in (2016, 2017)
        for month in (1, 4, 7, 10)
    ]
    revenue = revenue_frame([*rows, (7, P1, date(2026, 1, 1), 5000)])

    # then: the window ends with that quarter, as the model page says
    assert default_as_of(revenue, today=date(2026, 12, 5)) == date(2026, 3, 31)
    # and the run counts the accounts it leaves without revenue
    result = score_accounts(
        accounts=accounts_frame(
            [(account, "tech", 10.0, 100, None) for account in range(1, 31)]
        ),
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(),
        today=date(2026, 12, 5),
    )
    assert result.as_of == date(2026, 3, 31)
    assert result.idle_accounts == 29


def test_it_scores_performance_by_hand(small_portfolio: dict) -> None:
    result = score_accounts(**small_portfolio, as_of=date(2017, 12, 31))
    scores = result.scores

    # TTM (2017): A1 200, A2 200, A3 0, A4 0. Prior (2016): 100, 0, 0, 50.
    assert scores["ttm_revenue"].tolist() == [200, 200, 0, 0]
    # Amounts: 0 earns 0, a positive amount 100 * mid-rank / n, n = 4.
    # ttm ranks 3.5, 3.5, 1.5, 1.5 -> 87.5, 87.5, 0, 0
    # breadth 2/2, 1/2, 0, 0; ranks 4, 3, 1.5, 1.5 -> 100, 75, 0, 0
    # Growth: A1 and A4 had prior revenue and are ranked among themselves,
    #   A1 100/150 = 0.667, A4 -50/25 = -2; ranks 2, 1 of k = 2 ->
    #   100 * (r - 1) / (k - 1) = 100, 0. A2 is new (none before) -> 50.
    #   A3 is idle (nothing in either window) -> 0.
    growth = [item["performance"]["growth"] for item in result.breakdown_list()]
    assert [g["raw"] for g in growth] == pytest.approx([2 / 3, 2, 0, -2])
    assert [g["prior_revenue"] for g in growth] == [100, 0, 0, 50]
    assert [g["normalised"] for g in growth] == [100, 50, 0, 0]
    assert {g["status"] for g in growth} == {"used"}
    # Weights 50/25/25 renormalise to 0.5/0.25/0.25:
    # A1 .5*87.5 + .25*100 + .25*100 = 93.75
    # A2 .5*87.5 + .25*50  + .25*75  = 75.00
    # A3 and A4 buy nothing now: every input 0 -> 0.
    assert scores["performance"].tolist() == pytest.approx([93.75, 75, 0, 0])


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
    # Normalised, 0 -> 0 else 100 * mid-rank / 4:
    # headroom ranks 1, 2, 3, 4 -> 0 (A1's headroom is 0), 50, 75, 100
    assert [p["wallet_headroom"]["normalised"] for p in parts] == [0, 50, 75, 100]
    # whitespace ranks 1, 2, 3.5, 3.5 -> 0, 50, 87.5, 87.5
    # subsidiaries ranks 4, 2, 2, 2 -> 100, 0, 0, 0
    assert [p["subsidiary_whitespace"]["normalised"] for p in parts] == [100, 0, 0, 0]
    # revenue 100..400 -> 25, 50, 75, 100; employees (100, 300, 200, 400)
    # -> 25, 75, 50, 100.
    # Weights 50/25/10/7.5/7.5 of 100:
    # A1 0 + 0 + 10 + 1.875 + 1.875           = 13.75
    # A2 25 + 12.5 + 0 + 3.75 + 5.625         = 46.875
    # A3 37.5 + 21.875 + 0 + 5.625 + 3.75     = 68.75
    # A4 50 + 21.875 + 0 + 7.5 + 7.5          = 86.875
    assert scores["potential"].tolist() == pytest.approx([13.75, 46.875, 68.75, 86.875])
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
                # None is "not available" (health without any signal).
                numbers = [v for v in part.values() if not isinstance(v, str | None)]
                assert all(np.isfinite(value) for value in numbers)


def test_ties_get_equal_normalised_values() -> None:
    values = pd.Series([-3, -3, 5, 5, 1000])

    # Mid-ranks 1.5, 1.5, 3.5, 3.5, 5 of 5: 100 * (r - 1) / 4.
    assert percentile_score(values).tolist() == [12.5, 12.5, 62.5, 62.5, 100]


def test_a_zero_amount_earns_nothing_and_tied_amounts_earn_the_same() -> None:
    values = pd.Series([0, 0, 5, 5, 1000])

    # Zeros earn 0; mid-ranks 3.5, 3.5, 5 of 5: 100 * r / 5 -> 70, 70, 100.
    assert amount_score(values).tolist() == [0, 0, 70, 70, 100]
    assert amount_score(pd.Series([0.0, 0.0])).tolist() == [0, 0]
    assert amount_score(pd.Series([], dtype=float)).tolist() == []


def test_growth_is_left_out_when_nobody_had_revenue_before() -> None:
    # Revenue in 2017 only. TTM: A1 300 (P1, P2), A2 100 (P1), A3 0.
    accounts = accounts_frame([(i, "retail", 100 * i, 10 * i, None) for i in (1, 2, 3)])
    revenue = revenue_frame(
        [
            (1, P1, date(2017, 1, 1), 200),
            (1, P2, date(2017, 4, 1), 100),
            (2, P1, date(2017, 7, 1), 100),
        ]
    )

    result = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1, P2]),
        weights=ScoringWeights(),
        as_of=date(2017, 12, 31),
    )
    performance = [item["performance"] for item in result.breakdown_list()]

    assert result.input_status["growth"] == "no_prior_revenue"
    assert {p["growth"]["status"] for p in performance} == {"no_prior_revenue"}
    assert [p["growth"]["points"] for p in performance] == [0, 0, 0]
    assert performance[0]["growth"]["share"] == 0
    # Revenue and breadth keep their 50 : 25, renormalised to 2/3 and 1/3.
    assert performance[0]["ttm_revenue"]["share"] == pytest.approx(2 / 3)
    assert performance[0]["breadth"]["share"] == pytest.approx(1 / 3)
    # ttm 300, 100, 0 -> 100 * r / 3: 100, 66.67, 0.
    # breadth 1, .5, 0 -> 100, 66.67, 0.
    # A1 2/3*100 + 1/3*100 = 100; A2 66.67; A3 0.
    assert result.scores["performance"].tolist() == pytest.approx([100, 200 / 3, 0])


def test_an_input_at_zero_for_everyone_does_not_count() -> None:
    # No parents: subsidiaries not yet buying is 0 everywhere.
    accounts = accounts_frame(
        [(1, "retail", 100, 10, None), (2, "retail", 300, 30, None)]
    )
    revenue = revenue_frame(
        [(1, P1, date(2017, 1, 1), 100), (2, P1, date(2016, 1, 1), 100)]
    )

    result = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(),
        as_of=date(2017, 12, 31),
    )
    potential = [item["potential"] for item in result.breakdown_list()]

    assert result.input_status["subsidiary_whitespace"] == "no_separation"
    assert [p["subsidiary_whitespace"]["points"] for p in potential] == [0, 0]
    assert potential[0]["subsidiary_whitespace"]["share"] == 0
    # Left in: headroom 50, whitespace 25, capacity 7.5 + 7.5 of 90.
    assert potential[0]["wallet_headroom"]["share"] == pytest.approx(50 / 90)
    # A1 bought P1 in TTM; A2 did not (its revenue is from 2016).
    # Headroom: A1 has no other peer -> none -> 0; A2's peer A1 spends
    # 1 per $M, A2 expects 300 -> headroom 300. Normalised 0, 100.
    # Whitespace: adoption of P1 is 1/2; A1 0, A2 .5 -> 0, 100.
    # Revenue and employees: A1 50, A2 100 (100 * r / 2).
    # A1: (7.5 * 50 + 7.5 * 50) / 90 = 8.33; A2: 90 * 100 / 90 = 100.
    assert result.scores["potential"].tolist() == pytest.approx([25 / 3, 100])


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
        min_peer_group=2, performance_threshold=75, potential_threshold=46.875
    )

    scores = score_accounts(**{**small_portfolio, "weights": weights}).scores

    # Performance 93.75, 75, 0, 0; potential 13.75, 46.875, 68.75, 86.875.
    assert scores["quadrant"].tolist() == ["maintain", "grow", "expand", "expand"]


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
    weights = ScoringWeights(
        weight_ttm_revenue=0,
        weight_growth=0,
        weight_breadth=0,
        weight_relationship_health=0,
    )

    with pytest.raises(ScoringInputError, match="performance weights add up to zero"):
        score_accounts(**{**small_portfolio, "weights": weights})


def test_amounts_are_converted_with_the_rate_valid_at_the_line() -> None:
    accounts = accounts_frame(
        [
            (1, "retail", 100, 10, None),
            (2, "retail", 100, 10, None),
            (3, "retail", 100, 10, None),
        ]
    )
    revenue = revenue_frame(
        [
            (1, P1, date(2017, 7, 1), 100),
            (2, P1, date(2017, 7, 1), 100),
            (2, P1, date(2016, 7, 1), 10),
            (3, P1, date(2017, 7, 1), 100),
            (3, P1, date(2017, 4, 1), 100),
            (3, P1, date(2014, 1, 1), 100),
        ]
    ).assign(currency=["USD", "eur ", "EUR", "SEK", "SEK", "SEK"])
    rates = pd.DataFrame(
        {
            "currency": ["EUR", "EUR", "EUR", "EUR"],
            "rate_date": [
                date(2016, 1, 1),
                date(2017, 1, 1),
                date(2017, 7, 1),
                date(2017, 8, 1),
            ],
            "rate": [1.25, 1.2, 1.5, 2.0],
        }
    )

    result = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(),
        rates=rates,
    )

    # EUR 100 at the rate of 1 July (on the line's date), EUR 10 at 1.25;
    # no SEK rate: the two SEK lines of the scored windows are left out and
    # counted, the one of 2014 is outside them.
    assert result.scores["ttm_revenue"].tolist() == [100.0, 150.0, 0.0]
    assert result.components["prior_revenue"].tolist() == [0.0, 12.5, 0.0]
    assert result.left_out_lines == {"SEK": 2}
    assert result.components["left_out_SEK"].tolist() == [0.0, 0.0, 2.0]
    breakdowns = result.breakdown_list()
    assert breakdowns[2]["left_out"] == {"SEK": 2}
    assert breakdowns[0]["left_out"] == {}
    assert breakdowns[0]["currency"] == "USD"


def test_a_line_older_than_every_rate_is_left_out() -> None:
    result = score_accounts(
        accounts=accounts_frame([(1, "retail", 100, 10, None)]),
        revenue=revenue_frame([(1, P1, date(2017, 7, 1), 100)]).assign(currency="EUR"),
        products=products_frame([P1]),
        weights=ScoringWeights(reporting_currency="USD"),
        rates=pd.DataFrame(
            {"currency": ["EUR"], "rate_date": [date(2017, 7, 2)], "rate": [1.5]}
        ),
    )

    assert result.scores["ttm_revenue"].tolist() == [0.0]
    assert result.left_out_lines == {"EUR": 1}


def signals_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["account_id", "period_start", "tickets", "satisfaction", "nps"],
    )


def test_support_signals_score_relationship_health() -> None:
    """Worked by hand; revenue 100-400 on one product, nothing before.

    Used: TTM revenue (amount ranks 25, 50, 75, 100; weight 50) and health
    (weight 20). Growth has no prior revenue and breadth is 1 for all, so
    both are left out. Latest parts in the TTM window (Oct 2016 - Sep 2017):
        A1 satisfaction 90, NPS 50, tickets 2 (an April 10 is older, and
           2016-01 is outside the window)
        A2 satisfaction 70, NPS 10, tickets 10
        A3 satisfaction 80, NPS -20 (July has none; April has), tickets 4
        A4 no signal: health not available, TTM revenue takes all its weight
    Ranks (k - 1 = 2): satisfaction 100, 0, 50; NPS 100, 50, 0; tickets
    (fewer is better) 100, 0, 50. Raw health: 100, 16.67, 33.33; ranked:
    100, 0, 50.
    """
    accounts = accounts_frame([(n, "retail", 100, 10, None) for n in (1, 2, 3, 4)])
    revenue = revenue_frame([(n, P1, date(2017, 7, 1), 100 * n) for n in (1, 2, 3, 4)])
    signals = signals_frame(
        [
            (1, date(2017, 7, 1), 2, 90, 50),
            (1, date(2017, 4, 1), 5, 10, None),
            (1, date(2016, 1, 1), 0, 100, 100),
            (2, date(2017, 7, 1), 10, 70, 10),
            (3, date(2017, 7, 1), 4, 80, None),
            (3, date(2017, 4, 1), None, 20, -20),
        ]
    )

    result = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(),
        signals=signals,
    )

    assert result.input_status["relationship_health"] == "used"
    assert result.input_status["growth"] == "no_prior_revenue"
    assert result.input_status["breadth"] == "no_separation"
    assert result.scores["performance"].tolist() == pytest.approx(
        [
            (25 * 50 + 100 * 20) / 70,
            (50 * 50 + 0 * 20) / 70,
            (75 * 50 + 50 * 20) / 70,
            100.0,
        ],
        abs=1e-9,
    )
    health = [
        item["performance"]["relationship_health"] for item in result.breakdown_list()
    ]
    assert [part["raw"] for part in health[:3]] == pytest.approx(
        [100.0, 50 / 3, 100 / 3], abs=1e-9
    )
    assert [part["normalised"] for part in health] == [100.0, 0.0, 50.0, 0.0]
    assert [part["status"] for part in health] == ["used"] * 3 + ["no_signal"]
    assert health[3]["raw"] is None
    assert health[3]["points"] == 0.0
    assert health[0] | {"raw": None} == {
        "raw": None,
        "normalised": 100.0,
        "weight": 20.0,
        "share": pytest.approx(20 / 70),
        "points": pytest.approx(100 * 20 / 70),
        "status": "used",
        "satisfaction": 90.0,
        "nps": 50.0,
        "tickets": 2.0,
        "outside_first": None,
        "outside_last": None,
    }
    assert health[2]["nps"] == -20.0
    # A4's revenue carries its whole performance; A1 shares it with health.
    shares = [
        item["performance"]["ttm_revenue"]["share"] for item in result.breakdown_list()
    ]
    assert shares == [pytest.approx(50 / 70)] * 3 + [1.0]


def test_without_any_signal_health_is_not_available_and_scores_stay() -> None:
    accounts = accounts_frame([(n, "retail", 100, 10, None) for n in (1, 2, 3)])
    revenue = revenue_frame([(n, P1, date(2017, 7, 1), 100 * n) for n in (1, 2, 3)])
    outside = signals_frame([(1, date(2015, 1, 1), 1, 90, 10)])

    with_old_signal = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(),
        signals=outside,
    )
    unweighted = score_accounts(
        accounts=accounts,
        revenue=revenue,
        products=products_frame([P1]),
        weights=ScoringWeights(weight_relationship_health=0),
    )

    assert with_old_signal.input_status["relationship_health"] == "no_signals"
    pd.testing.assert_frame_equal(with_old_signal.scores, unweighted.scores)
    assert with_old_signal.scores["performance"].tolist() == pytest.approx(
        [100 / 3, 200 / 3, 100.0]
    )
