"""The manager dashboard, stored per viewer and filters and read per request.

Building the dashboard (plans.dashboard.dashboard_for_user) reads the facts
of every account the viewer sees; for someone who sees 100,000 accounts that
takes seconds. So the page reads a stored summary: the figures and the page's
short tables, with each figure's accounts kept apart for the drill-down,
which pages them, and every account's row for the drill-down and the
exports. A summary names the data it was built from (the current run, the
day, and the newest row of each table whose rows change a figure); when that
data has moved on it is built again on the spot for a small portfolio, and
for a large one it is shown with its time while a task builds it again. It
is never shown as current when it is not. A large portfolio's first summary
is never built in a request either: the page says it is being prepared,
shows the viewer's newest other figures meanwhile, and a task builds it.
"""

import bisect
import contextlib
import functools
import hashlib
import io
import json
import logging
import pickle
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import overload

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Q
from django.template import Engine
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from accounts.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    ImportJob,
    User,
)
from accounts.selectors import account_list_for_user, account_visibility_key
from config.api import CURSOR_VALUE_REFUSED, CursorRefused, CursorRows
from plans.calendar import local_date
from plans.dashboard import (
    FIGURE_NOUNS,
    FIGURE_SINGULARS,
    FIGURE_TITLES,
    ROWS_SHOWN,
    AccountRow,
    Dashboard,
    DashboardFilters,
    Figure,
    _filtered_accounts,
    dashboard_for_user,
    dashboard_tables,
    plan_stale_days,
)
from plans.exports import Table
from plans.models import (
    Action,
    DashboardSummary,
    DashboardSummaryFigure,
    DashboardSummaryRow,
    GateOverride,
    ManagerReview,
    Plan,
    Pursuit,
)
from scoring.models import ScoreRun
from stakeholders.models import Activity, Stakeholder

logger = logging.getLogger(__name__)

# Up to this many accounts a summary is built during the request (a few
# hundred milliseconds); beyond, a task builds it (about a minute at 100,000)
# while the page shows the figures it has, said to be older, or says they are
# being prepared.
REBUILD_IN_REQUEST_MAX = 2_000
# Rows stored per INSERT when a summary keeps its accounts' rows.
ROWS_BATCH = 2_000
# Rows sent per COPY when a summary's rows are stored on PostgreSQL.
ROWS_COPIED = 10_000
# Rows read per fetch when an export streams a summary's rows.
ROWS_STREAMED = 1_000
# A figure's accounts are kept this many to a block: a page of its
# drill-down reads one block, or two, of a few kilobytes each.
FIGURE_BLOCK = 1_000
# A rebuild asked this long ago and not done is asked again.
REFRESH_AGAIN_AFTER = timedelta(minutes=10)
# A summary not built again for this long is dropped after the next run.
SUMMARY_KEPT_DAYS = 30

# The tables whose newest row moves the version. Plan and stakeholder edits
# are recorded as change records by their services; people, activities,
# memberships, imports, reviews and overrides are counted by their own ids,
# as are rows written in bulk without a record (plans, pursuits, actions).
VERSIONED = (
    Account,
    AccountTeamMember,
    ChangeRecord,
    ImportJob,
    Plan,
    Pursuit,
    Action,
    GateOverride,
    ManagerReview,
    Stakeholder,
    Activity,
)


# The templates a stored summary's body is rendered from.
BODY_TEMPLATES = (
    "plans/_dashboard_body.html",
    "plans/_dashboard_count_row.html",
    "plans/_dashboard_figure_row.html",
)


@functools.cache
def dashboard_body_version() -> str:
    """Return a short hash of the body's templates and its figures' words.

    A stored body is markup: after a release that changes it, every stored
    summary is rebuilt rather than shown in the old markup until its data
    moves on. The figures' titles are written into it as well.
    """
    engine = Engine.get_default()
    digest = hashlib.sha256()
    for name in BODY_TEMPLATES:
        template, _ = engine.find_template(name)
        digest.update(template.source.encode())
    wording = (FIGURE_TITLES, FIGURE_SINGULARS, FIGURE_NOUNS)
    digest.update(json.dumps(wording, sort_keys=True).encode())
    return digest.hexdigest()[:12]


