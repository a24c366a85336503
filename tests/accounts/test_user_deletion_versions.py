"""Deleting a user moves the version of each record that named them.

Django clears such a reference (SET_NULL) without touching the record's
`updated_at` or `version`; a form or a PATCH read before the deletion
would then overwrite the cleared value without a conflict.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages

from accounts.models import Account, Opportunity, User
from config.api import etag_for
from plans.models import Plan
from tests.accounts.conftest import STALE_DETAIL, api_for, detail_url, page_url
from tests.accounts.factories import AccountFactory, UserFactory
from tests.accounts.test_deal_page import form_data
from tests.conftest import READ_AT
from tests.plans.factories import PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaver(deal: Opportunity) -> User:
    """Someone who owns the deal and the account's plan, about to be deleted."""
    user = UserFactory.create(username="lee", first_name="Lee", last_name="Leaver")
    Opportunity.objects.filter(pk=deal.pk).update(owner=user, updated_at=READ_AT)
    deal.refresh_from_db()
    return user


def test_deleting_a_user_moves_the_version_of_what_they_owned(deal, leaver) -> None:
    # given
    plan = PlanFactory.create(account=deal.account, owner=leaver)
    Plan.objects.filter(pk=plan.pk).update(version=4)
    read_etag = etag_for(instance=deal)

    # when
    leaver.delete()

    # then: cleared, and each at a new version
    deal.refresh_from_db()
    plan.refresh_from_db()
    assert deal.owner_id is None
    assert deal.updated_at > READ_AT
    assert etag_for(instance=deal) != read_etag
    assert (plan.owner_id, plan.version) == (None, 5)


def test_a_patch_read_before_the_deletion_conflicts(deal, leaver, rep) -> None:
    # given: Rita read the deal while Lee still owned it
    etag = etag_for(instance=deal)
    leaver.delete()

    # when
    response = api_for(rep).patch(
        detail_url(deal), {"owner_id": rep.pk}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    assert response.status_code == 412
    assert response.json()["detail"] == STALE_DETAIL
    assert response.json()["current"]["owner_id"] is None


def test_a_form_opened_before_the_deletion_conflicts(client, deal, leaver, rep) -> None:
    # given: Rita opened the deal page while Lee still owned it, and set
    # its owner to nobody and a new amount
    client.force_login(rep)
    opened = form_data(deal, owner="", close_value="50000")
    leaver.delete()

    # when
    response = client.post(page_url(deal), opened)

    # then
    assert response.status_code == 302
    assert response["Location"] == page_url(deal)
    deal.refresh_from_db()
    moment = deal.updated_at.astimezone(UTC).strftime("%-d %b %Y %H:%M")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Deal 0065g00000Q1w2eAAB was changed since you opened this page (last "
        f"changed {moment}), so nothing was saved. The form now shows the deal "
        "as it is; make your change again if it is still needed."
    ]
    assert str(deal.close_value) == "48000.00"
    assert deal.updated_at > datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_deleting_a_team_member_makes_a_patch_read_before_conflict(
    client, account, rep, ops
) -> None:
    # given: Olga read the account while Lee was on its team with Rita
    lee = UserFactory.create(username="lee", first_name="Lee", last_name="Leaver")
    account.team_members.add(lee)
    other = AccountFactory.create(name="Globex")
    Account.objects.filter(pk__in=[account.pk, other.pk]).update(updated_at=READ_AT)
    url = f"/api/accounts/{account.pk}/"
    client.force_login(ops)
    read = client.get(url)
    user_url = f"/api/accounts/users/{lee.pk}/"

    # when: Lee is deleted through the directory API
    deleted = client.delete(user_url, HTTP_IF_MATCH=client.get(user_url)["ETag"])
    stale = client.patch(
        url,
        {"employees": 120},
        content_type="application/json",
        HTTP_IF_MATCH=read["ETag"],
    )

    # then: the old tag is stale and the answer shows the team without Lee
    assert sorted(member["user_id"] for member in read.json()["team"]) == [
        rep.pk,
        lee.pk,
    ]
    assert deleted.status_code == 204
    assert stale.status_code == 412
    assert stale.json()["detail"] == STALE_DETAIL
    current = stale.json()["current"]
    assert [member["user_id"] for member in current["team"]] == [rep.pk]
    assert current["employees"] == read.json()["employees"]
    account.refresh_from_db()
    assert account.updated_at > READ_AT
    assert stale["ETag"] == etag_for(instance=account)
    # An account Lee was not on keeps its version.
    assert Account.objects.get(pk=other.pk).updated_at == READ_AT
