"""A confirmed merge holds whichever chunks of a long file its rows fall in.

The wizard reads a file in chunks (accounts.streaming.CHUNK_ROWS rows each);
here a chunk is one or two rows, so the two rows of one merged account fall
in different chunks. The account, its alias, the counts and the row report
come out as they do when both rows share a chunk; the file read again says
nothing about merging; an alias merged without an ID takes the one a later
file gives it; and each undo puts back what was there before.
"""

from decimal import Decimal
from pathlib import Path

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
GAINED = (
    "Id 9003 kept as another ID of 'Acme Widgets, Inc', which 'Acme  Widgets "
    "Inc.' was merged into before"
)


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
        annual_revenue=Decimal("2500000.00"),
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


def write(path: Path, text: str) -> Path:
    path.write_text("Record ID,Company name,Number of Employees\n" + text)
    return path


def test_an_alias_merged_without_an_id_takes_the_id_a_later_file_gives(
    django_capture_on_commit_callbacks, chunk, tmp_path
) -> None:
    # given: a row without an ID merged into the account, kept as an alias
    AccountFactory.create(name="Acme Widgets, Inc", external_id="9002", employees=100)
    first = opened(write(tmp_path / "first.csv", ",Acme  Widgets Inc.,130\n"))
    first.merges = MERGES
    first.save()
    matching.run(
        django_capture_on_commit_callbacks, first, merges=MERGES, keep_good_rows=False
    )
    assert aliases() == [("Acme  Widgets Inc.", "", "Acme Widgets, Inc")]
    later = write(
        tmp_path / "later.csv",
        '9002,"Acme Widgets, Inc",120\n9003,Acme  Widgets Inc.,130\n',
    )

    # when: a later file gives the name an ID
    mapped = opened(later)
    checked = mapped_import_check(mapped=mapped)
    job = matching.run(
        django_capture_on_commit_callbacks, mapped, merges={}, keep_good_rows=False
    )

    # then: the alias keeps it, and the check, issues and row report say so
    assert checked.proposals == []
    assert [i.as_dict() for i in checked.issues] == [
        {
            "file": "later.csv",
            "line": 3,
            "column": "Record ID",
            "value": "9003",
            "reason": GAINED,
            "action": "repaired",
        }
    ]
    alias = AccountAlias.objects.get()
    assert checked.changes == [
        {
            "record": "account alias Acme  Widgets Inc.",
            "key": f"accounts.accountalias:{alias.pk}",
            "fields": [{"field": "external id", "old": "(empty)", "new": "9003"}],
        }
    ]
    assert job.issues == [i.as_dict() for i in checked.issues]
    # The account changed nothing else, but its alias took an ID: updated.
    updated = {"created": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    assert checked.counts["Accounts"] == job.counts["Accounts"] == updated
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]
    assert list(Account.objects.values_list("name", "external_id", "employees")) == [
        ("Acme Widgets, Inc", "9002", 130)
    ]
    assert rows_section(job) == [
        at("later.csv", 2, "unchanged", "account Acme Widgets, Inc"),
        at("later.csv", 3, "unchanged", "account Acme Widgets, Inc"),
        at(
            "later.csv",
            3,
            "updated",
            "account alias Acme  Widgets Inc.",
            "from this row: Id 9003 kept as another ID of Acme Widgets, Inc",
        ),
    ]

    # and the same file again finds the account by that ID, saying nothing
    again = opened(later)
    again_job = matching.run(
        django_capture_on_commit_callbacks, again, merges={}, keep_good_rows=False
    )
    assert again_job.issues == []
    assert again_job.counts["Accounts"]["unchanged"] == 1
    assert again.job.row_changes.count() == 0

    # when: each import is undone, the last first
    mapped_import_undo(mapped=again, user=None)
    mapped_import_undo(mapped=mapped, user=None)

    # then: the alias is as the first import left it, then gone
    assert aliases() == [("Acme  Widgets Inc.", "", "Acme Widgets, Inc")]
    mapped_import_undo(mapped=first, user=None)
    assert aliases() == []
    assert list(Account.objects.values_list("name", "external_id", "employees")) == [
        ("Acme Widgets, Inc", "9002", 100)
    ]


