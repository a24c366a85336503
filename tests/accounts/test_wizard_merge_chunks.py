"""A confirmed merge holds whichever chunks of a long file its rows fall in.

The wizard reads a file in chunks (accounts.streaming.CHUNK_ROWS rows each);
here a chunk is one or two rows, so the two rows of one merged account fall
in different chunks. The account, its alias, the counts and the row report
come out as they do when both rows share a chunk; the file read again says
nothing about merging; and each undo puts back what was there before.
"""

from decimal import Decimal

import pytest

from accounts import streaming
from accounts.models import Account, AccountAlias, MappedImport
from accounts.wizard import mapped_import_check, mapped_import_undo
from tests.accounts import company_matching as matching
from tests.accounts.factories import AccountFactory
from tests.accounts.test_wizard_confirmed_merges import (
    HUBSPOT,
    MERGED_IN_FILE,
    MERGES,
    STORED,
    aliases,
    merge_note,
    opened,
    stored,
    ticked,
)
from tests.accounts.test_wizard_row_report import at, rows_section

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

# None leaves the chunk as long as it is: the whole file is one chunk.
CHUNKS = [None, 2, 1]
FILE = HUBSPOT.name


@pytest.fixture(params=CHUNKS, ids=lambda rows: f"chunk={rows or 'whole'}")
def chunk(request, monkeypatch) -> int | None:
    if request.param is not None:
        monkeypatch.setattr(streaming, "CHUNK_ROWS", request.param)
    return request.param


def proposed(mapped: MappedImport) -> list[tuple]:
    return [
        (p["incoming"], p["existing"], p["rows"])
        for p in mapped_import_check(mapped=mapped).proposals
    ]


def test_a_merge_split_across_chunks_is_one_account_and_is_undone(
    django_capture_on_commit_callbacks, chunk
) -> None:
    # given: the proposal, ticked
    mapped = opened()
    assert proposed(mapped) == [("Acme  Widgets Inc.", "Acme Widgets, Inc", 1)]
    assert ticked(mapped) == [merge_note(MERGED_IN_FILE)]

    # when
    job = matching.run(
        django_capture_on_commit_callbacks, mapped, merges=MERGES, keep_good_rows=False
    )

    # then: lines 3 and 4 are one account, counted and reported once each
    assert job.counts["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert job.issues == [merge_note(MERGED_IN_FILE)]
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]
    assert rows_section(job) == [
        at(FILE, 2, "created", "account Wayne Enterprises"),
        at(FILE, 3, "created", "account Acme Widgets, Inc"),
        at(FILE, 4, "created", "account Acme Widgets, Inc"),
    ]

    # and the same file again proposes nothing, changes nothing, says nothing
    again = opened()
    assert proposed(again) == []
    assert mapped_import_check(mapped=again).issues == []
    again_job = matching.run(
        django_capture_on_commit_callbacks, again, merges={}, keep_good_rows=False
    )
    assert again_job.counts["Accounts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }
    assert again_job.issues == []
    assert rows_section(again_job) == [
        at(FILE, 2, "unchanged", "account Wayne Enterprises"),
        at(FILE, 3, "unchanged", "account Acme Widgets, Inc"),
        at(FILE, 4, "unchanged", "account Acme Widgets, Inc"),
    ]
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]

    # when: the second import is undone, then the first
    mapped_import_undo(mapped=again, user=None)
    assert stored() == STORED
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert stored() == []
    assert aliases() == []


def test_an_existing_account_merged_across_chunks_is_updated_once(
    django_capture_on_commit_callbacks, chunk
) -> None:
    # given: the account already imported, with 100 employees
    AccountFactory.create(
        name="Acme Widgets, Inc",
        external_id="9002",
        employees=100,
        annual_revenue_musd=Decimal("2.50"),
        sector="Manufacturing",
    )
    before = stored()
    mapped = opened()
    assert ticked(mapped) == [merge_note(MERGED_IN_FILE)]

    # when
    job = matching.run(
        django_capture_on_commit_callbacks, mapped, merges=MERGES, keep_good_rows=False
    )

    # then: one update, to the later row's 130, from 100, never through 120
    assert job.counts["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }
    assert stored() == STORED
    assert list(
        mapped.job.row_changes.filter(
            content_type__model="account", action="updated"
        ).values_list("old_values", flat=True)
    ) == [{"employees": 100}]
    assert rows_section(job) == [
        at(FILE, 2, "created", "account Wayne Enterprises"),
        at(FILE, 3, "updated", "account Acme Widgets, Inc"),
        at(FILE, 4, "updated", "account Acme Widgets, Inc"),
    ]

    # and read again it changes nothing and says nothing
    again = opened()
    again_job = matching.run(
        django_capture_on_commit_callbacks, again, merges={}, keep_good_rows=False
    )
    assert again_job.counts["Accounts"]["unchanged"] == 2
    assert again_job.counts["Accounts"]["updated"] == 0
    assert again_job.issues == []
    assert again.job.row_changes.count() == 0
    assert stored() == STORED

    # when undone
    mapped_import_undo(mapped=again, user=None)
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert stored() == before
    assert aliases() == []


def test_a_child_in_a_later_chunk_finds_its_merged_parent(
    django_capture_on_commit_callbacks, chunk, tmp_path
) -> None:
    # given: the parent's rows are held to the end of the file, the child's not
    path = tmp_path / "companies.csv"
    path.write_text(
        "Record ID,Company name,Parent Company,Number of Employees\n"
        '9002,"Acme Widgets, Inc",,120\n'
        "9003,Acme  Widgets Inc.,,130\n"
        '9004,Acme Widgets Europe,"Acme Widgets, Inc",40\n'
    )
    mapped = opened(path)
    assert proposed(mapped) == [("Acme  Widgets Inc.", "Acme Widgets, Inc", 1)]
    mapped.merges = MERGES
    mapped.save()
    assert mapped_import_check(mapped=mapped).issues[0].line == 3

    # when
    job = matching.run(
        django_capture_on_commit_callbacks, mapped, merges=MERGES, keep_good_rows=False
    )

    # then
    assert job.counts["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert [issue["action"] for issue in job.issues] == ["repaired"]
    assert list(
        Account.objects.order_by("name").values_list(
            "name", "external_id", "employees", "parent__name"
        )
    ) == [
        ("Acme Widgets Europe", "9004", 40, "Acme Widgets, Inc"),
        ("Acme Widgets, Inc", "9002", 130, None),
    ]

    # when undone
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert Account.objects.count() == 0
    assert AccountAlias.objects.count() == 0
