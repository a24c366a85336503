"""Users, teams, products and buying roles through the API.

Everyone reads what they may see; only sales ops write. Someone else gets
403 for a write to what they see and 404 for what they do not.
"""

import pytest

from accounts.models import AuditEvent, Product, Team, User
from stakeholders.models import BuyingRole
from tests.accounts.factories import ProductFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def patch(client, url, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.patch(url, body, content_type="application/json", **headers)


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
