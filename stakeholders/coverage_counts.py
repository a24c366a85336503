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

The fold keeps the same sums per viewer too (CoverageViewerTotal,
CoverageViewerQuietDay): over the accounts each rep or manager sees by
team, as accounts.selectors.account_team_scope has them, so their roll-up
reads one row as well. Folding an account adds its change to everyone who
sees it. A write that changes who sees what (a membership, a person's
team or role, a team's manager) marks the people whose accounts it may
change, by triggers as above, and the fold counts their totals again from
the stored counts. The two kinds of fold work take one lock before they
read who sees what (_viewers_serialise), so a recount never misses an
account's change folded beside it.

SQLite drops a table's triggers when a migration rebuilds the table, so
after every migrate `coverage_counts_ensure` installs missing triggers and
marks every account, or every viewer.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account, AccountTeamMember, Team, User
from stakeholders.coverage import Kind
from stakeholders.models import (
    AccountCoverageCount,
    AccountExpectedRole,
    Activity,
    CoverageChangedAccount,
    CoverageChangedViewer,
    CoverageQuietDay,
    CoverageQuietPerson,
    CoverageTotal,
    CoverageViewerQuietDay,
    CoverageViewerTotal,
    SectorRoleDefault,
    Stakeholder,
)

logger = logging.getLogger(__name__)

CHANGED = CoverageChangedAccount._meta.db_table
PERSON = Stakeholder._meta.db_table
ACTIVITY = Activity._meta.db_table
ACCOUNT = Account._meta.db_table
VIEWERS_CHANGED = CoverageChangedViewer._meta.db_table
MEMBER = AccountTeamMember._meta.db_table
USER = User._meta.db_table
TEAM = Team._meta.db_table
# Accounts folded in one statement: within SQLite's limit on parameters.
FOLD_BATCH = 2_000
# Viewers counted again in one transaction: a manager's sum reads every
# account they see, so fewer of them than accounts.
VIEWER_BATCH = 200
# The transaction lock that orders viewer recounts and the folds adding
# to viewers' totals (accounts.services' import lock is 8_100_001).
VIEWERS_LOCK = 8_100_002
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


def _mark_sql(
    select: str, vendor: str, *, table: str = CHANGED, column: str = "account_id"
) -> str:
    # The upsert that marks the accounts (or viewers) `select` gives in
    # `column` (see the docstring).
    now = "now()" if vendor == "postgresql" else "CURRENT_TIMESTAMP"
    return (
        f"INSERT INTO {table} ({column}, marked_at) "
        f"SELECT DISTINCT {column}, {now} FROM ({select}) AS marked "
        f"WHERE {column} IS NOT NULL "
        f"ON CONFLICT ({column}) DO UPDATE SET marked_at = excluded.marked_at"
    )


def _postgresql_mark(mark: str, *, pairs: bool) -> str:
    """Return the trigger function's statement that runs `mark`."""
    # PL/pgSQL plans a static statement once a session and keeps the plan,
    # made for the transition tables of whichever statement fired first.
    # After a one-row save, a join of the old rows to the new ones stays a
    # nested loop: a later UPDATE of 5,000 accounts in the same session
    # compared 25 million pairs (8.8 s), and the bundled import wrote its
    # 100,000 accounts in 108 s (11 s with this). A mark that pairs the
    # two tables runs through EXECUTE, planned for each statement's rows.
    if not pairs:
        return mark
    return f"EXECUTE $mark${mark}$mark$"


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
            mark = _postgresql_mark(
                _mark_sql(select, "postgresql"),
                pairs=table == ACCOUNT and event == "update",
            )
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {mark}; RETURN NULL; END $$",
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
    """Install missing triggers and mark what they watch; say if it had to."""
    tables = set(connection.introspection.table_names())
    if CHANGED not in tables or PERSON not in tables:
        return False
    installed = _installed(connection)
    ensured = False
    if not set(_trigger_names()) <= installed:
        logger.warning("Coverage triggers were missing; every account is marked")
        coverage_counts_install(connection=connection)
        coverage_counts_mark_all(connection=connection)
        ensured = True
    if VIEWERS_CHANGED in tables and not set(_viewer_trigger_names()) <= installed:
        logger.warning("Viewer triggers were missing; every viewer is marked")
        coverage_viewers_install(connection=connection)
        coverage_viewers_mark_all(connection=connection)
        ensured = True
    return ensured


# Each write that can change who sees an account by team marks viewers: a
# membership its person and their team's manager, a person moved or given
# another role them and both teams' managers, a team given another manager
# both managers. {row} and {gone} stand for a changed row, new and old.


def _viewer_trigger_names() -> list[str]:
    return [name for name, _, _ in _viewer_triggers()]


def _viewer_triggers() -> list[tuple[str, str, str]]:
    # (name, table, event) of each trigger that marks viewers.
    watched = [(MEMBER, event) for event in EVENTS]
    watched += [(USER, "update"), (TEAM, "update")]
    return [
        (f"coverage_viewer_{table}_{event}", table, event) for table, event in watched
    ]


def _viewer_select_postgresql(table: str, event: str) -> str:
    if table == MEMBER:
        sources = ["old_rows"] if event == "delete" else ["new_rows"]
        if event == "update":
            sources.append("old_rows")
        return " UNION ALL ".join(
            f"SELECT row.user_id AS viewer_id FROM {source} AS row UNION ALL "
            f"SELECT t.manager_id AS viewer_id FROM {source} AS row "
            f"JOIN {USER} u ON u.id = row.user_id JOIN {TEAM} t ON t.id = u.team_id"
            for source in sources
        )
    pairs = "FROM new_rows AS row JOIN old_rows AS gone ON gone.id = row.id"
    if table == USER:
        changed = "(row.team_id IS DISTINCT FROM gone.team_id OR row.role <> gone.role)"
        return (
            f"SELECT row.id AS viewer_id {pairs} WHERE {changed} UNION ALL "
            f"SELECT t.manager_id AS viewer_id {pairs} JOIN {TEAM} t "
            f"ON t.id IN (row.team_id, gone.team_id) WHERE {changed}"
        )
    changed = "row.manager_id IS DISTINCT FROM gone.manager_id"
    return (
        f"SELECT row.manager_id AS viewer_id {pairs} WHERE {changed} UNION ALL "
        f"SELECT gone.manager_id AS viewer_id {pairs} WHERE {changed}"
    )


def _viewer_statements_sqlite(table: str, event: str) -> tuple[str, list[str]]:
    # The trigger's WHEN, and the SELECTs of the viewers to mark.
    if table == MEMBER:
        rows = ["OLD"] if event == "delete" else ["NEW"]
        if event == "update":
            rows.append("OLD")
        return "", [
            f"SELECT {row}.user_id AS viewer_id UNION ALL "
            f"SELECT t.manager_id AS viewer_id FROM {TEAM} t JOIN {USER} u "
            f"ON u.team_id = t.id WHERE u.id = {row}.user_id"
            for row in rows
        ]
    if table == USER:
        when = "WHEN OLD.team_id IS NOT NEW.team_id OR OLD.role IS NOT NEW.role "
        return when, [
            "SELECT NEW.id AS viewer_id UNION ALL "
            f"SELECT manager_id AS viewer_id FROM {TEAM} "
            "WHERE id IN (NEW.team_id, OLD.team_id)"
        ]
    when = "WHEN OLD.manager_id IS NOT NEW.manager_id "
    return when, [
        "SELECT NEW.manager_id AS viewer_id UNION ALL "
        "SELECT OLD.manager_id AS viewer_id"
    ]


def coverage_viewers_install(*, connection: BaseDatabaseWrapper) -> None:
    """Create the triggers that mark viewers whose accounts changed."""
    coverage_viewers_uninstall(connection=connection)
    vendor = connection.vendor
    statements = []
    for name, table, event in _viewer_triggers():
        if vendor == "postgresql":
            referencing = {
                "insert": "REFERENCING NEW TABLE AS new_rows",
                "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "delete": "REFERENCING OLD TABLE AS old_rows",
            }[event]
            mark = _postgresql_mark(
                _mark_sql(
                    _viewer_select_postgresql(table, event),
                    vendor,
                    table=VIEWERS_CHANGED,
                    column="viewer_id",
                ),
                # A user's or a team's update pairs its old and new rows.
                pairs=table != MEMBER,
            )
            statements += [
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$ BEGIN {mark}; RETURN NULL; END $$",
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
            ]
        else:
            when, selects = _viewer_statements_sqlite(table, event)
            body = " ".join(
                _mark_sql(select, vendor, table=VIEWERS_CHANGED, column="viewer_id")
                + ";"
                for select in selects
            )
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                f"FOR EACH ROW {when}BEGIN {body} END"
            )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def coverage_viewers_uninstall(*, connection: BaseDatabaseWrapper) -> None:
    """Drop the viewers' triggers, if they are there."""
    with connection.cursor() as cursor:
        for name, table, _ in _viewer_triggers():
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def coverage_viewers_mark_all(*, connection: BaseDatabaseWrapper) -> None:
    """Mark every person, so the next fold counts each one's total again."""
    with connection.cursor() as cursor:
        cursor.execute(
            _mark_sql(
                f"SELECT id AS viewer_id FROM {USER}",
                connection.vendor,
                table=VIEWERS_CHANGED,
                column="viewer_id",
            )
        )


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


