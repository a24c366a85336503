"""The row report CSV lists every row: what became of it, and why."""

import csv
import io
import random
from pathlib import Path

import pytest
from django.urls import reverse

from accounts import row_report, wizard
from accounts.models import Account, ImportJob, User
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
)
from tests.accounts import company_matching as matching
from tests.accounts.factories import AccountFactory, UserFactory
from tests.accounts.wizard_runs import imported

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
PEOPLE = Path(__file__).parents[1] / "stakeholders" / "fixtures"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def rows_section(job: ImportJob) -> list[list[str]]:
    """Return the report's rows section without its keys, checking its heading."""
    return [row[:-1] for row in keyed_rows_section(job)]


def keyed_rows_section(job: ImportJob) -> list[list[str]]:
    """Return the report's rows section, after checking its heading."""
    table = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    assert table[0] == ["file", "line", "outcome", "object", "reason", "key"]
    return table[1 : table.index([])]


def at(path: str, line: int, outcome: str, what: str, reason: str = "") -> list[str]:
    """Return one line of the rows section."""
    return [path, str(line), outcome, what, reason]


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
        at("accounts.csv", 2, "created", "account Pelican Paper Co"),
        at("accounts.csv", 3, "unchanged", "account Gull Bank"),
    ]
    assert rows_section(again) == [
        at("accounts.csv", 2, "updated", "account Pelican Paper Co"),
        at("accounts.csv", 3, "unchanged", "account Gull Bank"),
    ]


