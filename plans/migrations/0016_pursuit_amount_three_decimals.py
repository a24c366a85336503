"""Keep a pursuit's amount to 3 decimals, as its currency may have (KWD).

Rewrites the pursuit table on PostgreSQL (a small one); values do not
change.
"""

import accounts.currency_codes
from decimal import Decimal
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0015_dashboard_summary_figure_positions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pursuit",
            name="amount",
            field=accounts.currency_codes.MoneyAmountField(
                decimal_places=3, default=Decimal("0"), max_digits=15
            ),
        ),
    ]