# Alpha's parent is the row merged into the stored Acme, whose parent is Alpha.
ALPHA_FIRST = (
    "Account ID,Account Name,Parent Account ID\n"
    "9010,Alpha,9003\n"
    "9003,Acme  Widgets Inc.,9010\n"
)
ALPHA_FIRST_REFUSED = "parent 9010 makes a cycle: 9003 → 9010 → 9003"


def families() -> list[tuple]:
    return list(
        Account.objects.order_by("name").values_list(
            "name", "external_id", "parent__name"
        )
    )


def checked_and_run(capture, path: Path) -> tuple[list[dict], MappedImport]:
    mapped = opened(path)
    assert proposed(mapped) == [("Acme  Widgets Inc.", "Acme Widgets, Inc", 1)]
    mapped.merges = MERGES
    mapped.save()
    checked = [i.as_dict() for i in mapped_import_check(mapped=mapped).issues]
    matching.run(capture, mapped, merges=MERGES, keep_good_rows=True)
    return checked, mapped


def issue(line: int, column: str, value: str, reason: str, action: str) -> dict:
    return {
        "file": "accounts.csv",
        "line": line,
        "column": column,
        "value": value,
        "reason": reason,
        "action": action,
    }


def test_a_merged_row_that_closes_a_cycle_is_refused_whole(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    # given: Alpha's parent is the merged row's ID, written with Acme at the end
    AccountFactory.create(name="Acme Widgets, Inc", external_id="")
    before = families()
    path = tmp_path / "accounts.csv"
    path.write_text(ALPHA_FIRST)

    # when
    checked, mapped = checked_and_run(django_capture_on_commit_callbacks, path)

    # then: line 3 closes the cycle, so it is refused, its merge and ID too
    issues = [
        issue(
            2,
            "Parent Account ID",
            "9003",
            "no such parent account; the parent was left as it was",
            "kept",
        ),
        issue(3, "Parent Account ID", "9010", ALPHA_FIRST_REFUSED, "rejected"),
    ]
    assert checked == issues
    job = mapped.job
    assert job.issues == issues
    assert job.counts["Accounts"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert families() == [("Acme Widgets, Inc", "", None), ("Alpha", "9010", None)]
    assert aliases() == []
    assert rows_section(job) == [
        at("accounts.csv", 2, "created", "account Alpha"),
        at(
            "accounts.csv",
            3,
            "rejected",
            "",
            f"Parent Account ID: {ALPHA_FIRST_REFUSED}",
        ),
    ]

    # when undone
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert families() == before


def test_a_row_that_closes_a_cycle_through_a_held_row_is_refused(
    django_capture_on_commit_callbacks, chunk, tmp_path
) -> None:
    # given: the merged row comes first, held to the end; Alpha's row closes
    AccountFactory.create(name="Acme Widgets, Inc", external_id="9002")
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account ID,Account Name,Parent Account ID\n"
        "9003,Acme  Widgets Inc.,9010\n"
        "9010,Alpha,9003\n"
    )

    # when
    checked, mapped = checked_and_run(django_capture_on_commit_callbacks, path)

    # then: Alpha is refused, so Acme keeps no parent, and the merge is kept
    issues = [
        issue(
            2,
            "Account Name",
            "Acme  Widgets Inc.",
            "merged into 'Acme Widgets, Inc'; Id 9003 kept as another ID of "
            "the account",
            "repaired",
        ),
        issue(
            2,
            "Parent Account ID",
            "9010",
            "no such parent account; the parent was left as it was",
            "kept",
        ),
        issue(
            3,
            "Parent Account ID",
            "9003",
            "parent 9003 makes a cycle: 9010 → 9003 → 9010",
            "rejected",
        ),
    ]
    assert checked == issues
    job = mapped.job
    assert job.issues == issues
    assert job.counts["Accounts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "rejected": 1,
    }
    assert families() == [("Acme Widgets, Inc", "9002", None)]
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]
    assert rows_section(job) == [
        at("accounts.csv", 2, "unchanged", "account Acme Widgets, Inc"),
        at(
            "accounts.csv",
            3,
            "rejected",
            "",
            "Parent Account ID: parent 9003 makes a cycle: 9010 → 9003 → 9010",
        ),
    ]


