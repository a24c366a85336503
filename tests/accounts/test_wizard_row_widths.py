"""Rows whose values do not fit the header, and deals no rate converts.

From a fresh-clone tester's files: a file that mixes delimiters is refused
by line and column, a row with too many values is counted with the others,
and a won deal in a currency with no stored rate is warned of at the check.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import Account, CurrencyRate, ImportJob, Opportunity
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
)

ROWS = Path(__file__).parent / "fixtures" / "rows"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


MIXED = (
    "mixed_delimiters.csv: the file mixes commas and semicolons as "
    "delimiters: line 1, the header row, is split at commas but its column "
    "'Industry;Annual Revenue' holds a semicolon, and the rows below split "
    "the same way (line 2: 'Alpha Inc,Tech;100'), so Lode cannot tell which "
    "values belong to which column. Choose the delimiter that separates the "
    "columns, comma or semicolon (Delimiter on the upload page, --delimiter on "
    'the command line, "delimiters" in the API), and the other is read as '
    "text; or save the file with one delimiter throughout and upload it again"
)


def test_an_upload_mixing_delimiters_is_refused_and_nothing_kept(ops) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    path = ROWS / "mixed_delimiters.csv"

    # when
    response = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
        format="multipart",
    )

    # then
    assert response.status_code == 400
    assert response.json() == {"files": [MIXED]}
    assert not ImportJob.objects.exists()
    assert not Account.objects.exists()


def test_a_row_with_too_many_values_is_counted_everywhere() -> None:
    # given: line 2 has 5 values under 4 columns, lines 3 and 4 bad cells
    mapped = mapped_import_create_from_paths(
        user=None, paths=[ROWS / "formulas_wide_row.csv"]
    )
    [preview] = mapped_import_files_read(mapped=mapped)
    assert preview.row_count == 3
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then
    assert outcome.rejected_rows == 3
    assert outcome.counts == {
        "Accounts": {"created": 0, "updated": 0, "unchanged": 0, "rejected": 3}
    }
    assert job.status == ImportJob.Status.REJECTED
    report = "".join(mapped_import_report_csv(job=job))
    assert "table,created,updated,unchanged,rejected\r\nAccounts,0,0,0,3\r\n" in (
        report
    )
    assert (
        "formulas_wide_row.csv,2,,"
        '"\'=HYPERLINK(""http://evil.example"",click),Tech,100,http://x",'
        "5 values but the header has 4 columns,rejected"
    ) in report
    assert not Account.objects.exists()


def test_the_check_warns_of_won_deals_no_rate_converts() -> None:
    # given: a CHF rate but no JPY one; the open JPY deal counts nowhere
    Account.objects.create(name="Acme Corporation")
    CurrencyRate.objects.create(
        currency="CHF", rate=Decimal("1.01"), rate_date=datetime.date(2017, 1, 2)
    )
    mapped = mapped_import_create_from_paths(
        user=None, paths=[ROWS / "deals_without_rate.csv"]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert outcome.can_write, (outcome.problems, outcome.questions)
    assert outcome.warnings == [
        "deals_without_rate.csv: 2 won deals in JPY (lines 3, 5) left out of "
        "won revenue: no JPY rate on or before their dates (7 Aug 2017 to 1 Sep "
        "2017); they are stored in JPY and counted once such a rate is stored"
    ]
    assert not Opportunity.objects.exists()


def test_the_check_names_one_won_deal_no_rate_converts() -> None:
    # given
    Account.objects.create(name="Acme Corporation")
    CurrencyRate.objects.create(
        currency="CHF", rate=Decimal("1.01"), rate_date=datetime.date(2017, 1, 2)
    )
    CurrencyRate.objects.create(
        currency="JPY", rate=Decimal("0.009"), rate_date=datetime.date(2017, 8, 20)
    )
    mapped = mapped_import_create_from_paths(
        user=None, paths=[ROWS / "deals_without_rate.csv"]
    )
    mapped_import_mapping_accept(mapped=mapped, user=None)

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then: the rate of 20 Aug converts the deal of 1 Sep, not that of 7 Aug
    assert outcome.warnings == [
        "deals_without_rate.csv: 1 won deal in JPY (line 3) left out of won "
        "revenue: no JPY rate on or before 7 Aug 2017; it is stored in JPY and "
        "counted once such a rate is stored"
    ]
