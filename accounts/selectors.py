"""Reads for accounts, and the one rule for who may see which account."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Account, AccountTeamMember, User


def account_list_for_user(*, user: User) -> QuerySet[Account]:
    """Return the accounts this user may see.

    Every page, chart, export and API that shows accounts starts from here.
    A rep sees the accounts whose team they are on; a manager also sees the
    accounts of the reps on the teams they manage; executives and sales ops
    see all of them.
    """
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.sees_all_accounts:
        return Account.objects.all()

    # Subqueries rather than joins keep one row per account without DISTINCT,
    # which stays cheap when the portfolio grows.
    people = User.objects.filter(pk=user.pk)
    if user.is_manager:
        people = User.objects.filter(pk=user.pk) | User.objects.filter(
            team__manager=user
        )
    memberships = AccountTeamMember.objects.filter(user__in=people.values("pk"))
    return Account.objects.filter(pk__in=memberships.values("account_id"))


def account_get_for_user(*, user: User, pk: int) -> Account:
    """Return the account if the user may see it, else raise 404."""
    try:
        return account_list_for_user(user=user).get(pk=pk)
    except Account.DoesNotExist as error:
        raise Http404("No such account.") from error


def account_can_edit(*, user: User, account: Account) -> bool:
    """Return whether the user may change this account's plans and people.

    Executives read; reps and managers edit what they see; ops edit all.
    """
    if user.role == User.Role.EXECUTIVE and not user.is_superuser:
        return False
    return account_list_for_user(user=user).filter(pk=account.pk).exists()