# Acme's two rows are merged into one new account; the second one's parent,
# Alpha, is a child of the first.
CYCLE_IN_SECOND = (
    "Account ID,Account Name,Parent Account ID,Employees\n"
    '9001,"Acme Widgets, Inc",,100\n'
    "9010,Alpha,9001,5\n"
    "9003,Acme  Widgets Inc.,9010,130\n"
)


def staffed() -> list[tuple]:
    return list(
        Account.objects.order_by("name").values_list(
            "name", "external_id", "parent__name", "employees"
        )
    )


def test_a_merged_row_refused_for_a_cycle_adds_nothing_to_a_new_account(
    django_capture_on_commit_callbacks, chunk, tmp_path
) -> None:
    # given
    path = tmp_path / "accounts.csv"
    path.write_text(CYCLE_IN_SECOND)

    # when
    checked, mapped = checked_and_run(django_capture_on_commit_callbacks, path)

    # then: line 4 is refused whole: Acme keeps line 2's employees and ID
    refused = issue(
        4,
        "Parent Account ID",
        "9010",
        "parent 9010 makes a cycle: 9003 → 9010 → 9003",
        "rejected",
    )
    assert checked == [refused]
    job = mapped.job
    assert job.issues == [refused]
    assert job.counts["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert staffed() == [
        ("Acme Widgets, Inc", "9001", None, 100),
        ("Alpha", "9010", "Acme Widgets, Inc", 5),
    ]
    assert aliases() == []
    assert rows_section(job) == [
        at("accounts.csv", 2, "created", "account Acme Widgets, Inc"),
        at("accounts.csv", 3, "created", "account Alpha"),
        at(
            "accounts.csv",
            3,
            "updated",
            "account Alpha",
            "from this row: parent link to Acme Widgets, Inc",
        ),
        at(
            "accounts.csv",
            4,
            "rejected",
            "",
            "Parent Account ID: parent 9010 makes a cycle: 9003 → 9010 → 9003",
        ),
    ]

    # when undone
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert staffed() == []


def test_a_merged_row_refused_for_a_cycle_adds_nothing_to_a_stored_account(
    django_capture_on_commit_callbacks, chunk, tmp_path
) -> None:
    # given: Acme is stored; its rows are read as in the test above
    AccountFactory.create(name="Acme Widgets, Inc", external_id="9001", employees=90)
    path = tmp_path / "accounts.csv"
    path.write_text(CYCLE_IN_SECOND)

    # when
    checked, mapped = checked_and_run(django_capture_on_commit_callbacks, path)

    # then: Acme takes line 2's employees, not line 4's
    refused = issue(
        4,
        "Parent Account ID",
        "9010",
        "parent 9010 makes a cycle: 9003 → 9010 → 9003",
        "rejected",
    )
    assert checked == [refused]
    job = mapped.job
    assert job.issues == [refused]
    assert job.counts["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 1,
    }
    assert staffed() == [
        ("Acme Widgets, Inc", "9001", None, 100),
        ("Alpha", "9010", "Acme Widgets, Inc", 5),
    ]
    assert aliases() == []

    # when undone
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert staffed() == [("Acme Widgets, Inc", "9001", None, 90)]


