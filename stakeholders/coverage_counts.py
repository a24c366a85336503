"""Keep each account's coverage counts equal to a fresh count of its people.

Two halves. Database triggers mark an account in CoverageChangedAccount in
the same transaction as any write that can change its counts: a person, a
person's roles, a touch and whom it touched, the account's own expected
roles, the account itself (its sector picks the default roles), and the
sector defaults (which mark every account). Every writer is covered
without knowing of it: the pages, the API, the people import's set-based
writes, erasure, undo, cascades, the admin. Then a fold counts the marked
accounts again, with the same rules as the coverage page
(stakeholders.selectors), and unmarks them.

So at every commit, an account that is not marked has counts equal to a
fresh count; the page adds the stored counts of unmarked accounts to a
live count of the marked ones, and is exact between a write and its fold.
Writes ask the worker for a fold after they commit (stakeholders.receivers);
the marks themselves are the pending work config.pending sends again.

The fold also keeps CoverageTotal, the stored counts summed over every
account, and CoverageQuietDay, the quiet people by day, in the transaction
that rewrites the counts: the roll-up of every account reads those and the
marked accounts, never a row per account.

On PostgreSQL one statement-level trigger per table and kind of write
marks the statement's accounts from its transition table, set-based; on
SQLite a row-level trigger marks one row's account. The mark is an upsert
that updates the row it meets: it waits for a fold holding that mark
locked, then marks again once the fold has deleted it, so a write that
lands during a fold is never unmarked by it.

SQLite drops a table's triggers when a migration rebuilds the table, so
after every migrate `coverage_counts_ensure` installs missing triggers and
marks every account.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account
from stakeholders.coverage import Kind
from stakeholders.models import (
    AccountCoverageCount,
    AccountExpectedRole,
    Activity,
    CoverageChangedAccount,
    CoverageQuietDay,
    CoverageQuietPerson,
    CoverageTotal,
    SectorRoleDefault,
    Stakeholder,
)

logger = logging.getLogger(__name__)

CHANGED = CoverageChangedAccount._meta.db_table
PERSON = Stakeholder._meta.db_table
ACTIVITY = Activity._meta.db_table
ACCOUNT = Account._meta.db_table
# Accounts folded in one statement: within SQLite's limit on parameters.
FOLD_BATCH = 2_000
# The counts a fold keeps, by the name _person_finding_counts gives them.
KEPT = {
    "people": "people",
    "supporters": "supporters",
    Kind.NO_OWNER: "no_owner",
    Kind.UNADDRESSED_OPPONENT: "unaddressed_opponent",
    Kind.EMPTY_SUIT: "empty_suit",
    Kind.HIDDEN_INFLUENCER: "hidden_influencer",
}

# CoverageTotal's sums, in its columns' order: accounts, threaded, counts.
TOTALLED = (
    "accounts",
    "threaded",
    "people",
    "missing_role",
    "no_owner",
    "unaddressed_opponent",
    "empty_suit",
    "hidden_influencer",
)

NOBODY: dict[str, Any] = {}


def _watched() -> list[tuple[str, str]]:
    # Each watched table, and SQL giving a changed row's account from `row`.
    return [
        (PERSON, "row.account_id"),
        (
            Stakeholder.roles.through._meta.db_table,
            f"(SELECT account_id FROM {PERSON} WHERE id = row.stakeholder_id)",
        ),
        (ACTIVITY, "row.account_id"),
        (
            Activity.stakeholders.through._meta.db_table,
            f"(SELECT account_id FROM {ACTIVITY} WHERE id = row.activity_id)",
        ),
        (AccountExpectedRole._meta.db_table, "row.account_id"),
        (ACCOUNT, "row.id"),
    ]


DEFAULTS = SectorRoleDefault._meta.db_table
EVENTS = ("insert", "update", "delete")


def _trigger_names() -> list[str]:
    tables = [table for table, _ in _watched()] + [DEFAULTS]
    return [f"coverage_mark_{table}_{event}" for table in tables for event in EVENTS]


def _mark_sql(select: str, vendor: str) -> str:
    # The upsert that marks the accounts `select` gives (see the docstring).
    now = "now()" if vendor == "postgresql" else "CURRENT_TIMESTAMP"
    return (
        f"INSERT INTO {CHANGED} (account_id, marked_at) "
        f"SELECT DISTINCT account_id, {now} FROM ({select}) AS marked "
        "WHERE account_id IS NOT NULL "
        f"ON CONFLICT (account_id) DO UPDATE SET marked_at = excluded.marked_at"
    )


def _postgresql_statements() -> list[str]:
    statements = []
    for table, account in [*_watched(), (DEFAULTS, "")]:
        for event in EVENTS:
            name = f"coverage_mark_{table}_{event}"
            rows = "old_rows" if event == "delete" else "new_rows"
            if table == DEFAULTS:
                # A statement trigger fires for no rows too: mark nothing then.
                select = (
                    f"SELECT id AS account_id FROM {ACCOUNT} "
                    f"WHERE EXISTS (SELECT 1 FROM {rows})"
                )
            elif table == ACCOUNT and event == "update":
                # Only a new sector changes the roles an account expects;
                # a score run or an import rewrites accounts far more often.
                select = (
                    "SELECT row.id AS account_id FROM new_rows AS row "
                    "JOIN old_rows AS gone ON gone.id = row.id "
                    "WHERE row.sector IS DISTINCT FROM gone.sector"
                )
            else:
                select = f"SELECT {account} AS account_id FROM {rows} AS row"
                if event == "update":
                    # A row moved to another account changes both.
                    select += (
                        " UNION ALL SELECT "
                        + account.replace("row.", "gone.")
                        + " FROM old_rows AS gone"
                    )
            referencing = {
                "insert": "REFERENCING NEW TABLE AS new_rows",
                "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "delete": "REFERENCING OLD TABLE AS old_rows",
            }[event]
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                f"{_mark_sql(select, 'postgresql')}; RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            ]
    return statements


def _sqlite_statements() -> list[str]:
    statements = []
    for table, account in [*_watched(), (DEFAULTS, "")]:
        for event in EVENTS:
            name = f"coverage_mark_{table}_{event}"
            if table == DEFAULTS:
                selects = [f"SELECT id AS account_id FROM {ACCOUNT}"]
            else:
                rows = ["OLD"] if event == "delete" else ["NEW"]
                if event == "update":
                    rows.append("OLD")
                selects = [
                    f"SELECT {account.replace('row.', f'{row}.')} AS account_id"
                    for row in rows
                ]
            body = " ".join(_mark_sql(select, "sqlite") + ";" for select in selects)
            when = ""
            if table == ACCOUNT and event == "update":
                when = "WHEN OLD.sector IS NOT NEW.sector "
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                f"FOR EACH ROW {when}BEGIN {body} END"
            )
    return statements


def coverage_counts_install(*, connection: BaseDatabaseWrapper) -> None:
    """Create the triggers that mark changed accounts, replacing any."""
    coverage_counts_uninstall(connection=connection)
    if connection.vendor == "postgresql":
        statements = _postgresql_statements()
    else:
        statements = _sqlite_statements()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def coverage_counts_uninstall(*, connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers, if they are there."""
    tables = [table for table, _ in _watched()] + [DEFAULTS]
    with connection.cursor() as cursor:
        for table in tables:
            for event in EVENTS:
                name = f"coverage_mark_{table}_{event}"
                if connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                    cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
                else:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _installed(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall()}


