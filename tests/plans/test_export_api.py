"""The dashboard and review downloads through the API with a token."""

import pytest
from django.test import Client

from accounts.api_tokens import api_token_create
from accounts.models import AuditEvent, User
from plans.calendar import fiscal_quarter_current
from tests.accounts.factories import AccountFactory
from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db


def token_get(user: User, path: str) -> ClientResponse:
    _, secret = api_token_create(user=user, name="export test")
    return Client().get(path, HTTP_AUTHORIZATION=f"Token {secret}")


@pytest.fixture
def hidden(outsider):
    account = AccountFactory.create(name="Hidden Holdings")
    account.team_members.add(outsider)
    return account


def test_a_token_downloads_the_dashboard_csv_of_visible_accounts(plan, hidden, rep):
    response = token_get(rep, "/api/plans/exports/dashboard.csv?table=accounts")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "Acme Corporation" in body
    assert "Hidden Holdings" not in body
    assert AuditEvent.objects.filter(
        actor=rep, action=AuditEvent.Action.EXPORT
    ).exists()


def test_a_token_is_asked_to_come_back_for_a_dashboard_being_prepared(
    plan, rep, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
):
    # given: every dashboard counts as too large to build in a request
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)

    # when: its task is held back
    with django_capture_on_commit_callbacks(execute=False):
        response = token_get(rep, "/api/plans/exports/dashboard.xlsx")

    # then
    assert response.status_code == 202
    assert response["Retry-After"] == "60"
    assert response.content.decode() == (
        "These figures are being prepared. Ask for the export again in a minute or two."
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_token_downloads_the_dashboard_xlsx(plan, executive):
    response = token_get(executive, "/api/plans/exports/dashboard.xlsx")

    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_an_unknown_format_is_a_json_404(rep):
    response = token_get(rep, "/api/plans/exports/dashboard.exe")

    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(("file_format", "magic"), [("pdf", b"%PDF"), ("pptx", b"PK")])
def test_a_token_downloads_the_review(plan, rep, file_format, magic):
    quarter = fiscal_quarter_current().start.isoformat()
    path = f"/api/plans/accounts/{plan.account_id}/reviews/{quarter}/export."

    response = token_get(rep, path + file_format)

    assert response.status_code == 200
    assert response.content[:4].startswith(magic)


def test_an_outsider_gets_404_for_the_review(plan, outsider):
    quarter = fiscal_quarter_current().start.isoformat()
    path = f"/api/plans/accounts/{plan.account_id}/reviews/{quarter}/export.pdf"

    response = token_get(outsider, path)

    assert response.status_code == 404
    assert "detail" in response.json()


def test_no_token_no_download(plan):
    response = Client().get("/api/plans/exports/dashboard.csv")

    assert response.status_code in {401, 403}
