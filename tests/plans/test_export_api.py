"""The dashboard and review downloads through the API with a token."""

import pytest
from django.test import Client

from accounts.api_tokens import api_token_create
from accounts.models import AuditEvent, User
from plans.calendar import fiscal_quarter_current
from plans.dashboard import DASHBOARD_TABLE_SLUGS
from tests.accounts.factories import AccountFactory
from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

FORMAT_REFUSED = (
    "A download's format is the extension in its path, such as .csv; "
    "remove format from the query."
)


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
    body = response.getvalue().decode()
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
    assert response.getvalue()[:2] == b"PK"


def test_an_unknown_format_is_a_json_404(rep):
    response = token_get(rep, "/api/plans/exports/dashboard.exe")

    assert response.status_code == 404
    assert response.json() == {
        "detail": "No such export format: ask for dashboard.csv or .xlsx."
    }


def test_an_unknown_table_is_a_400_naming_the_tables(plan, rep):
    response = token_get(rep, "/api/plans/exports/dashboard.csv?table=bogus")

    assert response.status_code == 400
    assert response.json() == {"table": ['"bogus" is not a valid choice.']}
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_dashboard_export_refuses_an_unknown_query_parameter(plan, rep):
    response = token_get(rep, "/api/plans/exports/dashboard.csv?tabel=figures")

    assert response.status_code == 400
    assert response.json() == {
        "tabel": [
            "Unknown query parameter; this takes: quadrant, region, rep, "
            "stale, table, tier."
        ]
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?format=json", {"format": [FORMAT_REFUSED]}),
        ("?quadrant=north", {"quadrant": ['"north" is not a valid choice.']}),
        (
            "?stale=0",
            {"stale": ["Ensure this value is greater than or equal to 1."]},
        ),
        ("?rep=999999", {"rep": ["Not one of the reps you can filter by."]}),
        ("?region=Mars", {"region": ["None of your accounts is in this region."]}),
    ],
)
def test_the_dashboard_export_refuses_what_the_page_would_ignore(
    plan, rep, query, expected
):
    response = token_get(rep, "/api/plans/exports/dashboard.csv" + query)

    assert response.status_code == 400
    assert response.json() == expected


def test_an_xlsx_export_refuses_a_table(plan, rep):
    response = token_get(rep, "/api/plans/exports/dashboard.xlsx?table=accounts")

    assert response.status_code == 400
    assert response.json() == {
        "table": ["An XLSX download holds every table; table is for CSV only."]
    }


@pytest.mark.parametrize("table", DASHBOARD_TABLE_SLUGS)
def test_every_documented_table_downloads(plan, rep, table):
    response = token_get(rep, f"/api/plans/exports/dashboard.csv?table={table}")

    assert response.status_code == 200
    assert f"lode-dashboard-{table}-" in response["Content-Disposition"]


def test_a_rep_may_filter_the_export_by_themselves(plan, rep):
    response = token_get(rep, f"/api/plans/exports/dashboard.csv?rep={rep.pk}")

    assert response.status_code == 200
    assert "Acme Corporation" in response.getvalue().decode()


def test_the_review_export_refuses_a_format_in_the_query(plan, rep):
    quarter = fiscal_quarter_current().start.isoformat()
    path = f"/api/plans/accounts/{plan.account_id}/reviews/{quarter}/export.pdf"

    response = token_get(rep, path + "?format=json")

    assert response.status_code == 400
    assert response.json() == {"format": [FORMAT_REFUSED]}


@pytest.mark.parametrize(("file_format", "magic"), [("pdf", b"%PDF"), ("pptx", b"PK")])
def test_a_token_downloads_the_review(plan, rep, file_format, magic):
    quarter = fiscal_quarter_current().start.isoformat()
    path = f"/api/plans/accounts/{plan.account_id}/reviews/{quarter}/export."

    response = token_get(rep, path + file_format)

    assert response.status_code == 200
    assert response.content[:4].startswith(magic)
    event = AuditEvent.objects.get(actor=rep, action=AuditEvent.Action.EXPORT)
    assert event.target_id == plan.account_id
    assert event.ip_address == "127.0.0.1"
    assert event.detail == {"what": "review", "format": file_format, "quarter": quarter}


def test_an_outsider_gets_404_for_the_review(plan, outsider):
    quarter = fiscal_quarter_current().start.isoformat()
    path = f"/api/plans/accounts/{plan.account_id}/reviews/{quarter}/export.pdf"

    response = token_get(outsider, path)

    assert response.status_code == 404
    assert "detail" in response.json()


def test_no_token_no_download(plan):
    response = Client().get("/api/plans/exports/dashboard.csv")

    assert response.status_code in {401, 403}
