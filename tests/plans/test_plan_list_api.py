"""Lists of plans, pursuits and reviews through the API, per viewer."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from plans.models import ExecutiveReview, ManagerReview, Plan, Pursuit
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.plans.factories import PlanFactory

pytestmark = pytest.mark.django_db


def client_for(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def hidden_plan(outsider) -> Plan:
    account = AccountFactory.create(name="Hidden Holdings")
    account.team_members.add(outsider)
    plan = PlanFactory.create(account=account, owner=outsider, fiscal_year=2025)
    Pursuit.objects.create(
        plan=plan,
        product=ProductFactory.create(name="MG Special"),
        name="Hidden deal",
        outcome=Pursuit.Outcome.NO_DECISION,
    )
    return plan


def test_a_rep_lists_only_the_plans_they_may_see(plan, hidden_plan, rep, executive):
    mine = client_for(rep).get("/api/plans/").json()
    everyone = client_for(executive).get("/api/plans/").json()

    assert [row["account"] for row in mine["results"]] == ["Acme Corporation"]
    assert everyone["count"] == 2


def test_plans_filter_by_account_year_status_and_owner(
    plan, hidden_plan, executive, outsider
):
    client = client_for(executive)

    by_year = client.get("/api/plans/?fiscal_year=2025").json()
    by_owner = client.get(f"/api/plans/?owner={outsider.pk}").json()
    by_account = client.get(f"/api/plans/?account={plan.account_id}").json()
    closed = client.get("/api/plans/?status=closed").json()

    assert [row["id"] for row in by_year["results"]] == [hidden_plan.pk]
    assert [row["id"] for row in by_owner["results"]] == [hidden_plan.pk]
    assert [row["id"] for row in by_account["results"]] == [plan.pk]
    assert closed["count"] == 0


def test_the_list_route_also_creates_a_plan(rep, account):
    client = client_for(rep)

    created = client.post(
        "/api/plans/", {"account": account.pk, "fiscal_year": 2027}, format="json"
    )
    listed = client.get("/api/plans/").json()

    assert created.status_code == 201
    assert created.json()["kind"] == "plan"
    assert [row["id"] for row in listed["results"]] == [created.json()["id"]]


def test_the_old_list_route_is_gone(rep):
    assert client_for(rep).get("/api/plans/list/").status_code == 404


def test_a_plan_create_naming_id_or_an_unknown_key_is_refused_by_name(rep, account):
    response = client_for(rep).post(
        "/api/plans/", {"account": account.pk, "id": 5, "colour": "red"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"id", "colour"}
    assert not Plan.objects.exists()


def test_a_junk_filter_is_a_400_naming_it(executive):
    response = client_for(executive).get("/api/plans/?fiscal_year=abc")

    assert response.status_code == 400
    assert "fiscal_year" in response.json()


def test_pursuits_filter_by_outcome_including_no_decision(
    pursuit, hidden_plan, rep, executive
):
    rep_list = client_for(rep).get("/api/plans/pursuits/").json()
    no_decision = (
        client_for(executive).get("/api/plans/pursuits/?outcome=no_decision").json()
    )
    open_ones = client_for(executive).get("/api/plans/pursuits/?outcome=open").json()

    assert [row["name"] for row in rep_list["results"]] == ["Asia rollout"]
    assert [row["name"] for row in no_decision["results"]] == ["Hidden deal"]
    assert [row["name"] for row in open_ones["results"]] == ["Asia rollout"]


def test_pursuits_filter_by_current_stage(pursuit, executive):
    stage = pursuit.current_stage.name

    found = client_for(executive).get(f"/api/plans/pursuits/?stage={stage}").json()
    none = client_for(executive).get("/api/plans/pursuits/?stage=Nowhere").json()

    assert [row["stage"] for row in found["results"]] == [stage]
    assert none["count"] == 0


def test_review_lists_answer_404_to_an_outsider(plan, rep, manager, outsider):
    ManagerReview.objects.create(
        plan=plan,
        reviewed_on=date(2026, 11, 14),
        reviewer=manager,
        coaching_points="Meet the CFO before proposing.",
    )
    ExecutiveReview.objects.create(
        account=plan.account, quarter_start=date(2026, 10, 1), decisions="Pilot."
    )
    base = f"/api/plans/accounts/{plan.account_id}"

    managers = client_for(rep).get(f"{base}/manager-reviews/")
    executives = client_for(rep).get(f"{base}/executive-reviews/")
    hidden = client_for(outsider).get(f"{base}/manager-reviews/")
    hidden_exec = client_for(outsider).get(f"{base}/executive-reviews/")

    assert managers.status_code == 200
    assert managers.json()["results"][0]["coaching_points"] == (
        "Meet the CFO before proposing."
    )
    assert managers.json()["results"][0]["reviewer"] == "mark"
    assert executives.json()["results"][0]["decisions"] == "Pilot."
    assert hidden.status_code == 404
    assert hidden_exec.status_code == 404


def test_the_executive_reads_the_lists_but_cannot_write_to_them(plan, executive):
    client = client_for(executive)

    read = client.get("/api/plans/pursuits/")
    write = client.post("/api/plans/", {"account": plan.account_id}, format="json")
    pursuits_write = client.post("/api/plans/pursuits/", {})

    assert read.status_code == 200
    assert write.status_code == 403
    assert pursuits_write.status_code == 405
