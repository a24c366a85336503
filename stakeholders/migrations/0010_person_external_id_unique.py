from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# How many shared IDs the refusal names one by one.
SHARED_NAMED = 20


def shared_ids_refuse(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Stop, naming them, if people of one account already share an ID.

    Left to the constraint, the database would refuse with an index error
    that names no person; this says which to give their own ID.
    """
    stakeholder = apps.get_model("stakeholders", "Stakeholder")
    shared = (
        stakeholder.objects.using(schema_editor.connection.alias)
        .exclude(external_id="")
        .exclude(status="erased")
        .values("account_id", "account__name", "external_id")
        .annotate(people=models.Count("pk"))
        .filter(people__gt=1)
        .order_by("account__name", "account_id", "external_id")
    )
    found = list(shared)
    if not found:
        return

    named = [
        f"{row['account__name']} (account {row['account_id']}): "
        f"{row['people']} people have the ID {row['external_id']!r}"
        for row in found[:SHARED_NAMED]
    ]
    if len(found) > SHARED_NAMED:
        named.append(f"and {len(found) - SHARED_NAMED:,} more IDs")
    ids = "1 ID is" if len(found) == 1 else f"{len(found):,} IDs are"
    raise RuntimeError(
        f"Each person's ID must be their own at an account, and {ids} shared: "
        + "; ".join(named)
        + ". Give each of these people their own ID (or clear it) on their "
        "page or through the API, then migrate again."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0044_opportunity_account_latest"),
        ("stakeholders", "0009_coverage_viewer_totals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(shared_ids_refuse, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="stakeholder",
            constraint=models.UniqueConstraint(
                condition=~models.Q(external_id="") & ~models.Q(status="erased"),
                fields=("account", "external_id"),
                name="unique_person_external_id_per_account",
                violation_error_message="Another person at this account has this ID.",
            ),
        ),
    ]
