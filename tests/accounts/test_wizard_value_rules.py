"""Deal stages, amounts and rates the import takes only as the deal page does."""

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import CurrencyRate, ImportJob, Opportunity
from accounts.numbers import RATE_NOT_ABOVE_ZERO
from accounts.wizard import (
    REJECTED,
    WizardError,
    mapped_import_answer,
    mapped_import_check,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_steps import opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]


def unknown(name: str) -> str:
    return (
        f'stage "{name}" is not known; map it to won, lost or open, or use '
        "a Salesforce, HubSpot or bundled data set stage (such as Prospecting, "
        "Negotiation/Review, Closed Won or Closed Lost)"
    )


NO_STAGE = (
    "the deal has no stage; give it one such as Prospecting, Closed Won or Closed Lost"
)
UNKNOWN_STAGES = {
    # line: (stage, what the user maps it to)
    2: ("Not Won", "lost"),
    3: ("Lost (was Won)", "lost"),
    4: ("Won't buy", "lost"),
    5: ("Closed - No Decision", "lost"),
    6: ("Closed", "lost"),
    7: ("Banana", "open"),
    9: ("Verbal Win", "won"),
    10: ("Gewonnen", "won"),
}
KNOWN_STAGES = {
    "S-10": "won",
    "S-11": "lost",
    "S-12": "engaging",
    "S-13": "prospecting",
    "S-14": "engaging",
}
MAPPED_STAGES = {
    "S-1": "lost",
    "S-2": "lost",
    "S-3": "lost",
    "S-4": "lost",
    "S-5": "lost",
    "S-6": "engaging",
    "S-8": "won",
    "S-9": "won",
    **KNOWN_STAGES,
}


def refusals(outcome) -> list[tuple[int, str, str, str]]:
    return [
        (issue.line, issue.column, issue.value, issue.reason)
        for issue in outcome.issues
        if issue.action == REJECTED
    ]


def imported(path: Path, django_capture_on_commit_callbacks) -> ImportJob:
    mapped = opened(path)
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True)
    mapped.job.refresh_from_db()
    return mapped.job


def stages() -> dict[str, str]:
    return dict(Opportunity.objects.values_list("external_id", "stage"))


def test_an_unknown_stage_is_refused_and_asked_about_once_per_name() -> None:
    AccountFactory.create(name="Acme Corporation")

    outcome = mapped_import_check(mapped=opened(WIZARD / "deal_stages.csv"))

    assert refusals(outcome) == [
        (2, "Stage", "Not Won", unknown("Not Won")),
        (3, "Stage", "Lost (was Won)", unknown("Lost (was Won)")),
        (4, "Stage", "Won't buy", unknown("Won't buy")),
        (5, "Stage", "Closed - No Decision", unknown("Closed - No Decision")),
        (6, "Stage", "Closed", unknown("Closed")),
        (7, "Stage", "Banana", unknown("Banana")),
        (8, "Stage", "", NO_STAGE),
        (9, "Stage", "Verbal Win", unknown("Verbal Win")),
        (10, "Stage", "Gewonnen", unknown("Gewonnen")),
    ]
    assert [
        (file, q.column, q.message, q.options) for file, q in outcome.questions
    ] == [
        (
            "deal_stages.csv",
            f"Stage={name}|stage",
            f"'Stage' says {name!r} (line {line}), which is no known deal "
            "stage; is a deal at it won, lost or open?",
            ["won", "lost", "open"],
        )
        for line, (name, _) in UNKNOWN_STAGES.items()
    ]
    assert not outcome.can_write


def test_nothing_is_written_while_a_stage_is_unanswered(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")

    job = imported(WIZARD / "deal_stages.csv", django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.REJECTED
    assert stages() == {}


def test_each_unknown_stage_is_mapped_to_won_lost_or_open(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    AccountFactory.create(name="Acme Corporation")
    mapped = opened(WIZARD / "deal_stages.csv")

    # when
    for name, option in UNKNOWN_STAGES.values():
        mapped_import_answer(
            mapped=mapped,
            file="deal_stages.csv",
            column=f"Stage={name}|stage",
            option=option,
        )
    outcome = mapped_import_check(mapped=mapped)
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True)
    mapped.job.refresh_from_db()

    # then
    assert outcome.questions == []
    assert refusals(outcome) == [(8, "Stage", "", NO_STAGE)]
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    assert stages() == MAPPED_STAGES


def test_a_stage_is_answered_only_won_lost_or_open() -> None:
    AccountFactory.create(name="Acme Corporation")
    mapped = opened(WIZARD / "deal_stages.csv")

    with pytest.raises(WizardError) as refused:
        mapped_import_answer(
            mapped=mapped,
            file="deal_stages.csv",
            column="Stage=Banana|stage",
            option="engineer",
        )

    assert str(refused.value) == "'engineer' is not an answer to this question"


def test_the_api_asks_about_and_takes_a_stage(ops) -> None:
    # given
    AccountFactory.create(name="Acme Corporation")
    api = APIClient()
    api.force_authenticate(ops)
    path = WIZARD / "deal_stages.csv"
    job = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
        format="multipart",
    ).json()
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)
    asked = api.get(url + "check/").json()["questions"]

    # when
    for name, option in UNKNOWN_STAGES.values():
        answered = api.post(
            url + "answer/",
            {"file": path.name, "column": f"Stage={name}|stage", "option": option},
            format="json",
        )
        assert answered.status_code == 200, answered.content

    # then
    assert [(q["column"], q["options"]) for q in asked] == [
        (f"Stage={name}|stage", ["won", "lost", "open"])
        for name, _ in UNKNOWN_STAGES.values()
    ]
    assert api.get(url + "check/").json()["questions"] == []


