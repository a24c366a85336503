"""The executive review as PDF (reportlab) and PowerPoint (python-pptx).

Both are built from the same pack as the page (`executive_review_pack`), so
the figures match what the room saw. The PowerPoint's quadrant and scorecard
charts are native charts that stay editable in PowerPoint; the PDF draws
them as vector graphics. Both libraries install from PyPI alone.
"""

import io
from decimal import Decimal
from typing import Any

from plans.exports import Table
from plans.pdf_fonts import (
    FONT,
    FONT_BOLD,
    pdf_cell,
    pdf_fonts_register,
    pdf_is_right_to_left,
    pdf_lines,
    pdf_markup,
    pdf_string,
    pdf_visual,
)
from plans.review_services import voice_score_problem

PDF_CONTENT_TYPE = "application/pdf"
PPTX_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.presentationml.presentation"
)
QUADRANT_COLOURS = {
    "Grow": "2E7D32",
    "Expand": "1565C0",
    "Maintain": "B26A00",
    "Monitor": "757575",
}


def number_text(value: Decimal | float | None) -> str:
    """Return a figure as the exports and the page print it: 1,250 or 12.5."""
    if value is None:
        return "–"
    text = f"{Decimal(str(value)):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _score_shown(voice: Any) -> bool:
    """Print a survey score only if it fits its scale; older rows may not."""
    return (
        voice.score is not None
        and voice_score_problem(voice.score, voice.score_max) is None
    )


def export_filename(pack: dict[str, Any], extension: str) -> str:
    name = "".join(
        c if c.isalnum() else "-" for c in pack["account"].name.lower()
    ).strip("-")
    quarter = pack["quarter"].label.replace(" ", "-")
    return f"review-{name}-{quarter}.{extension}"


