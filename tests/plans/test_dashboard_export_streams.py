"""The dashboard's exports read their rows as they write them.

At 100,000 accounts the plan completeness table and the workbook must not
be built in memory: the CSV streams the stored rows a chunk at a time, and
so does the workbook, its sheets compressed as they are written. These
tests watch the rows being read as the file is written, on the
hand-counted team of test_dashboard.py grown by a dozen accounts with
plans.
"""

import io
import zipfile
from collections.abc import Iterable, Iterator

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from plans.dashboard import AccountRow, Dashboard, dashboard_for_user, dashboard_tables
from plans.dashboard_summaries import (
    dashboard_summary_for_user,
    dashboard_summary_row_stream,
)
from plans.exports import csv_chunks, table_csv, tables_xlsx, xlsx_chunks
from tests.plans.test_dashboard import Team, _grow, build_team


@pytest.fixture
def team_data(db: None) -> Team:
    team = build_team()
    _grow(12, team.manager, team.ray, "Grown")
    return team


def _stored(team: Team) -> Dashboard:
    dashboard = dashboard_summary_for_user(user=team.manager)
    assert isinstance(dashboard, Dashboard), "the dashboard is being prepared"
    return dashboard


def _open_cursors() -> int:
    """Count this connection's open server-side cursors (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django%%'")
        return int(cursor.fetchone()[0])


def test_the_plan_table_reads_its_rows_a_chunk_at_a_time(
    team_data: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the stored rows fetched two at a time, as they are counted
    monkeypatch.setattr("plans.dashboard_summaries.ROWS_STREAMED", 2)
    stored = _stored(team_data)
    read: list[str] = []

    def counted(rows: Iterable[AccountRow]) -> Iterator[AccountRow]:
        for row in rows:
            read.append(row.name)
            yield row

    ranked = counted(dashboard_summary_row_stream(dashboard=stored, ranked=True))
    plans = dashboard_tables(dashboard=stored, rows=[], ranked=ranked)[2]
    chunks = csv_chunks(headers=plans.headers, rows=plans.rows, rows_per_chunk=2)

    # when: the headers, then the first two rows
    headers = next(chunks)
    read_before_rows = list(read)
    first = next(chunks)

    # then: nothing is read before the headers leave, and two rows a chunk
    assert read_before_rows == []
    assert headers.decode("utf-8-sig").splitlines() == [
        "Account,Completeness %,Summary,Strategies,Solution alignment,"
        "Pursuits,Open actions,People,Manager review"
    ]
    assert len(first.decode().splitlines()) == 2
    assert read == ["Crane", "Grown 0"]
    if connection.vendor == "postgresql":
        # The rows come through a server-side cursor, open while they do.
        assert _open_cursors() == 1
    rest = b"".join(chunks)
    assert len(read) == 14
    assert headers + first + rest == table_csv(
        table=dashboard_tables(dashboard=dashboard_for_user(user=team_data.manager))[2]
    )
    if connection.vendor == "postgresql":
        assert _open_cursors() == 0


def test_the_plan_completeness_csv_is_streamed_as_ranked(
    client: Client, team_data: Team
) -> None:
    # given
    client.force_login(team_data.manager)
    client.get(reverse("plans:dashboard"))
    url = reverse("plans:dashboard_export", args=["csv"])

    # when
    response = client.get(url, {"table": "plan-completeness"})

    # then: least complete first, names breaking ties
    assert isinstance(response, StreamingHttpResponse)
    lines = response.getvalue().decode("utf-8-sig").splitlines()
    assert [line.split(",")[:2] for line in lines[:3]] == [
        ["Account", "Completeness %"],
        ["Crane", "36"],
        ["Grown 0", "57"],
    ]
    assert [line.split(",")[0] for line in lines[-2:]] == ["Grown 9", "Acme"]
    assert len(lines) == 1 + 14


def test_the_workbook_is_streamed_as_its_rows_are_read(
    client: Client, team_data: Team
) -> None:
    # given
    client.force_login(team_data.manager)
    client.get(reverse("plans:dashboard"))
    expected = dashboard_tables(dashboard=dashboard_for_user(user=team_data.manager))

    # when
    response = client.get(reverse("plans:dashboard_export", args=["xlsx"]))

    # then: streamed, each sheet's text written inline in its rows rather
    # than in a shared table held to the end, holding every table's rows
    assert isinstance(response, StreamingHttpResponse)
    body = response.getvalue()
    parts = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "xl/sharedStrings.xml" not in parts
    sheet = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml")
    assert b't="inlineStr"' in sheet
    shown = load_workbook(io.BytesIO(body))
    fresh = load_workbook(io.BytesIO(tables_xlsx(tables=expected)))
    assert [
        [[cell.value for cell in row] for row in sheet.iter_rows()]
        for sheet in shown.worksheets
    ] == [
        [[cell.value for cell in row] for row in sheet.iter_rows()]
        for sheet in fresh.worksheets
    ]
    assert [sheet.max_row for sheet in shown.worksheets] == [17, 5, 15, 50]
    assert shown.sheetnames == [
        "Accounts",
        "Quarters",
        "Plan completeness",
        "Figures",
    ]
    assert shown["Accounts"].freeze_panes == "A2"
    assert shown["Accounts"]["A1"].font.b is True


def test_the_workbook_leaves_in_chunks_as_its_rows_are_read(
    team_data: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: chunks of a few hundred bytes, the rows counted as read
    monkeypatch.setattr("plans.exports._CHUNK_BYTES", 1)
    monkeypatch.setattr("plans.exports._ROWS_WRITTEN", 2)
    stored = _stored(team_data)
    read: list[str] = []

    def counted(rows: Iterable[AccountRow]) -> Iterator[AccountRow]:
        for row in rows:
            read.append(row.name)
            yield row

    accounts = dashboard_tables(
        dashboard=stored,
        rows=counted(dashboard_summary_row_stream(dashboard=stored)),
        ranked=[],
    )[0]

    # when: the first chunk of the sheet's rows
    chunks = xlsx_chunks(tables=[accounts])
    first = next(chunks)

    # then: it left after two rows were read, not all seventeen
    assert first
    assert len(read) == 2
    rest = b"".join(chunks)
    assert len(read) == 16
    sheet = load_workbook(io.BytesIO(first + rest)).worksheets[0]
    assert [row[0].value for row in sheet.iter_rows(max_row=3)] == [
        "Account",
        *read[:2],
    ]
