from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, Q

from accounts.models import Account, ImportJob, custom_value_items
from accounts.undo_keep import day
from config.versions import VersionedQuerySet


class BuyingRole(models.Model):
    """A role in a customer's buying group, from a configurable taxonomy."""

    class Kind(models.TextChoices):
        BUYING = "buying", "Buying role"
        FUNCTION = "function", "Business function"

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BUYING)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class SectorRoleDefault(models.Model):
    """A role an account in this sector is expected to have by default.

    The blank sector holds the default for sectors with no rows of their own.
    """

    sector = models.CharField(max_length=100, blank=True, db_index=True)
    role = models.ForeignKey(
        BuyingRole, on_delete=models.CASCADE, related_name="sector_defaults"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sector", "role"], name="unique_sector_role_default"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sector or 'any sector'}: {self.role}"


class AccountExpectedRole(models.Model):
    """A role this account is expected to have, edited for the account."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="expected_roles"
    )
    role = models.ForeignKey(
        BuyingRole, on_delete=models.CASCADE, related_name="account_expectations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "role"], name="unique_account_expected_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.role}"


class Stakeholder(models.Model):
    """A person at the customer, and how we stand with them."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        LEFT = "left", "Left the account"
        ERASED = "erased", "Erased on request"

    class Seniority(models.TextChoices):
        EXECUTIVE = "executive", "C-level / executive"
        VICE_PRESIDENT = "vp", "Vice president"
        DIRECTOR = "director", "Director / head of"
        MANAGER = "manager", "Manager"
        STAFF = "staff", "Individual contributor"

    class Sentiment(models.IntegerChoices):
        OPPONENT = -2, "Opponent"
        SCEPTIC = -1, "Sceptic"
        NEUTRAL = 0, "Neutral"
        SUPPORTER = 1, "Supporter"
        ALLY = 2, "Ally"

    class Influence(models.IntegerChoices):
        MINIMAL = 1, "Minimal"
        LOW = 2, "Low"
        MODERATE = 3, "Moderate"
        HIGH = 4, "High"
        DECISIVE = 5, "Decisive"

    class RelationshipLevel(models.IntegerChoices):
        VENDOR = 1, "Vendor"
        CREDIBLE_SOURCE = 2, "Credible source"
        PROBLEM_SOLVER = 3, "Problem solver"
        STRATEGIC_CONTRIBUTOR = 4, "Strategic contributor"
        TRUSTED_ADVISOR = 5, "Trusted advisor"

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="stakeholders"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200, blank=True)
    department = models.CharField(
        "department or business unit", max_length=200, blank=True
    )
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    source = models.CharField(max_length=100, blank=True, default="entered by hand")
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    # A CRM's own fields (Salesforce's "Preferred_Language__c"), as text.
    custom_values = models.JSONField(default=dict, blank=True)
    reports_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="direct_reports",
    )
    roles = models.ManyToManyField(BuyingRole, blank=True, related_name="stakeholders")

    sentiment = models.SmallIntegerField(
        choices=Sentiment.choices, default=Sentiment.NEUTRAL
    )
    sentiment_confirmed = models.BooleanField(default=False)
    sentiment_confirmed_at = models.DateTimeField(null=True, blank=True)
    influence = models.PositiveSmallIntegerField(
        choices=Influence.choices, default=Influence.MODERATE
    )
    influence_confirmed = models.BooleanField(default=False)
    influence_confirmed_at = models.DateTimeField(null=True, blank=True)
    goals = models.TextField(blank=True)
    personal_wins = models.TextField(blank=True)
    kpis = models.TextField("KPIs", blank=True)
    concerns = models.TextField(blank=True)
    action_plan = models.TextField(blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_stakeholders",
    )
    relationship_current = models.PositiveSmallIntegerField(
        choices=RelationshipLevel.choices, default=RelationshipLevel.VENDOR
    )
    relationship_desired = models.PositiveSmallIntegerField(
        choices=RelationshipLevel.choices, default=RelationshipLevel.CREDIBLE_SOURCE
    )

    left_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VersionedQuerySet.as_manager()

    # Every hand edit and every import's change is in the shared history,
    # field by field: an import's undo keeps just the fields edited since.
    edits_in_history = True

    # Fields that identify or describe the person; erasure blanks all of them.
    PERSONAL_FIELDS = (
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "external_id",
        "goals",
        "personal_wins",
        "kpis",
        "concerns",
        "action_plan",
    )

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        # The pages call them people; undo previews, row reports and the
        # admin read these names.
        verbose_name = "person"
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["account", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reports_to=F("id")), name="stakeholder_not_own_manager"
            ),
            # Each person's ID is their own among the people of an account,
            # as stakeholder_create and stakeholder_update check; this holds
            # when two saves race past that check. Across accounts the check
            # looks only at the people the user can see (a refusal would
            # tell them who exists elsewhere), so no constraint can.
            models.UniqueConstraint(
                fields=["account", "external_id"],
                condition=~Q(external_id="") & ~Q(status="erased"),
                name="unique_person_external_id_per_account",
                violation_error_message="Another person at this account has this ID.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if self.status == self.Status.ERASED:
            return f"Erased person #{self.pk}"
        full = f"{self.first_name} {self.last_name}".strip()
        return full or f"Person #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def custom_value_items(self) -> list[tuple[str, str]]:
        return custom_value_items(self.custom_values)

    @classmethod
    def field_label(cls, name: str) -> str:
        """Return a field's name as people read it ("Reports to", "KPIs")."""
        try:
            field = cls._meta.get_field(name.removesuffix("_id"))
        except FieldDoesNotExist:
            field = None
        # A reverse relation has no verbose name; it reads as its own name.
        if isinstance(field, models.Field):
            label = str(field.verbose_name)
        else:
            label = name.replace("_", " ")
        return label[:1].upper() + label[1:]

    @property
    def is_supportive(self) -> bool:
        return self.sentiment >= self.Sentiment.SUPPORTER


class InfluenceLink(models.Model):
    """Who sways whom, kept apart from the reporting line."""

    class Kind(models.TextChoices):
        INFLUENCES = "influences", "Influences"
        CONFLICTS = "conflicts", "Conflicts with"
        ALLIED = "allied", "Allied with"

    class Strength(models.IntegerChoices):
        WEAK = 1, "Weak"
        MEDIUM = 2, "Medium"
        STRONG = 3, "Strong"

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="influence_links"
    )
    source = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="links_out"
    )
    target = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="links_in"
    )
    kind = models.CharField(
        max_length=20, choices=Kind.choices, default=Kind.INFLUENCES
    )
    strength = models.PositiveSmallIntegerField(
        choices=Strength.choices, default=Strength.MEDIUM
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VersionedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "target", "kind"], name="unique_influence_link"
            ),
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="influence_link_two_people"
            ),
        ]

    def __str__(self) -> str:
        # Ids rather than names, so the shared history never copies a name
        # into a label that erasure would have to find again.
        return f"Link #{self.pk}: {self.get_kind_display().lower()}"


