"""Pages: server time through the full middleware stack, and query counts.

Each page is asked as three people: sales ops (sees every account), a
manager (their reps' accounts) and a rep (their own), since the access rule
shapes every query. The import leaves no plans or people, so the plan page
and the manager dashboard get a plan per account with a strategy and an
action, and one to five people per account, written in bulk first.
"""

import dataclasses
import datetime
import os
import statistics
import sys
import time
from collections.abc import Iterable
from typing import Any

from django.core.signals import request_finished
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import Account, User
from accounts.selectors import account_list_for_user
from bench.baseline_page import BASELINE_PATH
from bench.import_bench import backend_cpu_of, backend_pid
from bench.results import Figure
from plans.dashboard_summaries import (
    DashboardPreparing,
    dashboard_summary_for_user,
    dashboard_summary_refresh,
)
from plans.models import Action, DashboardSummary, Plan, Strategy
from stakeholders.coverage_counts import coverage_counts_fold
from stakeholders.models import Stakeholder

BATCH = 5_000
# The product's URLs and the baseline page's, while the pages are timed.
BASELINE_URLCONF = "bench.baseline_page"
# A page slower than this per request is asked only SLOW_REQUESTS times:
# 200 requests of a page that takes seconds would hold the bench for hours.
SLOW_SECONDS = 1.0
SLOW_REQUESTS = 3
FIRST_NAMES = ["Ada", "Ben", "Cleo", "Dev", "Esme", "Finn", "Gia", "Hugo", "Ines"]
TITLES = [
    "Chief Financial Officer",
    "VP Information Technology",
    "Head of Operations",
    "Procurement Manager",
    "Director of Sales",
]


def _percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _get(client: Client, url: str, *, whole: bool = True) -> tuple[float, int]:
    """Ask for a page; return the seconds it took and its status.

    A streamed response (a large export) is timed to its first chunk, the
    headers and first rows a browser receives, unless `whole` is set; the
    rest is left unread and the response closed, as a client that hangs up.
    """
    started = time.perf_counter()
    response = client.get(url)
    if response.streaming:
        chunks = iter(_stream(response))
        if whole:
            for _chunk in chunks:
                pass
        else:
            next(chunks, b"")
            # Closing ends the stream's transaction and its cursor. As the
            # test client does, the connection is kept across the close.
            request_finished.disconnect(close_old_connections)
            response.close()
            request_finished.connect(close_old_connections)
    return time.perf_counter() - started, response.status_code


def _stream(response: Any) -> Iterable[bytes]:
    """Return a streamed response's body; the test client closes the
    response when the body ends."""
    return response.streaming_content


