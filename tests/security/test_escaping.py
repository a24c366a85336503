import csv
import html
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Account, RevenueLine, User
from scoring.models import ScoreRun
from scoring.services import score_run_request
from tests.accounts.factories import AccountFactory, ProductFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def hostile_account(rep: User) -> Account:
    account = AccountFactory.create(name=HOSTILE, sector=FORMULA)
    account.team_members.add(rep)
    return account


def test_a_hostile_name_is_literal_text_in_the_api(client, rep, hostile_account):
    client.force_login(rep)

    listed = client.get("/api/accounts/").json()["results"][0]
    detail = client.get(f"/api/accounts/{hostile_account.pk}/").json()

    assert listed["name"] == HOSTILE
    assert detail["name"] == HOSTILE
    assert detail["sector"] == FORMULA


def test_a_hostile_name_is_never_raw_markup_on_a_page(client, rep, hostile_account):
    client.force_login(rep)
    pages = [
        f"/accounts/{hostile_account.pk}/",
        "/scoring/portfolio/",
        "/plans/",
    ]

    for path in pages:
        html = client.get(path).content.decode()
        assert HOSTILE not in html, path

    detail = client.get(f"/accounts/{hostile_account.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail


# Chart data and exports


def _plotly_label_text(label: str) -> str:
    """Return what plotly.js shows for a hover label: tags out, entities in."""
    return html.unescape(re.sub(r"</?(?:b|i|br)\s*/?>", "\n", label))


@pytest.fixture
def scored_hostile_accounts(rep: User, django_capture_on_commit_callbacks) -> list:
    product = ProductFactory.create(name="GTX Pro")
    accounts = [
        AccountFactory.create(name=HOSTILE, sector="retail"),
        AccountFactory.create(name=FORMULA, sector="retail"),
        AccountFactory.create(name="Plain Industries", sector="retail"),
    ]
    for index, account in enumerate(accounts):
        account.team_members.add(rep)
        RevenueLine.objects.create(
            account=account,
            product=product,
            quarter_start=date(2017, 4, 1),
            amount=Decimal(1000 * (index + 1)),
        )
    with django_capture_on_commit_callbacks(execute=True):
        score_run_request(trigger="manual")
    return accounts


def test_a_hostile_name_is_literal_text_in_the_chart_data(
    client, rep, scored_hostile_accounts
):
    run = ScoreRun.objects.get(is_current=True)
    labels = [label for trace in run.figure["data"] for label in trace.get("text", [])]

    # No tag of the name reaches plotly.js as markup...
    assert labels
    assert not any("<img" in label for label in labels)
    # ...and what plotly.js shows is the name as typed.
    shown = [_plotly_label_text(label).splitlines()[1] for label in labels]
    assert HOSTILE in shown
    assert FORMULA in shown

    client.force_login(rep)
    page = client.get("/scoring/portfolio/").content.decode()
    assert "<img src=x" not in page


def test_hostile_names_are_literal_text_in_the_dashboard_csv_and_xlsx(
    client, manager, scored_hostile_accounts
):
    client.force_login(manager)

    csv_response = client.get(
        reverse("plans:dashboard_export", args=["csv"]) + "?table=accounts"
    )
    xlsx_response = client.get(reverse("plans:dashboard_export", args=["xlsx"]))

    assert csv_response.status_code == 200
    names = [
        row[0]
        for row in csv.reader(io.StringIO(csv_response.getvalue().decode("utf-8-sig")))
    ]
    assert HOSTILE in names
    assert "'" + FORMULA in names
    assert FORMULA not in names

    assert xlsx_response.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx_response.getvalue()))["Accounts"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    values = [cell.value for cell in cells]
    assert HOSTILE in values
    # Typed as text, the cell runs nothing and needs no apostrophe.
    assert FORMULA in values
    assert all(cell.data_type == "s" for cell in cells)
