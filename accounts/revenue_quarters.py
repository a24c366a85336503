"""Keep RevenueQuarter equal to the revenue lines summed per quarter.

Database triggers do it, so every writer of revenue lines keeps the sums
right without knowing of them: the importers, the wizard and its undo,
merges, deletes that cascade from an account, the admin, bulk COPY. On
PostgreSQL one statement-level trigger per kind of write groups the
statement's transition table and upserts the differences, set-based; on
SQLite (development and tests, small data) a row-level trigger adds or
takes away one line at a time. A key whose last line goes is deleted.

SQLite drops a table's triggers when a migration rebuilds the table, so
after every migrate `revenue_quarters_ensure` installs missing triggers
and then rebuilds the sums from the lines.
"""

import logging

from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

LINES = "accounts_revenueline"
QUARTERS = "accounts_revenuequarter"
KEY = "account_id, product_id, quarter_start, currency, source"
TRIGGERS = [
    "accounts_revenue_quarter_insert",
    "accounts_revenue_quarter_update",
    "accounts_revenue_quarter_delete",
    "accounts_revenue_quarter_truncate",
]
FUNCTION = "accounts_revenue_quarter_apply"

UPSERT = (
    f"INSERT INTO {QUARTERS} ({KEY}, amount, lines) "
    "SELECT {key}, sum(amount), sum(lines) FROM ({changes}) AS changes "
    "GROUP BY {key} HAVING sum(amount) <> 0 OR sum(lines) <> 0 ORDER BY {key} "
    f"ON CONFLICT ({KEY}) DO UPDATE SET "
    f"amount = {QUARTERS}.amount + EXCLUDED.amount, "
    f"lines = {QUARTERS}.lines + EXCLUDED.lines"
)
ADDED = f"SELECT {KEY}, amount, 1 AS lines FROM new_lines"
TAKEN = f"SELECT {KEY}, -amount AS amount, -1 AS lines FROM old_lines"

POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM {QUARTERS};
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        {UPSERT.format(key=KEY, changes=ADDED)};
    ELSIF TG_OP = 'DELETE' THEN
        {UPSERT.format(key=KEY, changes=TAKEN)};
    ELSE
        {UPSERT.format(key=KEY, changes=ADDED + " UNION ALL " + TAKEN)};
    END IF;
    DELETE FROM {QUARTERS} WHERE lines = 0;
    RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGERS = [
    f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON {LINES} "
    "REFERENCING NEW TABLE AS new_lines "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE ON {LINES} "
    "REFERENCING OLD TABLE AS old_lines NEW TABLE AS new_lines "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON {LINES} "
    "REFERENCING OLD TABLE AS old_lines "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    f"CREATE TRIGGER {TRIGGERS[3]} AFTER TRUNCATE ON {LINES} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
]


def _sqlite_add(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {QUARTERS} ({KEY}, amount, lines) VALUES ("
        f"{row}.account_id, {row}.product_id, {row}.quarter_start, "
        f"{row}.currency, {row}.source, {sign}{row}.amount, {sign}1) "
        f"ON CONFLICT ({KEY}) DO UPDATE SET "
        "amount = amount + excluded.amount, lines = lines + excluded.lines;"
    )


def _sqlite_prune(row: str) -> str:
    return (
        f"DELETE FROM {QUARTERS} WHERE account_id = {row}.account_id "
        f"AND product_id = {row}.product_id "
        f"AND quarter_start = {row}.quarter_start "
        f"AND currency = {row}.currency AND source = {row}.source "
        "AND lines = 0;"
    )


SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON {LINES} "
    f"BEGIN {_sqlite_add('NEW', '')} END",
    f"CREATE TRIGGER {TRIGGERS[1]} AFTER UPDATE ON {LINES} BEGIN "
    f"{_sqlite_add('OLD', '-')} {_sqlite_prune('OLD')} "
    f"{_sqlite_add('NEW', '')} {_sqlite_prune('NEW')} END",
    f"CREATE TRIGGER {TRIGGERS[2]} AFTER DELETE ON {LINES} BEGIN "
    f"{_sqlite_add('OLD', '-')} {_sqlite_prune('OLD')} END",
]

REBUILD = [
    f"DELETE FROM {QUARTERS}",
    f"INSERT INTO {QUARTERS} ({KEY}, amount, lines) "
    f"SELECT {KEY}, sum(amount), count(*) FROM {LINES} GROUP BY {KEY}",
]


def _installed(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass",
                [LINES],
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = %s",
                [LINES],
            )
        return {name for (name,) in cursor.fetchall()} & set(TRIGGERS)


def _expected() -> dict[str, set[str]]:
    return {"postgresql": set(TRIGGERS), "sqlite": set(TRIGGERS[:3])}


def revenue_quarters_install(*, connection: BaseDatabaseWrapper) -> None:
    """Create the triggers that keep the quarter sums, replacing any."""
    revenue_quarters_uninstall(connection=connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_FUNCTION)
            statements = POSTGRESQL_TRIGGERS
        else:
            statements = SQLITE_TRIGGERS
        for statement in statements:
            cursor.execute(statement)


def revenue_quarters_uninstall(*, connection: BaseDatabaseWrapper) -> None:
    """Drop the triggers, if they are there."""
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {LINES}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


def revenue_quarters_rebuild(*, connection: BaseDatabaseWrapper) -> None:
    """Sum every stored revenue line again: one DELETE and one INSERT."""
    with connection.cursor() as cursor:
        for statement in REBUILD:
            cursor.execute(statement)


def revenue_quarters_ensure(*, connection: BaseDatabaseWrapper) -> bool:
    """Install missing triggers and rebuild the sums; say if it had to."""
    table_names = connection.introspection.table_names()
    if LINES not in table_names or QUARTERS not in table_names:
        return False
    if _installed(connection) == _expected()[connection.vendor]:
        return False

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {LINES})")
        (lines,) = cursor.fetchone()
    # A new database's migrations rebuild the lines table too: with no line
    # stored, nothing was summed without them.
    say = logger.warning if lines else logger.info
    say("Revenue quarter triggers were missing; rebuilding the sums")
    revenue_quarters_install(connection=connection)
    revenue_quarters_rebuild(connection=connection)
    return True
