from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def _renamed(apps: StateApps, old: str, new: str) -> None:
    ImportJob = apps.get_model("accounts", "ImportJob")
    jobs = ImportJob.objects.filter(counts__has_key=old).only("counts")
    for job in jobs.iterator(chunk_size=500):
        job.counts = {
            (new if name == old else name): counts
            for name, counts in job.counts.items()
        }
        job.save(update_fields=["counts"])


def deals_named(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Count the deals of earlier mapped imports as "Deals", as pages say."""
    _renamed(apps, "Opportunities", "Deals")


def opportunities_named(
    apps: StateApps, schema_editor: BaseDatabaseSchemaEditor
) -> None:
    _renamed(apps, "Deals", "Opportunities")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0048_money_three_decimals"),
    ]

    operations = [
        migrations.RunPython(deals_named, opportunities_named),
    ]
