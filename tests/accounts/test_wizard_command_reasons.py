from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Account, ImportJob

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_check_prints_why_a_file_cannot_be_written() -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_files", str(WIZARD / "headers_only.csv"), stdout=StringIO()
        )

    job = ImportJob.objects.get()
    assert str(refused.value) == (
        f"import {job.pk} cannot be written:\n"
        "headers_only.csv: the file has a header row but no data rows"
    )


def test_the_check_prints_what_it_decided_about_the_columns() -> None:
    out = StringIO()

    call_command("import_files", str(WIZARD / "accounts_semicolon.csv"), stdout=out)

    assert [
        line for line in out.getvalue().splitlines() if line.startswith("DECIDED")
    ] == [
        "DECIDED accounts_semicolon.csv: Annual Revenue: decimal comma",
        "DECIDED accounts_semicolon.csv: Employees: decimal comma",
        "DECIDED accounts_semicolon.csv: Annual Revenue: amounts name no currency "
        "(e.g. '1.250.000,00' on line 2) and the file has no currency column: "
        "read in USD, the reporting currency",
    ]


def test_a_rejected_run_says_why() -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_files", str(WIZARD / "overlong400.csv"), "--yes", stdout=StringIO()
        )

    job = ImportJob.objects.get()
    assert str(refused.value) == (
        f"import {job.pk} ended rejected: 1 row rejected (listed above), so "
        "nothing was written; fix them, or write the other rows with "
        "--keep-good-rows"
    )
    assert not Account.objects.exists()


def test_a_rejected_run_names_the_file_problem() -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_files", str(WIZARD / "headers_only.csv"), "--yes", stdout=StringIO()
        )

    job = ImportJob.objects.get()
    assert str(refused.value) == (
        f"import {job.pk} ended rejected: "
        "headers_only.csv: the file has a header row but no data rows"
    )
