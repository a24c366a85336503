"""Pages: server time through the full middleware stack, and query counts."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, User
from bench.results import Figure


def _percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _page_figures(
    *, client: Client, name: str, urls: list[str], requests: int
) -> list[Figure]:
    for url in urls[:5]:
        client.get(url)
    timings = []
    for index in range(requests):
        started = time.perf_counter()
        response = client.get(urls[index % len(urls)])
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(
                f"{urls[index % len(urls)]} answered {response.status_code}"
            )
    counts = set()
    for url in [urls[0], urls[-1]]:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts.add(len(queries))
    note = f"{requests} requests, queries {'/'.join(map(str, sorted(counts)))}"
    return [
        Figure(
            benchmark=f"{name} page p50",
            value=statistics.median(timings) * 1000,
            unit="ms",
            note=note,
        ),
        Figure(
            benchmark=f"{name} page p95",
            value=_percentile(timings, 0.95) * 1000,
            unit="ms",
            target="<= 50 ms at 100k accounts",
            note=note,
        ),
    ]


def pages_benchmark(*, requests: int) -> list[Figure]:
    """Request each page as a sales-ops user who sees every account."""
    user, _ = User.objects.get_or_create(
        username="bench-ops", defaults={"role": User.Role.OPS}
    )
    client = Client()
    client.force_login(user)
    account_ids = list(
        Account.objects.order_by("?").values_list("pk", flat=True)[:requests]
    )
    figures = _page_figures(
        client=client,
        name="portfolio",
        urls=[reverse("scoring:portfolio")],
        requests=requests,
    )
    figures += _page_figures(
        client=client,
        name="account",
        urls=[reverse("accounts:detail", args=[pk]) for pk in account_ids],
        requests=requests,
    )
    return figures
