from django.db import migrations


def default_model_create(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    if ScoringModel.objects.filter(is_active=True).exists():
        return
    # Field defaults carry the documented weights and thresholds.
    ScoringModel.objects.update_or_create(
        name="Default", defaults={"is_active": True}
    )


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(default_model_create, migrations.RunPython.noop),
    ]
