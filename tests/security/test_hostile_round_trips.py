"""Hostile names written through the API and the page forms read back as typed.

test_escaping.py writes its names straight into the database; here they
go in the way a user sends them, and come back out of the page, the API,
the chart data, the dashboard's and the review's CSV, XLSX, PDF and
PowerPoint: a scorecard's measures, and accounts renamed by hand.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PdfReader

from accounts.models import Account, RevenueLine, User
from plans.calendar import fiscal_quarter_current
from scoring.models import ScoreRun
from scoring.services import score_run_request
from tests.accounts.factories import AccountFactory, ProductFactory, UserFactory
from tests.security.test_escaping import FORMULA, HOSTILE, _plotly_label_text

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


# Accounts renamed by hand: one through the API, one through its form


@pytest.fixture
def renamed(
    rep: User, manager: User, account: Account, django_capture_on_commit_callbacks
) -> tuple[Account, Account]:
    """Two scored accounts, renamed after the run and after an export."""
    globex = AccountFactory.create(name="Globex")
    globex.team_members.add(rep)
    product = ProductFactory.create(name="GTX Pro")
    for index, each in enumerate([account, globex]):
        RevenueLine.objects.create(
            account=each,
            product=product,
            quarter_start=date(2017, 4, 1),
            amount=Decimal(1000 * (index + 1)),
        )
    with django_capture_on_commit_callbacks(execute=True):
        score_run_request(trigger="manual")
    # The dashboard is stored once read: the renames must not find it kept.
    reader = Client()
    reader.force_login(manager)
    before = reader.get(reverse("plans:dashboard_export", args=["xlsx"]))
    assert before.status_code == 200
    # Only sales ops, who see every account, rename one.
    client = Client()
    client.force_login(UserFactory.create(username="opal", role=User.Role.OPS))

    with django_capture_on_commit_callbacks(execute=True):
        etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]
        by_api = client.patch(
            f"/api/accounts/{account.pk}/",
            {"name": HOSTILE},
            "application/json",
            HTTP_IF_MATCH=etag,
        )
    form = client.get(reverse("accounts:edit", args=[globex.pk])).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        by_form = client.post(
            reverse("accounts:edit", args=[globex.pk]),
            {
                **{name: value or "" for name, value in form.initial.items()},
                "name": FORMULA,
            },
        )

    assert by_api.status_code == 200, by_api.content
    assert by_form.status_code == 302, by_form.content
    account.refresh_from_db()
    globex.refresh_from_db()
    assert (account.name, globex.name) == (HOSTILE, FORMULA)
    return account, globex


def test_renamed_accounts_read_back_as_typed_in_the_api(rep, renamed):
    account, globex = renamed
    client = Client()
    client.force_login(rep)

    listed = client.get("/api/accounts/").json()["results"]
    detail = client.get(f"/api/accounts/{account.pk}/").json()
    scores = client.get("/api/scoring/scores/").json()["results"]

    assert sorted(row["name"] for row in listed) == sorted([HOSTILE, FORMULA])
    assert detail["name"] == HOSTILE
    assert sorted(row["account"] for row in scores) == sorted([HOSTILE, FORMULA])


def test_renamed_accounts_are_text_on_every_page(rep, renamed):
    account, globex = renamed
    client = Client()
    client.force_login(rep)
    pages = [
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/edit/",
        f"/accounts/{globex.pk}/",
        f"/accounts/{globex.pk}/edit/",
        "/scoring/portfolio/",
        "/plans/",
    ]

    for path in pages:
        html = client.get(path).content.decode()
        assert HOSTILE not in html, path

    detail = client.get(f"/accounts/{account.pk}/").content.decode()
    edit = client.get(f"/accounts/{globex.pk}/edit/").content.decode()
    assert "<h1>&lt;img src=x onerror=alert(1)&gt;</h1>" in detail
    assert 'value="=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)"' in (
        edit
    )
    # The history shows the old and new names as text too.
    history = client.get(f"/accounts/{account.pk}/edit/").content.decode()
    assert "<td>Acme Corporation</td><td>&lt;img src=x onerror=alert(1)&gt;</td>" in (
        history
    )


def test_renamed_accounts_are_literal_text_in_the_chart_data(rep, renamed):
    client = Client()
    client.force_login(rep)

    stored = ScoreRun.objects.get(is_current=True).figure
    served = client.get(reverse("scoring:portfolio_figure")).json()["figure"]

    for figure in (stored, served):
        labels = [
            label
            for trace in figure["data"]
            if "customdata" in trace
            for label in trace["text"]
        ]
        assert not any("<img" in label for label in labels)
        shown = sorted(_plotly_label_text(label).splitlines()[1] for label in labels)
        assert shown == sorted([HOSTILE, FORMULA])


def test_renamed_accounts_are_inert_in_the_dashboard_csv_and_xlsx(manager, renamed):
    client = Client()
    client.force_login(manager)
    csv_url = reverse("plans:dashboard_export", args=["csv"]) + "?table=accounts"
    xlsx_url = reverse("plans:dashboard_export", args=["xlsx"])

    text = client.get(csv_url).getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(client.get(xlsx_url).getvalue()))["Accounts"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]

    assert sorted(row[0] for row in rows[1:]) == sorted([HOSTILE, "'" + FORMULA])
    assert sorted(cell.value for cell in cells) == sorted([HOSTILE, FORMULA])
    assert {cell.data_type for cell in cells} == {"s"}


def test_renamed_accounts_are_text_in_the_review_pdf_and_powerpoint(rep, renamed):
    client = Client()
    client.force_login(rep)

    for each in renamed:
        pdf = PdfReader(io.BytesIO(export(client, each, "pdf")))
        pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
        deck = Presentation(io.BytesIO(export(client, each, "pptx")))
        titles = [
            shape.text_frame.text
            for slide in deck.slides
            for shape in slide.shapes
            if shape.has_text_frame
        ]

        assert f"Executive review: {each.name}," in pdf_text
        assert f"Executive review: {each.name}" in titles