def coverage_counts_mark_all(*, connection: BaseDatabaseWrapper) -> None:
    """Mark every account, so the next fold counts them all again."""
    with connection.cursor() as cursor:
        cursor.execute(
            _mark_sql(
                f"SELECT id AS account_id FROM {ACCOUNT}",
                connection.vendor,
            )
        )


def coverage_counts_ensure(*, connection: BaseDatabaseWrapper) -> bool:
    """Install missing triggers and mark every account; say if it had to."""
    tables = set(connection.introspection.table_names())
    if CHANGED not in tables or PERSON not in tables:
        return False
    if set(_trigger_names()) <= _installed(connection):
        return False

    logger.warning("Coverage triggers were missing; every account is marked")
    coverage_counts_install(connection=connection)
    coverage_counts_mark_all(connection=connection)
    return True


def coverage_counts_compute(
    *, account_ids: Iterable[int]
) -> tuple[list[AccountCoverageCount], list[CoverageQuietPerson]]:
    """Count these accounts' coverage afresh, as unsaved rows.

    Accounts that no longer exist get none. In a fixed number of queries
    for any number of accounts (FOLD_BATCH at most, for SQLite).
    """
    from stakeholders.selectors import (
        _active_people,
        _person_finding_counts,
        role_unheld_counts,
    )

    accounts = dict(
        Account.objects.filter(pk__in=list(account_ids)).values_list("pk", "sector")
    )
    ids = list(accounts)
    if not ids:
        return [], []
    people = _active_people().filter(account_id__in=ids)
    wanted = _person_finding_counts(timezone.now())
    counted: dict[int, Any] = {
        row["account_id"]: row
        for row in people.values("account_id").annotate(
            **{name: wanted[name] for name in KEPT}
        )
    }
    missing = role_unheld_counts(scope=ids, sectors=set(accounts.values()))
    counts = [
        AccountCoverageCount(
            account_id=pk,
            missing_role=missing.get(pk, 0),
            **{field: counted.get(pk, {}).get(name, 0) for name, field in KEPT.items()},
        )
        for pk in ids
    ]
    quiet = [
        CoverageQuietPerson(
            stakeholder_id=row["pk"],
            account_id=row["account_id"],
            quiet_since=row["quiet_since"],
        )
        for row in people.filter(owner__isnull=False)
        .annotate(quiet_since=Coalesce(Max("activities__occurred_at"), "created_at"))
        .values("pk", "account_id", "quiet_since")
    ]
    return counts, quiet


