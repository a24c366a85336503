"""The quadrant chart, built once per run by the worker and stored as JSON.

Three shapes, by how many accounts the chart shows:

- up to SVG_POINTS_MAX (2,000): one SVG marker per account, names in the
  hover text; the bundled 85-account portfolio looks like this;
- up to DENSITY_FROM (20,000): the same traces as WebGL (scattergl) with
  coordinates and ids as typed arrays (base64 in the JSON), which plotly.js
  draws without an SVG node per point;
- beyond that a scatter is no longer readable and its payload grows with
  the portfolio, so a density layer (a heatmap of account counts on a
  DENSITY_BINS x DENSITY_BINS grid over 0-100) shows where all accounts
  sit, and only each quadrant's TOP_ACCOUNTS by potential and TOP_ACCOUNTS
  by TTM revenue (at most 1,000) are drawn as SVG markers, with hover and
  click-through as before. Legend counts stay those of every account shown.

The payload of the third shape does not grow with the portfolio, and it
needs no WebGL. A browser without WebGL gets the second shape redrawn in
SVG when it holds up to SVG_POINTS_MAX markers, and as the third shape
otherwise (quadrant_figure_without_webgl).
"""

import base64
import json
from collections import Counter
from collections.abc import Iterable
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from accounts.currency import REPORTING_CURRENCY, money_text

QUADRANTS = {
    # quadrant: (legend name, what to do, colour, corner x, corner y)
    "grow": ("Grow", "Grow — invest", "#2e7d32", 1, 1),
    "expand": ("Expand", "Expand — penetrate whitespace", "#1565c0", 0, 1),
    "maintain": ("Maintain", "Maintain — defend", "#b26a00", 1, 0),
    "monitor": ("Monitor", "Monitor — serve efficiently", "#757575", 0, 0),
}


SVG_POINTS_MAX = 2_000
# Accounts with the very same scores draw one marker over another; the
# largest such stacks get a count beside them.
STACKS_LABELLED = 30
DENSITY_FROM = 20_000
DENSITY_BINS = 50
TOP_ACCOUNTS = 125
POINT_COLUMNS = ["name", "performance", "potential", "ttm_revenue", "tier", "quadrant"]


def _hover(
    name: str,
    performance: float,
    potential: float,
    revenue: float,
    tier: str,
    *,
    currency: str,
) -> str:
    # plotly.js reads hover text as its own small HTML: a name with a tag in
    # it would lose the tag, or style the label. Escaped, it shows as typed.
    return (
        f"<b>{escape(name, quote=False)}</b><br>"
        f"Performance {performance:.0f} · Potential {potential:.0f}<br>"
        f"TTM revenue {money_text(revenue, currency)} · Tier {tier}"
    )


def _hover_texts(part: pd.DataFrame, currency: str) -> list[str]:
    columns = ["name", "performance", "potential", "ttm_revenue", "tier"]
    return [
        _hover(*values, currency=currency)
        for values in zip(*(part[column].tolist() for column in columns), strict=True)
    ]


def quadrant_figure_build(
    *,
    scores: pd.DataFrame,
    names: pd.Series,
    performance_threshold: float,
    potential_threshold: float,
    currency: str = REPORTING_CURRENCY,
) -> dict:
    """Return the plotly figure of every account as JSON-safe plain data.

    `scores` is the engine's output indexed by account id and `names` maps
    account id to name. Every quadrant gets a trace, even an empty one, so
    the legend and colours never shift between runs. Large portfolios get
    the density shape (see the module docstring).
    """
    frame = scores[["performance", "potential", "ttm_revenue", "tier", "quadrant"]]
    frame = frame.assign(name=names.reindex(frame.index).fillna("").astype(str))
    if len(frame) > DENSITY_FROM:
        return quadrant_density_build(
            counts=density_counts(
                performance=frame["performance"].to_numpy(),
                potential=frame["potential"].to_numpy(),
            ),
            quadrant_totals=frame["quadrant"].value_counts().to_dict(),
            top=top_accounts(frame),
            performance_threshold=performance_threshold,
            potential_threshold=potential_threshold,
            currency=currency,
        )
    return quadrant_scatter_build(
        points=frame,
        performance_threshold=performance_threshold,
        potential_threshold=potential_threshold,
        currency=currency,
    )


