"""The row report CSV lists every row: what became of it, and why."""

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from accounts import wizard
from accounts.models import ImportJob, User
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory, UserFactory

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
PEOPLE = Path(__file__).parents[1] / "stakeholders" / "fixtures"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def imported(path: Path, *, keep_good_rows: bool = False) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(
        mapped=mapped, merges={}, keep_good_rows=keep_good_rows, enqueue=False
    )
    return mapped_import_run(mapped=mapped)


def rows_section(job: ImportJob) -> list[list[str]]:
    table = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    return table[: table.index([])]


def test_every_row_is_reported_created_then_unchanged(tmp_path) -> None:
    # given
    path = tmp_path / "accounts.csv"
    path.write_text("Account Name,Employees\nPelican Paper Co,120\nGull Bank,3400\n")
    AccountFactory.create(name="Gull Bank", employees=3400)

    # when
    first = imported(path)
    path.write_text("Account Name,Employees\nPelican Paper Co,125\nGull Bank,3400\n")
    again = imported(path)

    # then
    assert rows_section(first) == [
        ["file", "line", "outcome", "object", "reason"],
        ["accounts.csv", "2", "created", "account Pelican Paper Co", ""],
        ["accounts.csv", "3", "unchanged", "account Gull Bank", ""],
    ]
    assert rows_section(again) == [
        ["file", "line", "outcome", "object", "reason"],
        ["accounts.csv", "2", "updated", "account Pelican Paper Co", ""],
        ["accounts.csv", "3", "unchanged", "account Gull Bank", ""],
    ]


def test_a_rejected_row_is_reported_with_its_reason() -> None:
    job = imported(WIZARD / "one_bad_row.csv", keep_good_rows=True)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert rows_section(job) == [
        ["file", "line", "outcome", "object", "reason"],
        ["one_bad_row.csv", "2", "created", "account Good Co", ""],
        ["one_bad_row.csv", "3", "rejected", "", "Employees: not a number"],
    ]


def test_an_import_that_wrote_nothing_reports_its_issues_only() -> None:
    job = imported(WIZARD / "one_bad_row.csv")

    report = "".join(mapped_import_report_csv(job=job))

    assert job.status == ImportJob.Status.REJECTED
    assert report.splitlines()[:2] == [
        "file,line,column,value,reason,action",
        "one_bad_row.csv,3,Employees,ten,not a number,rejected",
    ]


@pytest.fixture
def rita(db: None) -> User:
    return UserFactory.create(
        username="rita", first_name="Rita", last_name="Rep", external_id="005R1"
    )


def test_parent_links_and_owners_are_reported_at_their_rows(tmp_path, rita) -> None:
    # given
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Id,Name,ParentId,OwnerId\n"
        "001P,Pelican Holdings,,005R1\n"
        "001C,Pelican Paper Co,001P,005R1\n"
    )

    # when
    job = imported(path)

    # then
    assert rows_section(job) == [
        ["file", "line", "outcome", "object", "reason"],
        ["accounts.csv", "2", "created", "account Pelican Holdings", ""],
        ["accounts.csv", "3", "created", "account Pelican Paper Co", ""],
        [
            "accounts.csv",
            "3",
            "updated",
            "account Pelican Paper Co",
            "from this row: parent link to Pelican Holdings",
        ],
        [
            "accounts.csv",
            "2",
            "created",
            "account team member Rita Rep on Pelican Holdings",
            "from this row: the account's owner joins its team",
        ],
        [
            "accounts.csv",
            "3",
            "created",
            "account team member Rita Rep on Pelican Paper Co",
            "from this row: the account's owner joins its team",
        ],
    ]


DEALS = (
    "Id,Name,AccountId,StageName,Amount,CloseDate,IsWon,IsClosed,OwnerId\n"
    "006A,Fjord press,001F,Closed Won,1000,2026-02-10,true,true,005R1\n"
    "006B,Fjord spares,001F,Closed Won,500,2026-03-02,true,true,005R1\n"
    "006C,Fjord service,001F,Closed Won,200,2026-05-20,true,true,005R1\n"
)


