"""Manager reviews of a plan: who records them, what they hold, who reads them."""

from datetime import date
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ChangeRecord, User
from plans.errors import PlanError
from plans.manager_reviews import manager_review_create
from plans.models import ManagerReview, Plan
from tests.accounts.factories import UserFactory


def _record(user: User, plan: Plan, **values: Any) -> ManagerReview:
    return manager_review_create(
        user=user,
        plan=plan,
        reviewed_on=values.pop("reviewed_on", date(2026, 11, 2)),
        coaching_points=values.pop("coaching_points", "Name the CFO's sponsor."),
        **values,
    )


def test_a_manager_records_a_review_with_the_team(
    manager: User, rep: User, plan: Plan
) -> None:
    review = _record(
        manager,
        plan,
        attendees=[rep],
        other_attendees="Sam from Partner Co",
        agreed_actions="Book the CFO meeting by Friday.",
        next_review_on=date(2026, 12, 7),
    )

    review.refresh_from_db()
    assert review.reviewer == manager
    assert list(review.attendees.all()) == [rep]
    assert review.agreed_actions == "Book the CFO meeting by Friday."
    assert review.next_review_on == date(2026, 12, 7)
    recorded = ChangeRecord.objects.filter(object_id=review.pk, action="create")
    assert {record.field for record in recorded} >= {
        "coaching_points",
        "next_review_on",
    }


def test_it_refuses_a_next_review_before_this_one(manager: User, plan: Plan) -> None:
    with pytest.raises(PlanError) as refused:
        _record(manager, plan, next_review_on=date(2026, 11, 1))

    assert str(refused.value) == (
        "Next review: The next review must come after this one."
    )


def test_a_refused_review_keeps_what_was_typed(
    client: Client, manager: User, rep: User, plan: Plan
) -> None:
    client.force_login(manager)

    response = client.post(
        reverse("plans:reviews", args=[plan.pk]),
        {
            "reviewed_on": "2026-11-02",
            "attendees": [rep.pk],
            "other_attendees": "Sam from Partner Co",
            "coaching_points": "Multi-thread the deal.",
            "agreed_actions": "Meet IT.",
            "next_review_on": "2026-11-01",
        },
    )

    body = response.content.decode()
    assert "Next review: The next review must come after this one." in body
    assert 'name="reviewed_on" value="2026-11-02"' in body
    assert 'name="next_review_on" value="2026-11-01"' in body
    assert f'name="attendees" value="{rep.pk}" id="id_attendees_0" checked' in body
    assert 'value="Sam from Partner Co"' in body
    assert ">\nMulti-thread the deal.</textarea>" in body
    assert ">\nMeet IT.</textarea>" in body
    assert not ManagerReview.objects.exists()


def test_it_refuses_attendees_from_outside_the_account_team(
    manager: User, outsider: User, plan: Plan
) -> None:
    with pytest.raises(PlanError) as refused:
        _record(manager, plan, attendees=[outsider])

    assert str(refused.value) == (
        f"{outsider.display_name} is not on the account team; name them under "
        "other attendees."
    )


@pytest.mark.parametrize("who", ["rep", "executive", "ops"])
def test_only_a_manager_of_the_team_records_reviews(
    request: pytest.FixtureRequest, who: str, plan: Plan
) -> None:
    user = request.getfixturevalue(who)

    with pytest.raises(PlanError, match="Only a manager of this account's team"):
        _record(user, plan)


def test_a_manager_of_another_team_cannot_record_or_see(
    client: Client, plan: Plan
) -> None:
    stranger = cast(User, UserFactory.create(username="maud", role=User.Role.MANAGER))

    with pytest.raises(PlanError):
        _record(stranger, plan)
    client.force_login(stranger)
    page = client.get(reverse("plans:reviews", args=[plan.pk]))
    assert page.status_code == 404


def test_the_review_page_records_a_review(
    client: Client, manager: User, rep: User, plan: Plan
) -> None:
    client.force_login(manager)
    url = reverse("plans:reviews", args=[plan.pk])

    response = client.post(
        url,
        {
            "reviewed_on": "2026-11-02",
            "attendees": [rep.pk],
            "coaching_points": "Multi-thread <the> deal.",
            "agreed_actions": "Meet IT.",
            "next_review_on": "2026-12-01",
        },
        follow=True,
    )

    assert response.status_code == 200
    review = ManagerReview.objects.get(plan=plan)
    assert review.coaching_points == "Multi-thread <the> deal."
    body = response.content.decode()
    assert "Multi-thread &lt;the&gt; deal." in body
    assert "Review recorded." in body


def test_a_rep_reads_reviews_but_sees_no_form_and_cannot_post(
    client: Client, manager: User, rep: User, plan: Plan
) -> None:
    _record(manager, plan, coaching_points="Keep going.")
    client.force_login(rep)
    url = reverse("plans:reviews", args=[plan.pk])

    page = client.get(url)
    client.post(url, {"reviewed_on": "2026-11-03", "coaching_points": "Self."})

    assert "Keep going." in page.content.decode()
    assert "Record a review" not in page.content.decode()
    assert ManagerReview.objects.filter(plan=plan).count() == 1


def test_a_review_makes_the_plan_more_complete(
    client: Client, manager: User, plan: Plan, account: Account
) -> None:
    client.force_login(manager)
    url = reverse("plans:reviews", args=[plan.pk])
    before = client.get(url).context["completeness"]

    _record(manager, plan, reviewed_on=timezone.localdate())
    after = client.get(url).context["completeness"]

    states = {section.name: section.state for section in after.sections}
    assert states["Manager review"] == "fresh"
    assert after.percent - before.percent == 14
