"""The quarterly executive review in Chromium: charts, decisions, downloads."""

from decimal import Decimal

import pytest
from pptx import Presentation
from pypdf import PdfReader

from plans.calendar import fiscal_quarter_current
from plans.review_services import measure_quarter_set, value_measure_create
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def measure(rep, account):
    measure = value_measure_create(
        user=rep,
        account=account,
        values={
            "name": "Hours saved per month",
            "unit": "hours",
            "direction": "up",
            "baseline": Decimal("400"),
        },
    )
    quarter = fiscal_quarter_current()
    measure_quarter_set(
        user=rep,
        measure=measure,
        quarter=quarter.previous,
        target=Decimal("900"),
        actual=Decimal("950"),
    )
    measure_quarter_set(
        user=rep,
        measure=measure,
        quarter=quarter,
        target=Decimal("1000"),
        actual=Decimal("1250"),
    )
    return measure


def test_a_rep_opens_a_review_records_decisions_and_downloads_both_exports(
    browser, page, live_server, rep, account, measure
):
    # given
    quarter = fiscal_quarter_current()
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/plans/account/{account.pk}/review/")

    # then: the current quarter's page with the scorecard and its chart
    page.get_by_role("heading", name=f"{account.name} {quarter.label}").wait_for()
    assert "1,250 / 1,000" in page.locator("table.scorecard").inner_text()
    page.locator("#trend .trend-chart .main-svg").first.wait_for()

    # when: the decisions are recorded
    page.fill("textarea[name=decisions]", "Extend the pilot to Lyon")
    page.get_by_role("button", name="Save decisions").click()
    page.get_by_text("Decisions and next steps saved.").wait_for()

    # when: both exports are downloaded
    with page.expect_download() as pdf_download:
        page.click("[data-export=pdf]")
    with page.expect_download() as pptx_download:
        page.click("[data-export=pptx]")

    # then: each file holds the scorecard and the decisions
    pdf = PdfReader(pdf_download.value.path())
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    assert "1,250 / 1,000" in text
    assert "Decisions: Extend the pilot to Lyon" in text

    deck = Presentation(str(pptx_download.value.path()))
    cells = [
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert pptx_download.value.suggested_filename.endswith(".pptx")
    assert "1,250 / 1,000" in cells
    assert any(shape.has_chart for slide in deck.slides for shape in slide.shapes), (
        "the deck has native charts"
    )


def test_an_executive_sees_the_review_without_the_decisions_form(
    browser, page, live_server, executive, account, measure
):
    browser_login(page, live_server, executive.username)

    page.goto(f"{live_server.url}/plans/account/{account.pk}/review/")

    page.locator("table.scorecard").wait_for()
    assert page.locator("textarea[name=decisions]").count() == 0
    assert page.locator("[data-export=pdf]").is_visible()
