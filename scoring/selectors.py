"""Reads for scores, runs and the portfolio page."""

import statistics
from dataclasses import dataclass

from accounts.models import User
from accounts.selectors import account_list_for_user
from scoring.models import AccountScore, ScoreRun


@dataclass(frozen=True)
class HiddenGold:
    """An account the revenue tiering ranks low but whose potential is high."""

    score: AccountScore
    threshold: float
    reason: str


def account_score_list_for_user(*, user: User, run: ScoreRun) -> list[AccountScore]:
    """Return the run's scores of the accounts this user may see, by name."""
    visible = account_list_for_user(user=user).values("pk")
    return list(
        AccountScore.objects.filter(run=run, account__in=visible)
        .select_related("account")
        .order_by("account__name")
    )


def potential_top_quartile_threshold(*, potentials: list[float]) -> float | None:
    """Return the potential at or above which an account is in the top quarter."""
    if not potentials:
        return None
    if len(potentials) == 1:
        return potentials[0]
    return statistics.quantiles(potentials, n=4, method="inclusive")[2]


def _strongest_potential_input(score: AccountScore) -> str | None:
    inputs = (score.components or {}).get("potential") or {}
    if not isinstance(inputs, dict) or not inputs:
        return None
    name, part = max(
        inputs.items(),
        key=lambda item: (
            (item[1] or {}).get("points", 0) if isinstance(item[1], dict) else 0
        ),
    )
    if not isinstance(part, dict) or not score.potential:
        return None
    share = 100 * float(part.get("points", 0)) / score.potential
    return f"{name.replace('_', ' ')} gives {share:.0f} % of its potential"


def hidden_gold_list(*, scores: list[AccountScore]) -> list[HiddenGold]:
    """Return B and C accounts whose potential is in the top quarter of these.

    The quarter is taken over the scores given, so a rep's panel compares
    their own accounts with each other, as the page's chart does.
    """
    threshold = potential_top_quartile_threshold(
        potentials=[score.potential for score in scores]
    )
    if threshold is None:
        return []

    found = []
    for score in scores:
        if score.tier == AccountScore.Tier.A or score.potential < threshold:
            continue
        reason = (
            f"Tier {score.tier} on revenue alone ({score.ttm_revenue:,.0f} USD in "
            f"the last 12 months), yet potential {score.potential:.0f} is in the "
            f"top quarter (at or above {threshold:.0f})"
        )
        strongest = _strongest_potential_input(score)
        if strongest:
            reason += f"; {strongest}"
        found.append(HiddenGold(score=score, threshold=threshold, reason=reason + "."))
    return sorted(found, key=lambda gold: -gold.score.potential)
