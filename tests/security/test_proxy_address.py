"""Behind our proxies the client address comes from X-Forwarded-For."""

import pytest
from django.test import Client, RequestFactory, override_settings

from accounts.models import AuditEvent
from config.security import client_address

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.254"


def address(forwarded: str | None, **settings: int) -> str | None:
    headers = None if forwarded is None else {"X-Forwarded-For": forwarded}
    request = RequestFactory().get("/", headers=headers, REMOTE_ADDR=PROXY)
    with override_settings(**settings):
        return client_address(request)


def test_without_trusted_proxies_the_header_is_ignored():
    assert address("198.51.100.7", TRUSTED_PROXY_COUNT=0) == PROXY


def test_one_proxy_takes_the_right_most_hop():
    # The client wrote the first entry itself; our proxy appended the second.
    forged = "203.0.113.1, 198.51.100.7"

    assert address(forged, TRUSTED_PROXY_COUNT=1) == "198.51.100.7"


def test_two_proxies_skip_the_inner_one():
    hops = "203.0.113.1, 198.51.100.7, 10.0.0.9"

    assert address(hops, TRUSTED_PROXY_COUNT=2) == "198.51.100.7"


def test_ports_and_brackets_are_dropped():
    assert address("198.51.100.7:41234", TRUSTED_PROXY_COUNT=1) == "198.51.100.7"
    assert address("[2001:db8::1]:443", TRUSTED_PROXY_COUNT=1) == "2001:db8::1"
    assert address("2001:db8::1", TRUSTED_PROXY_COUNT=1) == "2001:db8::1"


def test_a_missing_or_garbage_header_falls_back_to_the_peer():
    assert address(None, TRUSTED_PROXY_COUNT=1) == PROXY
    assert address("not-an-address", TRUSTED_PROXY_COUNT=1) == PROXY


@override_settings(
    TRUSTED_PROXY_COUNT=1, LOGIN_LOCKOUT_FAILURES=100, LOGIN_LOCKOUT_ADDRESS_FAILURES=3
)
def test_one_client_behind_the_proxy_cannot_lock_out_everyone(rep):
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.66")
    for name in ["a", "b", "c"]:
        attacker.post("/login/", {"username": name, "password": "wrong"})

    attacker_again = attacker.post("/login/", {"username": "rita", "password": "x"})
    colleague = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.10").post(
        "/login/", {"username": "rita", "password": "password"}
    )

    assert attacker_again.status_code == 429
    assert colleague.status_code == 302
    failed = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED)
    assert set(failed.values_list("ip_address", flat=True)) == {"198.51.100.66"}
    login = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN)
    assert login.ip_address == "198.51.100.10"
