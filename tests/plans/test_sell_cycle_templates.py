"""Sales ops keep sell-cycle templates on their own page, not the admin."""

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from plans.models import SellCycleTemplate, TemplateCheckpoint, TemplateStage
from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db


@pytest.fixture
def template() -> SellCycleTemplate:
    template = SellCycleTemplate.objects.create(name="Enterprise test")
    TemplateStage.objects.create(template=template, order=0, name="Qualify")
    return template


@pytest.fixture
def stage(client: Client, ops: User, template: SellCycleTemplate) -> TemplateStage:
    """Template's one stage, as sales ops open it in this client."""
    client.force_login(ops)
    return template.stages.get()


def _edit_stage(client: Client, stage: TemplateStage, **values: Any) -> ClientResponse:
    return client.post(f"/plans/templates/stages/{stage.pk}/edit/", values, follow=True)


def _refused(response: ClientResponse, page: str) -> str:
    """Return the draft URL a refused save sent the browser to.

    A refused save answers with a redirect, so going back or reloading
    never posts the form again; the page it leads to shows the input.
    """
    assert len(response.redirect_chain) == 1
    url, status = response.redirect_chain[0]
    assert status == 302
    assert url.startswith(f"{page}?draft=")
    return url


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

    response = client.post(
        "/plans/templates/",
        {"name": "Enterprise test", "description": "Large accounts"},
        follow=True,
    )

    url = _refused(response, "/plans/templates/")
    page = response.content.decode()
    assert response.status_code == 400
    assert "<li>Name: Sell cycle template with this Name already exists.</li>" in page
    assert 'value="Enterprise test" autofocus' in page
    assert '<textarea name="description" rows="2">Large accounts</textarea>' in page
    assert '<input type="checkbox" name="is_active"> Offer it' in page
    assert client.get(url).content.decode().count("already exists") == 1
    assert "already exists" not in client.get("/plans/templates/").content.decode()


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


def test_a_stage_saved_from_an_older_revision_keeps_what_was_typed(
    client: Client, template: SellCycleTemplate, stage: TemplateStage
) -> None:
    # given: another tab saved the stage's exit criteria first
    _edit_stage(client, stage, revision=1, name="Qualify", exit_criteria="Budget named")

    # when: this tab saves from revision 1
    response = _edit_stage(
        client,
        stage,
        revision=1,
        name="Qualify",
        exit_criteria="Budget and CFO named",
        buyer_step="Buyer shares the budget",
    )

    # then: nothing of it is saved, all of it is on the page
    _refused(response, f"/plans/templates/{template.pk}/")
    page = response.content.decode()
    assert response.status_code == 409
    stage.refresh_from_db()
    assert (stage.exit_criteria, stage.buyer_step) == ("Budget named", "")
    assert (
        "<strong>Not saved.</strong> Enterprise test changed since you opened it "
        "(now revision 2)." in page
    )
    assert "<dt>Exit criteria</dt>" in page
    assert '<dd class="theirs">Saved now: Budget named</dd>' in page
    assert '<dd class="yours">Yours (not saved): Budget and CFO named</dd>' in page
    assert "<dt>Buyer&#x27;s step</dt>" in page
    assert '<dd class="theirs">Saved now: (empty)</dd>' in page
    assert "<dt>Name</dt>" not in page
    assert (
        '<textarea name="exit_criteria" rows="2">Budget and CFO named</textarea>'
        in page
    )
    assert 'value="Buyer shares the budget"' in page
    assert page.count('<input type="hidden" name="revision" value="2">') == 5


@pytest.fixture
def draft_url(client: Client, template: SellCycleTemplate, stage: TemplateStage) -> str:
    """Return where a stage save refused by an earlier one sent the browser."""
    _edit_stage(client, stage, revision=1, name="Qualify", exit_criteria="Budget named")
    refused = _edit_stage(
        client, stage, revision=1, name="Qualify", exit_criteria="CFO named"
    )
    return _refused(refused, f"/plans/templates/{template.pk}/")


def test_a_reload_shows_the_kept_input_against_what_is_saved_then(
    client: Client, stage: TemplateStage, draft_url: str
) -> None:
    # given: a refused save, then another change to the same field
    _edit_stage(client, stage, revision=2, name="Qualify", exit_criteria="Budget set")

    # when: the browser reloads the page it was sent to
    reloaded = client.get(draft_url)

    # then: the input is still there, beside what is saved now
    page = reloaded.content.decode()
    assert reloaded.status_code == 409
    assert '<dd class="theirs">Saved now: Budget set</dd>' in page
    assert '<dd class="yours">Yours (not saved): CFO named</dd>' in page
    assert page.count('<input type="hidden" name="revision" value="3">') == 5


def test_the_page_without_its_draft_shows_what_is_saved(
    client: Client, template: SellCycleTemplate, draft_url: str
) -> None:
    # when
    plain = client.get(f"/plans/templates/{template.pk}/")
    unknown = client.get(f"/plans/templates/{template.pk}/?draft=nothing")

    # then
    for response in (plain, unknown):
        page = response.content.decode()
        assert response.status_code == 200
        assert 'data-testid="kept"' not in page
        assert '<textarea name="exit_criteria" rows="2">Budget named</textarea>' in (
            page
        )


