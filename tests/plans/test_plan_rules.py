"""The rules a reviewer found open: wins past the gate, required flags,
closed plans, foreign people, amounts and dates, pursuits without a template."""

import json
from datetime import date

import pytest

from accounts.history import change_list_for_target
from plans.errors import GateClosed, PlanClosed, PlanError
from plans.models import Plan, Pursuit
from plans.services import plan_item_update, pursuit_create, strategy_create
from tests.accounts.factories import AccountFactory
from tests.plans.walk import pursuit_walk_to_last_stage
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def _patch(client, kind, item, data):
    return client.patch(
        f"/api/plans/items/{kind}/{item.pk}/",
        data=json.dumps(data),
        content_type="application/json",
        headers={"If-Match": f'"{item.version}"'},
    )


def test_a_rep_cannot_mark_a_pursuit_won_before_its_last_stage(rep, pursuit):
    with pytest.raises(GateClosed, match="last stage"):
        plan_item_update(
            user=rep, item=pursuit, version=pursuit.version, values={"outcome": "won"}
        )

    pursuit.refresh_from_db()
    assert pursuit.outcome == Pursuit.Outcome.OPEN


def test_the_api_refuses_a_won_before_the_gates(client, rep, pursuit):
    client.force_login(rep)

    response = _patch(client, "pursuit", pursuit, {"outcome": "won"})

    assert response.status_code == 409
    assert "last stage" in response.json()["detail"]
    pursuit.refresh_from_db()
    assert pursuit.outcome == Pursuit.Outcome.OPEN


def test_a_pursuit_that_passed_its_gates_can_be_won(rep, pursuit):
    pursuit = pursuit_walk_to_last_stage(user=rep, pursuit=pursuit)

    plan_item_update(
        user=rep, item=pursuit, version=pursuit.version, values={"outcome": "won"}
    )

    pursuit.refresh_from_db()
    assert pursuit.outcome == Pursuit.Outcome.WON
    assert pursuit.closed_on is not None


def test_lost_and_no_decision_may_be_recorded_at_any_stage(rep, pursuit):
    plan_item_update(
        user=rep,
        item=pursuit,
        version=pursuit.version,
        values={
            "outcome": "no_decision",
            "outcome_reason": "Budget frozen",
            "reengage_on": date(2027, 3, 1),
        },
    )
    pursuit.refresh_from_db()
    plan_item_update(
        user=rep, item=pursuit, version=pursuit.version, values={"outcome": "lost"}
    )

    pursuit.refresh_from_db()
    assert pursuit.outcome == Pursuit.Outcome.LOST


def test_a_rep_cannot_untick_a_required_checkpoint(client, rep, pursuit):
    required = pursuit.current_stage.checkpoints.get(required=True)
    client.force_login(rep)

    response = _patch(client, "checkpoint", required, {"required": False})

    assert response.status_code == 400
    assert "Only a sales manager" in response.json()["detail"]
    required.refresh_from_db()
    assert required.required is True
    advance = client.post(
        f"/api/plans/pursuits/{pursuit.pk}/advance/",
        data={},
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"'},
    )
    assert advance.status_code == 409


def test_a_manager_may_untick_a_required_checkpoint_and_it_is_recorded(
    manager, pursuit
):
    required = pursuit.current_stage.checkpoints.get(required=True)

    plan_item_update(
        user=manager,
        item=required,
        version=required.version,
        values={"required": False},
    )

    required.refresh_from_db()
    assert required.required is False
    [entry] = change_list_for_target(target=required)
    assert entry.field == "required"
    assert entry.changed_by == manager


def test_a_rep_may_still_edit_a_checkpoint_description(rep, pursuit):
    required = pursuit.current_stage.checkpoints.get(required=True)

    plan_item_update(
        user=rep,
        item=required,
        version=required.version,
        values={"description": "The CFO reviewed the terms", "required": True},
    )

    required.refresh_from_db()
    assert required.description == "The CFO reviewed the terms"


def test_a_person_of_another_account_is_refused_without_their_name(
    client, rep, plan, strategy
):
    elsewhere = StakeholderFactory.create(
        account=AccountFactory.create(name="Hidden Ltd"),
        first_name="Kenji",
        last_name="Fontaine",
    )
    client.force_login(rep)

    with pytest.raises(PlanError) as by_service:
        plan_item_update(
            user=rep,
            item=strategy,
            version=strategy.version,
            values={"stakeholders": [elsewhere]},
        )
    foreign = _patch(client, "strategy", strategy, {"stakeholders": [elsewhere.pk]})
    missing = _patch(client, "strategy", strategy, {"stakeholders": [999999]})

    assert str(by_service.value) == "No such person on this account."
    assert foreign.status_code == missing.status_code == 400
    for response in (foreign, missing):
        assert "Kenji" not in response.content.decode()
        assert "Fontaine" not in response.content.decode()
        assert "Hidden" not in response.content.decode()
        assert "No such person on this account." in response.content.decode()


