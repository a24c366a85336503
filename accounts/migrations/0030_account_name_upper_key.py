"""Index account names upper-cased in byte order, then the name itself.

A search of one or two letters matches the start of names. Through the
prefix index (0026) it could find them but not order them, so a page by
name walked the name index past every name before the matches: `ze`,
shared by 12,500 of 100,000 names, read 87,500 others (146 ms). The
portfolio now matches and orders such a search by UPPER(name) COLLATE
"C" and the name (accounts.selectors.account_name_prefix_key); this
b-tree gives both, so a page reads its own rows from the prefix on. The
"C" collation lets the b-tree answer LIKE 'ZE%' as a range whatever the
database's collation. It answers `name__istartswith` as the prefix index
did (the planner matches UPPER(name) to it and compares in its "C"
collation), so that index goes. SQLite keeps scanning, which is fine at
its sizes.
"""

from django.db import migrations

INDEX = "accounts_account_name_upper_c"
PREFIX_INDEX = "accounts_account_name_prefix"


def upper_key_index_create(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_account "
        '((UPPER(name) COLLATE "C"), name)'
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {PREFIX_INDEX}")
    # Statistics of the indexed expression, so the first short search is
    # planned with them rather than after autovacuum's next visit.
    schema_editor.execute("ANALYZE accounts_account")


def upper_key_index_drop(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {PREFIX_INDEX} ON accounts_account "
        "((UPPER(name::text)) text_pattern_ops)"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0029_opportunity_deletion"),
    ]

    operations = [
        migrations.RunPython(upper_key_index_create, upper_key_index_drop),
    ]
