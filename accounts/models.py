from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format

from accounts.currency import day_text, money_text, reporting_currency_active
from accounts.currency_codes import (
    ANNUAL_REVENUE_CURRENCY,
    MoneyAmountField,
    amount_places_problem,
    currency_code_problem,
)
from accounts.matching import account_name_caseless
from accounts.numbers import (
    AMOUNT_BELOW_ZERO,
    RATE_NOT_ABOVE_ZERO,
    ExactDigitsValidator,
    too_large_messages,
    zero_unsigned,
)
from config.bounds import date_problem
from config.versions import VersionedQuerySet


class Team(models.Model):
    """A sales team: a manager and the reps who report to them."""

    name = models.CharField(max_length=150, unique=True)
    region = models.CharField(max_length=100, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    class Role(models.TextChoices):
        REP = "rep", "Account rep"
        MANAGER = "manager", "Sales manager"
        EXECUTIVE = "executive", "Executive"
        OPS = "ops", "Sales operations"

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REP)
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    # The user's ID in the CRM they were imported from (a Salesforce User
    # Id), so an OwnerId in an account export finds them.
    external_id = models.CharField(max_length=100, blank=True, db_index=True)

    @property
    def sees_all_accounts(self) -> bool:
        return self.is_superuser or self.role in {self.Role.EXECUTIVE, self.Role.OPS}

    @property
    def is_ops(self) -> bool:
        return self.is_superuser or self.role == self.Role.OPS

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


def custom_value_items(values: dict | None) -> list[tuple[str, str]]:
    """Return a CRM's own fields and their values, by field name."""
    return sorted((str(k), str(v)) for k, v in (values or {}).items())


def account_name_keys_fill(
    *, accounts: Iterable["Account"], fields: Iterable[str]
) -> list[str]:
    """Give each account the key of its name; return the fields to write.

    The key follows the name wherever the name is written, so a caller
    that writes "name" writes "name_key" with it.
    """
    fields = list(fields)
    if "name" not in fields:
        return fields

    for account in accounts:
        account.name_key = account_name_caseless(account.name)
    return fields if "name_key" in fields else [*fields, "name_key"]


