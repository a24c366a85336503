"""Reading and tuning the scoring model in Chromium."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page

from scoring.api_services import scoring_model_update
from scoring.models import ScoreRun
from scoring.services import scoring_model_active
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def page_fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_sales_ops_changes_one_weight_from_the_portfolio(page, live_server, ops):
    # given
    model = scoring_model_active()
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/scoring/portfolio/")

    # when
    page.get_by_role("link", name="Scoring model").click()
    page.get_by_label("Growth").fill("40")
    page.get_by_role("button", name="Save and recompute scores").click()

    # then
    message = page.locator(".messages li.success")
    message.wait_for()
    assert "Scoring model saved. Score run" in message.inner_text()
    assert page.get_by_label("Growth").input_value() == "40.00"
    model.refresh_from_db()
    assert model.weight_growth == Decimal(40)
    assert ScoreRun.objects.filter(trigger="model_change").count() == 1

    message.get_by_role("link", name="portfolio").click()
    page.wait_for_url("**/scoring/portfolio/")


@pytest.mark.parametrize("width", [1366, 820])
def test_the_page_fits_the_window_with_an_error_shown(
    page, live_server, ops, width, tmp_path
):
    # given
    scoring_model_active()
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/scoring/model/")

    # when
    page.get_by_label("Reporting currency").fill("E1")
    page.get_by_role("button", name="Save and recompute scores").click()

    # then
    error = page.locator("[data-testid=error-reporting_currency]")
    error.wait_for()
    assert error.inner_text() == "Give a three-letter currency code, e.g. EUR."
    assert page.get_by_label("Reporting currency").input_value() == "E1"
    assert page_fits(page)
    page.screenshot(path=tmp_path / f"scoring-model-{width}.png", full_page=True)


def test_a_rep_reads_the_model_without_a_form(page, live_server, rep, tmp_path):
    scoring_model_active()
    page.set_viewport_size({"width": 820, "height": 900})
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/scoring/model/")

    assert page.locator("[data-testid=share-weight_growth]").inner_text() == "20.8 %"
    assert page.locator("main input").count() == 0
    assert page_fits(page)
    page.screenshot(path=tmp_path / "scoring-model-rep-820.png", full_page=True)


def test_a_stale_save_shows_the_stored_values_beside_the_typed_ones(
    page, live_server, ops, tmp_path
):
    # given
    model = scoring_model_active()
    page.set_viewport_size({"width": 820, "height": 900})
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/scoring/model/")
    scoring_model_update(
        model=model,
        user=ops,
        data={"weight_growth": Decimal(10)},
        expected_version=model.updated_at,
    )

    # when
    page.get_by_label("Growth").fill("33")
    page.get_by_role("button", name="Save and recompute scores").click()

    # then
    page.get_by_role("alert").wait_for()
    assert "Someone changed the scoring model" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Growth").input_value() == "33"
    stored = page.locator("[data-testid=stored-weight_growth]").inner_text()
    assert stored == "Now stored: 10.00"
    assert page_fits(page)
    page.screenshot(path=tmp_path / "scoring-model-stale-820.png", full_page=True)