def quadrant_scatter_build(
    *,
    points: pd.DataFrame,
    performance_threshold: float,
    potential_threshold: float,
    currency: str = REPORTING_CURRENCY,
) -> dict:
    """Return the scatter of these accounts (POINT_COLUMNS, indexed by id).

    `currency` is the TTM revenue's, the run's reporting currency.
    """
    frame = points.sort_values("name")
    webgl = len(frame) > SVG_POINTS_MAX
    figure = go.Figure()
    for quadrant, (label, _, colour, _, _) in QUADRANTS.items():
        part = frame[frame["quadrant"] == quadrant]
        figure.add_trace(
            _marker_trace(
                part, quadrant, label, colour, len(part), webgl=webgl, currency=currency
            )
        )
    _decorate(figure, performance_threshold, potential_threshold)
    # plotly's own encoder turns numpy values into plain JSON types.
    built = json.loads(figure.to_json())
    _stacks_add(built)
    return built


def _stacks_add(figure: dict) -> None:
    """Add a count beside each marker that covers other accounts' markers.

    A scatter shows 302 accounts with the same two scores as one dot; the
    count says how many are there. Counted over the markers the figure
    holds, so a figure filtered to one viewer's accounts counts theirs.
    """
    spots: Counter[tuple[float, float]] = Counter()
    for trace in figure.get("data", []):
        if "customdata" in trace:
            spots.update(
                zip(_values(trace.get("x")), _values(trace.get("y")), strict=True)
            )
    stacked = [(spot, count) for spot, count in spots.most_common() if count > 1]
    if not stacked:
        return
    stacked = stacked[:STACKS_LABELLED]
    figure["data"].append(
        {
            "type": "scatter",
            # An unseen marker the size of the drawn ones sets the count
            # beside them, not over them.
            "mode": "markers+text",
            "marker": {"size": 11, "opacity": 0},
            "x": [x for (x, _), _ in stacked],
            "y": [y for (_, y), _ in stacked],
            "text": [f"×{count:,}" for _, count in stacked],
            "textposition": "middle right",
            "textfont": {"size": 12, "color": "#37474f"},
            "hoverinfo": "skip",
            "showlegend": False,
            "meta": {"stacks": True},
        }
    )


def _marker_trace(
    part: pd.DataFrame,
    quadrant: str,
    label: str,
    colour: str,
    total: int,
    *,
    webgl: bool,
    currency: str,
) -> go.Scatter | go.Scattergl:
    common = {
        "legendgroup": quadrant,
        "text": _hover_texts(part, currency),
        "hovertemplate": "%{text}<extra></extra>",
        "mode": "markers",
        "meta": {"quadrant": quadrant, "label": label},
    }
    if not webgl:
        return go.Scatter(
            name=f"{label} ({total})",
            x=part["performance"].round(2).tolist(),
            y=part["potential"].round(2).tolist(),
            customdata=[int(account_id) for account_id in part.index],
            marker={
                "color": colour,
                "size": 11,
                "opacity": 0.85,
                "line": {"color": "#ffffff", "width": 1},
            },
            **common,
        )

    # Typed arrays: float32 keeps the two decimals of a 0-100 score, and
    # float64 ids stay exact far beyond any portfolio.
    return go.Scattergl(
        name=f"{label} ({total:,})",
        x=part["performance"].round(2).to_numpy(dtype="float32"),
        y=part["potential"].round(2).to_numpy(dtype="float32"),
        customdata=part.index.to_numpy(dtype="float64"),
        marker={"color": colour, "size": 7, "opacity": 0.8},
        **common,
    )


def density_counts(*, performance: np.ndarray, potential: np.ndarray) -> np.ndarray:
    """Return account counts on the density grid, potential rows first."""
    edges = np.linspace(0.0, 100.0, DENSITY_BINS + 1)
    counts, _, _ = np.histogram2d(potential, performance, bins=[edges, edges])
    return counts.astype("int64")


