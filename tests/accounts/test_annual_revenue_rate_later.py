"""A rate stored later converts the annual revenues kept without one."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.currency import annual_revenue_note
from accounts.models import Account, CurrencyRate, ImportJob, ImportRowChange, User
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_report_csv,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
    row_report_path,
)
from scoring.loading import scoring_frames_load
from scoring.models import AccountScore, ScoreRun
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import counted, imported

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

CURRENCY = Path(__file__).parent / "fixtures" / "currency"
REPORT = CURRENCY / "report_euro_revenue_semicolon_bom.csv"
KELLEREI = "Kellerei Schönblick GmbH"
KEPT_WITHOUT_RATE = [
    (KELLEREI, Decimal("2345678.91"), "EUR", None, None),
    ("Leer Handel KG", None, "", None, None),
    ("Null Komma Null KG", Decimal("0.00"), "EUR", None, None),
]
# After a EUR rate of 1.08 dated 31 Mar 2026 is stored.
CONVERTED = [
    (KELLEREI, Decimal("2345678.91"), "EUR", Decimal("1.08"), date(2026, 3, 31)),
    ("Leer Handel KG", None, "", None, None),
    ("Null Komma Null KG", Decimal("0.00"), "EUR", Decimal("1.08"), date(2026, 3, 31)),
]
# 2,345,678.91 EUR at 1.08, in millions of USD.
KELLEREI_MUSD = Decimal("2.5333332228")
NOT_CONVERTED = {"annual_revenue_rate": None, "annual_revenue_rate_date": None}


def rates_file(directory: Path, *rows: str) -> Path:
    path = directory / "rates.csv"
    path.write_text("Currency,Rate,Rate Date\n" + "".join(f"{r}\n" for r in rows))
    return path


def revenues() -> list[tuple]:
    return list(
        Account.objects.order_by("name").values_list(
            "name",
            "annual_revenue",
            "annual_revenue_currency",
            "annual_revenue_rate",
            "annual_revenue_rate_date",
        )
    )


def test_a_rate_imported_later_converts_the_revenues_kept_without_one(
    tmp_path: Path,
) -> None:
    # given
    imported(REPORT)
    assert revenues() == KEPT_WITHOUT_RATE

    # when: an older rate and the latest, in one file
    job = imported(rates_file(tmp_path, "EUR,1.08,2026-03-31", "EUR,1.05,2026-01-31"))

    # then: both at the latest rate, as giving the revenue again would
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert job.counts == {
        "Currency rates": counted(created=2),
        "Accounts": counted(updated=2),
    }
    assert revenues() == CONVERTED
    kellerei = Account.objects.get(name=KELLEREI)
    assert kellerei.annual_revenue_musd == KELLEREI_MUSD
    assert annual_revenue_note(account=kellerei) == (
        "about 2.53 M USD; EUR at 1.08 from 31 Mar 2026"
    )
    frame = scoring_frames_load().accounts.set_index("name")
    assert frame.loc[KELLEREI, "annual_revenue_musd"] == float(KELLEREI_MUSD)
    assert frame.loc["Null Komma Null KG", "annual_revenue_musd"] == 0.0


def test_it_converts_only_the_revenues_in_the_rate_currency_that_have_none(
    tmp_path: Path,
) -> None:
    # given
    AccountFactory.create(
        name="Already Converted AG",
        annual_revenue=Decimal("1000000.00"),
        annual_revenue_currency="EUR",
        annual_revenue_rate=Decimal("1.05"),
        annual_revenue_rate_date=date(2026, 1, 31),
    )
    AccountFactory.create(
        name="Bergbahn Kept AG",
        annual_revenue=Decimal("500000.00"),
        annual_revenue_currency="CHF",
        annual_revenue_rate=None,
    )
    AccountFactory.create(name="Dollar Inc", annual_revenue=Decimal("750000.00"))
    AccountFactory.create(
        name="Euro Kept SA",
        annual_revenue=Decimal("1234.56"),
        annual_revenue_currency="EUR",
        annual_revenue_rate=None,
    )

    # when
    job = imported(rates_file(tmp_path, "EUR,1.08,2026-03-31"))

    # then
    assert job.counts["Accounts"] == counted(updated=1)
    assert revenues() == [
        (
            "Already Converted AG",
            Decimal("1000000.00"),
            "EUR",
            Decimal("1.05"),
            date(2026, 1, 31),
        ),
        ("Bergbahn Kept AG", Decimal("500000.00"), "CHF", None, None),
        ("Dollar Inc", Decimal("750000.00"), "USD", None, None),
        ("Euro Kept SA", Decimal("1234.56"), "EUR", Decimal("1.08"), date(2026, 3, 31)),
    ]


def test_the_check_shows_the_conversion_and_writes_nothing(tmp_path: Path) -> None:
    # given
    imported(REPORT)
    kellerei = Account.objects.get(name=KELLEREI)
    mapped = mapped_import_create_from_paths(
        user=None, paths=[rates_file(tmp_path, "EUR,1.08,2026-03-31")]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert outcome.counts["Accounts"] == counted(updated=2)
    assert outcome.changes[0] == {
        "record": f"account {KELLEREI}",
        "key": f"accounts.account:{kellerei.pk}",
        "fields": [
            {
                "field": "annual revenue rate into USD",
                "old": "(empty)",
                "new": "1.0800000000",
            },
            {
                "field": "annual revenue rate date",
                "old": "(empty)",
                "new": "2026-03-31",
            },
        ],
    }
    assert [change["record"] for change in outcome.changes] == [
        f"account {KELLEREI}",
        "account Null Komma Null KG",
    ]
    assert revenues() == KEPT_WITHOUT_RATE
    assert not CurrencyRate.objects.exists()


def test_the_conversion_moves_the_version_and_its_undo_sets_it_back(
    tmp_path: Path,
) -> None:
    # given
    imported(REPORT)
    kellerei = Account.objects.get(name=KELLEREI)
    nothing = Account.objects.get(name="Null Komma Null KG")
    read_at = kellerei.updated_at

    # when
    job = imported(rates_file(tmp_path, "EUR,1.08,2026-03-31"))

    # then: a new version, recorded for the undo and in the row report
    kellerei.refresh_from_db()
    assert kellerei.updated_at > read_at
    assert sorted(
        ImportRowChange.objects.filter(
            job=job, content_type=ContentType.objects.get_for_model(Account)
        ).values_list("object_id", "action", "old_values")
    ) == [
        (kellerei.pk, ImportRowChange.Action.UPDATED, NOT_CONVERTED),
        (nothing.pk, ImportRowChange.Action.UPDATED, NOT_CONVERTED),
    ]
    reason = (
        "from this row: annual revenue kept without a rate converted, EUR at "
        "1.08 from 31 Mar 2026"
    )
    report = row_report_path(job=job).read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(report))) == [
        [
            "rates.csv",
            "2",
            "created",
            "currency rate EUR / 2026-03-31",
            "",
            f"accounts.currencyrate:{CurrencyRate.objects.get().pk}",
        ],
        [
            "rates.csv",
            "2",
            "updated",
            f"account {KELLEREI}",
            reason,
            f"accounts.account:{kellerei.pk}",
        ],
        [
            "rates.csv",
            "2",
            "updated",
            "account Null Komma Null KG",
            reason,
            f"accounts.account:{nothing.pk}",
        ],
    ]

    # when
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert revenues() == KEPT_WITHOUT_RATE
    assert not CurrencyRate.objects.exists()


def test_the_rate_import_scores_the_converted_revenue(
    tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    # given
    imported(REPORT)
    kellerei = Account.objects.get(name=KELLEREI)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        job = imported(rates_file(tmp_path, "EUR,1.08,2026-03-31"))

    # then
    run = ScoreRun.objects.get(import_job=job)
    assert (run.trigger, run.status) == ("import", ScoreRun.Status.SUCCEEDED)
    score = AccountScore.objects.select_related("run").get(run=run, account=kellerei)
    capacity = score.components["potential"]["capacity_revenue"]
    assert capacity["raw"] == float(KELLEREI_MUSD)


def test_the_command_line_rate_import_converts_the_kept_revenue(
    tmp_path: Path,
) -> None:
    # given
    imported(REPORT)
    out = io.StringIO()

    # when
    call_command(
        "import_files",
        str(rates_file(tmp_path, "EUR,1.08,2026-03-31")),
        "--yes",
        stdout=out,
    )

    # then
    assert revenues() == CONVERTED


def test_the_api_rate_import_converts_the_kept_revenue(
    tmp_path: Path, ops: User, django_capture_on_commit_callbacks
) -> None:
    # given
    imported(REPORT)
    path = rates_file(tmp_path, "EUR,1.08,2026-03-31")
    api = APIClient()
    api.force_authenticate(ops)
    created = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
        format="multipart",
    )
    assert created.status_code == 201, created.content
    url = f"/api/accounts/imports/{created.json()['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(url + "start/", {}, format="json")

    # then
    assert started.status_code == 202, started.content
    detail = api.get(url).json()
    assert detail["status"] == ImportJob.Status.SUCCEEDED
    assert detail["counts"]["Accounts"] == counted(updated=2)
    assert revenues() == CONVERTED


def test_an_account_converted_and_listed_unchanged_counts_once(
    tmp_path: Path, ops: User, client
) -> None:
    # given: the accounts kept without a rate, then one upload of the same
    # accounts file and a EUR rate: the rate converts two of them, and the
    # accounts file lists all three as they are now
    imported(REPORT)
    kellerei = Account.objects.get(name=KELLEREI)
    mapped = mapped_import_create_from_paths(
        user=ops, paths=[REPORT, rates_file(tmp_path, "EUR,1.08,2026-03-31")]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=ops) == {}
    once = {
        "Currency rates": counted(created=1),
        "Accounts": counted(updated=2, unchanged=1),
    }

    # when
    check = mapped_import_check(mapped=mapped)
    api = APIClient()
    api.force_authenticate(ops)
    answered = api.get(f"/api/accounts/imports/{mapped.job_id}/check/")
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)

    # then: each account once, the converted ones as updated, in the
    # check, the API's check, the job, its page and report.csv alike
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert check.counts == once
    assert answered.json()["counts"] == once
    assert job.counts == once
    assert api.get(f"/api/accounts/imports/{job.pk}/").json()["counts"] == once
    client.force_login(ops)
    page = client.get(reverse("accounts:wizard_report", args=[job.pk]))
    table = page.content.decode().split('id="report-counts"')[1].split("</table>")[0]
    shown = [
        [cell.strip() for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    ]
    # PostgreSQL's jsonb keeps the tables in an order of its own.
    assert sorted(shown) == [
        ["Accounts", "0", "2", "1", "0"],
        ["Currency rates", "1", "0", "0", "0"],
    ]
    report = list(csv.reader(io.StringIO("".join(mapped_import_report_csv(job=job)))))
    assert sorted(report[-2:]) == [
        ["Accounts", "0", "2", "1", "0"],
        ["Currency rates", "1", "0", "0", "0"],
    ]
    # and the account's own row says where it was counted
    (kellerei_row,) = [
        row
        for row in report
        if row[:2] == [REPORT.name, "2"]
        and row[-1] == f"accounts.account:{kellerei.pk}"
    ]
    assert kellerei_row[2:5] == [
        "unchanged",
        f"account {KELLEREI}",
        "counted as updated at rates.csv line 2, whose rate converted its annual "
        "revenue",
    ]
    assert revenues() == CONVERTED


def test_the_check_says_each_conversion_with_its_amount_rate_and_result(
    tmp_path: Path,
) -> None:
    # given: a revenue kept in yen, then a yen rate to import
    AccountFactory.create(
        name="Kaisha KK",
        annual_revenue=Decimal("250000000.00"),
        annual_revenue_currency="JPY",
        annual_revenue_rate=None,
    )
    mapped = mapped_import_create_from_paths(
        user=None, paths=[rates_file(tmp_path, "JPY,0.0067,2026-03-31")]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then: after how the rate column reads, the conversion
    assert outcome.decisions[1:] == [
        (
            "rates.csv",
            "Rate",
            "Kaisha KK: annual revenue 250,000,000 JPY = 1,675,000.00 USD at "
            "1 JPY = 0.0067 USD (rate of 31 Mar 2026)",
        )
    ]


def test_a_revenue_a_stored_rate_converts_as_it_is_read_gets_its_line(
    tmp_path: Path,
) -> None:
    # given: a stored CAD rate, and an accounts file with a CAD revenue
    CurrencyRate.objects.create(
        currency="CAD",
        reporting_currency="USD",
        rate=Decimal("0.73"),
        rate_date=date(2026, 3, 31),
    )
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account Name,Annual Revenue,Currency\nMaple Freight Ltd,1500000.40,CAD\n"
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert (
        "accounts.csv",
        "Annual Revenue",
        "Maple Freight Ltd: annual revenue 1,500,000.40 CAD = 1,095,000.29 USD "
        "at 1 CAD = 0.73 USD (rate of 31 Mar 2026)",
    ) in outcome.decisions


def test_the_conversions_past_the_first_twenty_are_summed_in_one_line(
    tmp_path: Path,
) -> None:
    # given: 22 revenues kept in euros
    for number in range(1, 23):
        AccountFactory.create(
            name=f"Euro {number:02d} AG",
            annual_revenue=Decimal("1000.00"),
            annual_revenue_currency="EUR",
            annual_revenue_rate=None,
        )
    mapped = mapped_import_create_from_paths(
        user=None, paths=[rates_file(tmp_path, "EUR,1.08,2026-03-31")]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    decisions = [
        text
        for _, _, text in mapped_import_check(mapped=mapped).decisions
        if "annual revenue" in text
    ]

    # then
    assert len(decisions) == 21
    assert decisions[0] == (
        "Euro 01 AG: annual revenue 1,000.00 EUR = 1,080.00 USD at 1 EUR = "
        "1.08 USD (rate of 31 Mar 2026)"
    )
    assert decisions[-1] == (
        "and 2 more accounts: annual revenues of 2,000.00 EUR = 2,160.00 USD "
        "at 1 EUR = 1.08 USD (rate of 31 Mar 2026) in all"
    )
