import pytest
from django.http import Http404

from accounts.selectors import (
    account_can_edit,
    account_get_for_user,
    account_list_for_user,
)
from tests.accounts.factories import AccountFactory, UserFactory

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
