"""The scoring API: models, runs and scores, and who may see or change what."""

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from accounts.models import RevenueLine
from scoring.models import AccountScore, ScoreRun
from scoring.services import scoring_model_active
from tests.accounts.factories import AccountFactory, ProductFactory

pytestmark = pytest.mark.django_db


def client_for(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)  # type: ignore[arg-type]
    return client


@pytest.fixture
def scored(account, outsider, django_capture_on_commit_callbacks):
    """Score the rep's account and one of the outsider's in a real run."""
    other = AccountFactory.create(name="Hidden Holdings", sector="medical")
    other.team_members.add(outsider)
    product = ProductFactory.create(name="GTX Basic")
    for index, target in enumerate([account, other]):
        RevenueLine.objects.create(
            account=target,
            product=product,
            quarter_start=date(2026, 7, 1),
            amount=Decimal(1000 * (index + 1)),
        )
    with django_capture_on_commit_callbacks(execute=True):
        from scoring.services import score_run_request

        run = score_run_request(trigger="test")
    run.refresh_from_db()
    assert run.status == ScoreRun.Status.SUCCEEDED, run.message
    return run


def test_ops_changes_weights_with_the_etag(ops):
    model = scoring_model_active()
    client = client_for(ops)
    url = f"/api/scoring/models/{model.pk}/"

    read = client.get(url)
    response = client.patch(
        url, {"weight_growth": "40"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )

    assert response.status_code == 200, response.json()
    assert response.json()["weight_growth"] == "40.00"
    model.refresh_from_db()
    assert model.weight_growth == Decimal(40)
    assert response["ETag"] != read["ETag"]


def test_an_update_without_if_match_is_428_and_a_stale_one_412(ops):
    model = scoring_model_active()
    client = client_for(ops)
    url = f"/api/scoring/models/{model.pk}/"
    stale = client.get(url)["ETag"]
    client.patch(url, {"weight_growth": "30"}, format="json", HTTP_IF_MATCH=stale)

    missing = client.patch(url, {"weight_growth": "20"}, format="json")
    conflict = client.patch(
        url, {"weight_growth": "20"}, format="json", HTTP_IF_MATCH=stale
    )

    assert missing.status_code == 428
    assert conflict.status_code == 412
    assert conflict.json()["current"]["weight_growth"] == "30.00"


def test_it_rejects_weights_over_100(ops):
    model = scoring_model_active()
    client = client_for(ops)
    url = f"/api/scoring/models/{model.pk}/"
    etag = client.get(url)["ETag"]

    response = client.patch(
        url, {"weight_capacity": "101"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert "weight_capacity" in response.json()


def test_it_refuses_an_axis_whose_weights_add_to_zero(ops):
    model = scoring_model_active()
    client = client_for(ops)
    url = f"/api/scoring/models/{model.pk}/"
    etag = client.get(url)["ETag"]

    response = client.patch(
        url,
        {
            "weight_ttm_revenue": "0",
            "weight_growth": "0",
            "weight_breadth": "0",
            "weight_relationship_health": "0",
        },
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 400
    assert (
        "performance weights add up to zero"
        in (response.json()["weight_ttm_revenue"][0])
    )
    model.refresh_from_db()
    assert model.weight_ttm_revenue == Decimal(50)


@pytest.mark.parametrize("who", ["rep", "manager", "executive"])
def test_only_ops_change_a_scoring_model(request, who):
    model = scoring_model_active()
    client = client_for(request.getfixturevalue(who))
    url = f"/api/scoring/models/{model.pk}/"
    etag = client.get(url)["ETag"]

    response = client.patch(
        url, {"weight_growth": "10"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 403
    model.refresh_from_db()
    assert model.weight_growth == Decimal(25)


def test_ops_start_a_run(ops, account, django_capture_on_commit_callbacks):
    client = client_for(ops)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/scoring/runs/start/")

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    follow = client.get(f"/api/scoring/runs/{response.json()['id']}/")
    assert follow.status_code == 200
    assert set(follow.json()) >= {"status", "progress", "message"}


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        ("manager", "Only sales ops recompute scores."),
        ("rep", "Only sales ops recompute scores."),
        ("executive", "Executives read Lode but do not change it."),
    ],
)
def test_only_ops_start_a_run(request, who, reason):
    client = client_for(request.getfixturevalue(who))

    response = client.post("/api/scoring/runs/start/")

    assert response.status_code == 403
    assert response.json() == {"detail": reason}
    assert not ScoreRun.objects.exists()


def test_a_run_started_through_the_api_finishes_and_becomes_current(
    ops, account, django_capture_on_commit_callbacks
):
    RevenueLine.objects.create(
        account=account,
        product=ProductFactory.create(name="GTX Basic"),
        quarter_start=date(2026, 7, 1),
        amount=Decimal(5000),
    )
    client = client_for(ops)

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/api/scoring/runs/start/")

    current = client.get("/api/scoring/runs/current/")
    assert current.status_code == 200
    assert current.json()["id"] == started.json()["id"]
    assert current.json()["status"] == "succeeded"
    assert current.json()["accounts_scored"] == 1
    runs = client.get("/api/scoring/runs/?status=succeeded")
    assert runs.json()["count"] == 1


def test_the_current_run_is_404_before_any_run(rep):
    response = client_for(rep).get("/api/scoring/runs/current/")

    assert response.status_code == 404


def test_a_rep_sees_only_their_accounts_scores(scored, rep, executive):
    rep_scores = client_for(rep).get("/api/scoring/scores/").json()
    all_scores = client_for(executive).get("/api/scoring/scores/").json()

    assert [row["account"] for row in rep_scores["results"]] == ["Acme Corporation"]
    assert all_scores["count"] == 2


def test_scores_filter_by_sector_tier_and_quadrant(scored, executive):
    client = client_for(executive)
    score = AccountScore.objects.get(account__name="Hidden Holdings")

    by_sector = client.get("/api/scoring/scores/?sector=medical").json()
    by_tier = client.get(f"/api/scoring/scores/?tier={score.tier}").json()
    by_quadrant = client.get(f"/api/scoring/scores/?quadrant={score.quadrant}").json()
    ordered = client.get("/api/scoring/scores/?ordering=-ttm_revenue").json()

    assert [row["account"] for row in by_sector["results"]] == ["Hidden Holdings"]
    assert "Hidden Holdings" in [row["account"] for row in by_tier["results"]]
    assert "Hidden Holdings" in [row["account"] for row in by_quadrant["results"]]
    assert ordered["results"][0]["account"] == "Hidden Holdings"


def test_a_bad_filter_is_a_400_naming_it(scored, executive):
    response = client_for(executive).get("/api/scoring/scores/?tier=Z")

    assert response.status_code == 400
    assert "tier" in response.json()


def test_one_accounts_score_has_its_components(scored, rep, account):
    response = client_for(rep).get(f"/api/scoring/accounts/{account.pk}/score/")

    assert response.status_code == 200
    assert response.json()["account"] == "Acme Corporation"
    assert response.json()["components"]


def test_an_outsider_gets_404_for_another_accounts_score(scored, outsider, account):
    client = client_for(outsider)

    score = client.get(f"/api/scoring/accounts/{account.pk}/score/")
    history = client.get(f"/api/scoring/accounts/{account.pk}/history/")

    assert score.status_code == 404
    assert history.status_code == 404


def test_the_history_lists_the_account_in_each_kept_run(
    scored, rep, account, django_capture_on_commit_callbacks
):
    from scoring.services import score_run_request

    with django_capture_on_commit_callbacks(execute=True):
        score_run_request(trigger="test")

    response = client_for(rep).get(f"/api/scoring/accounts/{account.pk}/history/")

    assert response.status_code == 200
    run_ids = [row["run_id"] for row in response.json()["results"]]
    assert len(run_ids) == 2
    assert run_ids == sorted(run_ids, reverse=True)
