import json

import pytest

from accounts.history import change_list_for_target
from plans.errors import GateClosed
from plans.models import GateOverride
from plans.selectors import pursuit_progress
from plans.services import checkpoint_validate, pursuit_advance

pytestmark = pytest.mark.django_db


def _advance_url(pursuit):
    return f"/api/plans/pursuits/{pursuit.pk}/advance/"


def test_it_refuses_to_leave_a_stage_with_an_unvalidated_checkpoint(rep, pursuit):
    with pytest.raises(GateClosed) as error:
        pursuit_advance(user=rep, pursuit=pursuit, version=pursuit.version)

    assert "Cannot move past Qualify" in str(error.value)
    assert error.value.missing == ["The finance lead reviewed the terms"]
    pursuit.refresh_from_db()
    assert pursuit.current_stage.name == "Qualify"


def test_it_advances_once_required_checkpoints_are_validated(rep, pursuit):
    required = pursuit.current_stage.checkpoints.get(required=True)
    checkpoint_validate(
        user=rep,
        checkpoint=required,
        version=required.version,
        evidence="She marked up the price sheet",
        happened_on=required.created_at.date(),
    )

    pursuit_advance(user=rep, pursuit=pursuit, version=pursuit.version)

    pursuit.refresh_from_db()
    assert pursuit.current_stage.name == "Propose"
    assert not GateOverride.objects.exists()


def test_the_api_refuses_a_closed_gate(client, rep, pursuit):
    client.force_login(rep)

    response = client.post(
        _advance_url(pursuit),
        data={},
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"'},
    )

    assert response.status_code == 409
    assert "Cannot move past Qualify" in response.json()["detail"]
    assert response.json()["missing"] == ["The finance lead reviewed the terms"]


def test_a_rep_cannot_override_a_gate(client, rep, pursuit):
    client.force_login(rep)

    response = client.post(
        _advance_url(pursuit),
        data=json.dumps({"override_reason": "Trust me"}),
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"'},
    )

    assert response.status_code == 409
    assert "Only a sales manager" in response.json()["detail"]
    assert not GateOverride.objects.exists()


def test_ops_cannot_override_a_gate(ops, pursuit):
    with pytest.raises(GateClosed, match="Only a sales manager"):
        pursuit_advance(
            user=ops, pursuit=pursuit, version=pursuit.version, override_reason="x"
        )


def test_a_manager_overrides_with_a_reason_and_it_is_recorded(client, manager, pursuit):
    client.force_login(manager)

    response = client.post(
        _advance_url(pursuit),
        data=json.dumps({"override_reason": "CFO confirmed by phone to me"}),
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"'},
    )

    assert response.status_code == 200
    assert response.json()["current_stage"] == "Propose"
    override = GateOverride.objects.get()
    assert override.reason == "CFO confirmed by phone to me"
    assert override.overridden_by == manager
    assert override.missing_checkpoints == "The finance lead reviewed the terms"
    history = change_list_for_target(target=pursuit)
    assert history.filter(action="override", changed_by=manager).exists()


def test_a_manager_needs_a_reason(manager, pursuit):
    with pytest.raises(GateClosed, match="Cannot move past Qualify"):
        pursuit_advance(
            user=manager, pursuit=pursuit, version=pursuit.version, override_reason=" "
        )


def test_the_page_shows_the_override(client, manager, pursuit):
    pursuit_advance(
        user=manager,
        pursuit=pursuit,
        version=pursuit.version,
        override_reason="Verbal from the CFO",
    )
    client.force_login(manager)

    response = client.get(f"/plans/{pursuit.plan_id}/")

    assert "Gate overridden" in response.content.decode()
    assert "Verbal from the CFO" in response.content.decode()


def test_progress_shows_claimed_against_validated(rep, manager, pursuit):
    pursuit_advance(
        user=manager, pursuit=pursuit, version=pursuit.version, override_reason="ok"
    )
    pursuit.refresh_from_db()

    progress = pursuit_progress(pursuit=pursuit)

    assert progress["claimed"] == 2
    assert progress["validated"] == 0
    assert progress["checkpoints"] == 3 and progress["checkpoints_validated"] == 0


def test_validated_progress_counts_stages_behind_with_evidence(rep, pursuit):
    required = pursuit.current_stage.checkpoints.get(required=True)
    checkpoint_validate(
        user=rep,
        checkpoint=required,
        version=required.version,
        evidence="Marked-up terms came back",
        happened_on=required.created_at.date(),
    )
    pursuit_advance(user=rep, pursuit=pursuit, version=pursuit.version)
    pursuit.refresh_from_db()

    progress = pursuit_progress(pursuit=pursuit)

    assert (progress["claimed"], progress["validated"]) == (2, 1)
