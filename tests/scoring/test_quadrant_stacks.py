"""Markers that cover each other say how many accounts they stand for."""

import pandas as pd
import pytest

from scoring import charts
from scoring.charts import quadrant_figure_filter, quadrant_scatter_build


def _points(spots: list[tuple[float, float, int]]) -> pd.DataFrame:
    """Accounts at (performance, potential), `count` of them at each spot."""
    rows: list[dict[str, object]] = []
    for performance, potential, count in spots:
        for _ in range(count):
            rows.append(
                {
                    "name": f"Account {len(rows) + 1}",
                    "performance": performance,
                    "potential": potential,
                    "ttm_revenue": 0.0,
                    "tier": "C",
                    "quadrant": "monitor" if potential < 50 else "expand",
                }
            )
    return pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="id"))


def _stacks(figure: dict) -> list[tuple[float, float, str]]:
    """Return the counts the figure draws beside markers, where and what."""
    for trace in figure["data"]:
        if (trace.get("meta") or {}).get("stacks"):
            return list(zip(trace["x"], trace["y"], trace["text"], strict=True))
    return []


def test_accounts_with_the_same_scores_are_counted_beside_their_marker() -> None:
    points = _points([(0.0, 12.5, 302), (0.0, 20.0, 3), (40.0, 80.0, 1)])

    figure = quadrant_scatter_build(
        points=points, performance_threshold=50, potential_threshold=50
    )

    assert _stacks(figure) == [(0.0, 12.5, "×302"), (0.0, 20.0, "×3")]
    [stacks] = [t for t in figure["data"] if "customdata" not in t]
    assert stacks["hoverinfo"] == "skip"
    assert stacks["showlegend"] is False


def test_a_viewer_sees_the_count_of_their_own_accounts() -> None:
    points = _points([(0.0, 12.5, 302), (40.0, 80.0, 1)])
    figure = quadrant_scatter_build(
        points=points, performance_threshold=50, potential_threshold=50
    )

    ten = quadrant_figure_filter(figure=figure, visible_ids=set(range(1, 11)))
    one = quadrant_figure_filter(figure=figure, visible_ids={1, 303})

    assert _stacks(ten) == [(0.0, 12.5, "×10")]
    assert _stacks(one) == []


def test_webgl_markers_are_counted_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "SVG_POINTS_MAX", 5)
    points = _points([(10.25, 30.5, 8), (60.0, 70.0, 1)])

    figure = quadrant_scatter_build(
        points=points, performance_threshold=50, potential_threshold=50
    )

    assert {t["type"] for t in figure["data"] if "customdata" in t} == {"scattergl"}
    assert _stacks(figure) == [(10.25, 30.5, "×8")]


def test_the_corner_advice_leaves_a_marker_beneath_it_whole() -> None:
    figure = quadrant_scatter_build(
        points=_points([(100.0, 0.0, 1)]),
        performance_threshold=50,
        potential_threshold=50,
    )

    corners = figure["layout"]["annotations"]
    assert [note["text"] for note in corners] == [
        "<b>Grow — invest</b>",
        "<b>Expand — penetrate whitespace</b>",
        "<b>Maintain — defend</b>",
        "<b>Monitor — serve efficiently</b>",
    ]
    for note in corners:
        assert "bgcolor" not in note
        assert note["font"]["shadow"] == "auto"
