from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models import Account, ImportJob

WEIGHT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def weight_field(default: int, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=WEIGHT_VALIDATORS,
        help_text=help_text,
    )


class ScoringModel(models.Model):
    """Weights and thresholds that turn account facts into two scores."""

    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=False)

    # Performance: what the account buys today.
    weight_ttm_revenue = weight_field(50, "Trailing-12-month won revenue.")
    weight_growth = weight_field(25, "Growth of the last 12 months over the 12 before.")
    weight_breadth = weight_field(
        25, "Share of our catalogue the account already buys."
    )

    # Potential: what it could buy.
    weight_wallet_headroom = weight_field(
        50, "Peer spend per unit of company revenue, less what it spends now."
    )
    weight_product_whitespace = weight_field(25, "Products not yet bought.")
    weight_subsidiary_whitespace = weight_field(
        10, "Subsidiaries not yet buying from us."
    )
    weight_capacity = weight_field(15, "Company size: revenue and employees.")

    # Quadrant thresholds on the 0-100 scores.
    performance_threshold = weight_field(50, "Performance at or above is high.")
    potential_threshold = weight_field(50, "Potential at or above is high.")

    # A/B/C tier by revenue alone: cumulative share of TTM revenue.
    tier_a_share = weight_field(70, "Top accounts making this % of revenue are A.")
    tier_b_share = weight_field(90, "Next accounts up to this % of revenue are B.")

    # Peer groups smaller than this are widened.
    min_peer_group = models.PositiveSmallIntegerField(default=5)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_scoring_model",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ScoreRun(models.Model):
    """One recomputation of every account's scores under one model."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    scoring_model = models.ForeignKey(
        ScoringModel, on_delete=models.PROTECT, related_name="runs"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING
    )
    is_current = models.BooleanField(default=False)
    message = models.TextField(blank=True)
    trigger = models.CharField(max_length=30, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="score_runs",
    )
    # The import whose finish requested this run, shown on the job's page.
    import_job = models.ForeignKey(
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="score_runs",
    )
    as_of = models.DateField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    accounts_scored = models.PositiveIntegerField(default=0)
    revenue_lines_read = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    figure = models.JSONField(null=True, blank=True)
    # Portfolio-wide figures the portfolio page reads instead of scanning the
    # scores: "sectors" (every account's sector, sorted) and
    # "potential_quartile" (the top-quartile potential threshold).
    summary = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=models.Q(is_current=True),
                name="one_current_score_run",
            )
        ]

    def __str__(self) -> str:
        return f"Score run {self.pk} ({self.status})"


class AccountScore(models.Model):
    """One account's scores in one run, with the parts that made them."""

    class Quadrant(models.TextChoices):
        GROW = "grow", "Grow"
        EXPAND = "expand", "Expand"
        MAINTAIN = "maintain", "Maintain"
        MONITOR = "monitor", "Monitor"

    class Tier(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="scores")
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="scores"
    )
    performance = models.FloatField()
    potential = models.FloatField()
    quadrant = models.CharField(max_length=20, choices=Quadrant.choices)
    tier = models.CharField(max_length=1, choices=Tier.choices)
    ttm_revenue = models.DecimalField(max_digits=16, decimal_places=2)
    components = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "account"], name="unique_account_score_per_run"
            )
        ]
        indexes = [
            models.Index(fields=["account", "run"]),
            # The portfolio table sorts a run's scores by these.
            models.Index(fields=["run", "potential"]),
            models.Index(fields=["run", "performance"]),
            models.Index(fields=["run", "ttm_revenue"]),
        ]

    def __str__(self) -> str:
        return f"{self.account} in run {self.run_id}"
