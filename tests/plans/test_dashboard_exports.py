"""Dashboard exports: CSV and XLSX, neutralised text, numbers kept, access."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Account, AuditEvent
from plans.exports import Table, cell_neutralise, table_csv, tables_xlsx
from tests.plans.test_dashboard import Team, build_team

HOSTILE = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rReturn"]


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_it_neutralises_text_that_a_spreadsheet_would_run() -> None:
    assert [cell_neutralise(text) for text in HOSTILE] == [
        "'=1+2",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tTab",
        "'\rReturn",
    ]
    assert cell_neutralise("Plain = fine") == "Plain = fine"
    assert cell_neutralise(-5) == -5
    assert cell_neutralise(Decimal("-1.50")) == Decimal("-1.50")


def test_it_leaves_a_signed_number_written_as_text() -> None:
    assert [
        cell_neutralise(text) for text in ["-99.99", "+5", "-1,234.50", "-1,23", "-9e9"]
    ] == ["-99.99", "+5", "-1,234.50", "'-1,23", "'-9e9"]


def test_csv_keeps_negative_numbers_and_neutralises_text() -> None:
    table = Table(
        name="T",
        headers=["Name", "Revenue", "Day"],
        rows=[[text, Decimal("-1250.50"), date(2026, 3, 31)] for text in HOSTILE],
    )

    rows = _csv_rows(table_csv(table=table))

    assert rows[0] == ["Name", "Revenue", "Day"]
    assert [row[0] for row in rows[1:]] == [
        "'=1+2",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tTab",
        "'\rReturn",
    ]
    assert {Decimal(row[1]) for row in rows[1:]} == {Decimal("-1250.50")}
    assert rows[1][2] == "2026-03-31"


def test_xlsx_stores_text_as_text_and_numbers_as_numbers() -> None:
    table = Table(
        name="Accounts: all",
        headers=["Name", "Revenue"],
        rows=[[text, Decimal("-1250.50")] for text in HOSTILE],
    )

    workbook = load_workbook(io.BytesIO(tables_xlsx(tables=[table])))

    sheet = workbook["Accounts all"]
    names = [sheet.cell(row=row, column=1) for row in range(2, len(HOSTILE) + 2)]
    # Typed as text, the cells need no apostrophe: nothing in them runs. A
    # control character is stored escaped as _xHHHH_, as the format has it;
    # Excel reads it back, openpyxl leaves it as written.
    assert [
        re.sub(r"_x([0-9A-F]{4})_", lambda code: chr(int(code[1], 16)), cell.value)
        for cell in names
    ] == HOSTILE
    assert {cell.data_type for cell in names} == {"s"}
    assert sheet.cell(row=2, column=2).value == -1250.5
    assert sheet.cell(row=2, column=2).data_type == "n"


@pytest.fixture
def team_data(db: None) -> Team:
    team = build_team()
    acme = team.accounts["Acme"]
    Account.objects.filter(pk=acme.pk).update(name='=HYPERLINK("http://x","Acme")')
    return team


def test_the_accounts_csv_export_reimports_as_the_dashboard(
    client: Client, team_data: Team
) -> None:
    client.force_login(team_data.manager)

    response = client.get(
        reverse("plans:dashboard_export", args=["csv"]), {"table": "accounts"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response.getvalue())
    header, body = rows[0], rows[1:]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert set(by_name) == {
        '\'=HYPERLINK("http://x","Acme")',
        "Bolt",
        "Crane",
        "Dune",
    }
    assert float(by_name["Crane"]["TTM revenue"]) == -1250.5
    assert by_name["Crane"]["Plan completeness %"] == "36"
    assert by_name["Dune"]["Quadrant"] == ""
    # Quadrants as the pages name them, never their codes.
    assert by_name["Bolt"]["Quadrant"] == "Expand"
    assert by_name["Crane"]["Quadrant"] == "Maintain"
    quarter_columns = [name for name in header if name.startswith("Quadrant ")]
    assert {by_name["Crane"][name] for name in quarter_columns} <= {"Maintain", ""}
    assert "Maintain" in {by_name["Crane"][name] for name in quarter_columns}
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPORT, actor=team_data.manager
    ).exists()


def test_a_manager_exports_only_the_teams_accounts_in_every_table(
    client: Client, team_data: Team
) -> None:
    client.force_login(team_data.manager)

    response = client.get(reverse("plans:dashboard_export", args=["xlsx"]))

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.getvalue()))
    assert workbook.sheetnames == [
        "Accounts",
        "Quarters",
        "Plan completeness",
        "Figures",
    ]
    every_cell = [
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    ]
    assert not any("Edge" in cell for cell in every_cell)
    accounts = workbook["Accounts"]
    names = [row[0] for row in accounts.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(
        ['=HYPERLINK("http://x","Acme")', "Bolt", "Crane", "Dune"]
    )
    assert accounts.cell(row=names.index(min(names)) + 2, column=1).data_type == "s"
    revenue_column = [cell.value for cell in accounts[1]].index("TTM revenue") + 1
    crane_row = names.index("Crane") + 2
    assert accounts.cell(row=crane_row, column=revenue_column).value == -1250.5
    plans = workbook["Plan completeness"]
    assert [row[:2] for row in plans.iter_rows(min_row=2, values_only=True)] == [
        ("Crane", 36),
        ('=HYPERLINK("http://x","Acme")', 86),
    ]
    states = {
        cell for row in plans.iter_rows(min_row=2, values_only=True) for cell in row[2:]
    }
    assert states <= {"Fresh", "Stale", "Missing"}


def test_the_export_follows_the_filters_and_refuses_unknown_tables(
    client: Client, team_data: Team
) -> None:
    client.force_login(team_data.manager)
    url = reverse("plans:dashboard_export", args=["csv"])

    filtered = client.get(url, {"table": "accounts", "tier": "C"})
    unknown = client.get(url, {"table": "secrets"})
    odd_format = client.get(reverse("plans:dashboard_export", args=["pdf"]))

    assert [row[0] for row in _csv_rows(filtered.getvalue())[1:]] == ["Bolt"]
    assert unknown.status_code == 404
    assert odd_format.status_code == 404


def test_an_outsider_exports_nothing_of_the_team(
    client: Client, team_data: Team
) -> None:
    client.force_login(team_data.otto)

    response = client.get(
        reverse("plans:dashboard_export", args=["csv"]), {"table": "accounts"}
    )

    assert [row[0] for row in _csv_rows(response.getvalue())[1:]] == ["Edge"]
