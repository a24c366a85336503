"""A person added a minute ago is not a relationship going stale."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from stakeholders.coverage import Kind
from stakeholders.models import Stakeholder
from stakeholders.selectors import account_stakeholder_board, coverage_for_account
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def test_a_new_owned_person_is_not_flagged_on_the_page(client, rep, account):
    StakeholderFactory.create(
        account=account, first_name="Nia", last_name="New", owner=rep
    )
    client.force_login(rep)

    response = client.get(reverse("stakeholders:account", args=[account.pk]))

    assert response.status_code == 200
    assert "Relationship going stale" not in response.content.decode()


def test_an_owned_person_added_long_ago_and_never_touched_is_stale(rep, account):
    old = StakeholderFactory.create(account=account, last_name="Old", owner=rep)
    Stakeholder.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    StakeholderFactory.create(account=account, last_name="New", owner=rep)

    board = account_stakeholder_board(user=rep, account=account)

    stale = {person.last_name for person in board["people"] if person.is_stale}
    assert stale == {"Old"}
    stale_findings = [
        finding.person_id
        for finding in coverage_for_account(account=account)
        if finding.kind == Kind.STALE
    ]
    assert stale_findings == [old.pk]


def test_findings_of_one_kind_fold_into_a_counted_group(client, rep, account):
    for index in range(6):
        person = StakeholderFactory.create(
            account=account, last_name=f"Old{index}", owner=rep, influence=2
        )
        Stakeholder.objects.filter(pk=person.pk).update(
            created_at=timezone.now() - timedelta(days=400)
        )
    client.force_login(rep)

    page = client.get(reverse("stakeholders:account", args=[account.pk]))

    groups = page.context["finding_groups"]
    stale = [group for group in groups if group["kind"] == Kind.STALE]
    assert len(stale) == 1 and len(stale[0]["items"]) == 6
    body = page.content.decode()
    assert body.count('class="finding-group finding-stale"') == 1
    assert '<span class="finding-count">6</span>' in body