def scorecard_rows(pack: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Return the scorecard as text rows: measure, baseline, target/actual."""
    scorecard = pack["scorecard"]
    headers = ["Measure", "Baseline"] + [q.short_label for q in scorecard.quarters]
    rows = []
    for row in scorecard.rows:
        unit = f" ({row.measure.unit})" if row.measure.unit else ""
        cells = [
            f"{number_text(cell.actual)} / {number_text(cell.target)}" if cell else "–"
            for cell in row.cells
        ]
        rows.append(
            [f"{row.measure.name}{unit}", number_text(row.measure.baseline), *cells]
        )
    rating = [
        number_text(scorecard.average_rating.get(q.start)) for q in scorecard.quarters
    ]
    rows.append(["Customer rating of value (1-10)", "", *rating])
    return headers, rows


def scorecard_tables(pack: dict[str, Any]) -> list[Table]:
    """Return the scorecard as numeric tables for CSV and XLSX."""
    scorecard = pack["scorecard"]
    values = []
    for row in scorecard.rows:
        for quarter, cell in zip(scorecard.quarters, row.cells, strict=True):
            values.append(
                [
                    row.measure.name,
                    row.measure.unit,
                    row.measure.get_direction_display(),
                    row.measure.baseline,
                    quarter.label,
                    quarter.start,
                    cell.target if cell else None,
                    cell.actual if cell else None,
                    row.measure.source,
                ]
            )
    ratings = [
        [
            rating.stakeholder.name,
            rating.quarter_start,
            rating.score,
            rating.comment,
            rating.entered_by,
        ]
        for rating in scorecard.ratings
    ]
    return [
        Table(
            "Scorecard",
            [
                "Measure",
                "Unit",
                "Direction",
                "Baseline",
                "Quarter",
                "Quarter start",
                "Target",
                "Actual",
                "Source",
            ],
            values,
        ),
        Table(
            "Ratings",
            ["Contact", "Quarter start", "Score", "Comment", "Entered by"],
            ratings,
        ),
    ]


def _plain(text: str) -> str:
    # The bundled PDF font has no arrow glyph.
    return text.replace("→", "->")


# PDF


def review_pdf(pack: dict[str, Any]) -> bytes:
    """Return the review pack as an A4 landscape PDF."""
    from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import (
        Table as PdfTable,
    )

    pdf_fonts_register()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        bold = "Bold" in getattr(style, "fontName", "")
        style.fontName = FONT_BOLD if bold else FONT
    story: list[Any] = []
    margin = 15 * mm
    text_width = landscape(A4)[0] - 2 * margin

    def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
        # Right-to-left text is broken into lines here, then each line is
        # put in visual order; reportlab only breaks left-to-right text.
        if pdf_is_right_to_left(text):
            lines = pdf_lines(
                text, width=text_width, font=style.fontName, size=style.fontSize
            )
            return Paragraph(
                "<br/>".join(pdf_markup(line, style.fontName) for line in lines),
                ParagraphStyle(f"{style.name}-rtl", parent=style, alignment=TA_RIGHT),
            )
        return Paragraph(pdf_markup(pdf_visual(text), style.fontName), style)

    def heading(text: str) -> None:
        story.append(Spacer(1, 4 * mm))
        story.append(paragraph(text, styles["Heading2"]))

    def para(text: str) -> None:
        story.append(paragraph(_plain(text), styles["BodyText"]))

    account, quarter = pack["account"], pack["quarter"]
    story.append(
        paragraph(f"Executive review: {account.name}, {quarter.label}", styles["Title"])
    )
    para(f"{quarter.start:%d %b %Y} to {quarter.end:%d %b %Y}")

    heading("Value scorecard (actual / target)")
    headers, rows = scorecard_rows(pack)
    cell_style = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=10)
    cells = [[pdf_cell(text, cell_style) for text in row] for row in rows]
    table = PdfTable([headers, *cells], repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("FONT", (0, 0), (-1, 0), FONT_BOLD),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ]
        )
    )
    story.append(table)
    for measure in pack["scorecard"].rows:
        if measure.measure.source:
            para(f"{measure.measure.name}: source {measure.measure.source}.")

    chart = pack["scorecard"].chart_data()
    if chart["measures"]:
        heading("Scorecard trend (target and actual by quarter)")
        drawings = [
            pdf_trend_chart(measure=measure, quarters=chart["quarters"])
            for measure in chart["measures"]
        ]
        # Two charts side by side, as many rows as it takes.
        grid = [drawings[index : index + 2] for index in range(0, len(drawings), 2)]
        if len(grid[-1]) == 1:
            grid[-1].append("")
        story.append(PdfTable(grid, hAlign="LEFT"))

    heading("Quadrant position and path")
    path = pack["path"]
    size = 70 * mm
    drawing = Drawing(size + 60 * mm, size + 10 * mm)
    # Otherwise each drawing starts in Helvetica, whatever its strings say.
    drawing.initialFontName = FONT
    drawing.add(Rect(0, 0, size, size, fillColor=None, strokeColor=colors.grey))
    thresholds = pack["thresholds"]
    x_line = size * thresholds["performance"] / 100
    y_line = size * thresholds["potential"] / 100
    drawing.add(Line(x_line, 0, x_line, size, strokeColor=colors.lightgrey))
    drawing.add(Line(0, y_line, size, y_line, strokeColor=colors.lightgrey))
    drawing.add(String(2, size + 3, "Potential", fontName=FONT, fontSize=8))
    drawing.add(String(size - 40, -9, "Performance", fontName=FONT, fontSize=8))
    points = [
        (size * point["performance"] / 100, size * point["potential"] / 100)
        for point in path
    ]
    if len(points) > 1:
        drawing.add(
            PolyLine(
                [coordinate for point in points for coordinate in point],
                strokeColor=colors.HexColor("#1565c0"),
            )
        )
    for index, ((x, y), point) in enumerate(zip(points, path, strict=True)):
        last = index == len(points) - 1
        half = 3 if last else 2
        drawing.add(
            Rect(
                x - half,
                y - half,
                2 * half,
                2 * half,
                fillColor=colors.HexColor("#1565c0"),
                strokeWidth=0,
            )
        )
        # Only the first and last quarters are named: close points overlap.
        if index == 0 or last:
            drawing.add(
                String(x + 5, y + 3, point["quarter"], fontName=FONT, fontSize=7)
            )
    for text, x, y, anchor in (
        ("Expand", 4, size - 10, "start"),
        ("Grow", size - 4, size - 10, "end"),
        ("Monitor", 4, 4, "start"),
        ("Maintain", size - 4, 4, "end"),
    ):
        drawing.add(
            String(
                x,
                y,
                text,
                fontName=FONT,
                fontSize=7,
                fillColor=colors.grey,
                textAnchor=anchor,
            )
        )
    lines = [
        f"{point['quarter']}: {point['quadrant']} "
        f"(performance {point['performance_text']}, "
        f"potential {point['potential_text']})"
        for point in path
    ] or ["No kept score runs in these quarters."]
    for index, text in enumerate(lines):
        drawing.add(
            String(
                size + 6 * mm, size - 10 - 12 * index, text, fontName=FONT, fontSize=8
            )
        )
    story.append(KeepTogether([drawing]))

    heading("What changed since the last review")
    if pack["changes"]:
        for change in pack["changes"][:40]:
            para(change.line)
        if len(pack["changes"]) > 40:
            para(f"And {len(pack['changes']) - 40} more changes.")
    else:
        para("No earlier snapshot to compare with, or nothing changed.")

    heading("Key people and sentiment")
    for person in pack["people"]:
        para(
            f"{person.name}, {person.title or 'no title'}: "
            f"{person.get_sentiment_display()}, influence "
            f"{person.get_influence_display().lower()}"
        )

    heading("Strategic alignment")
    for strategy in pack["strategies"]:
        products = ", ".join(a.product.name for a in strategy.alignments.all())
        para(
            f"{strategy.title} ({strategy.get_kind_display().lower()}, "
            f"{strategy.get_status_display().lower()})"
            + (f": {products}" if products else "")
        )

    heading("Risks and external forces")
    for force in pack["forces"]:
        para(f"{force.title} ({force.get_impact_display().lower()} impact)")
    if not pack["forces"]:
        para("No active external forces.")

    heading("Voice of the customer")
    for voice in pack["voices"]:
        score = (
            f" {number_text(voice.score)} of {number_text(voice.score_max)}"
            if _score_shown(voice)
            else ""
        )
        para(
            f"{voice.get_kind_display()}{score}, {voice.who}, "
            f"{voice.said_on:%d %b %Y}: {voice.body}"
        )

    heading("Decisions and next steps")
    review = pack["review"]
    if review is None:
        para("Not recorded yet.")
    else:
        if review.held_on:
            para(f"Held on {review.held_on:%d %b %Y}. Attendees: {review.attendees}")
        para(f"Decisions: {review.decisions or 'none recorded'}")
        para(f"Next steps: {review.next_steps or 'none recorded'}")

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=f"Executive review {account.name} {quarter.label}",
        author="Lode",
        # The canvas would start each page in Helvetica otherwise.
        initialFontName=FONT,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    )
    document.build(story)
    return buffer.getvalue()


def pdf_trend_chart(*, measure: dict[str, Any], quarters: list[str]) -> Any:
    """Return one measure's target and actual by quarter as a reportlab drawing.

    Quarters with no value leave a gap in their line; the axes are labelled
    and a legend names both lines.
    """
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing, Group, String
    from reportlab.graphics.widgets.markers import makeMarker
    from reportlab.lib import colors
    from reportlab.lib.units import mm

    pdf_fonts_register()
    target_colour = colors.HexColor("#8a94a6")
    actual_colour = colors.HexColor("#1565c0")
    width, height = 125 * mm, 62 * mm
    drawing = Drawing(width, height)
    drawing.initialFontName = FONT
    unit = f" ({measure['unit']})" if measure["unit"] else ""
    drawing.add(
        pdf_string(
            0,
            height - 10,
            _plain(f"Trend: {measure['name']}{unit}")[:70],
            font=FONT_BOLD,
            size=9,
        )
    )

    # reportlab cannot draw a line through no points: a series with no figure
    # in the quarters shown is left out, and with none at all the drawing
    # says so instead of showing empty axes.
    drawn = [
        (name, series, colour)
        for name, series, colour in (
            ("Target", measure["target"], target_colour),
            ("Actual", measure["actual"], actual_colour),
        )
        if any(value is not None for value in series)
    ]
    if not drawn:
        drawing.add(
            String(
                width / 2,
                height / 2,
                "No figures in these quarters.",
                fontName=FONT,
                fontSize=8,
                textAnchor="middle",
                fillColor=colors.grey,
            )
        )
        return drawing

    chart = HorizontalLineChart()
    chart.x, chart.y = 20 * mm, 11 * mm
    chart.width, chart.height = width - 26 * mm, height - 26 * mm
    chart.data = [series for _, series, _ in drawn]
    chart.categoryAxis.categoryNames = list(quarters)
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    # Quarter names stay under the plot even when a value is negative.
    chart.categoryAxis.joinAxisMode = "bottom"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = _axis_number
    values = [value for series in chart.data for value in series if value is not None]
    if values:
        low, high = min(0.0, *values), max(0.0, *values)
        if low == high:
            high = low + 1
        chart.valueAxis.valueMin = low
        chart.valueAxis.valueMax = high + (high - low) * 0.1
    for index, (name, _, colour) in enumerate(drawn):
        chart.lines[index].strokeColor = colour
        if name == "Target":
            chart.lines[index].strokeDashArray = (3, 2)
        else:
            chart.lines[index].strokeWidth = 1.5
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3)
        chart.lines[index].symbol.fillColor = colour
        chart.lines[index].symbol.strokeColor = colour
    drawing.add(chart)

    drawing.add(
        String(
            chart.x + chart.width / 2,
            2,
            "Quarter",
            fontName=FONT,
            fontSize=7,
            textAnchor="middle",
            fillColor=colors.grey,
        )
    )
    # The value axis title reads upwards along the axis.
    drawing.add(
        Group(
            pdf_string(
                0,
                0,
                _plain(measure["unit"] or "Value")[:24],
                size=7,
                anchor="middle",
                fillColor=colors.grey,
            ),
            transform=(0, 1, -1, 0, 7, chart.y + chart.height / 2),
        )
    )

    legend = Legend()
    legend.x, legend.y = width - 45 * mm, height - 6
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName = FONT
    legend.fontSize = 7
    legend.deltax = 40
    legend.colorNamePairs = [(colour, name) for name, _, colour in drawn]
    drawing.add(legend)
    return drawing


def _axis_number(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.1f}"


# PowerPoint


def review_pptx(pack: dict[str, Any]) -> bytes:
    """Return the review pack as slides with native, editable charts."""
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData, XyChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    title_layout, body_layout, blank_layout = (
        deck.slide_layouts[0],
        deck.slide_layouts[1],
        deck.slide_layouts[5],
    )
    account, quarter = pack["account"], pack["quarter"]

    def titled(text: str) -> Any:
        slide = deck.slides.add_slide(blank_layout)
        slide.shapes.title.text = text
        slide.shapes.title.left, slide.shapes.title.top = Inches(0.5), Inches(0.3)
        slide.shapes.title.width, slide.shapes.title.height = Inches(12.3), Inches(0.9)
        return slide

    def bullets(title: str, lines: list[str]) -> None:
        slide = deck.slides.add_slide(body_layout)
        slide.shapes.title.text = title
        body = slide.placeholders[1]
        body.left, body.top = Inches(0.6), Inches(1.4)
        body.width, body.height = Inches(12.1), Inches(5.7)
        frame = body.text_frame
        for index, line in enumerate(lines or ["Nothing to report."]):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = line
            paragraph.font.size = Pt(16 if len(lines) < 10 else 12)

    cover = deck.slides.add_slide(title_layout)
    cover.shapes.title.text = f"Executive review: {account.name}"
    cover.placeholders[
        1
    ].text = f"{quarter.label} ({quarter.start:%d %b %Y} to {quarter.end:%d %b %Y})"

    # Scorecard table.
    slide = titled("Value scorecard (actual / target)")
    headers, rows = scorecard_rows(pack)
    shape = slide.shapes.add_table(
        len(rows) + 1,
        len(headers),
        Inches(0.5),
        Inches(1.4),
        Inches(12.3),
        Inches(0.4) * (len(rows) + 1),
    )
    for column, header in enumerate(headers):
        shape.table.cell(0, column).text = header
    for row_index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            cell = shape.table.cell(row_index, column)
            cell.text = value
            cell.text_frame.paragraphs[0].font.size = Pt(12)
    shape.table.columns[0].width = Inches(4.3)
    for column in range(1, len(headers)):
        shape.table.columns[column].width = Emu(int(Inches(8) / (len(headers) - 1)))

    # Scorecard trend: one native line chart per measure, four to a slide.
    measures = pack["scorecard"].rows
    categories = [q.short_label for q in pack["scorecard"].quarters]
    for first in range(0, len(measures), 4):
        slide = titled("Scorecard trend")
        for offset, row in enumerate(measures[first : first + 4]):
            data = CategoryChartData()
            data.categories = categories
            data.add_series(
                "Target", [_float(cell.target) if cell else None for cell in row.cells]
            )
            data.add_series(
                "Actual", [_float(cell.actual) if cell else None for cell in row.cells]
            )
            left = Inches(0.5 + 6.3 * (offset % 2))
            top = Inches(1.3 + 3.0 * (offset // 2))
            chart = slide.shapes.add_chart(
                XL_CHART_TYPE.LINE_MARKERS, left, top, Inches(6), Inches(2.9), data
            ).chart
            unit = f" ({row.measure.unit})" if row.measure.unit else ""
            chart.has_title = True
            chart.chart_title.text_frame.text = f"{row.measure.name}{unit}"
            chart.chart_title.text_frame.paragraphs[0].font.size = Pt(14)
            chart.has_legend = True
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False

    # Quadrant: an XY chart with the path and the two thresholds.
    slide = titled("Quadrant position and path")
    path = pack["path"]
    thresholds = pack["thresholds"]
    xy = XyChartData()
    series = xy.add_series("Account path")
    for point in path:
        series.add_data_point(point["performance"], point["potential"])
    vertical = xy.add_series("Performance threshold")
    vertical.add_data_point(thresholds["performance"], 0)
    vertical.add_data_point(thresholds["performance"], 100)
    horizontal = xy.add_series("Potential threshold")
    horizontal.add_data_point(0, thresholds["potential"])
    horizontal.add_data_point(100, thresholds["potential"])
    chart = slide.shapes.add_chart(
        XL_CHART_TYPE.XY_SCATTER_LINES,
        Inches(0.5),
        Inches(1.3),
        Inches(7.5),
        Inches(5.9),
        xy,
    ).chart
    for axis in (chart.category_axis, chart.value_axis):
        axis.minimum_scale, axis.maximum_scale = 0, 100
        axis.has_major_gridlines = False
    chart.category_axis.has_title = True
    chart.category_axis.axis_title.text_frame.text = "Performance"
    chart.value_axis.has_title = True
    chart.value_axis.axis_title.text_frame.text = "Potential"
    for plot_series in list(chart.plots[0].series)[1:]:
        plot_series.format.line.color.rgb = RGBColor(0xBB, 0xBB, 0xBB)
        plot_series.marker.style = None
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    box = slide.shapes.add_textbox(Inches(8.3), Inches(1.4), Inches(4.6), Inches(5))
    frame = box.text_frame
    frame.word_wrap = True
    lines = [
        f"{point['quarter']}: {point['quadrant']} "
        f"({point['performance_text']} / {point['potential_text']})"
        for point in path
    ] or ["No kept score runs in these quarters."]
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(16)
        colour = QUADRANT_COLOURS.get(path[index]["quadrant"]) if path else None
        if colour:
            paragraph.font.color.rgb = RGBColor.from_string(colour)

    bullets(
        "What changed since the last review",
        [change.line for change in pack["changes"][:14]]
        + (
            [f"And {len(pack['changes']) - 14} more."]
            if len(pack["changes"]) > 14
            else []
        ),
    )
    bullets(
        "Key people and sentiment",
        [
            f"{p.name}, {p.title or 'no title'}: {p.get_sentiment_display()}, "
            f"influence {p.get_influence_display().lower()}"
            for p in pack["people"]
        ],
    )
    bullets(
        "Strategic alignment, risks and external forces",
        [
            f"{s.title} ({s.get_kind_display().lower()})"
            + (
                ": " + ", ".join(a.product.name for a in s.alignments.all())
                if s.alignments.all()
                else ""
            )
            for s in pack["strategies"]
        ]
        + [
            f"Risk: {f.title} ({f.get_impact_display().lower()} impact)"
            for f in pack["forces"]
        ],
    )
    bullets(
        "Voice of the customer",
        [
            f"{v.get_kind_display()}, {v.who}, {v.said_on:%d %b %Y}: "
            + (
                f"{number_text(v.score)} of {number_text(v.score_max)} "
                if _score_shown(v)
                else ""
            )
            + v.body
            for v in pack["voices"]
        ],
    )
    review = pack["review"]
    bullets(
        "Decisions and next steps",
        [
            f"Decisions: {review.decisions or 'none recorded'}",
            f"Next steps: {review.next_steps or 'none recorded'}",
        ]
        if review
        else ["Not recorded yet."],
    )

    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
