"""Keep amounts in their own currency to 3 decimals (KWD, BHD, OMR, ...).

Each column keeps its whole digits (max_digits grows by one). On
PostgreSQL a change of numeric scale rewrites the table under an ACCESS
EXCLUSIVE lock: revenue lines and their quarter sums are the large ones,
so its time grows with them, and imports and score runs wait for it.
Stored values do not change (2.50 becomes 2.500).
"""

import accounts.currency_codes
import accounts.numbers
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0047_account_import_stages"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="annual_revenue",
            field=accounts.currency_codes.MoneyAmountField(
                blank=True,
                decimal_places=3,
                error_messages={
                    "max_digits": "Too large: at most 18 digits before the decimal point.",
                    "max_whole_digits": "Too large: at most 18 digits before the decimal point.",
                },
                max_digits=21,
                null=True,
                validators=[accounts.numbers.ExactDigitsValidator()],
                verbose_name="annual revenue",
            ),
        ),
        migrations.AlterField(
            model_name="opportunity",
            name="close_value",
            field=accounts.currency_codes.MoneyAmountField(
                blank=True,
                decimal_places=3,
                error_messages={
                    "max_digits": "Too large: at most 12 digits before the decimal point.",
                    "max_whole_digits": "Too large: at most 12 digits before the decimal point.",
                },
                max_digits=15,
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="revenueline",
            name="amount",
            field=accounts.currency_codes.MoneyAmountField(
                decimal_places=3,
                max_digits=17,
                validators=[accounts.numbers.ExactDigitsValidator()],
            ),
        ),
        migrations.AlterField(
            model_name="revenuequarter",
            name="amount",
            field=accounts.currency_codes.MoneyAmountField(
                decimal_places=3, max_digits=31
            ),
        ),
    ]
