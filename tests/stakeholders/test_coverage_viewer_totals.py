"""A rep's and a manager's coverage totals are kept, and follow who sees what.

The fold keeps a total per viewer over the accounts they see by team. After
people writes, owner and team changes, role changes and deletions, every
viewer's kept total equals a fresh sum of the stored counts over
account_list_for_user, and every role's page totals equal a fresh count,
before the fold and after it.
"""

import threading
from datetime import UTC, date, timedelta
from typing import Any, cast
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Team, User
from accounts.selectors import account_list_for_user
from accounts.wizard import mapped_import_undo
from stakeholders import selectors
from stakeholders.coverage_counts import TOTALLED, coverage_counts_fold
from stakeholders.models import (
    AccountCoverageCount,
    CoverageChangedAccount,
    CoverageChangedViewer,
    CoverageQuietPerson,
    CoverageViewerQuietDay,
    CoverageViewerTotal,
    Stakeholder,
)
from stakeholders.selectors import coverage_rollup_page_for_user
from stakeholders.services import activity_log, stakeholder_create
from tests.accounts.factories import AccountFactory, TeamFactory, UserFactory
from tests.stakeholders.factories import StakeholderFactory
from tests.stakeholders.test_coverage_counts import assert_totals_exact
from tests.stakeholders.test_wizard_people import imported


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def kept_by_viewer() -> dict[int, tuple[dict[str, int], dict[date, int]]]:
    """Return each viewer's kept total and quiet days."""
    kept: dict[int, tuple[dict[str, int], dict[date, int]]] = {}
    for row in CoverageViewerTotal.objects.values("viewer_id", *TOTALLED):
        kept[row.pop("viewer_id")] = (row, {})
    for viewer_id, day, people in CoverageViewerQuietDay.objects.order_by(
        "viewer_id", "day"
    ).values_list("viewer_id", "day", "people"):
        kept.setdefault(viewer_id, (dict.fromkeys(TOTALLED, 0), {}))[1][day] = people
    return kept


def summed_by_viewer() -> dict[int, tuple[dict[str, int], dict[date, int]]]:
    """Sum the stored counts afresh over what each rep or manager sees."""
    summed: dict[int, tuple[dict[str, int], dict[date, int]]] = {}
    for user in User.objects.exclude(role__in=[User.Role.OPS, User.Role.EXECUTIVE]):
        scope = account_list_for_user(user=user).values("pk")
        rows = list(AccountCoverageCount.objects.filter(account_id__in=scope))
        days: dict[date, int] = {}
        for moment in CoverageQuietPerson.objects.filter(
            account_id__in=scope
        ).values_list("quiet_since", flat=True):
            day = moment.astimezone(UTC).date()
            days[day] = days.get(day, 0) + 1
        if not rows and not days:
            continue
        totals = {
            "accounts": len(rows),
            "threaded": sum(row.supporters > 1 for row in rows),
        }
        for field in TOTALLED[2:]:
            totals[field] = sum(getattr(row, field) for row in rows)
        summed[user.pk] = (totals, dict(sorted(days.items())))
    return summed


def assert_every_role_exact(*users: User) -> None:
    """Check every role's totals before the fold, and the kept sums after."""
    for user in users:
        assert_totals_exact(user)

    coverage_counts_fold()

    assert not CoverageChangedAccount.objects.exists()
    assert not CoverageChangedViewer.objects.exists()
    assert kept_by_viewer() == summed_by_viewer()
    for user in users:
        assert_totals_exact(user)


@pytest.fixture
def west(db: None) -> Team:
    return TeamFactory.create(name="West")


@pytest.fixture
def wes(west: Team) -> User:
    return UserFactory.create(username="wes", role=User.Role.MANAGER, team=west)


def _people(account: Account) -> None:
    # One ally with no owner, one important opponent, one quiet owned one.
    StakeholderFactory.create(account=account, sentiment=2, influence=5, owner=None)
    StakeholderFactory.create(account=account, sentiment=-2, influence=4)
    quiet = StakeholderFactory.create(account=account, owner=None, influence=3)
    Stakeholder.objects.filter(pk=quiet.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )


