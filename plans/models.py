"""The living account plan: strategies, alignment, pursuits, gates, actions."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Plan(models.Model):
    """One account's plan for one fiscal year."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="plans"
    )
    # Named after the calendar year in which the fiscal year ends.
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
        return f"{self.account} FY{self.fiscal_year}"

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year}"


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
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
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
