import pytest
from django.core.management import call_command

from accounts.selectors import account_list_for_user
from stakeholders.coverage import KIND_TITLES, Kind
from stakeholders.demo import DEMO_SOURCE
from stakeholders.models import Stakeholder
from stakeholders.selectors import coverage_findings_for_accounts
from stakeholders.seniority import JUNIOR, seniority_from_title
from tests.accounts.factories import AccountFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def names() -> list[tuple[str, str, str]]:
    return list(
        Stakeholder.objects.order_by("account__name", "id").values_list(
            "account__name", "first_name", "last_name"
        )
    )


def test_the_demo_gives_every_account_a_labelled_repeatable_group(ops, rep):
    # given
    accounts = [AccountFactory.create(name=f"Demo {n}") for n in range(40)]
    for account in accounts:
        account.team_members.add(rep)
    real = StakeholderFactory.create(account=accounts[0], source="entered by hand")

    # when
    call_command("stakeholders_demo")
    first = names()
    call_command("stakeholders_demo")

    # then
    assert names() == first
    demo = Stakeholder.objects.filter(source=DEMO_SOURCE)
    assert set(demo.values_list("account", flat=True)) == {a.pk for a in accounts}
    assert Stakeholder.objects.filter(pk=real.pk).exists()
    rollup = coverage_findings_for_accounts(
        accounts=list(account_list_for_user(user=ops))
    )
    kinds = {finding.kind for item in rollup for finding in item.findings}
    assert kinds == set(KIND_TITLES)
    assert any(not item.findings for item in rollup)


def test_demo_seniority_matches_each_title_and_no_senior_is_a_hidden_influencer(
    ops, rep
):
    for n in range(30):
        AccountFactory.create(name=f"Demo {n}").team_members.add(rep)

    call_command("stakeholders_demo")

    for title, seniority in Stakeholder.objects.values_list("title", "seniority"):
        assert seniority == seniority_from_title(title), title
    by_id = {person.pk: person for person in Stakeholder.objects.all()}
    hidden = [
        by_id[finding.person_id]
        for item in coverage_findings_for_accounts(
            accounts=list(account_list_for_user(user=ops))
        )
        for finding in item.findings
        if finding.kind == Kind.HIDDEN_INFLUENCER
    ]
    assert hidden
    assert all(person.seniority in JUNIOR for person in hidden)