def test_won_revenue_and_deal_owners_are_reported_at_their_rows(tmp_path, rita) -> None:
    # given
    AccountFactory.create(name="Fjord Freight AB", external_id="001F")
    path = tmp_path / "deals.csv"
    path.write_text(DEALS)

    # when
    first = imported(path)
    again = imported(path)

    # then: a quarter's revenue line sits at its first deal's row
    won = "from this row: the quarter's won deals summed"
    assert rows_section(first) == [
        ["file", "line", "outcome", "object", "reason"],
        [
            "deals.csv",
            "2",
            "created",
            "product Unspecified",
            "from this row: its product was not in Lode yet",
        ],
        ["deals.csv", "2", "created", "opportunity 006A", ""],
        ["deals.csv", "3", "created", "opportunity 006B", ""],
        ["deals.csv", "4", "created", "opportunity 006C", ""],
        [
            "deals.csv",
            "2",
            "created",
            "account team member Rita Rep on Fjord Freight AB",
            "from this row: the deal's owner joins the account's team",
        ],
        [
            "deals.csv",
            "2",
            "created",
            "revenue line Fjord Freight AB / Unspecified / 2026-01-01 / USD",
            f"{won} with line 3",
        ],
        [
            "deals.csv",
            "4",
            "created",
            "revenue line Fjord Freight AB / Unspecified / 2026-04-01 / USD",
            won,
        ],
    ]
    assert rows_section(again) == [
        ["file", "line", "outcome", "object", "reason"],
        ["deals.csv", "2", "unchanged", "opportunity 006A", ""],
        ["deals.csv", "3", "unchanged", "opportunity 006B", ""],
        ["deals.csv", "4", "unchanged", "opportunity 006C", ""],
        [
            "deals.csv",
            "2",
            "unchanged",
            "revenue line Fjord Freight AB / Unspecified / 2026-01-01 / USD",
            f"{won} with line 3",
        ],
        [
            "deals.csv",
            "4",
            "unchanged",
            "revenue line Fjord Freight AB / Unspecified / 2026-04-01 / USD",
            won,
        ],
    ]
    # one report line per record the counts name
    assert {table: c["created"] for table, c in first.counts.items()} == {
        "Opportunities": 3,
        "Products": 1,
        "Account team members": 1,
        "Revenue lines": 2,
    }


def test_reporting_lines_between_people_are_reported_at_their_rows() -> None:
    AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")

    job = imported(PEOPLE / "salesforce_contacts.csv")

    assert rows_section(job)[1:] == [
        ["salesforce_contacts.csv", "2", "created", "person Ines Gruber", ""],
        ["salesforce_contacts.csv", "3", "created", "person Tom Yates", ""],
        ["salesforce_contacts.csv", "4", "created", "person Lena Ortiz", ""],
        [
            "salesforce_contacts.csv",
            "3",
            "created",
            "person Tom Yates",
            "from this row: reports to Ines Gruber",
        ],
        [
            "salesforce_contacts.csv",
            "4",
            "created",
            "person Lena Ortiz",
            "from this row: reports to Tom Yates",
        ],
    ]


def test_the_report_goes_out_a_chunk_of_lines_at_a_time(
    tmp_path, monkeypatch, client, ops
) -> None:
    # given: five rows, and chunks of two lines
    monkeypatch.setattr(wizard, "REPORT_CHUNK_LINES", 2)
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account Name,Employees\n" + "".join(f"Co {n},{n}\n" for n in range(1, 6))
    )
    job = imported(path)
    client.force_login(ops)

    # when
    chunks = list(mapped_import_report_csv(job=job))
    page = client.get(reverse("accounts:wizard_report_csv", args=[job.pk]))
    api = client.get(reverse("accounts_api:import_report_csv", args=[job.pk]))

    # then: the rows were read two at a time, never all together
    assert [chunk.splitlines() for chunk in chunks[:3]] == [
        [
            "file,line,outcome,object,reason",
            "accounts.csv,2,created,account Co 1,",
            "accounts.csv,3,created,account Co 2,",
        ],
        [
            "accounts.csv,4,created,account Co 3,",
            "accounts.csv,5,created,account Co 4,",
        ],
        ["accounts.csv,6,created,account Co 5,"],
    ]
    assert chunks[3].splitlines() == [
        "",
        "file,line,column,value,reason,action",
        "",
        "table,created,updated,unchanged,rejected",
        "Accounts,5,0,0,0",
    ]
    assert len(chunks) == 4
    for response in (page, api):
        assert response.streaming
        assert list(response.streaming_content) == [c.encode() for c in chunks]
