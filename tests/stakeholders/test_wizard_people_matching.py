"""A person's company is an account only when exact, or once the user says so.

A company name that matches an account only after case, spacing,
punctuation and legal form are ignored is proposed, as an account row's
name is (accounts.matching), and its rows are refused until the proposal
is accepted: on the check page, through the API and on the command line.
"""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import Account, AccountAlias, ImportJob, MappedImport
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from stakeholders.models import Stakeholder
from tests.accounts.factories import AccountFactory

FIXTURES = Path(__file__).parent / "fixtures"
FILE = "people_company_names.csv"

pytestmark = pytest.mark.django_db

ACME_REFUSED = (
    'Company "ACME Corp." matches no account exactly; accept the proposed '
    'match to "Acme Corporation" or fix the name'
)
HARBOR_REFUSED = (
    "no account 'Harbor Bank of the South'; import the accounts first or in "
    "the same upload"
)
NORDIC_REFUSED = (
    "2 accounts are called 'Nordic Steel' once case, spacing, punctuation and "
    "legal form are ignored: 'NORDIC STEEL Ltd', 'Nordic Steel AB'; name the "
    "account by its ID"
)
ACME_PROPOSAL = {
    "incoming": "ACME Corp.",
    "existing": "Acme Corporation",
    "kind": "same",
    "reason": "same name once case, spacing, punctuation and legal form are "
    "ignored ('acme')",
    "merged": "",
    "records": "people",
    "rows": 2,
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme() -> Account:
    AccountFactory.create(name="Harbor Bank of the North", external_id="")
    AccountFactory.create(name="Nordic Steel AB", external_id="")
    AccountFactory.create(name="NORDIC STEEL Ltd", external_id="")
    return AccountFactory.create(name="Acme Corporation", external_id="")


def opened() -> MappedImport:
    mapped = mapped_import_create_from_paths(user=None, paths=[FIXTURES / FILE])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped


def refused(issues: list[dict]) -> list[tuple]:
    return [
        (i["line"], i["column"], i["value"], i["reason"])
        for i in issues
        if i["action"] == "rejected"
    ]


def people_at() -> list[tuple[str, str]]:
    return list(
        Stakeholder.objects.order_by("last_name").values_list(
            "last_name", "account__name"
        )
    )


def run(capture, mapped: MappedImport, **start) -> ImportJob:
    with capture(execute=False):
        mapped_import_start(mapped=mapped, enqueue=False, **start)
        mapped_import_run(mapped=mapped)
    mapped.job.refresh_from_db()
    return mapped.job


def test_a_loosely_matching_company_is_proposed_with_its_rows_counted(acme) -> None:
    outcome = mapped_import_check(mapped=opened())

    # Harbor Bank of the South shares only generic words with the North's.
    assert outcome.proposals == [ACME_PROPOSAL]
    assert refused([i.as_dict() for i in outcome.issues]) == [
        (2, "Account Name", "ACME Corp.", ACME_REFUSED),
        (3, "Account Name", "ACME Corp.", ACME_REFUSED),
        (5, "Account Name", "Harbor Bank of the South", HARBOR_REFUSED),
        (6, "Account Name", "Nordic Steel", NORDIC_REFUSED),
    ]
    assert outcome.counts == {
        "People": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 4}
    }


def test_an_unaccepted_proposal_is_never_attached(
    django_capture_on_commit_callbacks, acme
) -> None:
    # when: the good rows are written and the proposal is not accepted
    job = run(
        django_capture_on_commit_callbacks, opened(), merges={}, keep_good_rows=True
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    assert refused(job.issues)[:2] == [
        (2, "Account Name", "ACME Corp.", ACME_REFUSED),
        (3, "Account Name", "ACME Corp.", ACME_REFUSED),
    ]
    assert people_at() == [("Bunny", "Acme Corporation")]
    assert not AccountAlias.objects.exists()


def test_an_accepted_proposal_attaches_its_rows_and_is_remembered(
    django_capture_on_commit_callbacks, acme
) -> None:
    # given: the check with the proposal ticked
    mapped = opened()
    mapped.merges = {"ACME Corp.": "Acme Corporation"}
    mapped.save()
    outcome = mapped_import_check(mapped=mapped)
    assert outcome.proposals == [{**ACME_PROPOSAL, "merged": "yes"}]
    assert [row[0] for row in refused([i.as_dict() for i in outcome.issues])] == [
        5,
        6,
    ]

    # when
    job = run(
        django_capture_on_commit_callbacks,
        mapped,
        merges={"ACME Corp.": "Acme Corporation"},
        keep_good_rows=True,
    )

    # then
    assert job.counts["People"] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
    }
    assert people_at() == [
        ("Bunny", "Acme Corporation"),
        ("Coyote", "Acme Corporation"),
        ("Runner", "Acme Corporation"),
    ]
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("ACME Corp.", acme.pk)
    ]

    # and the same file again finds the account by the name accepted
    again = run(
        django_capture_on_commit_callbacks, opened(), merges={}, keep_good_rows=True
    )
    assert again.counts["People"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 2,
    }


