import pytest
from django.http import Http404

from accounts.models import User
from accounts.selectors import (
    account_can_edit,
    account_get_for_user,
    account_list_for_user,
    account_visibility_key,
)
from tests.accounts.factories import AccountFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_rep_sees_only_the_accounts_whose_team_they_are_on(rep, outsider, account):
    AccountFactory.create(name="Other").team_members.add(outsider)

    assert list(account_list_for_user(user=rep)) == [account]


def test_a_manager_sees_the_accounts_of_their_reps(manager, rep, outsider, account):
    AccountFactory.create(name="Other").team_members.add(outsider)

    assert list(account_list_for_user(user=manager)) == [account]


def test_executives_and_ops_see_every_account(executive, ops, account, outsider):
    AccountFactory.create(name="Other").team_members.add(outsider)

    assert account_list_for_user(user=executive).count() == 2
    assert account_list_for_user(user=ops).count() == 2


def test_another_account_answers_404(outsider, account):
    with pytest.raises(Http404):
        account_get_for_user(user=outsider, pk=account.pk)


def test_an_inactive_user_sees_nothing(rep, account):
    rep.is_active = False

    assert not account_list_for_user(user=rep).exists()


def test_executives_read_but_do_not_edit(executive, rep, account):
    assert not account_can_edit(user=executive, account=account)
    assert account_can_edit(user=rep, account=account)
    assert not account_can_edit(
        user=UserFactory.create(username="nobody"), account=account
    )


def test_a_manager_sees_their_own_accounts_and_those_of_every_team_they_manage(
    manager, rep, outsider, account
):
    # given: a second team of theirs, one account of their own, and a team
    # managed by someone else
    second = TeamFactory.create(name="North", manager=manager)
    north_rep = UserFactory.create(username="nora", team=second)
    AccountFactory.create(name="Northwind").team_members.add(north_rep)
    AccountFactory.create(name="Own").team_members.add(manager)
    west = outsider.team
    west.manager = UserFactory.create(username="wes", role=User.Role.MANAGER)
    west.save()
    AccountFactory.create(name="Other").team_members.add(outsider)

    # when
    seen = account_list_for_user(user=manager).order_by("name")

    # then
    assert [one.name for one in seen] == ["Acme Corporation", "Northwind", "Own"]


def test_an_account_two_of_a_managers_people_work_is_seen_once(manager, rep, account):
    account.team_members.add(manager)

    assert list(account_list_for_user(user=manager)) == [account]
    assert account_can_edit(user=manager, account=account)


def test_a_rep_does_not_see_their_teammates_accounts(rep, manager, team):
    teammate = UserFactory.create(username="tess", team=team)
    AccountFactory.create(name="Tess's").team_members.add(teammate)

    assert not account_list_for_user(user=rep).exists()
    assert [one.name for one in account_list_for_user(user=manager)] == ["Tess's"]


def test_the_visibility_key_changes_when_a_managers_team_gains_a_member(
    manager, rep, account
):
    before = account_visibility_key(user=manager)

    newcomer = UserFactory.create(username="nico", team=rep.team)
    AccountFactory.create(name="Newco").team_members.add(newcomer)

    assert account_visibility_key(user=manager) != before