@pytest.mark.django_db
def test_kept_totals_follow_owner_team_and_role_changes(
    ops: User, manager: User, rep: User, outsider: User, west: Team, wes: User
) -> None:
    # given: Mark manages both teams; Cargo is on Rita's and Otto's teams,
    # so Mark sees it through both and counts it once
    outsider.team = west
    outsider.save()
    west.manager = manager
    west.save()
    acme, bolt, cargo = (
        cast(Account, AccountFactory.create(name=name, sector="Retail"))
        for name in ("Acme", "Bolt", "Cargo")
    )
    acme.team_members.add(rep)
    bolt.team_members.add(outsider)
    cargo.team_members.add(rep, outsider)
    everyone = (ops, manager, rep, outsider, wes)
    assert_every_role_exact(*everyone)
    assert CoverageViewerTotal.objects.get(viewer=manager).accounts == 3

    # when / then: people written, one touched long ago
    for account in (acme, bolt, cargo):
        _people(account)
    person = stakeholder_create(
        user=ops,
        account=cargo,
        data={"first_name": "Ada", "last_name": "Lee", "influence": 5},
    )
    activity_log(
        user=ops,
        account=cargo,
        stakeholders=[person],
        occurred_at=timezone.now() - timedelta(days=400),
    )
    assert_every_role_exact(*everyone)
    assert kept_by_viewer()[manager.pk][0]["people"] == 10

    # when / then: Acme's owner changes from Rita to Otto
    acme.team_members.remove(rep)
    acme.team_members.add(outsider)
    assert_every_role_exact(*everyone)

    # when / then: a bulk write moves Bolt back to Rita, with no signal
    AccountTeamMember.objects.filter(account=bolt).update(user=rep)
    assert_every_role_exact(*everyone)

    # when / then: West gets its own manager, then Otto moves to Central
    west.manager = wes
    west.save()
    assert_every_role_exact(*everyone)
    assert CoverageViewerTotal.objects.get(viewer=wes).accounts == 2
    outsider.team = manager.team
    outsider.save()
    assert_every_role_exact(*everyone)
    assert not CoverageViewerTotal.objects.filter(viewer=wes).exists()

    # when / then: Mark becomes a rep, then back; an account and Otto go
    manager.role = User.Role.REP
    manager.save()
    assert_every_role_exact(*everyone)
    assert not CoverageViewerTotal.objects.filter(viewer=manager).exists()
    manager.role = User.Role.MANAGER
    manager.save()
    cargo.delete()
    assert_every_role_exact(*everyone)
    outsider.delete()
    assert_every_role_exact(ops, manager, rep, wes)
    assert kept_by_viewer()[manager.pk][0]["accounts"] == 1


@pytest.mark.django_db
def test_kept_totals_follow_a_people_import_and_its_undo(
    django_capture_on_commit_callbacks, ops: User, manager: User, rep: User
) -> None:
    # given: the accounts the fixture's people work at, one on Rita's team
    vireo = cast(
        Account,
        AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA"),
    )
    AccountFactory.create(name="Harbor Freight Lines", external_id="")
    vireo.team_members.add(rep)
    assert_every_role_exact(ops, manager, rep)

    # when: the set-based import
    job = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")

    # then
    assert_every_role_exact(ops, manager, rep)
    assert kept_by_viewer()[rep.pk][0]["people"] == 3

    # when: the import undone
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert_every_role_exact(ops, manager, rep)
    assert kept_by_viewer()[rep.pk][0]["people"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3, 130])
@pytest.mark.parametrize("who", ["ops", "manager", "rep"])
@pytest.mark.parametrize(("written", "asked"), [(False, 10), (True, 18)])
def test_the_page_asks_the_same_queries_for_each_role_at_any_size(
    client: Client,
    request: pytest.FixtureRequest,
    manager: User,
    rep: User,
    who: str,
    size: int,
    written: bool,
    asked: int,
) -> None:
    # given: accounts on Rita's team with people, counted, and maybe one
    # account written since
    for number in range(size):
        account = cast(Account, AccountFactory.create(name=f"Sized {number:03}"))
        account.team_members.add(rep)
        StakeholderFactory.create_batch(2, account=account)
    coverage_counts_fold()
    if written:
        StakeholderFactory.create(account=Account.objects.order_by("pk").first())
    user = cast(User, request.getfixturevalue(who))
    client.force_login(user)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("stakeholders:coverage"))

    # then
    assert response.status_code == 200
    assert f"All {size} accounts" in response.content.decode()
    assert len(queries) == asked, [query["sql"] for query in queries]


# Nothing written since the fold: session, user; the marked accounts'
# ids, the kept sums (CoverageTotal, or the viewer's row and whether they
# are marked), the quiet days before the cutoff's and that day's people;
# the page: its accounts, their people, sector defaults, unheld roles.
# One account written: also its stored counts and stale people, then it
# counted live (people, supporters, accounts, sectors, sector defaults,
# unheld roles).


@pytest.mark.django_db(transaction=True)
def test_a_fold_between_the_totals_and_the_rows_leaves_them_agreeing(
    postgres: None, rep: User
) -> None:
    # given: Rita's one account with one person, counted
    acme = cast(Account, AccountFactory.create(name="Acme", sector="Retail"))
    acme.team_members.add(rep)
    StakeholderFactory.create(account=acme)
    coverage_counts_fold()
    page_read = selectors._coverage_page

    def fold_landing_between(*args: Any, **kwargs: Any) -> Any:
        # Another connection writes a person and folds, committed, after
        # the totals are read and before the page's rows are.
        def write_and_fold() -> None:
            try:
                StakeholderFactory.create(account=acme)
                coverage_counts_fold()
            finally:
                connection.close()

        writer = threading.Thread(target=write_and_fold)
        writer.start()
        writer.join()
        return page_read(*args, **kwargs)

    # when
    with mock.patch.object(selectors, "_coverage_page", fold_landing_between):
        during = coverage_rollup_page_for_user(user=rep, page=1)
    after = coverage_rollup_page_for_user(user=rep, page=1)

    # then: the fold committed, yet the first page read as before it
    assert Stakeholder.objects.count() == 2
    assert not CoverageChangedAccount.objects.exists()
    assert (during.people, [row.people for row in during.rows]) == (1, [1])
    assert (after.people, [row.people for row in after.rows]) == (2, [2])
