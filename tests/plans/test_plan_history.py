"""The plan's history reads as people talk: labels, dates and one entry per add."""

from datetime import date

import pytest
from django.test import Client

from accounts.models import ChangeRecord, User
from plans.models import Plan, Pursuit, Strategy
from plans.services import plan_item_update, strategy_create

pytestmark = pytest.mark.django_db


def _history(page: str) -> str:
    start = page.index('data-section="history"')
    return page[start:]


def test_an_added_strategy_is_one_entry_with_its_choices_named(
    client: Client, rep: User, plan: Plan
) -> None:
    # given
    strategy = strategy_create(
        user=rep,
        plan=plan,
        values={"title": "Grow in Asia", "kind": "strategy", "source": "meeting"},
    )
    records = ChangeRecord.objects.filter(object_id=strategy.pk, action="create")
    assert records.count() > 1, "a creation writes a row per field"
    client.force_login(rep)

    # when
    history = _history(client.get(f"/plans/{plan.pk}/").content.decode())

    # then
    assert history.count("<em>Grow in Asia</em>") == 1
    assert '<span class="pill action-create">Added</span>' in history
    assert "Long-term strategy" in history
    assert "<dd>Meeting</dd>" in history
    assert "multi_year" not in history
    assert ">create<" not in history


def test_a_change_shows_labels_and_formatted_dates(
    client: Client, rep: User, plan: Plan, strategy: Strategy, pursuit: Pursuit
) -> None:
    # given
    plan_item_update(
        user=rep,
        item=strategy,
        version=strategy.version,
        values={"priority": "low"},
    )
    pursuit.refresh_from_db()
    plan_item_update(
        user=rep,
        item=pursuit,
        version=pursuit.version,
        values={"expected_close_on": date(2027, 1, 18)},
    )
    client.force_login(rep)

    # when
    history = _history(client.get(f"/plans/{plan.pk}/").content.decode())

    # then
    assert '<span class="pill action-update">Changed</span>' in history
    assert "<ins>Low</ins>" in history
    assert "<ins>18 Jan 2027</ins>" in history
    assert "2027-01-18" not in history
    assert ">update<" not in history
