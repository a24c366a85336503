"""Opportunities that name their account, in Salesforce's headers."""

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from accounts.models import Opportunity
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_accept,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

HEADERS = [
    "Id",
    "Account Name",
    "StageName",
    "Amount",
    "CloseDate",
    "IsWon",
    "IsClosed",
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def api_csv(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "opportunities.csv"
    path.write_text(
        "Id,Account.Name,StageName,Amount,CloseDate,IsWon,IsClosed\n"
        "006X1,Betatech,Closed Won,100,2017-06-30,true,true\n"
    )
    return path, "Account.Name"


def day_first_csv(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "opportunities.csv"
    path.write_text(
        ",".join(HEADERS) + "\n006X1,Betatech,Closed Won,100,30/06/2017,true,true\n"
    )
    return path, "Account Name"


def workbook(tmp_path: Path) -> tuple[Path, str]:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(
        ["006X1", "Betatech", "Closed Won", 100, datetime(2017, 6, 30), True, True]
    )
    path = tmp_path / "opportunities.xlsx"
    book.save(path)
    return path, "Account Name"


@pytest.mark.parametrize("made", [api_csv, day_first_csv, workbook])
def test_the_account_name_column_is_mapped_and_the_deal_attached(
    tmp_path: Path, made
) -> None:
    # given
    account = AccountFactory.create(name="Betatech")
    path, column = made(tmp_path)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    (preview,) = mapped_import_files_read(mapped=mapped)
    outcome = mapped_import_check(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    mapped_import_run(mapped=mapped)

    # then
    assert preview.kind == "salesforce-api opportunities"
    assert preview.mapping[column] == ("opportunity", "account_name")
    assert outcome.issues == []
    assert outcome.counts["Deals"]["created"] == 1
    assert list(
        Opportunity.objects.values_list("external_id", "account_id", "closed_on")
    ) == [("006X1", account.pk, date(2017, 6, 30))]


def test_an_opportunities_mapping_without_the_account_names_what_is_missing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "opportunities.csv"
    path.write_text(
        "Id,Client,StageName,Amount,CloseDate\n"
        "006X1,Betatech,Closed Won,100,2017-06-30\n"
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])

    problems = mapped_import_mapping_accept(mapped=mapped, user=None)

    assert problems == {
        "opportunities.csv": [
            "a deals file needs a column mapped to the account's ID or name: "
            "each deal is kept on an account"
        ]
    }


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        (
            {"Day": "revenue.date", "Total": "revenue.amount"},
            "a revenue file needs a column mapped to the account's ID or name: "
            "each revenue line is kept on an account",
        ),
        (
            {"Day": "support.period", "Total": "support.tickets"},
            "a support file needs a column mapped to the account's ID or name: "
            "each support signal is kept on an account",
        ),
    ],
)
def test_revenue_and_support_mappings_without_the_account_are_refused(
    tmp_path: Path, mapping, problem
) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("Day,Total\n2024-11-02,10\n")
    mapped = mapped_import_create_from_paths(user=None, paths=[path])

    problems = mapped_import_mapping_confirm(
        mapped=mapped,
        mapping={"lines.csv": {c: t.split(".") for c, t in mapping.items()}},
        user=None,
    )

    assert problems == {"lines.csv": [problem]}
