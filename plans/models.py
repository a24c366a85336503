"""The living account plan: strategies, alignment, pursuits, gates, actions."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.currency import amount_text
from accounts.currency_codes import CurrencyCodeField, MoneyAmountField
from accounts.numbers import ExactDigitsValidator
from config.bounds import DATE_MIN
from plans.periods import fiscal_year_for


class Plan(models.Model):
    """One account's plan for one fiscal year."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="plans"
    )
    # The label year under FISCAL_YEAR_LABEL when the plan was started; titles
    # are named from period_start, which no label convention changes.
    fiscal_year = models.PositiveSmallIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_plans",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    summary = models.TextField(blank=True)
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_plans",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-fiscal_year", "account__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fiscal_year"], name="unique_plan_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.label}"

    @property
    def label(self) -> str:
        return f"FY{fiscal_year_for(self.period_start)}"

    @property
    def next_fiscal_year(self) -> int:
        """Return the label year of the fiscal year after this plan's."""
        return fiscal_year_for(self.period_end + timedelta(days=1))


class Strategy(models.Model):
    """A customer's long-term strategy or short-term initiative."""

    class Kind(models.TextChoices):
        STRATEGY = "strategy", "Long-term strategy"
        INITIATIVE = "initiative", "Short-term initiative"

    class Horizon(models.TextChoices):
        QUARTER = "quarter", "This quarter"
        YEAR = "year", "Within a year"
        MULTI_YEAR = "multi_year", "One to three years"
        LONG = "long", "Three years or more"

    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Source(models.TextChoices):
        ANNUAL_REPORT = "annual_report", "Annual report"
        ANALYST = "analyst", "Analyst presentation"
        MEETING = "meeting", "Meeting"
        PRESS = "press", "Press release"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACHIEVED = "achieved", "Achieved"
        DROPPED = "dropped", "Dropped"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="strategies")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.STRATEGY)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    horizon = models.CharField(
        max_length=20, choices=Horizon.choices, default=Horizon.MULTI_YEAR
    )
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    source = models.CharField(
        max_length=20, choices=Source.choices, default=Source.MEETING
    )
    # A link to the report or a note of who said it and when.
    source_detail = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN
    )
    # The people at the customer who own or care about it.
    stakeholders = models.ManyToManyField(
        "stakeholders.Stakeholder", blank=True, related_name="plan_strategies"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name_plural = "strategies"

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Alignment(models.Model):
    """Which of our products serves a strategy, and the value in their terms."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="alignments")
    strategy = models.ForeignKey(
        Strategy, on_delete=models.CASCADE, related_name="alignments"
    )
    product = models.ForeignKey(
        "accounts.Product", on_delete=models.PROTECT, related_name="plan_alignments"
    )
    customer_value = models.TextField(blank=True)
    # Our planned effort in person-days: the other half of the balance view.
    effort_days = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["strategy_id", "id"]

    def __str__(self) -> str:
        return f"{self.product} for {self.strategy}"


class SellCycleTemplate(models.Model):
    """Reusable sell-cycle stages; a pursuit copies one when it starts."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    # Bumped on every edit, so a pursuit tells which revision it copied.
    revision = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="unique_template_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} (rev. {self.revision})"


class TemplateStage(models.Model):
    template = models.ForeignKey(
        SellCycleTemplate, on_delete=models.CASCADE, related_name="stages"
    )
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    our_activities = models.TextField(blank=True)
    exit_criteria = models.TextField(blank=True)
    buyer_step = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["template_id", "order"]

    def __str__(self) -> str:
        return self.name


class TemplateCheckpoint(models.Model):
    stage = models.ForeignKey(
        TemplateStage, on_delete=models.CASCADE, related_name="checkpoints"
    )
    order = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["stage_id", "order", "id"]

    def __str__(self) -> str:
        return self.description


def pursuit_money_day(
    *, closed_on: date | None, expected_close_on: date | None, created_at: datetime
) -> date:
    """Return the day a pursuit's amount converts at, as Pursuit.money_day."""
    return closed_on or expected_close_on or timezone.localdate(created_at)


class Pursuit(models.Model):
    """An opportunity inside the plan, on one whitespace cell."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        NO_DECISION = "no_decision", "No decision"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="pursuits")
    # With plan.account, the product names the whitespace cell.
    product = models.ForeignKey(
        "accounts.Product", on_delete=models.PROTECT, related_name="plan_pursuits"
    )
    strategy = models.ForeignKey(
        Strategy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pursuits",
    )
    name = models.CharField(max_length=200)
    amount = MoneyAmountField(max_digits=15, decimal_places=3, default=Decimal(0))
    # The amount's currency. A new pursuit takes the organisation's
    # reporting currency (the active scoring model's) unless told otherwise.
    currency = CurrencyCodeField(default="USD", db_default="USD")
    expected_close_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_pursuits",
    )
    template = models.ForeignKey(
        SellCycleTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pursuits",
    )
    template_revision = models.PositiveIntegerField(null=True, blank=True)
    current_stage = models.ForeignKey(
        "PursuitStage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, default=Outcome.OPEN
    )
    outcome_reason = models.TextField(blank=True)
    reengage_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def amount_text(self) -> str:
        """Return the amount as money_text writes it, without the currency."""
        return amount_text(self.amount, self.currency)

    def clean(self) -> None:
        if self.outcome == self.Outcome.NO_DECISION:
            errors = {}
            if not self.outcome_reason.strip():
                errors["outcome_reason"] = "Say why the customer made no decision."
            if self.reengage_on is None:
                errors["reengage_on"] = "Set a date to re-engage."
            if errors:
                raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.outcome == self.Outcome.OPEN

    @property
    def money_day(self) -> date:
        """Return the day whose rate converts the amount: its close, else when
        it is expected to close, else when it started."""
        return pursuit_money_day(
            closed_on=self.closed_on,
            expected_close_on=self.expected_close_on,
            created_at=self.created_at,
        )


class PursuitStage(models.Model):
    """A pursuit's own copy of a template stage, tailored freely."""

    pursuit = models.ForeignKey(
        Pursuit, on_delete=models.CASCADE, related_name="stages"
    )
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    our_activities = models.TextField(blank=True)
    exit_criteria = models.TextField(blank=True)
    buyer_step = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pursuit_id", "order"]

    def __str__(self) -> str:
        return self.name


class Checkpoint(models.Model):
    """Something the buyer must visibly do; validated with evidence."""

    stage = models.ForeignKey(
        PursuitStage, on_delete=models.CASCADE, related_name="checkpoints"
    )
    order = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(max_length=300)
    required = models.BooleanField(default=True)
    evidence = models.TextField(blank=True)
    evidence_link = models.URLField(blank=True)
    happened_on = models.DateField(null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="validated_checkpoints",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["stage_id", "order", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_validated(self) -> bool:
        return self.validated_at is not None


class GateOverride(models.Model):
    """A manager let a pursuit past a gate; the reason stays on record."""

    pursuit = models.ForeignKey(
        Pursuit, on_delete=models.CASCADE, related_name="gate_overrides"
    )
    from_stage = models.ForeignKey(
        PursuitStage, on_delete=models.CASCADE, related_name="overrides_from"
    )
    to_stage = models.ForeignKey(
        PursuitStage, on_delete=models.CASCADE, related_name="overrides_to"
    )
    reason = models.TextField()
    missing_checkpoints = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="gate_overrides",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.pursuit}: {self.from_stage} to {self.to_stage}"


class Action(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.OPEN
    )
    strategy = models.ForeignKey(
        Strategy,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    pursuit = models.ForeignKey(
        Pursuit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
    )
    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_actions",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.IN_PROGRESS}

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_on is not None and self.due_on < today

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class ExternalForce(models.Model):
    """Regulation, a merger, a budget freeze: something that puts work at risk."""

    class Kind(models.TextChoices):
        REGULATION = "regulation", "Regulation"
        MERGER = "merger", "Merger or acquisition"
        BUDGET_FREEZE = "budget_freeze", "Budget freeze"
        LEADERSHIP = "leadership", "Leadership change"
        COMPETITOR = "competitor", "Competitor move"
        OTHER = "other", "Other"

    class Impact(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="external_forces"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    impact = models.CharField(
        max_length=10, choices=Impact.choices, default=Impact.MEDIUM
    )
    review_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    strategies = models.ManyToManyField(
        Strategy, blank=True, related_name="external_forces"
    )
    pursuits = models.ManyToManyField(
        Pursuit, blank=True, related_name="external_forces"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Comment(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="plan_comments",
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.body[:50]


class ManagerReview(models.Model):
    """A manager's recorded review of a plan with the account team."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="manager_reviews"
    )
    reviewed_on = models.DateField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="manager_reviews",
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="attended_reviews"
    )
    # People who are not Lode users, such as a partner or a specialist.
    other_attendees = models.CharField(max_length=300, blank=True)
    coaching_points = models.TextField()
    agreed_actions = models.TextField(blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"Review of {self.plan} on {self.reviewed_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.next_review_on and self.next_review_on <= self.reviewed_on:
            raise ValidationError(
                {"next_review_on": "The next review must come after this one."}
            )


# The value scorecard, the customer's voice and the quarterly executive
# review. Quarters are stored by their first day (see plans/calendar.py), so
# changing the label convention renames them without touching a row.


class ValueMeasure(models.Model):
    """A measure of value agreed with the customer, e.g. hours saved."""

    class Direction(models.TextChoices):
        UP = "up", "Higher is better"
        DOWN = "down", "Lower is better"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="value_measures"
    )
    name = models.CharField(max_length=150)
    unit = models.CharField(max_length=30, blank=True)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.UP
    )
    baseline = models.DecimalField(
        max_digits=16, decimal_places=2, validators=[ExactDigitsValidator()]
    )
    # Where the figure comes from: "customer's ERP", "joint survey".
    source = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="value_measures",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="unique_value_measure_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_better(self, value: Decimal, than: Decimal) -> bool:
        return value > than if self.direction == self.Direction.UP else value < than


class MeasureQuarter(models.Model):
    """One measure's target and actual for one fiscal quarter."""

    measure = models.ForeignKey(
        ValueMeasure, on_delete=models.CASCADE, related_name="quarters"
    )
    quarter_start = models.DateField()
    target = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[ExactDigitsValidator()],
    )
    actual = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[ExactDigitsValidator()],
    )
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measure_quarters",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["measure_id", "quarter_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "quarter_start"], name="unique_measure_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.quarter_start}"

    @property
    def on_target(self) -> bool | None:
        if self.target is None or self.actual is None:
            return None
        return self.actual == self.target or self.measure.is_better(
            self.actual, self.target
        )


class CustomerLink(models.Model):
    """A signed, expiring, revocable link for one named customer contact.

    It shows that account's scorecard, takes the contact's quarterly rating
    and comments, and lets them confirm the checkpoints assigned to them.
    Only a hash of the link's secret is kept.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="customer_links"
    )
    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder",
        on_delete=models.CASCADE,
        related_name="customer_links",
    )
    checkpoints = models.ManyToManyField(
        Checkpoint, blank=True, related_name="customer_links"
    )
    secret_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revoked_customer_links",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="customer_links",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Link for {self.stakeholder} at {self.account}"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and now < self.expires_at


class CustomerLinkEvent(models.Model):
    """Something a customer contact did through their link."""

    class Action(models.TextChoices):
        OPENED = "opened", "Opened the scorecard"
        RATED = "rated", "Rated the quarter"
        CONFIRMED = "confirmed", "Confirmed a checkpoint"

    link = models.ForeignKey(
        CustomerLink, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.link.stakeholder}: {self.get_action_display()}"


class CustomerRating(models.Model):
    """A customer contact's rating of the value we delivered in a quarter."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="customer_ratings"
    )
    quarter_start = models.DateField()
    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder",
        on_delete=models.CASCADE,
        related_name="value_ratings",
    )
    # From 1 (no value) to 10 (far beyond what was agreed).
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    # True when the contact entered it themselves through their link. A rep's
    # entry for the same contact and quarter is a separate rating, kept.
    by_customer = models.BooleanField(default=False)
    # The link the contact used (kept until the link is deleted).
    link = models.ForeignKey(
        CustomerLink,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_customer_ratings",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "quarter_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "quarter_start", "stakeholder", "by_customer"],
                name="unique_customer_rating_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} rated {self.score}/10"

    @property
    def entered_by(self) -> str:
        """Say who entered the rating: the contact themselves or a colleague."""
        if self.by_customer:
            return "the customer (own link)"
        if self.recorded_by is None:
            return "the team"
        return self.recorded_by.display_name

    def clean(self) -> None:
        if not 1 <= self.score <= 10:
            raise ValidationError({"score": "Rate from 1 to 10."})


class VoiceOfCustomer(models.Model):
    """A quote, survey score, complaint or praise, with who said it and when."""

    class Kind(models.TextChoices):
        QUOTE = "quote", "Quote"
        SURVEY = "survey", "Survey score"
        COMPLAINT = "complaint", "Complaint"
        PRAISE = "praise", "Praise"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="voice_entries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.QUOTE)
    body = models.TextField(blank=True)
    # A survey's score and the top of its scale: 8 of 10, 42 of 100.
    score = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    score_max = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True
    )
    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="voice_entries",
    )
    # Who said it when they are not a mapped person: "Plant manager, Lyon".
    speaker = models.CharField(max_length=200, blank=True)
    said_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="voice_entries",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The version an edit or delete must name, as for measures.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-said_on", "-id"]
        verbose_name_plural = "voice of customer entries"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.who}"

    @property
    def who(self) -> str:
        return str(self.stakeholder) if self.stakeholder_id else self.speaker

    def clean(self) -> None:
        errors = {}
        if self.stakeholder_id is None and not self.speaker.strip():
            errors["speaker"] = "Say who said it."
        if self.said_on and self.said_on > timezone.localdate():
            errors["said_on"] = "Said on cannot be in the future."
        elif self.said_on and self.said_on < DATE_MIN:
            errors["said_on"] = f"Said on cannot be before {DATE_MIN.year}."
        if self.kind == self.Kind.SURVEY:
            if self.score is None or self.score_max is None:
                errors["score"] = "A survey entry needs its score and scale."
            elif not 0 <= self.score <= self.score_max:
                errors["score"] = "The score must lie between 0 and the scale's top."
        elif not self.body.strip():
            errors["body"] = "Write what was said."
        if errors:
            raise ValidationError(errors)


