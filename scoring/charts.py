"""The quadrant chart, built once per run by the worker and stored as JSON."""

import json

import pandas as pd
import plotly.graph_objects as go

QUADRANTS = {
    # quadrant: (legend name, what to do, colour, corner x, corner y)
    "grow": ("Grow", "Grow — invest", "#2e7d32", 1, 1),
    "expand": ("Expand", "Expand — penetrate whitespace", "#1565c0", 0, 1),
    "maintain": ("Maintain", "Maintain — defend", "#b26a00", 1, 0),
    "monitor": ("Monitor", "Monitor — serve efficiently", "#757575", 0, 0),
}


def _hover(row: pd.Series) -> str:
    return (
        f"<b>{row['name']}</b><br>"
        f"Performance {row['performance']:.0f} · Potential {row['potential']:.0f}<br>"
        f"TTM revenue ${row['ttm_revenue']:,.0f} · Tier {row['tier']}"
    )


def quadrant_figure_build(
    *,
    scores: pd.DataFrame,
    names: pd.Series,
    performance_threshold: float,
    potential_threshold: float,
) -> dict:
    """Return the plotly figure of every account as JSON-safe plain data.

    `scores` is the engine's output indexed by account id and `names` maps
    account id to name. Every quadrant gets a trace, even an empty one, so
    the legend and colours never shift between runs.
    """
    frame = scores[["performance", "potential", "ttm_revenue", "tier", "quadrant"]]
    frame = frame.assign(name=names.reindex(frame.index).fillna("").astype(str))
    frame = frame.sort_values("name")

    figure = go.Figure()
    for quadrant, (label, _, colour, _, _) in QUADRANTS.items():
        part = frame[frame["quadrant"] == quadrant]
        figure.add_trace(
            go.Scatter(
                name=f"{label} ({len(part)})",
                legendgroup=quadrant,
                x=part["performance"].round(2).tolist(),
                y=part["potential"].round(2).tolist(),
                customdata=[int(account_id) for account_id in part.index],
                text=[_hover(row) for _, row in part.iterrows()],
                hovertemplate="%{text}<extra></extra>",
                mode="markers",
                marker={
                    "color": colour,
                    "size": 11,
                    "opacity": 0.85,
                    "line": {"color": "#ffffff", "width": 1},
                },
                meta={"quadrant": quadrant, "label": label},
            )
        )

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
            font={"color": colour, "size": 13},
            bgcolor="rgba(255,255,255,0.8)",
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
    # plotly's own encoder turns numpy values into plain JSON types.
    return json.loads(figure.to_json())


def quadrant_figure_filter(*, figure: dict, visible_ids: set[int]) -> dict:
    """Return a copy of the figure keeping only the points of these accounts."""
    filtered = {**figure, "data": []}
    for trace in figure.get("data", []):
        keep = [
            index
            for index, account_id in enumerate(trace.get("customdata", []))
            if account_id in visible_ids
        ]
        trace = dict(trace)
        for key in ("x", "y", "text", "customdata"):
            if key in trace:
                trace[key] = [trace[key][index] for index in keep]
        label = (trace.get("meta") or {}).get("label")
        if label:
            trace["name"] = f"{label} ({len(keep)})"
        filtered["data"].append(trace)
    return filtered