def test_the_command_asks_about_and_takes_a_stage(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    AccountFactory.create(name="Acme Corporation")
    path = str(WIZARD / "deal_stages.csv")
    out = StringIO()

    # when
    with pytest.raises(CommandError, match="needs answers"):
        call_command("import_files", path, stdout=out)
    answers = [
        f"--answer=deal_stages.csv:Stage={name}|stage={option}"
        for name, option in UNKNOWN_STAGES.values()
    ]
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_files", path, *answers, "--keep-good-rows", "--yes", stdout=out
        )

    # then
    assert (
        "QUESTION deal_stages.csv: 'Stage' says 'Banana' (line 7), which is no "
        "known deal stage; is a deal at it won, lost or open? Answer with "
        "--answer 'deal_stages.csv:Stage=Banana|stage=<won|lost|open>'"
    ) in out.getvalue()
    assert stages() == MAPPED_STAGES


def test_won_and_closed_columns_decide_before_the_stage_name(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    AccountFactory.create(name="Acme Corporation")
    mapped = opened(WIZARD / "deal_stage_flags.csv")

    # when: not won but maybe open, "Not Won" is asked about
    asked = mapped_import_check(mapped=mapped)
    mapped_import_answer(
        mapped=mapped,
        file="deal_stage_flags.csv",
        column="Stage=Not Won|stage",
        option="lost",
    )
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False)
    mapped.job.refresh_from_db()

    # then
    assert refusals(asked) == [(6, "Stage", "Not Won", unknown("Not Won"))]
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    assert stages() == {
        "F-1": "won",
        "F-2": "lost",
        "F-3": "engaging",
        "F-4": "prospecting",
        "F-5": "lost",
    }


def test_a_deal_amount_below_zero_is_refused_in_the_deal_pages_words(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")
    path = WIZARD / "deal_amounts_below_zero.csv"

    outcome = mapped_import_check(mapped=opened(path))
    job = imported(path, django_capture_on_commit_callbacks)

    assert refusals(outcome) == [
        (2, "Amount", "-1500", "must not be negative"),
        (3, "Amount", "-1", "must not be negative"),
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert dict(Opportunity.objects.values_list("external_id", "close_value")) == {
        "N-3": Decimal("0.00"),
        "N-4": Decimal("1500.00"),
    }


def test_a_rate_not_above_zero_is_refused(django_capture_on_commit_callbacks) -> None:
    path = WIZARD / "rates_not_above_zero.csv"

    outcome = mapped_import_check(mapped=opened(path))
    job = imported(path, django_capture_on_commit_callbacks)

    assert refusals(outcome) == [
        (3, "Rate", "0", RATE_NOT_ABOVE_ZERO),
        (4, "Rate", "-5", RATE_NOT_ABOVE_ZERO),
    ]
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(CurrencyRate.objects.values_list("currency", "rate")) == [
        ("EUR", Decimal("1.1000000000"))
    ]


def test_a_rate_of_zero_is_refused_by_the_rate_itself() -> None:
    rate = CurrencyRate(currency="GBP", rate=Decimal(0), rate_date="2017-01-01")

    with pytest.raises(ValidationError) as refused:
        rate.full_clean()

    assert refused.value.message_dict == {"rate": [RATE_NOT_ABOVE_ZERO]}


def test_plain_product_and_currency_headers_are_read(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")

    job = imported(
        WIZARD / "deals_plain_headers.csv", django_capture_on_commit_callbacks
    )

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert list(
        Opportunity.objects.values_list(
            "external_id", "product__name", "currency", "close_value", "stage"
        )
    ) == [("D-1", "GTX Pro", "EUR", Decimal("1000.00"), "won")]


def test_the_check_page_asks_about_a_stage_and_keeps_the_answer(client, ops) -> None:
    # given
    AccountFactory.create(name="Acme Corporation")
    mapped = opened(WIZARD / "deal_stages.csv")
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])

    # when
    page = client.get(url)
    answered = client.post(
        url,
        {"file": "deal_stages.csv", "column": "Stage=Banana|stage", "option": "open"},
    )

    # then
    assert (
        "&#x27;Stage&#x27; says &#x27;Banana&#x27; (line 7), which is no known "
        "deal stage; is a deal at it won, lost or open?"
    ) in page.content.decode()
    assert 'name="column" value="Stage=Banana|stage"' in page.content.decode()
    assert answered.status_code == 302
    mapped.refresh_from_db()
    assert mapped.answers == {"deal_stages.csv": {"Stage=Banana|stage": "open"}}


def test_a_deals_file_without_a_stage_column_says_its_deals_are_open(
    django_capture_on_commit_callbacks,
) -> None:
    AccountFactory.create(name="Acme Corporation")
    path = WIZARD / "deals_no_stage.csv"

    outcome = mapped_import_check(mapped=opened(path))
    job = imported(path, django_capture_on_commit_callbacks)

    assert (
        "deals_no_stage.csv",
        "",
        "no stage, Won or Closed column: every deal is read as open",
    ) in outcome.decisions
    assert refusals(outcome) == []
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stages() == {"X-1": "engaging"}
