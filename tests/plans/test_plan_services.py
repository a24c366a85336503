from datetime import date, timedelta

import pytest

from accounts.history import change_list_for_target
from accounts.models import ChangeRecord
from plans.errors import PlanError, VersionConflict
from plans.models import Action, ExternalForce, Plan, Pursuit, Strategy
from plans.periods import fiscal_period, fiscal_year_for
from plans.selectors import plan_balance, pursuit_outcome_totals
from plans.services import (
    action_create,
    external_force_create,
    plan_item_update,
    plan_start_next,
    pursuit_create,
    strategy_create,
    template_update,
)
from tests.accounts.factories import ProductFactory
from tests.plans.factories import gated_template
from tests.plans.walk import pursuit_walk_to_last_stage

pytestmark = pytest.mark.django_db


def test_one_save_changing_three_fields_writes_three_entries(rep, strategy):
    long_text = "The customer wants to double its Asian revenue. " * 40

    plan_item_update(
        user=rep,
        item=strategy,
        version=strategy.version,
        values={
            "title": "Double Asia",
            "priority": Strategy.Priority.HIGH,
            "description": long_text,
        },
    )

    updates = change_list_for_target(target=strategy).filter(action="update")
    assert sorted(updates.values_list("field", flat=True)) == [
        "description",
        "priority",
        "title",
    ]
    description = updates.get(field="description")
    assert description.old_value == "Asia."
    assert description.new_value == long_text
    assert description.changed_by == rep
    assert updates.get(field="title").old_value == "Grow in Asia"


def test_a_save_with_a_stale_version_is_refused_and_changes_nothing(rep, strategy):
    plan_item_update(user=rep, item=strategy, version=1, values={"title": "First edit"})
    stale = Strategy.objects.get(pk=strategy.pk)
    stale.version = 1

    with pytest.raises(VersionConflict) as error:
        plan_item_update(user=rep, item=stale, version=1, values={"title": "Second"})

    assert error.value.current.title == "First edit"
    assert "Someone else saved this first" in str(error.value)
    assert Strategy.objects.get(pk=strategy.pk).title == "First edit"
    assert not ChangeRecord.objects.filter(new_value="Second").exists()


def test_no_decision_needs_a_reason_and_a_reengage_date(rep, pursuit):
    with pytest.raises(PlanError, match="Say why the customer made no decision"):
        plan_item_update(
            user=rep,
            item=pursuit,
            version=pursuit.version,
            values={"outcome": Pursuit.Outcome.NO_DECISION},
        )


def test_no_decision_counts_stay_separate_from_lost(rep, plan, strategy):
    product = ProductFactory.create(name="GTX Basic")
    for name, outcome, amount in [
        ("Won one", Pursuit.Outcome.WON, 100),
        ("Lost one", Pursuit.Outcome.LOST, 200),
        ("Stalled one", Pursuit.Outcome.NO_DECISION, 400),
        ("Stalled two", Pursuit.Outcome.NO_DECISION, 800),
        ("Open one", Pursuit.Outcome.OPEN, 1600),
    ]:
        pursuit = pursuit_create(
            user=rep,
            plan=plan,
            values={"name": name, "product": product, "amount": amount},
        )
        if outcome == Pursuit.Outcome.WON:
            pursuit = pursuit_walk_to_last_stage(user=rep, pursuit=pursuit)
        if outcome != Pursuit.Outcome.OPEN:
            plan_item_update(
                user=rep,
                item=pursuit,
                version=pursuit.version,
                values={
                    "outcome": outcome,
                    "outcome_reason": "Budget moved to next year",
                    "reengage_on": date(2027, 3, 1),
                },
            )

    totals = pursuit_outcome_totals(pursuits=Pursuit.objects.filter(plan=plan))
    balance = plan_balance(
        pursuits=Pursuit.objects.filter(plan=plan), alignments=[], strategy_kinds={}
    )

    assert totals["lost"].count == 1 and totals["lost"].amount == 200
    assert totals["no_decision"].count == 2 and totals["no_decision"].amount == 1200
    assert totals["won"].count == 1 and totals["open"].count == 1
    assert balance.pipeline == 1600
    stalled = Pursuit.objects.get(name="Stalled one")
    assert stalled.closed_on is not None


