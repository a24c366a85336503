"""A manager's gate override lands in the audit log with its reason."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from plans.services import pursuit_advance

pytestmark = pytest.mark.django_db


def test_an_api_override_is_audited_with_its_reason(client, manager, ops, pursuit):
    client.force_login(manager)

    response = client.post(
        f"/api/plans/pursuits/{pursuit.pk}/advance/",
        data=json.dumps({"override_reason": "CFO confirmed by phone"}),
        content_type="application/json",
        headers={"If-Match": f'"{pursuit.version}"', "User-Agent": "audit-test"},
        REMOTE_ADDR="192.0.2.9",
    )

    assert response.status_code == 200
    reader = APIClient()
    reader.force_authenticate(user=ops)
    [row] = reader.get("/api/accounts/audit/", {"action": "override"}).json()["results"]
    assert row["actor"] == manager.get_username()
    assert row["ip_address"] == "192.0.2.9"
    assert row["user_agent"] == "audit-test"
    assert row["target_id"] == pursuit.pk
    assert row["target_label"] == "Asia rollout"
    assert row["detail"]["reason"] == "CFO confirmed by phone"
    assert row["detail"]["from_stage"] == "Qualify"
    assert row["detail"]["missing_checkpoints"] == [
        "The finance lead reviewed the terms"
    ]


def test_passing_an_open_gate_is_not_an_override(rep, pursuit):
    required = pursuit.current_stage.checkpoints.get(required=True)
    required.delete()

    pursuit_advance(user=rep, pursuit=pursuit, version=pursuit.version)

    assert not AuditEvent.objects.filter(action="override").exists()
