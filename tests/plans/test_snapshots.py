"""Plan snapshots: what they capture and exactly what the diff reports."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from accounts.models import Account, User
from plans.models import Checkpoint, Plan, PlanSnapshot, Pursuit
from plans.review_services import plan_snapshot_take, plan_snapshots_quarter_end
from plans.services import (
    checkpoint_validate,
    plan_item_update,
    strategy_create,
)
from plans.snapshots import Change, snapshot_diff
from stakeholders.models import Stakeholder
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_diff_of_plain_captures_lists_each_change() -> None:
    before = {
        "people": {"1": {"name": "Ann", "sentiment": "Neutral", "title": "CFO"}},
        "pursuits": {"7": {"name": "Rollout", "amount": "100.00", "stage": "Qualify"}},
        "whitespace": {"3": {"name": "GTX", "state": "open"}},
    }
    after = {
        "people": {
            "1": {"name": "Ann", "sentiment": "Ally", "title": "CFO"},
            "2": {"name": "Bob", "sentiment": "Neutral", "title": "CIO"},
        },
        "pursuits": {},
        "whitespace": {"3": {"name": "GTX", "state": "pursued"}},
    }

    changes = snapshot_diff(before, after)

    assert changes == [
        Change("people", "1", "Ann", "changed", "sentiment", "Neutral", "Ally"),
        Change("people", "2", "Bob", "added"),
        Change("pursuits", "7", "Rollout", "removed"),
        Change("whitespace", "3", "GTX", "changed", "state", "open", "pursued"),
    ]
    assert [change.text for change in changes] == [
        "Ann: sentiment Neutral → Ally",
        "Bob added",
        "Rollout removed",
        "GTX: state open → pursued",
    ]
    assert snapshot_diff(after, after) == []


def test_the_diff_between_two_snapshots_lists_exactly_the_changes_made(
    rep: User, account: Account, plan: Plan, pursuit: Pursuit
) -> None:
    # given
    ann = Stakeholder.objects.create(
        account=account, first_name="Ann", last_name="Lee", title="CFO"
    )
    ProductFactory.create(name="Zeta Cloud")
    first = plan_snapshot_take(plan=plan, user=rep, label="Before")

    # when: five edits, one in each section that can change here
    Stakeholder.objects.filter(pk=ann.pk).update(sentiment=2)
    new_strategy = strategy_create(
        user=rep, plan=plan, values={"title": "Cut energy use", "kind": "initiative"}
    )
    plan_item_update(
        user=rep,
        item=pursuit,
        version=pursuit.version,
        values={"amount": Decimal("80000")},
    )
    checkpoint = Checkpoint.objects.filter(stage__pursuit=pursuit).first()
    assert checkpoint is not None
    checkpoint_validate(
        user=rep,
        checkpoint=checkpoint,
        version=checkpoint.version,
        evidence="Carla signed off the terms",
        happened_on=timezone.localdate(),
    )
    second = plan_snapshot_take(plan=plan, user=rep, label="After")

    # then
    changes = snapshot_diff(first.data, second.data)
    assert [(c.section, c.name, c.kind, c.field, c.old, c.new) for c in changes] == [
        ("people", "Ann Lee", "changed", "sentiment", "Neutral", "Ally"),
        ("strategies", "Cut energy use", "added", "", None, None),
        (
            "pursuits",
            "Asia rollout",
            "changed",
            "amount",
            "50000.00 USD",
            "80000.00 USD",
        ),
        (
            "checkpoints",
            "The finance lead reviewed the terms",
            "changed",
            "validated",
            "no",
            "yes",
        ),
    ]
    assert changes[2].text == "Asia rollout: amount 50,000.00 USD → 80,000.00 USD"
    assert new_strategy.pk is not None


def test_the_capture_marks_whitespace_by_what_the_account_buys_and_pursues(
    rep: User, plan: Plan, pursuit: Pursuit
) -> None:
    ProductFactory.create(name="Zeta Cloud")

    data = plan_snapshot_take(plan=plan, user=rep).data

    states = {cell["name"]: cell["state"] for cell in data["whitespace"].values()}
    assert states == {"GTX Pro": "pursued", "Zeta Cloud": "open"}


def test_the_quarter_end_task_snapshots_each_open_plan_once(
    plan: Plan, settings: Settings
) -> None:
    settings.FISCAL_YEAR_START_MONTH = 4

    first = plan_snapshots_quarter_end(today=date(2026, 7, 1))
    again = plan_snapshots_quarter_end(today=date(2026, 7, 2))

    assert (first, again) == (1, 0)
    snapshot = PlanSnapshot.objects.get()
    assert snapshot.trigger == PlanSnapshot.Trigger.QUARTER_END
    assert snapshot.quarter_start == date(2026, 4, 1)
    assert snapshot.label == "End of FY2027 Q1"


def test_an_executive_reads_snapshots_but_cannot_take_one(
    client: Client, executive: User, plan: Plan, rep: User
) -> None:
    plan_snapshot_take(plan=plan, user=rep, label="Kick-off")
    client.force_login(executive)

    listing = client.get(reverse("plans:snapshots", args=[plan.pk]))
    taken = client.post(reverse("plans:snapshot_take", args=[plan.pk]), follow=True)

    assert listing.status_code == 200
    assert b"Kick-off" in listing.content
    assert b"Take a snapshot now" not in listing.content
    assert b"read this account" in taken.content
    assert PlanSnapshot.objects.count() == 1


def test_the_compare_page_shows_changes_since_a_snapshot(
    client: Client, rep: User, plan: Plan, pursuit: Pursuit
) -> None:
    snapshot = plan_snapshot_take(plan=plan, user=rep, label="Kick-off")
    plan_item_update(
        user=rep, item=pursuit, version=pursuit.version, values={"name": "Asia 2.0"}
    )
    client.force_login(rep)

    response = client.get(
        reverse("plans:snapshot_compare", args=[plan.pk]),
        {"from": str(snapshot.pk), "to": "now"},
    )

    assert response.status_code == 200
    assert b"1 change." in response.content
    assert b"Asia rollout" in response.content and b"Asia 2.0" in response.content


def test_beat_runs_the_quarter_end_snapshots_every_hour(plan: Plan) -> None:
    from celery.schedules import crontab

    from config.celery import app
    from plans.tasks import plan_snapshots_quarter_end_task

    app.finalize(auto=True)
    schedule = {
        entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()
    }

    assert schedule["plans.tasks.plan_snapshots_quarter_end_task"] == crontab(minute=5)
    assert plan_snapshots_quarter_end_task.delay().get() == 1
    assert PlanSnapshot.objects.get().trigger == PlanSnapshot.Trigger.QUARTER_END


def test_the_compare_page_lists_changes_to_the_plan_itself(
    client: Client, rep: User, plan: Plan
) -> None:
    # given
    snapshot = plan_snapshot_take(plan=plan, user=rep, label="Kick-off")

    # when
    Plan.objects.filter(pk=plan.pk).update(
        summary="Grow cloud revenue", status=Plan.Status.DRAFT, owner=None
    )
    client.force_login(rep)
    response = client.get(
        reverse("plans:snapshot_compare", args=[plan.pk]),
        {"from": str(snapshot.pk), "to": "now"},
    )

    # then
    groups = response.context["groups"]
    assert [title for title, _ in groups] == ["Plan"]
    assert [change.text for change in groups[0][1]] == [
        "Plan: summary (none) → Grow cloud revenue",
        "Plan: status Active → Draft",
        f"Plan: owner {rep.display_name} → (none)",
    ]
    assert b"3 changes." in response.content


def test_a_capture_without_plan_details_reports_no_change_to_them() -> None:
    before: dict[str, Any] = {"people": {}}
    after = {"details": {"plan": {"name": "Plan", "status": "Draft"}}, "people": {}}

    assert snapshot_diff(before, after) == []