def test_a_rejected_row_is_reported_with_its_reason() -> None:
    job = imported(WIZARD / "one_bad_row.csv", keep_good_rows=True)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert rows_section(job) == [
        at("one_bad_row.csv", 2, "created", "account Good Co"),
        at("one_bad_row.csv", 3, "rejected", "", "Employees: not a number"),
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
    owner = "from this row: the account's owner joins its team"
    assert rows_section(job) == [
        at("accounts.csv", 2, "created", "account Pelican Holdings"),
        at(
            "accounts.csv",
            2,
            "created",
            "account team member Rita Rep on Pelican Holdings",
            owner,
        ),
        at("accounts.csv", 3, "created", "account Pelican Paper Co"),
        at(
            "accounts.csv",
            3,
            "updated",
            "account Pelican Paper Co",
            "from this row: parent link to Pelican Holdings",
        ),
        at(
            "accounts.csv",
            3,
            "created",
            "account team member Rita Rep on Pelican Paper Co",
            owner,
        ),
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
    def deal(line: int, outcome: str) -> list[str]:
        name = {2: "006A", 3: "006B", 4: "006C"}[line]
        return at("deals.csv", line, outcome, f"deal {name} of Fjord Freight AB")

    def revenue(line: int, outcome: str) -> list[str]:
        won = "from this row: the quarter's won deals summed"
        label = "revenue line Fjord Freight AB / Unspecified"
        if line == 2:
            return at(
                "deals.csv",
                2,
                outcome,
                f"{label} / Q1 2026 (won deals)",
                f"{won} with line 3",
            )
        return at("deals.csv", 4, outcome, f"{label} / Q2 2026 (won deals)", won)

    assert rows_section(first) == [
        at(
            "deals.csv",
            2,
            "created",
            "product Unspecified",
            "from this row: the file has no product column, so the deal is filed "
            'under "Unspecified"',
        ),
        deal(2, "created"),
        at(
            "deals.csv",
            2,
            "created",
            "account team member Rita Rep on Fjord Freight AB",
            "from this row: the deal's owner joins the account's team",
        ),
        revenue(2, "created"),
        deal(3, "created"),
        deal(4, "created"),
        revenue(4, "created"),
    ]
    assert rows_section(again) == [
        deal(2, "unchanged"),
        revenue(2, "unchanged"),
        deal(3, "unchanged"),
        deal(4, "unchanged"),
        revenue(4, "unchanged"),
    ]
    # one report line per record the counts name
    assert {table: c["created"] for table, c in first.counts.items()} == {
        "Deals": 3,
        "Products": 1,
        "Account team members": 1,
        "Revenue lines": 2,
    }


def test_reporting_lines_between_people_are_reported_at_their_rows() -> None:
    AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")

    job = imported(PEOPLE / "salesforce_contacts.csv")

    contacts = "salesforce_contacts.csv"
    assert rows_section(job) == [
        at(contacts, 2, "created", "person Ines Gruber"),
        at(contacts, 3, "created", "person Tom Yates"),
        at(
            contacts,
            3,
            "created",
            "person Tom Yates",
            "from this row: reports to Ines Gruber",
        ),
        at(contacts, 4, "created", "person Lena Ortiz"),
        at(
            contacts,
            4,
            "created",
            "person Lena Ortiz",
            "from this row: reports to Tom Yates",
        ),
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
    ids = dict(Account.objects.values_list("name", "pk"))

    def line(number: int) -> str:
        name = f"Co {number}"
        return (
            f"accounts.csv,{number + 1},created,account {name},,"
            f"accounts.account:{ids[name]}"
        )

    assert [chunk.splitlines() for chunk in chunks[:3]] == [
        ["file,line,outcome,object,reason,key", line(1), line(2)],
        [line(3), line(4)],
        [line(5)],
    ]
    assert chunks[3].splitlines() == [
        "",
        "file,line,column,value,reason,action",
        "",
        "table,created,updated,unchanged,rejected",
        "Accounts,5,0,0,0",
    ]
    assert len(chunks) == 4
    # and each download is the same chunks, after the byte order mark Excel
    # needs to read them as UTF-8
    for response in (page, api):
        assert response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert list(response.streaming_content) == [
            "\ufeff".encode(),
            *(c.encode() for c in chunks),
        ]


@pytest.mark.parametrize("run_bytes", [None, 1], ids=["one run", "runs of 1"])
def test_held_and_refused_rows_are_reported_in_file_order(
    client, ops, django_capture_on_commit_callbacks, monkeypatch, tmp_path, run_bytes
) -> None:
    # given: lines 3 and 4 are one account, held to the end; line 5 is refused
    if run_bytes is not None:
        monkeypatch.setattr(row_report, "RUN_BYTES", run_bytes)
    path = tmp_path / "companies.csv"
    path.write_text(
        "Record ID,Company name,Number of Employees\n"
        "9001,Wayne Enterprises,50\n"
        '9002,"Acme Widgets, Inc",120\n'
        "9003,Acme  Widgets Inc.,130\n"
        "9004,Gull Bank,ten\n"
        "9005,Pelican Paper Co,80\n"
    )
    mapped = mapped_import_create_from_paths(user=ops, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    merges = {"Acme  Widgets Inc.": "Acme Widgets, Inc"}

    # when
    job = matching.run(
        django_capture_on_commit_callbacks, mapped, merges=merges, keep_good_rows=True
    )
    client.force_login(ops)
    page = client.get(reverse("accounts:wizard_report", args=[job.pk]))

    # then: the download lists every row by its line
    assert rows_section(job) == [
        at("companies.csv", 2, "created", "account Wayne Enterprises"),
        at("companies.csv", 3, "created", "account Acme Widgets, Inc"),
        at("companies.csv", 4, "created", "account Acme Widgets, Inc"),
        at("companies.csv", 5, "rejected", "", "Number of Employees: not a number"),
        at("companies.csv", 6, "created", "account Pelican Paper Co"),
    ]
    # and so does the page, the merged row's note before the refused row
    assert [(i["line"], i["action"]) for i in page.context["issues"]] == [
        (4, "repaired"),
        (5, "rejected"),
    ]


@pytest.mark.parametrize("fan_in", [16, 2], ids=["one merge", "merges of two"])
def test_the_report_sort_keeps_each_rows_lines_in_order(
    monkeypatch, tmp_path, fan_in
) -> None:
    # given: a report logged by kind of record, in runs of two lines
    monkeypatch.setattr(row_report, "RUN_BYTES", 2 * row_report.LINE_OVERHEAD)
    monkeypatch.setattr(row_report, "MERGE_FAN_IN", fan_in)
    path = tmp_path / "rows.csv"
    path.write_text(
        "b.csv,3,created,account B,,\n"
        "(whole import),0,revenue replaced,,Acme Q3 2017,\n"
        "a.csv,10,created,account A,,\n"
        "b.csv,2,created,account C,,\n"
        "a.csv,10,updated,account A,from this row: parent link to C,\n"
        "a.csv,9,rejected,,Employees: not a number,\n"
    )

    # when
    row_report.row_report_sort(path=path)

    # then
    assert path.read_text().splitlines() == [
        "a.csv,9,rejected,,Employees: not a number,",
        "a.csv,10,created,account A,,",
        "a.csv,10,updated,account A,from this row: parent link to C,",
        "b.csv,2,created,account C,,",
        "b.csv,3,created,account B,,",
        "(whole import),0,revenue replaced,,Acme Q3 2017,",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]


def test_a_report_of_many_runs_is_merged_a_few_at_a_time(monkeypatch, tmp_path) -> None:
    # given: 500 lines in runs of three, merged three at a time, pass on pass
    monkeypatch.setattr(row_report, "RUN_BYTES", 3 * row_report.LINE_OVERHEAD)
    monkeypatch.setattr(row_report, "MERGE_FAN_IN", 3)
    generator = random.Random(6)
    lines = [
        [generator.choice(["a.csv", "b.csv"]), str(generator.randrange(5)), str(n)]
        for n in range(500)
    ]
    path = tmp_path / "rows.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows(lines)
    merges: list[int] = []
    merged = row_report._merged

    def counted(beside: Path, runs: list[Path]) -> Path:
        merges.append(len(runs))
        return merged(beside, runs)

    monkeypatch.setattr(row_report, "_merged", counted)

    # when
    row_report.row_report_sort(path=path)

    # then: as one stable sort would have it, never more than three runs open
    with path.open(newline="") as sorted_file:
        assert list(csv.reader(sorted_file)) == sorted(
            lines, key=lambda row: (row[1] == "0", row[0], int(row[1]))
        )
    assert max(merges) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]
