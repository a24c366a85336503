"""The scoring section of the account page: why the account scores as it does."""

from datetime import date, timedelta
from typing import Any

from django.db.models import F

from accounts.currency import money_text
from accounts.models import Account, User
from accounts.sections import AccountSection, account_section_register
from config.compiled_queries import queryset_rows
from scoring.models import AccountScore, ScoringModel
from scoring.services import left_out_description

# Weight fields of the scoring model per axis, with the words the page uses
# when a run's stored breakdown does not carry its own label or weight.
# "CUR" is replaced by the run's reporting currency.
AXES: dict[str, list[tuple[str, str, str]]] = {
    "performance": [
        ("ttm_revenue", "Trailing-12-month won revenue", "CUR"),
        ("growth", "Growth on the 12 months before (symmetric)", "%"),
        ("breadth", "Share of the catalogue bought", "%"),
        (
            "relationship_health",
            "Relationship health (support: satisfaction, NPS, tickets)",
            "of 100",
        ),
    ],
    "potential": [
        ("wallet_headroom", "Share-of-wallet headroom", "CUR"),
        ("product_whitespace", "Products not yet bought (demand-weighted)", ""),
        ("subsidiary_whitespace", "Subsidiaries not yet buying", ""),
        ("capacity_revenue", "Company revenue", "M USD"),
        ("capacity_employees", "Employees", ""),
    ],
}
# Ratios the engine stores as fractions; the page shows them as percentages.
PERCENT_INPUTS = {"growth", "breadth"}
PEER_LEVELS = {
    "sector_size": "same sector and size band",
    "sector": "same sector, any size (the size band had too few peers)",
    "portfolio": "the whole portfolio (the sector had too few peers)",
    "none": "no peer bought anything, so no headroom is estimated",
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _first(part: dict[str, Any], *names: str) -> Any:
    for name in names:
        if part.get(name) is not None:
            return part[name]
    return None


def ttm_window_start(*, as_of: date | None) -> date | None:
    """Return the first day of the trailing twelve months ending at as_of."""
    if as_of is None:
        return None
    try:
        year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        year_before = as_of.replace(year=as_of.year - 1, day=28)
    return year_before + timedelta(days=1)


def _day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _signals_outside(
    *, part: dict[str, Any], ttm_start: date | None, as_of: date | None
) -> str:
    """Return "its support signals (1 Jan 2027) fall outside the window …", or ""."""
    first, last = part.get("outside_first"), part.get("outside_last")
    if not first or not last or ttm_start is None or as_of is None:
        return ""
    days = [_day_text(date.fromisoformat(day)) for day in (first, last)]
    periods = days[0] if first == last else f"{days[0]} to {days[1]}"
    return (
        f"this account's support signals (periods starting {periods}) fall "
        f"outside the scoring window, {_day_text(ttm_start)} to {_day_text(as_of)}"
    )


def _component_note(
    *,
    key: str,
    part: dict[str, Any],
    ttm_start: date | None,
    as_of: date | None = None,
) -> tuple[str, str]:
    """Return (what to show instead of the raw value, a note) for one input."""
    since = f"{ttm_start:%-d %b %Y}" if ttm_start else "the last 12 months"
    status = part.get("status", "used")
    outside = _signals_outside(part=part, ttm_start=ttm_start, as_of=as_of)
    if status == "no_signals" and outside:
        return (
            "not available",
            f"Not available: no account has a support signal in the scoring "
            f"window, and {outside}; its weight went to the others.",
        )
    if status == "no_signal" and outside:
        return (
            "not available",
            f"Not available: {outside}; its weight went to this account's "
            "other inputs (not counted as 0).",
        )
    if status == "no_prior_revenue":
        return (
            "not available",
            f"Not available: no revenue in the 12 months before {since} in "
            "the whole portfolio; its weight went to the others.",
        )
    if status == "no_signals":
        return (
            "not available",
            "Not available: no account has a support signal (tickets, "
            f"satisfaction or NPS) since {since}; its weight went to the others.",
        )
    if status == "no_signal":
        return (
            "not available",
            f"Not available: no support signal for this account since {since}; "
            "its weight went to this account's other inputs (not counted as 0).",
        )
    if status == "no_separation":
        return (
            "",
            "Did not separate accounts: every account has the same value; "
            "its weight went to the others.",
        )
    if key == "relationship_health":
        return "", _health_note(part)
    if key == "growth" and _number(part.get("prior_revenue")) is not None:
        prior = _number(part.get("prior_revenue")) or 0.0
        if prior <= 0 and (_number(part.get("raw")) or 0.0) > 0:
            return (
                "new",
                f"New: no revenue in the 12 months before {since}, nothing to "
                "compare with; counts as the middle (50 of 100).",
            )
        if prior <= 0:
            return (
                "none",
                "No revenue in this window or the one before: earns no points.",
            )
    return "", ""


def _health_note(part: dict[str, Any]) -> str:
    facts = []
    satisfaction = _number(part.get("satisfaction"))
    if satisfaction is not None:
        facts.append(f"satisfaction {satisfaction:g}")
    nps = _number(part.get("nps"))
    if nps is not None:
        facts.append(f"NPS {nps:g}")
    tickets = _number(part.get("tickets"))
    if tickets is not None:
        facts.append(f"{tickets:g} tickets")
    if not facts:
        return ""
    return (
        "Latest support figures: "
        + ", ".join(facts)
        + "; each ranked against the other accounts with signals (fewer "
        "tickets rank higher), averaged, then ranked again."
    )


def score_component_rows(
    *,
    components: dict[str, Any],
    axis: str,
    scoring_model: ScoringModel,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Return one row per component of an axis, with its share of the score.

    The share is the component's points over the axis's points; when a
    breakdown stores no points, weight times normalised value stands in.
    Each row says in `note` when the input did not count in this run (not
    available, or it did not separate accounts) or the account is new.
    """
    ttm_start = ttm_window_start(as_of=as_of)
    currency = str(components.get("currency") or "USD")
    stored = components.get(axis) or {}
    if isinstance(stored, list):
        stored = {
            str(part.get("key", index)): part for index, part in enumerate(stored)
        }
    known = {key: (label, unit) for key, label, unit in AXES.get(axis, [])}
    keys = [key for key in known if key in stored]
    keys += [key for key in stored if key not in keys]

    rows = []
    for key in keys:
        part = stored[key] if isinstance(stored[key], dict) else {"raw": stored[key]}
        weight = _number(_first(part, "weight"))
        if weight is None:
            weight = _number(getattr(scoring_model, f"weight_{key}", None))
        normalised = _number(_first(part, "normalised", "normalized", "score"))
        points = _number(_first(part, "points", "contribution"))
        if points is None and weight is not None and normalised is not None:
            points = weight * normalised
        label, unit = known.get(key, (key.replace("_", " "), ""))
        money = unit == "CUR"
        unit = currency if money else unit
        raw = _number(_first(part, "raw", "value"))
        if raw is not None and key in PERCENT_INPUTS:
            raw *= 100
        raw_text, note = _component_note(
            key=key, part=part, ttm_start=ttm_start, as_of=as_of
        )
        rows.append(
            {
                "key": key,
                "label": _first(part, "label") or label,
                "raw": raw,
                "unit": _first(part, "unit") or unit,
                # An amount in the reporting currency, shown with its decimals.
                "money": money,
                "normalised": normalised,
                "weight": weight,
                "points": points,
                "used": part.get("status", "used") == "used",
                "raw_text": raw_text,
                "note": note,
            }
        )

    total = sum(row["points"] or 0 for row in rows)
    for row in rows:
        row["share"] = (row["points"] or 0) / total * 100 if total > 0 else 0.0
    return rows


def scoring_section_context(*, user: User, account: Account) -> dict[str, Any]:
    """Return the account's current score and its breakdown, in one query."""
    # The run's chart, timings and portfolio-wide summary are large (the
    # chart alone 0.15 MB at 100k accounts) and decoded on every read: only
    # the summary's scoring window is shown here.
    scores = queryset_rows(
        "scoring.account_section_score",
        lambda account_id: (
            AccountScore.objects.filter(account_id=account_id, run__is_current=True)
            .select_related("run", "run__scoring_model")
            .defer("run__figure", "run__timings", "run__summary")
            .annotate(run_window=F("run__summary__window"))
            .order_by("pk")[:1]
        ),
        account_id=account.pk,
    )
    score = scores[0] if scores else None
    if score is None:
        return {"score": None}

    components = score.components or {}
    model = score.run.scoring_model
    left_out = left_out_description(
        left_out_lines=components.get("left_out") or {},
        reporting_currency=str(components.get("currency") or "USD"),
    )
    rows = {
        axis: score_component_rows(
            components=components,
            axis=axis,
            scoring_model=model,
            as_of=score.run.as_of,
        )
        for axis in AXES
    }
    return {
        "score": score,
        "run": score.run,
        "window": score.run_window or {},  # type: ignore[attr-defined]
        "performance_rows": rows["performance"],
        "potential_rows": rows["potential"],
        "performance_note": " ".join(
            note
            for note in (
                _axis_note(rows["performance"]),
                f"{left_out} (revenue of the last 24 months)." if left_out else "",
            )
            if note
        ),
        "potential_note": _axis_note(rows["potential"]),
        "peer_group": peer_group_description(
            {
                **(components.get("peer_group") or {}),
                "currency": components.get("currency") or "USD",
            }
            if isinstance(components.get("peer_group"), dict)
            else components.get("peer_group")
        ),
    }


def _axis_note(rows: list[dict[str, Any]]) -> str:
    if rows and not any(row["used"] for row in rows):
        return (
            "No input separates the accounts in this run, so every account "
            "scores the neutral 50 on this axis."
        )
    return ""


def peer_group_description(peer_group: Any) -> str:
    """Return the peer group of the wallet estimate in words."""
    if not peer_group:
        return ""
    if not isinstance(peer_group, dict):
        return str(peer_group)

    level = str(peer_group.get("level", ""))
    words = PEER_LEVELS.get(level, level)
    facts = []
    if level in {"sector_size", "sector"} and peer_group.get("sector"):
        facts.append(f"sector {peer_group['sector']}")
    if level == "sector_size" and peer_group.get("size_band"):
        facts.append(f"{peer_group['size_band']} companies")
    peers = _number(peer_group.get("peers"))
    if peers is not None:
        facts.append(f"{int(peers)} peers")
    rate = _number(peer_group.get("spend_per_musd"))
    currency = str(peer_group.get("currency") or "USD")
    if rate and level != "none":
        facts.append(
            f"peers spend {money_text(rate, currency)} per million USD of company "
            "revenue"
        )
    return words + (f": {', '.join(facts)}" if facts else "")


def scoring_section_register() -> None:
    account_section_register(
        AccountSection(
            key="scoring",
            title="Why this account scores as it does",
            template="scoring/account_score_section.html",
            order=10,
            context=scoring_section_context,
        )
    )
