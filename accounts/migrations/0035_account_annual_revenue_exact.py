from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations, models

import accounts.numbers

MILLION = Decimal(1_000_000)
CENT = Decimal("0.01")


def exact_from_millions(apps, schema_editor):
    """Keep each stored revenue as the exact amount it stood for.

    A revenue converted from another currency keeps its amount as given,
    its currency and rate while they still give the stored millions; every
    other one becomes its millions times 1,000,000 in USD.
    """
    Account = apps.get_model("accounts", "Account")
    changed = []
    for account in Account.objects.exclude(annual_revenue_musd=None).iterator():
        source = account.annual_revenue
        rate = account.annual_revenue_rate
        converted = (
            source is not None
            and rate is not None
            and account.annual_revenue_rate_date is not None
            and account.annual_revenue_currency not in ("", "USD")
            and (source * rate / MILLION).quantize(CENT, rounding=ROUND_HALF_UP)
            == account.annual_revenue_musd
        )
        if not converted:
            account.annual_revenue = account.annual_revenue_musd * MILLION
            account.annual_revenue_currency = "USD"
            account.annual_revenue_rate = None
            account.annual_revenue_rate_date = None
        changed.append(account)
    Account.objects.bulk_update(
        changed,
        [
            "annual_revenue",
            "annual_revenue_currency",
            "annual_revenue_rate",
            "annual_revenue_rate_date",
        ],
        batch_size=1000,
    )
    # A source left behind without the millions it gave is no revenue.
    Account.objects.filter(annual_revenue_musd=None).update(
        annual_revenue=None,
        annual_revenue_currency="",
        annual_revenue_rate=None,
        annual_revenue_rate_date=None,
    )


def millions_from_exact(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    changed = []
    for account in Account.objects.exclude(annual_revenue=None).iterator():
        rate = account.annual_revenue_rate
        if account.annual_revenue_currency == "USD" or rate is None:
            rate = Decimal(1)
        account.annual_revenue_musd = (
            account.annual_revenue * rate / MILLION
        ).quantize(CENT, rounding=ROUND_HALF_UP)
        if account.annual_revenue_currency == "USD":
            account.annual_revenue = None
            account.annual_revenue_currency = ""
        changed.append(account)
    Account.objects.bulk_update(
        changed,
        ["annual_revenue_musd", "annual_revenue", "annual_revenue_currency"],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0034_opportunity_creation_digest"),
    ]

    operations = [
        migrations.RenameField(
            model_name="account",
            old_name="annual_revenue_source",
            new_name="annual_revenue",
        ),
        migrations.RunPython(exact_from_millions, millions_from_exact),
        migrations.RemoveField(
            model_name="account",
            name="annual_revenue_musd",
        ),
        migrations.AlterField(
            model_name="account",
            name="annual_revenue",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                error_messages={
                    "max_digits": "Too large: at most 18 digits before the "
                    "decimal point.",
                    "max_whole_digits": "Too large: at most 18 digits before "
                    "the decimal point.",
                },
                max_digits=20,
                null=True,
                validators=[accounts.numbers.ExactDigitsValidator()],
                verbose_name="annual revenue",
            ),
        ),
        migrations.AlterField(
            model_name="account",
            name="annual_revenue_currency",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=3,
                verbose_name="annual revenue currency",
            ),
        ),
        migrations.AlterField(
            model_name="account",
            name="annual_revenue_rate",
            field=models.DecimalField(
                blank=True,
                decimal_places=10,
                max_digits=20,
                null=True,
                validators=[accounts.numbers.ExactDigitsValidator()],
                verbose_name="annual revenue rate into USD",
            ),
        ),
        migrations.AlterField(
            model_name="account",
            name="annual_revenue_rate_date",
            field=models.DateField(
                blank=True, null=True, verbose_name="annual revenue rate date"
            ),
        ),
    ]