class _SqlClock:
    """Add up the time spent in the database driver, and count queries.

    While paused (the baseline page's requests) nothing is counted.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0
        self.paused = False

    def __call__(
        self, execute: Any, sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if self.paused:
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def _page_figures(
    *,
    client: Client,
    name: str,
    urls: list[str],
    requests: int,
    first_byte: bool = False,
) -> list[Figure]:
    """Time a page beside the baseline page; note CPU, SQL and queries too.

    On a shared machine the wall clock grows with everyone's load. The CPU
    this process spends on a request (time.process_time) and the CPU our
    PostgreSQL backend spends on it (read from /proc) grow far less, so
    they are noted beside the percentiles, with the load average before
    and after. The SQL time is the wall clock inside the database driver:
    the queries' own work plus the round trips, which a loaded machine
    lengthens.

    Each request of the page is followed by one of the baseline page
    (bench/baseline_page.py), so both meet the same load; its percentiles
    are each figure's baseline, and the ratio says how much the page
    costs beyond a logged-in request through the same stack on this
    machine. Only the page's requests count in its CPU, SQL and queries.
    """
    with override_settings(ROOT_URLCONF=BASELINE_URLCONF):
        return _page_and_baseline_figures(
            client=client,
            name=name,
            urls=urls,
            requests=requests,
            first_byte=first_byte,
        )


def _page_and_baseline_figures(
    *,
    client: Client,
    name: str,
    urls: list[str],
    requests: int,
    first_byte: bool,
) -> list[Figure]:
    started = time.perf_counter()
    for url in urls[:5]:
        _get(client, url, whole=not first_byte)
    warm = (time.perf_counter() - started) / len(urls[:5])
    asked = requests if warm < SLOW_SECONDS else min(requests, SLOW_REQUESTS)
    for _ in range(5):
        _get(client, BASELINE_PATH)
    page = _Timings()
    baseline = _Timings()
    load_before = _load()
    pid = backend_pid()
    clock = _SqlClock()
    with connection.execute_wrapper(clock):
        for index in range(asked):
            url = urls[index % len(urls)]
            page.time(client, url, pid=pid, whole=not first_byte)
            clock.paused = True
            baseline.time(client, BASELINE_PATH, pid=pid)
            clock.paused = False
    counts = set()
    for url in dict.fromkeys([urls[0], urls[-1]]):
        with CaptureQueriesContext(connection) as queries:
            _get(client, url)
        counts.add(len(queries))
    note = f"{asked} requests, queries {'/'.join(map(str, sorted(counts)))}"
    if first_byte:
        note += ", timed to the first byte of the streamed file"
    if asked < requests:
        note += f" (over {SLOW_SECONDS:.0f} s a request, so only {asked} asked)"
    note += (
        f"; per request: CPU {page.cpu_ms:.1f} ms in Python, SQL "
        f"{clock.seconds / asked * 1000:.1f} ms in {clock.queries / asked:.0f} queries"
    )
    if page.backend_ms is not None:
        note += f", PostgreSQL CPU {page.backend_ms:.1f} ms"
    note += (
        f"; baseline page p50 {baseline.p50_ms:.1f} ms, CPU {baseline.cpu_ms:.1f} ms"
        " in Python"
    )
    if baseline.backend_ms is not None:
        note += f", PostgreSQL CPU {baseline.backend_ms:.1f} ms"
    note += f"; load average before {load_before}, after {_load()}"
    return [
        Figure(
            benchmark=f"{name} page p50",
            value=page.p50_ms,
            unit="ms",
            baseline=baseline.p50_ms,
            note=note,
        ),
        Figure(
            benchmark=f"{name} page p95",
            value=page.p95_ms,
            unit="ms",
            baseline=baseline.p95_ms,
            target="<= 50 ms at 100k accounts",
            note=note,
        ),
    ]


class _Timings:
    """One page's wall clock, Python CPU and backend CPU, request by request."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.cpu = 0.0
        self.backend: float | None = 0.0

    def time(
        self, client: Client, url: str, *, pid: int | None, whole: bool = True
    ) -> None:
        backend_before = backend_cpu_of(pid)
        cpu_before = time.process_time()
        seconds, status = _get(client, url, whole=whole)
        self.cpu += time.process_time() - cpu_before
        backend_after = backend_cpu_of(pid)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        self.seconds.append(seconds)
        if self.backend is None or backend_before is None or backend_after is None:
            self.backend = None
        else:
            self.backend += backend_after - backend_before

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        return _percentile(self.seconds, 0.95) * 1000

    @property
    def cpu_ms(self) -> float:
        return self.cpu / len(self.seconds) * 1000

    @property
    def backend_ms(self) -> float | None:
        if self.backend is None:
            return None
        return self.backend / len(self.seconds) * 1000


