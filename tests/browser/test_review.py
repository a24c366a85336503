"""The quarterly executive review in Chromium: charts, decisions, downloads."""

from decimal import Decimal

import pytest
from django.utils import timezone
from pptx import Presentation
from pypdf import PdfReader

from plans.calendar import fiscal_quarter_current
from plans.review_services import measure_quarter_set, value_measure_create
from scoring.models import AccountScore, ScoreRun, ScoringModel
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


def _boxes_overlap(first: dict, second: dict) -> bool:
    return not (
        first["x"] + first["width"] <= second["x"]
        or second["x"] + second["width"] <= first["x"]
        or first["y"] + first["height"] <= second["y"]
        or second["y"] + second["height"] <= first["y"]
    )


@pytest.mark.parametrize("width", [1366, 820])
def test_the_path_labels_and_trend_axes_do_not_collide(
    browser, page, live_server, rep, account, measure, width
):
    # given: a path that starts and ends next to each other on the line
    quarter = fiscal_quarter_current()
    model = ScoringModel.objects.filter(
        is_active=True
    ).first() or ScoringModel.objects.create(name="Default", is_active=True)
    for offset, (performance, potential) in enumerate(
        [(34.4, 49.0), (33.6, 48.2), (41.2, 39.9)]
    ):
        run = ScoreRun.objects.create(
            scoring_model=model,
            status=ScoreRun.Status.SUCCEEDED,
            as_of=quarter.shifted(offset - 3).end,
            finished_at=timezone.now(),
        )
        _path_score(run, account, performance, potential)
    current = ScoreRun.objects.create(
        scoring_model=model,
        status=ScoreRun.Status.SUCCEEDED,
        is_current=True,
        as_of=quarter.start,
        finished_at=timezone.now(),
    )
    _path_score(current, account, 37.0, 50.5)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/plans/account/{account.pk}/review/")
    labels = page.locator("#path-chart .annotation-text")
    labels.nth(5).wait_for()

    # then: both end quarters are named, apart from each other
    texts = labels.all_text_contents()
    first = labels.nth(texts.index(f"from {quarter.shifted(-3).short_label}"))
    last = labels.nth(texts.index(quarter.short_label))
    assert not _boxes_overlap(first.bounding_box(), last.bounding_box())

    # then: the lowest value label stays clear of the first quarter's label
    chart = page.locator("#trend .trend-chart").first
    chart.locator(".xtick text").first.wait_for()
    x_first = chart.locator(".xtick text").first.bounding_box()
    y_labels = [box.bounding_box() for box in chart.locator(".ytick text").all()]
    assert y_labels
    assert not any(_boxes_overlap(x_first, y_label) for y_label in y_labels)


def _path_score(run, account, performance, potential):
    return AccountScore.objects.create(
        run=run,
        account=account,
        performance=performance,
        potential=potential,
        quadrant="monitor" if potential < 50 else "expand",
        tier="B",
        ttm_revenue=Decimal(1000),
        components={},
    )


@pytest.mark.parametrize("width", [1366, 820])
def test_the_quadrant_spans_every_score_and_names_its_marks(
    browser, page, live_server, rep, account, width
):
    # given: four quarters bunched together near the top right
    quarter = fiscal_quarter_current()
    model = ScoringModel.objects.filter(
        is_active=True
    ).first() or ScoringModel.objects.create(name="Default", is_active=True)
    scores = [(94.0, 92.0), (97.0, 95.0), (95.0, 97.5), (98.5, 94.0)]
    for offset, (performance, potential) in enumerate(scores):
        run = ScoreRun.objects.create(
            scoring_model=model,
            status=ScoreRun.Status.SUCCEEDED,
            is_current=offset == 3,
            as_of=quarter.shifted(offset - 3).end if offset < 3 else quarter.start,
            finished_at=timezone.now(),
        )
        _path_score(run, account, performance, potential)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(f"{live_server.url}/plans/account/{account.pk}/review/")
    chart = page.locator("#path-chart")
    labels = chart.locator(".annotation-text")
    labels.nth(5).wait_for()

    # then: both axes run to 100, and the legend names the marks
    ticks = ["0", "20", "40", "60", "80", "100"]
    assert chart.locator(".xtick text").all_text_contents() == ticks
    assert chart.locator(".ytick text").all_text_contents() == ticks
    assert chart.locator(".legendtext").all_text_contents() == [
        "Quarters, oldest to newest",
        "Latest quarter",
        "Quadrant thresholds",
    ]

    # then: the two end names cover no point and no other name, inside the plot
    texts = labels.all_text_contents()
    names = [
        labels.nth(texts.index(f"from {quarter.shifted(-3).short_label}")),
        labels.nth(texts.index(quarter.short_label)),
    ]
    boxes = [name.bounding_box() for name in names]
    points = [
        point.bounding_box()
        for point in chart.locator(".scatterlayer .trace .point").all()
    ]
    corners = [
        labels.nth(texts.index(corner)).bounding_box()
        for corner in ("Grow", "Expand", "Maintain", "Monitor")
    ]
    area = chart.locator(".nsewdrag").bounding_box()
    assert len(points) == 5
    assert not _boxes_overlap(boxes[0], boxes[1])
    for box in boxes:
        assert not any(_boxes_overlap(box, point) for point in points)
        assert not any(_boxes_overlap(box, corner) for corner in corners)
        assert area["x"] <= box["x"]
        assert box["x"] + box["width"] <= area["x"] + area["width"]
        assert area["y"] <= box["y"]
