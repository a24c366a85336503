"""A refused link names the end at fault: source, target or both."""

import pytest
from django.urls import reverse

from stakeholders.models import InfluenceLink, Stakeholder
from tests.accounts.factories import AccountFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

NO_SUCH_PERSON = "No such person on this account."


def _link(client, account, source, target):
    return client.post(
        reverse("stakeholders_api:link_create", args=[account.pk]),
        {"source": source, "target": target, "kind": "influences"},
        content_type="application/json",
    )


def test_a_source_on_another_account_is_named_as_the_source(client, rep, account):
    here = StakeholderFactory.create(account=account)
    elsewhere = StakeholderFactory.create(account=AccountFactory.create())
    client.force_login(rep)

    response = _link(client, account, elsewhere.pk, here.pk)

    assert response.status_code == 400
    assert response.json() == {"source": [NO_SUCH_PERSON]}
    assert not InfluenceLink.objects.exists()


def test_a_source_who_has_left_is_named_as_the_source(client, rep, account):
    gone = StakeholderFactory.create(account=account, status=Stakeholder.Status.LEFT)
    here = StakeholderFactory.create(account=account)
    client.force_login(rep)

    response = _link(client, account, gone.pk, here.pk)

    assert response.status_code == 400
    assert response.json() == {"source": [NO_SUCH_PERSON]}


def test_a_target_elsewhere_is_named_as_the_target(client, rep, account):
    here = StakeholderFactory.create(account=account)
    elsewhere = StakeholderFactory.create(account=AccountFactory.create())
    client.force_login(rep)

    response = _link(client, account, here.pk, elsewhere.pk)

    assert response.status_code == 400
    assert response.json() == {"target": [NO_SUCH_PERSON]}


def test_both_ends_at_fault_are_both_named(client, rep, account):
    client.force_login(rep)

    response = _link(client, account, 999998, 999999)

    assert response.status_code == 400
    assert response.json() == {
        "source": [NO_SUCH_PERSON],
        "target": [NO_SUCH_PERSON],
    }