class PlanSnapshot(models.Model):
    """A frozen capture of a plan, for "what changed" views and reviews."""

    class Trigger(models.TextChoices):
        QUARTER_END = "quarter_end", "Quarter end"
        ON_DEMAND = "on_demand", "On demand"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="snapshots")
    trigger = models.CharField(
        max_length=20, choices=Trigger.choices, default=Trigger.ON_DEMAND
    )
    # The quarter a quarter-end snapshot closes; blank for on-demand ones.
    quarter_start = models.DateField(null=True, blank=True)
    label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_snapshots",
    )
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_at", "-id"]
        constraints = [
            # The beat task may run twice; a quarter closes once per plan.
            models.UniqueConstraint(
                fields=["plan", "quarter_start"],
                condition=models.Q(trigger="quarter_end"),
                name="unique_quarter_end_snapshot",
            )
        ]

    def __str__(self) -> str:
        return self.label or f"Snapshot of {self.plan} at {self.taken_at:%Y-%m-%d}"


class ExecutiveReview(models.Model):
    """The quarterly executive review: what was decided in the meeting."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="executive_reviews",
    )
    quarter_start = models.DateField()
    held_on = models.DateField(null=True, blank=True)
    attendees = models.TextField(blank=True)
    decisions = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    # What the review compares against: the snapshot taken for it.
    snapshot = models.ForeignKey(
        PlanSnapshot,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="executive_reviews",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="executive_reviews",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["account_id", "-quarter_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "quarter_start"], name="unique_executive_review"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} review of {self.quarter_start}"

    def clean(self) -> None:
        if self.held_on is None:
            return

        if self.held_on < self.quarter_start:
            starts = f"{self.quarter_start.day} {self.quarter_start:%b %Y}"
            raise ValidationError(
                {"held_on": f"Held on cannot be before the quarter starts ({starts})."}
            )
        if self.held_on > timezone.localdate():
            raise ValidationError({"held_on": "Held on cannot be in the future."})


class DashboardSummary(models.Model):
    """One viewer's manager dashboard, built once and read by every request.

    Building the figures reads the facts of every account the viewer sees:
    seconds for someone who sees 100,000 of them. The page reads what is
    stored here instead and says when it was built. `version` names the data
    it was built from (plans.dashboard_summaries.dashboard_data_version); a
    summary of other data is rebuilt, or shown as of its time while a task
    rebuilds it.
    """

    # A hash of the viewer's visible set and the filters.
    key = models.CharField(max_length=64, unique=True)
    # A hash of the visible set alone: a page whose filters have no figures
    # yet shows the same viewer's newest other figures meanwhile.
    visibility = models.CharField(max_length=64, blank=True, db_index=True)
    # Whom it was built for: the refresh task builds it again as them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="dashboard_summaries",
    )
    # The filters, as the dashboard's query string.
    query = models.JSONField(default=dict, blank=True)
    version = models.CharField(max_length=300)
    accounts = models.PositiveIntegerField(default=0)
    # The figures and the page's short tables (plans.dashboard.Dashboard with
    # its account lists left out), pickled; written only by our own code.
    # Empty, with no built_at, while a large one is first being built.
    dashboard = models.BinaryField(default=b"", blank=True)
    # The page's filters and figures, rendered when built; kept apart from
    # the pickle because it is nearly all of it (290 kB for sales ops at
    # 100,000 accounts), and the drill-down and exports never read it.
    body_html = models.TextField(default="", blank=True)
    built_at = models.DateTimeField(null=True, blank=True)
    build_seconds = models.FloatField(default=0)
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        if self.built_at is None:
            return f"Dashboard of {self.user_id} being prepared"
        return f"Dashboard of {self.user_id} built {self.built_at:%Y-%m-%d %H:%M}"


class DashboardSummaryFigure(models.Model):
    """A block of the accounts behind one figure of a stored dashboard.

    A figure's accounts, by name, are kept in blocks of a fixed size
    (plans.dashboard_summaries.FIGURE_BLOCK), numbered from 0: a page of the
    drill-down reads the one or two blocks it falls in through the unique
    index, not an array of 100,000 ids.
    """

    summary = models.ForeignKey(
        DashboardSummary, on_delete=models.CASCADE, related_name="figures"
    )
    key = models.CharField(max_length=100)
    block = models.PositiveIntegerField(default=0)
    account_ids = models.JSONField(default=list, blank=True)
    # Each account's row position (DashboardSummaryRow.position), beside its
    # id, and the block's last: a cursor page finds where it reads on from
    # by position, in the block it falls in.
    positions = models.JSONField(default=list, blank=True)
    last_position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "key", "block"],
                name="unique_dashboard_summary_figure_block",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} block {self.block} of summary {self.summary_id}"


class DashboardSummaryRow(models.Model):
    """One account's row of a stored dashboard, for its drill-down and exports.

    The row (plans.dashboard.AccountRow) is pickled as built, so a page of a
    drill-down reads its 50 rows in one query instead of a dozen, and an
    export reads every row instead of building the dashboard again.
    """

    summary = models.ForeignKey(
        DashboardSummary, on_delete=models.CASCADE, related_name="rows"
    )
    # Not a foreign key: the row is a copy, kept as of the summary's time.
    account_id = models.BigIntegerField()
    # By account name, as the dashboard lists them.
    position = models.PositiveIntegerField()
    # Among the rows with a plan, least complete first, as the plan
    # completeness table lists them; blank without a plan.
    plan_rank = models.PositiveIntegerField(null=True, blank=True)
    row = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "account_id"],
                name="unique_dashboard_summary_row",
            )
        ]
        # The exports stream the rows in this order; without the index
        # PostgreSQL sorts all 100,000 rows before it sends the first.
        indexes = [
            models.Index(
                fields=["summary", "position"], name="dashboard_summary_row_order"
            ),
            models.Index(
                fields=["summary", "plan_rank"], name="dashboard_summary_row_rank"
            ),
        ]

    def __str__(self) -> str:
        return f"Account {self.account_id} of summary {self.summary_id}"
