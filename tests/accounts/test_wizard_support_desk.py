"""Support-desk exports of issue #6: their headers and per cent CSAT."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from accounts.models import ImportJob, SupportSignal
from accounts.tabular import percent_text
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
)
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
PERCENT = WIZARD / "support_csat_percent.csv"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

OVER_100 = (
    "CSAT 120% is outside 0% to 100%; a satisfaction percentage cannot go beyond them"
)
BELOW_0 = (
    "CSAT -5% is outside 0% to 100%; a satisfaction percentage cannot go beyond them"
)


def proposed(path: Path) -> tuple[str, dict[str, tuple[str, str]]]:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    (preview,) = mapped_import_files_read(mapped=mapped)
    return preview.kind, preview.mapping


def signals() -> list[tuple]:
    return list(
        SupportSignal.objects.order_by("period_start").values_list(
            "period_start", "tickets", "satisfaction", "nps"
        )
    )


def test_a_desk_export_with_tickets_created_and_csat_is_recognised() -> None:
    assert proposed(PERCENT) == (
        "support desk",
        {
            "Organization": ("support", "account_name"),
            "Month": ("support", "period"),
            "Tickets created": ("support", "tickets"),
            "Satisfaction score (CSAT)": ("support", "satisfaction"),
            "Net Promoter Score": ("support", "nps"),
        },
    )


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Tickets", "tickets"),
        ("Tickets created", "tickets"),
        ("Ticket count", "tickets"),
        ("Number of tickets", "tickets"),
        ("# of Tickets", "tickets"),
        ("No. of tickets", "tickets"),
        ("Total tickets", "tickets"),
        ("New tickets", "tickets"),
        ("Tickets received", "tickets"),
        ("Incidents", "tickets"),
        ("Number of incidents", "tickets"),
        ("Cases created", "tickets"),
        ("CSAT", "satisfaction"),
        ("CSAT %", "satisfaction"),
        ("CSAT (%)", "satisfaction"),
        ("CSAT score", "satisfaction"),
        ("Satisfaction score", "satisfaction"),
        ("Satisfaction score (CSAT)", "satisfaction"),
        ("Satisfaction rating", "satisfaction"),
        ("Customer satisfaction", "satisfaction"),
        ("Customer Satisfaction (CSAT)", "satisfaction"),
        ("Customer satisfaction score", "satisfaction"),
        ("NPS", "nps"),
        ("NPS score", "nps"),
        ("Net Promoter Score", "nps"),
        ("Net Promoter Score (NPS)", "nps"),
    ],
)
def test_the_common_desk_headers_are_recognised(
    tmp_path: Path, header: str, field: str
) -> None:
    path = tmp_path / "desk.csv"
    path.write_text(f"Company,Period,{header}\nAcme,2026-01,5\n")

    assert proposed(path) == (
        "support desk",
        {
            "Company": ("support", "account_name"),
            "Period": ("support", "period"),
            header: ("support", field),
        },
    )


def test_per_cent_csat_is_read_and_out_of_range_values_are_refused() -> None:
    AccountFactory.create(name="Acme")

    outcome = mapped_import_check(mapped=opened(PERCENT))

    assert outcome.problems == []
    assert [
        (issue.file, issue.line, issue.column, issue.value, issue.reason)
        for issue in outcome.issues
        if issue.action == "rejected"
    ] == [
        (PERCENT.name, 6, "Satisfaction score (CSAT)", "120%", OVER_100),
        (PERCENT.name, 7, "Satisfaction score (CSAT)", "-5%", BELOW_0),
    ]
    assert (
        PERCENT.name,
        "Satisfaction score (CSAT)",
        "decimal point, per cent: '92%' is kept as 92",
    ) in outcome.decisions


def test_per_cent_csat_is_stored_on_the_0_to_100_scale_zero_apart_from_blank() -> None:
    AccountFactory.create(name="Acme")

    job = imported(PERCENT, keep_good_rows=True)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert signals() == [
        (date(2026, 1, 1), 12, Decimal("92.00"), 41),
        (date(2026, 2, 1), 0, Decimal("80.50"), None),
        (date(2026, 3, 1), None, Decimal("0.00"), -3),
        (date(2026, 4, 1), 3, None, 10),
    ]


def test_a_workbooks_percent_cells_mean_the_per_cent_they_show(
    tmp_path: Path,
) -> None:
    # given: CSAT cells formatted as percentages hold 0.92, shown as 92%
    AccountFactory.create(name="Acme")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Account Name", "Period", "Tickets", "CSAT %", "NPS"])
    rows = [
        ("2026-01", 12, 0.92, "0%"),
        ("2026-02", 0, 0.805, "0.0%"),
        ("2026-03", 4, 0, "0%"),
        ("2026-04", 5, 1.2, "0%"),
        # A format that writes the sign after the number, as text.
        ("2026-05", 6, 88, '0"%"'),
    ]
    for line, (period, tickets, csat, number_format) in enumerate(rows, start=2):
        sheet.append(["Acme", period, tickets, csat, 10])
        sheet.cell(row=line, column=4).number_format = number_format
    sheet.append(["Acme", "2026-06", 7, None, 10])
    path = tmp_path / "desk.xlsx"
    workbook.save(path)

    # when
    job = imported(path, keep_good_rows=True)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert signals() == [
        (date(2026, 1, 1), 12, Decimal("92.00"), 10),
        (date(2026, 2, 1), 0, Decimal("80.50"), 10),
        (date(2026, 3, 1), 4, Decimal("0.00"), 10),
        (date(2026, 5, 1), 6, Decimal("88.00"), 10),
        (date(2026, 6, 1), 7, None, 10),
    ]
    assert [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "rejected"
    ] == [(5, "CSAT %", "120%", OVER_100)]


def test_a_percent_cell_reads_as_the_text_a_spreadsheet_shows() -> None:
    assert [percent_text(value) for value in (0.92, 0.805, 1, 0, -0.05)] == [
        "92%",
        "80.5%",
        "100%",
        "0%",
        "-5%",
    ]


def test_a_per_cent_sign_is_refused_where_a_plain_number_belongs(
    tmp_path: Path,
) -> None:
    AccountFactory.create(name="Acme")
    path = tmp_path / "desk.csv"
    path.write_text("Company,Period,Tickets,NPS\nAcme,2026-01,5%,10\n")

    outcome = mapped_import_check(mapped=opened(path))

    assert [
        (issue.line, issue.column, issue.value, issue.reason)
        for issue in outcome.issues
    ] == [(2, "Tickets", "5%", "a per cent value where a plain number belongs")]
