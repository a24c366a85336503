import pytest
from playwright.sync_api import expect

from plans.models import Plan, Strategy
from plans.services import (
    plan_create,
    plan_item_update,
    pursuit_create,
    strategy_create,
)
from tests.accounts.factories import ProductFactory
from tests.conftest import browser_login
from tests.plans.factories import gated_template

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def plan(rep, account):
    plan = plan_create(user=rep, account=account, fiscal_year=2026)
    strategy = strategy_create(
        user=rep, plan=plan, values={"title": "Grow in Asia", "kind": "strategy"}
    )
    pursuit_create(
        user=rep,
        plan=plan,
        template=gated_template(),
        values={
            "name": "Asia rollout",
            "product": ProductFactory.create(name="GTX Pro"),
            "strategy": strategy,
            "amount": 50000,
        },
    )
    return plan


def _edit_strategy_title(page, title: str) -> None:
    strategy = page.locator("[data-section=strategies] article.strategy").first
    strategy.get_by_role("button", name="Edit").click()
    strategy.locator("input[name=title]").fill(title)
    strategy.get_by_role("button", name="Save").click()


def test_a_rep_edits_validates_meets_the_gate_and_sees_a_conflict(
    browser, page, live_server, rep, plan
):
    # given
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.evaluate("window.notReloaded = true")

    # when: a strategy is edited in place
    _edit_strategy_title(page, "Double revenue in Asia")

    # then
    strategy = page.locator("[data-section=strategies] article.strategy").first
    strategy.locator("[data-show=title]", has_text="Double revenue in Asia").wait_for()
    assert page.evaluate("window.notReloaded") is True
    assert Strategy.objects.get(plan=plan).title == "Double revenue in Asia"

    # when: an optional checkpoint is validated, the required one is not
    optional = page.locator("li.checkpoint", has_text="Nice to have")
    optional.get_by_role("button", name="Validate").click()
    optional.locator("textarea[name=evidence]").fill("She asked for the price list")
    optional.get_by_role("button", name="Record evidence").click()
    page.locator("li.checkpoint.validated", has_text="Nice to have").wait_for()

    # then: advancing past the gate is refused, with the missing checkpoint
    page.get_by_role("button", name="Advance to next stage").click()
    refusal = page.locator("[data-gate-message]")
    refusal.wait_for(state="visible")
    assert "Cannot move past Qualify" in refusal.inner_text()
    assert "The finance lead reviewed the terms" in refusal.inner_text()
    assert page.evaluate("window.notReloaded") is True

    # when: a second person edits the same strategy at the same time
    other_context = browser.new_context(viewport={"width": 820, "height": 1000})
    other = other_context.new_page()
    other.set_default_timeout(15000)
    browser_login(other, live_server, rep.username)
    other.goto(f"{live_server.url}/plans/{plan.pk}/")
    page.reload()
    first = page.locator("[data-section=strategies] article.strategy").first
    second = other.locator("[data-section=strategies] article.strategy").first
    first.get_by_role("button", name="Edit").click()
    second.get_by_role("button", name="Edit").click()
    first.locator("input[name=title]").fill("Title from the laptop")
    second.locator("input[name=title]").fill("Title from the tablet")
    first.get_by_role("button", name="Save").click()
    first.locator("[data-show=title]", has_text="Title from the laptop").wait_for()
    second.get_by_role("button", name="Save").click()

    # then: the second save is refused, showing both values, typing kept
    conflict = second.locator("[data-conflict]")
    conflict.wait_for(state="visible")
    text = conflict.inner_text()
    assert "Someone else saved this first" in text
    assert "Title from the laptop" in text
    assert "Title from the tablet" in text
    assert second.locator("input[name=title]").input_value() == "Title from the tablet"
    assert Strategy.objects.get(plan=plan).title == "Title from the laptop"
    other_context.close()


def test_a_closed_plan_shows_no_edit_controls_until_reopened(
    page, live_server, rep, plan
):
    plan_item_update(
        user=rep, item=plan, version=plan.version, values={"status": "closed"}
    )
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")

    expect(page.locator(".closed-note")).to_contain_text("This plan is closed")
    assert page.locator("button[data-edit]").count() == 0
    assert page.locator("form[data-comment]").count() == 1
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"var/shots/plan-closed-{width}.png")

    page.get_by_role("button", name="Reopen plan").click()

    expect(page.locator(".closed-note")).to_have_count(0)
    assert page.locator("button[data-edit]").count() > 0
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ACTIVE


