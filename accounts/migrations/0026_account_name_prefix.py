"""Index account names for a search of one or two letters.

A search of three letters or more matches anywhere in a name through the
trigram index (0008). One or two letters give pg_trgm nothing to look up,
so such a search read every account; it now matches the start of names,
as `name__istartswith`: UPPER(name::text) LIKE 'AC%', which a b-tree on
that exact expression with text_pattern_ops answers as a range, whatever
the database's collation. SQLite keeps scanning, which is fine at its
sizes.
"""

from django.db import migrations

INDEX = "accounts_account_name_prefix"


def prefix_index_create(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_account "
        "((UPPER(name::text)) text_pattern_ops)"
    )


def prefix_index_drop(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0025_deal_amount_too_large"),
    ]

    operations = [
        migrations.RunPython(prefix_index_create, prefix_index_drop),
    ]
