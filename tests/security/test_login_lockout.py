import pytest
from django.test import Client, override_settings

from accounts.models import AuditEvent

pytestmark = pytest.mark.django_db


def fail_login(client: Client, username: str, address: str = "10.0.0.1") -> int:
    response = client.post(
        "/login/",
        {"username": username, "password": "wrong"},
        REMOTE_ADDR=address,
    )
    return response.status_code


@override_settings(LOGIN_LOCKOUT_FAILURES=3)
def test_it_locks_an_account_after_repeated_failures(client, rep):
    # given
    for _ in range(3):
        assert fail_login(client, "rita") == 200

    # when: the right password now
    response = client.post(
        "/login/", {"username": "rita", "password": "password"}, REMOTE_ADDR="10.0.0.2"
    )

    # then
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.filter(
        action=AuditEvent.Action.LOGIN_FAILED, actor_label="rita"
    ).order_by("pk")
    # three wrong passwords, then the right one refused while locked out
    assert [event.detail for event in failed] == [{}, {}, {}, {"reason": "locked out"}]
    assert failed.last().ip_address == "10.0.0.2"
    locked = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_LOCKED)
    assert locked.actor_label == "rita"
    assert locked.ip_address == "10.0.0.1"


@override_settings(LOGIN_LOCKOUT_FAILURES=3)
def test_the_lockout_also_covers_the_admin_login(client, rep):
    for _ in range(3):
        fail_login(client, "rita")

    assert not Client().login(username="rita", password="password")


LOCKED_MESSAGE = (
    "Too many failed logins for this account or address. Try again in 15 minutes."
)


@override_settings(LOGIN_LOCKOUT_FAILURES=3, LOGIN_LOCKOUT_SECONDS=15 * 60)
def test_the_admin_login_says_the_account_is_locked(client, rep):
    # given: a staff member who fails on the admin's own login page
    rep.is_staff = True
    rep.save()
    wrong = [
        client.post(
            "/admin/login/",
            {"username": "rita", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
        )
        for _ in range(3)
    ]

    # when: the right password, still within the lockout
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "rita", "password": "password", "next": "/admin/"},
        REMOTE_ADDR="10.0.0.3",
    )

    # then
    assert [answer.status_code for answer in wrong] == [200, 200, 200]
    assert "Please enter the correct username and password" in wrong[0].text
    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == [LOCKED_MESSAGE]
    assert LOCKED_MESSAGE in response.text
    assert "_auth_user_id" not in client.session
    refused = (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.LOGIN_FAILED, actor_label="rita"
        )
        .order_by("pk")
        .last()
    )
    assert refused.detail == {"reason": "locked out"}
    assert refused.ip_address == "10.0.0.3"
    assert (
        AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_LOCKED).ip_address
        == "10.0.0.1"
    )


@override_settings(LOGIN_LOCKOUT_FAILURES=3)
def test_the_admin_login_lets_a_staff_member_in_when_not_locked(client, rep):
    rep.is_staff = True
    rep.save()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "rita", "password": "password", "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(rep.pk)


@override_settings(LOGIN_LOCKOUT_FAILURES=100, LOGIN_LOCKOUT_ADDRESS_FAILURES=4)
def test_it_locks_an_address_that_tries_many_accounts(client, rep):
    for name in ["a", "b", "c", "d"]:
        fail_login(client, name, address="10.9.9.9")

    from_there = client.post(
        "/login/", {"username": "rita", "password": "password"}, REMOTE_ADDR="10.9.9.9"
    )
    from_elsewhere = Client().post(
        "/login/", {"username": "rita", "password": "password"}, REMOTE_ADDR="10.1.1.1"
    )

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 302


@override_settings(LOGIN_LOCKOUT_FAILURES=3)
def test_a_good_login_resets_the_account_counter_and_is_audited(client, rep):
    fail_login(client, "rita")
    fail_login(client, "rita")

    response = client.post("/login/", {"username": "rita", "password": "password"})
    client.logout()
    fail_login(client, "rita")
    fail_login(client, "rita")
    again = client.post("/login/", {"username": "rita", "password": "password"})

    assert response.status_code == 302
    assert again.status_code == 302
    login = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).first()
    assert login.actor == rep
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).exists()


class _Clock:
    """Stands in for the time module in config.security, at a set instant."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@override_settings(LOGIN_LOCKOUT_FAILURES=3, LOGIN_LOCKOUT_SECONDS=15 * 60)
def test_a_locked_login_says_the_time_actually_left(client, rep, monkeypatch):
    # given: locked at a known instant
    clock = _Clock(1_000_000.0)
    monkeypatch.setattr("config.security.time", clock)
    for _ in range(3):
        fail_login(client, "rita")

    # when: ten minutes and a half later, from another address
    clock.now += 10 * 60 + 30
    response = client.post(
        "/login/", {"username": "rita", "password": "password"}, REMOTE_ADDR="10.0.0.2"
    )

    # then
    assert response.status_code == 429
    assert response["Retry-After"] == "270"
    assert (
        "Too many failed logins for this account or address. Try again in 5 minutes."
        in response.text
    )


@override_settings(LOGIN_LOCKOUT_FAILURES=3, LOGIN_LOCKOUT_SECONDS=15 * 60)
def test_the_admin_login_also_says_when_to_retry(client, rep, monkeypatch):
    clock = _Clock(2_000_000.0)
    monkeypatch.setattr("config.security.time", clock)
    rep.is_staff = True
    rep.save()
    for _ in range(3):
        fail_login(client, "rita")

    clock.now += 14 * 60 + 20
    response = client.post(
        "/admin/login/", {"username": "rita", "password": "password"}
    )

    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert response.context["form"].non_field_errors() == [
        "Too many failed logins for this account or address. Try again in 1 minute."
    ]
