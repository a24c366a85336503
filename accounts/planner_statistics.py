"""Keep the planner's statistics up to date after a bulk write.

Autovacuum analyses a table a minute or more after a bulk write, and never
where it is turned off; until then PostgreSQL plans every page on the old
row counts. A rep's portfolio over a freshly imported 100,000 accounts was
planned as a walk over every score (600 ms instead of 1 ms).
"""

import logging

from django.db import connection

logger = logging.getLogger(__name__)

# The tables this transaction wrote to whose changes, with those not yet
# analysed, pass autovacuum's share of the table. Autovacuum also waits
# for a fixed number of rows (50); this does not, so the first rows of an
# empty table are counted too.
_CHANGED_TABLES = """
    SELECT c.oid::regclass::text
    FROM pg_stat_xact_user_tables x
    JOIN pg_stat_user_tables s ON s.relid = x.relid
    JOIN pg_class c ON c.oid = x.relid
    WHERE c.relpersistence = 'p'
      AND x.n_tup_ins + x.n_tup_upd + x.n_tup_del > 0
      AND x.n_tup_ins + x.n_tup_upd + x.n_tup_del + s.n_mod_since_analyze
        > current_setting('autovacuum_analyze_scale_factor')::float8
          * greatest(c.reltuples, 0)
    ORDER BY 1
"""


def tables_written_analyze() -> list[str]:
    """ANALYZE the tables this transaction changed enough; return their names.

    Run at the end of a bulk write's transaction: ANALYZE sees the
    transaction's own rows, so the statistics are right from the commit
    on. A table with a few rows changed among many keeps its statistics,
    as autovacuum would (ANALYZE samples 30,000 rows of a large table).
    """
    if connection.vendor != "postgresql":
        return []

    with connection.cursor() as cursor:
        cursor.execute(_CHANGED_TABLES)
        tables = [name for (name,) in cursor.fetchall()]
        if tables:
            cursor.execute("ANALYZE " + ", ".join(tables))

    logger.info("analysed %s after a bulk write", ", ".join(tables) or "no table")
    return tables
