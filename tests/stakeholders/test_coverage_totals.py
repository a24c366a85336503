"""The coverage page's totals: exact after any write, bulk ones included.

Each account's counts are kept at write time (stakeholders.coverage_counts)
and the totals sum them, so a write of any kind, with or without a
signal, shows in them at once; the page says when it counted staleness.
"""

from datetime import timedelta
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ImportJob, User
from accounts.signals import import_finished
from stakeholders.models import Stakeholder
from stakeholders.selectors import coverage_rollup_page_for_user
from tests.accounts.factories import AccountFactory
from tests.stakeholders.factories import ActivityFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def _account(name: str, *members: User) -> Account:
    account = cast(Account, AccountFactory.create(name=name))
    account.team_members.add(*members)
    return account


def _people(user: User) -> tuple[int, tuple[int, ...]]:
    rollup = coverage_rollup_page_for_user(user=user, page=1)
    return rollup.people, rollup.totals


def test_a_bulk_update_shows_in_the_totals_at_once(client: Client, rep: User) -> None:
    # given
    account = _account("Acme", rep)
    StakeholderFactory.create(account=account)
    client.force_login(rep)
    first = client.get(reverse("stakeholders:coverage"))

    # when: the person leaves by a bulk update, which sends no signal
    Stakeholder.objects.filter(account=account).update(status=Stakeholder.Status.LEFT)
    second = client.get(reverse("stakeholders:coverage"))

    # then: the row and the totals both count nobody, and the page says
    # when it counted
    rollup = coverage_rollup_page_for_user(user=rep, page=1)
    assert (rollup.rows[0].people, rollup.people) == (0, 0)
    as_of = timezone.localtime(rollup.counted_at).strftime("%H:%M")
    assert 'All 1 account <span class="as-of muted"' in second.content.decode()
    assert f"as of {as_of}</span>" in second.content.decode()
    assert first.status_code == 200


def test_a_saved_person_counts_at_once(rep: User) -> None:
    # given
    account = _account("Acme", rep)
    StakeholderFactory.create(account=account)
    assert _people(rep)[0] == 1

    # when
    StakeholderFactory.create(account=account, influence=5)

    # then: two people, one of them important with no owner
    people, totals = _people(rep)
    assert (people, totals[1]) == (2, 1)


def test_a_person_who_leaves_counts_at_once(rep: User) -> None:
    account = _account("Acme", rep)
    person = cast(Stakeholder, StakeholderFactory.create(account=account))
    assert _people(rep)[0] == 1

    person.status = Stakeholder.Status.LEFT
    person.save()

    assert _people(rep)[0] == 0


def test_a_logged_touch_ends_staleness_at_once(rep: User) -> None:
    # given: an owned person added long ago and never touched
    account = _account("Acme", rep)
    person = cast(Stakeholder, StakeholderFactory.create(account=account, owner=rep))
    Stakeholder.objects.filter(pk=person.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    # (the bulk update above sends no signal: a save makes it count)
    person.refresh_from_db()
    person.save()
    assert _people(rep)[1][4] == 1

    # when
    ActivityFactory.create(
        account=account, occurred_at=timezone.now(), stakeholders=[person]
    )

    # then
    assert _people(rep)[1][4] == 0


def test_a_new_account_counts_at_once(ops: User) -> None:
    _account("Acme")
    assert coverage_rollup_page_for_user(user=ops, page=1).page.paginator.count == 1

    _account("Bolt")

    rollup = coverage_rollup_page_for_user(user=ops, page=1)
    assert rollup.page.paginator.count == 2
    assert [row.account.name for row in rollup.rows] == ["Acme", "Bolt"]


def test_a_finished_import_counts_at_once(rep: User) -> None:
    # given: a person written in bulk, as imports write them
    account = _account("Acme", rep)
    assert _people(rep)[0] == 0
    Stakeholder.objects.bulk_create(
        [Stakeholder(account=account, first_name="Ida", last_name="Bulk")]
    )
    assert _people(rep)[0] == 1

    # when: the import's end folds the counts
    import_finished.send(sender=ImportJob, job=None)

    # then
    assert _people(rep)[0] == 1


def test_each_scope_keeps_its_own_totals(rep: User, ops: User) -> None:
    # given: one account the rep works, one they do not
    StakeholderFactory.create(account=_account("Acme", rep))
    StakeholderFactory.create(account=_account("Bolt"))
    StakeholderFactory.create(account=_account("Bolt"))

    # when / then
    assert _people(rep)[0] == 1
    assert _people(ops)[0] == 3
    assert _people(rep)[0] == 1