def page_data_seed() -> None:
    """Give every account a plan with a strategy and an action, and people.

    Bulk writes in batches; skipped when plans exist already.
    """
    if Plan.objects.exists():
        return

    today = datetime.date(2026, 1, 1)
    account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        for start in range(0, len(account_ids), BATCH):
            batch = account_ids[start : start + BATCH]
            plans = Plan.objects.bulk_create(
                Plan(
                    account_id=pk,
                    fiscal_year=2026,
                    period_start=today,
                    period_end=datetime.date(2026, 12, 31),
                    summary=f"Grow account {pk} across its business units.",
                )
                for pk in batch
            )
            strategies = Strategy.objects.bulk_create(
                Strategy(
                    plan=plan,
                    kind=Strategy.Kind.values[plan.account_id % 2],
                    title=f"Strategy of account {plan.account_id}",
                )
                for plan in plans
            )
            Action.objects.bulk_create(
                Action(
                    plan=strategy.plan,
                    strategy=strategy,
                    title="Meet the buying group",
                    due_on=today + datetime.timedelta(days=strategy.plan_id % 300),
                )
                for strategy in strategies
            )
            Stakeholder.objects.bulk_create(
                Stakeholder(
                    account_id=pk,
                    first_name=FIRST_NAMES[(pk + person) % len(FIRST_NAMES)],
                    last_name=f"Person {pk}-{person}",
                    title=TITLES[(pk + person) % len(TITLES)],
                    sentiment=(pk + person) % 5 - 2,
                    influence=(pk * 7 + person) % 5 + 1,
                )
                for pk in batch
                for person in range(pk % 5 + 1)
            )
    # The people written in bulk marked their accounts; count them now, as
    # the end of an import does, so the pages read kept counts.
    coverage_counts_fold()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Plan, Strategy, Action, Stakeholder):
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def _deep_page_url(portfolio: str, *, user: User, sort: str, page: int) -> str:
    """Return the URL of a deep table page as the page before links to it."""
    from scoring.selectors import (
        PAGE_SIZE,
        PORTFOLIO_SORTS,
        account_score_queryset_for_user,
        score_run_current,
    )

    run = score_run_current()
    if run is None:
        return f"{portfolio}?sort={sort}&page={page}"
    field = PORTFOLIO_SORTS[sort.lstrip("-")]
    order = (
        ["-" + field, "-account_id"] if sort.startswith("-") else [field, "account_id"]
    )
    row = (page - 1) * PAGE_SIZE - 1
    edge = list(
        account_score_queryset_for_user(user=user, run=run)
        .order_by(*order)
        .values_list("account_id", flat=True)[row : row + 1]
    )
    if not edge:
        # Fewer accounts than that: the page number alone, as a person
        # might type it.
        return f"{portfolio}?sort={sort}&page={page}"
    return f"{portfolio}?sort={sort}&page={page}&after={edge[0]}"


def _people() -> list[tuple[str, User]]:
    """Return sales ops, the first manager with a team, and one of their reps.

    Sales ops' figures keep the plain page names of the earlier rows.
    """
    ops, _ = User.objects.get_or_create(
        username="bench-ops", defaults={"role": User.Role.OPS}
    )
    people = [("", ops)]
    manager = (
        User.objects.filter(role=User.Role.MANAGER, managed_teams__isnull=False)
        .order_by("pk")
        .first()
    )
    if manager is not None:
        people.append((f" as a manager ({manager.username})", manager))
        rep = (
            User.objects.filter(
                team__manager=manager, account_memberships__isnull=False
            )
            .order_by("pk")
            .first()
        )
        if rep is not None:
            people.append((f" as a rep ({rep.username})", rep))
    return people


