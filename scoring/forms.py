from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator

from scoring.api_services import (
    EDITABLE_FIELDS,
    PERFORMANCE_WEIGHTS,
    POTENTIAL_WEIGHTS,
)
from scoring.models import ScoringModel

# What each editable field is called on the page; the help text comes from
# the model so the page and the API describe a field the same way.
LABELS = {
    "weight_ttm_revenue": "Trailing-12-month revenue",
    "weight_growth": "Growth",
    "weight_breadth": "Catalogue breadth",
    "weight_relationship_health": "Relationship health",
    "weight_wallet_headroom": "Share-of-wallet headroom",
    "weight_product_whitespace": "Product whitespace",
    "weight_subsidiary_whitespace": "Subsidiary whitespace",
    "weight_capacity": "Company capacity",
    "performance_threshold": "Performance threshold",
    "potential_threshold": "Potential threshold",
    "tier_a_share": "Tier A share of revenue (%)",
    "tier_b_share": "Tier B share of revenue (%)",
    "min_peer_group": "Smallest peer group",
    "reporting_currency": "Reporting currency",
    "score_as_of": "Score as of",
}
# Fields whose model definition carries no help text of its own.
EXTRA_HELP = {
    "min_peer_group": "Peer groups smaller than this are widened.",
    "reporting_currency": "Every amount is converted into this currency "
    "with the stored rates.",
}
VERSION_LOST = (
    "This form does not say which version of the model it was read at; "
    "reload the page and enter your changes again."
)
AXES = [
    ("performance", "Performance: what the account buys today", PERFORMANCE_WEIGHTS),
    ("potential", "Potential: what it could buy", POTENTIAL_WEIGHTS),
]


def help_text_for(name: str) -> str:
    """Return the help text of an editable field of the scoring model."""
    field = ScoringModel._meta.get_field(name)
    return str(getattr(field, "help_text", "")) or EXTRA_HELP.get(name, "")


def _number_field(name: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=LABELS[name],
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        error_messages={
            "required": "Give a number from 0 to 100.",
            "invalid": "Give a number from 0 to 100.",
            "min_value": "Give a number from 0 to 100; it cannot be negative.",
            "max_value": "Give a number from 0 to 100.",
            "max_decimal_places": "Use at most two decimal places.",
            "max_digits": "Give a number from 0 to 100.",
        },
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
    )


class ScoringModelForm(forms.Form):
    """The editable weights and thresholds, plus the version that was read."""

    version = forms.DateTimeField(
        widget=forms.HiddenInput,
        error_messages={
            "required": VERSION_LOST,
            "invalid": VERSION_LOST,
        },
    )

    weight_ttm_revenue = _number_field("weight_ttm_revenue")
    weight_growth = _number_field("weight_growth")
    weight_breadth = _number_field("weight_breadth")
    weight_relationship_health = _number_field("weight_relationship_health")
    weight_wallet_headroom = _number_field("weight_wallet_headroom")
    weight_product_whitespace = _number_field("weight_product_whitespace")
    weight_subsidiary_whitespace = _number_field("weight_subsidiary_whitespace")
    weight_capacity = _number_field("weight_capacity")
    performance_threshold = _number_field("performance_threshold")
    potential_threshold = _number_field("potential_threshold")
    tier_a_share = _number_field("tier_a_share")
    tier_b_share = _number_field("tier_b_share")
    min_peer_group = forms.IntegerField(
        label=LABELS["min_peer_group"],
        min_value=1,
        max_value=1000,
        error_messages={
            "required": "Give a whole number from 1 to 1000.",
            "invalid": "Give a whole number from 1 to 1000.",
            "min_value": "Give a whole number from 1 to 1000.",
            "max_value": "Give a whole number from 1 to 1000.",
        },
    )
    reporting_currency = forms.CharField(
        label=LABELS["reporting_currency"],
        strip=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z]{3}$", "Give a three-letter currency code, e.g. EUR."
            )
        ],
        error_messages={
            "required": "Give a three-letter currency code, e.g. EUR.",
        },
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": "3"}),
    )
    score_as_of = forms.DateField(
        label=LABELS["score_as_of"],
        required=False,
        input_formats=["%Y-%m-%d"],
        error_messages={
            "invalid": "Give a date as YYYY-MM-DD, or leave it blank to follow "
            "the latest revenue.",
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, model: ScoringModel, **kwargs: Any) -> None:
        initial = {name: getattr(model, name) for name in EDITABLE_FIELDS}
        kwargs["initial"] = initial | {"version": model.updated_at.isoformat()}
        super().__init__(*args, **kwargs)
        for name in EDITABLE_FIELDS:
            self.fields[name].help_text = help_text_for(name)

    def clean_reporting_currency(self) -> str:
        # Typed in lower case it is still the same code; the regex has
        # already refused anything that is not three letters.
        return self.cleaned_data["reporting_currency"].upper()

    def changes(self) -> dict[str, Any]:
        """Return the cleaned values that differ from the ones read."""
        return {
            name: self.cleaned_data[name]
            for name in EDITABLE_FIELDS
            if self.cleaned_data[name] != self.initial[name]
        }
