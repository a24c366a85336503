from django.db import migrations


def summaries_drop(apps, schema_editor):
    # Stored dashboards are a cache: their rows hold each plan's completeness
    # pickled with its sections, where it now keeps the sections' days. The
    # next request or the refresh task builds them again.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "TRUNCATE plans_dashboardsummaryrow, plans_dashboardsummaryfigure, "
            "plans_dashboardsummary"
        )
    else:
        apps.get_model("plans", "DashboardSummary").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0012_pursuit_currency_iso"),
    ]

    operations = [
        migrations.RunPython(summaries_drop, migrations.RunPython.noop),
    ]