def _summed(counts: Iterable[AccountCoverageCount]) -> dict[str, int]:
    # One account's share of CoverageTotal is its counts, and one account
    # threaded when it has more than one supporter.
    summed = dict.fromkeys(TOTALLED, 0)
    for count in counts:
        summed["accounts"] += 1
        summed["threaded"] += int(count.supporters > 1)
        for field in TOTALLED[2:]:
            summed[field] += getattr(count, field)
    return summed


def _quiet_days(moments: Iterable[datetime]) -> Counter[date]:
    return Counter(moment.astimezone(UTC).date() for moment in moments)


def _totals_add(*, gone: dict[str, int], new: dict[str, int]) -> None:
    # An upsert that adds: the row may be missing (a flushed test database),
    # and two folds of other accounts may add at once.
    change = {field: new[field] - gone[field] for field in TOTALLED}
    if not any(change.values()):
        return
    table = CoverageTotal._meta.db_table
    columns = ", ".join(TOTALLED)
    additions = ", ".join(
        f"{field} = {table}.{field} + excluded.{field}" for field in TOTALLED
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, {columns}) "
            f"VALUES (1, {', '.join(['%s'] * len(TOTALLED))}) "
            f"ON CONFLICT (id) DO UPDATE SET {additions}",
            [change[field] for field in TOTALLED],
        )


def _quiet_days_add(change: Counter[date]) -> None:
    # In the days' order, so two folds adding to the same days lock them in
    # the same order and cannot deadlock; the days left empty are only ones
    # this transaction holds already.
    days = sorted((day, people) for day, people in change.items() if people)
    if not days:
        return
    table = CoverageQuietDay._meta.db_table
    addition = f"people = {table}.people + excluded.people"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (day, people) VALUES (%s, %s) "
            f"ON CONFLICT (day) DO UPDATE SET {addition}",
            days,
        )
    CoverageQuietDay.objects.filter(day__in=[day for day, _ in days], people=0).delete()


def _store(account_ids: list[int]) -> None:
    counts, quiet = coverage_counts_compute(account_ids=account_ids)
    stored = AccountCoverageCount.objects.filter(account_id__in=account_ids)
    stored_quiet = CoverageQuietPerson.objects.filter(account_id__in=account_ids)
    gone = _summed(stored)
    quiet_days = _quiet_days(row.quiet_since for row in quiet)
    quiet_days.subtract(_quiet_days(stored_quiet.values_list("quiet_since", flat=True)))

    stored.delete()
    stored_quiet.delete()
    AccountCoverageCount.objects.bulk_create(counts)
    CoverageQuietPerson.objects.bulk_create(quiet)
    _totals_add(gone=gone, new=_summed(counts))
    _quiet_days_add(quiet_days)


def coverage_counts_fold() -> int:
    """Count every marked account again and unmark it; return how many.

    Each batch in its own transaction, holding its marks locked: a writer
    marking one of them waits, and marks it again after (module docstring).
    Marks another fold holds are skipped, not waited for.
    """
    folded = 0
    while True:
        with transaction.atomic():
            marked = list(
                CoverageChangedAccount.objects.select_for_update(skip_locked=True)
                .order_by("account_id")
                .values_list("account_id", flat=True)[:FOLD_BATCH]
            )
            if not marked:
                return folded
            _store(marked)
            CoverageChangedAccount.objects.filter(account_id__in=marked).delete()
        folded += len(marked)
        if len(marked) < FOLD_BATCH:
            return folded


def coverage_counts_fold_on_commit() -> None:
    """Ask the worker to fold once the current transaction commits.

    One fold a transaction: it counts every account marked by then, so the
    further saves and role changes of one write add nothing to wait for. A
    fold of a rolled-back savepoint is dropped with it, and asked again.
    The marks are the pending work: a broker that is down only delays the
    fold (config.pending sends it again), and the page counts marked
    accounts afresh until then. In the embedded default the task runs in
    process, after the commit.
    """
    # Each entry holds the savepoint ids, then the callback.
    if connection.in_atomic_block and any(
        entry[1] is _fold_send for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(_fold_send, using=connection.alias, robust=True)


def _fold_send() -> None:
    from stakeholders.tasks import coverage_counts_fold_task

    coverage_counts_fold_task.delay()
