from django.db import migrations, models


def summaries_drop(apps, schema_editor):
    # Stored dashboards are a cache: figures stored before the positions
    # have none, so a cursor could not read on in them. The next request or
    # the refresh task builds them again.
    if schema_editor.connection.vendor == "postgresql":
        # Not DELETE: its deferred foreign key checks would forbid altering
        # the table later in this transaction.
        schema_editor.execute(
            "TRUNCATE plans_dashboardsummaryrow, plans_dashboardsummaryfigure, "
            "plans_dashboardsummary"
        )
    else:
        apps.get_model("plans", "DashboardSummary").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0014_dashboard_summary_row_rank"),
    ]

    operations = [
        migrations.RunPython(summaries_drop, migrations.RunPython.noop),
        migrations.AddField(
            model_name="dashboardsummaryfigure",
            name="positions",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="dashboardsummaryfigure",
            name="last_position",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
