import pytest

from accounts.models import Account, AccountTeamMember, User
from config.compiled_queries import CompiledQueryMismatch, queryset_rows


def _team(*, account_id: int):
    return (
        AccountTeamMember.objects.filter(account_id=account_id)
        .select_related("user")
        .order_by("user__username")
    )


def test_it_answers_each_account_with_its_own_rows(rep: User, account: Account) -> None:
    # given two accounts with different teams
    other = Account.objects.create(name="Other Ltd")
    colleague = User.objects.create(username="colleague")
    AccountTeamMember.objects.create(account=other, user=colleague)

    # when
    first = queryset_rows("test.team", _team, account_id=account.pk)
    second = queryset_rows("test.team", _team, account_id=other.pk)

    # then: related rows come with the kept SQL
    assert [member.user.username for member in first] == [rep.username]
    assert [member.user.username for member in second] == ["colleague"]


def test_a_value_left_out_of_the_sql_is_refused(account: Account) -> None:
    with pytest.raises(CompiledQueryMismatch) as raised:
        queryset_rows(
            "test.ignores_its_value",
            lambda account_id: Account.objects.order_by("pk"),
            account_id=account.pk,
        )

    assert str(raised.value) == "account_id did not reach the SQL as parameters"


def test_a_query_whose_sql_changes_otherwise_fails_the_check(account: Account) -> None:
    # given a query that reads something beside its values
    names = ["Acme"]

    def build(*, account_id: int):
        return Account.objects.filter(pk=account_id, name__in=names)

    queryset_rows("test.reads_more", build, account_id=account.pk)
    names.append("Beta")

    # when / then: the tests' settings check every kept query
    with pytest.raises(CompiledQueryMismatch) as raised:
        queryset_rows("test.reads_more", build, account_id=account.pk)
    assert "test.reads_more: the kept SQL differs from a fresh compile" in str(
        raised.value
    )