def pages_benchmark(*, requests: int) -> list[Figure]:
    """Request each page as sales ops, a manager and a rep."""
    seeding = time.perf_counter()
    page_data_seed()
    sys.stdout.write(
        f"plans and people written ({time.perf_counter() - seeding:.1f} s)\n"
    )
    # Below the 100k target's scale the pages are asked fewer times beyond
    # sales ops' portfolio and account pages, so `make bench` stays short.
    fewer = requests if Account.objects.count() >= 10_000 else min(requests, 10)
    portfolio = reverse("scoring:portfolio")
    figures: list[Figure] = []
    for label, user in _people():
        client = Client()
        client.force_login(user)
        visible = account_list_for_user(user=user)
        account_ids = list(
            visible.order_by("?").values_list("pk", flat=True)[:requests]
        )
        plan_ids = list(
            Plan.objects.filter(account__in=visible.values("pk"))
            .order_by("?")
            .values_list("pk", flat=True)[:requests]
        )
        figures += _page_figures(
            client=client,
            name=f"portfolio{label}",
            urls=[portfolio, f"{portfolio}?sort=-potential&page=2"],
            requests=requests if user.sees_all_accounts else fewer,
        )
        if user.sees_all_accounts:
            # The table sorted, filtered and paged, as people use it.
            figures += _page_figures(
                client=client,
                name=f"portfolio (sorted, filtered, paged){label}",
                urls=[
                    f"{portfolio}?sort=-potential",
                    f"{portfolio}?sort=-revenue&page=3",
                    f"{portfolio}?quadrant=expand&tier=C",
                    # Page 40 as its Next link asks for it, with a cursor.
                    _deep_page_url(portfolio, user=user, sort="-performance", page=40),
                    f"{portfolio}?q=plex+00012",
                ],
                requests=requests,
            )
            # Two letters give the trigram index nothing to look up: they
            # match the start of names, through a b-tree (since 2026-12-05).
            figures += _page_figures(
                client=client,
                name=f"portfolio, name search of two letters{label}",
                urls=[f"{portfolio}?q=ac", f"{portfolio}?q=zx"],
                requests=fewer,
            )
            # Quadrant and tier tie in long runs; each has its index with
            # the account (since 2026-12-05), page 40 read from a cursor.
            figures += _page_figures(
                client=client,
                name=f"portfolio sorted by quadrant or tier{label}",
                urls=[
                    f"{portfolio}?sort=quadrant",
                    f"{portfolio}?sort=-tier&page=3",
                    _deep_page_url(portfolio, user=user, sort="quadrant", page=40),
                    f"{portfolio}?sort=tier",
                ],
                requests=fewer,
            )
            # Two letters an eighth of the generated names start with: the
            # page reads them by the upper-cased name's index from the
            # prefix on (since 2026-12-05), not past the names before them.
            figures += _page_figures(
                client=client,
                name=f"portfolio, name search of two letters many names share{label}",
                urls=[f"{portfolio}?q=ze", f"{portfolio}?q=ze&sort=-name"],
                requests=fewer,
            )
            # The API's longest list; its count stops at 10,001 rows.
            figures += _page_figures(
                client=client,
                name=f"API account list{label}",
                urls=["/api/accounts/", "/api/accounts/?offset=100"],
                requests=fewer,
            )
            # The chart's data, fetched by the page; timed without the
            # browser's revalidation (304), so this is the first load.
            figures += _page_figures(
                client=client,
                name=f"portfolio chart data (first load){label}",
                urls=[reverse("scoring:portfolio_figure")],
                requests=requests,
            )
        figures += _page_figures(
            client=client,
            name=f"account{label}",
            urls=[reverse("accounts:detail", args=[pk]) for pk in account_ids],
            requests=requests if user.sees_all_accounts else fewer,
        )
        figures += _page_figures(
            client=client,
            name=f"plan{label}",
            urls=[reverse("plans:detail", args=[pk]) for pk in plan_ids],
            requests=fewer,
        )
    figures += coverage_pages_benchmark(requests=fewer)
    return figures + dashboard_pages_benchmark(requests=fewer)


def coverage_pages_benchmark(*, requests: int) -> list[Figure]:
    """Time the coverage roll-up, read alone and right after a people write.

    As sales ops, a manager and a rep. The write is one person's influence
    saved through the ORM, as an edit saves it; it is timed too, with what
    it does after its commit, apart from the page.
    """
    page_data_seed()
    url = reverse("stakeholders:coverage")
    figures: list[Figure] = []
    for label, user in _people():
        client = Client()
        client.force_login(user)
        figures += _page_figures(
            client=client,
            name=f"coverage roll-up{label}",
            urls=[url],
            requests=requests,
        )
        figures += _after_write_figures(
            client=client, label=label, user=user, url=url, requests=requests
        )
    return figures


