"""Hostile names written through the API and the page forms read back as typed.

test_escaping.py writes its names straight into the database; here they
go in the way a user sends them, and come back out of the page, the API,
the review's CSV, XLSX, PDF and PowerPoint.
"""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from accounts.models import Account, User
from plans.calendar import fiscal_quarter_current
from tests.security.test_escaping import FORMULA, HOSTILE

pytestmark = pytest.mark.django_db


@pytest.fixture
def written(rep: User, account: Account) -> Client:
    """One measure sent through the API, one through the scorecard's form."""
    client = Client()
    client.force_login(rep)
    by_api = client.post(
        f"/api/plans/accounts/{account.pk}/scorecard/measures/",
        {"name": HOSTILE, "direction": "up", "baseline": "1", "source": FORMULA},
        "application/json",
    )
    by_form = client.post(
        f"/plans/account/{account.pk}/scorecard/measures/",
        {"name": FORMULA, "direction": "up", "baseline": "2", "source": HOSTILE},
    )
    assert by_api.status_code == 201, by_api.content
    assert by_form.status_code == 302, by_form.content
    return client


def export(client: Client, account: Account, file_format: str) -> bytes:
    quarter = fiscal_quarter_current().start.isoformat()
    response = client.get(
        f"/plans/account/{account.pk}/review/{quarter}/export.{file_format}"
    )
    assert response.status_code == 200, file_format
    return response.content


def test_the_api_reads_back_what_was_written(written, account):
    measures = written.get(f"/api/plans/accounts/{account.pk}/scorecard/").json()[
        "measures"
    ]

    assert sorted((m["name"], m["source"]) for m in measures) == sorted(
        [(HOSTILE, FORMULA), (FORMULA, HOSTILE)]
    )


def test_the_scorecard_page_shows_the_names_as_text(written, account):
    page = written.get(f"/plans/account/{account.pk}/scorecard/").text

    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)" in page


def test_the_csv_and_xlsx_hold_the_names_as_inert_text(written, account):
    rows = list(
        csv.reader(io.StringIO(export(written, account, "csv").decode("utf-8-sig")))
    )
    sheet = load_workbook(io.BytesIO(export(written, account, "xlsx"))).worksheets[0]
    # Measure and source, one row per measure and quarter of the year
    cells = [(row[0], row[8]) for row in sheet.iter_rows(min_row=2)]

    assert rows[0][0] == "Measure" and rows[0][8] == "Source"
    assert sorted((row[0], row[8]) for row in rows[1:]) == sorted(
        [(HOSTILE, "'" + FORMULA)] * 4 + [("'" + FORMULA, HOSTILE)] * 4
    )
    assert sorted((name.value, source.value) for name, source in cells) == sorted(
        [(HOSTILE, FORMULA)] * 4 + [(FORMULA, HOSTILE)] * 4
    )
    # Typed as text, the workbook's cells run nothing.
    assert {cell.data_type for pair in cells for cell in pair} == {"s"}


def test_the_pdf_and_powerpoint_show_the_names_as_typed(written, account):
    pdf = PdfReader(io.BytesIO(export(written, account, "pdf")))
    pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
    deck = Presentation(io.BytesIO(export(written, account, "pptx")))
    deck_text = [
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]

    assert f"{HOSTILE}: source {FORMULA}." in pdf_text
    assert f"{FORMULA}: source {HOSTILE}." in pdf_text
    assert f"Trend: {HOSTILE}" in pdf_text
    assert HOSTILE in deck_text
    assert FORMULA in deck_text
