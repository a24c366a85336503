import json
from collections import OrderedDict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_init

from accounts.currency import REPORTING_CURRENCY
from accounts.currency_codes import MoneyAmountField
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
    weight_relationship_health = weight_field(
        20,
        "Support-desk health: latest satisfaction, NPS and tickets. Accounts "
        "without a signal share this weight among the other inputs.",
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

    # Every amount is converted into this currency with the stored rates.
    reporting_currency = models.CharField(max_length=3, default="USD")

    # Where the trailing-twelve-month window ends for every run: blank
    # follows the latest revenue quarter, so one import of recent deals can
    # move it; a date pins it.
    score_as_of = models.DateField(
        "score as of",
        null=True,
        blank=True,
        help_text="Blank: the window ends with the latest quarter that has "
        "revenue. A date: every run scores the twelve months up to that day.",
    )

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
    # scores: "sectors" (every account's sector, sorted),
    # "potential_quartile" (the top-quartile potential threshold),
    # "reporting_currency" and "left_out_lines" (revenue lines per currency
    # left out for want of a rate).
    summary = models.JSONField(default=dict, blank=True)
    # How to read AccountScore.breakdown: "columns" (the name of each value),
    # "labels" (text of the coded columns), "axis_weights", "input_status"
    # and "reporting_currency". One per run, so each score stores numbers only.
    breakdown_layout = models.JSONField(default=dict, blank=True)
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

    # What started a run, in words, for runs nobody requested by hand.
    TRIGGER_LABELS = {
        "manual": "Recompute button",
        "api": "API",
        "model_change": "Scoring model change",
        "import": "Import",
        "nightly": "Nightly schedule",
        "demo": "Demo setup",
        "demo-history": "Demo history",
    }

    @property
    def trigger_label(self) -> str:
        return self.TRIGGER_LABELS.get(self.trigger, self.trigger or "Unknown")

    @property
    def reporting_currency(self) -> str:
        """Return the currency the run's figures are in, as it recorded it."""
        return (self.summary or {}).get("reporting_currency") or REPORTING_CURRENCY

    @property
    def warnings(self) -> list[str]:
        """Return what a finished run could not count, one sentence each."""
        if self.status != self.Status.SUCCEEDED or not self.message:
            return []
        # The page ends each with a full stop, so one in the message goes.
        parts = (part.strip().rstrip(".") for part in self.message.split("; "))
        return [part for part in parts if part]


class RenamedAccount(models.Model):
    """A rename the current run's chart may not show yet.

    Written in the rename's transaction, so a rename made while the broker
    is away is pending work all the same (config.pending sends it); deleted
    once a refresh has drawn the name (scoring.services).
    """

    # Kept by the chart, not work: an import's undo deletes past it.
    import_undo_ignores = True

    # The account renamed by hand. A refresh redraws every name in the
    # chart, so an import's chunk of renames leaves one mark, which names
    # none of its accounts (and goes with none of them if it is deleted).
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chart_renames",
        db_constraint=False,
    )
    renamed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        if self.account_id is None:
            return "accounts renamed"
        return f"account {self.account_id} renamed"


class FloatArrayField(models.Field):
    """A list of floats: float8[] on PostgreSQL, JSON text elsewhere.

    An array is stored as it comes, with no per-value parsing, so a run can
    write a million breakdowns in one INSERT ... SELECT cheaply.
    """

    description = "List of floats"

    def db_type(self, connection: Any) -> str:
        return "double precision[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        return json.loads(value)

    def get_db_prep_value(
        self, value: Any, connection: Any, prepared: bool = False
    ) -> Any:
        if value is None:
            return None
        numbers = [float(number) for number in value]
        if connection.vendor == "postgresql":
            return numbers
        return json.dumps(numbers)


class AccountScore(models.Model):
    """One account's scores in one run, with the parts that made them.

    The breakdown is stored column-wise: `breakdown` holds the account's
    numbers in the order the run's `breakdown_layout` names, and
    `components` builds the nested dict from them when one score is read
    (select the run with it). Rows written before, or by hand, keep their
    dict in `stored_components`, which `components` returns as it is.
    Neither foreign key is a database constraint: the run's save joins the
    accounts table under a share lock instead of checking a million rows
    one by one at commit (scoring.loading).
    """

    # A score run remakes these: they are no work an import undo must keep.
    import_undo_ignores = True

    class Quadrant(models.TextChoices):
        GROW = "grow", "Grow"
        EXPAND = "expand", "Expand"
        MAINTAIN = "maintain", "Maintain"
        MONITOR = "monitor", "Monitor"

    class Tier(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    # No index of their own: (run, account) and (account, run) lead with
    # them, and every index costs each of a run's million inserts.
    run = models.ForeignKey(
        ScoreRun,
        on_delete=models.CASCADE,
        related_name="scores",
        db_constraint=False,
        db_index=False,
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="scores",
        db_constraint=False,
        db_index=False,
    )
    performance = models.FloatField()
    potential = models.FloatField()
    quadrant = models.CharField(max_length=20, choices=Quadrant.choices)
    tier = models.CharField(max_length=1, choices=Tier.choices)
    # In the run's reporting currency, to its minor digits (3 for KWD): 14
    # whole digits, as scoring.loading checks before a save.
    ttm_revenue = MoneyAmountField(max_digits=17, decimal_places=3)
    stored_components = models.JSONField(
        default=dict, blank=True, db_column="components"
    )
    breakdown = FloatArrayField(null=True, blank=True)

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
            # Four quadrants and three tiers tie in long runs: the account
            # breaks the tie inside the index, so a page (and a cursor deep
            # in one quadrant) starts where it shows, not after every score.
            models.Index(fields=["run", "quadrant", "account"]),
            models.Index(fields=["run", "tier", "account"]),
        ]

    def __str__(self) -> str:
        return f"{self.account} in run {self.run_id}"

    @property
    def components(self) -> dict:
        """Return the breakdown as a nested dict (scoring.computation).

        The layout comes from the run selected with the score, else from a
        run of the same id already read in this process (a page reads the
        current run before its scores), else from the run, read now.
        """
        if self.breakdown is None:
            return self.stored_components
        from scoring.computation import breakdown_from_layout

        layout = None
        if not AccountScore.run.is_cached(self):
            layout = _layouts_seen.get(self.run_id)
        if layout is None or len(layout.get("columns", ())) != len(self.breakdown):
            layout = self.run.breakdown_layout
        return breakdown_from_layout(values=self.breakdown, layout=layout)

    @components.setter
    def components(self, value: dict) -> None:
        self.stored_components = value
        self.breakdown = None


# Breakdown layouts of runs read in this process, newest last. A finished
# run's layout never changes, and a run that is rewritten gets a new one
# before any score of it is written (and the save remembers that one).
_layouts_seen: OrderedDict[int, dict] = OrderedDict()
LAYOUTS_KEPT = 16


def score_run_layout_remember(*, run: ScoreRun) -> None:
    """Keep the run's breakdown layout for reading its scores."""
    # A deferred layout is not in __dict__; reading it here would query.
    layout = run.__dict__.get("breakdown_layout")
    if run.pk is None or not layout:
        return
    _layouts_seen[run.pk] = layout
    _layouts_seen.move_to_end(run.pk)
    while len(_layouts_seen) > LAYOUTS_KEPT:
        _layouts_seen.popitem(last=False)


def _score_run_layout_remember(sender: type, instance: ScoreRun, **kwargs: Any) -> None:
    score_run_layout_remember(run=instance)


post_init.connect(
    _score_run_layout_remember, sender=ScoreRun, dispatch_uid="scoring.run_layout"
)
