"""Index account names by trigram, so a name search reads the index.

Name search is `name__icontains`, which PostgreSQL runs as
UPPER(name::text) LIKE UPPER('%text%'): no b-tree helps a leading wildcard,
so without this every search read every account. The GIN index is on that
exact expression, or the planner would not use it. SQLite has no pg_trgm
and keeps scanning, which is fine at its sizes.
"""

from django.db import migrations

INDEX = "accounts_account_name_trgm"


def trigram_index_create(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_account "
        "USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )


def trigram_index_drop(apps: object, schema_editor: object) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # The extension stays: something else may use it by now.
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_revenue_team_source"),
    ]

    operations = [
        migrations.RunPython(trigram_index_create, trigram_index_drop),
    ]
