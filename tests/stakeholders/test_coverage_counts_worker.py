"""The coverage fold runs in the worker, and again when its send was lost.

A write commits with its account marked and asks the worker for a fold;
until the fold the page counts the marked account afresh, so its totals
are exact at every moment, and after it the stored counts and the kept
sums equal a fresh count.
"""

import time
from datetime import timedelta
from typing import cast

import pytest
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, User
from accounts.wizard import mapped_import_undo
from config.pending import pending_work_resend
from stakeholders.models import (
    BuyingRole,
    CoverageChangedAccount,
    CoverageChangedViewer,
    Stakeholder,
)
from stakeholders.services import activity_log, stakeholder_create
from tests.accounts.factories import AccountFactory
from tests.stakeholders.test_coverage_counts import (
    _fresh,
    _kept_sums,
    _stored,
    _summed_now,
    assert_totals_exact,
)
from tests.stakeholders.test_coverage_viewer_totals import (
    kept_by_viewer,
    summed_by_viewer,
)
from tests.stakeholders.test_wizard_people import imported


def _folded(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (
        CoverageChangedAccount.objects.exists()
        or CoverageChangedViewer.objects.exists()
    ):
        if time.monotonic() > deadline:
            pytest.fail(f"accounts still marked after {timeout}s")
        time.sleep(0.1)


@pytest.mark.worker
def test_the_worker_folds_what_a_save_marked(celery_worker: None, ops: User) -> None:
    # given: two accounts, one person already counted
    acme = cast(Account, AccountFactory.create(name="Acme", sector="Retail"))
    AccountFactory.create(name="Bolt", sector="Mining")
    stakeholder_create(
        user=ops, account=acme, data={"first_name": "Ada", "last_name": "Lee"}
    )
    _folded()

    # when: an important person with no owner is saved, then touched long ago
    person = stakeholder_create(
        user=ops,
        account=acme,
        data={"first_name": "Bo", "last_name": "Ek", "influence": 5},
        # Seeded by a migration, which a flush before this test may undo.
        roles=[
            BuyingRole.objects.get_or_create(
                key="finance", defaults={"name": "Finance", "kind": "function"}
            )[0]
        ],
    )
    assert_totals_exact(ops)
    activity_log(
        user=ops,
        account=acme,
        stakeholders=[person],
        occurred_at=timezone.now() - timedelta(days=400),
    )
    assert_totals_exact(ops)

    # then: the worker folds them, and the counts stay exact
    _folded()
    assert _stored() == _fresh()
    assert _kept_sums() == _summed_now()
    totals = assert_totals_exact(ops)
    assert (totals.accounts, totals.people) == (2, 2)


def _every_role_kept(*users: User) -> None:
    # Each write asked the worker for a fold; once it ran, every viewer's
    # kept total equals a fresh sum over what they see, and every role's
    # totals a fresh count.
    _folded()
    assert kept_by_viewer() == summed_by_viewer()
    for user in users:
        assert_totals_exact(user)


@pytest.mark.worker
def test_the_worker_keeps_every_viewers_totals(
    celery_worker: None,
    django_capture_on_commit_callbacks,
    media_in_tmp: None,
    ops: User,
    manager: User,
    rep: User,
    outsider: User,
) -> None:
    # given: Vireo on Rita's team, Harbor on Otto's (another team)
    vireo = cast(
        Account,
        AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA"),
    )
    harbor = cast(Account, AccountFactory.create(name="Harbor Freight Lines"))
    vireo.team_members.add(rep)
    harbor.team_members.add(outsider)
    everyone = (ops, manager, rep, outsider)
    _every_role_kept(*everyone)

    # when / then: people written by hand and by an import
    stakeholder_create(
        user=ops,
        account=harbor,
        data={"first_name": "Bo", "last_name": "Ek", "influence": 5},
    )
    job = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")
    _every_role_kept(*everyone)
    assert kept_by_viewer()[manager.pk][0]["people"] == 3

    # when / then: Harbor's owner becomes Rita, by a bulk write
    AccountTeamMember.objects.filter(account=harbor).update(user=rep)
    stakeholder_create(
        user=ops, account=vireo, data={"first_name": "Al", "last_name": "Oh"}
    )
    _every_role_kept(*everyone)
    assert kept_by_viewer()[manager.pk][0]["people"] == 5

    # when / then: Otto joins Mark's team and takes Vireo
    outsider.team = manager.team
    outsider.save()
    vireo.team_members.remove(rep)
    vireo.team_members.add(outsider)
    _every_role_kept(*everyone)
    assert kept_by_viewer()[outsider.pk][0]["people"] == 4

    # when / then: the import undone
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)
    _every_role_kept(*everyone)
    assert kept_by_viewer()[manager.pk][0]["people"] == 2


@pytest.mark.django_db
def test_the_sweeper_folds_accounts_marked_a_while_ago(ops: User) -> None:
    # given: a person saved in the test's transaction, whose fold is never
    # sent, marked two minutes ago
    acme = cast(Account, AccountFactory.create(name="Acme"))
    Stakeholder.objects.create(account=acme, first_name="Ada", last_name="Lee")
    CoverageChangedAccount.objects.update(
        marked_at=timezone.now() - timedelta(minutes=2)
    )

    # when
    sent = pending_work_resend()

    # then: one fold ran (in process), and nothing is left to send
    assert sent == {
        "score_runs": 0,
        "import_jobs": 0,
        "coverage_folds": 1,
        "chart_names": 0,
    }
    assert not CoverageChangedAccount.objects.exists()
    assert _stored() == _fresh()
    assert _kept_sums() == _summed_now()
    assert assert_totals_exact(ops).people == 1
    assert pending_work_resend(older_than=timedelta(0)) == {
        "score_runs": 0,
        "import_jobs": 0,
        "coverage_folds": 0,
        "chart_names": 0,
    }


@pytest.mark.django_db
def test_the_sweeper_leaves_a_mark_made_just_now(ops: User) -> None:
    acme = cast(Account, AccountFactory.create(name="Acme"))
    Stakeholder.objects.create(account=acme, first_name="Ada", last_name="Lee")

    sent = pending_work_resend()

    assert sent == {
        "score_runs": 0,
        "import_jobs": 0,
        "coverage_folds": 0,
        "chart_names": 0,
    }
    assert list(CoverageChangedAccount.objects.values_list("account", flat=True)) == [
        acme.pk
    ]
