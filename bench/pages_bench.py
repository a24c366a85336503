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
    # The table sorted, filtered and paged, as people use it.
    portfolio = reverse("scoring:portfolio")
    figures += _page_figures(
        client=client,
        name="portfolio (sorted, filtered, paged)",
        urls=[
            f"{portfolio}?sort=-potential",
            f"{portfolio}?sort=-revenue&page=3",
            f"{portfolio}?quadrant=expand&tier=C",
            f"{portfolio}?sort=-performance&page=40",
            f"{portfolio}?q=ac",
        ],
        requests=requests,
    )
    # The chart's data, fetched by the page; timed without the browser's
    # revalidation (304), so this is the first load.
    figures += _page_figures(
        client=client,
        name="portfolio chart data (first load)",
        urls=[reverse("scoring:portfolio_figure")],
        requests=requests,
    )
    manager = (
        User.objects.filter(role=User.Role.MANAGER, managed_teams__isnull=False)
        .order_by("pk")
        .first()
    )
    if manager is not None:
        manager_client = Client()
        manager_client.force_login(manager)
        figures += _page_figures(
            client=manager_client,
            name=f"portfolio as a manager ({manager.username})",
            urls=[portfolio, f"{portfolio}?sort=-potential&page=2"],
            requests=requests,
        )
    figures += _page_figures(
        client=client,
        name="account",
        urls=[reverse("accounts:detail", args=[pk]) for pk in account_ids],
        requests=requests,
    )
    return figures
