"""A deal's, revenue line's or support signal's company, matched as people's.

A company name that matches an account only after case, spacing,
punctuation and legal form are ignored is proposed, as a person's company
is (accounts.wizard_accounts), and its rows are refused until the proposal
is accepted: on the check page, through the API and on the command line.
An accepted name is kept as the account's alias, so the file read again
changes nothing, and an undo removes the alias with the rows.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts import streaming, wizard_accounts
from accounts.matching import AccountNameIndex
from accounts.models import (
    Account,
    AccountAlias,
    ImportJob,
    MappedImport,
    Opportunity,
    RevenueLine,
    SupportSignal,
)
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_undo,
)
from tests.accounts import company_matching as matching
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_steps import opened as wizard_opened

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db


def deals() -> list[tuple]:
    return list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id", "account__name", "stage", "close_value"
        )
    )


def invoices() -> list[tuple]:
    return list(
        RevenueLine.objects.filter(source=RevenueLine.Source.INVOICE)
        .order_by("booked_on")
        .values_list("account__name", "booked_on", "amount")
    )


def signals() -> list[tuple]:
    return list(
        SupportSignal.objects.order_by("period_start", "account__name").values_list(
            "account__name", "period_start", "tickets", "satisfaction", "nps"
        )
    )


@dataclass(frozen=True)
class Kind:
    """One kind of file that names its account, and what it stores."""

    file: str
    records: str
    counts: str
    column: str
    stored: Callable[[], list[tuple]]
    # What the two loosely named rows store once accepted, and the exact row.
    accepted: list[tuple]
    exact: list[tuple]


KINDS = {
    "deals": Kind(
        file="deals_company_names.csv",
        records="deals",
        counts="Deals",
        column="Account.Name",
        stored=deals,
        accepted=[
            ("006B1", "Betatech", "won", Decimal("100.00")),
            ("006B2", "Betatech", "lost", Decimal("250.00")),
            ("006B3", "Betatech", "won", Decimal("400.00")),
        ],
        exact=[("006B3", "Betatech", "won", Decimal("400.00"))],
    ),
    "revenue": Kind(
        file="revenue_company_names.csv",
        records="revenue lines",
        counts="Revenue lines",
        column="Account Name",
        stored=invoices,
        accepted=[
            ("Betatech", date(2026, 3, 2), Decimal("1500.00")),
            ("Betatech", date(2026, 3, 9), Decimal("700.00")),
            ("Betatech", date(2026, 3, 16), Decimal("300.00")),
        ],
        exact=[("Betatech", date(2026, 3, 16), Decimal("300.00"))],
    ),
    "support": Kind(
        file="support_company_names.csv",
        records="support signals",
        counts="Support signals",
        column="Account Name",
        stored=signals,
        accepted=[
            ("Betatech", date(2026, 1, 1), 3, Decimal("78.0"), -12),
            ("Betatech", date(2026, 2, 1), 5, Decimal("81.0"), 4),
            ("Betatech", date(2026, 3, 1), 2, Decimal("90.0"), 30),
        ],
        exact=[("Betatech", date(2026, 3, 1), 2, Decimal("90.0"), 30)],
    ),
}

BETATECH: matching.Company = {"incoming": "BETATECH Inc.", "existing": "Betatech"}
BETATECH_REFUSED = matching.loose_refused(**BETATECH)


def proposal(kind: Kind, merged: str = "") -> dict:
    return matching.loose_proposal(
        **BETATECH, key="betatech", records=kind.records, merged=merged
    )


def refusals(kind: Kind, *, accepted: bool = False) -> list[tuple]:
    return matching.loose_refusals(column=kind.column, **BETATECH, accepted=accepted)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def betatech() -> Account:
    matching.look_alike_accounts()
    return AccountFactory.create(name="Betatech", external_id="")


@pytest.fixture(params=list(KINDS))
def kind(request) -> Kind:
    return KINDS[request.param]


def opened(kind: Kind) -> MappedImport:
    return wizard_opened(WIZARD / kind.file)


def test_a_loosely_matching_company_is_proposed_and_its_rows_refused(
    betatech, kind
) -> None:
    outcome = mapped_import_check(mapped=opened(kind))

    # Harbor Bank of the South shares only generic words with the North's.
    assert outcome.proposals == [proposal(kind)]
    assert matching.refused([i.as_dict() for i in outcome.issues]) == refusals(kind)
    assert outcome.counts[kind.counts] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 4,
    }


def test_an_unaccepted_proposal_is_never_attached(
    django_capture_on_commit_callbacks, betatech, kind
) -> None:
    # when: the good rows are written and the proposal is not accepted
    job = matching.run(
        django_capture_on_commit_callbacks,
        opened(kind),
        merges={},
        keep_good_rows=True,
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    assert matching.refused(job.issues) == refusals(kind)
    assert kind.stored() == kind.exact
    assert not AccountAlias.objects.exists()


def test_an_accepted_proposal_attaches_is_kept_and_is_undone(
    django_capture_on_commit_callbacks, betatech, kind
) -> None:
    # given: the check with the proposal ticked
    mapped = opened(kind)
    mapped.merges = {"BETATECH Inc.": "Betatech"}
    mapped.save()
    outcome = mapped_import_check(mapped=mapped)
    assert outcome.proposals == [proposal(kind, merged="yes")]
    assert matching.refused([i.as_dict() for i in outcome.issues]) == refusals(
        kind, accepted=True
    )

    # when
    job = matching.run(
        django_capture_on_commit_callbacks,
        mapped,
        merges={"BETATECH Inc.": "Betatech"},
        keep_good_rows=True,
    )

    # then
    assert job.counts[kind.counts] == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 2,
    }
    assert kind.stored() == kind.accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]

    # and the same file again finds the account by the name accepted
    again_mapped = opened(kind)
    assert mapped_import_check(mapped=again_mapped).proposals == []
    again = matching.run(
        django_capture_on_commit_callbacks,
        again_mapped,
        merges={},
        keep_good_rows=True,
    )
    assert again.counts[kind.counts] == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "rejected": 2,
    }
    assert kind.stored() == kind.accepted

    # when the import that accepted the name is undone
    mapped_import_undo(mapped=again_mapped, user=None)
    mapped_import_undo(mapped=mapped, user=None)

    # then its rows and the alias are gone
    assert kind.stored() == []
    assert not AccountAlias.objects.exists()


def test_a_name_accepted_for_people_attaches_the_deals_of_that_name(
    django_capture_on_commit_callbacks, betatech, tmp_path
) -> None:
    # given: a people file and a deals file of one upload name BETATECH Inc.
    people = tmp_path / "people.csv"
    people.write_text(
        "First Name,Last Name,Account Name\nAda,Ames,BETATECH Inc.\n",
        encoding="utf-8",
    )
    mapped = mapped_import_create_from_paths(
        user=None, paths=[people, WIZARD / KINDS["deals"].file]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    assert [
        (p["incoming"], p["existing"], p["records"], p["rows"])
        for p in mapped_import_check(mapped=mapped).proposals
    ] == [
        ("BETATECH Inc.", "Betatech", "people", 1),
        ("BETATECH Inc.", "Betatech", "deals", 2),
    ]

    # when: the one name is accepted
    job = matching.run(
        django_capture_on_commit_callbacks,
        mapped,
        merges={"BETATECH Inc.": "Betatech"},
        keep_good_rows=True,
    )

    # then: both files' rows attach and one alias is kept
    assert job.counts["People"]["created"] == 1
    assert job.counts["Deals"]["created"] == 3
    assert deals() == KINDS["deals"].accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def test_the_api_proposes_the_match_and_takes_it_as_a_merge(
    ops, betatech, kind, django_capture_on_commit_callbacks
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    job_id = matching.api_mapped(api, WIZARD / kind.file)

    # when
    check = api.get(f"/api/accounts/imports/{job_id}/check/").json()

    # then
    assert check["proposals"] == [proposal(kind)]
    assert matching.refused(check["issues"]) == refusals(kind)

    # and only the proposed match can be taken
    matching.api_started_with_the_match(
        api, django_capture_on_commit_callbacks, job_id, **BETATECH
    )
    assert api.get(f"/api/accounts/imports/{job_id}/").json()["counts"][
        kind.counts
    ] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 2}
    assert kind.stored() == kind.accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def command(kind: Kind, *args: str) -> str:
    return matching.command_output(WIZARD / kind.file, *args)


def test_the_command_line_shows_the_proposal_and_takes_it_with_merge(
    betatech, kind
) -> None:
    checked = command(kind)
    assert (
        "DUPLICATE? 'BETATECH Inc.' is 'Betatech': same name once case, "
        "spacing, punctuation and legal form are ignored ('betatech') (2 rows "
        f"of {kind.records}). Accept with --merge 'BETATECH Inc.' Betatech\n"
    ) in checked
    assert (
        f"{kind.file}:2 {kind.column} 'BETATECH Inc.': {BETATECH_REFUSED} (rejected)\n"
    ) in checked

    # without accepting it, or with a match the check does not propose, the
    # rows stop the import
    matching.command_refuses_without_the_match(lambda *args: command(kind, *args))
    assert kind.stored() == []

    # accepted, its rows attach
    command(kind, "--merge", "BETATECH Inc.", "Betatech", "--yes", "--keep-good-rows")
    assert kind.stored() == kind.accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def test_the_command_line_accepts_every_proposal_with_merge_proposed(
    betatech, kind
) -> None:
    checked = command(kind, "--merge-proposed")
    written = command(kind, "--merge-proposed", "--yes", "--keep-good-rows")

    for output in (checked, written):
        assert (
            "DUPLICATE? 'BETATECH Inc.' is 'Betatech': same name once case, "
            "spacing, punctuation and legal form are ignored ('betatech') (2 rows "
            f"of {kind.records}). Accepted by --merge-proposed\n"
        ) in output
        assert "--merge '" not in output
    assert kind.stored() == kind.accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def test_the_check_page_shows_the_proposal_and_takes_the_tick(
    client, ops, betatech, kind
) -> None:
    client.force_login(ops)

    matching.check_page_ticked(client, opened(kind), **BETATECH, records=kind.records)


def test_the_account_names_are_indexed_once_per_import(
    django_capture_on_commit_callbacks, betatech, monkeypatch, tmp_path
) -> None:
    # given: one row a chunk, so each file's loose names fall in two chunks
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 1)
    built: list[AccountNameIndex] = []

    class CountedIndex(AccountNameIndex):
        def __init__(self, existing: Iterable[str]) -> None:
            super().__init__(existing)
            built.append(self)

    monkeypatch.setattr(wizard_accounts, "AccountNameIndex", CountedIndex)
    people = tmp_path / "people.csv"
    people.write_text(
        "First Name,Last Name,Account Name\nAda,Ames,BETATECH Inc.\n"
        "Bo,Berg,BETATECH Inc.\nCy,Cole,Nordic Steel\n",
        encoding="utf-8",
    )
    mapped = mapped_import_create_from_paths(
        user=None, paths=[people, *(WIZARD / kind.file for kind in KINDS.values())]
    )
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    outcome = mapped_import_check(mapped=mapped)

    # then: every chunk of every kind of file was matched against one index
    assert len(built) == 1
    assert [
        (p["incoming"], p["existing"], p["records"], p["rows"])
        for p in outcome.proposals
    ] == [
        ("BETATECH Inc.", "Betatech", "people", 2),
        ("BETATECH Inc.", "Betatech", "deals", 2),
        ("BETATECH Inc.", "Betatech", "revenue lines", 2),
        ("BETATECH Inc.", "Betatech", "support signals", 2),
    ]
    issues = [i.as_dict() for i in outcome.issues]
    assert matching.refused([i for i in issues if i["file"] == "people.csv"]) == [
        (2, "Account Name", "BETATECH Inc.", BETATECH_REFUSED),
        (3, "Account Name", "BETATECH Inc.", BETATECH_REFUSED),
        (4, "Account Name", "Nordic Steel", matching.NORDIC_REFUSED),
    ]
    for kind in KINDS.values():
        assert matching.refused(
            [i for i in issues if i["file"] == kind.file]
        ) == refusals(kind)

    # when: the import runs with the match accepted
    built.clear()
    job = matching.run(
        django_capture_on_commit_callbacks,
        mapped,
        merges={"BETATECH Inc.": "Betatech"},
        keep_good_rows=True,
    )

    # then: it built its own index once, and every kind attached its rows
    assert len(built) == 1
    assert job.counts["People"]["created"] == 2
    for kind in KINDS.values():
        assert kind.stored() == kind.accepted