class AccountQuerySet(VersionedQuerySet):
    """Accounts, whose name key is written with their name by every write.

    `save()` sets it on the instance; these cover the writes that bypass
    `save()`. A set-based write in SQL gives the key itself (see
    Account.name_key).
    """

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        account_name_keys_fill(accounts=objs, fields=["name"])
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(
        self, objs: Iterable[Any], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        objs = list(objs)
        fields = account_name_keys_fill(accounts=objs, fields=fields)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def update(self, **kwargs: Any) -> int:
        if "name" in kwargs and "name_key" not in kwargs:
            name = kwargs["name"]
            if not isinstance(name, str):
                # An expression's result is only known to the database,
                # which cannot fold it as Python does.
                raise TypeError("An account's name is updated with its name_key.")
            kwargs["name_key"] = account_name_caseless(name)
        return super().update(**kwargs)

    bulk_update.alters_data = True  # type: ignore[attr-defined]
    update.alters_data = True  # type: ignore[attr-defined]


class Account(models.Model):
    """A customer company we already sell to, or could."""

    name = models.CharField(max_length=200, unique=True)
    # The name with its capitals folded (account_name_caseless), indexed: a
    # rename is refused when another account has the same key, found by
    # one index probe rather than by folding every name in Python. It is
    # not unique, since an import may keep "ACME" and "Acme" apart when the
    # user does not merge them. Folding can lengthen a name ("ß" is "ss"),
    # up to three times. Every write of a name writes it: save(),
    # AccountQuerySet, and the SQL of the bundled data loader.
    name_key = models.CharField(max_length=600, blank=True, editable=False)
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    sector = models.CharField(max_length=100, blank=True)
    year_established = models.PositiveSmallIntegerField(null=True, blank=True)
    # The company's annual revenue exactly as it was given, in its own
    # currency (USD too). A revenue in another currency keeps the rate
    # into USD it was converted at and that rate's date, so the millions
    # of USD the scoring reads are the same figure every time; given while
    # no rate was stored, it keeps no rate and is converted nowhere until a
    # rate of its currency is stored (accounts.revenue_kept).
    annual_revenue = MoneyAmountField(
        "annual revenue",
        max_digits=21,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[ExactDigitsValidator()],
        error_messages=too_large_messages(max_digits=21, decimal_places=3),
    )
    annual_revenue_currency = models.CharField(
        "annual revenue currency",
        max_length=3,
        blank=True,
        default="",
        db_default="",
    )
    annual_revenue_rate = models.DecimalField(
        "annual revenue rate into USD",
        max_digits=20,
        decimal_places=10,
        null=True,
        blank=True,
        validators=[ExactDigitsValidator()],
    )
    annual_revenue_rate_date = models.DateField(
        "annual revenue rate date", null=True, blank=True
    )
    employees = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=100, blank=True)
    # A CRM's own fields (Salesforce's "Region__c"), by column, as text.
    custom_values = models.JSONField(default=dict, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
    )
    team_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="AccountTeamMember",
        related_name="team_accounts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    # Every hand edit (the API, the admin) is in the shared history, field
    # by field: an import's undo keeps just the fields edited since.
    edits_in_history = True
    # An amount means nothing without its currency and rate: an undo keeps
    # them all when any one was edited by hand.
    edits_together = (
        (
            "annual_revenue",
            "annual_revenue_currency",
            "annual_revenue_rate",
            "annual_revenue_rate_date",
        ),
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            # The portfolio table sorts by these, ties by name: a page of
            # it is a range of one index at any depth.
            models.Index(fields=["sector", "name"]),
            models.Index(fields=["country", "name"]),
            models.Index(fields=["name_key"], name="account_name_key"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = account_name_caseless(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.annual_revenue_check()

    def annual_revenue_check(self) -> None:
        """Refuse a revenue without its currency, or a rate without its date."""
        if self.annual_revenue is None:
            if self.annual_revenue_currency:
                raise ValidationError(
                    {"annual_revenue": ["A currency needs an annual revenue."]}
                )
            return
        if self.annual_revenue < 0:
            raise ValidationError({"annual_revenue": [AMOUNT_BELOW_ZERO]})
        if not self.annual_revenue_currency:
            raise ValidationError(
                {"annual_revenue_currency": ["An annual revenue needs its currency."]}
            )
        problem = currency_code_problem(self.annual_revenue_currency)
        if problem:
            raise ValidationError({"annual_revenue_currency": [problem]})
        problem = amount_places_problem(
            self.annual_revenue, self.annual_revenue_currency
        )
        if problem:
            raise ValidationError({"annual_revenue": [problem]})
        if (self.annual_revenue_rate is None) != (
            self.annual_revenue_rate_date is None
        ):
            raise ValidationError(
                {
                    "annual_revenue_rate": [
                        f"A rate into {ANNUAL_REVENUE_CURRENCY} needs its date, "
                        "and a rate date its rate."
                    ]
                }
            )

    @property
    def annual_revenue_musd(self) -> Decimal | None:
        """Return the annual revenue in millions of USD, unrounded.

        None without a revenue, and for one in another currency that was
        given while no rate into USD was stored.
        """
        if self.annual_revenue is None:
            return None
        rate = self.annual_revenue_rate
        if self.annual_revenue_currency == ANNUAL_REVENUE_CURRENCY:
            rate = Decimal(1)
        if rate is None:
            return None
        return self.annual_revenue * rate / Decimal(1_000_000)

    @property
    def annual_revenue_text(self) -> str:
        """Return the revenue as stored, with its currency: "4,999.00 USD"."""
        if self.annual_revenue is None:
            return ""
        return money_text(self.annual_revenue, self.annual_revenue_currency)

    @property
    def custom_value_items(self) -> list[tuple[str, str]]:
        return custom_value_items(self.custom_values)


class AccountTeamMember(models.Model):
    """A person on our side who works the account."""

    class Source(models.TextChoices):
        # Derived from the owners of the bundled pipeline's deals: the bundled
        # import removes it again when no deal supports it any more.
        PIPELINE = "pipeline", "Pipeline"
        MANUAL = "manual", "Added by hand or by another import"

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="team_memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="account_memberships",
    )
    source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.MANUAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user"], name="unique_account_team_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.account}"


class AccountAlias(models.Model):
    """Another name an export gives an account, confirmed as the same one.

    The import wizard keeps one for each duplicate the user merges, so the
    same file imported again finds the account without asking again.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(max_length=200, unique=True)
    # The ID the merged row had, when the account already had another one:
    # the same file read again finds the account by this ID.
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    # The import whose merge accepted the name; its creator is who accepted.
    job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="aliases",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "account aliases"

    def __str__(self) -> str:
        return f"{self.name} = {self.account_id}"


class ProductQuerySet(models.QuerySet):
    def catalogue(self) -> "ProductQuerySet":
        """Return the products we sell, leaving out placeholders."""
        return self.filter(is_placeholder=False)


class Product(models.Model):
    """Something we sell: an offering in our catalogue."""

    name = models.CharField(max_length=150, unique=True)
    series = models.CharField(max_length=100, blank=True)
    list_price = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    # Stands for revenue or deals an import could not tie to a product, such
    # as "Unspecified": it is never whitespace, as nobody can sell it.
    is_placeholder = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def won_close_problem(*, stage: str, closed_on: Any) -> str | None:
    """Return why a won deal cannot close on this day, or None if it can.

    A deal is won once it has closed: a close date after today is a typo or
    a forecast, and as revenue it would move every account's scoring window.
    """
    if stage != "won" or not isinstance(closed_on, date):
        return None
    if isinstance(closed_on, datetime):
        closed_on = closed_on.date()
    if closed_on <= timezone.localdate():
        return None
    return won_close_message()


def won_close_message() -> str:
    """Say that a won deal cannot close after today, naming today."""
    return (
        f"A won deal cannot close after today ({timezone.localdate():%-d %b %Y}); "
        "give the day it was won."
    )


class Opportunity(models.Model):
    """A deal from the CRM pipeline, open or closed."""

    class Stage(models.TextChoices):
        PROSPECTING = "prospecting", "Prospecting"
        ENGAGING = "engaging", "Engaging"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    # Unique through Meta.constraints: the one unique index, without the
    # pattern-matching twin Django adds for unique=True on PostgreSQL.
    external_id = models.CharField(max_length=100)
    # The deal's name in the CRM (Salesforce's Opportunity Name, HubSpot's
    # Deal Name); blank for a deal added by hand or a file without one. A
    # database default too, for the bulk import's COPY.
    name = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Indexed as the first column of (account, stage) below.
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="opportunities",
        db_index=False,
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    stage = models.CharField(max_length=20, choices=Stage.choices)
    engaged_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    close_value = MoneyAmountField(
        max_digits=15,
        decimal_places=3,
        null=True,
        blank=True,
        error_messages=too_large_messages(max_digits=15, decimal_places=3),
    )
    # A database default too, so the bulk import's COPY may leave it out.
    currency = models.CharField(max_length=3, default="USD", db_default="USD")
    # A CRM's own fields (Salesforce's "Forecast_Category__c"), as text.
    custom_values = models.JSONField(default=dict, blank=True)
    # The one-time key of the New deal form or API request that added it,
    # derived per user (accounts.deal_keys), so the same form sent twice
    # adds one deal. Unique in the database: two posts racing each other
    # cannot both insert. Blank for an imported deal.
    creation_key = models.UUIDField(null=True, blank=True, editable=False)
    # The deal the API request that added it would store, hashed: the same
    # Idempotency-Key sent with another request is refused, not replayed.
    # Blank for the form's key, which always sends its own values. A
    # database default too, for the bulk import's COPY.
    creation_digest = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VersionedQuerySet.as_manager()

    # Every hand edit (the admin) is in the shared history, field by field.
    edits_in_history = True

    class Meta:
        # The pages call them deals; the undo preview's counts read the
        # plural. The singular stays: it names each kept record in the
        # import API and row reports, which clients already read.
        verbose_name_plural = "deals"
        indexes = [
            models.Index(fields=["account", "stage"]),
            # The account page's latest deals (deal_list_for_account's
            # order; DESC puts blank close dates first, as it asks): read
            # from here and stopped at the page, instead of sorting all of
            # an account's deals, 18,483 for the largest bench account
            # (481 ms, against 0.7 ms from this index).
            models.Index(
                fields=["account", "-closed_on", "external_id", "id"],
                name="opportunity_account_latest",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], name="opportunity_unique_external_id"
            ),
            models.UniqueConstraint(
                fields=["creation_key"], name="opportunity_unique_creation_key"
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    def clean(self) -> None:
        """Refuse values no deal can hold, naming the field of each reason.

        An import keeps a won deal without a close date or an amount (and
        says it is not counted as revenue); a hand edit must not make one.
        """
        errors: dict[str, list[str]] = {}

        def refuse(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.stage in (self.Stage.WON, self.Stage.LOST) and not self.closed_on:
            refuse(
                "closed_on",
                f"A {self.get_stage_display().lower()} deal needs a close date.",
            )
        if self.stage == self.Stage.WON and self.close_value is None:
            refuse("close_value", "A won deal needs an amount.")
        problem = won_close_problem(stage=self.stage, closed_on=self.closed_on)
        if problem:
            refuse("closed_on", problem)
        if self.close_value is not None:
            self.close_value = zero_unsigned(self.close_value)
        if self.close_value is not None and self.close_value < 0:
            refuse("close_value", AMOUNT_BELOW_ZERO)
        for field in ("engaged_on", "closed_on"):
            problem = date_problem(getattr(self, field))
            if problem:
                refuse(field, problem)
        if (
            self.engaged_on
            and self.closed_on
            and self.closed_on < self.engaged_on
            and "closed_on" not in errors
        ):
            refuse("closed_on", "The close date cannot be before the engaged date.")
        currency_problem = currency_code_problem(self.currency)
        if currency_problem is not None:
            refuse("currency", currency_problem)
        else:
            places_problem = amount_places_problem(self.close_value, self.currency)
            if places_problem is not None:
                refuse("close_value", places_problem)
        if errors:
            raise ValidationError(errors)

    @property
    def custom_value_items(self) -> list[tuple[str, str]]:
        return custom_value_items(self.custom_values)

    @property
    def close_value_text(self) -> str:
        """Return the amount with its currency's decimals: "48,000.00 USD"."""
        if self.close_value is None:
            return ""
        return money_text(self.close_value, self.currency)


class OpportunityDeletion(models.Model):
    """A deal deleted by hand: the imports skip its CRM id from then on.

    Its history entry (action "delete") says what it held; this row is what
    an import looks its rows up in, by the unique id, so a deleted deal
    does not come back with the next export of the same CRM. Deleting the
    row here (the admin) lets an import bring the deal back.
    """

    external_id = models.CharField(max_length=100, unique=True)
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        # Kept when the account goes (an undone import): the deal's CRM id
        # still names a deal someone deleted.
        on_delete=models.SET_NULL,
        related_name="opportunity_deletions",
    )
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunity_deletions",
    )
    deleted_at = models.DateTimeField(default=timezone.now)

    # Not an import's record: an undo leaves it alone.
    import_undo_ignores = True

    class Meta:
        verbose_name = "deleted deal"
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return self.external_id

    @property
    def skipped_reason(self) -> str:
        """Say why an import skips the deal: "deleted by Rita Rep on …"."""
        who = self.deleted_by.display_name if self.deleted_by else "someone"
        moment = timezone.localtime(self.deleted_at)
        return f"deleted by {who} on {date_format(moment, 'j M Y')}, skipped"


