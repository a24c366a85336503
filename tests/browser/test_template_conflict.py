"""Two tabs on one sell-cycle template: the later save keeps its input."""

import pytest
from playwright.sync_api import Locator, Page
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from plans.models import SellCycleTemplate, TemplateStage
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def _stage_form(tab: Page, stage: TemplateStage) -> Locator:
    return tab.get_by_test_id(f"stage-{stage.pk}").locator("form").first


@pytest.mark.parametrize("width", [1366, 820])
def test_the_second_tab_sees_both_versions_and_applies_its_own(
    page: Page, live_server: LiveServer, ops: User, width: int
) -> None:
    # given: the template is open in two tabs
    template = SellCycleTemplate.objects.create(name="Enterprise")
    stage = TemplateStage.objects.create(template=template, order=0, name="Qualify")
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)
    url = f"{live_server.url}/plans/templates/{template.pk}/"
    page.goto(url)
    second = page.context.new_page()
    second.set_viewport_size({"width": width, "height": 900})
    second.goto(url)

    # when: the first tab saves, then the second
    first_form = _stage_form(page, stage)
    first_form.locator("textarea[name=exit_criteria]").fill("Budget named")
    first_form.get_by_role("button", name="Save stage").click()
    page.get_by_text("Stage Qualify saved.").wait_for()
    second_form = _stage_form(second, stage)
    second_form.locator("textarea[name=exit_criteria]").fill("Budget and CFO named")
    second_form.get_by_role("button", name="Save stage").click()

    # then: the second tab's input is still there, beside what is saved
    kept = second.get_by_test_id("kept")
    kept.wait_for()
    assert [line for line in kept.inner_text().splitlines() if line] == [
        "Not saved. Enterprise changed since you opened it (now revision 2).",
        "Exit criteria",
        "Saved now: Budget named",
        "Yours (not saved): Budget and CFO named",
        "Your input is kept in the form below. Save again to apply it over what "
        "is saved now, or drop it and show the template as saved.",
    ]
    assert kept.is_visible()
    second_form = _stage_form(second, stage)
    assert second_form.locator("textarea[name=exit_criteria]").input_value() == (
        "Budget and CFO named"
    )

    # when: the second tab reloads, goes back and forward again
    assert "?draft=" in second.url
    methods: list[str] = []
    second.on(
        "request",
        lambda request: (
            methods.append(request.method)
            if request.resource_type == "document"
            else None
        ),
    )
    second.reload()
    second.get_by_test_id("kept").wait_for()
    second.go_back()
    second.go_forward()

    # then: each is a GET of a page, and the input is still kept
    assert methods == ["GET", "GET", "GET"]
    assert (
        second.get_by_test_id("kept")
        .inner_text()
        .startswith(
            "Not saved. Enterprise changed since you opened it (now revision 2)."
        )
    )
    assert _stage_form(second, stage).locator(
        "textarea[name=exit_criteria]"
    ).input_value() == ("Budget and CFO named")

    # when: the second tab saves again
    second_form.get_by_role("button", name="Save stage").click()

    # then: its input is applied over the first tab's
    second.get_by_text("Stage Qualify saved.").wait_for()
    stage.refresh_from_db()
    assert stage.exit_criteria == "Budget and CFO named"
    assert second.get_by_test_id("kept").count() == 0
