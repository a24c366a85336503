import csv
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection

from accounts import importing
from accounts.models import (
    Account,
    AccountTeamMember,
    ImportJob,
    Opportunity,
    Product,
    RevenueLine,
    Team,
    User,
)
from accounts.revenue_keys import won_key
from accounts.services import BUNDLED_DATA, maven_import_directory
from accounts.signals import import_finished

pytestmark = pytest.mark.django_db

ALL_MODELS = [Team, User, Product, Account, Opportunity, RevenueLine, AccountTeamMember]

SMALL = {
    "accounts.csv": [
        "account,sector,year_established,revenue,employees,office_location,"
        "subsidiary_of",
        "Acme Corporation,technolgy,1996,1100.04,2822,United States,",
        "Bluth Company,technolgy,1993,1242.32,3027,United States,Acme Corporation",
        "Betatech,medical,1986,647.18,1185,Kenya,",
    ],
    "products.csv": [
        "product,series,sales_price",
        "GTX Basic,GTX,550",
        "GTX Pro,GTX,4821",
    ],
    "sales_teams.csv": [
        "sales_agent,manager,regional_office",
        "Anna Snelling,Dustin Brinkmann,Central",
        "Moses Frase,Dustin Brinkmann,Central",
        "Violet Mclelland,Cara Losch,East",
    ],
    "sales_pipeline.csv": [
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,"
        "close_date,close_value",
        "OPP1,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,500",
        "OPP2,Anna Snelling,GTXPro,Bluth Company,Won,2017-02-01,2017-04-12,4500",
        "OPP3,Violet Mclelland,GTX Pro,Betatech,Lost,2017-02-01,2017-05-02,0",
        "OPP4,Moses Frase,GTX Basic,,Prospecting,,,",
        "OPP5,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-09,2017-03-20,520",
    ],
}


