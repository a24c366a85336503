"""Manager reviews of a plan: who may record one, recording it, reading them."""

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from accounts.history import change_record_many
from accounts.models import User
from accounts.selectors import account_list_for_user
from plans.errors import PlanError, validation_field_errors
from plans.models import ManagerReview, Plan

logger = logging.getLogger(__name__)


def manager_review_can_record(*, user: User, plan: Plan) -> bool:
    """Return whether the user may record a review of this plan.

    A review is the manager's coaching record, so only a sales manager whose
    team works the account (or a superuser) records one; reps and
    executives read them.
    """
    if not (user.is_manager or user.is_superuser):
        return False
    return account_list_for_user(user=user).filter(pk=plan.account_id).exists()


def manager_review_list(*, plan: Plan) -> QuerySet[ManagerReview]:
    return (
        ManagerReview.objects.filter(plan=plan)
        .select_related("reviewer")
        .prefetch_related("attendees")
    )


# The review form's names for the fields, so a refusal names them as the
# page does.
FIELD_LABELS = {
    "reviewed_on": "Date",
    "next_review_on": "Next review",
    "other_attendees": "Other attendees",
    "coaching_points": "Coaching points",
    "agreed_actions": "Agreed actions",
}


def _field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


@transaction.atomic
def manager_review_create(
    *,
    user: User,
    plan: Plan,
    reviewed_on: date,
    coaching_points: str,
    agreed_actions: str = "",
    next_review_on: date | None = None,
    attendees: Iterable[User] = (),
    other_attendees: str = "",
) -> ManagerReview:
    """Record a review of the plan, with the account team who attended."""
    if not manager_review_can_record(user=user, plan=plan):
        raise PlanError("Only a manager of this account's team can record a review.")
    attendees = list(attendees)
    team = set(plan.account.team_members.values_list("pk", flat=True))
    strangers = [person for person in attendees if person.pk not in team | {user.pk}]
    if strangers:
        names = ", ".join(person.display_name for person in strangers)
        raise PlanError(
            f"{names} {'is' if len(strangers) == 1 else 'are'} not on the "
            "account team; name them under other attendees.",
            field="attendees",
        )

    review = ManagerReview(
        plan=plan,
        reviewer=user,
        reviewed_on=reviewed_on,
        coaching_points=coaching_points.strip(),
        agreed_actions=agreed_actions.strip(),
        next_review_on=next_review_on,
        other_attendees=other_attendees.strip(),
    )
    try:
        review.full_clean(exclude=["plan", "reviewer"])
    except ValidationError as error:
        raise PlanError(
            "; ".join(
                f"{_field_label(name)}: {' '.join(texts)}"
                for name, texts in error.message_dict.items()
            ),
            errors=validation_field_errors(error),
        ) from error
    review.save()
    review.attendees.set(attendees)

    change_record_many(
        user=user,
        account=plan.account,
        target=review,
        changes={
            "reviewed_on": ("", reviewed_on.isoformat()),
            "coaching_points": ("", review.coaching_points),
            "agreed_actions": ("", review.agreed_actions),
            "next_review_on": (
                "",
                next_review_on.isoformat() if next_review_on else "",
            ),
            "attendees": ("", ", ".join(str(person.pk) for person in attendees)),
        },
        action="create",
    )
    logger.info("manager review %s recorded on plan %s", review.pk, plan.pk)
    return review


class TeamMemberField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.display_name


class ManagerReviewForm(forms.Form):
    """The review page's form; the attendee choices are the account team."""

    reviewed_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    attendees = TeamMemberField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    other_attendees = forms.CharField(max_length=300, required=False)
    coaching_points = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    agreed_actions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_review_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attendees"]
        assert isinstance(field, TeamMemberField)
        field.queryset = plan.account.team_members.order_by(
            "last_name", "first_name", "username"
        )
