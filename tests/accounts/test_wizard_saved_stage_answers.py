"""Answers about unknown deal stages are saved with the mapping and reused."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ImportJob, Opportunity, SavedMapping
from accounts.wizard import (
    WizardError,
    mapped_import_answer,
    mapped_import_check,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_steps import opened

DEALS = Path(__file__).parent / "fixtures" / "wizard" / "deal_stages.csv"
FILE = DEALS.name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

# The stage names deal_stages.csv holds that Lode does not know, and what
# the user says each one is.
ANSWERS = {
    "Not Won": "lost",
    "Lost (was Won)": "lost",
    "Won't buy": "lost",
    "Closed - No Decision": "lost",
    "Closed": "lost",
    "Banana": "open",
    "Verbal Win": "won",
    "Gewonnen": "won",
}
SAVED = {
    "notwon": "lost",
    "lostwaswon": "lost",
    "wontbuy": "lost",
    "closednodecision": "lost",
    "closed": "lost",
    "banana": "open",
    "verbalwin": "won",
    "gewonnen": "won",
}
BANANA_SAVED = (
    "'Stage' says 'Banana', which is no known deal stage: read as open, the "
    "answer saved with the mapping for these headers. Answer again to change "
    "it (won, lost or open), or clear it to be asked"
)


@pytest.fixture(autouse=True)
def acme() -> None:
    AccountFactory.create(name="Acme Corporation")


def answered_once() -> None:
    mapped = opened(DEALS)
    for name, option in ANSWERS.items():
        mapped_import_answer(
            mapped=mapped, file=FILE, column=f"Stage={name}|stage", option=option
        )


def saved_stages() -> dict[str, str]:
    return SavedMapping.objects.get().stage_answers


def test_a_stage_answer_is_saved_with_the_mapping() -> None:
    answered_once()

    assert saved_stages() == SAVED


def test_the_next_file_with_the_same_headers_is_not_asked_again(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    answered_once()
    mapped = opened(DEALS)

    # when
    outcome = mapped_import_check(mapped=mapped)
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True)
    mapped.job.refresh_from_db()

    # then
    assert outcome.questions == []
    assert mapped.answers == {}
    assert [(a["value"], a["answer"]) for a in outcome.saved_answers] == list(
        ANSWERS.items()
    )
    assert outcome.saved_answers[5] == {
        "file": FILE,
        "column": "Stage=Banana|stage",
        "value": "Banana",
        "answer": "open",
        "message": BANANA_SAVED,
        "options": ["won", "lost", "open"],
    }
    assert mapped.job.status == ImportJob.Status.SUCCEEDED, mapped.job.issues
    assert dict(Opportunity.objects.values_list("external_id", "stage"))["S-6"] == (
        "engaging"
    )


def test_a_saved_answer_can_be_changed_for_this_import_and_the_next() -> None:
    # given
    answered_once()
    mapped = opened(DEALS)

    # when
    mapped_import_answer(
        mapped=mapped, file=FILE, column="Stage=Banana|stage", option="won"
    )
    this = mapped_import_check(mapped=mapped)
    following = mapped_import_check(mapped=opened(DEALS))

    # then
    assert saved_stages() == {**SAVED, "banana": "won"}
    assert "Banana" not in [a["value"] for a in this.saved_answers]
    assert [a["answer"] for a in following.saved_answers if a["value"] == "Banana"] == [
        "won"
    ]


def test_a_cleared_answer_is_asked_again() -> None:
    # given
    answered_once()
    mapped = opened(DEALS)

    # when
    mapped_import_answer(
        mapped=mapped, file=FILE, column="Stage=Banana|stage", option="clear"
    )
    outcome = mapped_import_check(mapped=mapped)

    # then
    assert "banana" not in saved_stages()
    assert [(file, q.column) for file, q in outcome.questions] == [
        (FILE, "Stage=Banana|stage")
    ]
    assert len(outcome.saved_answers) == 7


def test_a_saved_answer_is_only_won_lost_open_or_clear() -> None:
    mapped = opened(DEALS)

    with pytest.raises(WizardError) as refused:
        mapped_import_answer(
            mapped=mapped, file=FILE, column="Stage=Banana|stage", option="maybe"
        )

    assert str(refused.value) == "'maybe' is not an answer to this question"
    assert saved_stages() == {}


def test_other_headers_do_not_take_the_saved_answers(tmp_path: Path) -> None:
    # given
    answered_once()
    other = tmp_path / "other_deals.csv"
    header, rest = DEALS.read_text().split("\n", 1)
    other.write_text(f"{header},Notes\n{rest}")

    # when
    outcome = mapped_import_check(mapped=opened(other))

    # then
    assert outcome.saved_answers == []
    assert len(outcome.questions) == 8


def test_the_api_shows_changes_and_clears_a_saved_answer(ops) -> None:
    # given
    answered_once()
    api = APIClient()
    api.force_authenticate(ops)
    job = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(FILE, DEALS.read_bytes(), "text/csv")]},
        format="multipart",
    ).json()
    url = f"/api/accounts/imports/{job['id']}/"
    etag = api.get(url + "mapping/")["ETag"]
    api.put(url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    checked = api.get(url + "check/").json()
    cleared = api.post(
        url + "answer/",
        {"file": FILE, "column": "Stage=Banana|stage", "option": "clear"},
        format="json",
    )
    asked = api.get(url + "check/").json()

    # then
    assert checked["questions"] == []
    assert checked["saved_answers"][5]["message"] == BANANA_SAVED
    assert cleared.status_code == 200, cleared.content
    assert [q["column"] for q in asked["questions"]] == ["Stage=Banana|stage"]
    assert "banana" not in saved_stages()


def test_the_command_says_a_saved_answer_and_where_to_change_it(
    django_capture_on_commit_callbacks,
) -> None:
    # given
    answered_once()
    out = StringIO()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_files",
            str(DEALS),
            "--answer=deal_stages.csv:Stage=Verbal Win|stage=lost",
            "--keep-good-rows",
            "--merge-proposed",
            "--yes",
            stdout=out,
        )

    # then
    assert (
        f"SAVED ANSWER {FILE}: {BANANA_SAVED}. Change with --answer "
        "'deal_stages.csv:Stage=Banana|stage=<won|lost|open|clear>'\n"
    ) in out.getvalue()
    assert "Verbal Win" not in out.getvalue()
    assert saved_stages() == {**SAVED, "verbalwin": "lost"}
    assert dict(Opportunity.objects.values_list("external_id", "stage"))["S-8"] == (
        "lost"
    )


def test_the_command_clears_a_saved_answer_and_is_asked_again() -> None:
    answered_once()
    out = StringIO()

    with pytest.raises(CommandError, match="needs answers"):
        call_command(
            "import_files",
            str(DEALS),
            "--answer=deal_stages.csv:Stage=Banana|stage=clear",
            stdout=out,
        )

    assert (
        "QUESTION deal_stages.csv: 'Stage' says 'Banana' (line 7), which is no "
        "known deal stage; is a deal at it won, lost or open?"
    ) in out.getvalue()


def test_the_check_page_shows_and_changes_a_saved_answer(client, ops) -> None:
    # given
    answered_once()
    mapped = opened(DEALS)
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])

    # when
    page = client.get(url).content.decode()
    changed = client.post(
        url, {"file": FILE, "column": "Stage=Banana|stage", "option": "lost"}
    )

    # then
    assert "<h2>Answers saved with the mapping</h2>" in page
    assert (
        "&#x27;Stage&#x27; says &#x27;Banana&#x27;, which is no known deal "
        "stage: read as open, the answer saved with the mapping for these "
        "headers."
    ) in page
    assert (
        '<button type="submit" name="option" value="open" class="primary" '
        'aria-pressed="true">Open</button>'
    ) in page
    assert changed.status_code == 302
    assert saved_stages()["banana"] == "lost"


def test_the_check_page_says_why_it_refuses_an_answer(client, ops) -> None:
    # given
    mapped = opened(DEALS)
    client.force_login(ops)
    url = reverse("accounts:wizard_check", args=[mapped.job_id])

    # when
    refused = client.post(
        url,
        {"file": FILE, "column": "Stage=Banana|stage", "option": "maybe"},
        follow=True,
    )

    # then
    assert refused.status_code == 200
    assert (
        '<li class="error">&#x27;maybe&#x27; is not an answer to this question</li>'
    ) in refused.content.decode()
    assert saved_stages() == {}
