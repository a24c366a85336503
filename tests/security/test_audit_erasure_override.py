"""Erasures and gate overrides land in the audit log, by API and by page."""

import json

import pytest
from rest_framework.test import APIClient

from config.api import etag_for
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def audit_rows(ops, action: str) -> list[dict]:
    client = APIClient()
    client.force_authenticate(user=ops)
    response = client.get("/api/accounts/audit/", {"action": action})
    assert response.status_code == 200
    return response.json()["results"]


def test_an_api_erasure_is_audited_without_the_name(client, rep, ops, account):
    person = StakeholderFactory.create(
        account=account, first_name="Greta", last_name="Holm"
    )
    client.force_login(rep)

    etag = client.get(f"/api/stakeholders/people/{person.pk}/")["ETag"]
    response = client.post(
        f"/api/stakeholders/people/{person.pk}/erase/",
        REMOTE_ADDR="192.0.2.7",
        headers={"User-Agent": "audit-test", "If-Match": etag},
    )

    assert response.status_code == 200
    [row] = audit_rows(ops, "erasure")
    assert row["actor"] == "rita"
    assert row["ip_address"] == "192.0.2.7"
    assert row["user_agent"] == "audit-test"
    assert row["target_id"] == person.pk
    assert "Greta" not in json.dumps(row)
    assert "Holm" not in json.dumps(row)


def test_a_page_erasure_is_audited(client, rep, ops, account):
    person = StakeholderFactory.create(
        account=account, first_name="Greta", last_name="Holm"
    )
    client.force_login(rep)

    response = client.post(
        f"/stakeholders/{person.pk}/erase/",
        {"confirm": "on", "version": etag_for(instance=person)},
        REMOTE_ADDR="192.0.2.8",
    )

    assert response.status_code == 302
    [row] = audit_rows(ops, "erasure")
    assert row["ip_address"] == "192.0.2.8"
    assert row["target_id"] == person.pk
