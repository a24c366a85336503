import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.management.commands.import_files import counts_table
from accounts.models import Account, ImportJob, Opportunity
from tests.accounts.factories import AccountFactory

BYOD = Path(__file__).parent / "fixtures" / "byod"
WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_files", *args, stdout=out)
    return out.getvalue()


def test_without_yes_it_shows_the_mapping_and_counts_and_writes_nothing() -> None:
    output = run(str(BYOD / "hubspot_companies.csv"))

    assert (
        "  Record ID           -> account.external_id\n"
        "  Company name        -> account.name\n"
        "  Company owner       -> account.owner\n"
        "  Number of Employees -> account.employees\n"
    ) in output
    assert "comma-separated. 1 row, hubspot companies (recognised)" in output
    assert (
        "records   created  updated  unchanged  rejected\nAccounts        1" in output
    )
    assert "nothing written. Run again with --yes" in output
    assert not Account.objects.exists()


def test_with_yes_it_writes_and_reimporting_changes_nothing() -> None:
    paths = [str(WIZARD / "accounts_semicolon.csv")]

    run(*paths, "--yes")
    output = run(*paths, "--yes")

    assert Account.objects.count() == 2
    assert "Accounts        0        0          2         0\n" in output
    assert ImportJob.objects.filter(status=ImportJob.Status.SUCCEEDED).count() == 2


def test_reimporting_a_merged_account_keeps_its_name_and_changes_nothing() -> None:
    # given the file's "Initech Ltd" merged into the stored "Initech"
    AccountFactory(name="Initech", external_id="")
    path = str(BYOD / "hubspot_initech.tsv")
    run(path, "--yes", "--merge-proposed")

    # when the same file comes again
    output = run(path, "--yes")

    # then
    assert "Accounts        0        0          1         0\n" in output
    assert list(Account.objects.values_list("name", "external_id")) == [
        ("Initech", "0009003")
    ]


def test_it_takes_a_mapping_and_answers_and_undoes() -> None:
    # given
    run(str(WIZARD / "accounts_semicolon.csv"), "--yes")
    mapping = {
        "dates_ambiguous.csv": {
            "Opportunity Name": "opportunity.account_name",
            "Close Date": "opportunity.close_date",
        }
    }

    # when the date order is not answered
    with pytest.raises(CommandError, match="needs answers"):
        run(str(BYOD / "dates_ambiguous.csv"), "--mapping", json.dumps(mapping))

    # then an answer lets the check through (the rows name no known account)
    with pytest.raises(CommandError, match="ended rejected"):
        run(
            str(BYOD / "dates_ambiguous.csv"),
            "--mapping",
            json.dumps(mapping),
            "--answer",
            "dates_ambiguous.csv:Close Date=day-first",
            "--yes",
        )
    assert not Opportunity.objects.exists()

    # when the first import is undone
    first = ImportJob.objects.earliest("pk")
    output = run("--undo", str(first.pk))

    # then
    assert output == f"Import {first.pk} undone.\n"
    assert not Account.objects.exists()


def test_it_refuses_a_file_that_is_not_there() -> None:
    with pytest.raises(CommandError, match="no such file: nowhere.csv"):
        run("nowhere.csv")


def test_its_counts_table_lines_up_whatever_the_widths() -> None:
    counts = {
        "Accounts": {"created": 1_250_000, "updated": 0, "unchanged": 3, "rejected": 0},
        "Account team members": {
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "rejected": 12,
        },
    }

    lines = counts_table(counts)

    assert lines == [
        "records                 created  updated  unchanged  rejected",
        "Accounts              1,250,000        0          3         0",
        "Account team members          2        0          0        12",
    ]


def test_it_prints_the_counts_as_an_aligned_table() -> None:
    output = run(
        str(WIZARD / "plain_users.csv"), str(WIZARD / "hubspot_companies_owned.csv")
    )

    assert (
        "records   created  updated  unchanged  rejected\n"
        "Users           3        0          0         0\n"
        "Teams           1        0          0         0\n"
        "Accounts        2        0          0         0\n"
    ) in output