def _after_write_figures(
    *, client: Client, label: str, user: User, url: str, requests: int
) -> list[Figure]:
    people = list(
        Stakeholder.objects.filter(
            account__in=account_list_for_user(user=user).values("pk")
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:requests]
    )
    writes: list[float] = []
    pages: list[float] = []
    load_before = _load()
    for index in range(requests):
        person = Stakeholder.objects.get(pk=people[index % len(people)])
        person.influence = person.influence % 5 + 1
        started = time.perf_counter()
        person.save(update_fields=["influence", "updated_at"])
        writes.append(time.perf_counter() - started)
        seconds, status = _get(client, url)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        pages.append(seconds)
        if index + 1 >= SLOW_REQUESTS and statistics.median(pages) > SLOW_SECONDS:
            break
    note = (
        f"{len(pages)} requests, each right after a write to one person; "
        f"load average before {load_before}, after {_load()}"
    )
    return [
        Figure(
            benchmark=f"coverage roll-up right after a people write{label} page p50",
            value=statistics.median(pages) * 1000,
            unit="ms",
            note=note,
        ),
        Figure(
            benchmark=f"coverage roll-up right after a people write{label} page p95",
            value=_percentile(pages, 0.95) * 1000,
            unit="ms",
            target="<= 50 ms at 100k accounts",
            note=note,
        ),
        Figure(
            benchmark=f"one person saved, with what follows its commit{label} p95",
            value=_percentile(writes, 0.95) * 1000,
            unit="ms",
            note=note,
        ),
    ]


def dashboard_pages_benchmark(*, requests: int) -> list[Figure]:
    """Time building each viewer's stored dashboard, then its pages.

    Sales ops, an executive (who shares sales ops' stored dashboard, as both
    see every account), a manager and a rep. The first request builds a
    small dashboard itself; for a large one it only records that the
    figures are being prepared, and the build is what the task then pays.
    Both are timed, the task's by calling it here, with its send held back
    until then. The pages read the stored dashboard, so they are timed
    after it, and the exports too.
    """
    figures: list[Figure] = []
    for label, user in _dashboard_people():
        figures += _dashboard_build(label=label, user=user)
        client = Client()
        client.force_login(user)
        drill = reverse("plans:dashboard_accounts")
        figures += _page_figures(
            client=client,
            name=f"manager dashboard{label}",
            urls=[reverse("plans:dashboard")],
            requests=requests,
        )
        figures += _page_figures(
            client=client,
            name=f"dashboard drill-down{label}",
            urls=[
                f"{drill}?figure=accounts",
                f"{drill}?figure=accounts&page=3",
                f"{drill}?figure=quadrant.grow&page=2",
                f"{drill}?figure=plans.incomplete",
            ],
            requests=requests,
        )
        export = reverse("plans:dashboard_export", args=["csv"])
        figures += _page_figures(
            client=client,
            name=f"dashboard export, quarters CSV{label}",
            urls=[f"{export}?table=quarters"],
            requests=requests,
        )
        # The accounts file streams: the page's time is its first byte, and
        # the whole file is timed on its own, a few times when it is large.
        figures += _page_figures(
            client=client,
            name=f"dashboard export, accounts CSV (first byte){label}",
            urls=[f"{export}?table=accounts"],
            requests=requests,
            first_byte=True,
        )
        figures.append(_whole_download(client=client, name=label, url=export))
    return figures


def _dashboard_people() -> list[tuple[str, User]]:
    """Return the bench's people with an executive after sales ops."""
    executive, _ = User.objects.get_or_create(
        username="bench-exec", defaults={"role": User.Role.EXECUTIVE}
    )
    people = _people()
    people.insert(1, (f" as an executive ({executive.username})", executive))
    return people


def _dashboard_build(*, label: str, user: User) -> list[Figure]:
    """Build a viewer's stored dashboard, timed, as its first request does.

    Held in a transaction, the task's send waits for its end; by then the
    summary is built, so the task finds nothing to do.
    """
    figures: list[Figure] = []
    with transaction.atomic():
        started = time.perf_counter()
        shown = dashboard_summary_for_user(user=user)
        first = time.perf_counter() - started
        if isinstance(shown, DashboardPreparing):
            figures.append(
                Figure(
                    benchmark=f"stored manager dashboard, first request{label}",
                    value=first * 1000,
                    unit="ms",
                    note=(
                        f"being prepared, {shown.accounts:,} accounts; "
                        f"load average {_load()}"
                    ),
                )
            )
            pending = DashboardSummary.objects.get(built_at__isnull=True)
            started = time.perf_counter()
            stored = dashboard_summary_refresh(summary_id=pending.pk)
            first = time.perf_counter() - started
            accounts = stored.accounts if stored is not None else 0
        else:
            accounts = shown.row_count
    figures.append(
        Figure(
            benchmark=f"stored manager dashboard, build{label}",
            value=first,
            unit="s",
            note=f"{accounts:,} accounts; load average {_load()}",
        )
    )
    return figures


