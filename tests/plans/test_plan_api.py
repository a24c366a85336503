import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from plans.models import Strategy
from plans.services import (
    action_create,
    alignment_create,
    external_force_create,
    plan_create,
    pursuit_create,
    strategy_create,
)
from tests.accounts.factories import ProductFactory, UserFactory
from tests.plans.factories import gated_template

pytestmark = pytest.mark.django_db


def _patch(client, url, data, version=None):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return client.patch(
        url, data=json.dumps(data), content_type="application/json", headers=headers
    )


def test_a_save_without_a_version_answers_428(client, rep, strategy):
    client.force_login(rep)

    response = _patch(
        client, f"/api/plans/items/strategy/{strategy.pk}/", {"title": "x"}
    )

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


def test_a_stale_version_answers_412_with_the_current_state(client, rep, strategy):
    client.force_login(rep)
    url = f"/api/plans/items/strategy/{strategy.pk}/"
    first = _patch(client, url, {"title": "Mine"}, version=1)

    response = _patch(client, url, {"title": "Theirs"}, version=1)

    assert first.status_code == 200 and first["ETag"] == '"2"'
    assert response.status_code == 412
    assert response.json()["current"]["fields"]["title"] == "Mine"
    assert response.json()["current"]["version"] == 2
    assert response["ETag"] == '"2"'
    assert Strategy.objects.get(pk=strategy.pk).title == "Mine"


def test_an_executive_reads_but_cannot_edit(client, executive, strategy):
    client.force_login(executive)
    url = f"/api/plans/items/strategy/{strategy.pk}/"

    assert client.get(url).status_code == 200
    assert _patch(client, url, {"title": "x"}, version=1).status_code == 403


def test_an_outsider_gets_404(client, outsider, strategy, plan):
    client.force_login(outsider)

    assert client.get(f"/api/plans/items/strategy/{strategy.pk}/").status_code == 404
    assert client.get(f"/plans/{plan.pk}/").status_code == 404
    assert client.get(f"/api/plans/{plan.pk}/").status_code == 404