def test_a_merged_account_whose_first_row_is_refused_takes_the_row_kept(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    # given: Acme's first row closes a cycle through Alpha; its second is kept.
    # Read as one chunk: read a row at a time, Alpha would find no parent 9001
    # yet, and no cycle would close.
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account ID,Account Name,Parent Account ID,Employees\n"
        "9010,Alpha,9001,5\n"
        '9001,"Acme Widgets, Inc",9010,100\n'
        "9003,Acme  Widgets Inc.,,130\n"
    )

    # when
    checked, mapped = checked_and_run(django_capture_on_commit_callbacks, path)

    # then: Acme is written from line 4 alone
    issues = [
        issue(
            2,
            "Parent Account ID",
            "9001",
            "no such parent account; the parent was left as it was",
            "kept",
        ),
        issue(
            3,
            "Parent Account ID",
            "9010",
            "parent 9010 makes a cycle: 9003 → 9010 → 9003",
            "rejected",
        ),
        issue(
            4,
            "Account Name",
            "Acme  Widgets Inc.",
            "merged into 'Acme Widgets, Inc'",
            "repaired",
        ),
    ]
    assert checked == issues
    job = mapped.job
    assert job.issues == issues
    assert job.counts["Accounts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    assert staffed() == [
        ("Acme Widgets, Inc", "9003", None, 130),
        ("Alpha", "9010", None, 5),
    ]
    assert aliases() == [("Acme  Widgets Inc.", "", "Acme Widgets, Inc")]
    assert rows_section(job) == [
        at("accounts.csv", 2, "created", "account Alpha"),
        at(
            "accounts.csv",
            3,
            "rejected",
            "",
            "Parent Account ID: parent 9010 makes a cycle: 9003 → 9010 → 9003",
        ),
        at("accounts.csv", 4, "created", "account Acme Widgets, Inc"),
    ]


def test_a_stored_account_whose_first_merged_row_is_refused_takes_the_row_kept(
    django_capture_on_commit_callbacks, chunk, tmp_path
) -> None:
    # given
    AccountFactory.create(name="Acme Widgets, Inc", external_id="9001", employees=90)
    path = tmp_path / "accounts.csv"
    path.write_text(
        "Account ID,Account Name,Parent Account ID,Employees\n"
        "9010,Alpha,9001,5\n"
        '9001,"Acme Widgets, Inc",9010,100\n'
        "9003,Acme  Widgets Inc.,,130\n"
    )

    # when
    checked, mapped = checked_and_run(django_capture_on_commit_callbacks, path)

    # then: Acme takes line 4's employees, and keeps its ID
    issues = [
        issue(
            3,
            "Parent Account ID",
            "9010",
            "parent 9010 makes a cycle: 9003 → 9010 → 9003",
            "rejected",
        ),
        issue(
            4,
            "Account Name",
            "Acme  Widgets Inc.",
            "merged into 'Acme Widgets, Inc'; Id 9003 kept as another ID of the "
            "account",
            "repaired",
        ),
    ]
    assert checked == issues
    job = mapped.job
    assert job.issues == issues
    assert job.counts["Accounts"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "rejected": 1,
    }
    assert staffed() == [
        ("Acme Widgets, Inc", "9001", None, 130),
        ("Alpha", "9010", "Acme Widgets, Inc", 5),
    ]
    assert aliases() == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]
    assert rows_section(job) == [
        at("accounts.csv", 2, "created", "account Alpha"),
        at(
            "accounts.csv",
            2,
            "updated",
            "account Alpha",
            "from this row: parent link to Acme Widgets, Inc",
        ),
        at(
            "accounts.csv",
            3,
            "rejected",
            "",
            "Parent Account ID: parent 9010 makes a cycle: 9003 → 9010 → 9003",
        ),
        at("accounts.csv", 4, "updated", "account Acme Widgets, Inc"),
    ]

    # when undone
    mapped_import_undo(mapped=mapped, user=None)

    # then
    assert staffed() == [("Acme Widgets, Inc", "9001", None, 90)]
    assert aliases() == []
