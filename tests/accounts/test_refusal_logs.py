"""A refused request is logged as one line; a server error keeps its traceback."""

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.test import Client

from accounts.models import Opportunity
from tests.accounts.conftest import page_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What Lode's console handler writes during the test."""
    (handler,) = (
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_403_is_logged_without_its_traceback(
    client: Client, deal: Opportunity, executive, console: io.StringIO
) -> None:
    client.force_login(executive)

    assert client.get(page_url(deal)).status_code == 403

    logged = console.getvalue()
    assert f"Forbidden (Permission denied): {page_url(deal)}" in logged
    assert "Traceback" not in logged


def test_a_server_error_keeps_its_traceback(console: io.StringIO) -> None:
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), None
    )
    try:
        raise RuntimeError("broken")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    record.status_code = 500

    logging.getLogger("django.request").handle(record)

    assert "Traceback" in console.getvalue()
    assert "RuntimeError: broken" in console.getvalue()
