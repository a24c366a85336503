"""A deal's, revenue line's or support signal's company, matched as people's.

A company name that matches an account only after case, spacing,
punctuation and legal form are ignored is proposed, as a person's company
is (accounts.wizard_accounts), and its rows are refused until the proposal
is accepted: on the check page, through the API and on the command line.
An accepted name is kept as the account's alias, so the file read again
changes nothing, and an undo removes the alias with the rows.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
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
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from tests.accounts.factories import AccountFactory

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
        records="opportunities",
        counts="Opportunities",
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

BETATECH_REFUSED = (
    'Company "BETATECH Inc." matches no account exactly; accept the proposed '
    'match to "Betatech" or fix the name'
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


def proposal(kind: Kind, merged: str = "") -> dict:
    return {
        "incoming": "BETATECH Inc.",
        "existing": "Betatech",
        "kind": "same",
        "reason": "same name once case, spacing, punctuation and legal form are "
        "ignored ('betatech')",
        "merged": merged,
        "records": kind.records,
        "rows": 2,
    }


def refusals(kind: Kind, *, accepted: bool = False) -> list[tuple]:
    betatech = [
        (2, kind.column, "BETATECH Inc.", BETATECH_REFUSED),
        (3, kind.column, "BETATECH Inc.", BETATECH_REFUSED),
    ]
    return [
        *([] if accepted else betatech),
        (5, kind.column, "Harbor Bank of the South", HARBOR_REFUSED),
        (6, kind.column, "Nordic Steel", NORDIC_REFUSED),
    ]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def betatech() -> Account:
    AccountFactory.create(name="Harbor Bank of the North", external_id="")
    AccountFactory.create(name="Nordic Steel AB", external_id="")
    AccountFactory.create(name="NORDIC STEEL Ltd", external_id="")
    return AccountFactory.create(name="Betatech", external_id="")


@pytest.fixture(params=list(KINDS))
def kind(request) -> Kind:
    return KINDS[request.param]


def opened(kind: Kind) -> MappedImport:
    mapped = mapped_import_create_from_paths(user=None, paths=[WIZARD / kind.file])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped


def refused(issues: list[dict]) -> list[tuple]:
    return [
        (i["line"], i["column"], i["value"], i["reason"])
        for i in issues
        if i["action"] == "rejected"
    ]


def run(capture, mapped: MappedImport, **start) -> ImportJob:
    with capture(execute=False):
        mapped_import_start(mapped=mapped, enqueue=False, **start)
        mapped_import_run(mapped=mapped)
    mapped.job.refresh_from_db()
    return mapped.job


def test_a_loosely_matching_company_is_proposed_and_its_rows_refused(
    betatech, kind
) -> None:
    outcome = mapped_import_check(mapped=opened(kind))

    # Harbor Bank of the South shares only generic words with the North's.
    assert outcome.proposals == [proposal(kind)]
    assert refused([i.as_dict() for i in outcome.issues]) == refusals(kind)
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
    job = run(
        django_capture_on_commit_callbacks,
        opened(kind),
        merges={},
        keep_good_rows=True,
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED
    assert refused(job.issues) == refusals(kind)
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
    assert refused([i.as_dict() for i in outcome.issues]) == refusals(
        kind, accepted=True
    )

    # when
    job = run(
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
    again = run(
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
        ("BETATECH Inc.", "Betatech", "opportunities", 2),
    ]

    # when: the one name is accepted
    job = run(
        django_capture_on_commit_callbacks,
        mapped,
        merges={"BETATECH Inc.": "Betatech"},
        keep_good_rows=True,
    )

    # then: both files' rows attach and one alias is kept
    assert job.counts["People"]["created"] == 1
    assert job.counts["Opportunities"]["created"] == 3
    assert deals() == KINDS["deals"].accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def upload(api: APIClient, kind: Kind) -> int:
    path = WIZARD / kind.file
    uploaded = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(kind.file, path.read_bytes(), "text/csv")]},
    )
    job_id = uploaded.json()["id"]
    mapping_url = f"/api/accounts/imports/{job_id}/mapping/"
    etag = api.get(mapping_url)["ETag"]
    api.put(mapping_url, {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)
    return job_id


def test_the_api_proposes_the_match_and_takes_it_as_a_merge(
    ops, betatech, kind, django_capture_on_commit_callbacks
) -> None:
    # given
    api = APIClient()
    api.force_authenticate(ops)
    job_id = upload(api, kind)

    # when
    check = api.get(f"/api/accounts/imports/{job_id}/check/").json()

    # then
    assert check["proposals"] == [proposal(kind)]
    assert refused(check["issues"]) == refusals(kind)

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
            {"merges": {"BETATECH Inc.": "Betatech"}, "keep_good_rows": True},
            format="json",
        )
    assert started.status_code == 202
    assert api.get(f"/api/accounts/imports/{job_id}/").json()["counts"][
        kind.counts
    ] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 2}
    assert kind.stored() == kind.accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def command(kind: Kind, *args: str) -> str:
    out = StringIO()
    call_command("import_files", str(WIZARD / kind.file), *args, stdout=out)
    return out.getvalue()


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

    # without accepting it, the rows stop the import
    with pytest.raises(CommandError) as stopped:
        command(kind, "--yes")
    assert "4 rows rejected (listed above), so nothing was written" in str(
        stopped.value
    )
    assert kind.stored() == []

    # a match the check does not propose is refused
    with pytest.raises(CommandError) as unproposed:
        command(kind, "--merge", "Nordic Steel", "Nordic Steel AB", "--yes")
    assert str(unproposed.value) == (
        "--merge: 'Nordic Steel' is 'Nordic Steel AB': the check proposes no "
        "such duplicate"
    )

    # accepted, its rows attach
    command(kind, "--merge", "BETATECH Inc.", "Betatech", "--yes", "--keep-good-rows")
    assert kind.stored() == kind.accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def test_the_command_line_accepts_every_proposal_with_merge_proposed(
    betatech, kind
) -> None:
    written = command(kind, "--merge-proposed", "--yes", "--keep-good-rows")

    assert (
        "DUPLICATE? 'BETATECH Inc.' is 'Betatech': same name once case, "
        "spacing, punctuation and legal form are ignored ('betatech') (2 rows "
        f"of {kind.records}). Accept with --merge 'BETATECH Inc.' Betatech\n"
    ) in written
    assert kind.stored() == kind.accepted
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]


def test_the_check_page_shows_the_proposal_and_takes_the_tick(
    client, ops, betatech, kind
) -> None:
    # given
    client.force_login(ops)
    mapped = opened(kind)
    url = f"/accounts/import/wizard/{mapped.job_id}/check/"

    # when
    page = client.get(url).content.decode()

    # then
    assert "<strong>BETATECH Inc.</strong> is <strong>Betatech</strong>" in page
    assert f'<span class="muted rows">2 rows of {kind.records}</span>' in page
    assert BETATECH_REFUSED.replace('"', "&quot;") in page
    assert "4 rows rejected" in page

    # when: the proposal is ticked and checked again
    value = json.dumps(["BETATECH Inc.", "Betatech"])
    client.post(url, {"merge": value, "recheck": "1"})
    page = client.get(url).content.decode()

    # then
    mapped.refresh_from_db()
    assert mapped.merges == {"BETATECH Inc.": "Betatech"}
    assert BETATECH_REFUSED.replace('"', "&quot;") not in page
    assert "2 rows rejected" in page


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
        ("BETATECH Inc.", "Betatech", "opportunities", 2),
        ("BETATECH Inc.", "Betatech", "revenue lines", 2),
        ("BETATECH Inc.", "Betatech", "support signals", 2),
    ]
    issues = [i.as_dict() for i in outcome.issues]
    assert refused([i for i in issues if i["file"] == "people.csv"]) == [
        (2, "Account Name", "BETATECH Inc.", BETATECH_REFUSED),
        (3, "Account Name", "BETATECH Inc.", BETATECH_REFUSED),
        (4, "Account Name", "Nordic Steel", NORDIC_REFUSED),
    ]
    for kind in KINDS.values():
        assert refused([i for i in issues if i["file"] == kind.file]) == refusals(kind)

    # when: the import runs with the match accepted
    built.clear()
    job = run(
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