def top_accounts(frame: pd.DataFrame) -> pd.DataFrame:
    """Return each quadrant's TOP_ACCOUNTS by potential and by revenue, once."""
    # Per quadrant, so every quadrant in the legend has accounts to click.
    tops = [
        frame.sort_values(column, ascending=False, kind="stable")
        .groupby("quadrant", sort=False)
        .head(TOP_ACCOUNTS)
        for column in ("potential", "ttm_revenue")
    ]
    top = pd.concat(tops)
    return top[~top.index.duplicated()]


def quadrant_density_build(
    *,
    counts: np.ndarray,
    quadrant_totals: dict[str, int],
    top: pd.DataFrame,
    performance_threshold: float,
    potential_threshold: float,
    currency: str = REPORTING_CURRENCY,
) -> dict:
    """Return the density of all accounts with the top accounts drawn.

    `counts` is the DENSITY_BINS square grid of density_counts, `top` the
    drawn accounts (POINT_COLUMNS, indexed by id).
    """
    centres = (np.arange(DENSITY_BINS) + 0.5) * (100.0 / DENSITY_BINS)
    # Shade by log(1 + count) so a few crowded cells do not wash out the
    # rest; empty cells stay blank rather than the palette's lowest colour.
    shown = np.log1p(counts).astype("float32")
    shown[counts == 0] = np.nan
    labels = [[f"{count:,}" for count in row] for row in counts.tolist()]
    figure = go.Figure()
    figure.add_trace(
        go.Heatmap(
            x=centres.astype("float32"),
            y=centres.astype("float32"),
            z=shown,
            text=labels,
            colorscale=[[0.0, "#e8edf4"], [0.5, "#a9bad0"], [1.0, "#4a6584"]],
            showscale=False,
            hoverongaps=False,
            hovertemplate=(
                "%{text} accounts near performance %{x:.0f}, "
                "potential %{y:.0f}<extra></extra>"
            ),
            name="All accounts",
            showlegend=False,
            meta={"density": True},
        )
    )
    frame = top.sort_values("name")
    for quadrant, (label, _, colour, _, _) in QUADRANTS.items():
        part = frame[frame["quadrant"] == quadrant]
        total = int(quadrant_totals.get(quadrant, 0))
        # At most 8 x TOP_ACCOUNTS markers: SVG draws them at once, and
        # the density view then works where WebGL does not.
        figure.add_trace(
            _marker_trace(
                part, quadrant, label, colour, total, webgl=False, currency=currency
            )
        )

    _decorate(figure, performance_threshold, potential_threshold)
    accounts = int(counts.sum())
    figure.update_layout(
        meta={"mode": "density", "accounts": accounts, "drawn": len(frame)},
        title={
            "text": (
                f"Shading: where all {accounts:,} accounts sit. Markers: the "
                f"{len(frame):,} top by potential and by TTM revenue "
                "in each quadrant."
            ),
            "font": {"size": 13, "color": "#555555"},
            "x": 0.01,
            "xanchor": "left",
        },
        margin={"t": 40},
    )
    built = json.loads(figure.to_json())
    _stacks_add(built)
    return built


def _decorate(
    figure: go.Figure, performance_threshold: float, potential_threshold: float
) -> None:
    line = {"color": "#9e9e9e", "width": 1, "dash": "dash"}
    figure.add_shape(
        type="line", x0=performance_threshold, x1=performance_threshold, y0=0, y1=100,
        line=line,
    )  # fmt: skip
    figure.add_shape(
        type="line", x0=0, x1=100, y0=potential_threshold, y1=potential_threshold,
        line=line,
    )  # fmt: skip
    for _, advice, colour, corner_x, corner_y in QUADRANTS.values():
        figure.add_annotation(
            text=f"<b>{advice}</b>",
            x=100 if corner_x else 0,
            y=100 if corner_y else 0,
            xanchor="right" if corner_x else "left",
            yanchor="top" if corner_y else "bottom",
            showarrow=False,
            # A halo rather than a box: a marker in the corner stays whole.
            font={"color": colour, "size": 13, "shadow": "auto"},
        )

    figure.update_layout(
        template="plotly_white",
        xaxis={
            "title": {"text": "Performance: what the account buys today (0-100)"},
            "range": [-3, 103],
            "zeroline": False,
        },
        yaxis={
            "title": {"text": "Potential: what it could buy (0-100)"},
            "range": [-3, 103],
            "zeroline": False,
        },
        legend={"orientation": "h", "y": -0.18, "x": 0, "title": {"text": ""}},
        margin={"l": 60, "r": 20, "t": 20, "b": 80},
        hovermode="closest",
        clickmode="event",
    )


