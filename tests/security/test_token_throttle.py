"""Each API token is rate limited on its own, on every API endpoint."""

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from accounts.api_tokens import api_token_create
from config.api import ApiTokenRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    # DRF reads the rates into the class when it is imported, so a settings
    # override would not reach it.
    monkeypatch.setattr(
        ApiTokenRateThrottle,
        "THROTTLE_RATES",
        {**ApiTokenRateThrottle.THROTTLE_RATES, "token": "3/minute"},
    )


def test_a_token_past_its_rate_gets_429_with_retry_after(three_a_minute, rep):
    # given
    _, secret = api_token_create(user=rep, name="sync")
    _, other = api_token_create(user=rep, name="report")
    client = Client(REMOTE_ADDR="203.0.113.20")

    # when
    statuses = [
        client.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token {secret}").status_code
        for _ in range(3)
    ]
    refused = client.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token {secret}")
    other_token = client.get("/api/accounts/", HTTP_AUTHORIZATION=f"Token {other}")

    # then
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 60
    assert refused.json() == {
        "detail": "Request was throttled. Expected available in 60 seconds."
    }
    assert other_token.status_code == 200


def test_the_browser_session_is_not_counted_against_a_token(
    three_a_minute, client, rep
):
    client.force_login(rep)

    statuses = [client.get("/api/accounts/").status_code for _ in range(5)]

    assert statuses == [200] * 5


def _api_views(patterns: list[Any], prefix: str = "") -> list[tuple[str, type]]:
    found: list[tuple[str, type]] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _api_views(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None:
                found.append((route, view_class))
    return found


def test_every_api_view_throttles_tokens() -> None:
    views = _api_views(get_resolver().url_patterns)

    unthrottled = [
        route
        for route, view_class in views
        if issubclass(view_class, APIView)
        and not any(
            isinstance(throttle, ApiTokenRateThrottle)
            for throttle in view_class().get_throttles()
        )
    ]

    assert len(views) > 50
    assert unthrottled == []
