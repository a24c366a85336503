"""Sales ops keep sell-cycle templates on their own page, not the admin."""

import pytest
from django.test import Client

from accounts.models import User
from plans.models import SellCycleTemplate, TemplateCheckpoint, TemplateStage

pytestmark = pytest.mark.django_db


@pytest.fixture
def template() -> SellCycleTemplate:
    template = SellCycleTemplate.objects.create(name="Enterprise test")
    TemplateStage.objects.create(template=template, order=0, name="Qualify")
    return template


def test_ops_create_a_template_and_build_its_stages(client: Client, ops: User) -> None:
    # given
    client.force_login(ops)

    # when
    created = client.post(
        "/plans/templates/", {"name": "Mid-market", "is_active": "on"}
    )
    template = SellCycleTemplate.objects.get(name="Mid-market")
    client.post(
        f"/plans/templates/{template.pk}/stages/",
        {"revision": 1, "name": "Discover", "exit_criteria": "Pain named"},
    )
    stage = template.stages.get()
    client.post(
        f"/plans/templates/stages/{stage.pk}/checkpoints/",
        {"revision": 2, "description": "Budget confirmed", "required": "on"},
    )
    page = client.get(f"/plans/templates/{template.pk}/")

    # then
    assert created.status_code == 302
    assert stage.checkpoints.get().description == "Budget confirmed"
    template.refresh_from_db()
    assert template.revision == 3
    assert "Budget confirmed" in page.content.decode()
    assert "revision 3" in page.content.decode()


def test_an_edit_from_an_older_revision_is_refused(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    client.force_login(ops)
    stage = template.stages.get()
    client.post(
        f"/plans/templates/stages/{stage.pk}/edit/", {"revision": 1, "name": "Qualify+"}
    )

    response = client.post(
        f"/plans/templates/stages/{stage.pk}/delete/", {"revision": 1}, follow=True
    )

    assert template.stages.get().name == "Qualify+"
    assert "changed since you opened it" in response.content.decode()


def test_a_stage_and_a_checkpoint_are_removed(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    client.force_login(ops)
    stage = template.stages.get()
    checkpoint = TemplateCheckpoint.objects.create(stage=stage, description="CFO met")

    client.post(
        f"/plans/templates/checkpoints/{checkpoint.pk}/delete/", {"revision": 1}
    )
    client.post(f"/plans/templates/stages/{stage.pk}/delete/", {"revision": 2})

    assert not template.stages.exists()
    assert not TemplateCheckpoint.objects.filter(pk=checkpoint.pk).exists()


def test_a_duplicate_name_is_said_on_the_form(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    client.force_login(ops)

    response = client.post("/plans/templates/", {"name": "Enterprise test"})

    assert response.status_code == 400
    assert "already exists" in response.content.decode()


@pytest.mark.parametrize("who", ["rep", "manager", "executive"])
def test_others_read_the_templates_without_forms(
    client: Client, request: pytest.FixtureRequest, who: str, template: object
) -> None:
    stage = template.stages.get()  # type: ignore[attr-defined]
    stage.exit_criteria = "Pain named"
    stage.save()
    TemplateCheckpoint.objects.create(stage=stage, description="CFO met")
    client.force_login(request.getfixturevalue(who))

    listed = client.get("/plans/templates/")
    shown = client.get(f"/plans/templates/{template.pk}/")  # type: ignore[attr-defined]

    assert listed.status_code == shown.status_code == 200
    assert "Read only: sales ops change the templates." in listed.content.decode()
    assert "Create a template" not in listed.content.decode()
    page = shown.content.decode()
    assert "Read only: sales ops change the templates." in page
    assert "<dt>Exit criteria</dt><dd>Pain named</dd>" in page
    assert "CFO met" in page
    assert "<form" not in page.split('<main class="content">')[1]


@pytest.mark.parametrize("who", ["rep", "manager", "executive"])
def test_only_ops_change_the_templates(
    client: Client, request: pytest.FixtureRequest, who: str, template: object
) -> None:
    stage = template.stages.get()  # type: ignore[attr-defined]
    client.force_login(request.getfixturevalue(who))

    created = client.post("/plans/templates/", {"name": "Mine"})
    edited = client.post(
        f"/plans/templates/{template.pk}/",  # type: ignore[attr-defined]
        {"revision": 1, "name": "Renamed"},
    )
    staged = client.post(
        f"/plans/templates/stages/{stage.pk}/edit/", {"revision": 1, "name": "Mine"}
    )
    deleted = client.post(
        f"/plans/templates/stages/{stage.pk}/delete/", {"revision": 1}
    )

    assert [r.status_code for r in (created, edited, staged, deleted)] == [403] * 4
    assert not SellCycleTemplate.objects.filter(name__in=["Mine", "Renamed"]).exists()
    assert TemplateStage.objects.get(pk=stage.pk).name == "Qualify"


@pytest.mark.parametrize("who", ["ops", "rep", "manager"])
def test_the_main_navigation_leads_everyone_to_the_templates(
    client: Client, request: pytest.FixtureRequest, who: str
) -> None:
    client.force_login(request.getfixturevalue(who))

    page = client.get("/plans/").content.decode()

    assert 'href="/plans/templates/">Sell cycles</a>' in page


def test_removing_a_stage_or_checkpoint_asks_first(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    stage = template.stages.get()
    TemplateCheckpoint.objects.create(stage=stage, description="CFO met")
    client.force_login(ops)

    page = client.get(f"/plans/templates/{template.pk}/").content.decode()

    assert (
        'data-confirm="Delete the stage Qualify and its checkpoints from this '
        'template?"' in page
    )
    assert 'data-confirm="Remove the checkpoint &quot;CFO met&quot; from Qualify?"' in (
        page
    )
    assert "js/confirm.js" in page
    assert 'class="danger">Delete stage Qualify</button>' in page
