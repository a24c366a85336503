from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def names_fill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Name each import's user on it, as User.display_name reads."""
    ImportJob = apps.get_model("accounts", "ImportJob")
    User = apps.get_model("accounts", "User")
    users = User.objects.filter(import_jobs__isnull=False).distinct()
    for user in users.only("username", "first_name", "last_name"):
        name = f"{user.first_name} {user.last_name}".strip() or user.username
        ImportJob.objects.filter(created_by=user).update(created_by_name=name[:300])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0037_changerecord_changed_by_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="created_by_name",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(names_fill, migrations.RunPython.noop),
    ]
