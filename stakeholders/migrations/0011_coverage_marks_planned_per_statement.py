"""Plan the coverage marks that pair old and new rows for each statement.

The account, user and team update triggers join the statement's old rows
to its new ones. As static PL/pgSQL they were planned once a session, for
whichever statement fired first, and a one-row save left a nested loop
that a later bulk update ran over every pair. They now run through
EXECUTE (stakeholders.coverage_counts._postgresql_mark); the functions
are replaced in place and no mark is lost, so nothing is marked again.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from stakeholders.coverage_counts import (
    coverage_counts_install,
    coverage_viewers_install,
)


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # SQLite's row triggers have no plan to keep; they are unchanged.
    if schema_editor.connection.vendor != "postgresql":
        return
    coverage_counts_install(connection=schema_editor.connection)
    coverage_viewers_install(connection=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("stakeholders", "0010_person_external_id_unique"),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
