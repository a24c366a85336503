"""A date in a query string is YYYY-MM-DD, on every list that takes one.

The strict input serializers read only that form; these parameters did
not, and took 2026-1-5, 20260105 or an ISO week day.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import Account, User
from plans.models import Plan
from plans.services import plan_create

pytestmark = pytest.mark.django_db

NOT_ISO_DATE = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
NOT_ISO_MOMENT = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
NOT_A_QUARTER = "Give the first day of a fiscal quarter, as 2026-10-01."
LOOSE = ["2026-1-5", "20260105", "2026-W02-1", "5/1/2026"]


@pytest.fixture
def plan(rep: User, account: Account) -> Plan:
    return plan_create(user=rep, account=account, fiscal_year=2026)


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.mark.parametrize("sent", LOOSE)
def test_the_revenue_list_takes_since_only_as_yyyy_mm_dd(
    rep: User, account: Account, sent: str
) -> None:
    response = api_for(rep).get(f"/api/accounts/{account.pk}/revenue/?since={sent}")

    assert response.status_code == 400
    assert response.json() == {"since": [NOT_ISO_DATE]}


def test_the_revenue_list_refuses_an_implausible_since(
    rep: User, account: Account
) -> None:
    response = api_for(rep).get(f"/api/accounts/{account.pk}/revenue/?since=9999-01-01")

    assert response.status_code == 400
    assert response.json() == {
        "since": ["Give a date from 1 January 1990 to 31 December 2099."]
    }


def test_the_revenue_list_still_takes_a_plain_date(rep: User, account: Account) -> None:
    response = api_for(rep).get(f"/api/accounts/{account.pk}/revenue/?since=2026-01-05")

    assert response.status_code == 200


@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("sent", [*LOOSE, "2026-1-5T09:00"])
def test_the_audit_log_takes_moments_only_with_a_yyyy_mm_dd_date(
    ops: User, name: str, sent: str
) -> None:
    response = api_for(ops).get("/api/accounts/audit/", {name: sent})

    assert response.status_code == 400
    assert response.json() == {name: [NOT_ISO_MOMENT]}


@pytest.mark.parametrize("sent", ["2026-01-05", "2026-01-05T09:00:00Z"])
def test_the_audit_log_still_takes_a_date_or_a_moment(ops: User, sent: str) -> None:
    response = api_for(ops).get("/api/accounts/audit/", {"since": sent})

    assert response.status_code == 200


@pytest.mark.parametrize("name", ["created_after", "created_before"])
@pytest.mark.parametrize("sent", [*LOOSE, "2026-1-5 09:00"])
def test_the_import_list_takes_moments_only_with_a_yyyy_mm_dd_date(
    ops: User, name: str, sent: str
) -> None:
    response = api_for(ops).get("/api/accounts/imports/", {name: sent})

    assert response.status_code == 400
    assert response.json() == {name: [NOT_ISO_MOMENT]}


def test_the_import_list_refuses_a_moment_in_year_9999(ops: User) -> None:
    response = api_for(ops).get(
        "/api/accounts/imports/", {"created_after": "9999-01-01T00:00:00Z"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "created_after": ["Give a date from 1 January 1990 to 31 December 2099."]
    }


@pytest.mark.parametrize("name", ["changed_from", "changed_to"])
@pytest.mark.parametrize("sent", LOOSE)
def test_the_plan_history_takes_days_only_as_yyyy_mm_dd(
    rep: User, plan: Plan, name: str, sent: str
) -> None:
    response = api_for(rep).get(f"/api/plans/{plan.pk}/history/", {name: sent})

    assert response.status_code == 400
    assert response.json() == {name: [NOT_ISO_DATE]}


def test_the_plan_history_still_takes_plain_days(rep: User, plan: Plan) -> None:
    response = api_for(rep).get(
        f"/api/plans/{plan.pk}/history/",
        {"changed_from": "2026-01-01", "changed_to": "2026-12-31"},
    )

    assert response.status_code == 200


@pytest.mark.parametrize("sent", ["2026-1-1", "20260101", "2026-W01-4"])
def test_the_ratings_take_a_quarter_only_as_yyyy_mm_dd(
    rep: User, account: Account, sent: str
) -> None:
    response = api_for(rep).get(
        f"/api/plans/accounts/{account.pk}/ratings/", {"quarter": sent}
    )

    assert response.status_code == 400
    assert response.json() == {"quarter": [NOT_A_QUARTER]}


@pytest.mark.parametrize("sent", ["2026-1-1", "20260101", "2026-W01-4"])
def test_the_scorecard_takes_a_quarter_only_as_yyyy_mm_dd(
    rep: User, account: Account, sent: str
) -> None:
    response = api_for(rep).get(
        f"/api/plans/accounts/{account.pk}/scorecard/", {"quarter": sent}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["quarter"]