def _values(column: Iterable[Any] | None) -> list:
    """Return a trace column as a list, decoding plotly's typed arrays."""
    if isinstance(column, dict) and "bdata" in column:
        data = np.frombuffer(
            base64.b64decode(column["bdata"]), dtype=np.dtype(column["dtype"])
        )
        return data.tolist()
    return list(column or [])


def quadrant_figure_account_ids(*, figure: dict) -> set[int]:
    """Return the ids of the accounts the figure draws as markers."""
    return {
        int(account_id)
        for trace in figure.get("data", [])
        if "customdata" in trace
        for account_id in _values(trace["customdata"])
    }


def quadrant_figure_names_set(*, figure: dict, names: dict[int, str]) -> int:
    """Write each account's name into its marker's label; return how many moved.

    A label starts with the name, escaped and in bold (`_hover`); the rest
    of it, the scores, stays as the run drew it. The figure is changed in
    place.
    """
    moved = 0
    for trace in figure.get("data", []):
        if "customdata" not in trace or not isinstance(trace.get("text"), list):
            continue
        labels = trace["text"]
        for index, account_id in enumerate(_values(trace["customdata"])):
            name = names.get(int(account_id))
            if name is None:
                continue
            # An escaped name holds no "<", so the first "</b>" ends it.
            rest = labels[index][labels[index].index("</b>") + len("</b>") :]
            label = f"<b>{escape(name, quote=False)}</b>{rest}"
            if label != labels[index]:
                labels[index] = label
                moved += 1
    return moved


def quadrant_figure_without_webgl(*, figure: dict) -> dict | None:
    """Return the figure drawn without WebGL traces, or None if SVG can't.

    A figure without WebGL traces comes back as it is. One whose WebGL
    markers number up to SVG_POINTS_MAX comes back as a copy with SVG
    markers. Past that, None: the caller draws the density view instead.
    """
    traces = figure.get("data", [])
    webgl = [trace for trace in traces if trace.get("type") == "scattergl"]
    if not webgl:
        return figure
    if sum(len(_values(trace.get("x"))) for trace in webgl) > SVG_POINTS_MAX:
        return None

    flat = {**figure, "data": []}
    for trace in traces:
        if trace.get("type") == "scattergl":
            trace = dict(trace, type="scatter")
            for key in ("x", "y"):
                trace[key] = _values(trace.get(key))
            if "customdata" in trace:
                trace["customdata"] = [
                    int(account_id) for account_id in _values(trace["customdata"])
                ]
        flat["data"].append(trace)
    return flat


def quadrant_figure_filter(*, figure: dict, visible_ids: set[int]) -> dict:
    """Return a copy of the figure keeping only the points of these accounts."""
    filtered = {**figure, "data": []}
    for trace in figure.get("data", []):
        if (trace.get("meta") or {}).get("stacks"):
            continue
        if "customdata" not in trace:
            filtered["data"].append(trace)
            continue
        ids = _values(trace["customdata"])
        keep = [
            index
            for index, account_id in enumerate(ids)
            if int(account_id) in visible_ids
        ]
        trace = dict(trace)
        for key in ("x", "y", "text", "customdata"):
            if key in trace:
                values = _values(trace[key])
                trace[key] = [values[index] for index in keep]
        if trace.get("type") == "scattergl":
            trace["customdata"] = [
                int(account_id) for account_id in trace["customdata"]
            ]
        label = (trace.get("meta") or {}).get("label")
        if label:
            trace["name"] = f"{label} ({len(keep)})"
        filtered["data"].append(trace)
    _stacks_add(filtered)
    return filtered
