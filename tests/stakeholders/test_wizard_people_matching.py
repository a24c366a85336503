"""A person's company is an account only when exact, or once the user says so.

A company name that matches an account only after case, spacing,
punctuation and legal form are ignored is proposed, as an account row's
name is (accounts.matching), and its rows are refused until the proposal
is accepted: on the check page, through the API and on the command line.
"""

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.models import Account, AccountAlias, ImportJob, MappedImport
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
)
from stakeholders.models import Stakeholder
from tests.accounts import company_matching as matching
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_steps import opened as wizard_opened

FIXTURES = Path(__file__).parent / "fixtures"
FILE = "people_company_names.csv"

pytestmark = pytest.mark.django_db

ACME: matching.Company = {"incoming": "ACME Corp.", "existing": "Acme Corporation"}
ACME_REFUSED = matching.loose_refused(**ACME)
ACME_PROPOSAL = matching.loose_proposal(**ACME, key="acme", records="people")
REFUSALS = matching.loose_refusals(column="Account Name", **ACME)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme() -> Account:
    matching.look_alike_accounts()
    return AccountFactory.create(name="Acme Corporation", external_id="")


def opened() -> MappedImport:
    return wizard_opened(FIXTURES / FILE)


def people_at() -> list[tuple[str, str]]:
    return list(
        Stakeholder.objects.order_by("last_name").values_list(
            "last_name", "account__name"
        )
    )


def test_a_loosely_matching_company_is_proposed_with_its_rows_counted(acme) -> None:
    outcome = mapped_import_check(mapped=opened())

    # Harbor Bank of the South shares only generic words with the North's.
    assert outcome.proposals == [ACME_PROPOSAL]
    assert matching.refused([i.as_dict() for i in outcome.issues]) == REFUSALS
    assert outcome.counts == {
        "People": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 4}
    }


def test_an_unaccepted_proposal_is_never_attached(
    django_capture_on_commit_callbacks, acme
) -> None:
    # when: the good rows are written and the proposal is not accepted
    job = matching.run(
        django_capture_on_commit_callbacks, opened(), merges={}, keep_good_rows=True
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    assert matching.refused(job.issues)[:2] == REFUSALS[:2]
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
    assert [
        row[0] for row in matching.refused([i.as_dict() for i in outcome.issues])
    ] == [
        5,
        6,
    ]

    # when
    job = matching.run(
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
    again = matching.run(
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
    job = matching.run(
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
    job_id = matching.api_mapped(api, FIXTURES / FILE)

    # when
    check = api.get(f"/api/accounts/imports/{job_id}/check/").json()

    # then
    assert check["proposals"] == [ACME_PROPOSAL]
    assert matching.refused(check["issues"])[0] == REFUSALS[0]

    # and only the proposed match can be taken
    matching.api_started_with_the_match(
        api, django_capture_on_commit_callbacks, job_id, **ACME
    )
    assert api.get(f"/api/accounts/imports/{job_id}/").json()["counts"] == {
        "People": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 2}
    }
    assert people_at() == [
        ("Bunny", "Acme Corporation"),
        ("Coyote", "Acme Corporation"),
        ("Runner", "Acme Corporation"),
    ]


def command(*args: str) -> str:
    return matching.command_output(FIXTURES / FILE, *args)


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

    # without accepting it, or with a match the check does not propose, the
    # rows stop the import
    matching.command_refuses_without_the_match(command)
    assert not Stakeholder.objects.exists()

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
    client.force_login(ops)

    matching.check_page_ticked(client, opened(), **ACME, records="people")