def _share(count: AccountCoverageCount | None) -> dict[str, int]:
    # One account's share of a total: its counts, and one account threaded
    # when it has more than one supporter.
    if count is None:
        return dict.fromkeys(TOTALLED, 0)
    return {
        "accounts": 1,
        "threaded": int(count.supporters > 1),
        **{field: getattr(count, field) for field in TOTALLED[2:]},
    }


def _summed(counts: Iterable[AccountCoverageCount]) -> dict[str, int]:
    summed = dict.fromkeys(TOTALLED, 0)
    for count in counts:
        for field, value in _share(count).items():
            summed[field] += value
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
    stored = list(AccountCoverageCount.objects.filter(account_id__in=account_ids))
    stored_quiet = CoverageQuietPerson.objects.filter(account_id__in=account_ids)
    gone_quiet = list(stored_quiet.values_list("account_id", "quiet_since"))
    quiet_days = _quiet_days(row.quiet_since for row in quiet)
    quiet_days.subtract(_quiet_days(moment for _, moment in gone_quiet))

    stored_quiet.delete()
    AccountCoverageCount.objects.filter(account_id__in=account_ids).delete()
    AccountCoverageCount.objects.bulk_create(counts)
    CoverageQuietPerson.objects.bulk_create(quiet)
    _totals_add(gone=_summed(stored), new=_summed(counts))
    _quiet_days_add(quiet_days)
    _viewers_add(
        changes=_account_changes(
            gone=stored,
            new=counts,
            gone_quiet=gone_quiet,
            new_quiet=[(row.account_id, row.quiet_since) for row in quiet],
        )
    )