def dashboard_data_version(*, now: datetime | None = None) -> str:
    """Return a text that changes whenever the dashboard's figures may change.

    One query: the current run and the highest id of each versioned table
    (each an index lookup), with the organisation's date, since overdue,
    untouched and stale all count days, the settings that set them, and
    the version of the markup the body is rendered in.
    """
    newest = ", ".join(
        f"(SELECT MAX(id) FROM {model._meta.db_table})" for model in VERSIONED
    )
    current_run = f"(SELECT MAX(id) FROM {ScoreRun._meta.db_table} WHERE is_current)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {current_run}, {newest}")
        ids = cursor.fetchone()
    day = local_date(now or timezone.now())
    days = (
        settings.PLAN_STALE_DAYS,
        settings.PLAN_FRESH_DAYS,
        settings.DASHBOARD_EFFORT_DAYS,
    )
    return ".".join(
        str(value or 0)
        for value in (*ids, day.isoformat(), *days, dashboard_body_version())
    )


@dataclass
class DashboardPreparing:
    """A large dashboard whose figures a task is building for the first time.

    `nearest` is the same viewer's newest other stored dashboard, with its
    own filters and time, to show meanwhile; None when there is none.
    """

    filters: DashboardFilters
    requested_at: datetime
    accounts: int
    nearest: Dashboard | None = None


def dashboard_filters_described(*, filters: DashboardFilters) -> str:
    """Return the filters in words, for figures shown under other filters."""
    parts = []
    if filters.rep is not None:
        rep = User.objects.filter(pk=filters.rep).first()
        parts.append(f"rep {rep.display_name if rep else filters.rep}")
    if filters.region:
        parts.append(f"region {filters.region}")
    if filters.quadrant:
        parts.append(f"{filters.quadrant} quadrant")
    if filters.tier:
        parts.append(f"tier {filters.tier}")
    parts.append(f"untouched after {filters.stale_days} days")
    return ", ".join(parts)


