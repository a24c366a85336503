"""Migration 0049 counts the deals of earlier mapped imports as "Deals"."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0048_money_three_decimals")]
AFTER = [("accounts", "0049_importjob_counts_deals")]

COUNTED = {"created": 3, "updated": 0, "unchanged": 1, "rejected": 2}
NONE = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}


def migrated(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_a_mapped_imports_opportunities_become_deals_and_back() -> None:
    # given: a mapped import's counts, and a bundled import's, keyed by table
    old = migrated(BEFORE).loader.project_state(BEFORE).apps
    ImportJob = old.get_model("accounts", "ImportJob")
    mapped = ImportJob.objects.create(
        counts={"Accounts": NONE, "Opportunities": COUNTED, "Revenue lines": NONE}
    )
    bundled = ImportJob.objects.create(counts={"opportunities": COUNTED})

    # when
    new = migrated(AFTER).loader.project_state(AFTER).apps

    # then: the mapped one says deals; the bundled one's key is the API's
    jobs = new.get_model("accounts", "ImportJob").objects
    assert jobs.get(pk=mapped.pk).counts == {
        "Accounts": NONE,
        "Deals": COUNTED,
        "Revenue lines": NONE,
    }
    assert jobs.get(pk=bundled.pk).counts == {"opportunities": COUNTED}

    # and back again
    back = migrated(BEFORE).loader.project_state(BEFORE).apps
    restored = back.get_model("accounts", "ImportJob").objects.get(pk=mapped.pk)
    assert restored.counts == {
        "Accounts": NONE,
        "Opportunities": COUNTED,
        "Revenue lines": NONE,
    }
    migrated(MigrationExecutor(connection).loader.graph.leaf_nodes())