class RevenueLineQuerySet(models.QuerySet):
    """Revenue lines, and the one rule for which of them are counted.

    Invoices are the ledger of record: where an account has an invoice line
    in a quarter that covers it, its won-deal (pipeline) lines of that
    quarter are set aside, so sales imported both as won deals and as
    invoices are counted once. An invoice line covers its quarter when a
    stored rate converts it into the reporting currency (the rule of
    accounts.currency), or when its import was told to let invoices
    without a rate replace the won deals (covers_without_rate). Otherwise
    totals would leave out both the invoices and the deals. Every reader
    of amounts goes through counted(); the scoring load marks the quarter
    sums it reads by set_aside_quarters().
    """

    def converted(
        self, *, reporting_currency: str | None = None
    ) -> "RevenueLineQuerySet":
        """Return the lines a stored rate converts, or that need none."""
        currency = reporting_currency or reporting_currency_active()
        return self.filter(_converted_q(currency))

    def covering(
        self, *, reporting_currency: str | None = None
    ) -> "RevenueLineQuerySet":
        """Return the invoice lines that set aside their quarter's won deals."""
        currency = reporting_currency or reporting_currency_active()
        return self.filter(source=RevenueLine.Source.INVOICE).filter(
            _converted_q(currency) | models.Q(covers_without_rate=True)
        )

    def with_set_aside(
        self, *, reporting_currency: str | None = None
    ) -> "RevenueLineQuerySet":
        """Annotate each line with set_aside: invoices cover its quarter."""
        return self.annotate(
            set_aside=models.ExpressionWrapper(
                _set_aside_q(reporting_currency), output_field=models.BooleanField()
            )
        )

    def counted(
        self, *, reporting_currency: str | None = None
    ) -> "RevenueLineQuerySet":
        """Return the lines counted as revenue: none that invoices cover."""
        return self.exclude(_set_aside_q(reporting_currency))

    def set_aside(
        self, *, reporting_currency: str | None = None
    ) -> "RevenueLineQuerySet":
        """Return the won-deal lines set aside because invoices cover them."""
        return self.filter(_set_aside_q(reporting_currency))

    def set_aside_quarters(
        self, *, reporting_currency: str | None = None
    ) -> set[tuple[int, date]]:
        """Return the account-quarters whose won-deal lines are set aside."""
        return set(
            self.set_aside(reporting_currency=reporting_currency)
            .order_by()
            .values_list("account_id", "quarter_start")
            .distinct()
        )


