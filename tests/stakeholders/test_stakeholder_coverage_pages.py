from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from stakeholders.selectors import coverage_for_account
from tests.accounts.factories import AccountFactory, UserFactory
from tests.stakeholders.factories import ActivityFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def test_the_stale_limit_comes_from_settings(settings, rep, account):
    person = StakeholderFactory.create(account=account, owner=rep)
    ActivityFactory.create(
        account=account,
        stakeholders=[person],
        occurred_at=timezone.now() - timedelta(days=40),
    )

    settings.STAKEHOLDER_STALE_DAYS = 90
    relaxed = {f.kind for f in coverage_for_account(account=account)}
    settings.STAKEHOLDER_STALE_DAYS = 30
    strict = coverage_for_account(account=account)

    assert "stale" not in relaxed
    assert [f.reason for f in strict if f.kind == "stale"] == [
        f"Last touch with {person.name} was 40 days ago; relationships go stale "
        "after 30."
    ]


def test_a_person_who_left_covers_no_role_and_needs_no_owner(rep, account):
    person = StakeholderFactory.create(account=account, influence=5, status="left")

    kinds = {(f.kind, f.person_id) for f in coverage_for_account(account=account)}

    assert ("no_owner", person.pk) not in kinds


def test_the_expected_roles_follow_the_sector_until_set(client, rep, account):
    client.force_login(rep)
    url = reverse("stakeholders_api:expected_roles", args=[account.pk])
    read = client.get(url)
    default = read.json()["roles"]

    client.put(
        url,
        {"roles": ["champion"]},
        content_type="application/json",
        headers={"If-Match": read["ETag"]},
    )
    edited = client.get(url).json()["roles"]

    assert "finance" in default  # the retail default
    assert edited == ["champion"]
    assert [f.reason for f in coverage_for_account(account=account)][0] == (
        "No one is named as Coach / champion, a role this account is expected to have."
    )


def test_a_manager_sees_the_gaps_of_the_team_accounts(client, manager, rep, account):
    StakeholderFactory.create(
        account=account, influence=5, owner=None, last_name="Vogel"
    )
    hidden = AccountFactory.create(name="Elsewhere")
    hidden.team_members.add(UserFactory.create(username="stranger"))
    client.force_login(manager)

    page = client.get(reverse("stakeholders:coverage"))

    body = page.content.decode()
    assert page.status_code == 200
    assert "Acme Corporation" in body
    assert "Elsewhere" not in body
    rollup = client.get(reverse("stakeholders_api:finding_rollup")).json()["results"]
    assert [item["account_name"] for item in rollup] == ["Acme Corporation"]
    assert "no_owner" in {f["kind"] for f in rollup[0]["findings"]}