def _summary_key(*, visibility: str, filters: DashboardFilters) -> str:
    asked = {**filters.as_query(), "stale": str(filters.stale_days)}
    text = json.dumps([visibility, asked], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _visibility_hash(visibility: str) -> str:
    return hashlib.sha256(visibility.encode()).hexdigest()


def _lean(dashboard: Dashboard) -> tuple[Dashboard, dict[str, list[int]]]:
    """Split a built dashboard into what the page shows and each figure's ids.

    The page shows counts and the first ROWS_SHOWN rows of its tables with
    their lengths, kept rendered; the ids, by account name, go to the
    drill-down.
    """
    order = list(dashboard.rows)
    figure_ids = {
        key: [pk for pk in order if pk in figure.account_ids]
        for key, figure in dashboard.figures.items()
    }
    totals = {
        "rows": len(dashboard.rows),
        "effort_rows": len(dashboard.effort_rows),
        "ranked_plans": len(dashboard.ranked_plans),
    }
    # The tables are cached properties: keep their first rows, drop the rest.
    short = {
        "path_rows": dashboard.path_rows,
        "path_chart": dashboard.path_chart,
        "effort_rows": dashboard.effort_rows[:ROWS_SHOWN],
        "ranked_plans": dashboard.ranked_plans[:ROWS_SHOWN],
        "rep_options": dashboard.rep_options,
    }
    run = dashboard.run
    if run is not None:
        # The page names the run's date; the run's stored chart stays behind.
        run = ScoreRun(
            pk=run.pk, finished_at=run.finished_at, created_at=run.created_at
        )
    lean = replace(
        dashboard,
        figures={
            key: Figure(
                figure.key, figure.title, figure.count, accounts=figure.account_count
            )
            for key, figure in dashboard.figures.items()
        },
        rows={},
        run=run,
        totals=totals,
    )
    lean.__dict__.update(short)
    # Rendered once here: at 100,000 accounts rendering the tables and the
    # thousands of reps cost more than everything else a request does.
    lean.body_html = render_to_string(
        "plans/_dashboard_body.html",
        {"dashboard": lean, "query": urlencode(lean.filters.as_query())},
    )
    # What the body was rendered from need not be kept.
    for name in (*short, "quarter_rows"):
        lean.__dict__.pop(name, None)
    lean.reps = []
    return lean, figure_ids


def _build(
    *,
    user: User,
    filters: DashboardFilters,
    key: str,
    version: str,
    visibility: str,
) -> tuple[Dashboard, DashboardSummary | None]:
    """Build the dashboard, store it under `key` and return it with its row."""
    started = time.perf_counter()
    dashboard = dashboard_for_user(user=user, filters=filters)
    seconds = time.perf_counter() - started
    lean, figure_ids = _lean(dashboard)
    built_at = timezone.now()
    lean.built_at = built_at
    body_html, lean.body_html = lean.body_html, ""
    pickled = pickle.dumps(lean, protocol=pickle.HIGHEST_PROTOCOL)
    lean.body_html = body_html
    try:
        with transaction.atomic():
            summary, _ = DashboardSummary.objects.update_or_create(
                key=key,
                defaults={
                    "user": user,
                    "visibility": _visibility_hash(visibility),
                    "query": {**filters.as_query(), "stale": str(filters.stale_days)},
                    "version": version,
                    "accounts": len(dashboard.rows),
                    "dashboard": pickled,
                    "body_html": body_html,
                    "built_at": built_at,
                    "build_seconds": seconds,
                    "refresh_requested_at": None,
                },
            )
            DashboardSummaryFigure.objects.filter(summary=summary).delete()
            DashboardSummaryFigure.objects.bulk_create(
                _figure_blocks(summary, dashboard, figure_ids), batch_size=ROWS_BATCH
            )
            DashboardSummaryRow.objects.filter(summary=summary).delete()
            _rows_store(summary, dashboard)
    except IntegrityError:
        # Another request stored the same summary at the same moment.
        logger.info("Dashboard summary %s was stored by another request", key)
        return dashboard, None
    logger.info(
        "Dashboard summary %s built for user %s: %s accounts in %.2f s",
        summary.pk,
        user.pk,
        len(dashboard.rows),
        seconds,
    )
    return dashboard, summary


def _figure_blocks(
    summary: DashboardSummary, dashboard: Dashboard, figure_ids: dict[str, list[int]]
) -> Iterator[DashboardSummaryFigure]:
    """Yield each figure's accounts a block at a time, with their positions."""
    position_of = {pk: position for position, pk in enumerate(dashboard.rows)}
    for name, ids in figure_ids.items():
        for start in range(0, len(ids), FIGURE_BLOCK):
            block = ids[start : start + FIGURE_BLOCK]
            positions = [position_of[pk] for pk in block]
            yield DashboardSummaryFigure(
                summary=summary,
                key=name,
                block=start // FIGURE_BLOCK,
                account_ids=block,
                positions=positions,
                last_position=positions[-1],
            )


def _rows_store(summary: DashboardSummary, dashboard: Dashboard) -> None:
    """Store every account's row of a summary, by name, with its plan's rank.

    On PostgreSQL through COPY, a batch of rows a statement: at 100,000
    accounts building an ORM object and its INSERT parameters per row took
    longer than computing the dashboard.
    """
    ranks = {row.pk: rank for rank, row in enumerate(dashboard.ranked_plans)}
    pickled = (
        (
            pk,
            position,
            ranks.get(pk),
            pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL),
        )
        for position, (pk, row) in enumerate(dashboard.rows.items())
    )
    if connection.vendor != "postgresql":
        DashboardSummaryRow.objects.bulk_create(
            (
                DashboardSummaryRow(
                    summary=summary,
                    account_id=pk,
                    position=position,
                    plan_rank=rank,
                    row=row,
                )
                for pk, position, rank, row in pickled
            ),
            batch_size=ROWS_BATCH,
        )
        return

    table = DashboardSummaryRow._meta.db_table
    sql = f"COPY {table} (summary_id, account_id, position, plan_rank, row) FROM STDIN"
    batch = []
    with connection.cursor() as cursor:
        for pk, position, rank, row in pickled:
            # COPY's text format: \N is null; a bytea is \x and hex digits,
            # its backslash doubled.
            shown_rank = "\\N" if rank is None else rank
            batch.append(
                f"{summary.pk}\t{pk}\t{position}\t{shown_rank}\t\\\\x{row.hex()}\n"
            )
            if len(batch) == ROWS_COPIED:
                _copy_in(cursor, sql, batch)
                batch = []
        if batch:
            _copy_in(cursor, sql, batch)


def _copy_in(cursor: CursorWrapper, sql: str, lines: list[str]) -> None:
    # Logged as execute() is, so query counts and debug tooling see it, and
    # raised as Django's errors, so that _build's IntegrityError holds.
    logged = getattr(cursor, "debug_sql", None)
    with (
        logged(sql) if logged else contextlib.nullcontext(),
        connection.wrap_database_errors,
    ):
        cursor.cursor.copy_expert(sql, io.StringIO("".join(lines)))