def _converted_q(reporting_currency: str) -> models.Q:
    # The rule of accounts.currency: the latest rate dated on or before the
    # quarter start converts a quarter's line; blank is the reporting
    # currency.
    rated = CurrencyRate.objects.filter(
        reporting_currency=reporting_currency,
        currency=models.OuterRef("currency"),
        rate_date__lte=models.OuterRef("quarter_start"),
    )
    return models.Q(currency__in=["", reporting_currency]) | models.Q(
        models.Exists(rated)
    )


def _set_aside_q(reporting_currency: str | None) -> models.Q:
    invoiced = RevenueLine.objects.covering(
        reporting_currency=reporting_currency
    ).filter(
        account_id=models.OuterRef("account_id"),
        quarter_start=models.OuterRef("quarter_start"),
    )
    return models.Q(source=RevenueLine.Source.PIPELINE) & models.Q(
        models.Exists(invoiced)
    )


class RevenueLine(models.Model):
    """Realised revenue of one account and product: an invoice line or a sum.

    An imported invoice line keeps its own date and key, so extracts that
    overlap add up instead of replacing each other; quarter totals are kept
    by the database in RevenueQuarter. A pipeline line is the sum of one
    quarter's won deals.
    """

    class Source(models.TextChoices):
        # One quarter's won deals, summed by the bundled import or the
        # wizard; the bundled import removes it again when no won deal
        # stands behind it.
        PIPELINE = "pipeline", "Won deals of the pipeline"
        INVOICE = "invoice", "Invoices or another import"

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="revenue_lines"
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="revenue_lines"
    )
    # The first day of the quarter of `booked_on`, kept so that quarter
    # totals are one GROUP BY.
    quarter_start = models.DateField()
    # The invoice or posting date; blank for a quarter's sum.
    booked_on = models.DateField(null=True, blank=True)
    # To 3 decimals, the most any currency has (KWD); an amount with more
    # than its own currency's is refused (currency_codes.minor_digits).
    amount = MoneyAmountField(
        max_digits=17, decimal_places=3, validators=[ExactDigitsValidator()]
    )
    currency = models.CharField(max_length=3, default="USD")
    source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.INVOICE
    )
    # What an import finds the line by again: "invoice:<number>:<n>",
    # "row:<digest>:<n>" or "won:<account>:<product>:<quarter>". Lines
    # entered otherwise have none. The database default lets a bulk COPY
    # leave it out.
    import_key = models.CharField(max_length=255, blank=True, default="", db_default="")
    # An invoice line whose import was told to let it replace the quarter's
    # won deals even while no stored rate converts it (ImportJob's
    # invoices_without_rate); see RevenueLineQuerySet.covering().
    covers_without_rate = models.BooleanField(
        "replaces won deals without a rate", default=False, db_default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RevenueLineQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["import_key"],
                condition=~models.Q(import_key=""),
                name="unique_revenue_line_import_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["account", "product", "quarter_start"],
                name="revenue_line_quarter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.product} {self.quarter_start}"

    def clean(self) -> None:
        problem = amount_places_problem(self.amount, self.currency)
        if problem:
            raise ValidationError({"amount": [problem]})


class RevenueQuarter(models.Model):
    """The revenue lines of one account, product, quarter, currency and source.

    Kept by the database itself (accounts.revenue_quarters installs the
    triggers): every INSERT, UPDATE, DELETE or TRUNCATE of revenue lines,
    whoever sends it, adds its lines' amounts and counts here in the same
    statement, so a score run reads these sums instead of grouping every
    invoice line. The set-aside rule is applied when they are read: it
    depends on which sources an account-quarter has, which is here too.
    """

    # The key is the primary key, and its index the only one besides the
    # small partial one below: no id sequence to draw from for every
    # upserted row, no other index to keep.
    pk = models.CompositePrimaryKey(
        "account", "product", "quarter_start", "currency", "source"
    )
    # No foreign keys in the database and none followed by Django: the
    # triggers remove a row when its last line goes, and a key check per
    # upserted row would cost an import as much as the upsert itself.
    account = models.ForeignKey(
        Account,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    quarter_start = models.DateField()
    currency = models.CharField(max_length=3)
    source = models.CharField(max_length=20, choices=RevenueLine.Source.choices)
    amount = MoneyAmountField(max_digits=31, decimal_places=3)
    lines = models.IntegerField()

    class Meta:
        indexes = [
            # Rows whose last line went are deleted by the same trigger
            # through this index, which stays all but empty.
            models.Index(
                fields=["lines"],
                condition=models.Q(lines=0),
                name="revenue_quarter_emptied",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.product_id} {self.quarter_start}"


class ChangeRecord(models.Model):
    """One field of one object changed by one person: the shared history.

    Stakeholders and plans record every edit here, so an account has one
    readable history and an erasure can scrub a person from all of it.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="change_records"
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    object_label = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=20, default="update")
    field = models.CharField(max_length=100, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_records",
    )
    # Who made the change, kept when their user is deleted and the key
    # above is cleared, so the history still names them.
    changed_by_name = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    # The import that made this change, or whose undo did; blank for a hand
    # edit. The history names it, and an undo tells the two apart by it.
    import_job = models.ForeignKey(
        "ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_records",
    )

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["account", "changed_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.object_label}.{self.field} by {self.changed_by}"

    @property
    def changed_by_label(self) -> str:
        """Return who made the change, marked if their user has gone."""
        if self.changed_by is not None:
            return self.changed_by.display_name
        if self.changed_by_name:
            return f"{self.changed_by_name} (deleted)"
        return ""


class InvoicesWithoutRate(models.TextChoices):
    """Whether invoices no stored rate converts replace counted won deals."""

    KEEP_DEALS = "keep_deals", "Keep counting the won deals until a rate is stored"
    REPLACE_DEALS = "replace_deals", "Let the invoices replace the won deals now"


class ImportJob(models.Model):
    """One import of a CRM export: its files, progress, counts and report."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected (nothing written)"

    class Window(models.TextChoices):
        """What the import does to a scoring window it would move."""

        KEEP = "keep", "Keep the window"
        MOVE = "move", "Move the window"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    # Who started the import, kept when their user is deleted and the key
    # above is cleared, so the import still names them.
    created_by_name = models.CharField(max_length=300, blank=True)
    # A directory holding accounts.csv, products.csv, sales_teams.csv and
    # sales_pipeline.csv: MEDIA_ROOT/imports/<id>/ for uploads, or the
    # directory given to the management command.
    source_directory = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    keep_good_rows = models.BooleanField(default=False)
    # What the import's invoices do to a quarter's counted won deals while
    # no stored rate converts them: by default the deals keep counting.
    invoices_without_rate = models.CharField(
        max_length=20,
        choices=InvoicesWithoutRate.choices,
        default=InvoicesWithoutRate.KEEP_DEALS,
    )
    # Blank when the check found the window would not move. Otherwise the
    # user's choice, and where the window ended before the import and would
    # end after it: keeping it pins the active scoring model's Score as of
    # to window_before before the import's score run, and undo unpins it.
    window = models.CharField(max_length=4, choices=Window.choices, blank=True)
    window_before = models.DateField(null=True, blank=True)
    window_after = models.DateField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    issues = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    # Where the request that started the import came from, for the audit of
    # what the worker then changes; for the command line, the command and
    # the OS user who ran it (config.security.command_line_audited).
    started_ip_address = models.GenericIPAddressField(null=True, blank=True)
    started_user_agent = models.CharField(max_length=300, blank=True)
    # One entry per erasure that reached this job: [{"erased_at": iso,
    # "files": {upload name: values replaced}, "row_report": bool,
    # "notes": bool}]. Says why the stored files no longer match the upload.
    erasures = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the sweep deleted the uploaded files, LODE_UPLOAD_KEEP_DAYS after
    # the import ended (accounts.upload_retention); its report is kept.
    uploads_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.status})"

    @property
    def created_by_label(self) -> str:
        """Return who started the import, marked if their user has gone."""
        if self.created_by is not None:
            return self.created_by.display_name
        if self.created_by_name:
            return f"{self.created_by_name} (deleted)"
        return ""

    @property
    def window_said(self) -> str:
        """Say what the import chose to do with the scoring window, or ""."""
        if self.window == self.Window.KEEP and self.window_before is not None:
            return (
                "Scoring window kept: the twelve months to "
                f"{day_text(self.window_before)} (this import's revenue "
                f"reaches {day_text(self.window_after or self.window_before)})."
            )
        if self.window == self.Window.MOVE and self.window_after is not None:
            return (
                "Scoring window moved: from the twelve months to "
                f"{day_text(self.window_before or self.window_after)} to the "
                f"twelve months to {day_text(self.window_after)}."
            )
        return ""

    @property
    def invoices_without_rate_said(self) -> str:
        """Say what the import's invoices without a rate do to won deals."""
        if self.invoices_without_rate == InvoicesWithoutRate.REPLACE_DEALS:
            return "invoices without a rate replace the won deals at once"
        return "won deals count until their quarter's invoices have a rate"

    @property
    def is_finished(self) -> bool:
        return self.status in {
            self.Status.SUCCEEDED,
            self.Status.FAILED,
            self.Status.REJECTED,
        }

    @property
    def uploads_removed_said(self) -> str:
        """Say that the uploads are gone, and why; blank while they are kept."""
        if self.uploads_removed_at is None:
            return ""
        day = timezone.localtime(self.uploads_removed_at)
        return (
            f"The uploaded files of import {self.pk} were deleted on "
            f"{day:%-d %b %Y}, {settings.LODE_UPLOAD_KEEP_DAYS} days after it "
            "ended; upload them again to import them."
        )

    @property
    def rejected_count(self) -> int:
        return sum(1 for issue in self.issues if issue.get("action") == "rejected")

    @property
    def erasures_said(self) -> list[str]:
        """Say, per erasure, what of this job had a person's values replaced."""
        said = []
        for erasure in self.erasures:
            places = [
                f"{name} ({count} value{'' if count == 1 else 's'})"
                for name, count in erasure.get("files", {}).items()
            ]
            if erasure.get("row_report"):
                places.append("the row report")
            if erasure.get("notes"):
                places.append("the import's notes")
            if len(places) > 1:
                places = [", ".join(places[:-1]) + " and " + places[-1]]
            moment = timezone.localtime(datetime.fromisoformat(erasure["erased_at"]))
            when = date_format(moment, "j M Y H:i")
            if places:
                said.append(
                    f"{when}: an erased person's values were replaced by "
                    f"[erased] in {places[0]}."
                )
            # A stored workbook the upload bounds refused was not read, so
            # it may still hold the person's values: say so, and why.
            for name, reason in erasure.get("unread", {}).items():
                said.append(
                    f"{when}: {name} was not read, so an erased person's values "
                    f"may still be in it: {reason}"
                )
        return said


class ApiToken(models.Model):
    """A personal API token: the user names it, Lode keeps only its hash."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the secret, so a user can tell tokens apart
    # without Lode keeping anything that would let it be replayed.
    prefix = models.CharField(max_length=12)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """Who did what security-relevant thing, when and from where."""

    class Action(models.TextChoices):
        LOGIN = "login", "Logged in"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOGIN_LOCKED = "login_locked", "Login locked out"
        LOGOUT = "logout", "Logged out"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        EXPORT = "export", "Export"
        OVERRIDE = "override", "Override"
        ERASURE = "erasure", "Erasure"
        PERMISSION_CHANGE = "permission_change", "Permission change"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    # Kept as text too: a failed login may name no real user, and the
    # record must outlive the user it names.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    target_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_label = models.CharField(max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_label or '?'}"


# The import wizard: mapped imports of CRM, ERP and support exports


class MappedImport(models.Model):
    """The wizard's side of an import job: its files, mapping and choices."""

    job = models.OneToOneField(
        ImportJob, on_delete=models.CASCADE, related_name="mapped"
    )
    # [{"name": "accounts.csv", "path": "...", "size": 1234}], in upload order.
    files = models.JSONField(default=list, blank=True)
    # {file name: {column: [entity, field]}}
    mapping = models.JSONField(default=dict, blank=True)
    # {file name: {column: option}}: the answers to the columns' questions.
    answers = models.JSONField(default=dict, blank=True)
    # {incoming account name: existing account name}, confirmed by the user.
    merges = models.JSONField(default=dict, blank=True)
    # [{"archive": "export.zip", "file": "__MACOSX/._a.csv", "reason": "..."}]:
    # the members of uploaded archives left out, and why.
    skipped = models.JSONField(default=list, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="undone_imports",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Mapped import {self.job_id}"

    @property
    def file_names(self) -> list[str]:
        return [file["name"] for file in self.files]


class SavedMapping(models.Model):
    """A confirmed column mapping, offered again for the same header row."""

    signature = models.CharField(max_length=64, unique=True)
    headers = models.JSONField(default=list, blank=True)
    # {normalised header: [entity, field]}, as recognise.mapping_save_form.
    mapping = models.JSONField(default=dict, blank=True)
    # {normalised stage name: "won" | "lost" | "open"}: the user's answers
    # for deal stages Lode does not know, applied to the next import too.
    stage_answers = models.JSONField(default=dict, blank=True)
    # {normalised header: "day-first" | "month-first"}: the user's answers
    # for date columns whose values could be read either way.
    date_orders = models.JSONField(default=dict, blank=True)
    # {normalised header: currency code}: the user's answers for money
    # columns whose amounts name no currency beside amounts that do.
    currency_answers = models.JSONField(default=dict, blank=True)
    # {normalised header: "." | ","}: the user's answers for number columns
    # whose values could read either mark as the decimal separator.
    decimal_answers = models.JSONField(default=dict, blank=True)
    # The CSV delimiter the user chose for a file with these headers ("" when
    # it was detected): the next such file is read with it, not asked again.
    delimiter = models.CharField(max_length=1, blank=True, default="")
    # The number format chosen for a file with these headers (a key of
    # accounts.parsing.NUMBER_FORMATS; "" when each column was detected).
    number_format = models.CharField(max_length=8, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="saved_mappings",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"Mapping {self.signature}"


class ImportRowChange(models.Model):
    """One object an import created or updated, with the values it replaced."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="row_changes"
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(max_length=20, choices=Action.choices)
    # Field name -> the value before the import, as JSON text forms.
    old_values = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["job", "content_type"]),
            models.Index(fields=["content_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.content_type_id}:{self.object_id}"


class AccountNameStage(models.Model):
    """An account name a running import proposes incoming names against.

    The accounts import keeps the names it matches against here, folded
    (accounts.matching), rather than in memory: a file of a million new
    accounts would otherwise hold a million names and their words. The
    rows live for one run, in its transaction, and go when it ends.
    """

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="account_names_staged"
    )
    name = models.CharField(max_length=200)
    key = models.TextField()
    # One row for each word a typo may be in, the name's other words as
    # its skeleton (accounts.matching.account_name_skeletons); one row with
    # a blank skeleton when no word may be.
    skeleton = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["job", "name"]),
            models.Index(fields=["job", "key"]),
            models.Index(fields=["job", "skeleton"]),
        ]

    def __str__(self) -> str:
        return self.name


class AccountReadStage(models.Model):
    """Where a running import first read an account ID or name.

    One ID is one account and one name one ID over the whole upload, so
    a later row that gives either to another is refused, naming the row
    that read it first. Kept here for one run rather than in memory, for
    the same reason as `AccountNameStage`.
    """

    class Kind(models.TextChoices):
        ID = "id", "ID"
        NAME = "name", "Name"

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="account_reads_staged"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    value = models.TextField()
    file = models.TextField()
    line = models.PositiveIntegerField()
    # The name read with an ID, or the ID read with a name ("" for none).
    other = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


class RevenueKeyStage(models.Model):
    """How many lines of a revenue file a running import read under a key.

    A line is keyed by its invoice number and its place among that
    invoice's lines, else by its values and how often the same values came
    before it in the same file (accounts.revenue_keys): the count of each
    invoice and of each line's values is carried from chunk to chunk here
    rather than in memory, for the same reason as `AccountNameStage`.
    """

    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="revenue_keys_staged"
    )
    file = models.TextField()
    # "invoice:<number>" or "row:<digest of the values>".
    key = models.TextField()
    lines = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["job", "file", "key"])]

    def __str__(self) -> str:
        return f"{self.key} {self.lines}"


class CurrencyRate(models.Model):
    """How many units of the reporting currency one unit of a currency buys."""

    currency = models.CharField(max_length=3)
    reporting_currency = models.CharField(max_length=3, default="USD")
    rate = models.DecimalField(
        max_digits=20, decimal_places=10, validators=[ExactDigitsValidator()]
    )
    rate_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-rate_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "reporting_currency", "rate_date"],
                name="unique_currency_rate",
            )
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.reporting_currency}"

    def clean(self) -> None:
        # A rate of 0 would count every amount in the currency as nothing.
        if self.rate is not None and self.rate <= 0:
            raise ValidationError({"rate": RATE_NOT_ABOVE_ZERO})


class SupportSignal(models.Model):
    """Support-desk health of one account in one period: tickets, CSAT, NPS."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="support_signals"
    )
    period_start = models.DateField()
    tickets = models.PositiveIntegerField(null=True, blank=True)
    # Satisfaction on the export's own scale: CSAT per cent from 0 to 100
    # ("92%" and a workbook's 0.92 shown as 92% are both kept as 92), or a
    # 1-5 mean.
    satisfaction = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    nps = models.SmallIntegerField("net promoter score", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_start"], name="unique_support_signal"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.period_start}"
