"""Coverage counts kept at write time equal a fresh count after any write.

Triggers mark the accounts each write changes in its own transaction; a
fold counts them again. After every kind of write, before the fold the
totals (stored counts plus the marked accounts counted live) equal a fresh
count, and after it every account's stored row equals a fresh count.
"""

from datetime import UTC, date, timedelta
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, User
from accounts.selectors import account_list_for_user
from accounts.wizard import mapped_import_undo
from stakeholders.coverage import Kind
from stakeholders.coverage_counts import (
    TOTALLED,
    coverage_counts_compute,
    coverage_counts_fold,
)
from stakeholders.models import (
    AccountCoverageCount,
    BuyingRole,
    CoverageChangedAccount,
    CoverageQuietDay,
    CoverageQuietPerson,
    CoverageTotal,
    SectorRoleDefault,
    Stakeholder,
)
from stakeholders.selectors import (
    COVERAGE_KINDS,
    CoverageTotals,
    _coverage_totals_count,
    coverage_totals_for_user,
)
from stakeholders.services import (
    account_expected_roles_set,
    activity_log,
    stakeholder_create,
    stakeholder_erase,
    stakeholder_mark_left,
    stakeholder_update,
)
from tests.accounts.factories import AccountFactory
from tests.stakeholders.factories import StakeholderFactory
from tests.stakeholders.test_wizard_people import imported

pytestmark = pytest.mark.django_db

STALE = COVERAGE_KINDS.index(Kind.STALE)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def acme() -> Account:
    return cast(Account, AccountFactory.create(name="Acme", sector="Retail"))


def _stored() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    counts = [
        dict(row)
        for row in AccountCoverageCount.objects.order_by("account_id").values()
    ]
    quiet = [
        dict(row)
        for row in CoverageQuietPerson.objects.order_by("stakeholder_id").values()
    ]
    return counts, quiet


def _fresh() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    made, went_quiet = coverage_counts_compute(
        account_ids=Account.objects.values_list("pk", flat=True)
    )
    counts: list[dict[str, Any]] = [
        {
            field.attname: getattr(row, field.attname)
            for field in AccountCoverageCount._meta.fields
        }
        for row in sorted(made, key=lambda row: row.account_id)
    ]
    quiet: list[dict[str, Any]] = [
        {
            "stakeholder_id": row.stakeholder_id,
            "account_id": row.account_id,
            "quiet_since": row.quiet_since,
        }
        for row in sorted(went_quiet, key=lambda row: row.stakeholder_id)
    ]
    return counts, quiet


def _kept_sums() -> tuple[dict[str, int], dict[date, int]]:
    kept = CoverageTotal.objects.values(*TOTALLED).first()
    days = dict(CoverageQuietDay.objects.order_by("day").values_list("day", "people"))
    return kept or dict.fromkeys(TOTALLED, 0), days


def _summed_now() -> tuple[dict[str, int], dict[date, int]]:
    rows = AccountCoverageCount.objects.all()
    summed = {
        "accounts": rows.count(),
        "threaded": rows.filter(supporters__gt=1).count(),
        **{field: sum(getattr(row, field) for row in rows) for field in TOTALLED[2:]},
    }
    days: dict[date, int] = {}
    for moment in CoverageQuietPerson.objects.values_list("quiet_since", flat=True):
        day = moment.astimezone(UTC).date()
        days[day] = days.get(day, 0) + 1
    return summed, dict(sorted(days.items()))


def assert_totals_exact(user: User) -> CoverageTotals:
    """Check the user's totals against a fresh count; return them."""
    totals = coverage_totals_for_user(user=user)
    fresh = _coverage_totals_count(
        visible=account_list_for_user(user=user), now=totals.counted_at
    )
    assert (totals.accounts, totals.people, totals.counts) == (
        fresh.accounts,
        fresh.people,
        fresh.counts,
    )
    return totals


def assert_kept_exactly(ops: User) -> None:
    """Check the totals before the fold, then every stored row after it."""
    fresh = assert_totals_exact(ops)

    coverage_counts_fold()

    assert not CoverageChangedAccount.objects.exists()
    assert _stored() == _fresh()
    assert _kept_sums() == _summed_now()
    after = coverage_totals_for_user(user=ops)
    assert (after.accounts, after.people, after.counts) == (
        fresh.accounts,
        fresh.people,
        fresh.counts,
    )


def test_a_write_marks_its_account_in_its_own_transaction(acme: Account) -> None:
    coverage_counts_fold()
    assert not CoverageChangedAccount.objects.exists()

    StakeholderFactory.create(account=acme)

    assert list(CoverageChangedAccount.objects.values_list("account", flat=True)) == [
        acme.pk
    ]


