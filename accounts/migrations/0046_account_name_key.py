"""Store each account's name with its capitals folded, and index it.

A rename read every other account's name and folded it in Python to find
a clash (accounts.matching.account_name_caseless): one query, but a
hundred thousand names for each save. The folded name is now a column
that every write of a name keeps in step, so the check is one probe of
this index. The existing names are folded here, a batch at a time, in
Python as the app folds them: neither database's LOWER or UPPER does.
"""

from typing import Any

from django.db import connection, migrations, models

from accounts.matching import account_name_caseless

BATCH = 2000


def name_keys_fill(apps: Any, schema_editor: Any) -> None:
    account = apps.get_model("accounts", "Account")
    table = account._meta.db_table
    rows = account.objects.order_by("pk").values_list("pk", "name")
    last = 0
    with connection.cursor() as cursor:
        while True:
            batch = list(rows.filter(pk__gt=last)[:BATCH])
            if not batch:
                return
            values = [(pk, account_name_caseless(name)) for pk, name in batch]
            if connection.vendor == "postgresql":
                # One statement a batch: the coverage trigger runs once a
                # statement (17 ms), and bulk_update's CASE took 230 s at
                # 100,000 accounts.
                rows_sql = ", ".join(["(%s::bigint, %s)"] * len(values))
                cursor.execute(
                    f"UPDATE {table} AS a SET name_key = v.key "  # noqa: S608
                    f"FROM (VALUES {rows_sql}) AS v(id, key) WHERE a.id = v.id",
                    [value for row in values for value in row],
                )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET name_key = %s WHERE id = %s",  # noqa: S608
                    [(key, pk) for pk, key in values],
                )
            last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0045_saved_mapping_delimiter"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="name_key",
            field=models.CharField(blank=True, editable=False, max_length=600),
        ),
        migrations.RunPython(name_keys_fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["name_key"], name="account_name_key"),
        ),
    ]
