"""A file's date columns share one order, and an answer is kept for the next."""

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ImportJob, Opportunity, SavedMapping
from accounts.wizard import mapped_import_answer, mapped_import_check
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"
DECIDES = WIZARD / "sf_report_close_decides.csv"
UNDECIDED = WIZARD / "sf_report_dates_undecided.csv"
FILE = UNDECIDED.name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

CREATED_SAVED = (
    "No date in 'Created Date' says whether it is day-first or month-first: "
    "read month-first, the answer saved with the mapping for these headers. "
    "Answer again to change it (day-first or month-first), or clear it to be "
    "asked"
)


@pytest.fixture(autouse=True)
def acme() -> None:
    AccountFactory.create(name="Acme")


def asked(outcome) -> list[tuple[str, str, str]]:
    return [(file, q.column, q.message) for file, q in outcome.questions]


def answered_once() -> None:
    mapped = opened(UNDECIDED)
    for column in ("Close Date", "Created Date"):
        mapped_import_answer(
            mapped=mapped, file=FILE, column=column, option="month-first"
        )


def test_an_undecided_date_column_reads_as_the_files_deciding_column() -> None:
    outcome = mapped_import_check(mapped=opened(DECIDES))

    assert outcome.questions == []
    assert [d for d in outcome.decisions if d[1].endswith("Date")] == [
        (DECIDES.name, "Close Date", "month-first, as '3/15/2026' on line 2 shows"),
        (
            DECIDES.name,
            "Created Date",
            "month-first, as 'Close Date' in this file shows ('3/15/2026' on line 2)",
        ),
    ]


def test_the_borrowed_order_is_the_one_stored() -> None:
    job = imported(DECIDES)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id", "engaged_on", "closed_on"
        )
    ) == [
        ("006A1", date(2026, 3, 4), date(2026, 3, 15)),
        ("006A2", date(2026, 2, 3), date(2026, 4, 2)),
    ]


def test_a_file_whose_date_columns_cannot_decide_asks_for_each() -> None:
    outcome = mapped_import_check(mapped=opened(UNDECIDED))

    assert asked(outcome) == [
        (
            FILE,
            "Close Date",
            "No date in 'Close Date' says whether it is day-first or "
            "month-first: is '3/5/2026' (line 2) day/month/year or "
            "month/day/year?",
        ),
        (
            FILE,
            "Created Date",
            "No date in 'Created Date' says whether it is day-first or "
            "month-first: is '3/4/2026' (line 2) day/month/year or "
            "month/day/year?",
        ),
    ]


def test_a_date_order_answer_is_saved_with_the_mapping_and_reused() -> None:
    # given
    answered_once()

    # when
    outcome = mapped_import_check(mapped=opened(UNDECIDED))
    job = imported(UNDECIDED)

    # then
    assert SavedMapping.objects.get().date_orders == {
        "closedate": "month-first",
        "createddate": "month-first",
    }
    assert outcome.questions == []
    assert outcome.saved_answers[1] == {
        "file": FILE,
        "column": "Created Date",
        "value": "",
        "answer": "month-first",
        "message": CREATED_SAVED,
        "options": ["day-first", "month-first"],
    }
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(Opportunity.objects.values_list("engaged_on", "closed_on")) == [
        (date(2026, 3, 4), date(2026, 3, 5))
    ]


def test_a_cleared_date_order_is_asked_again() -> None:
    # given
    answered_once()
    mapped = opened(UNDECIDED)

    # when
    mapped_import_answer(
        mapped=mapped, file=FILE, column="Created Date", option="clear"
    )
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert SavedMapping.objects.get().date_orders == {"closedate": "month-first"}
    assert [column for _, column, _ in asked(outcome)] == ["Created Date"]
    assert [saved["column"] for saved in outcome.saved_answers] == ["Close Date"]


def test_the_api_answers_and_the_next_upload_is_not_asked(ops) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)

    def upload() -> str:
        job = api.post(
            "/api/accounts/imports/",
            {"files": [SimpleUploadedFile(FILE, UNDECIDED.read_bytes(), "text/csv")]},
            format="multipart",
        ).json()
        url = f"/api/accounts/imports/{job['id']}/"
        etag = api.get(url + "mapping/")["ETag"]
        api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)
        return url

    first = upload()

    # when
    answers = [
        api.post(
            first + "answer/",
            {"file": FILE, "column": column, "option": "day-first"},
            format="json",
        ).status_code
        for column in ("Close Date", "Created Date")
    ]
    checked = api.get(upload() + "check/").json()

    # then
    assert answers == [200, 200]
    assert checked["questions"] == []
    assert [
        (saved["column"], saved["answer"]) for saved in checked["saved_answers"]
    ] == [("Close Date", "day-first"), ("Created Date", "day-first")]


def test_the_check_page_shows_and_changes_a_saved_date_order(client, ops) -> None:
    # given
    answered_once()
    mapped = opened(UNDECIDED)
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])

    # when
    page = client.get(url).content.decode()
    changed = client.post(
        url, {"file": FILE, "column": "Created Date", "option": "day-first"}
    )

    # then
    assert (
        "No date in &#x27;Created Date&#x27; says whether it is day-first or "
        "month-first: read month-first, the answer saved with the mapping for "
        "these headers."
    ) in page
    assert (
        '<button type="submit" name="option" value="month-first" class="primary" '
        'aria-pressed="true">Month-first</button>'
    ) in page
    assert changed.status_code == 302
    assert SavedMapping.objects.get().date_orders["createddate"] == "day-first"


def test_the_command_answers_once_and_the_next_run_says_the_saved_order(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    first = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_files",
            str(UNDECIDED),
            f"--answer={FILE}:Close Date=month-first",
            f"--answer={FILE}:Created Date=month-first",
            "--yes",
            stdout=first,
        )
    Opportunity.objects.all().delete()
    second = StringIO()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_files", str(UNDECIDED), stdout=second)

    # then
    assert SavedMapping.objects.get().date_orders == {
        "closedate": "month-first",
        "createddate": "month-first",
    }
    assert (
        f"SAVED ANSWER {FILE}: {CREATED_SAVED}. Change with --answer "
        f"'{FILE}:Created Date=<day-first|month-first|clear>'\n"
    ) in second.getvalue()
    assert "QUESTION" not in second.getvalue()
