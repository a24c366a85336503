"""Keep a score's TTM revenue to 3 decimals, as a KWD reporting currency has.

The whole digits stay 14 (max_digits grows by one), as the save checks. On
PostgreSQL the change of scale rewrites every run's partition of the scores
under an ACCESS EXCLUSIVE lock, so its time grows with the runs kept; pages
reading scores wait for it. Stored values do not change (2.50 becomes 2.500).
"""

import accounts.currency_codes
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0010_renamed_account"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accountscore",
            name="ttm_revenue",
            field=accounts.currency_codes.MoneyAmountField(
                decimal_places=3, max_digits=17
            ),
        ),
    ]