def _load(summary: DashboardSummary, *, outdated: bool) -> Dashboard:
    dashboard: Dashboard = pickle.loads(bytes(summary.dashboard))
    if "body_html" not in summary.get_deferred_fields():
        # Rendered by _lean from our template, its text escaped there; only
        # our own code writes this column.
        dashboard.body_html = mark_safe(summary.body_html)
    dashboard.built_at = summary.built_at
    dashboard.outdated = outdated
    return dashboard


def _refresh_request(summary: DashboardSummary) -> None:
    """Ask the task to build this summary (again), unless asked recently."""
    from plans.tasks import dashboard_summary_refresh_task

    now = timezone.now()
    claimed = (
        DashboardSummary.objects.filter(pk=summary.pk, version=summary.version)
        .exclude(refresh_requested_at__gt=now - REFRESH_AGAIN_AFTER)
        .update(refresh_requested_at=now)
    )
    if not claimed:
        return

    def send() -> None:
        try:
            dashboard_summary_refresh_task.delay(summary.pk)
        except Exception:
            # The page already says the figures are older or being prepared;
            # the next request after REFRESH_AGAIN_AFTER asks again.
            logger.exception("Could not enqueue dashboard summary %s", summary.pk)

    transaction.on_commit(send)


def _preparing(
    *,
    user: User,
    filters: DashboardFilters,
    key: str,
    visibility: str,
    version: str,
) -> DashboardPreparing | None:
    """Ask a task for a large dashboard's first summary; None for a small one.

    The filtered accounts are counted first (one COUNT, tens of milliseconds
    at 100,000 accounts): a small dashboard is built in the request. A large
    one is recorded as being prepared, with no figures, before the task is
    sent, so that a broker that is down only delays it.
    """
    run = ScoreRun.objects.filter(is_current=True).only("pk").first()
    accounts = _filtered_accounts(
        visible=account_list_for_user(user=user), filters=filters, run=run
    ).count()
    if accounts <= REBUILD_IN_REQUEST_MAX:
        return None

    summary, _ = DashboardSummary.objects.get_or_create(
        key=key,
        defaults={
            "user": user,
            "visibility": _visibility_hash(visibility),
            "query": {**filters.as_query(), "stale": str(filters.stale_days)},
            "version": "",
            "accounts": accounts,
        },
    )
    return _prepared(summary, filters=filters, version=version)


def _prepared(
    summary: DashboardSummary, *, filters: DashboardFilters, version: str
) -> DashboardPreparing:
    """Ask again for a summary being prepared; return what the page says."""
    _refresh_request(summary)
    summary.refresh_from_db(fields=["refresh_requested_at"])
    nearest = (
        DashboardSummary.objects.filter(
            visibility=summary.visibility, built_at__isnull=False
        )
        .exclude(pk=summary.pk)
        .order_by("-built_at")
        .first()
    )
    return DashboardPreparing(
        filters=filters,
        requested_at=summary.refresh_requested_at or summary.created_at,
        accounts=summary.accounts,
        nearest=(
            _load(nearest, outdated=nearest.version != version)
            if nearest is not None
            else None
        ),
    )


def dashboard_summary_for_user(
    *, user: User, filters: DashboardFilters | None = None, body: bool = True
) -> Dashboard | DashboardPreparing:
    """Return the dashboard the page shows: stored, or built and stored now.

    Without `body` a stored dashboard comes without its rendered filters and
    figures (body_html), which only the dashboard page shows.

    A stored dashboard of the current data is read as it is. One of older
    data is built again now when it covers few accounts; a larger one is
    returned marked outdated, with its time, and a task builds it again.
    A large dashboard never built is left to a task: what is returned then
    says it is being prepared. Filters' notices about the query itself are
    the request's own.
    """
    filters = filters or DashboardFilters(stale_days=plan_stale_days())
    asked_notices = filters.notices
    filters = replace(filters, notices=())
    version = dashboard_data_version()
    visibility = account_visibility_key(user=user)
    key = _summary_key(visibility=visibility, filters=filters)
    kept = DashboardSummary.objects.filter(key=key)
    summary = (kept if body else kept.defer("body_html")).first()
    preparing = None

    if summary is not None and summary.built_at is None:
        preparing = _prepared(summary, filters=filters, version=version)
    elif summary is not None and summary.version == version:
        dashboard = _load(summary, outdated=False)
    elif summary is not None and summary.accounts > REBUILD_IN_REQUEST_MAX:
        _refresh_request(summary)
        dashboard = _load(summary, outdated=True)
    else:
        if summary is None:
            preparing = _preparing(
                user=user,
                filters=filters,
                key=key,
                visibility=visibility,
                version=version,
            )
        if preparing is None:
            built, stored = _build(
                user=user,
                filters=filters,
                key=key,
                version=version,
                visibility=visibility,
            )
            dashboard = (
                _load(stored, outdated=False) if stored is not None else _lean(built)[0]
            )
            if stored is None:
                dashboard.built_at = timezone.now()
    if preparing is not None:
        preparing.filters = replace(filters, notices=asked_notices)
        return preparing

    dashboard.summary_key = key
    dashboard.filters = replace(
        dashboard.filters, notices=asked_notices + dashboard.filters.notices
    )
    return dashboard


