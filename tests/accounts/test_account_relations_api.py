"""The account in the API: its parent, subsidiaries, team and other names."""

import pytest

from accounts.models import AccountAlias, AuditEvent, ChangeRecord, ImportJob
from tests.accounts.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def patch(client, account, body, etag):
    return client.patch(
        f"/api/accounts/{account.pk}/",
        body,
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )


def test_the_detail_shows_parent_subsidiaries_team_and_aliases(client, rep, account):
    # given: a parent rita sees, a subsidiary she does not, an alias
    parent = AccountFactory.create(name="Acme Holdings")
    parent.team_members.add(rep)
    account.parent = parent
    account.save()
    AccountFactory.create(name="Acme Retail GmbH", parent=account)
    ops = UserFactory.create(username="olga", first_name="Olga", last_name="Ops")
    job = ImportJob.objects.create(created_by=ops)
    AccountAlias.objects.create(account=account, name="ACME Corp.", job=job)
    client.force_login(rep)

    # when
    body = client.get(f"/api/accounts/{account.pk}/").json()

    # then
    assert body["parent"] == {"id": parent.pk, "name": "Acme Holdings", "visible": True}
    assert body["subsidiaries"] == [
        {"id": None, "name": "Acme Retail GmbH", "visible": False}
    ]
    assert body["team"] == [
        {
            "user_id": rep.pk,
            "name": rep.display_name,
            "role": "rep",
            "team": "Central",
            "source": "manual",
        }
    ]
    assert [(a["name"], a["import_id"], a["accepted_by"]) for a in body["aliases"]] == [
        ("ACME Corp.", job.pk, "Olga Ops")
    ]


def test_a_rep_sets_the_parent_under_if_match(client, rep, account):
    parent = AccountFactory.create(name="Acme Holdings")
    parent.team_members.add(rep)
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    without = client.patch(
        f"/api/accounts/{account.pk}/",
        {"parent_id": parent.pk},
        content_type="application/json",
    )
    response = patch(client, account, {"parent_id": parent.pk}, etag)
    stale = patch(client, account, {"parent_id": None}, etag)

    assert without.status_code == 428
    assert response.status_code == 200
    assert response.json()["parent"]["name"] == "Acme Holdings"
    assert stale.status_code == 412
    assert stale.json()["current"]["parent"]["id"] == parent.pk
    account.refresh_from_db()
    assert account.parent_id == parent.pk
    record = ChangeRecord.objects.get(account=account, field="parent")
    assert (record.old_value, record.new_value) == ("", str(parent.pk))


def test_a_parent_the_rep_cannot_see_is_refused_as_unknown(client, rep, account):
    hidden = AccountFactory.create(name="Someone else's")
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = patch(client, account, {"parent_id": hidden.pk}, etag)

    assert response.status_code == 400
    assert response.json() == {"parent_id": ["No account you can see has this id."]}


def test_a_parent_loop_is_refused(client, rep, account):
    child = AccountFactory.create(name="Acme Child", parent=account)
    child.team_members.add(rep)
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = patch(client, account, {"parent_id": child.pk}, etag)

    assert response.status_code == 400
    assert response.json() == {
        "parent_id": ["An account cannot be its own parent or a parent of its parent."]
    }


def test_only_sales_ops_change_the_account_team(client, rep, manager, account):
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = patch(client, account, {"team_ids": [rep.pk, manager.pk]}, etag)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only sales operations change an account's team."
    }
    assert list(account.team_members.all()) == [rep]


def test_ops_replace_the_team_and_each_change_is_audited(client, ops, rep, account):
    # given
    newcomer = UserFactory.create(username="nina", first_name="Nina", last_name="")
    client.force_login(ops)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    # when
    response = patch(client, account, {"team_ids": [newcomer.pk]}, etag)

    # then
    assert response.status_code == 200
    assert [member["name"] for member in response.json()["team"]] == ["Nina"]
    assert response["ETag"] != etag
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.PERMISSION_CHANGE
    ).order_by("target_label")
    assert [(e.target_label, e.detail["changes"]) for e in events] == [
        ("nina", {"on_account_team": {"from": False, "to": True}}),
        ("rita", {"on_account_team": {"from": True, "to": False}}),
    ]
    assert events[0].detail["account"] == account.pk
    assert events[0].actor == ops
    # rita no longer sees the account
    client.force_login(rep)
    assert client.get(f"/api/accounts/{account.pk}/").status_code == 404


def test_an_unknown_team_member_is_refused(client, ops, account):
    client.force_login(ops)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = patch(client, account, {"team_ids": [999_999]}, etag)

    assert response.status_code == 400
    assert response.json() == {"team_ids": ["No active user has this id."]}


def test_the_same_team_sent_again_keeps_the_etag(client, ops, rep, account):
    client.force_login(ops)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = patch(client, account, {"team_ids": [rep.pk]}, etag)

    assert response.status_code == 200
    assert response["ETag"] == etag
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.PERMISSION_CHANGE
    ).exists()