def test_an_exact_name_or_account_id_attaches_without_a_proposal(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    # given: Ann's company is spelt loosely, but her account ID is exact
    AccountFactory.create(name="Acme Corporation", external_id="001ACME")
    path = tmp_path / "exact.csv"
    path.write_bytes(
        b"First Name,Last Name,Account ID,Account Name\n"
        b"Ann,Ash,001ACME,ACME Corp.\n"
        b"Ben,Birch,,Acme Corporation\n"
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    assert mapped_import_check(mapped=mapped).proposals == []

    # when
    job = run(
        django_capture_on_commit_callbacks, mapped, merges={}, keep_good_rows=False
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert people_at() == [("Ash", "Acme Corporation"), ("Birch", "Acme Corporation")]


def test_the_api_proposes_and_takes_the_match_as_an_account_merge(
    ops, acme, django_capture_on_commit_callbacks
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    path = FIXTURES / FILE
    uploaded = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(FILE, path.read_bytes(), "text/csv")]},
    )
    job_id = uploaded.json()["id"]
    mapping_url = f"/api/accounts/imports/{job_id}/mapping/"
    etag = api.get(mapping_url)["ETag"]
    api.put(mapping_url, {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)

    # when
    check = api.get(f"/api/accounts/imports/{job_id}/check/").json()

    # then
    assert check["proposals"] == [ACME_PROPOSAL]
    assert refused(check["issues"])[0] == (
        2,
        "Account Name",
        "ACME Corp.",
        ACME_REFUSED,
    )

    # a match of generic words only was not proposed, so it cannot be taken
    start_url = f"/api/accounts/imports/{job_id}/start/"
    unproposed = api.post(
        start_url,
        {"merges": {"Harbor Bank of the South": "Harbor Bank of the North"}},
        format="json",
    )
    assert unproposed.status_code == 400
    assert unproposed.json()["merges"] == [
        "'Harbor Bank of the South' is 'Harbor Bank of the North': the check "
        "proposes no such duplicate"
    ]

    # and the proposed one is
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            start_url,
            {"merges": {"ACME Corp.": "Acme Corporation"}, "keep_good_rows": True},
            format="json",
        )
    assert started.status_code == 202
    assert api.get(f"/api/accounts/imports/{job_id}/").json()["counts"] == {
        "People": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 2}
    }
    assert people_at() == [
        ("Bunny", "Acme Corporation"),
        ("Coyote", "Acme Corporation"),
        ("Runner", "Acme Corporation"),
    ]


def command(*args: str) -> str:
    out = StringIO()
    call_command("import_files", str(FIXTURES / FILE), *args, stdout=out)
    return out.getvalue()


def test_the_command_line_shows_the_proposal_and_takes_it_with_merge(acme) -> None:
    checked = command()
    assert (
        "DUPLICATE? 'ACME Corp.' is 'Acme Corporation': same name once case, "
        "spacing, punctuation and legal form are ignored ('acme') (2 rows of "
        "people). Accept with --merge 'ACME Corp.' 'Acme Corporation'\n"
    ) in checked
    assert f"{FILE}:2 Account Name 'ACME Corp.': {ACME_REFUSED} (rejected)\n" in (
        checked
    )

    # without accepting it, the rows stop the import
    with pytest.raises(CommandError) as stopped:
        command("--yes")
    assert "4 rows rejected (listed above), so nothing was written" in str(
        stopped.value
    )
    assert not Stakeholder.objects.exists()

    # a match the check does not propose is refused
    with pytest.raises(CommandError) as unproposed:
        command("--merge", "Nordic Steel", "Nordic Steel AB", "--yes")
    assert str(unproposed.value) == (
        "--merge: 'Nordic Steel' is 'Nordic Steel AB': the check proposes no "
        "such duplicate"
    )

    # accepted, its rows attach
    written = command(
        "--merge", "ACME Corp.", "Acme Corporation", "--yes", "--keep-good-rows"
    )
    assert "People         3        0          0         2\n" in written
    assert people_at() == [
        ("Bunny", "Acme Corporation"),
        ("Coyote", "Acme Corporation"),
        ("Runner", "Acme Corporation"),
    ]


def test_the_check_page_shows_the_proposal_and_takes_the_tick(
    client, ops, acme
) -> None:
    # given
    client.force_login(ops)
    mapped = opened()
    url = f"/accounts/import/wizard/{mapped.job_id}/check/"

    # when
    page = client.get(url).content.decode()

    # then
    assert "<strong>ACME Corp.</strong> is <strong>Acme Corporation</strong>" in page
    assert '<span class="muted rows">2 rows of people</span>' in page
    assert ACME_REFUSED.replace('"', "&quot;") in page

    # when: the proposal is ticked and checked again
    value = json.dumps(["ACME Corp.", "Acme Corporation"])
    client.post(url, {"merge": value, "recheck": "1"})
    page = client.get(url).content.decode()

    # then
    mapped.refresh_from_db()
    assert mapped.merges == {"ACME Corp.": "Acme Corporation"}
    assert ACME_REFUSED.replace('"', "&quot;") not in page
    assert "2 rows rejected" in page