@dataclass
class _AccountChange:
    # How one account's share of its viewers' totals and quiet days moved.
    totals: dict[str, int]
    days: Counter[date]


def _account_changes(
    *,
    gone: list[AccountCoverageCount],
    new: list[AccountCoverageCount],
    gone_quiet: list[tuple[int, datetime]],
    new_quiet: list[tuple[int, datetime]],
) -> dict[int, _AccountChange]:
    """Return the accounts whose share moved, with how it moved."""
    before = {count.account_id: count for count in gone}
    after = {count.account_id: count for count in new}
    days: dict[int, Counter[date]] = {}
    for sign, rows in ((1, new_quiet), (-1, gone_quiet)):
        for account_id, moment in rows:
            day = moment.astimezone(UTC).date()
            days.setdefault(account_id, Counter())[day] += sign
    changes = {}
    for account_id in before.keys() | after.keys() | days.keys():
        old = _share(before.get(account_id))
        totals = {
            field: value - old[field]
            for field, value in _share(after.get(account_id)).items()
        }
        moved = Counter(
            {day: people for day, people in days.get(account_id, {}).items() if people}
        )
        if any(totals.values()) or moved:
            changes[account_id] = _AccountChange(totals=totals, days=moved)
    return changes


def _viewers_serialise() -> None:
    # Held to the end of the transaction. A recount reads the stored counts
    # after taking it, so it sees every fold that added to its viewers
    # before, and a fold reads who sees its accounts after taking it, so
    # it sees every membership a recount before it counted (the module
    # docstring). SQLite runs one writing transaction at a time anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [VIEWERS_LOCK])


