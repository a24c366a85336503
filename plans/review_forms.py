"""Forms for the scorecard, the executive review and customer links."""

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from accounts.numbers import EXACT_DIGITS
from plans.models import ValueMeasure, VoiceOfCustomer


def _figure(label: str, *, max_digits: int, decimal_places: int, **kwargs: Any) -> Any:
    """A decimal field whose errors read as words, not Django's defaults."""
    return forms.DecimalField(
        label=label,
        max_digits=max_digits,
        decimal_places=decimal_places,
        error_messages={
            "invalid": "enter a number",
            "max_digits": "at most %(max)s digits",
            "max_decimal_places": "at most %(max)s digits after the point",
            "max_whole_digits": "at most %(max)s digits before the point",
            "required": "enter a number",
        },
        **kwargs,
    )


def form_error_text(form: forms.Form) -> str:
    """Return the form's errors as one line, each led by its label on the page."""
    parts = []
    for name, errors in form.errors.items():
        text = " ".join(str(error) for error in errors)
        if name == NON_FIELD_ERRORS:
            parts.append(text)
            continue
        label = form.fields[name].label or name.replace("_", " ").capitalize()
        parts.append(f"{label}: {text}")
    return "; ".join(parts)


class ValueMeasureForm(forms.Form):
    name = forms.CharField(label="Name", max_length=150)
    unit = forms.CharField(label="Unit", max_length=30, required=False)
    direction = forms.ChoiceField(
        label="Direction", choices=ValueMeasure.Direction.choices
    )
    baseline = _figure("Baseline", max_digits=EXACT_DIGITS, decimal_places=2)
    source = forms.CharField(label="Source", max_length=200, required=False)


class VersionForm(forms.Form):
    """The version of the row the page showed, so a stale edit is refused."""

    version = forms.CharField(max_length=100, widget=forms.HiddenInput)


class ValueMeasureEditForm(ValueMeasureForm, VersionForm):
    pass


class MeasureQuarterForm(forms.Form):
    measure = forms.IntegerField(label="Measure", widget=forms.HiddenInput)
    target = _figure(
        "Target", max_digits=EXACT_DIGITS, decimal_places=2, required=False
    )
    actual = _figure(
        "Actual", max_digits=EXACT_DIGITS, decimal_places=2, required=False
    )
    note = forms.CharField(label="Note", max_length=300, required=False)


RATING_RANGE_MESSAGE = "Rate the quarter with a whole number from 1 to 10."


class RatingForm(forms.Form):
    score = forms.IntegerField(
        min_value=1,
        max_value=10,
        error_messages={
            "required": RATING_RANGE_MESSAGE,
            "invalid": RATING_RANGE_MESSAGE,
            "min_value": RATING_RANGE_MESSAGE,
            "max_value": RATING_RANGE_MESSAGE,
        },
    )
    comment = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class StaffRatingForm(RatingForm):
    stakeholder = forms.IntegerField(label="Contact")


class VoiceForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=VoiceOfCustomer.Kind.choices)
    body = forms.CharField(
        label="What was said",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    score = _figure("Survey score", max_digits=6, decimal_places=1, required=False)
    score_max = _figure("Out of", max_digits=6, decimal_places=1, required=False)
    stakeholder = forms.IntegerField(label="Who", required=False)
    speaker = forms.CharField(label="or name them", max_length=200, required=False)
    said_on = forms.DateField(
        label="Said on",
        error_messages={
            "required": "enter the date",
            "invalid": "enter a date like 2026-11-30",
        },
    )


class VoiceEditForm(VoiceForm, VersionForm):
    pass


class ReviewForm(forms.Form):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    held_on = forms.DateField(
        label="Held on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "enter a date like 2026-11-30"},
    )
    attendees = forms.CharField(
        label="Attendees", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    decisions = forms.CharField(
        label="Decisions", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    next_steps = forms.CharField(
        label="Next steps", widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


LINK_DAYS_MESSAGE = (
    "A link lasts from 1 to 90 days: enter a whole number in that range."
)


class CustomerLinkForm(forms.Form):
    """A link for one of the account's people, with its own open checkpoints."""

    stakeholder = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose the contact the link is for.",
            "invalid_choice": "That contact is not an active person at this account.",
        },
    )
    days = forms.IntegerField(
        min_value=1,
        max_value=90,
        initial=30,
        error_messages={
            "required": LINK_DAYS_MESSAGE,
            "invalid": LINK_DAYS_MESSAGE,
            "min_value": LINK_DAYS_MESSAGE,
            "max_value": LINK_DAYS_MESSAGE,
        },
    )
    checkpoints = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        error_messages={
            "invalid_choice": (
                "Checkpoint %(value)s is not an open checkpoint of this account's "
                "pursuits, so it cannot go on the link."
            ),
            "invalid_list": "Pick checkpoints from the list.",
        },
    )

    def __init__(
        self,
        *args: object,
        checkpoint_choices: list,
        stakeholder_choices: list,
        **kwargs: object,
    ):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["checkpoints"].choices = checkpoint_choices  # type: ignore[attr-defined]
        self.fields["stakeholder"].choices = stakeholder_choices  # type: ignore[attr-defined]


class ConfirmForm(forms.Form):
    note = forms.CharField(max_length=500, required=False)
