from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0049_importjob_counts_deals"),
    ]

    operations = [
        migrations.AddField(
            model_name="savedmapping",
            name="number_format",
            field=models.CharField(blank=True, default="", max_length=8),
        ),
    ]
