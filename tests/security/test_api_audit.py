"""The audit log through the API: admins and ops read it, no one else."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from config.security import audit_record


def client_for(user: object) -> APIClient:
    # force_authenticate, not force_login: a login would add its own event.
    client = APIClient()
    client.force_authenticate(user=user)  # type: ignore[arg-type]
    return client


pytestmark = pytest.mark.django_db


@pytest.fixture
def events(rep, ops):
    audit_record(actor=rep, action=AuditEvent.Action.EXPORT, request=None)
    audit_record(actor=ops, action=AuditEvent.Action.TOKEN_CREATED, request=None)
    old = audit_record(actor=rep, action=AuditEvent.Action.LOGIN, request=None)
    AuditEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )


def test_ops_reads_the_log_newest_first(ops, events):
    client = client_for(ops)

    response = client.get("/api/accounts/audit/")

    assert response.status_code == 200
    assert [row["action"] for row in response.json()["results"]] == [
        "token_created",
        "export",
        "login",
    ]


def test_the_log_filters_by_action_actor_and_dates(ops, events):
    client = client_for(ops)
    since = (timezone.now() - timedelta(days=1)).isoformat()

    by_action = client.get("/api/accounts/audit/?action=export").json()
    by_actor = client.get("/api/accounts/audit/?actor=rita").json()
    recent = client.get("/api/accounts/audit/", {"since": since}).json()
    older = client.get("/api/accounts/audit/", {"until": since}).json()

    assert [row["actor"] for row in by_action["results"]] == ["rita"]
    assert by_actor["count"] == 2
    assert recent["count"] == 2
    assert [row["action"] for row in older["results"]] == ["login"]


def test_a_bad_filter_is_a_400_naming_it(ops):
    client = client_for(ops)

    response = client.get("/api/accounts/audit/?action=nonsense&since=yesterday")

    assert response.status_code == 400
    assert set(response.json()) == {"action", "since"}


@pytest.mark.parametrize("who", ["rep", "manager", "executive", "outsider"])
def test_everyone_else_gets_404(request, who, events):
    client = client_for(request.getfixturevalue(who))

    response = client.get("/api/accounts/audit/")

    assert response.status_code == 404


def test_the_log_is_read_only(ops):
    client = client_for(ops)

    response = client.post("/api/accounts/audit/", {})

    assert response.status_code == 405


def test_anonymous_gets_401():
    response = Client().get("/api/accounts/audit/")

    assert response.status_code == 401