def test_the_api_creates_a_pursuit_from_a_template(client, rep, plan, strategy):
    client.force_login(rep)
    template = gated_template()
    product = ProductFactory.create(name="GTX Plus")

    response = client.post(
        f"/api/plans/{plan.pk}/items/pursuit/",
        data={
            "name": "New line",
            "product": product.pk,
            "strategy": strategy.pk,
            "amount": "1200.50",
            "template": template.pk,
        },
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    detail = client.get(f"/api/plans/{plan.pk}/").json()
    pursuit = detail["pursuits"][0]
    assert pursuit["current_stage"] == "Qualify"
    assert [stage["fields"]["name"] for stage in pursuit["stages"]] == [
        "Qualify",
        "Propose",
        "Close",
    ]


def test_a_checkpoint_needs_evidence(client, rep, pursuit):
    client.force_login(rep)
    checkpoint = pursuit.current_stage.checkpoints.first()

    response = client.post(
        f"/api/plans/checkpoints/{checkpoint.pk}/validate/",
        data={"evidence": " ", "happened_on": "2026-01-05"},
        content_type="application/json",
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 400
    assert response.json() == {
        "evidence": ["Say what the buyer did: evidence is required."]
    }


def test_the_history_api_lists_each_changed_field(client, rep, strategy):
    client.force_login(rep)
    _patch(
        client,
        f"/api/plans/items/strategy/{strategy.pk}/",
        {"title": "New", "priority": "high", "horizon": "long"},
        version=1,
    )

    history = client.get(f"/api/plans/{strategy.plan_id}/history/").json()["results"]

    updates = {entry["field"] for entry in history if entry["action"] == "update"}
    assert updates == {"title", "priority", "horizon"}


def _fill(plan, rep, count):
    product = ProductFactory.create(name="GTX Query")
    template = gated_template(f"Query cycle {count}")
    for index in range(count):
        strategy = strategy_create(
            user=rep, plan=plan, values={"title": f"Strategy {index}"}
        )
        alignment_create(
            user=rep, plan=plan, values={"strategy": strategy, "product": product}
        )
        pursuit = pursuit_create(
            user=rep,
            plan=plan,
            template=template,
            values={
                "name": f"Pursuit {index}",
                "product": product,
                "strategy": strategy,
            },
        )
        action_create(
            user=rep,
            plan=plan,
            values={"title": f"Action {index}", "pursuit": pursuit},
        )
        external_force_create(
            user=rep,
            plan=plan,
            values={"title": f"Force {index}", "strategies": [strategy]},
        )


def _page_queries(client, plan):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return len(queries)


def test_the_plan_page_runs_the_same_queries_for_3_and_100_items(client, rep, account):
    small = plan_create(user=rep, account=account, fiscal_year=2026)
    large = plan_create(user=rep, account=account, fiscal_year=2027)
    _fill(small, rep, 3)
    _fill(large, rep, 100)
    client.force_login(rep)
    _page_queries(client, small)  # warm the content-type cache

    small_count = _page_queries(client, small)
    large_count = _page_queries(client, large)

    # Session, user, plan; forces with their strategies and pursuits;
    # strategies with their people; alignments; pursuits with their stages,
    # checkpoints and gate overrides; actions, people, team; the currency
    # and its rates; products, templates, comments, history, next plan.
    assert small_count == large_count == 23


def test_the_account_page_shows_the_plan_section(client, rep, plan, pursuit):
    client.force_login(rep)

    response = client.get(f"/accounts/{plan.account_id}/")

    assert response.status_code == 200
    assert "FY2026 plan" in response.content.decode()
    assert f"/plans/{plan.pk}/" in response.content.decode()
    page = response.content.decode()
    assert "Plan pursuits open 50,000.00 USD in 1 pursuit" in page
    assert '<dt>Open deals</dt><dd data-testid="open-deals">0 deals</dd>' in page
    assert "Open pipeline" not in page


def test_a_changed_owner_reads_by_name_in_the_answer_and_the_history(
    client, rep, account, plan
):
    # given
    User.objects.filter(pk=rep.pk).update(first_name="Rita", last_name="Reyes")
    boris = UserFactory.create(
        username="boris.faz", first_name="Boris", last_name="Faz"
    )
    account.team_members.add(boris)
    client.force_login(rep)
    url = f"/api/plans/items/plan/{plan.pk}/"

    # when
    saved = _patch(client, url, {"owner": boris.pk}, version=plan.version)
    read = client.get(url).json()
    history = client.get(f"/api/plans/{plan.pk}/history/").json()["results"]

    # then
    assert saved.status_code == 200, saved.json()
    assert saved.json()["display"]["owner"] == "Boris Faz"
    assert read["display"]["owner"] == "Boris Faz"
    owner_changes = [entry for entry in history if entry["field"] == "owner"]
    # Newest first; the plan's creation set the first owner.
    assert (owner_changes[0]["old"], owner_changes[0]["new"]) == (
        "Rita Reyes",
        "Boris Faz",
    )


def test_the_history_api_pages_filters_and_orders(client, rep, strategy):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import ChangeRecord

    # given: two changed fields, the title change two days later
    client.force_login(rep)
    _patch(
        client,
        f"/api/plans/items/strategy/{strategy.pk}/",
        {"title": "New", "priority": "high"},
        version=1,
    )
    later = timezone.now() + timedelta(days=2)
    ChangeRecord.objects.filter(field="title", new_value="New").update(changed_at=later)
    url = f"/api/plans/{strategy.plan_id}/history/"
    total = client.get(url).json()["count"]

    # when
    by_field = client.get(url, {"field": "priority"}).json()
    from_later = client.get(url, {"changed_from": later.date().isoformat()}).json()
    to_today = client.get(url, {"changed_to": timezone.localdate().isoformat()})
    by_nobody = client.get(url, {"author": 999999}).json()
    oldest = client.get(url, {"ordering": "changed_at", "limit": 1}).json()
    newest = client.get(url, {"limit": 1}).json()
    unknown = client.get(url, {"since": "2026-01-01"})
    backwards = client.get(
        url, {"changed_from": "2026-12-05", "changed_to": "2026-12-01"}
    )

    # then
    assert [(e["field"], e["old"], e["new"]) for e in by_field["results"]] == [
        ("priority", "medium", "high")
    ]
    assert [(e["field"], e["new"], e["by"]) for e in from_later["results"]] == [
        ("title", "New", rep.display_name)
    ]
    assert to_today.json()["count"] == total - 1
    assert by_nobody == {"count": 0, "next": None, "previous": None, "results": []}
    assert client.get(url, {"author": rep.pk}).json()["count"] == total
    assert oldest["count"] == total
    assert len(oldest["results"]) == 1
    assert oldest["next"].endswith("limit=1&offset=1&ordering=changed_at")
    assert newest["results"][0]["field"] == "title"
    assert unknown.status_code == 400
    assert unknown.json() == {
        "since": [
            "Unknown query parameter; this list takes: author, changed_from, "
            "changed_to, cursor, field, limit, offset, ordering."
        ]
    }
    assert backwards.status_code == 400
    assert backwards.json() == {"changed_to": ["Must be on or after changed_from."]}