def _seen_sql(*, by: str, ids: list[int]) -> tuple[str, list[Any]]:
    """Return SQL giving (viewer_id, account_id) for who sees what by team.

    As accounts.selectors.account_team_scope has it: each member of an
    account's team sees it, and so does the manager of a member's team,
    when that manager is a sales manager. `by` picks the rows: "account"
    for these accounts' viewers, "viewer" for these viewers' accounts.
    """
    marks = ", ".join(["%s"] * len(ids)) or "NULL"
    member, manager = {
        "account": (f"m.account_id IN ({marks})", f"m.account_id IN ({marks})"),
        "viewer": (f"m.user_id IN ({marks})", f"t.manager_id IN ({marks})"),
    }[by]
    sql = (
        f"SELECT m.user_id AS viewer_id, m.account_id FROM {MEMBER} m "
        f"WHERE {member} UNION "
        f"SELECT t.manager_id AS viewer_id, m.account_id FROM {MEMBER} m "
        f"JOIN {USER} u ON u.id = m.user_id JOIN {TEAM} t ON t.id = u.team_id "
        f"JOIN {USER} boss ON boss.id = t.manager_id "
        f"WHERE boss.role = %s AND {manager}"
    )
    return sql, [*ids, User.Role.MANAGER.value, *ids]


def _viewers_add(*, changes: dict[int, _AccountChange]) -> None:
    """Add each changed account's share to everyone who sees it by team."""
    if not changes:
        return

    _viewers_serialise()
    sql, params = _seen_sql(by="account", ids=sorted(changes))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        seen = cursor.fetchall()
    totals: dict[int, dict[str, int]] = {}
    days: Counter[tuple[int, date]] = Counter()
    for viewer_id, account_id in seen:
        change = changes[account_id]
        summed = totals.setdefault(viewer_id, dict.fromkeys(TOTALLED, 0))
        for field, value in change.totals.items():
            summed[field] += value
        for day, people in change.days.items():
            days[(viewer_id, day)] += people

    # In the viewers' order, as _quiet_days_add, and under the lock anyway.
    table = CoverageViewerTotal._meta.db_table
    columns = ", ".join(TOTALLED)
    additions = ", ".join(
        f"{field} = {table}.{field} + excluded.{field}" for field in TOTALLED
    )
    rows = [
        [viewer_id, *(summed[field] for field in TOTALLED)]
        for viewer_id, summed in sorted(totals.items())
        if any(summed.values())
    ]
    day_table = CoverageViewerQuietDay._meta.db_table
    day_rows = sorted((*key, people) for key, people in days.items() if people)
    with connection.cursor() as cursor:
        if rows:
            cursor.executemany(
                f"INSERT INTO {table} (viewer_id, {columns}) "
                f"VALUES (%s, {', '.join(['%s'] * len(TOTALLED))}) "
                f"ON CONFLICT (viewer_id) DO UPDATE SET {additions}",
                rows,
            )
        if day_rows:
            cursor.executemany(
                f"INSERT INTO {day_table} (viewer_id, day, people) "
                "VALUES (%s, %s, %s) ON CONFLICT (viewer_id, day) "
                f"DO UPDATE SET people = {day_table}.people + excluded.people",
                day_rows,
            )
    CoverageViewerTotal.objects.filter(
        viewer_id__in=[row[0] for row in rows], accounts=0
    ).delete()
    CoverageViewerQuietDay.objects.filter(
        viewer_id__in={row[0] for row in day_rows}, people=0
    ).delete()