def test_an_action_for_a_foreign_person_is_refused_neutrally(client, rep, plan):
    elsewhere = StakeholderFactory.create(
        account=AccountFactory.create(), first_name="Kenji"
    )
    client.force_login(rep)

    response = client.post(
        f"/api/plans/{plan.pk}/items/action/",
        data=json.dumps({"title": "Call", "stakeholder": elsewhere.pk}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"stakeholder": ["No such person on this account."]}


def test_a_pursuit_started_without_a_template_gets_the_default_stages(
    client, rep, plan, pursuit
):
    client.force_login(rep)

    response = client.post(
        f"/api/plans/{plan.pk}/items/pursuit/",
        data=json.dumps({"name": "Bare", "product": pursuit.product_id}),
        content_type="application/json",
    )

    assert response.status_code == 201
    created = Pursuit.objects.get(pk=response.json()["id"])
    assert created.template is not None
    assert created.stages.count() >= 2
    assert created.current_stage == created.stages.first()


def test_negative_amounts_are_refused(rep, plan, pursuit):
    with pytest.raises(PlanError, match="cannot be negative"):
        plan_item_update(
            user=rep, item=pursuit, version=pursuit.version, values={"amount": -5}
        )
    with pytest.raises(PlanError, match="cannot be negative"):
        pursuit_create(
            user=rep,
            plan=plan,
            values={"name": "Minus", "product": pursuit.product, "amount": -1},
        )


def test_an_open_pursuit_cannot_close_before_the_plan_starts(client, rep, pursuit):
    client.force_login(rep)
    before = pursuit.plan.period_start.replace(year=pursuit.plan.period_start.year - 3)

    response = _patch(
        client, "pursuit", pursuit, {"expected_close_on": before.isoformat()}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["expected_close_on"]
    assert "before the" in response.json()["expected_close_on"][0]
    pursuit.refresh_from_db()
    assert pursuit.expected_close_on is None


def test_a_closed_plan_refuses_writes(client, rep, plan, strategy):
    plan_item_update(
        user=rep, item=plan, version=plan.version, values={"status": "closed"}
    )
    strategy.refresh_from_db()
    client.force_login(rep)

    with pytest.raises(PlanClosed):
        strategy_create(user=rep, plan=plan, values={"title": "Late idea"})
    response = _patch(client, "strategy", strategy, {"title": "Changed"})
    created = client.post(
        f"/api/plans/{plan.pk}/items/strategy/",
        data=json.dumps({"title": "Late"}),
        content_type="application/json",
    )

    assert response.status_code == 409
    assert "closed" in response.json()["detail"]
    assert created.status_code == 409
    strategy.refresh_from_db()
    assert strategy.title == "Grow in Asia"


def test_a_closed_plan_can_be_reopened(rep, plan):
    plan_item_update(
        user=rep, item=plan, version=plan.version, values={"status": "closed"}
    )
    plan.refresh_from_db()

    plan_item_update(
        user=rep, item=plan, version=plan.version, values={"status": "active"}
    )

    plan.refresh_from_db()
    assert plan.status == Plan.Status.ACTIVE


def test_the_page_of_a_closed_plan_has_no_edit_controls(client, rep, plan, strategy):
    plan_item_update(
        user=rep, item=plan, version=plan.version, values={"status": "closed"}
    )
    client.force_login(rep)

    page = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "This plan is closed" in page
    assert "data-edit" not in page
    assert "data-editor" not in page
    assert "data-comment" in page
    assert "data-reopen" in page


def test_the_history_names_fields_as_people_read_them(client, rep, plan, pursuit):
    plan_item_update(
        user=rep,
        item=pursuit,
        version=pursuit.version,
        values={"expected_close_on": plan.period_end, "amount": 7},
    )
    client.force_login(rep)

    page = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "Expected close on" in page
    assert ": expected_close_on" not in page


def test_a_refusal_reads_with_field_names_and_one_full_stop(rep, pursuit):
    with pytest.raises(PlanError) as error:
        plan_item_update(
            user=rep,
            item=pursuit,
            version=pursuit.version,
            values={"outcome": "no_decision"},
        )

    message = str(error.value)
    assert "Outcome reason: Say why the customer made no decision." in message
    assert "Reengage on: Set a date to re-engage." in message
    assert ".." not in message and ".;" not in message
    assert "_" not in message