def write_export(directory: Path, **replace: list[str]) -> Path:
    """Write the small export, with some files' lines replaced or added."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, lines in {**SMALL, **replace}.items():
        (directory / name).write_text("\r\n".join(lines) + "\r\n")
    return directory


def csv_rows(name: str) -> list[tuple[int, dict[str, str]]]:
    """Return (spreadsheet line, row) pairs read with the csv module."""
    with (BUNDLED_DATA / name).open(newline="") as source:
        return [(index + 2, row) for index, row in enumerate(csv.DictReader(source))]


def snapshot() -> dict[str, list[tuple]]:
    return {
        model.__name__: sorted(
            model._default_manager.values_list(), key=lambda row: row[0]
        )
        for model in ALL_MODELS
    }


def issue_lines(job: ImportJob, *, file: str, column: str, action: str) -> set[int]:
    return {
        issue["line"]
        for issue in job.issues
        if issue["file"] == file
        and issue["column"] == column
        and issue["action"] == action
    }


def test_the_bundled_data_imports_with_the_exact_counts():
    job = maven_import_directory()

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert Account.objects.count() == 85
    assert Product.objects.count() == 7
    assert User.objects.filter(role=User.Role.REP).count() == 35
    assert User.objects.filter(role=User.Role.MANAGER).count() == 6
    assert Team.objects.count() == 6
    assert set(Team.objects.values_list("region", flat=True)) == {
        "Central",
        "East",
        "West",
    }
    assert Opportunity.objects.count() == 8800
    assert Counter(Opportunity.objects.values_list("stage", flat=True)) == {
        "won": 4238,
        "lost": 2473,
        "engaging": 1589,
        "prospecting": 500,
    }
    assert Opportunity.objects.filter(account=None).count() == 1425
    assert Account.objects.exclude(parent=None).count() == 15
    assert job.counts["accounts"] == {
        "created": 85,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert job.counts["opportunities"]["created"] == 8800


def test_it_maps_people_teams_and_accounts():
    maven_import_directory()

    team = Team.objects.get(name="Dustin Brinkmann's team")
    assert team.region == "Central"
    assert team.manager.username == "dustin.brinkmann"
    anna = User.objects.get(username="anna.snelling")
    assert (anna.first_name, anna.last_name, anna.role) == ("Anna", "Snelling", "rep")
    assert anna.team == team
    assert not anna.has_usable_password()
    assert User.objects.filter(username="mei-mei.johns").exists()

    bluth = Account.objects.get(name="Bluth Company")
    assert bluth.parent.name == "Acme Corporation"
    assert bluth.sector == "technology"
    assert (bluth.annual_revenue, bluth.annual_revenue_currency) == (
        Decimal("1242320000.00"),
        "USD",
    )
    assert Account.objects.get(name="Bioholding").country == "Philippines"
    assert Product.objects.get(name="GTX Pro").list_price == Decimal("4821")

    deal = Opportunity.objects.get(external_id="Z063OYW0")
    assert deal.product.name == "GTX Pro"
    assert deal.owner.username == "darcel.schlecht"
    assert deal.stage == "won"
    agents = {
        row["sales_agent"]
        for _, row in csv_rows("sales_pipeline.csv")
        if row["account"] == "Cancity"
    }
    team_names = {
        member.user.get_full_name()
        for member in AccountTeamMember.objects.filter(account__name="Cancity")
    }
    assert team_names == agents


def test_a_second_import_changes_nothing():
    # given
    maven_import_directory()
    before = snapshot()

    # when
    job = maven_import_directory()

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    for table, counts in job.counts.items():
        assert counts["created"] == counts["updated"] == 0, table
        assert counts["unchanged"] > 0, table
    assert snapshot() == before


@pytest.mark.parametrize(
    ("file", "column", "matches", "action", "reason"),
    [
        (
            "accounts.csv",
            "sector",
            lambda row: row["sector"] == "technolgy",
            "repaired",
            "misspelt sector, read as 'technology'",
        ),
        (
            "accounts.csv",
            "office_location",
            lambda row: row["office_location"] == "Philipines",
            "repaired",
            "misspelt country, read as 'Philippines'",
        ),
        (
            "sales_pipeline.csv",
            "product",
            lambda row: row["product"] == "GTXPro",
            "repaired",
            "product name differs from the catalogue, read as 'GTX Pro'",
        ),
        (
            "sales_pipeline.csv",
            "account",
            lambda row: row["account"] == "",
            "kept",
            "open deal with no account, kept without one",
        ),
    ],
)
def test_each_dirt_item_is_reported_on_its_lines(file, column, matches, action, reason):
    expected = {line for line, row in csv_rows(file) if matches(row)}

    job = maven_import_directory()

    reported = [
        issue
        for issue in job.issues
        if issue["file"] == file and issue["column"] == column
    ]
    assert {issue["line"] for issue in reported} == expected
    assert {issue["action"] for issue in reported} == {action}
    assert {issue["reason"] for issue in reported} == {reason}
    assert len(expected) == {"sector": 12, "office_location": 1}.get(
        column, 1480 if action == "repaired" else 1425
    )


def test_won_revenue_matches_the_source_for_three_accounts():
    maven_import_directory()

    for name in ["Acme Corporation", "Kan-code", "Sonron"]:
        expected = sum(
            Decimal(row["close_value"])
            for _, row in csv_rows("sales_pipeline.csv")
            if row["account"] == name and row["deal_stage"] == "Won"
        )
        lines = RevenueLine.objects.filter(account__name=name)
        assert expected > 0
        assert sum(line.amount for line in lines) == expected, name


def test_revenue_lines_start_on_the_first_day_of_the_quarter(tmp_path):
    maven_import_directory(directory=write_export(tmp_path))

    acme = RevenueLine.objects.get(account__name="Acme Corporation")
    bluth = RevenueLine.objects.get(account__name="Bluth Company")
    assert (str(acme.quarter_start), acme.amount) == ("2017-01-01", Decimal("1020"))
    assert (str(bluth.quarter_start), bluth.product.name) == ("2017-04-01", "GTX Pro")
    assert not RevenueLine.objects.filter(account__name="Betatech").exists()
    # The wizard finds a quarter's won deals under the same key.
    assert (acme.import_key, acme.source) == (
        won_key(
            account_id=acme.account_id,
            product_id=acme.product_id,
            quarter=date(2017, 1, 1),
        ),
        RevenueLine.Source.PIPELINE,
    )


BAD_ROWS = [
    (
        "sales_pipeline.csv",
        "OPP9,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,-5",
        "close_value",
        "must not be negative",
    ),
    (
        "sales_pipeline.csv",
        "OPP9,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-13-45,5",
        "close_date",
        "not a date (expected YYYY-MM-DD)",
    ),
    (
        "sales_pipeline.csv",
        "OPP9,Moses Frase,GTX Basic,Acme Corporation,Signed,2017-01-05,2017-03-01,5",
        "deal_stage",
        "unknown stage (expected Prospecting, Engaging, Won or Lost)",
    ),
    (
        "sales_pipeline.csv",
        "OPP1,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,5",
        "opportunity_id",
        "duplicate opportunity_id, first seen on line 2",
    ),
    (
        "sales_pipeline.csv",
        "OPP9,Nobody Here,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,5",
        "sales_agent",
        "agent not in sales_teams.csv",
    ),
    (
        "sales_pipeline.csv",
        "OPP9,Moses Frase,GTX Ultra,Acme Corporation,Won,2017-01-05,2017-03-01,5",
        "product",
        "product not in products.csv",
    ),
    (
        "sales_pipeline.csv",
        "OPP9,Moses Frase,GTX Basic,Initech,Won,2017-01-05,2017-03-01,5",
        "account",
        "account not a valid row of accounts.csv",
    ),
    (
        "accounts.csv",
        "Initech,software,1999,12.5,80,United States,Umbrella",
        "subsidiary_of",
        "parent account 'Umbrella' is not a valid row of accounts.csv",
    ),
    (
        "accounts.csv",
        "Initech,software,1999,lots,80,United States,",
        "revenue",
        "not a number",
    ),
    (
        "accounts.csv",
        "Initech,software,1999,12.505,80,United States,",
        "revenue",
        "3 decimals: revenue is in millions of USD, kept to 2 decimals "
        "(10,000 USD); round the revenue in the file",
    ),
    (
        "sales_pipeline.csv",
        "OPP9,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,5.125",
        "close_value",
        "3 decimals: amounts are kept to 2 decimals; round the amount in the file",
    ),
    (
        "products.csv",
        "GTX Max,GTX,99.9999",
        "sales_price",
        "4 decimals: amounts are kept to 2 decimals; round the amount in the file",
    ),
]


@pytest.mark.parametrize(("file", "line", "column", "reason"), BAD_ROWS)
def test_a_bad_row_writes_nothing_and_is_reported(tmp_path, file, line, column, reason):
    # given
    directory = write_export(tmp_path, **{file: [*SMALL[file], line]})
    bad_line = len(SMALL[file]) + 1

    # when
    job = maven_import_directory(directory=directory)

    # then
    assert job.status == ImportJob.Status.REJECTED
    for model in ALL_MODELS:
        assert not model.objects.exists(), model.__name__
    rejected = [issue for issue in job.issues if issue["action"] == "rejected"]
    assert {
        "file": file,
        "line": bad_line,
        "column": column,
        "reason": reason,
    }.items() <= rejected[0].items()
    assert len({(issue["file"], issue["line"]) for issue in rejected}) == 1
    assert job.counts["opportunities"]["created"] == 0


def test_a_rejected_import_leaves_earlier_data_untouched(tmp_path):
    maven_import_directory(directory=write_export(tmp_path / "good"))
    before = snapshot()
    bad = BAD_ROWS[0][1].replace("-5", "-1")
    changed_price = ["product,series,sales_price", "GTX Basic,GTX,999", "GTX Pro,GTX,1"]

    job = maven_import_directory(
        directory=write_export(
            tmp_path / "bad",
            **{
                "sales_pipeline.csv": [*SMALL["sales_pipeline.csv"], bad],
                "products.csv": changed_price,
            },
        )
    )

    assert job.status == ImportJob.Status.REJECTED
    assert snapshot() == before


def test_keep_good_rows_writes_the_others_and_reports_the_rejected(tmp_path):
    bad = BAD_ROWS[0][1]
    directory = write_export(
        tmp_path, **{"sales_pipeline.csv": [*SMALL["sales_pipeline.csv"], bad]}
    )

    job = maven_import_directory(directory=directory, keep_good_rows=True)

    assert job.status == ImportJob.Status.SUCCEEDED
    assert set(Opportunity.objects.values_list("external_id", flat=True)) == {
        "OPP1",
        "OPP2",
        "OPP3",
        "OPP4",
        "OPP5",
    }
    assert job.counts["opportunities"] == {
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert Account.objects.count() == 3
    assert issue_lines(
        job, file="sales_pipeline.csv", column="close_value", action="rejected"
    ) == {7}


def test_a_changed_row_is_updated_and_the_rest_untouched(tmp_path):
    maven_import_directory(directory=write_export(tmp_path / "first"))
    before = {a.name: a.updated_at for a in Account.objects.all()}
    accounts = [*SMALL["accounts.csv"]]
    accounts[3] = "Betatech,medical,1986,700.00,1185,Kenya,"

    job = maven_import_directory(
        directory=write_export(tmp_path / "second", **{"accounts.csv": accounts})
    )

    assert job.counts["accounts"] == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
        "rejected": 0,
    }
    after = {a.name: a.updated_at for a in Account.objects.all()}
    assert after["Acme Corporation"] == before["Acme Corporation"]
    assert after["Betatech"] > before["Betatech"]
    assert Account.objects.get(name="Betatech").annual_revenue == Decimal(
        "700000000.00"
    )


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("products.csv", None, "the file is missing"),
        ("products.csv", "", "the file is empty"),
        (
            "products.csv",
            "product,price\r\nGTX Basic,550\r\n",
            "missing columns series, sales_price; "
            "expected product, series, sales_price",
        ),
    ],
)
def test_an_unreadable_file_is_rejected_with_its_reason(
    tmp_path, name, content, reason
):
    directory = write_export(tmp_path)
    if content is None:
        (directory / name).unlink()
    else:
        (directory / name).write_text(content)

    job = maven_import_directory(directory=directory)

    assert job.status == ImportJob.Status.REJECTED
    assert job.issues[0]["file"] == name
    assert job.issues[0]["reason"] == reason
    assert not Account.objects.exists()


def test_it_reads_semicolons_a_bom_and_windows_1252(tmp_path):
    directory = write_export(tmp_path)
    accounts = [line.replace(",", ";") for line in SMALL["accounts.csv"]]
    accounts[3] = "Bétatech;medical;1986;1,647.18;1185;Kenya;"
    (directory / "accounts.csv").write_bytes(
        ("\r\n".join(accounts) + "\r\n").encode("cp1252")
    )
    pipeline = "\ufeff" + "\r\n".join(SMALL["sales_pipeline.csv"]).replace(
        "Betatech", "Bétatech"
    )
    (directory / "sales_pipeline.csv").write_text(pipeline, encoding="utf-8")

    job = maven_import_directory(directory=directory)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    account = Account.objects.get(name="Bétatech")
    assert account.annual_revenue == Decimal("1647180000.00")


def test_it_sends_import_finished_on_commit_only_when_it_wrote(
    tmp_path, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, job, **kwargs):
        received.append(job.pk)

    import_finished.connect(receiver)
    try:
        directory = write_export(tmp_path)
        with django_capture_on_commit_callbacks(execute=True):
            first = maven_import_directory(directory=directory)
        with django_capture_on_commit_callbacks(execute=True):
            maven_import_directory(directory=directory)
    finally:
        import_finished.disconnect(receiver)

    assert received == [first.pk]


def test_the_query_count_does_not_grow_with_the_rows(
    tmp_path, django_assert_max_num_queries
):
    # SQLite caps a statement at 999 parameters, so the first full import
    # writes in batches of about 100 rows there (fewer for a table of more
    # columns: the deals' creation key took it from 165 to 172 queries, the
    # digest of what created a deal, for API retries, to 180, and the deal's
    # name, with the kept coverage totals of each viewer, to 192);
    # PostgreSQL uses batches of 2,000. A second import reads once per
    # table and writes nothing. Each import also reads users' and teams'
    # access before and after its write and stores what changed in one
    # statement, for the permission audit, and reads the deals deleted by
    # hand, which it skips. Before it commits, each locks its job's row to
    # see that no sweep took it for stalled. Two more move the versions of
    # the accounts whose team the import joins someone to or takes someone
    # off, and one finds the file's names that accounts had before a
    # rename. Content types are read once a process and cached; read them
    # first, so the count is the import's whatever ran before this test.
    ContentType.objects.get_for_models(*apps.get_models())
    with django_assert_max_num_queries(45):
        maven_import_directory(directory=write_export(tmp_path))
    with django_assert_max_num_queries(196):
        maven_import_directory()
    # Three more than the writes: the moved-deal accounts and two prunes;
    # on PostgreSQL the four upserts that keep no ids run their UPDATE and
    # INSERT as two statements. Four more read users' and teams' access
    # before and after the write, for the permission audit, and one the
    # deals deleted by hand, which the import skips. On PostgreSQL one more
    # moves the accounts whose team shows a user the file changes, and one
    # those the file puts someone new on; everywhere one moves those whose
    # team a prune leaves, one locks the job's row before the commit, and
    # one finds the file's names that accounts had before a rename.
    with django_assert_max_num_queries(42):
        maven_import_directory()


def test_the_full_import_runs_set_based_on_postgresql(
    postgres, django_assert_max_num_queries
):
    # Content types are read once a process and cached; read them first, so
    # the count is the import's whether or not a test ran before this one.
    ContentType.objects.get_for_models(*apps.get_models())
    with django_assert_max_num_queries(44):
        job = maven_import_directory()
    # Three more than the writes: the moved-deal accounts and two prunes;
    # the four upserts that keep no ids run their UPDATE and INSERT apart.
    # Four more read access before and after, for the permission audit;
    # one reads the deals deleted by hand, which the import skips; three
    # move the accounts whose team shows a user the file changes, whose
    # team the file joins someone to, and whose team a prune leaves; one
    # locks the job's row before the commit; one finds the file's names
    # that accounts had before a rename.
    with django_assert_max_num_queries(42):
        again = maven_import_directory()

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert Opportunity.objects.count() == 8800
    assert Opportunity.objects.filter(account=None).count() == 1425
    assert again.counts["opportunities"]["unchanged"] == 8800


def test_the_command_prints_progress_counts_and_issues(capsys):
    call_command("import_maven", str(BUNDLED_DATA), "--max-issues", "5")

    out = capsys.readouterr().out
    assert "[100%] Done" in out
    assert "deals" in out and "8,800" in out
    assert "2,918 issues: 1,493 repaired, 1,425 kept" in out
    assert "misspelt sector, read as 'technology'" in out


def test_the_command_fails_when_the_import_is_rejected(tmp_path, capsys):
    bad = BAD_ROWS[0][1]
    directory = write_export(
        tmp_path, **{"sales_pipeline.csv": [*SMALL["sales_pipeline.csv"], bad]}
    )

    with pytest.raises(CommandError, match="rejected and nothing was written"):
        call_command("import_maven", str(directory))

    out = capsys.readouterr().out
    assert "must not be negative" in out
    assert not Opportunity.objects.exists()


def test_the_command_keeps_good_rows_when_asked(tmp_path):
    bad = BAD_ROWS[0][1]
    directory = write_export(
        tmp_path, **{"sales_pipeline.csv": [*SMALL["sales_pipeline.csv"], bad]}
    )

    call_command("import_maven", str(directory), "--keep-good-rows")

    assert Opportunity.objects.count() == 5


def _tables_as_records(tables) -> dict[str, object]:
    frames = {
        name: getattr(tables, name).astype(object)
        for name in ["products", "accounts", "opportunities", "revenue_lines"]
    }
    return {
        "issues": [issue.as_dict() for issue in tables.issues],
        "rows_read": tables.rows_read,
        **{
            name: frame.where(frame.notna(), None).to_dict("records")
            for name, frame in frames.items()
        },
        "account_team": tables.account_team.to_dict("records"),
    }


def test_reading_the_pipeline_in_chunks_changes_nothing(tmp_path):
    # Repeats straddle the chunks: OPP1 again three chunks later, OPP7 twice
    # in one chunk after its first, a blank line and a bad row in between.
    pipeline = [
        *SMALL["sales_pipeline.csv"],
        "OPP6,Moses Frase,GTX Basic,Acme Corporation,Won,2017-05-05,2017-06-01,70",
        "OPP1,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,5",
        "",
        "OPP7,Anna Snelling,GTX Pro,Bluth Company,Won,2017-02-01,2017-04-12,30",
        "OPP7,Anna Snelling,GTX Pro,Bluth Company,Won,2017-02-01,2017-04-12,30",
        "OPP8,Moses Frase,GTX Basic,Acme Corporation,Signed,2017-01-05,,",
        "OPP7,Anna Snelling,GTX Pro,Bluth Company,Lost,2017-02-01,2017-04-12,0",
    ]
    directory = write_export(tmp_path, **{"sales_pipeline.csv": pipeline})

    whole = importing.maven_tables_read(directory=directory)
    for lines in (1, 2, 3):
        chunked = importing.maven_tables_read(directory=directory, chunk_lines=lines)
        assert _tables_as_records(chunked) == _tables_as_records(whole)

    duplicates = [
        (issue.line, issue.reason)
        for issue in whole.issues
        if issue.column == "opportunity_id"
    ]
    assert duplicates == [
        (8, "duplicate opportunity_id, first seen on line 2"),
        (11, "duplicate opportunity_id, first seen on line 10"),
        (13, "duplicate opportunity_id, first seen on line 10"),
    ]
    assert whole.rows_read["sales_pipeline.csv"] == 11  # the blank line is no row


REPEATING_PIPELINE = [
    *SMALL["sales_pipeline.csv"],
    "OPP6,Moses Frase,GTX Basic,Acme Corporation,Won,2017-05-05,2017-06-01,70",
    "OPP1,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,5",
    "",
    "OPP7,Anna Snelling,GTX Pro,Bluth Company,Won,2017-02-01,2017-04-12,30",
    "OPP7,Anna Snelling,GTX Pro,Bluth Company,Won,2017-02-01,2017-04-12,30",
    "OPP8,Moses Frase,GTX Basic,Acme Corporation,Signed,2017-01-05,,",
    "OPP7,Anna Snelling,GTX Pro,Bluth Company,Lost,2017-02-01,2017-04-12,0",
    # A repeat of a rejected row is still a repeat, and says nothing else.
    "OPP8,Nobody Here,GTX Basic,Acme Corporation,Won,2017-01-05,,",
]


@pytest.mark.parametrize("lines", [2, 5])
def test_staged_chunks_report_and_write_as_the_whole_file_does(
    tmp_path, monkeypatch, postgres, lines
):
    # given
    directory = write_export(tmp_path, **{"sales_pipeline.csv": REPEATING_PIPELINE})
    whole = importing.maven_tables_read(directory=directory)
    monkeypatch.setattr(importing, "PIPELINE_CHUNK_LINES", lines)

    # when
    rejected = maven_import_directory(directory=directory)
    kept = maven_import_directory(directory=directory, keep_good_rows=True)

    # then
    expected = [issue.as_dict() for issue in whole.issues]
    assert [
        (issue["line"], issue["reason"])
        for issue in expected
        if issue["line"] >= 8 and issue["file"] == "sales_pipeline.csv"
    ] == [
        (8, "duplicate opportunity_id, first seen on line 2"),
        (11, "duplicate opportunity_id, first seen on line 10"),
        (12, "unknown stage (expected Prospecting, Engaging, Won or Lost)"),
        (13, "duplicate opportunity_id, first seen on line 10"),
        (14, "duplicate opportunity_id, first seen on line 12"),
    ]
    assert rejected.status == ImportJob.Status.REJECTED
    assert rejected.issues == expected
    assert kept.status == ImportJob.Status.SUCCEEDED, kept.error
    assert kept.issues == expected
    assert kept.counts["opportunities"]["created"] == len(whole.opportunities) == 7
    assert kept.counts["opportunities"]["rejected"] == 5
    assert dict(Opportunity.objects.values_list("external_id", "close_value")) == {
        "OPP1": Decimal("500.00"),
        "OPP2": Decimal("4500.00"),
        "OPP3": Decimal("0.00"),
        "OPP4": None,
        "OPP5": Decimal("520.00"),
        "OPP6": Decimal("70.00"),
        "OPP7": Decimal("30.00"),
    }
    stored = set(
        RevenueLine.objects.values_list(
            "account__name", "product__name", "quarter_start", "amount"
        )
    )
    assert stored == {
        (row.account_name, row.product_name, row.quarter_start.date(), row.amount)
        for row in whole.revenue_lines.assign(
            amount=whole.revenue_lines["amount"].map(lambda c: Decimal(c) / 100)
        ).itertuples()
    }
    assert kept.counts["revenue_lines"]["created"] == len(whole.revenue_lines)
    members = set(
        AccountTeamMember.objects.values_list("account__name", "user__username")
    )
    assert members == set(whole.account_team.itertuples(index=False, name=None))
    assert kept.counts["account_team_members"]["created"] == len(whole.account_team)


def test_a_pipeline_with_only_a_header_imports_nothing_from_it(tmp_path):
    directory = write_export(
        tmp_path, **{"sales_pipeline.csv": SMALL["sales_pipeline.csv"][:1]}
    )

    tables = importing.maven_tables_read(directory=directory, chunk_lines=2)

    assert tables.opportunities.empty and tables.revenue_lines.empty
    assert tables.rows_read["sales_pipeline.csv"] == 0
    assert len(tables.accounts) == 3


def renamed_export(directory: Path) -> Path:
    """The small export with Bluth Company renamed Bluth Holdings."""
    accounts = [
        line.replace("Bluth Company", "Bluth Holdings")
        for line in SMALL["accounts.csv"]
    ]
    pipeline = [
        line.replace("Bluth Company", "Bluth Holdings")
        for line in SMALL["sales_pipeline.csv"]
    ]
    return write_export(
        directory, **{"accounts.csv": accounts, "sales_pipeline.csv": pipeline}
    )


def test_a_renamed_account_loses_the_rows_its_deals_took_along(tmp_path):
    assert maven_import_directory(directory=write_export(tmp_path / "a")).status == (
        ImportJob.Status.SUCCEEDED
    )
    old = Account.objects.get(name="Bluth Company")
    by_hand = User.objects.create(username="helper", role=User.Role.REP)
    AccountTeamMember.objects.create(account=old, user=by_hand)
    invoiced = RevenueLine.objects.create(
        account=old,
        product=Product.objects.get(name="GTX Basic"),
        quarter_start=date(2016, 10, 1),
        amount=Decimal("99.00"),
    )

    def others() -> tuple[set, set]:
        lines = RevenueLine.objects.exclude(account__name__startswith="Bluth")
        members = AccountTeamMember.objects.exclude(account__name__startswith="Bluth")
        return (
            set(lines.values_list("account", "product", "quarter_start", "amount")),
            set(members.values_list("account", "user")),
        )

    before = others()

    job = maven_import_directory(directory=renamed_export(tmp_path / "b"))

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    new = Account.objects.get(name="Bluth Holdings")
    assert list(old.opportunities.all()) == []
    # Only what came from elsewhere stays on the old account.
    assert list(old.revenue_lines.all()) == [invoiced]
    assert list(old.team_memberships.values_list("user__username", flat=True)) == [
        "helper"
    ]
    assert list(new.revenue_lines.values_list("amount", "source")) == [
        (Decimal("4500.00"), RevenueLine.Source.PIPELINE)
    ]
    assert list(new.team_memberships.values_list("user__username", "source")) == [
        ("anna.snelling", AccountTeamMember.Source.PIPELINE)
    ]
    # The other accounts' derived rows are as they were.
    assert others() == before


def test_a_deal_no_longer_won_takes_its_revenue_line_along(tmp_path):
    maven_import_directory(directory=write_export(tmp_path / "a"))
    pipeline = [
        line.replace(
            "OPP2,Anna Snelling,GTXPro,Bluth Company,Won",
            "OPP2,Moses Frase,GTXPro,Bluth Company,Lost",
        )
        for line in SMALL["sales_pipeline.csv"]
    ]

    job = maven_import_directory(
        directory=write_export(tmp_path / "b", **{"sales_pipeline.csv": pipeline})
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    bluth = Account.objects.get(name="Bluth Company")
    assert list(bluth.revenue_lines.all()) == []
    assert list(bluth.team_memberships.values_list("user__username", flat=True)) == [
        "moses.frase"
    ]


def test_an_unclosed_quote_is_reported_on_its_line_in_plain_words(tmp_path):
    pipeline = [
        *SMALL["sales_pipeline.csv"],
        "OPP6,Moses Frase,GTX Basic,Betatech,Lost,2017-01-05,2017-03-01,0",
        'OPP7,Moses Frase,GTX Basic,"Acme Corporation,Won,2017-01-05,2017-03-01,1',
        "OPP8,Moses Frase,GTX Basic,Betatech,Lost,2017-01-05,2017-03-01,0",
    ]
    directory = write_export(tmp_path, **{"sales_pipeline.csv": pipeline})

    job = maven_import_directory(directory=directory)

    assert job.status == ImportJob.Status.REJECTED
    assert [(i["file"], i["line"], i["reason"]) for i in job.issues] == [
        (
            "sales_pipeline.csv",
            8,
            "a quoted value that starts on line 8 is never closed",
        )
    ]


def test_a_rejected_deal_is_counted_once_where_it_is(tmp_path):
    pipeline = [*SMALL["sales_pipeline.csv"], "OPP6,Moses Frase,GTX Basic,,Won,,,"]
    directory = write_export(tmp_path, **{"sales_pipeline.csv": pipeline})

    job = maven_import_directory(directory=directory)

    assert job.status == ImportJob.Status.REJECTED
    rejected = {table: counts["rejected"] for table, counts in job.counts.items()}
    assert rejected == {
        "teams": 0,
        "users": 0,
        "products": 0,
        "accounts": 0,
        "opportunities": 1,
        "revenue_lines": 0,
        "account_team_members": 0,
    }


def test_rejected_issues_come_first(tmp_path):
    # GTXPro is repaired (pipeline line 3); a bad account row is rejected.
    accounts = [*SMALL["accounts.csv"], "Zeta,retail,20x6,10,5,Kenya,"]
    directory = write_export(tmp_path, **{"accounts.csv": accounts})

    job = maven_import_directory(directory=directory)

    actions = [issue["action"] for issue in job.issues]
    assert actions[0] == "rejected"
    assert actions == sorted(actions, key=importing.ACTIONS.index)
    assert "repaired" in actions


def test_a_bad_product_row_is_the_cause_and_its_deals_fold_into_one_line(tmp_path):
    products = [SMALL["products.csv"][0], "GTX Basic,GTX,cheap", "GTX Pro,GTX,4821"]
    pipeline = [
        *SMALL["sales_pipeline.csv"],
        *(
            f"OPP{n},Moses Frase,GTX Basic,Betatech,Lost,2017-01-05,2017-03-01,0"
            for n in range(10, 20)
        ),
    ]
    directory = write_export(
        tmp_path, **{"products.csv": products, "sales_pipeline.csv": pipeline}
    )

    job = maven_import_directory(directory=directory)
    folded = importing.issues_grouped(job.issues)

    assert job.issues[0]["file"] == "products.csv"
    knock_on = [i for i in job.issues if i["reason"] == "product not in products.csv"]
    assert len(knock_on) == 13
    rows = [i for i in folded if i["action"] == "rejected"][1:]
    assert [(i["line"], i["count"], i["reason"]) for i in rows] == [
        (
            2,
            13,
            "product not in products.csv: 13 rows, on lines 2, 5, 6, 7, 8 and 8 more",
        )
    ]


def test_a_products_file_with_no_rows_says_so_once(tmp_path):
    directory = write_export(tmp_path, **{"products.csv": SMALL["products.csv"][:1]})

    job = maven_import_directory(directory=directory)
    folded = importing.issues_grouped(job.issues)

    assert job.issues[0] == {
        "file": "products.csv",
        "line": 1,
        "column": "",
        "value": "",
        "reason": "products.csv has no rows",
        "action": "rejected",
    }
    # One line per product the deals name, not one per deal.
    knock_on = [i for i in folded[1:] if i["action"] == "rejected"]
    assert [(i["value"], i["count"]) for i in knock_on] == [
        ("GTX Basic", 3),
        ("GTXPro", 1),
        ("GTX Pro", 1),
    ]


def test_a_binary_file_is_not_a_csv_text_file(tmp_path):
    directory = write_export(tmp_path)
    # Random bytes with no NUL among them: control bytes give it away.
    noise = bytes((n * 97 + 13) % 255 + 1 for n in range(300))
    (directory / "accounts.csv").write_bytes(noise)

    job = maven_import_directory(directory=directory)

    assert [(i["file"], i["reason"]) for i in job.issues] == [
        ("accounts.csv", "this is not a CSV text file")
    ]


def test_a_nul_byte_in_the_bundled_layout_is_refused_by_line(tmp_path):
    directory = write_export(tmp_path)
    accounts = (directory / "accounts.csv").read_bytes().split(b"\n")
    accounts[2] = accounts[2].replace(b",", b"\x00,", 1)
    (directory / "accounts.csv").write_bytes(b"\n".join(accounts))

    job = maven_import_directory(directory=directory)

    assert [(i["file"], i["reason"]) for i in job.issues] == [
        (
            "accounts.csv",
            "line 3 is damaged: it holds a NUL byte (0x00), which no text has; "
            "remove it and upload the file again",
        )
    ]
    assert Account.objects.count() == 0


def test_an_empty_directory_names_all_four_missing_files(tmp_path):
    job = maven_import_directory(directory=tmp_path)

    assert job.status == ImportJob.Status.REJECTED
    assert [(i["file"], i["reason"]) for i in job.issues] == [
        (name, "the file is missing") for name in importing.FILE_NAMES
    ]


def test_the_command_prints_rejected_first_and_folds_knock_on_rows(tmp_path, capsys):
    directory = write_export(tmp_path, **{"products.csv": SMALL["products.csv"][:1]})

    with pytest.raises(CommandError):
        call_command("import_maven", str(directory), "--max-issues", "2")
    out = capsys.readouterr().out
    assert "products.csv has no rows" in out
    assert "product not in products.csv: 3 rows, on lines 2, 5, 6" in out
    assert "--every-row lists them all" in out

    with pytest.raises(CommandError):
        call_command("import_maven", str(directory), "--every-row")
    out = capsys.readouterr().out
    assert out.count("product not in products.csv") == 5


def test_trailing_zeros_past_two_decimals_are_no_more_decimals(tmp_path):
    # given
    directory = write_export(
        tmp_path,
        **{
            "accounts.csv": [
                *SMALL["accounts.csv"],
                "Initech,software,1999,12.5000,80.0,United States,",
            ]
        },
    )

    # when
    job = maven_import_directory(directory=directory)

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert Account.objects.filter(name="Initech").values_list(
        "annual_revenue", "annual_revenue_currency", "employees"
    ).get() == (Decimal("12500000.00"), "USD", 80)


def test_ids_of_any_length_and_alphabet_are_stored_as_read(tmp_path):
    # PostgreSQL stages deals in blocks of ids of one length in bytes; a
    # deal with no account, dates or value keeps them missing.
    pipeline = [
        SMALL["sales_pipeline.csv"][0],
        "O,Moses Frase,GTX Basic,Acme Corporation,Won,2017-01-05,2017-03-01,500",
        "OPP-Ärö-2,Anna Snelling,GTX Pro,Bluth Company,Lost,2017-02-01,2017-04-12,0",
        "OPPORTUNITY-000000003,Violet Mclelland,GTX Pro,Betatech,Engaging,2017-02-01,,",
        "商机4,Moses Frase,GTX Basic,,Prospecting,,,",
    ]
    directory = write_export(tmp_path, **{"sales_pipeline.csv": pipeline})

    job = maven_import_directory(directory=directory)

    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    stored = Opportunity.objects.values_list(
        "external_id",
        "account__name",
        "product__name",
        "owner__username",
        "stage",
        "engaged_on",
        "closed_on",
        "close_value",
    )
    assert sorted(stored) == [
        (
            "O",
            "Acme Corporation",
            "GTX Basic",
            "moses.frase",
            "won",
            date(2017, 1, 5),
            date(2017, 3, 1),
            Decimal("500.00"),
        ),
        (
            "OPP-Ärö-2",
            "Bluth Company",
            "GTX Pro",
            "anna.snelling",
            "lost",
            date(2017, 2, 1),
            date(2017, 4, 12),
            Decimal("0.00"),
        ),
        (
            "OPPORTUNITY-000000003",
            "Betatech",
            "GTX Pro",
            "violet.mclelland",
            "engaging",
            date(2017, 2, 1),
            None,
            None,
        ),
        ("商机4", None, "GTX Basic", "moses.frase", "prospecting", None, None, None),
    ]


def test_the_import_refreshes_the_statistics_of_what_it_wrote(postgres, tmp_path):
    # Pages are planned on these counts; autovacuum would see the new rows
    # a minute or more later. ANALYZE sees the import's own rows, and
    # writes the count to pg_class at once, whatever the transaction does.
    maven_import_directory(directory=write_export(tmp_path))

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::int FROM pg_class WHERE relname IN "
            "('accounts_account', 'accounts_accountteammember', "
            "'accounts_opportunity') ORDER BY relname"
        )
        counts = cursor.fetchall()

    assert counts == [
        ("accounts_account", 3),
        ("accounts_accountteammember", 3),
        ("accounts_opportunity", 5),
    ]
