"""Users, teams, products and buying roles through the API.

Everyone reads what they may see; only sales ops write. Someone else gets
403 for a write to what they see and 404 for what they do not.
"""

import json

import pytest

from accounts.models import AuditEvent, Product, RevenueLine, Team, User
from plans.models import Plan
from stakeholders.models import AccountExpectedRole, BuyingRole, SectorRoleDefault
from tests.accounts.factories import (
    ProductFactory,
    RevenueLineFactory,
    TeamFactory,
    UserFactory,
)
from tests.plans.factories import PlanFactory
from tests.stakeholders.factories import BuyingRoleFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def patch(client, url, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.patch(url, body, content_type="application/json", **headers)


def delete(client, url, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.delete(url, **headers)


def create_user(client, body):
    return client.post(
        "/api/accounts/users/create/", body, content_type="application/json"
    )


def permission_changes() -> list[tuple[str, dict]]:
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.PERMISSION_CHANGE
    ).order_by("pk")
    return [(event.target_label, event.detail["changes"]) for event in events]


# Users


def test_a_rep_sees_their_team_and_not_other_teams(client, rep, manager, outsider):
    client.force_login(rep)

    listed = client.get("/api/accounts/users/").json()
    other = client.get(f"/api/accounts/users/{outsider.pk}/")

    assert [user["username"] for user in listed["results"]] == ["mark", "rita"]
    assert other.status_code == 404
    assert other.json() == {"detail": "Not found."}


def test_a_rep_sees_the_account_team_of_an_account_they_see(client, rep, account):
    colleague = UserFactory.create(username="zed", team=TeamFactory.create())
    account.team_members.add(colleague)
    client.force_login(rep)

    response = client.get(f"/api/accounts/users/{colleague.pk}/")

    assert response.status_code == 200
    assert response.json()["username"] == "zed"


def test_a_rep_may_not_change_a_user_they_see(client, rep, manager):
    client.force_login(rep)
    etag = client.get(f"/api/accounts/users/{manager.pk}/")["ETag"]

    response = patch(
        client, f"/api/accounts/users/{manager.pk}/", {"role": "ops"}, etag
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Only sales operations change this."}
    manager.refresh_from_db()
    assert manager.role == User.Role.MANAGER


def test_a_rep_gets_404_for_a_write_to_a_user_they_do_not_see(client, rep, outsider):
    client.force_login(rep)

    response = patch(client, f"/api/accounts/users/{outsider.pk}/", {"role": "ops"})

    assert response.status_code == 404


def test_ops_move_a_user_under_if_match_and_it_is_audited(client, ops, rep):
    # given
    south = TeamFactory.create(name="South")
    client.force_login(ops)
    url = f"/api/accounts/users/{rep.pk}/"
    etag = client.get(url)["ETag"]

    # when
    without = patch(client, url, {"team_id": south.pk})
    moved = patch(client, url, {"team_id": south.pk, "role": "manager"}, etag)
    stale = patch(client, url, {"role": "rep"}, etag)

    # then
    assert without.status_code == 428
    assert moved.status_code == 200
    assert (moved.json()["team"], moved.json()["role"]) == ("South", "manager")
    assert moved["ETag"] != etag
    assert stale.status_code == 412
    assert stale.json()["current"]["team"] == "South"
    assert stale["ETag"] == moved["ETag"]
    assert permission_changes() == [
        (
            "rita",
            {
                "role": {"from": "rep", "to": "manager"},
                "team": {"from": "Central", "to": "South"},
            },
        )
    ]


def test_ops_may_not_change_a_superuser(client, ops):
    root = UserFactory.create(username="root", is_superuser=True)
    client.force_login(ops)
    url = f"/api/accounts/users/{root.pk}/"

    response = patch(client, url, {"is_active": False}, client.get(url)["ETag"])

    assert response.status_code == 403
    assert response.json() == {"detail": "Only a superuser changes a superuser."}


def test_an_unknown_team_is_refused(client, ops, rep):
    client.force_login(ops)
    url = f"/api/accounts/users/{rep.pk}/"

    response = patch(client, url, {"team_id": 999_999}, client.get(url)["ETag"])

    assert response.status_code == 400
    assert response.json() == {"team_id": ["No team has this id."]}


def test_ops_create_a_user_whose_password_is_never_answered(client, ops, team):
    # given
    client.force_login(ops)

    # when
    response = create_user(
        client,
        {
            "username": "nina",
            "first_name": "Nina",
            "last_name": "North",
            "email": "nina@example.com",
            "role": "manager",
            "team_id": team.pk,
            "password": "a long passphrase of her own",
        },
    )

    # then
    assert response.status_code == 201
    nina = User.objects.get(username="nina")
    assert response.json() == {
        "id": nina.pk,
        "username": "nina",
        "name": "Nina North",
        "first_name": "Nina",
        "last_name": "North",
        "email": "nina@example.com",
        "role": "manager",
        "team_id": team.pk,
        "team": "Central",
        "is_active": True,
    }
    assert response["ETag"] == client.get(f"/api/accounts/users/{nina.pk}/")["ETag"]
    assert nina.check_password("a long passphrase of her own")
    assert permission_changes() == [
        (
            "nina",
            {
                "role": {"from": None, "to": "manager"},
                "team": {"from": None, "to": "Central"},
                "is_staff": {"from": None, "to": False},
                "is_superuser": {"from": None, "to": False},
                "is_active": {"from": None, "to": True},
            },
        )
    ]
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert "passphrase" not in stored


def test_a_user_created_without_a_password_cannot_sign_in(client, ops):
    client.force_login(ops)

    response = create_user(client, {"username": "sso.only"})

    assert response.status_code == 201
    assert response.json()["role"] == "rep"
    assert not User.objects.get(username="sso.only").has_usable_password()


def test_a_weak_password_is_refused_and_not_answered_back(client, ops):
    client.force_login(ops)

    response = create_user(client, {"username": "nina", "password": "12345"})

    assert response.status_code == 400
    assert response.json() == {
        "password": [
            "This password is too short. It must contain at least 8 characters.",
            "This password is too common.",
            "This password is entirely numeric.",
        ]
    }
    assert not User.objects.filter(username="nina").exists()


def test_a_taken_or_malformed_username_or_email_is_refused(client, ops, rep):
    User.objects.filter(pk=rep.pk).update(email="rita@example.com")
    client.force_login(ops)

    same_name = create_user(client, {"username": "RITA"})
    bad_name = create_user(client, {"username": "rita smith"})
    same_email = create_user(client, {"username": "rita2", "email": "Rita@Example.com"})
    bad_email = create_user(client, {"username": "rita3", "email": "rita@"})
    url = f"/api/accounts/users/{ops.pk}/"
    patched = patch(client, url, {"email": "RITA@example.com"}, client.get(url)["ETag"])

    assert same_name.json() == {
        "username": ["A user with that username already exists."]
    }
    assert bad_name.json() == {
        "username": [
            "Enter a valid username. This value may contain only letters, "
            "numbers, and @/./+/-/_ characters."
        ]
    }
    assert same_email.json() == {"email": ["Another user has this email address."]}
    assert bad_email.json() == {"email": ["Enter a valid email address."]}
    assert patched.json() == {"email": ["Another user has this email address."]}
    assert [same_name.status_code, bad_name.status_code, patched.status_code] == [
        400,
        400,
        400,
    ]
    assert sorted(User.objects.values_list("username", flat=True)) == [
        "mark",
        "oona",
        "rita",
    ]


def test_only_ops_create_a_user(client, manager):
    client.force_login(manager)

    response = create_user(client, {"username": "nina", "role": "ops"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Only sales operations change this."}
    assert not User.objects.filter(username="nina").exists()


def test_ops_delete_a_user_under_if_match_and_it_is_audited(client, ops, rep, account):
    # given: Rita owns a person and a plan, read before she goes
    person = StakeholderFactory.create(account=account, owner=rep)
    plan = PlanFactory.create(account=account, owner=rep)
    person_read, plan_read = person.updated_at, plan.version
    client.force_login(ops)
    url = f"/api/accounts/users/{rep.pk}/"
    etag = client.get(url)["ETag"]
    User.objects.filter(pk=rep.pk).update(first_name="Rita-Maria")
    moved = client.get(url)["ETag"]

    # when
    without = delete(client, url)
    stale = delete(client, url, etag)
    deleted = delete(client, url, moved)
    again = delete(client, url, moved)

    # then
    assert without.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["current"]["first_name"] == "Rita-Maria"
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert not User.objects.filter(username="rita").exists()
    person.refresh_from_db()
    plan = Plan.objects.get(pk=plan.pk)
    assert (person.owner_id, plan.owner_id) == (None, None)
    assert person.updated_at > person_read
    assert plan.version == plan_read + 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.ERASURE)
    assert (event.actor, event.target_label, event.target_id) == (ops, "rita", rep.pk)
    assert event.detail == {
        "source": "api",
        "deleted": "user",
        "access": {
            "role": "rep",
            "team": "Central",
            "is_staff": False,
            "is_superuser": False,
            "is_active": True,
        },
    }


def test_deleting_a_manager_leaves_their_team_without_one_audited(
    client, ops, manager, team
):
    client.force_login(ops)
    url = f"/api/accounts/users/{manager.pk}/"

    response = delete(client, url, client.get(url)["ETag"])

    assert response.status_code == 204
    assert Team.objects.get(pk=team.pk).manager_id is None
    assert permission_changes() == [
        ("Central", {"manager": {"from": "mark", "to": None}})
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ERASURE).count() == 1


def test_nobody_deletes_themselves_and_a_rep_deletes_nobody(client, ops, rep, manager):
    client.force_login(ops)
    own = f"/api/accounts/users/{ops.pk}/"
    itself = delete(client, own, client.get(own)["ETag"])
    client.force_login(rep)
    theirs = f"/api/accounts/users/{manager.pk}/"
    refused = delete(client, theirs, client.get(theirs)["ETag"])

    assert itself.status_code == 400
    assert itself.json() == {"non_field_errors": ["You cannot delete yourself."]}
    assert refused.status_code == 403
    assert User.objects.filter(username__in=["oona", "mark"]).count() == 2


# Teams


def test_team_lists_follow_the_access_model(client, rep, outsider, executive):
    client.force_login(rep)
    mine = client.get("/api/accounts/teams/").json()
    theirs = client.get(f"/api/accounts/teams/{outsider.team_id}/")
    client.force_login(executive)
    every = client.get("/api/accounts/teams/").json()

    assert [team["name"] for team in mine["results"]] == ["Central"]
    assert theirs.status_code == 404
    assert [team["name"] for team in every["results"]] == ["Central", "West"]


def test_ops_create_a_team_and_its_manager_is_audited(client, ops, manager):
    client.force_login(ops)

    response = client.post(
        "/api/accounts/teams/create/",
        {"name": "Nordics", "region": "North", "manager_id": manager.pk},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["manager"] == manager.display_name
    assert permission_changes() == [
        ("Nordics", {"manager": {"from": None, "to": "mark"}})
    ]


def test_ops_change_a_team_manager_under_if_match(client, ops, team, rep):
    client.force_login(ops)
    url = f"/api/accounts/teams/{team.pk}/"
    etag = client.get(url)["ETag"]

    changed = patch(client, url, {"manager_id": rep.pk}, etag)
    stale = patch(client, url, {"name": "Other"}, etag)

    assert changed.status_code == 200
    assert changed.json()["manager_id"] == rep.pk
    assert stale.status_code == 412
    assert stale.json()["current"]["manager_id"] == rep.pk
    assert permission_changes() == [
        ("Central", {"manager": {"from": "mark", "to": "rita"}})
    ]


def test_a_manager_may_not_rename_their_team(client, manager, team):
    client.force_login(manager)
    url = f"/api/accounts/teams/{team.pk}/"

    response = patch(client, url, {"name": "Mine"}, client.get(url)["ETag"])
    created = client.post(
        "/api/accounts/teams/create/", {"name": "X"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert created.status_code == 403
    assert Team.objects.get(pk=team.pk).name == "Central"


def test_ops_delete_a_team_and_each_member_is_audited(client, ops, team, rep, manager):
    # given
    client.force_login(ops)
    url = f"/api/accounts/teams/{team.pk}/"
    etag = client.get(url)["ETag"]

    # when
    without = delete(client, url)
    deleted = delete(client, url, etag)
    again = delete(client, url, etag)

    # then
    assert without.status_code == 428
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert not Team.objects.filter(name="Central").exists()
    assert User.objects.get(pk=rep.pk).team_id is None
    assert permission_changes() == [
        ("mark", {"team": {"from": "Central", "to": None}}),
        ("rita", {"team": {"from": "Central", "to": None}}),
        (
            "Central",
            {
                "manager": {"from": "mark", "to": None},
                "deleted": {"from": False, "to": True},
            },
        ),
    ]


def test_a_stale_team_delete_answers_the_current_team(client, ops, team):
    client.force_login(ops)
    url = f"/api/accounts/teams/{team.pk}/"
    etag = client.get(url)["ETag"]
    patch(client, url, {"region": "Alps"}, etag)

    response = delete(client, url, etag)

    assert response.status_code == 412
    assert response.json()["current"]["region"] == "Alps"
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_manager_may_not_delete_their_team(client, manager, team):
    client.force_login(manager)
    url = f"/api/accounts/teams/{team.pk}/"

    response = delete(client, url, client.get(url)["ETag"])

    assert response.status_code == 403
    assert Team.objects.filter(pk=team.pk).exists()


# Products and buying roles


def test_everyone_reads_a_product_and_only_ops_change_it(client, rep, ops):
    product = ProductFactory.create(name="GTK 500", list_price=100)
    url = f"/api/accounts/products/{product.pk}/"
    client.force_login(rep)
    etag = client.get(url)["ETag"]
    refused = patch(client, url, {"list_price": "1.00"}, etag)
    client.force_login(ops)

    changed = patch(client, url, {"list_price": "120.00"}, etag)
    stale = patch(client, url, {"list_price": "130.00"}, etag)

    assert refused.status_code == 403
    assert changed.status_code == 200
    assert changed.json()["list_price"] == "120.00"
    assert stale.status_code == 412
    assert Product.objects.get(pk=product.pk).list_price == 120


def test_ops_add_a_product_and_a_duplicate_name_is_refused(client, ops):
    ProductFactory.create(name="GTK 500")
    client.force_login(ops)

    created = client.post(
        "/api/accounts/products/create/",
        {"name": "GTK 700", "series": "GTK"},
        content_type="application/json",
    )
    duplicate = client.post(
        "/api/accounts/products/create/",
        {"name": "GTK 500"},
        content_type="application/json",
    )

    assert created.status_code == 201
    assert created.json()["name"] == "GTK 700"
    assert duplicate.status_code == 400
    assert duplicate.json() == {"name": ["Product with this Name already exists."]}


def test_ops_add_and_change_a_buying_role(client, ops, rep):
    client.force_login(rep)
    refused = client.post(
        "/api/stakeholders/roles/create/",
        {"key": "legal", "name": "Legal"},
        content_type="application/json",
    )
    client.force_login(ops)

    created = client.post(
        "/api/stakeholders/roles/create/",
        {"key": "legal", "name": "Legal"},
        content_type="application/json",
    )
    url = f"/api/stakeholders/roles/{created.json()['id']}/"
    changed = patch(client, url, {"position": 1}, client.get(url)["ETag"])

    assert refused.status_code == 403
    assert created.status_code == 201
    assert changed.status_code == 200
    assert BuyingRole.objects.get(key="legal").position == 1


def erasures() -> list[tuple]:
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ERASURE)
    return [
        (
            event.actor_id,
            event.actor_label,
            event.target_type.model if event.target_type else None,
            event.target_id,
            event.target_label,
            event.ip_address,
            event.user_agent,
            event.detail,
        )
        for event in events.order_by("pk")
    ]


def test_ops_delete_an_unused_product_under_if_match_and_it_is_audited(
    client, ops, rep
):
    # given
    product = ProductFactory.create(name="GTK 900", series="GTK", list_price=1250)
    url = f"/api/accounts/products/{product.pk}/"
    client.force_login(rep)
    etag = client.get(url)["ETag"]
    refused = delete(client, url, etag)
    client.force_login(ops)

    # when
    without = delete(client, url)
    deleted = client.delete(
        url,
        HTTP_IF_MATCH=etag,
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT="lode-sync/2.1",
    )

    # then
    assert refused.status_code == 403
    assert without.status_code == 428
    assert deleted.status_code == 204
    assert not Product.objects.filter(name="GTK 900").exists()
    assert erasures() == [
        (
            ops.pk,
            "oona",
            "product",
            product.pk,
            "GTK 900",
            "198.51.100.7",
            "lode-sync/2.1",
            {
                "source": "api",
                "deleted": "product",
                "values": {"name": "GTK 900", "series": "GTK", "list_price": "1250.00"},
            },
        )
    ]


def test_a_product_in_use_is_kept_and_the_answer_says_what_uses_it(client, ops, deal):
    RevenueLineFactory.create(account=deal.account, product=deal.product)
    RevenueLineFactory.create(account=deal.account, product=deal.product)
    client.force_login(ops)
    url = f"/api/accounts/products/{deal.product_id}/"

    response = delete(client, url, client.get(url)["ETag"])

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This product is still used (deals: 1, revenue lines: 2). "
        "Move those to another product first."
    }
    assert RevenueLine.objects.filter(product=deal.product).count() == 2
    assert erasures() == []


def test_ops_delete_an_unused_role_and_its_sector_defaults(client, ops):
    role = BuyingRole.objects.get(key="gatekeeper")
    assert SectorRoleDefault.objects.filter(role=role).exists()
    client.force_login(ops)
    url = f"/api/stakeholders/roles/{role.pk}/"
    etag = client.get(url)["ETag"]
    patch(client, url, {"position": 40}, etag)

    stale = delete(client, url, etag)
    deleted = delete(client, url, client.get(url)["ETag"])

    assert stale.status_code == 412
    assert stale.json()["current"]["position"] == 40
    assert deleted.status_code == 204
    assert not BuyingRole.objects.filter(key="gatekeeper").exists()
    assert not SectorRoleDefault.objects.filter(role_id=role.pk).exists()
    assert erasures() == [
        (
            ops.pk,
            "oona",
            "buyingrole",
            role.pk,
            "Gatekeeper",
            "127.0.0.1",
            "",
            {
                "source": "api",
                "deleted": "buying role",
                "values": {
                    "key": "gatekeeper",
                    "name": "Gatekeeper",
                    "kind": "buying",
                },
                "sector_defaults": ["medical"],
            },
        )
    ]


def test_a_role_someone_holds_is_kept_and_the_answer_says_who(client, ops, account):
    role = BuyingRoleFactory.create(key="legal", name="Legal")
    for _ in range(2):
        StakeholderFactory.create(account=account).roles.add(role)
    AccountExpectedRole.objects.create(account=account, role=role)
    client.force_login(ops)
    url = f"/api/stakeholders/roles/{role.pk}/"

    response = delete(client, url, client.get(url)["ETag"])

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This buying role is still used (accounts expecting it: 1, "
        "people holding it: 2). Take it off those people and accounts first."
    }
    assert BuyingRole.objects.filter(key="legal").exists()
    assert erasures() == []
