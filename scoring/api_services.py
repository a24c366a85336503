"""Writes the scoring API makes that the scoring pages do not."""

import logging
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.api import instance_save_if_unchanged
from scoring.models import ScoringModel
from scoring.selectors import revenue_last_date

logger = logging.getLogger(__name__)

PERFORMANCE_WEIGHTS = [
    "weight_ttm_revenue",
    "weight_growth",
    "weight_breadth",
    "weight_relationship_health",
]
POTENTIAL_WEIGHTS = [
    "weight_wallet_headroom",
    "weight_product_whitespace",
    "weight_subsidiary_whitespace",
    "weight_capacity",
]
EDITABLE_FIELDS = [
    *PERFORMANCE_WEIGHTS,
    *POTENTIAL_WEIGHTS,
    "performance_threshold",
    "potential_threshold",
    "tier_a_share",
    "tier_b_share",
    "min_peer_group",
    "reporting_currency",
    "score_as_of",
]


def _scoring_model_check_axes(*, model: ScoringModel) -> None:
    errors: dict[str, list[str]] = {}
    for axis, fields in (
        ("performance", PERFORMANCE_WEIGHTS),
        ("potential", POTENTIAL_WEIGHTS),
    ):
        if sum((getattr(model, name) or Decimal(0)) for name in fields) <= 0:
            errors[fields[0]] = [
                f"The {axis} weights add up to zero; give at least one of "
                f"{', '.join(fields)} a weight above 0."
            ]
    if model.tier_a_share > model.tier_b_share:
        errors["tier_a_share"] = ["Tier A's share cannot exceed tier B's."]
    if errors:
        raise ValidationError(errors)


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _scoring_model_check_as_of(*, model: ScoringModel) -> None:
    # A window that ends past the data scores every account on empty
    # quarters: all of them land at the same performance.
    as_of = model.score_as_of
    if as_of is None:
        return

    today = timezone.localdate()
    if as_of > today:
        raise ValidationError(
            {
                "score_as_of": [
                    f"{_day(as_of)} is in the future: choose a date on or "
                    f"before today, {_day(today)}."
                ]
            }
        )
    last = revenue_last_date()
    if last is None:
        raise ValidationError(
            {
                "score_as_of": [
                    "No revenue is loaded yet: leave the date blank until there is."
                ]
            }
        )
    if as_of > last:
        raise ValidationError(
            {
                "score_as_of": [
                    f"No revenue after {_day(last)}: choose a date on or before it."
                ]
            }
        )


@transaction.atomic
def scoring_model_update(
    *,
    model: ScoringModel,
    user: User,
    data: dict[str, Any],
    expected_version: Any,
) -> bool:
    """Change weights or thresholds if the model is still at the version read.

    Return False when someone else saved it first; nothing is written then.
    """
    for name, value in data.items():
        if name not in EDITABLE_FIELDS:
            raise ValidationError({name: ["This field cannot be changed."]})
        setattr(model, name, value)
    model.full_clean()
    _scoring_model_check_axes(model=model)
    if "score_as_of" in data:
        _scoring_model_check_as_of(model=model)

    saved = instance_save_if_unchanged(
        instance=model, fields=list(data), expected_version=expected_version
    )
    if saved:
        logger.info(
            "Scoring model %s changed by user %s: %s", model.pk, user.pk, sorted(data)
        )
    return saved
