"""The executive review page and its PDF, PowerPoint, CSV and XLSX exports."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader
from pytest_django import Settings
from reportlab.graphics import renderPDF
from reportlab.graphics.charts.linecharts import HorizontalLineChart

from accounts.models import Account, User
from plans.calendar import fiscal_quarter_for
from plans.models import ExecutiveReview, Plan, PlanSnapshot
from plans.review_exports import pdf_trend_chart, review_pdf, review_pptx
from plans.review_selectors import executive_review_pack
from plans.review_services import (
    customer_rating_record,
    executive_review_save,
    measure_quarter_set,
    plan_snapshot_take,
    value_measure_create,
)
from stakeholders.models import Stakeholder

pytestmark = pytest.mark.django_db

QUARTER = fiscal_quarter_for(date(2026, 4, 1), start_month=1, label_by="end")


@pytest.fixture
def scorecard(rep: User, account: Account, plan: Plan) -> dict:
    """Two measures over two quarters, one rating, and recorded decisions."""
    hours = value_measure_create(
        user=rep,
        account=account,
        values={
            "name": "Hours saved per month",
            "unit": "hours",
            "direction": "up",
            "baseline": Decimal("400"),
            "source": "Customer time sheets",
        },
    )
    uplift = value_measure_create(
        user=rep,
        account=account,
        values={
            "name": "Revenue uplift",
            "unit": "USD",
            "direction": "up",
            "baseline": Decimal("0"),
            "source": '=HYPERLINK("http://example.invalid")',
        },
    )
    measure_quarter_set(
        user=rep,
        measure=hours,
        quarter=QUARTER.previous,
        target=Decimal("900"),
        actual=Decimal("875.5"),
    )
    measure_quarter_set(
        user=rep,
        measure=hours,
        quarter=QUARTER,
        target=Decimal("1000"),
        actual=Decimal("1250"),
    )
    measure_quarter_set(
        user=rep,
        measure=uplift,
        quarter=QUARTER,
        target=Decimal("20000"),
        actual=Decimal("-1250.50"),
    )
    person = Stakeholder.objects.create(
        account=account, first_name="Carla", last_name="Finch", title="CFO"
    )
    customer_rating_record(
        user=rep,
        account=account,
        stakeholder=person,
        quarter=QUARTER,
        score=8,
        comment="Good quarter.",
    )
    executive_review_save(
        user=rep,
        account=account,
        quarter=QUARTER,
        values={"decisions": "Extend the pilot to Lyon", "next_steps": "Draft SOW"},
        version=None,
    )
    return {"hours": hours, "uplift": uplift, "person": person}


def _settings_january(settings: Settings) -> None:
    settings.FISCAL_YEAR_START_MONTH = 1
    settings.FISCAL_YEAR_LABEL = "end"


def test_the_pdf_text_holds_the_scorecard_values(
    settings: Settings, account: Account, scorecard: dict
) -> None:
    _settings_january(settings)
    pack = executive_review_pack(account=account, quarter=QUARTER)

    reader = PdfReader(io.BytesIO(review_pdf(pack)))
    text = "\n".join(page.extract_text() for page in reader.pages)

    lines = text.splitlines()
    assert "Executive review: Acme Corporation, FY2026 Q2" in lines

    def row(label: str) -> list[str]:
        start = lines.index(label) + 1
        return lines[start : start + 5]

    # Baseline, then actual / target for the four quarters up to FY2026 Q2.
    assert row("Hours saved per month (hours)") == [
        "400",
        "–",
        "–",
        "875.5 / 900",
        "1,250 / 1,000",
    ]
    assert row("Revenue uplift (USD)")[-1] == "-1,250.5 / 20,000"
    # The one rating of FY2026 Q2, after a blank baseline cell.
    assert row("Customer rating of value (1-10)")[:4] == ["–", "–", "–", "8"]
    assert "Decisions: Extend the pilot to Lyon" in lines


def test_the_slides_hold_the_scorecard_values_and_native_charts(
    settings: Settings, account: Account, scorecard: dict
) -> None:
    _settings_january(settings)
    pack = executive_review_pack(account=account, quarter=QUARTER)

    deck = Presentation(io.BytesIO(review_pptx(pack)))

    tables = [
        [[cell.text for cell in row.cells] for row in shape.table.rows]
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
    ]
    assert tables, "the scorecard slide has a table"
    rows = {row[0]: row[1:] for row in tables[0]}
    assert rows["Hours saved per month (hours)"] == [
        "400",
        "–",
        "–",
        "875.5 / 900",
        "1,250 / 1,000",
    ]
    assert rows["Revenue uplift (USD)"][-1] == "-1,250.5 / 20,000"
    assert rows["Customer rating of value (1-10)"][-1] == "8"

    charts = {
        shape.chart.chart_title.text_frame.text
        if shape.chart.has_title
        else "quadrant": shape.chart
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_chart
    }
    hours = charts["Hours saved per month (hours)"]
    series = {s.name: list(s.values) for s in hours.plots[0].series}
    assert series["Actual"] == [None, None, 875.5, 1250.0]
    assert series["Target"] == [None, None, 900.0, 1000.0]
    assert list(hours.plots[0].categories) == [
        "FY25 Q3",
        "FY25 Q4",
        "FY26 Q1",
        "FY26 Q2",
    ]
    assert "quadrant" in charts


def test_the_changes_slide_names_the_plan_once(
    settings: Settings, rep: User, account: Account, plan: Plan
) -> None:
    # given: the summary was written after the last snapshot before the quarter
    _settings_january(settings)
    snapshot = plan_snapshot_take(plan=plan, user=rep)
    PlanSnapshot.objects.filter(pk=snapshot.pk).update(
        taken_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    Plan.objects.filter(pk=plan.pk).update(summary="Grow cloud revenue")
    pack = executive_review_pack(account=account, quarter=QUARTER)

    # when
    deck = Presentation(io.BytesIO(review_pptx(pack)))
    pdf = PdfReader(io.BytesIO(review_pdf(pack)))

    # then
    slide = next(
        slide
        for slide in deck.slides
        if slide.shapes.title.text == "What changed since the last review"
    )
    assert [p.text for p in slide.placeholders[1].text_frame.paragraphs] == [
        "Plan: summary (none) → Grow cloud revenue"
    ]
    pdf_lines = "\n".join(page.extract_text() for page in pdf.pages).splitlines()
    # The PDF's font has no arrow, so the PDF writes one in ASCII.
    assert "Plan: summary (none) -> Grow cloud revenue" in pdf_lines


def test_the_csv_neutralises_formulas_and_keeps_negative_numbers(
    client: Client, settings: Settings, rep: User, account: Account, scorecard: dict
) -> None:
    _settings_january(settings)
    client.force_login(rep)

    response = client.get(
        reverse("plans:review_export", args=[account.pk, QUARTER.slug, "csv"])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('FY2026-Q2.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    uplift = next(
        row
        for row in rows
        if row["Measure"] == "Revenue uplift" and row["Quarter"] == "FY2026 Q2"
    )
    assert uplift["Source"] == '\'=HYPERLINK("http://example.invalid")'
    assert Decimal(uplift["Actual"]) == Decimal("-1250.50")
    assert not uplift["Actual"].startswith("'")


def test_the_xlsx_keeps_the_negative_actual_a_number(
    client: Client, settings: Settings, rep: User, account: Account, scorecard: dict
) -> None:
    _settings_january(settings)
    client.force_login(rep)

    response = client.get(
        reverse("plans:review_export", args=[account.pk, QUARTER.slug, "xlsx"])
    )

    sheet = load_workbook(io.BytesIO(response.content))["Scorecard"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, [c.value for c in row], strict=True)) for row in sheet][1:]
    uplift = next(
        r
        for r in rows
        if r["Measure"] == "Revenue uplift" and r["Quarter"] == "FY2026 Q2"
    )
    assert uplift["Actual"] == -1250.5
    assert uplift["Source"] == '=HYPERLINK("http://example.invalid")'


def test_an_executive_reads_the_review_and_both_exports_but_cannot_edit(
    client: Client,
    settings: Settings,
    executive: User,
    account: Account,
    scorecard: dict,
) -> None:
    # given
    _settings_january(settings)
    client.force_login(executive)
    url = reverse("plans:review", args=[account.pk, QUARTER.slug])

    # when
    page = client.get(url)
    pdf = client.get(
        reverse("plans:review_export", args=[account.pk, QUARTER.slug, "pdf"])
    )
    pptx = client.get(
        reverse("plans:review_export", args=[account.pk, QUARTER.slug, "pptx"])
    )
    posted = client.post(url, {"decisions": "Cancel everything"}, follow=True)

    # then
    assert page.status_code == 200
    assert b"Extend the pilot to Lyon" in page.content
    assert b"Save decisions" not in page.content
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pptx.status_code == 200 and pptx.content.startswith(b"PK")
    assert b"read this account" in posted.content
    review = ExecutiveReview.objects.get(account=account, quarter_start=QUARTER.start)
    assert review.decisions == "Extend the pilot to Lyon"


def test_an_executive_cannot_change_the_scorecard_either(
    client: Client, executive: User, account: Account, scorecard: dict
) -> None:
    client.force_login(executive)

    client.post(
        reverse("plans:scorecard_measure_create", args=[account.pk]),
        {"name": "NPS", "direction": "up", "baseline": "10"},
    )

    assert not account.value_measures.filter(name="NPS").exists()


def test_a_rep_records_decisions_and_a_stale_save_is_refused(
    client: Client, settings: Settings, rep: User, account: Account, scorecard: dict
) -> None:
    _settings_january(settings)
    client.force_login(rep)
    url = reverse("plans:review", args=[account.pk, QUARTER.slug])
    version = ExecutiveReview.objects.get(account=account).version

    client.post(url, {"version": version, "decisions": "Go to Lyon and Lille"})
    stale = client.post(
        url, {"version": version, "decisions": "Only Lyon"}, follow=True
    )

    review = ExecutiveReview.objects.get(account=account)
    assert review.decisions == "Go to Lyon and Lille"
    assert b"saved this review first" in stale.content


def test_an_outsider_gets_no_review_and_no_export(
    client: Client, outsider: User, account: Account, scorecard: dict
) -> None:
    client.force_login(outsider)

    page = client.get(reverse("plans:review", args=[account.pk, QUARTER.slug]))
    export = client.get(
        reverse("plans:review_export", args=[account.pk, QUARTER.slug, "pdf"])
    )

    assert page.status_code == export.status_code == 404


def test_a_review_url_with_a_day_inside_a_quarter_is_not_found(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)

    response = client.get(reverse("plans:review", args=[account.pk, "2026-04-02"]))

    assert response.status_code == 404


def test_a_manager_exports_only_the_teams_accounts(
    client: Client, settings: Settings, manager: User, account: Account, scorecard: dict
) -> None:
    _settings_january(settings)
    elsewhere = Account.objects.create(name="Globex")
    client.force_login(manager)

    own = client.get(
        reverse("plans:review_export", args=[account.pk, QUARTER.slug, "xlsx"])
    )
    other = client.get(
        reverse("plans:review_export", args=[elsewhere.pk, QUARTER.slug, "xlsx"])
    )

    assert own.status_code == 200
    assert other.status_code == 404


def test_a_missing_export_library_is_named_in_the_answer() -> None:
    from plans.review_views import _export_unavailable

    response = _export_unavailable("PDF", ImportError("gone", name="reportlab"))

    assert response.status_code == 503
    assert response.content.decode() == (
        "The PDF export needs the Python package reportlab, which is not "
        "installed. Install the pinned dependencies with "
        "`.venv/bin/pip install -r requirements.lock`."
    )


def test_the_pdf_draws_a_trend_chart_per_measure(
    settings: Settings, account: Account, scorecard: dict
) -> None:
    _settings_january(settings)
    pack = executive_review_pack(account=account, quarter=QUARTER)
    chart_data = pack["scorecard"].chart_data()

    drawings = [
        pdf_trend_chart(measure=measure, quarters=chart_data["quarters"])
        for measure in chart_data["measures"]
    ]
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(review_pdf(pack))).pages
    )

    charts = [
        next(item for item in drawing.contents if isinstance(item, HorizontalLineChart))
        for drawing in drawings
    ]
    assert [chart.data for chart in charts] == [
        [[None, None, 900.0, 1000.0], [None, None, 875.5, 1250.0]],
        [[None, None, None, 20000.0], [None, None, None, -1250.5]],
    ]
    assert charts[0].categoryAxis.categoryNames == [
        "FY25 Q3",
        "FY25 Q4",
        "FY26 Q1",
        "FY26 Q2",
    ]
    # The negative actual stays inside the value axis.
    assert charts[1].valueAxis.valueMin <= -1250.5
    assert "Scorecard trend (target and actual by quarter)" in text
    assert "Trend: Hours saved per month (hours)" in text
    assert "Trend: Revenue uplift (USD)" in text
    assert text.count("Target") >= 2 and text.count("Actual") >= 2
    assert text.count("Quarter") >= 2


def test_a_measure_without_figures_gets_a_note_not_a_chart(
    client: Client, settings: Settings, rep: User, account: Account
) -> None:
    # given
    _settings_january(settings)
    value_measure_create(
        user=rep,
        account=account,
        values={"name": "Uptime", "direction": "up", "baseline": Decimal("99")},
    )
    client.force_login(rep)

    # when
    response = client.get(
        f"/api/plans/accounts/{account.pk}/reviews/{QUARTER.start}/export.pdf"
    )

    # then
    assert response.status_code == 200
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
    )
    assert "Trend: Uptime" in text
    assert "No figures in these quarters." in text


def test_a_measure_with_only_a_target_draws_only_the_target_line() -> None:
    drawing = pdf_trend_chart(
        measure={
            "name": "Uptime",
            "unit": "%",
            "target": [None, None, 99.5, None],
            "actual": [None, None, None, None],
        },
        quarters=["FY25 Q3", "FY25 Q4", "FY26 Q1", "FY26 Q2"],
    )

    chart = next(
        item for item in drawing.contents if isinstance(item, HorizontalLineChart)
    )
    assert chart.data == [[None, None, 99.5, None]]
    assert chart.lines[0].strokeDashArray == (3, 2)
    # Rendering is where reportlab refused a line without points.
    assert renderPDF.drawToString(drawing).startswith(b"%PDF")