def test_single_edits_keep_the_counts_exact(ops: User, acme: Account) -> None:
    # given
    finance = BuyingRole.objects.get(key="finance")
    other = cast(Account, AccountFactory.create(name="Bolt", sector="Mining"))
    assert_kept_exactly(ops)

    # when / then: each kind of edit, checked after each
    person = stakeholder_create(
        user=ops,
        account=acme,
        data={"first_name": "Ada", "last_name": "Lee", "influence": 5},
        roles=[finance],
    )
    assert_kept_exactly(ops)
    stakeholder_update(
        user=ops,
        stakeholder=person,
        data={"sentiment": 2, "owner": None},
    )
    assert_kept_exactly(ops)
    activity_log(
        user=ops,
        account=acme,
        stakeholders=[person],
        occurred_at=timezone.now() - timedelta(days=400),
    )
    assert_kept_exactly(ops)
    account_expected_roles_set(user=ops, account=acme, roles=[finance])
    assert_kept_exactly(ops)
    other.sector = "Retail"
    other.save()
    assert_kept_exactly(ops)
    SectorRoleDefault.objects.filter(sector="retail").delete()
    assert_kept_exactly(ops)
    stakeholder_mark_left(user=ops, stakeholder=person)
    assert_kept_exactly(ops)
    person.delete()
    assert_kept_exactly(ops)
    other.delete()
    assert_kept_exactly(ops)
    assert list(AccountCoverageCount.objects.values_list("account", flat=True)) == [
        acme.pk
    ]


def test_a_bulk_update_shows_at_once_without_any_signal(
    ops: User, acme: Account
) -> None:
    StakeholderFactory.create(account=acme, owner=None, influence=5)
    assert_kept_exactly(ops)

    Stakeholder.objects.filter(account=acme).update(influence=1)

    assert_kept_exactly(ops)


def test_staleness_follows_the_clock_and_the_last_touch(
    ops: User, rep: User, acme: Account
) -> None:
    # given: an owned person added 400 days ago, never touched
    acme.team_members.add(rep)
    person = StakeholderFactory.create(account=acme, owner=rep)
    Stakeholder.objects.filter(pk=person.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    coverage_counts_fold()
    assert coverage_totals_for_user(user=ops).counts[STALE] == 1

    # when
    activity_log(user=rep, account=acme, stakeholders=[person])

    # then: counted live while marked, then from the moment kept
    assert coverage_totals_for_user(user=ops).counts[STALE] == 0
    assert_kept_exactly(ops)
    assert coverage_totals_for_user(user=ops).counts[STALE] == 0


def test_the_people_import_erasure_and_undo_keep_the_counts_exact(
    django_capture_on_commit_callbacks, ops: User
) -> None:
    # given: the accounts the fixture's people work at
    AccountFactory.create(name="Vireo Health", external_id="0015e00000VirAAA")
    AccountFactory.create(name="Harbor Freight Lines", external_id="")
    assert_kept_exactly(ops)

    # when: the set-based import
    job = imported(django_capture_on_commit_callbacks, "salesforce_contacts.csv")
    assert Stakeholder.objects.count() == 3
    assert_kept_exactly(ops)

    # when: one person erased
    stakeholder_erase(user=ops, stakeholder=Stakeholder.objects.order_by("pk")[0])
    assert_kept_exactly(ops)

    # when: the import undone
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_undo(mapped=job.mapped, user=None)
    assert_kept_exactly(ops)


@pytest.mark.parametrize("size", [1, 3, 12])
def test_the_coverage_page_reads_the_same_queries_at_any_size(
    client: Client, ops: User, size: int
) -> None:
    # given: accounts with people, counted, and one account written since
    for number in range(size):
        account = AccountFactory.create(name=f"Sized {number:02}")
        StakeholderFactory.create_batch(2, account=account)
    coverage_counts_fold()
    StakeholderFactory.create(account=Account.objects.order_by("pk").first())
    client.force_login(ops)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("stakeholders:coverage"))

    # then
    assert response.status_code == 200
    accounts = "account" if size == 1 else "accounts"
    assert f"All {size} {accounts} <span" in response.content.decode()
    assert len(queries) == COVERAGE_PAGE_QUERIES, [q["sql"] for q in queries]


# session, user; the totals: the marked accounts' ids, the kept sums,
# their stored counts and their stale people, the quiet days before the
# cutoff's and that day's people, then the marked accounts counted live
# (people, supporters, accounts, sectors, sector defaults, unheld roles);
# the page: its accounts, their people, sector defaults, unheld roles
COVERAGE_PAGE_QUERIES = 18