def _viewers_recount(viewer_ids: list[int]) -> None:
    """Sum these viewers' totals and quiet days again from the stored rows."""
    _viewers_serialise()
    seen, params = _seen_sql(by="viewer", ids=viewer_ids)
    counts = AccountCoverageCount._meta.db_table
    quiet = CoverageQuietPerson._meta.db_table
    sums = ", ".join(f"SUM(c.{field})" for field in TOTALLED[2:])
    if connection.vendor == "postgresql":
        day = "(q.quiet_since AT TIME ZONE 'UTC')::date"
    else:
        day = "date(q.quiet_since)"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.viewer_id, COUNT(*), "
            f"SUM(CASE WHEN c.supporters > 1 THEN 1 ELSE 0 END), {sums} "
            f"FROM ({seen}) s JOIN {counts} c ON c.account_id = s.account_id "
            "GROUP BY s.viewer_id",
            params,
        )
        totals = cursor.fetchall()
        cursor.execute(
            f"SELECT s.viewer_id, {day}, COUNT(*) "
            f"FROM ({seen}) s JOIN {quiet} q ON q.account_id = s.account_id "
            "GROUP BY 1, 2",
            params,
        )
        days = cursor.fetchall()

    CoverageViewerTotal.objects.filter(viewer_id__in=viewer_ids).delete()
    CoverageViewerQuietDay.objects.filter(viewer_id__in=viewer_ids).delete()
    CoverageViewerTotal.objects.bulk_create(
        CoverageViewerTotal(
            viewer_id=viewer_id,
            **{field: int(value) for field, value in zip(TOTALLED, sums, strict=True)},
        )
        for viewer_id, *sums in totals
    )
    CoverageViewerQuietDay.objects.bulk_create(
        CoverageViewerQuietDay(
            viewer_id=viewer_id,
            day=moment if isinstance(moment, date) else date.fromisoformat(moment),
            people=people,
        )
        for viewer_id, moment, people in days
    )


def coverage_counts_fold() -> int:
    """Count every marked account again and unmark it; return how many.

    Each batch in its own transaction, holding its marks locked: a writer
    marking one of them waits, and marks it again after (module docstring).
    Marks another fold holds are skipped, not waited for. Then the marked
    viewers' totals are counted again, the same way.
    """
    folded = _marks_fold(CoverageChangedAccount, "account_id", FOLD_BATCH, _store)
    viewers = coverage_viewers_fold()
    if viewers:
        logger.info("coverage totals counted again for %s viewers", viewers)
    return folded


def coverage_viewers_fold() -> int:
    """Count every marked viewer's totals again and unmark them; say how many."""
    return _marks_fold(
        CoverageChangedViewer, "viewer_id", VIEWER_BATCH, _viewers_recount
    )


def _marks_fold(
    model: type[models.Model],
    key: str,
    batch: int,
    count: Callable[[list[int]], object],
) -> int:
    """Count the marked keys again a batch at a time, unmarking each batch."""
    done = 0
    while True:
        with transaction.atomic():
            marked = list(
                model._default_manager.select_for_update(skip_locked=True)
                .order_by(key)
                .values_list(key, flat=True)[:batch]
            )
            if marked:
                count(marked)
                model._default_manager.filter(**{f"{key}__in": marked}).delete()
        done += len(marked)
        if len(marked) < batch:
            return done


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
