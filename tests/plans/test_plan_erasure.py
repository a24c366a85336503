"""Erasing a person also clears them from plans: snapshots, reviews, notes."""

from datetime import date

import pytest

from plans.calendar import fiscal_quarter_for
from plans.models import Comment, ExecutiveReview, PlanSnapshot
from plans.review_services import executive_review_save, plan_snapshot_take
from plans.services import comment_create, strategy_create
from stakeholders.models import Stakeholder
from stakeholders.services import stakeholder_create, stakeholder_erase
from tests.stakeholders.factories import StakeholderFactory
from tests.stakeholders.test_stakeholder_services import text_columns_hold

pytestmark = pytest.mark.django_db


def test_erasing_a_person_clears_them_from_every_plans_table(rep, account, plan):
    # given
    person = stakeholder_create(
        user=rep,
        account=account,
        data={
            "first_name": "Zelinda",
            "last_name": "Quorrow",
            "title": "Chief Xylophone Officer",
            "email": "zelinda.quorrow@example.com",
            "phone": "+1 555 0199 321",
        },
    )
    StakeholderFactory.create(account=account, first_name="Olga", last_name="Ost")
    strategy_create(
        user=rep,
        plan=plan,
        values={
            "title": "Win over Zelinda Quorrow",
            "description": "Mail zelinda.quorrow@example.com before the board",
            "stakeholders": [person],
        },
    )
    comment_create(user=rep, plan=plan, body="Zelinda Quorrow and Olga agreed")
    executive_review_save(
        user=rep,
        account=account,
        quarter=fiscal_quarter_for(date(2026, 5, 1)),
        values={
            "attendees": "Zelinda Quorrow (CXO), Olga Ost",
            "decisions": "Quorrow signs off the pilot",
            "next_steps": "Call +1 555 0199 321",
        },
        version=None,
    )
    snapshot = plan_snapshot_take(plan=plan, user=rep, label="Before")
    assert snapshot.data["people"][str(person.pk)]["name"] == "Zelinda Quorrow"

    # when
    stakeholder_erase(user=rep, stakeholder=person)

    # then
    for value in [
        "Zelinda",
        "Quorrow",
        "zelinda.quorrow@example.com",
        "+1 555 0199 321",
        "Chief Xylophone Officer",
    ]:
        assert text_columns_hold(value) == [], value
    snapshot.refresh_from_db()
    entry = snapshot.data["people"][str(person.pk)]
    assert entry["name"] == str(Stakeholder.objects.get(pk=person.pk))
    assert entry["title"] == ""
    review = ExecutiveReview.objects.get(account=account)
    assert "Olga Ost" in review.attendees
    assert Comment.objects.filter(plan=plan, body__contains="Olga").exists()
    assert PlanSnapshot.objects.filter(plan=plan).count() == 1
