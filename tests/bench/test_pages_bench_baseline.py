import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import Account, User
from bench.baseline_page import BASELINE_PATH
from bench.pages_bench import BASELINE_URLCONF, _page_figures


@override_settings(ROOT_URLCONF=BASELINE_URLCONF)
def test_the_baseline_page_reads_only_the_session_and_the_user(
    client: Client, rep: User
) -> None:
    # given
    client.force_login(rep)

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BASELINE_PATH)

    # then
    assert response.status_code == 200
    assert rep.display_name in response.content.decode()
    assert len(queries) == 2


@override_settings(ROOT_URLCONF=BASELINE_URLCONF)
def test_the_baseline_page_sends_a_stranger_to_log_in(client: Client) -> None:
    response = client.get(BASELINE_PATH)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_product_has_no_baseline_page(client: Client, rep: User) -> None:
    client.force_login(rep)

    assert client.get(BASELINE_PATH).status_code == 404


def test_each_page_figure_carries_the_baseline_timed_beside_it(
    client: Client, rep: User, account: Account
) -> None:
    # given
    client.force_login(rep)

    # when
    p50, p95 = _page_figures(
        client=client,
        name="account",
        urls=[reverse("accounts:detail", args=[account.pk])],
        requests=4,
    )

    # then
    assert p50.baseline is not None and p50.baseline > 0
    assert p95.baseline is not None and p95.baseline >= p50.baseline
    assert p95.ratio is not None
    assert "baseline page p50" in p95.note
    # The baseline page's own queries are not the page's.
    counted = re.search(r"queries (\d+)", p95.note)
    assert counted is not None
    assert f"in {counted[1]} queries" in p95.note
