"""A deal's history says when its owner went because the user was deleted."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    Opportunity,
    Product,
    User,
)
from accounts.services import deal_update
from accounts.wizard import mapped_import_undo, mapped_import_undo_plan
from tests.accounts.factories import UserFactory
from tests.accounts.test_deal_history_page import history_rows
from tests.accounts.test_wizard_undo_hand_edits import BYOD, IMPORTED, imported

pytestmark = pytest.mark.django_db

DELETED_AT = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


@pytest.fixture
def melvin(account: Account) -> User:
    """The deal's owner, a manager on the account's team, about to leave."""
    user = UserFactory.create(
        username="melvin.marxen", first_name="Melvin", last_name="Marxen"
    )
    AccountTeamMember.objects.create(account=account, user=user)
    return user


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(
        username="olga",
        first_name="Olga",
        last_name="Admin",
        is_staff=True,
        is_superuser=True,
    )


def hand_to(deal: Opportunity, *, owner: User, by: User) -> None:
    saved = deal_update(
        deal=deal, user=by, data={"owner": owner}, expected_version=deal.updated_at
    )
    assert saved


def test_deleting_the_owner_in_the_admin_is_in_the_deal_history(
    client, deal, rep, melvin, admin_user
) -> None:
    # given: Rita handed the deal to Melvin
    hand_to(deal, owner=melvin, by=rep)
    client.force_login(admin_user)
    before = timezone.now()

    # when: Olga deletes Melvin in the admin
    response = client.post(
        reverse("admin:accounts_user_delete", args=[melvin.pk]), {"post": "yes"}
    )

    # then: the deal says who deleted him and when, and still names him
    assert response.status_code == 302
    assert not User.objects.filter(pk=melvin.pk).exists()
    client.force_login(rep)
    rows = history_rows(client, deal)
    assert rows[:2] == [
        ("Olga Admin", "User deleted", "Owner", "Melvin Marxen", "—"),
        (rep.display_name, "Changed", "Owner", rep.display_name, "Melvin Marxen"),
    ]
    record = ChangeRecord.objects.get(action="user_delete")
    assert (
        record.account_id,
        record.object_id,
        record.object_label,
        record.field,
        record.old_value,
        record.new_value,
        record.changed_by_id,
    ) == (
        deal.account_id,
        deal.pk,
        "0065g00000Q1w2eAAB",
        "owner",
        "Melvin Marxen",
        "",
        admin_user.pk,
    )
    assert before <= record.changed_at <= timezone.now()


def test_the_page_shows_the_day_of_the_deletion(client, deal, rep, melvin) -> None:
    # given
    hand_to(deal, owner=melvin, by=rep)
    melvin.delete()
    ChangeRecord.objects.filter(action="user_delete").update(changed_at=DELETED_AT)
    client.force_login(rep)

    # when
    body = client.get(reverse("accounts:deal_edit", args=[deal.pk])).content.decode()

    # then: deleted outside a request (a command), so no one is named
    assert (
        "<tr><td>3 Dec 2026 14:05</td><td>—</td><td>User deleted</td>"
        "<td>Owner</td><td>Melvin Marxen</td><td>—</td></tr>"
    ) in body


def test_a_user_who_owns_no_deal_leaves_no_deal_history(deal, rep, melvin) -> None:
    melvin.delete()

    assert ChangeRecord.objects.filter(action="user_delete").count() == 0
    deal.refresh_from_db()
    assert deal.owner_id == rep.pk


def test_each_deal_the_user_owned_gets_its_own_entry(
    deal, rep, melvin, account
) -> None:
    # given: Melvin owns two deals of the account
    hand_to(deal, owner=melvin, by=rep)
    second = Opportunity.objects.create(
        external_id="0065g00000Q1w2fAAB",
        account=account,
        product=deal.product,
        owner=melvin,
        stage=Opportunity.Stage.PROSPECTING,
    )

    # when
    melvin.delete()

    # then
    assert sorted(
        ChangeRecord.objects.filter(action="user_delete").values_list(
            "object_id", "old_value", "changed_by"
        )
    ) == sorted([(deal.pk, "Melvin Marxen", None), (second.pk, "Melvin Marxen", None)])
    assert Opportunity.objects.filter(owner__isnull=True).count() == 2


def test_an_owner_gone_with_their_user_is_no_hand_edit_to_an_undo(
    client, ops, admin_user, media_in_tmp
) -> None:
    # given: an import added a deal; Melvin came to own it, then was deleted
    imported(BYOD / "salesforce_api_accounts.csv", user=ops)
    job = imported(BYOD / "salesforce_api_opportunities.csv", user=ops)
    # The import's own placeholder product, dated with the import.
    Product.objects.update(updated_at=IMPORTED)
    melvin = UserFactory.create(username="melvin.marxen")
    Opportunity.objects.update(owner=melvin)
    client.force_login(admin_user)
    client.post(
        reverse("admin:accounts_user_delete", args=[melvin.pk]), {"post": "yes"}
    )
    assert ChangeRecord.objects.filter(action="user_delete").count() == 1

    # when
    plan = mapped_import_undo_plan(mapped=job.mapped)
    done = mapped_import_undo(mapped=job.mapped, user=ops)

    # then: nothing kept for it; the deal goes with the import
    assert plan.notes == done.kept == []
    assert Opportunity.objects.count() == 0
