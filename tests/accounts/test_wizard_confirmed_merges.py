"""A confirmed duplicate of an accounts file imports as one account.

Two rows of one HubSpot companies export name one company, once case,
spacing, punctuation and legal form are ignored, under two record IDs. Once
the proposal is ticked the rows become one account, the later row winning
where they disagree, and the second ID is kept as an alias: the file read
again matches by ID, proposes nothing, changes nothing and says nothing of
the merge; an undo puts back what was there before.
"""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Account, AccountAlias, MappedImport
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_undo,
)
from tests.accounts import company_matching as matching
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db

HUBSPOT = Path(__file__).parent / "fixtures" / "wizard" / "hubspot_companies_merge.csv"
MERGES = {"Acme  Widgets Inc.": "Acme Widgets, Inc"}
MERGED_IN_FILE = (
    "merged into 'Acme Widgets, Inc', named on line 3; where the rows differ "
    "this later row wins: Number of Employees 130 (was 120); Id 9003 kept as "
    "another ID of the account"
)
STORED = [
    ("Acme Widgets, Inc", "9002", 130, Decimal("2500000.00"), "Manufacturing"),
    ("Wayne Enterprises", "9001", 50, Decimal("1000000.00"), "Retail"),
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def opened(path: Path = HUBSPOT) -> MappedImport:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped


def ticked(mapped: MappedImport) -> list[dict]:
    mapped.merges = MERGES
    mapped.save()
    return [i.as_dict() for i in mapped_import_check(mapped=mapped).issues]


def merge_note(reason: str) -> dict:
    return {
        "file": HUBSPOT.name,
        "line": 4,
        "column": "Company name",
        "value": "Acme  Widgets Inc.",
        "reason": reason,
        "action": "repaired",
    }


def stored() -> list[tuple]:
    return list(
        Account.objects.order_by("name").values_list(
            "name", "external_id", "employees", "annual_revenue", "sector"
        )
    )


def aliases() -> list[tuple]:
    return list(
        AccountAlias.objects.values_list("name", "external_id", "account__name")
    )


def test_a_merge_within_the_file_is_one_account_kept_by_id_and_undone(
    django_capture_on_commit_callbacks,
) -> None:
    # given: the proposal, ticked
    mapped = opened()
    assert [
        (p["incoming"], p["existing"], p["rows"])
        for p in mapped_import_check(mapped=mapped).proposals
    ] == [("Acme  Widgets Inc.", "Acme Widgets, Inc", 1)]
    assert ticked(mapped) == [merge_note(MERGED_IN_FILE)]

    # when: imported without keeping only the good rows
    job = matching.run(
        django_capture_on_commit_callbacks,
        mapped,
        merges=MERGES,
        keep_good_rows=False,
    )

    # then
    assert job.counts["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]

    # and the same file again matches by ID, proposes nothing, changes nothing
    again = opened()
    assert mapped_import_check(mapped=again).proposals == []
    assert mapped_import_check(mapped=again).issues == []
    again_job = matching.run(
        django_capture_on_commit_callbacks, again, merges={}, keep_good_rows=False
    )
    assert again_job.issues == []
    assert again_job.counts["Accounts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }
    assert stored() == STORED
    assert AccountAlias.objects.count() == 1

    # when both imports are undone
    mapped_import_undo(mapped=again, user=None)
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert stored() == []
    assert aliases() == []


def test_a_merge_into_an_existing_account_updates_it_and_is_undone(
    django_capture_on_commit_callbacks,
) -> None:
    # given: the account already imported, with 100 employees
    AccountFactory.create(
        name="Acme Widgets, Inc",
        external_id="9002",
        employees=100,
        annual_revenue=Decimal("2500000.00"),
        sector="Manufacturing",
    )
    before = stored()
    mapped = opened()
    assert [
        (p["incoming"], p["existing"], p["kind"])
        for p in mapped_import_check(mapped=mapped).proposals
    ] == [("Acme  Widgets Inc.", "Acme Widgets, Inc", "same")]
    assert ticked(mapped) == [merge_note(MERGED_IN_FILE)]

    # when
    job = matching.run(
        django_capture_on_commit_callbacks,
        mapped,
        merges=MERGES,
        keep_good_rows=False,
    )

    # then: lines 3 and 4 update the one account, line 4 winning
    assert job.counts["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]

    # and read again it changes nothing
    again = opened()
    assert mapped_import_check(mapped=again).proposals == []
    assert mapped_import_check(mapped=again).issues == []
    again_job = matching.run(
        django_capture_on_commit_callbacks, again, merges={}, keep_good_rows=False
    )
    assert again_job.issues == []
    assert again_job.counts["Accounts"]["unchanged"] == 2
    assert stored() == STORED

    # when undone
    mapped_import_undo(mapped=again, user=None)
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert stored() == before
    assert aliases() == []


def test_a_lone_merged_row_keeps_its_id_on_the_existing_account(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    # given
    AccountFactory.create(name="Acme Widgets, Inc", external_id="9002", employees=100)
    path = tmp_path / "companies.csv"
    path.write_text(
        "Record ID,Company name,Number of Employees\n9003,Acme  Widgets Inc.,130\n"
    )
    mapped = opened(path)
    mapped.merges = MERGES
    mapped.save()
    assert [
        (i.line, i.reason, i.action) for i in mapped_import_check(mapped=mapped).issues
    ] == [
        (
            2,
            "merged into 'Acme Widgets, Inc'; Id 9003 kept as another ID of the "
            "account",
            "repaired",
        )
    ]

    # when
    job = matching.run(
        django_capture_on_commit_callbacks,
        mapped,
        merges=MERGES,
        keep_good_rows=False,
    )

    # then
    assert job.counts["Accounts"]["updated"] == 1
    assert list(Account.objects.values_list("name", "external_id", "employees")) == [
        ("Acme Widgets, Inc", "9002", 130)
    ]
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]


def test_the_api_imports_a_merge_within_the_file(
    ops, django_capture_on_commit_callbacks
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    job_id = matching.api_mapped(api, HUBSPOT)

    # when: started with the merge, keeping no rows apart
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            f"/api/accounts/imports/{job_id}/start/",
            {"merges": MERGES},
            format="json",
        )

    # then
    assert started.status_code == 202
    job = api.get(f"/api/accounts/imports/{job_id}/").json()
    assert job["counts"]["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]


def test_the_command_line_imports_a_merge_within_the_file() -> None:
    written = matching.command_output(
        HUBSPOT, "--merge", "Acme  Widgets Inc.", "Acme Widgets, Inc", "--yes"
    )

    assert (
        f"{HUBSPOT.name}:4 Company name 'Acme  Widgets Inc.': {MERGED_IN_FILE} "
        "(repaired)\n"
    ) in written
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]


def test_the_command_line_run_again_with_its_merge_changes_nothing() -> None:
    # given: a nightly command that names its merge every time
    merge = ("--merge", "Acme  Widgets Inc.", "Acme Widgets, Inc", "--yes")
    matching.command_output(HUBSPOT, *merge)

    # when
    written = matching.command_output(HUBSPOT, *merge)

    # then
    assert (
        "MERGED BEFORE 'Acme  Widgets Inc.' is kept as another name of "
        "'Acme Widgets, Inc'; nothing to merge\n"
    ) in written
    assert "merged into" not in written
    counts = [line.split() for line in written.splitlines()]
    assert ["Accounts", "0", "0", "2", "0"] in counts
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]


def test_the_check_page_imports_a_ticked_merge_within_the_file(
    client, ops, django_capture_on_commit_callbacks
) -> None:
    # given
    client.force_login(ops)
    mapped = opened()
    url = reverse("accounts:wizard_check", args=[mapped.job_id])
    tick = json.dumps(["Acme  Widgets Inc.", "Acme Widgets, Inc"])

    # when: checked again with the proposal ticked
    client.post(url, {"merge": [tick], "recheck": "1"})
    page = client.get(url).content.decode()

    # then: the row is merged, not rejected, and the page says which row wins
    assert MERGED_IN_FILE.replace("'", "&#x27;") in page
    assert "already used by Id" not in page
    assert "the row further down the file wins" in page

    # when: imported without keeping only the good rows
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url, {"merge": [tick]})

    # then
    assert started.status_code == 302
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]