class Activity(models.Model):
    """A touch with one or more people at the customer, logged by our side."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        EVENT = "event", "Event"
        OTHER = "other", "Other"

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="stakeholder_activities"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stakeholder_activities",
    )
    stakeholders = models.ManyToManyField(Stakeholder, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MEETING)
    occurred_at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_at:%Y-%m-%d}"

    def later_work_phrase(self) -> str:
        """Say how this touch is work done since an import, for its undo."""
        kind = str(self.get_kind_display()).lower()
        article = "an" if kind[:1] in "aeiou" else "a"
        return f"{article} {kind} was logged on {day(self.created_at)}"


class PersonImportRow(models.Model):
    """A people row an import has checked but not yet written: its stage.

    A people file is read in chunks, and a person may report to someone
    listed further down, so each chunk's checked rows wait here until the
    whole file is read; repeats, managers and reporting loops are then
    found by queries, and the rows written chunk by chunk. They live only
    inside the import's transaction, which deletes them (or rolls back).
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+")
    file = models.CharField(max_length=255)
    line = models.PositiveIntegerField()
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # The stored person the row matched, then the person it wrote.
    person = models.ForeignKey(
        Stakeholder, null=True, on_delete=models.CASCADE, related_name="+"
    )
    account_before_id = models.BigIntegerField(null=True)
    external_id = models.CharField(max_length=100, blank=True)
    email_key = models.CharField(max_length=254, blank=True)
    name_key = models.CharField(max_length=201, blank=True)
    name = models.CharField(max_length=201)
    reports_to = models.TextField(blank=True)
    # What the row sets on the person, as the writer takes it.
    values = models.JSONField()
    # DO_NOTHING: the stage is deleted a job at a time, in one statement;
    # SET_NULL would have Django load every staged row to null the links.
    manager_row = models.ForeignKey(
        "self", null=True, on_delete=models.DO_NOTHING, related_name="+"
    )
    manager_person = models.ForeignKey(
        Stakeholder, null=True, on_delete=models.CASCADE, related_name="+"
    )
    refused = models.BooleanField(default=False)
    # "created", "updated" or "unchanged", once written.
    result = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["job", "external_id"]),
            models.Index(fields=["job", "account", "email_key"]),
            models.Index(fields=["job", "account", "name_key"]),
            models.Index(fields=["job", "person"]),
        ]

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class AccountCoverageCount(models.Model):
    """One account's coverage findings counted, as coverage_findings has them.

    Kept by stakeholders.coverage_counts: a write that can change them marks
    the account (a database trigger, in the write's transaction) and a fold
    counts the marked accounts again. No foreign key constraint: an account
    deleted in a cascade is marked, and its row goes at the next fold.
    """

    # Kept by the fold, not work: an import's undo deletes past it.
    import_undo_ignores = True

    account = models.OneToOneField(
        Account,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="coverage_count",
    )
    people = models.PositiveIntegerField(default=0)
    supporters = models.PositiveIntegerField(default=0)
    missing_role = models.PositiveIntegerField(default=0)
    no_owner = models.PositiveIntegerField(default=0)
    unaddressed_opponent = models.PositiveIntegerField(default=0)
    empty_suit = models.PositiveIntegerField(default=0)
    hidden_influencer = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"coverage of account {self.account_id}"