@pytest.mark.parametrize("width", [1366, 820])
def test_a_long_template_name_keeps_the_page_width_and_deleting_asks(
    browser, page, live_server, ops, width
):
    # given
    from plans.models import SellCycleTemplate, TemplateCheckpoint, TemplateStage

    template = SellCycleTemplate.objects.create(name="Enterprise" + "X" * 140)
    stage = TemplateStage.objects.create(template=template, order=0, name="Qualify")
    TemplateCheckpoint.objects.create(stage=stage, description="CFO met")
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)

    # when
    widths = {}
    for url in ("/plans/templates/", f"/plans/templates/{template.pk}/"):
        page.goto(f"{live_server.url}{url}")
        widths[url] = page.evaluate("document.documentElement.scrollWidth")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete stage Qualify").click()

    # then
    assert all(seen <= width for seen in widths.values()), widths
    assert asked == ["Delete the stage Qualify and its checkpoints from this template?"]
    assert TemplateStage.objects.filter(pk=stage.pk).exists()
    remove = page.get_by_role("button", name="Remove")
    row = page.locator(".checkpoint-list li", has_text="CFO met")
    assert abs(remove.bounding_box()["y"] - row.bounding_box()["y"]) < 20


def test_a_refused_new_strategy_names_the_field_as_the_page_does(
    browser, page, live_server, rep, plan
):
    # given
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")

    # when
    page.get_by_text("Add a strategy or initiative").click()
    form = page.locator("form[data-section=strategies]")
    form.locator("[name=title]").fill("")
    form.get_by_role("button", name="Add").click()
    status = form.locator("[data-status]")
    expect(status).not_to_be_empty()

    # then
    label = form.locator("label", has=page.locator("[name=title]"))
    shown = label.evaluate("el => el.firstChild.textContent.trim()")
    assert status.inner_text().startswith(f"{shown}: ")
    assert "title:" not in status.inner_text()


@pytest.mark.parametrize("size", [1366, 820])
def test_a_long_unbroken_strategy_title_wraps_inside_the_page(
    page, live_server, rep, plan, size
):
    # given
    title = "Consolidate-" + "x" * 150 + "-programme"
    Strategy.objects.filter(plan=plan).update(title=title)
    page.set_viewport_size({"width": size, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    shown = page.locator("[data-section=strategies] article.strategy").first

    # then
    assert title in shown.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= size


def test_a_rep_comments_on_the_plan_in_place(page, live_server, rep, plan):
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")

    form = page.locator("form[data-comment]")
    form.locator("textarea[name=body]").fill("CFO wants the case by Friday")
    form.get_by_role("button").click()

    feed = page.locator("[data-comments]")
    expect(feed.locator("li").first).to_contain_text("CFO wants the case by Friday")
    expect(feed.locator("li").first).to_contain_text(rep.display_name)
    assert plan.comments.get().body == "CFO wants the case by Friday"
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#comments").screenshot(path=f"var/shots/plan-comment-{width}.png")


def test_back_after_an_inline_save_shows_the_saved_plan_and_edits_again(
    page, live_server, rep, plan
):
    # given: a strategy saved in place
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    _edit_strategy_title(page, "Saved before leaving")
    strategy = page.locator("[data-section=strategies] article.strategy").first
    strategy.locator("[data-show=title]", has_text="Saved before leaving").wait_for()

    # when: the user leaves the page and comes back with Back
    page.get_by_role("link", name="Plans", exact=True).click()
    page.wait_for_url(f"{live_server.url}/plans/")
    page.go_back()
    page.wait_for_url(f"{live_server.url}/plans/{plan.pk}/")

    # then: the page shows the saved title, not the one it was loaded with
    strategy = page.locator("[data-section=strategies] article.strategy").first
    expect(strategy.locator("[data-show=title]")).to_have_text("Saved before leaving")

    # when: the same strategy is edited again
    _edit_strategy_title(page, "Saved after coming back")

    # then: it saves; the user's own earlier save is no conflict
    strategy = page.locator("[data-section=strategies] article.strategy").first
    expect(strategy.locator("[data-show=title]")).to_have_text(
        "Saved after coming back"
    )
    expect(page.locator("[data-conflict]:visible")).to_have_count(0)
    assert Strategy.objects.get(plan=plan).title == "Saved after coming back"


def test_an_inline_pursuit_save_shows_the_amount_as_the_page_does(
    page, live_server, rep, plan
):
    # given
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/plans/{plan.pk}/")
    pursuit = page.locator("[data-section=pursuits] article.pursuit").first

    # when: amount, currency (in lower case) and close date are saved in place
    pursuit.get_by_role("button", name="Edit").click()
    pursuit.locator("input[name=amount]").fill("10000")
    pursuit.locator("[name=currency]").fill("eur")
    pursuit.locator("input[name=expected_close_on]").fill("2027-01-04")
    pursuit.get_by_role("button", name="Save").click()

    # then
    meta = pursuit.locator(":scope > .item-view p.meta").first
    expect(meta).to_contain_text("10,000.00 EUR · close 4 Jan 2027")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path="/tmp/pagefix_pursuit_1366.png", full_page=False)
    assert Plan.objects.get(pk=plan.pk).pursuits.get().currency == "EUR"
