from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0044_opportunity_account_latest"),
    ]

    operations = [
        migrations.AddField(
            model_name="savedmapping",
            name="delimiter",
            field=models.CharField(blank=True, default="", max_length=1),
        ),
    ]