class CoverageQuietPerson(models.Model):
    """Since when an owned, active person has gone untouched.

    Their last touch, or when they were added if never touched: staleness
    moves with the clock, so it is counted at read time from this moment,
    by its index, rather than kept as a number.
    """

    # Kept by the fold, not work: an import's undo deletes past it.
    import_undo_ignores = True

    stakeholder = models.OneToOneField(
        Stakeholder,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="coverage_quiet",
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="coverage_quiet_people",
    )
    quiet_since = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "quiet_since"]),
            # For the one day at the staleness cutoff (CoverageQuietDay).
            models.Index(fields=["quiet_since"]),
        ]

    def __str__(self) -> str:
        return f"person {self.stakeholder_id} quiet since {self.quiet_since}"


class CoverageChangedAccount(models.Model):
    """An account written since its coverage was last counted."""

    # Kept by the fold, not work: an import's undo deletes past it.
    import_undo_ignores = True

    account = models.OneToOneField(
        Account,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="coverage_changed",
    )
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"account {self.account_id} changed"


class CoverageSums(models.Model):
    """The coverage counts of a set of accounts, summed.

    `threaded` counts the accounts with more than one supporter.
    """

    # Kept by the fold, not work: an import's undo deletes past it.
    import_undo_ignores = True

    accounts = models.BigIntegerField(default=0)
    threaded = models.BigIntegerField(default=0)
    people = models.BigIntegerField(default=0)
    missing_role = models.BigIntegerField(default=0)
    no_owner = models.BigIntegerField(default=0)
    unaddressed_opponent = models.BigIntegerField(default=0)
    empty_suit = models.BigIntegerField(default=0)
    hidden_influencer = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CoverageTotal(CoverageSums):
    """The coverage counts summed over every account that has them.

    One row, kept by the fold in the transaction that rewrites the counts
    it sums, so the roll-up of every account reads one row rather than
    summing a row per account.
    """

    def __str__(self) -> str:
        return f"coverage of {self.accounts} accounts"


class CoverageQuietDay(models.Model):
    """How many owned, active people went quiet on one day (UTC).

    Kept by the fold beside CoverageQuietPerson: staleness over every
    account sums the days before the cutoff's and counts that one day's
    people, instead of counting every quiet person.
    """

    # Kept by the fold, not work: an import's undo deletes past it.
    import_undo_ignores = True

    day = models.DateField(primary_key=True)
    people = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.people} people quiet since {self.day}"


class CoverageViewerTotal(CoverageSums):
    """The coverage counts summed over the accounts one person sees by team.

    The accounts `accounts.selectors.account_team_scope` gives them: those
    whose team they are on and, for a manager, those of the reps on the
    teams they manage. Kept by the fold beside CoverageTotal, in the
    transaction that rewrites the counts it sums, and counted again when
    the person's scope changes (a membership, a team, a team's manager, a
    role), so a rep's or a manager's roll-up reads one row. No row: no
    account counted.
    """

    viewer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="coverage_total",
    )

    def __str__(self) -> str:
        return f"coverage of {self.accounts} accounts seen by {self.viewer_id}"


class CoverageViewerQuietDay(models.Model):
    """How many owned, active people one person sees went quiet on a day."""

    # Kept by the fold, not work: an import's undo deletes past it.
    import_undo_ignores = True

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="coverage_quiet_days",
    )
    day = models.DateField()
    people = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["viewer", "day"], name="unique_coverage_viewer_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.people} people seen by {self.viewer_id} quiet since {self.day}"


class CoverageChangedViewer(models.Model):
    """A person whose accounts may have changed since their total was kept."""

    # Kept by the fold, not work: an import's undo deletes past it.
    import_undo_ignores = True

    viewer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="coverage_changed",
    )
    marked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"viewer {self.viewer_id} changed"
