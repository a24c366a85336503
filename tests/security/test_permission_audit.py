"""Changes to what a user may see are audited with who, when and where."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.models import AuditEvent, User
from tests.accounts.factories import TeamFactory, UserFactory

WIZARD = Path(__file__).parent.parent / "accounts" / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(
        username="ada", role=User.Role.OPS, is_staff=True, is_superuser=True
    )


def permission_events() -> list[tuple[str, str, str | None, dict]]:
    return [
        (event.actor_label, event.target_label, event.ip_address, event.detail)
        for event in AuditEvent.objects.filter(
            action=AuditEvent.Action.PERMISSION_CHANGE
        ).order_by("id")
    ]


def change_form(user: User, **changes: object) -> dict:
    """The admin's change form for the user as stored, with these changes."""
    data: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "role": user.role,
        "team": user.team_id or "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_a_role_and_team_change_in_the_admin_is_audited(
    client, admin_user, rep, outsider
) -> None:
    # given
    client.force_login(admin_user)

    # when
    response = client.post(
        f"/admin/accounts/user/{rep.pk}/change/",
        change_form(rep, role=User.Role.MANAGER, team=outsider.team_id),
        REMOTE_ADDR="203.0.113.9",
    )

    # then
    assert response.status_code == 302
    assert permission_events() == [
        (
            "ada",
            "rita",
            "203.0.113.9",
            {
                "source": "admin",
                "changes": {
                    "role": {"from": "rep", "to": "manager"},
                    "team": {"from": "Central", "to": "West"},
                },
            },
        )
    ]
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.PERMISSION_CHANGE)
    assert event.actor == admin_user
    assert event.target == rep


def test_granting_staff_and_superuser_in_the_admin_is_audited(
    client, admin_user, rep
) -> None:
    client.force_login(admin_user)

    client.post(
        f"/admin/accounts/user/{rep.pk}/change/",
        change_form(rep, is_staff="on", is_superuser="on"),
    )

    assert permission_events() == [
        (
            "ada",
            "rita",
            "127.0.0.1",
            {
                "source": "admin",
                "changes": {
                    "is_staff": {"from": False, "to": True},
                    "is_superuser": {"from": False, "to": True},
                },
            },
        )
    ]


def test_saving_a_user_without_access_changes_records_none(
    client, admin_user, rep
) -> None:
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/user/{rep.pk}/change/",
        change_form(rep, first_name="Rita"),
    )

    assert response.status_code == 302
    assert permission_events() == []


def test_a_new_team_manager_in_the_admin_is_audited(
    client, admin_user, team, manager, rep
) -> None:
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/team/{team.pk}/change/",
        {"name": team.name, "region": "", "manager": rep.pk},
    )

    assert response.status_code == 302
    assert permission_events() == [
        (
            "ada",
            "Central",
            "127.0.0.1",
            {"source": "admin", "changes": {"manager": {"from": "mark", "to": "rita"}}},
        )
    ]


# Committed for real, so the import's and the undo's on-commit work runs
# inside their requests, as it does when no worker is configured.
@pytest.mark.django_db(transaction=True)
def test_a_users_import_and_its_undo_are_audited(ops) -> None:
    # given: Lee exists as an executive of another team
    UserFactory.create(
        username="lee",
        email="lee.park@lode.example",
        role=User.Role.EXECUTIVE,
        team=TeamFactory.create(name="Central"),
    )
    api = APIClient(REMOTE_ADDR="198.51.100.4")
    api.force_authenticate(ops)
    path = WIZARD / "plain_users.csv"
    job_id = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
    ).json()["id"]
    url = f"/api/accounts/imports/{job_id}/"
    etag = api.get(url + "mapping/")["ETag"]
    assert (
        api.put(
            url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )

    # when
    started = api.post(url + "start/", {}, format="json")

    # then
    assert started.status_code == 202
    imported = {"source": "users import", "import": job_id}
    assert permission_events() == [
        (
            "oona",
            "dana.weiss@lode.example",
            "198.51.100.4",
            {
                **imported,
                "created": True,
                "changes": {
                    "role": {"from": None, "to": "manager"},
                    "team": {"from": None, "to": "Enterprise East"},
                    "is_staff": {"from": None, "to": False},
                    "is_superuser": {"from": None, "to": False},
                    "is_active": {"from": None, "to": True},
                },
            },
        ),
        (
            "oona",
            "sam.ortiz@lode.example",
            "198.51.100.4",
            {
                **imported,
                "created": True,
                "changes": {
                    "role": {"from": None, "to": "executive"},
                    "team": {"from": None, "to": None},
                    "is_staff": {"from": None, "to": False},
                    "is_superuser": {"from": None, "to": False},
                    "is_active": {"from": None, "to": True},
                },
            },
        ),
        (
            "oona",
            "lee",
            "198.51.100.4",
            {
                **imported,
                "changes": {
                    "role": {"from": "executive", "to": "rep"},
                    "team": {"from": "Central", "to": "Enterprise East"},
                },
            },
        ),
        (
            "oona",
            "Enterprise East",
            "198.51.100.4",
            {
                **imported,
                "changes": {"manager": {"from": None, "to": "dana.weiss@lode.example"}},
            },
        ),
    ]

    # when undone
    AuditEvent.objects.all().delete()
    undone = api.post(url + "undo/", HTTP_IF_MATCH=api.get(url + "undo/")["ETag"])

    # then: Lee's access is restored; the users it created are deleted
    assert undone.status_code == 200
    assert permission_events() == [
        (
            "oona",
            "lee",
            "198.51.100.4",
            {
                "source": "import undo",
                "import": job_id,
                "changes": {
                    "role": {"to": "executive"},
                    "team": {"to": "Central"},
                },
            },
        ),
    ]


def test_deleting_a_user_in_the_admin_is_audited_as_an_erasure(
    client, admin_user, rep
) -> None:
    client.force_login(admin_user)

    response = client.post(
        f"/admin/accounts/user/{rep.pk}/delete/",
        {"post": "yes"},
        REMOTE_ADDR="203.0.113.9",
    )
    itself = client.post(
        f"/admin/accounts/user/{admin_user.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert itself.status_code == 403
    assert not User.objects.filter(username="rita").exists()
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.ERASURE)
    assert (event.actor_label, event.target_label, event.ip_address) == (
        "ada",
        "rita",
        "203.0.113.9",
    )
    assert event.detail == {
        "source": "admin",
        "deleted": "user",
        "access": {
            "role": "rep",
            "team": "Central",
            "is_staff": False,
            "is_superuser": False,
            "is_active": True,
        },
    }


def test_deleting_a_team_in_the_admin_audits_each_member(
    client, admin_user, team, rep, manager
) -> None:
    client.force_login(admin_user)

    response = client.post(f"/admin/accounts/team/{team.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert User.objects.get(pk=rep.pk).team_id is None
    assert [
        (target, detail["changes"]) for _, target, _, detail in permission_events()
    ] == [
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
    assert {detail["source"] for *_, detail in permission_events()} == {"admin"}