class FigureAccounts(Sequence[int]):
    """The accounts behind one stored figure, read a slice at a time.

    For a Paginator: its length is the figure's stored account count, and a
    slice reads only the blocks of ids it falls in, by the unique index on
    summary, figure and block, so a page costs the same at any size.
    """

    def __init__(self, *, summary_key: str, key: str, count: int) -> None:
        self.blocks = DashboardSummaryFigure.objects.filter(
            summary__key=summary_key, key=key
        )
        # Not `count`: Sequence has a count() method of that name.
        self.length = count

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(self.length)
        if stop <= start:
            return []
        first = start // FIGURE_BLOCK
        blocks = (
            self.blocks.filter(block__range=(first, (stop - 1) // FIGURE_BLOCK))
            .order_by("block")
            .values_list("account_ids", flat=True)
        )
        ids = [pk for block in blocks for pk in block]
        offset = first * FIGURE_BLOCK
        return ids[start - offset : stop - offset]

    def after(self, position: int, *, limit: int) -> list[int]:
        """Return up to `limit` accounts whose rows come after `position`.

        Reads the blocks from the one the position falls in, by their last
        positions, in one query.
        """
        blocks = (
            self.blocks.filter(last_position__gt=position)
            .order_by("block")
            .values_list("account_ids", "positions")[: 1 + -(-limit // FIGURE_BLOCK)]
        )
        ids: list[int] = []
        positions: list[int] = []
        for block_ids, block_positions in blocks:
            ids += block_ids
            positions += block_positions
        start = bisect.bisect_right(positions, position)
        return ids[start : start + limit]


class FigureRows(CursorRows):
    """The stored rows of one figure's accounts, by name then id, for paging.

    A cursor holds the exact name and id of the last row shown. The next
    page starts after that row's position when the summary still holds it
    under that name, in one query; when the summary was built again since
    and the row left or was renamed, the position is found by halving the
    rows by name, a query a step.
    """

    ordering = "name,id"

    def __init__(self, *, dashboard: Dashboard, key: str) -> None:
        self.dashboard = dashboard
        self.ids = dashboard_summary_figure_ids(dashboard=dashboard, key=key)
        self.length = len(self.ids)
        self.stored = DashboardSummaryRow.objects.filter(
            summary__key=dashboard.summary_key
        )

    def __getitem__(self, index: slice) -> list[AccountRow]:
        return dashboard_summary_rows(
            dashboard=self.dashboard, account_ids=self.ids[index]
        )

    def cursor_values(self, row: AccountRow) -> list[object]:
        return [row.name, row.pk]

    def rows_after(self, values: list[object], *, limit: int) -> list[AccountRow]:
        name, pk = values
        if not isinstance(name, str) or isinstance(pk, bool) or not isinstance(pk, int):
            raise CursorRefused(CURSOR_VALUE_REFUSED)
        ids = self.ids.after(self._position(name, pk), limit=limit)
        return dashboard_summary_rows(dashboard=self.dashboard, account_ids=ids)

    def _position(self, name: str, pk: int) -> int:
        """Return the position of the last row at or before (name, pk)."""
        held = self.stored.filter(account_id=pk).values_list("position", "row").first()
        if held is not None and pickle.loads(bytes(held[1])).name == name:
            return held[0]

        wanted = (name.lower(), pk)
        totals = self.dashboard.totals or {}
        low, high = 0, totals.get("rows", len(self.dashboard.rows))
        while low < high:
            middle = (low + high) // 2
            found = (
                self.stored.filter(position=middle)
                .values_list("row", flat=True)
                .first()
            )
            stored: AccountRow | None = (
                None if found is None else pickle.loads(bytes(found))
            )
            if stored is not None and (stored.name.lower(), stored.pk) <= wanted:
                low = middle + 1
            else:
                high = middle
        return low - 1


def dashboard_summary_figure_ids(*, dashboard: Dashboard, key: str) -> FigureAccounts:
    """Return the accounts behind one figure of a stored dashboard, by name.

    For paging; `dashboard` is one dashboard_summary_for_user returned.
    """
    return FigureAccounts(
        summary_key=dashboard.summary_key,
        key=key,
        count=dashboard.figures[key].account_count,
    )


def dashboard_summary_rows(
    *, dashboard: Dashboard, account_ids: list[int]
) -> list[AccountRow]:
    """Return the stored rows of these accounts, in the order given.

    For one page of a drill-down, in one query: the rows were stored with
    the summary `dashboard` was read from (dashboard_summary_for_user), so
    they hold what its figures counted, and an account outside the viewer's
    set has no row there.
    """
    stored = dict(
        DashboardSummaryRow.objects.filter(
            summary__key=dashboard.summary_key, account_id__in=account_ids
        ).values_list("account_id", "row")
    )
    return [pickle.loads(bytes(stored[pk])) for pk in account_ids if pk in stored]


def dashboard_summary_row_stream(
    *, dashboard: Dashboard, ranked: bool = False
) -> Iterator[AccountRow]:
    """Yield every stored row of a dashboard, by name, a chunk at a time.

    With `ranked`, the rows with a plan, least complete first, as the plan
    completeness table lists them. For a streamed export; `dashboard` is
    one dashboard_summary_for_user returned. The rows are read in the order
    of an index on (summary, position) or (summary, plan_rank) through a
    server-side cursor on PostgreSQL, so the first rows arrive without all
    100,000 being read, sorted or held. The transaction keeps that cursor
    from being materialised at once, as a cursor outside a transaction
    would be (Django declares it WITH HOLD then).
    """
    stored = DashboardSummaryRow.objects.filter(summary__key=dashboard.summary_key)
    if ranked:
        stored = stored.filter(plan_rank__isnull=False).order_by("plan_rank")
    else:
        stored = stored.order_by("position")
    # No savepoint inside a caller's transaction: nothing here writes.
    with transaction.atomic(savepoint=False):
        for row in stored.values_list("row", flat=True).iterator(
            chunk_size=ROWS_STREAMED
        ):
            yield pickle.loads(bytes(row))


def dashboard_summary_tables(*, dashboard: Dashboard) -> list[Table]:
    """Return a stored dashboard's tables for export, rows read as written.

    `dashboard` is one dashboard_summary_for_user returned. The accounts and
    plan completeness tables stream the stored rows, by name and by rank; a
    table left unread reads nothing.
    """
    return dashboard_tables(
        dashboard=dashboard,
        rows=dashboard_summary_row_stream(dashboard=dashboard),
        ranked=dashboard_summary_row_stream(dashboard=dashboard, ranked=True),
    )


def dashboard_summary_refresh(*, summary_id: int) -> DashboardSummary | None:
    """Build one stored dashboard again as its viewer, if it is still kept."""
    summary = (
        DashboardSummary.objects.filter(pk=summary_id).select_related("user").first()
    )
    if summary is None or not summary.user.is_active:
        return None

    filters = replace(DashboardFilters.from_query(summary.query), notices=())
    version = dashboard_data_version()
    if summary.version == version:
        return summary
    visibility = account_visibility_key(user=summary.user)
    key = _summary_key(visibility=visibility, filters=filters)
    if key != summary.key:
        # The viewer's accounts changed: no request reads this one any more.
        summary.delete()
        return None
    _, stored = _build(
        user=summary.user,
        filters=filters,
        key=summary.key,
        version=version,
        visibility=visibility,
    )
    return stored


def dashboard_summaries_refresh() -> int:
    """Build again every stored dashboard too large to build in a request.

    Run after a score run finishes, so the largest dashboards read the new
    scores at once; smaller ones are built again when next asked for. Those
    still being prepared are built too, in case their own task was lost.
    Those
    not built for SUMMARY_KEPT_DAYS are dropped: a viewer and filters asked
    once need not be kept for ever. Returns how many were built.
    """
    DashboardSummary.objects.filter(
        built_at__lt=timezone.now() - timedelta(days=SUMMARY_KEPT_DAYS)
    ).delete()
    version = dashboard_data_version()
    large = list(
        DashboardSummary.objects.filter(
            Q(accounts__gt=REBUILD_IN_REQUEST_MAX) | Q(built_at__isnull=True)
        )
        .exclude(version=version)
        .values_list("pk", flat=True)
    )
    built = 0
    for summary_id in large:
        if dashboard_summary_refresh(summary_id=summary_id) is not None:
            built += 1
    return built
