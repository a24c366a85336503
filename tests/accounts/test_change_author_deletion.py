"""The history still names who made a change after their user is deleted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, AccountTeamMember, ChangeRecord, User
from accounts.services import deal_update
from tests.accounts.conftest import page_url
from tests.accounts.factories import UserFactory
from tests.accounts.test_deal_history_page import history_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def darcel(account: Account) -> User:
    """A member of the deal's account team, who will be deleted."""
    user = UserFactory.create(
        username="darcel.schlecht", first_name="Darcel", last_name="Schlecht"
    )
    AccountTeamMember.objects.create(account=account, user=user)
    return user


def test_deleting_a_user_keeps_their_name_on_their_changes(deal, rep, darcel) -> None:
    # given: Darcel moved the stage, Rita the close date
    deal_update(
        deal=deal, user=darcel, data={"stage": "won"}, expected_version=deal.updated_at
    )
    deal.refresh_from_db()
    deal_update(
        deal=deal,
        user=rep,
        data={"closed_on": "2026-04-30"},
        expected_version=deal.updated_at,
    )

    # when
    darcel.delete()

    # then
    assert sorted(
        ChangeRecord.objects.values_list("field", "changed_by", "changed_by_name")
    ) == [("closed_on", rep.pk, ""), ("stage", None, "Darcel Schlecht")]


def test_the_deal_history_page_names_a_deleted_user(client, deal, rep, darcel) -> None:
    # given: Darcel won the deal, then left; Rita reads the page before and after
    deal_update(
        deal=deal, user=darcel, data={"stage": "won"}, expected_version=deal.updated_at
    )
    client.force_login(rep)
    with CaptureQueriesContext(connection) as before:
        client.get(page_url(deal))

    # when
    darcel.delete()
    with CaptureQueriesContext(connection) as after:
        rows = history_rows(client, deal)

    # then: the name is read from the record, with no query of its own
    darcel_gone = "Darcel Schlecht (deleted)"
    assert rows == [(darcel_gone, "Changed", "Stage", "Engaging", "Won")]
    assert len(after) == len(before)


def test_a_deleted_user_who_left_a_deal_page_stale_is_named(
    client, deal, rep, darcel
) -> None:
    # given: Rita opened the deal; Darcel then changed it and was deleted
    seen = deal.updated_at
    deal_update(deal=deal, user=darcel, data={"stage": "won"}, expected_version=seen)
    darcel.delete()
    client.force_login(rep)

    # when
    response = client.post(
        page_url(deal),
        {
            "version": seen.isoformat(),
            "external_id": deal.external_id,
            "product": deal.product_id,
            "stage": "lost",
            "currency": "USD",
            "owner": rep.pk,
        },
        follow=True,
    )

    # then
    assert "by Darcel Schlecht (deleted)" in response.content.decode()