def test_the_next_period_carries_forward_only_open_items(rep, plan, strategy, pursuit):
    # given
    done = strategy_create(
        user=rep,
        plan=plan,
        values={"title": "Finished migration", "status": Strategy.Status.ACHIEVED},
    )
    won = pursuit_create(
        user=rep,
        plan=plan,
        values={"name": "Won deal", "product": pursuit.product, "amount": 10},
    )
    won = pursuit_walk_to_last_stage(user=rep, pursuit=won)
    plan_item_update(user=rep, item=won, version=won.version, values={"outcome": "won"})
    action_create(
        user=rep,
        plan=plan,
        values={
            "title": "Call the CFO",
            "due_on": date(2026, 11, 1),
            "pursuit": pursuit,
        },
    )
    action_create(
        user=rep, plan=plan, values={"title": "Old task", "status": Action.Status.DONE}
    )
    external_force_create(
        user=rep,
        plan=plan,
        values={"title": "New privacy law", "strategies": [strategy, done]},
    )
    external_force_create(
        user=rep,
        plan=plan,
        values={"title": "Merger done", "status": ExternalForce.Status.RESOLVED},
    )

    # when
    new = plan_start_next(user=rep, plan=plan)

    # then
    assert new.fiscal_year == 2027 and new.previous == plan
    assert list(new.strategies.values_list("title", flat=True)) == ["Grow in Asia"]
    assert list(new.pursuits.all()) == [pursuit]
    assert new.pursuits.get().strategy.plan == new
    assert list(plan.pursuits.all()) == [won]
    assert list(new.actions.values_list("title", flat=True)) == ["Call the CFO"]
    assert new.actions.get().pursuit == pursuit
    force = new.external_forces.get()
    assert force.title == "New privacy law"
    assert [s.plan_id for s in force.strategies.all()] == [new.pk]
    plan.refresh_from_db()
    assert plan.status == Plan.Status.CLOSED
    assert done.plan == plan


def test_a_second_plan_for_the_same_period_is_refused(rep, plan):
    with pytest.raises(PlanError, match="already has a plan for FY2027"):
        plan_start_next(user=rep, plan=plan)
        plan_start_next(user=rep, plan=plan)


def test_editing_a_template_leaves_a_running_pursuit_unchanged(rep, plan):
    # given
    template = gated_template("Copy check")
    pursuit = pursuit_create(
        user=rep,
        plan=plan,
        template=template,
        values={"name": "Copy", "product": ProductFactory.create(name="GTX Lite")},
    )

    # when
    template_update(
        template=template,
        stages=[{"name": "Only stage", "checkpoints": [{"description": "New"}]}],
    )

    # then
    template.refresh_from_db()
    assert template.revision == 2
    assert list(template.stages.values_list("name", flat=True)) == ["Only stage"]
    assert list(pursuit.stages.values_list("name", flat=True)) == [
        "Qualify",
        "Propose",
        "Close",
    ]
    assert list(
        pursuit.stages.get(name="Qualify").checkpoints.values_list(
            "description", flat=True
        )
    ) == ["The finance lead reviewed the terms", "Nice to have"]
    pursuit.refresh_from_db()
    assert pursuit.template_revision == 1


def test_a_tailored_pursuit_stage_does_not_touch_the_template(rep, pursuit):
    stage = pursuit.stages.get(name="Propose")

    plan_item_update(
        user=rep, item=stage, version=stage.version, values={"name": "Pilot"}
    )

    assert pursuit.template.stages.filter(name="Propose").exists()


def test_links_to_another_plans_strategy_are_refused(rep, plan, outsider):
    other = Plan.objects.create(
        account=plan.account,
        fiscal_year=2030,
        period_start=date(2030, 1, 1),
        period_end=date(2030, 12, 31),
    )
    foreign = strategy_create(user=rep, plan=other, values={"title": "Elsewhere"})

    with pytest.raises(PlanError) as refused:
        action_create(user=rep, plan=plan, values={"title": "x", "strategy": foreign})

    assert str(refused.value) == "No such strategy on this plan."
    assert refused.value.field == "strategy"


def test_an_open_action_past_its_due_date_is_overdue(rep, plan):
    action = action_create(
        user=rep,
        plan=plan,
        values={"title": "Send the proposal", "due_on": date.today() - timedelta(1)},
    )

    assert action.is_overdue()
    action.status = Action.Status.DONE
    assert not action.is_overdue()


@pytest.mark.parametrize(
    ("start_month", "day", "year", "period"),
    [
        (1, date(2026, 12, 4), 2026, (date(2026, 1, 1), date(2026, 12, 31))),
        (7, date(2026, 12, 4), 2027, (date(2026, 7, 1), date(2027, 6, 30))),
        (7, date(2026, 6, 30), 2026, (date(2025, 7, 1), date(2026, 6, 30))),
        (4, date(2026, 4, 1), 2027, (date(2026, 4, 1), date(2027, 3, 31))),
    ],
)
def test_fiscal_years_follow_the_configured_first_month(
    settings, start_month, day, year, period
):
    settings.FISCAL_YEAR_START_MONTH = start_month

    assert fiscal_year_for(day) == year
    assert fiscal_period(year) == period
