import django.core.validators
from django.db import migrations, models


def pursuits_in_reporting_currency(apps, schema_editor):
    """Give existing pursuits the currency their amounts were read in.

    Until now every pursuit amount was added into the reporting currency
    totals as it stood, so that is the currency they were entered in.
    """
    scoring_model = apps.get_model("scoring", "ScoringModel")
    currency = (
        scoring_model.objects.filter(is_active=True)
        .values_list("reporting_currency", flat=True)
        .first()
    ) or "USD"
    apps.get_model("plans", "Pursuit").objects.update(currency=currency)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0008_dashboard_summary_rows"),
        ("scoring", "0008_account_score_partitions"),
    ]

    operations = [
        migrations.AddField(
            model_name="pursuit",
            name="currency",
            field=models.CharField(
                db_default="USD",
                default="USD",
                max_length=3,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Z]{3}$",
                        "Enter a three-letter currency code in capitals, such as EUR.",
                    )
                ],
            ),
        ),
        migrations.RunPython(
            pursuits_in_reporting_currency, migrations.RunPython.noop
        ),
    ]