def test_a_draft_is_shown_only_on_its_own_template(
    client: Client, draft_url: str
) -> None:
    # given
    other = SellCycleTemplate.objects.create(name="Mid-market")
    token = draft_url.split("=")[1]

    # when
    response = client.get(f"/plans/templates/{other.pk}/?draft={token}")

    # then
    assert response.status_code == 200
    assert 'data-testid="kept"' not in response.content.decode()


def test_saving_the_kept_input_again_applies_it(
    client: Client, template: SellCycleTemplate, stage: TemplateStage
) -> None:
    # given: a refused save, sent again as the page shows it
    _edit_stage(client, stage, revision=1, name="Qualify", exit_criteria="Budget named")
    typed = {"name": "Qualify", "exit_criteria": "Budget and CFO named"}
    refused = _edit_stage(client, stage, revision=1, **typed)
    url = _refused(refused, f"/plans/templates/{template.pk}/")

    token = url.split("draft=")[1]
    assert f'<input type="hidden" name="draft" value="{token}">' in (
        refused.content.decode()
    )

    # when
    response = client.post(
        f"/plans/templates/stages/{stage.pk}/edit/",
        {"revision": 2, "draft": token, **typed},
    )

    # then: it is saved, and its draft is forgotten
    assert response.status_code == 302
    stage.refresh_from_db()
    assert stage.exit_criteria == "Budget and CFO named"
    template.refresh_from_db()
    assert template.revision == 3
    going_back = client.get(url)
    assert going_back.status_code == 200
    assert 'data-testid="kept"' not in going_back.content.decode()


def test_the_template_form_keeps_its_input_on_a_conflict(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    # given: a stage was added since the page was opened
    client.force_login(ops)
    client.post(
        f"/plans/templates/{template.pk}/stages/", {"revision": 1, "name": "Close"}
    )

    # when
    response = client.post(
        f"/plans/templates/{template.pk}/",
        {"revision": 1, "name": "Enterprise", "description": "For large accounts"},
        follow=True,
    )

    # then
    _refused(response, f"/plans/templates/{template.pk}/")
    page = response.content.decode()
    assert response.status_code == 409
    template.refresh_from_db()
    assert (template.name, template.description, template.is_active) == (
        "Enterprise test",
        "",
        True,
    )
    assert '<dd class="theirs">Saved now: Enterprise test</dd>' in page
    assert '<dd class="yours">Yours (not saved): Enterprise</dd>' in page
    assert "<dt>Offer it for new pursuits</dt>" in page
    assert '<dd class="theirs">Saved now: yes</dd>' in page
    assert '<dd class="yours">Yours (not saved): no</dd>' in page
    assert 'name="name" required maxlength="150" value="Enterprise" autofocus' in page
    assert '<textarea name="description" rows="2">For large accounts</textarea>' in page
    assert '<input type="checkbox" name="is_active"> Offer it' in page


def test_a_new_checkpoint_and_a_new_stage_keep_their_input_on_a_conflict(
    client: Client, template: SellCycleTemplate, stage: TemplateStage
) -> None:
    # given
    _edit_stage(client, stage, revision=1, name="Qualify+")

    # when
    checkpoint = client.post(
        f"/plans/templates/stages/{stage.pk}/checkpoints/",
        {"revision": 1, "description": "CFO met the sponsor"},
        follow=True,
    )
    new_stage = client.post(
        f"/plans/templates/{template.pk}/stages/",
        {"revision": 1, "name": "Negotiate", "buyer_step": "Legal reviews"},
        follow=True,
    )

    # then
    _refused(checkpoint, f"/plans/templates/{template.pk}/")
    _refused(new_stage, f"/plans/templates/{template.pk}/")
    assert checkpoint.status_code == new_stage.status_code == 409
    assert not stage.checkpoints.exists()
    assert list(template.stages.values_list("name", flat=True)) == ["Qualify+"]
    assert (
        'placeholder="The buyer confirmed the budget" value="CFO met the sponsor"'
        in (checkpoint.content.decode())
    )
    assert '<input type="checkbox" name="required"> Required' in (
        checkpoint.content.decode()
    )
    assert 'maxlength="100" value="Negotiate" autofocus' in new_stage.content.decode()
    assert 'maxlength="200" value="Legal reviews"' in new_stage.content.decode()


def test_a_refused_new_template_name_keeps_the_other_fields(
    client: Client, ops: User, template: SellCycleTemplate
) -> None:
    client.force_login(ops)
    other = SellCycleTemplate.objects.create(name="Mid-market")

    response = client.post(
        f"/plans/templates/{other.pk}/",
        {"revision": 1, "name": "Enterprise test", "description": "Smaller deals"},
        follow=True,
    )

    _refused(response, f"/plans/templates/{other.pk}/")
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        "<strong>Not saved.</strong> Name: Sell cycle template with this Name "
        "already exists." in page
    )
    assert '<textarea name="description" rows="2">Smaller deals</textarea>' in page
    assert "Your input is kept" not in page
