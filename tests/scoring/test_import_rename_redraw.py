"""A rename made by an import redraws the current chart, as a hand one does.

An import that renames accounts by their IDs leaves one RenamedAccount mark
per chunk in its transaction; once it commits, the refresh draws the new
names into the current run's chart, with no score run. Its undo gives the
old names back the same way.
"""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts import streaming
from accounts.models import Account, ImportJob, RevenueLine, User
from accounts.signals import import_finished
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from scoring.models import RenamedAccount, ScoreRun
from scoring.receivers import import_finished_score
from scoring.services import score_run_request
from tests.accounts.factories import ProductFactory
from tests.accounts.wizard_runs import counted
from tests.scoring.test_rename_redraw import names_drawn

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

SCORE_RUN = "scoring.import_finished_score"


def run(user: User, path: Path, text: str) -> ImportJob:
    path.write_text(text, encoding="utf-8")
    mapped = mapped_import_create_from_paths(user=user, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)
    job = mapped_import_run(mapped=mapped)
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    return job


@pytest.fixture
def no_score_run_after_imports() -> Iterator[None]:
    """Start no score run when an import finishes: only the rename's own
    refresh can then redraw the chart."""
    import_finished.disconnect(dispatch_uid=SCORE_RUN)
    yield
    import_finished.connect(import_finished_score, dispatch_uid=SCORE_RUN)


@pytest.fixture
def scored(tmp_path: Path, ops: User, django_capture_on_commit_callbacks) -> ScoreRun:
    """Three accounts imported with their IDs, with revenue, and scored."""
    run(
        ops,
        tmp_path / "first.csv",
        "Account ID,Account Name\nA-1,Ärzte GmbH\nA-2,Globex\nA-3,Initech\n",
    )
    product = ProductFactory.create(name="GTX Pro")
    for index, account in enumerate(Account.objects.order_by("external_id")):
        RevenueLine.objects.create(
            account=account,
            product=product,
            quarter_start=date(2017, 4, 1),
            amount=Decimal(1000 * (index + 1)),
        )
    with django_capture_on_commit_callbacks(execute=True):
        score_run_request(trigger="manual")
    return ScoreRun.objects.get(is_current=True)


@pytest.mark.usefixtures("no_score_run_after_imports")
def test_an_import_rename_reaches_the_current_chart_without_a_score_run(
    tmp_path: Path, ops: User, scored: ScoreRun, django_capture_on_commit_callbacks
) -> None:
    # given
    assert names_drawn(scored) == ["Globex", "Initech", "Ärzte GmbH"]

    # when: a second file renames two of them by their IDs
    with django_capture_on_commit_callbacks(execute=True):
        job = run(
            ops,
            tmp_path / "second.csv",
            "Account ID,Account Name\nA-1,Zenith Widgets\nA-2,Globex Holdings\n",
        )
        # then, before the commit: one mark for the chunk, naming no account
        assert list(RenamedAccount.objects.values_list("account", flat=True)) == [None]

    # then: the same run's chart shows the new names; the marks are gone
    assert job.counts["Accounts"] == counted(updated=2)
    assert list(ScoreRun.objects.values_list("pk", flat=True)) == [scored.pk]
    assert names_drawn(scored) == ["Globex Holdings", "Initech", "Zenith Widgets"]
    assert not RenamedAccount.objects.exists()


@pytest.mark.usefixtures("no_score_run_after_imports")
def test_each_chunk_of_renames_leaves_one_mark(
    tmp_path: Path,
    ops: User,
    scored: ScoreRun,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
) -> None:
    # given: chunks of two rows
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 2)

    # when: three renames, in two chunks
    with django_capture_on_commit_callbacks(execute=True):
        run(
            ops,
            tmp_path / "second.csv",
            "Account ID,Account Name\nA-1,Zenith Widgets\nA-2,Globex Holdings\n"
            "A-3,Initech Labs\n",
        )
        marks = list(
            RenamedAccount.objects.order_by("pk").values_list("account", flat=True)
        )

    # then: two marks, the second chunk's naming its one account
    assert marks == [None, Account.objects.get(external_id="A-3").pk]
    assert list(ScoreRun.objects.values_list("pk", flat=True)) == [scored.pk]
    assert names_drawn(scored) == ["Globex Holdings", "Initech Labs", "Zenith Widgets"]
    assert not RenamedAccount.objects.exists()


@pytest.mark.usefixtures("no_score_run_after_imports")
def test_undoing_an_import_rename_redraws_the_old_name(
    tmp_path: Path, ops: User, scored: ScoreRun, django_capture_on_commit_callbacks
) -> None:
    # given: an import renamed Ärzte GmbH, and the chart shows it
    with django_capture_on_commit_callbacks(execute=True):
        job = run(
            ops,
            tmp_path / "second.csv",
            "Account ID,Account Name\nA-1,Zenith Widgets\n",
        )
    assert names_drawn(scored) == ["Globex", "Initech", "Zenith Widgets"]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        mapped_import_undo(mapped=job.mapped, user=ops)

    # then
    assert list(ScoreRun.objects.values_list("pk", flat=True)) == [scored.pk]
    assert names_drawn(scored) == ["Globex", "Initech", "Ärzte GmbH"]
    assert not RenamedAccount.objects.exists()


def test_an_import_that_renames_nothing_marks_nothing(
    tmp_path: Path, ops: User, scored: ScoreRun
) -> None:
    run(ops, tmp_path / "second.csv", "Account ID,Account Name\nA-1,Ärzte GmbH\n")

    assert not RenamedAccount.objects.exists()
