"""Sell-cycle templates through the API: everyone reads, sales ops change."""

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from plans.models import SellCycleTemplate, TemplateCheckpoint, TemplateStage

pytestmark = pytest.mark.django_db


@pytest.fixture
def template(db: None) -> SellCycleTemplate:
    # The migrations seed example templates; these tests count their own.
    SellCycleTemplate.objects.all().delete()
    template = SellCycleTemplate.objects.create(name="Enterprise", revision=3)
    stage = TemplateStage.objects.create(
        template=template, order=0, name="Qualify", buyer_step="Names a budget"
    )
    TemplateCheckpoint.objects.create(stage=stage, description="CFO met us")
    return template


def _send(
    client: Client, method: str, url: str, body: Any = None, etag: str | None = None
) -> Any:
    return client.generic(
        method,
        url,
        "" if body is None else json.dumps(body),
        content_type="application/json",
        headers={"If-Match": etag} if etag else None,
    )


def test_a_rep_reads_the_templates_and_one_with_its_stages(
    client: Client, rep: User, template: SellCycleTemplate
) -> None:
    SellCycleTemplate.objects.create(name="Renewal", is_active=False)
    client.force_login(rep)

    listed = client.get("/api/plans/templates/")
    active = client.get("/api/plans/templates/?is_active=true")
    detail = client.get(f"/api/plans/templates/{template.pk}/")

    assert [t["name"] for t in listed.json()["results"]] == ["Enterprise", "Renewal"]
    assert listed.json()["results"][0]["stage_count"] == 1
    assert [t["name"] for t in active.json()["results"]] == ["Enterprise"]
    assert detail.status_code == 200
    assert detail["ETag"] == '"3"'
    stage = detail.json()["stages"][0]
    assert (stage["name"], stage["buyer_step"]) == ("Qualify", "Names a budget")
    assert [c["description"] for c in stage["checkpoints"]] == ["CFO met us"]


def test_a_rep_may_not_change_a_template(
    client: Client, rep: User, template: SellCycleTemplate
) -> None:
    client.force_login(rep)

    response = _send(
        client, "PATCH", f"/api/plans/templates/{template.pk}/", {"name": "X"}, '"3"'
    )
    created = _send(client, "POST", "/api/plans/templates/", {"name": "Mine"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only sales ops change sell-cycle templates."}
    assert created.status_code == 403
    assert SellCycleTemplate.objects.get(pk=template.pk).name == "Enterprise"


def test_ops_change_a_template_under_its_revision(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    client.force_login(ops)
    url = f"/api/plans/templates/{template.pk}/"

    missing = _send(client, "PATCH", url, {"name": "Enterprise 2"})
    stale = _send(client, "PATCH", url, {"name": "Enterprise 2"}, '"2"')
    saved = _send(client, "PATCH", url, {"name": "Enterprise 2"}, '"3"')

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert stale["ETag"] == '"3"'
    assert stale.json()["current"]["name"] == "Enterprise"
    assert saved.status_code == 200
    assert saved.json()["name"] == "Enterprise 2"
    assert saved["ETag"] == '"4"'


def test_ops_add_change_and_remove_stages_and_checkpoints(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    client.force_login(ops)

    # when: a stage is added, renamed, given a checkpoint, which is removed
    added = _send(
        client,
        "POST",
        f"/api/plans/templates/{template.pk}/stages/",
        {"name": "Propose", "exit_criteria": "Terms sent"},
        '"3"',
    )
    stage_id = added.json()["stages"][1]["id"]
    renamed = _send(
        client,
        "PATCH",
        f"/api/plans/templates/stages/{stage_id}/",
        {"name": "Proposal"},
        added["ETag"],
    )
    checked = _send(
        client,
        "POST",
        f"/api/plans/templates/stages/{stage_id}/checkpoints/",
        {"description": "Buyer asked for terms"},
        renamed["ETag"],
    )
    checkpoint_id = checked.json()["stages"][1]["checkpoints"][0]["id"]
    removed = _send(
        client,
        "DELETE",
        f"/api/plans/templates/checkpoints/{checkpoint_id}/",
        etag=checked["ETag"],
    )
    stage_gone = _send(
        client,
        "DELETE",
        f"/api/plans/templates/stages/{stage_id}/",
        etag=removed["ETag"],
    )

    # then
    assert [r.status_code for r in (added, renamed, checked, removed)] == [
        201,
        200,
        201,
        200,
    ]
    assert added.json()["stages"][1]["exit_criteria"] == "Terms sent"
    assert renamed.json()["stages"][1]["name"] == "Proposal"
    assert checked.json()["stages"][1]["checkpoints"][0]["required"] is True
    assert removed.json()["stages"][1]["checkpoints"] == []
    assert stage_gone.status_code == 200
    assert [s["name"] for s in stage_gone.json()["stages"]] == ["Qualify"]
    assert stage_gone["ETag"] == '"8"'


def test_a_stage_change_from_an_older_revision_is_412_with_the_template(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    stage = template.stages.get()
    client.force_login(ops)

    response = _send(
        client,
        "DELETE",
        f"/api/plans/templates/stages/{stage.pk}/",
        etag='"1"',
    )

    assert response.status_code == 412
    assert [s["name"] for s in response.json()["current"]["stages"]] == ["Qualify"]
    assert TemplateStage.objects.filter(pk=stage.pk).exists()


def test_bad_input_is_refused_by_field(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    SellCycleTemplate.objects.create(name="Renewal")
    client.force_login(ops)

    duplicate = _send(
        client,
        "PATCH",
        f"/api/plans/templates/{template.pk}/",
        {"name": "Renewal"},
        '"3"',
    )
    too_long = _send(client, "POST", "/api/plans/templates/", {"name": "x" * 151})
    unknown = _send(
        client,
        "PATCH",
        f"/api/plans/templates/{template.pk}/",
        {"revision": 9},
        '"3"',
    )
    bad_filter = client.get("/api/plans/templates/?is_active=maybe")

    assert duplicate.status_code == 400
    assert duplicate.json() == {
        "name": ["Sell cycle template with this Name already exists."]
    }
    assert too_long.json() == {
        "name": ["Ensure this field has no more than 150 characters."]
    }
    assert unknown.json() == {
        "revision": ["This field cannot be set here; it is read-only or unknown."]
    }
    assert bad_filter.json() == {"is_active": ["Must be a valid boolean."]}


def test_ops_create_a_template(client: Client, ops: User) -> None:
    client.force_login(ops)

    response = _send(
        client,
        "POST",
        "/api/plans/templates/",
        {"name": "Renewal", "description": "Yearly"},
    )

    assert response.status_code == 201
    assert response["ETag"] == '"1"'
    assert response.json()["stages"] == []
    assert SellCycleTemplate.objects.get(name="Renewal").description == "Yearly"


def test_an_unknown_template_is_404(client: Client, rep: User) -> None:
    client.force_login(rep)

    assert client.get("/api/plans/templates/999/").status_code == 404
    assert client.get("/api/plans/templates/stages/999/").status_code == 404
