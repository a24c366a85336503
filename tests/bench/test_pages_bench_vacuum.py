import pytest
from django.db import connection

from accounts.models import Account
from bench.pages_bench import database_vacuum


def _last_maintenance(table: str) -> tuple[object, object]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables "
            "WHERE relname = %s",
            [table],
        )
        row = cursor.fetchone()
    assert row is not None, table
    return row[0], row[1]


@pytest.mark.django_db(transaction=True)
def test_it_vacuums_and_analyses_every_table_before_timing(postgres: None) -> None:
    # given a table written to since anything vacuumed it
    table = Account._meta.db_table
    Account.objects.create(name="Vacuumed Ltd")
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        before = cursor.fetchone()[0]

    # when
    seconds = database_vacuum()

    # then
    vacuumed, analysed = _last_maintenance(table)
    assert seconds > 0
    assert vacuumed is not None and vacuumed >= before
    assert analysed is not None and analysed >= before