def pages_data_prepare() -> list[Figure]:
    """Seed plans and people, build every viewer's dashboard, ANALYZE.

    What the pages pass does before timing, so a kept database can be
    measured later without building anything.
    """
    seeding = time.perf_counter()
    page_data_seed()
    sys.stdout.write(
        f"plans and people written ({time.perf_counter() - seeding:.1f} s)\n"
    )
    figures: list[Figure] = []
    for label, user in _dashboard_people():
        figures += _dashboard_build(label=label, user=user)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return figures


def database_vacuum() -> float:
    """VACUUM ANALYZE the whole database; return the seconds it took.

    Outside a transaction, as VACUUM must run.
    """
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _whole_download(*, client: Client, name: str, url: str) -> Figure:
    """Time downloading the whole accounts CSV, to its last byte."""
    timings = []
    size = 0
    for _ in range(SLOW_REQUESTS):
        started = time.perf_counter()
        response = client.get(f"{url}?table=accounts")
        size = sum(len(chunk) for chunk in _stream(response))
        timings.append(time.perf_counter() - started)
    return Figure(
        benchmark=f"dashboard export, accounts CSV, whole file{name}",
        value=statistics.median(timings),
        unit="s",
        note=(
            f"median of {SLOW_REQUESTS} downloads of {size / 1e6:.1f} MB, "
            f"streamed; load average after {_load()}"
        ),
    )


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _cursor_url(client: Client, url: str, *, past: int) -> str:
    """Return the `next` link a client holds after reading `past` rows.

    Read by `next` in pages of 1,000, as an integration walks the list;
    the link carries a cursor once the list is longer than its count cap.
    """
    read = 0
    while read < past:
        body = client.get(url).json()
        read += len(body["results"])
        url = body["next"]
        if url is None:
            raise RuntimeError(f"the list ends after {read} rows, before {past}")
    if "cursor=" not in url:
        raise RuntimeError(f"{url} is not a cursor link")
    return url.replace("limit=1000", "limit=100")


def api_cursor_benchmark(*, requests: int) -> list[Figure]:
    """Time the account list API's cursor pages against an early offset page.

    As sales ops, who see every account, in two orderings: by name (unique
    only with the id) and by annual revenue going down, which ties and has
    blanks, so the id breaks the ties. The first page, a page read by
    cursor past 10,000 rows, and the baseline: the page at offset 100.
    """
    ops, _ = User.objects.get_or_create(
        username="bench-ops", defaults={"role": User.Role.OPS}
    )
    client = Client()
    client.force_login(ops)
    past = min(11_000, Account.objects.count() - 200)
    figures: list[Figure] = []
    for ordering in ["name", "-annual_revenue"]:
        base = f"/api/accounts/?ordering={ordering}"
        deep = _cursor_url(client, f"{base}&limit=1000", past=past)
        timed = {
            "first page": [f"{base}&limit=100"],
            f"page by cursor past {past:,} rows": [deep],
            "offset 100 (baseline)": [f"{base}&limit=100&offset=100"],
        }
        by_page = {
            page: _page_figures(
                client=client,
                name=f"API account list ordered by {ordering}, {page}",
                urls=urls,
                requests=requests,
            )
            for page, urls in timed.items()
        }
        baseline = by_page["offset 100 (baseline)"]
        for page_figures in by_page.values():
            figures += [
                figure
                if figure is baseline[index]
                else dataclasses.replace(figure, baseline=baseline[index].value)
                for index, figure in enumerate(page_figures)
            ]
    return figures
