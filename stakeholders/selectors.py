"""Reads for people, links and coverage, always through account access."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    Field,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property

from accounts.history import ERASED, change_list_for_target
from accounts.models import Account, ChangeRecord, User
from accounts.selectors import (
    account_can_edit,
    account_list_for_user,
)
from config.compiled_queries import queryset_rows
from stakeholders.coverage import (
    AGAINST,
    BLANK_CHARACTERS,
    HIGH_INFLUENCE,
    KIND_TITLES,
    LOW_INFLUENCE,
    SUPPORTIVE,
    Finding,
    Kind,
    Person,
    coverage_findings,
)
from stakeholders.coverage_counts import KEPT, TOTALLED
from stakeholders.graph import reporting_loops
from stakeholders.models import (
    AccountCoverageCount,
    AccountExpectedRole,
    Activity,
    BuyingRole,
    CoverageChangedAccount,
    CoverageChangedViewer,
    CoverageQuietDay,
    CoverageQuietPerson,
    CoverageTotal,
    CoverageViewerQuietDay,
    InfluenceLink,
    SectorRoleDefault,
    Stakeholder,
)
from stakeholders.seniority import JUNIOR, SENIOR


def stakeholder_list_for_user(*, user: User) -> QuerySet[Stakeholder]:
    """Return the people at the accounts this user may see."""
    return Stakeholder.objects.filter(
        account__in=account_list_for_user(user=user).values("pk")
    )


def stakeholder_get_for_user(*, user: User, pk: int) -> Stakeholder:
    """Return the person if the user may see their account, else raise 404."""
    try:
        return stakeholder_list_for_user(user=user).select_related("account").get(pk=pk)
    except Stakeholder.DoesNotExist as error:
        raise Http404("No such person.") from error


def influence_link_get_for_user(*, user: User, pk: int) -> InfluenceLink:
    """Return the link if the user may see its account, else raise 404."""
    visible = account_list_for_user(user=user).values("pk")
    try:
        return InfluenceLink.objects.select_related("account").get(
            pk=pk, account__in=visible
        )
    except InfluenceLink.DoesNotExist as error:
        raise Http404("No such link.") from error


def stakeholder_can_edit(*, user: User, account: Account) -> bool:
    return account_can_edit(user=user, account=account)


def stakeholder_can_erase(*, user: User, stakeholder: Stakeholder) -> bool:
    """Return whether the user may erase this person's personal data.

    Erasure cannot be undone, and a shared account's team may hold reps of
    several sales teams: being on it lets a rep change the person, not
    erase them. The person's owner, the owner's sales team and its manager,
    and sales ops may; a person nobody owns, anyone who may change them.
    Every page and endpoint that erases asks here.
    """
    if not account_can_edit(user=user, account=stakeholder.account):
        return False
    owner = stakeholder.owner
    if user.is_ops or owner is None or owner.pk == user.pk:
        return True
    team = owner.team
    if team is None:
        return False
    return user.team_id == team.pk or team.manager_id == user.pk


def stakeholder_erasers_text(*, stakeholder: Stakeholder) -> str:
    """Say who may erase the person, for a user who may not."""
    owner = stakeholder.owner
    if owner is None:
        return "Only those who may change this account may erase this person."
    team = owner.team
    if team is None:
        return f"Only {owner.display_name} or sales ops may erase this person."
    return (
        f"Only {owner.display_name}, {team.name} and its manager, or sales ops "
        "may erase this person."
    )


def stale_days() -> int:
    return settings.STAKEHOLDER_STALE_DAYS


def _people_queryset() -> QuerySet[Stakeholder]:
    # The Max() makes this a GROUP BY query, which drops Meta.ordering: name
    # the order, or PostgreSQL hands people back in hash order.
    return (
        Stakeholder.objects.exclude(status=Stakeholder.Status.ERASED)
        .select_related("owner")
        .annotate(last_touch_at=Max("activities__occurred_at"))
        .prefetch_related(
            Prefetch("roles", queryset=BuyingRole.objects.only("id", "key", "name"))
        )
        .order_by("last_name", "first_name", "id")
    )


def account_expected_roles_map(
    *, accounts: list[Account]
) -> dict[int, list[BuyingRole]]:
    """Return each account's expected roles in two queries for any number."""
    explicit: dict[int, list[BuyingRole]] = defaultdict(list)
    for expected in AccountExpectedRole.objects.filter(
        account__in=[account.pk for account in accounts]
    ).select_related("role"):
        explicit[expected.account_id].append(expected.role)

    by_sector: dict[str, list[BuyingRole]] = defaultdict(list)
    for default in SectorRoleDefault.objects.select_related("role"):
        by_sector[default.sector].append(default.role)

    result = {}
    for account in accounts:
        if account.pk in explicit:
            roles = explicit[account.pk]
        else:
            roles = by_sector.get(account.sector.strip().lower()) or by_sector[""]
        result[account.pk] = sorted(roles, key=lambda role: (role.position, role.name))
    return result


def _account_expected_roles(
    *, account: Account, roles: list[BuyingRole]
) -> list[BuyingRole]:
    """Return one account's expected roles as account_expected_roles_map
    does, in one query: its own list and the defaults of its sector and of
    the blank sector, read together; `roles` are every buying role."""
    key = account.sector.strip().lower()
    by_sector: dict[str | None, list[BuyingRole]] = defaultdict(list)
    by_id = {role.pk: role for role in roles}
    for sector, role_id in queryset_rows(
        "stakeholders.expected_roles",
        _expected_role_ids,
        account_id=account.pk,
        sector=key,
    ):
        by_sector[sector].append(by_id[role_id])
    chosen = by_sector[None] or by_sector[key] or by_sector[""]
    return sorted(chosen, key=lambda role: (role.position, role.name))


def _expected_role_ids(*, account_id: int, sector: str) -> QuerySet[Any]:
    own = (
        AccountExpectedRole.objects.filter(account_id=account_id)
        .annotate(default_sector=Value(None, output_field=CharField()))
        .values_list("default_sector", "role_id")
    )
    # Two equalities, not sector__in=[sector, ""]: IN drops a repeated value,
    # so a blank sector would give other SQL than the kept one.
    defaults = SectorRoleDefault.objects.filter(
        Q(sector=sector) | Q(sector="")
    ).values_list("sector", "role_id")
    return own.union(defaults, all=True)


# The accounts a coverage count reads: their ids, or a subquery of them.
AccountScope = QuerySet[Any] | list[int]


def _role_unheld_sql(
    *, scope: AccountScope, sectors: Iterable[str]
) -> tuple[str, list[Any]]:
    """Return SQL giving each expected role no active person holds.

    Rows of (account_id, role_id). The roles an account expects: its own
    list, else its sector's defaults (the sector stripped and lower-cased),
    else the blank sector's, as account_expected_roles_map has it. The few
    distinct `sectors` are matched to their defaults here, in Python (whose
    strip() and lower() SQL cannot match), so the database compares sectors
    as stored. Raw SQL: the ORM cannot join accounts to their sector's
    defaults, and a subquery per account took 12 s at 100k.
    """
    default_sectors = set(SectorRoleDefault.objects.values_list("sector", flat=True))
    keyed = [
        (sector, key)
        for sector in set(sectors)
        if (key := sector.strip().lower()) and key in default_sectors
    ]
    if isinstance(scope, list):
        scope_sql = ", ".join(["%s"] * len(scope)) or "NULL"
        scope_params: tuple[Any, ...] = tuple(scope)
    else:
        scope_sql, scope_params = scope.order_by().query.sql_with_params()
    key_sql = "''"
    if keyed:
        key_sql = (
            f"CASE a.sector {' '.join(['WHEN %s THEN %s'] * len(keyed))} ELSE '' END"
        )
    tables = {
        "account": Account._meta.db_table,
        "own": AccountExpectedRole._meta.db_table,
        "default": SectorRoleDefault._meta.db_table,
        "person": Stakeholder._meta.db_table,
        "holds": Stakeholder.roles.through._meta.db_table,
    }
    sql = f"""
        SELECT expected.account_id, expected.role_id
        FROM (
            SELECT own.account_id, own.role_id FROM {tables["own"]} own
            WHERE own.account_id IN ({scope_sql})
            UNION ALL
            SELECT a.id, d.role_id FROM {tables["account"]} a
            JOIN {tables["default"]} d ON d.sector = {key_sql}
            WHERE a.id IN ({scope_sql}) AND NOT EXISTS (
                SELECT 1 FROM {tables["own"]} own WHERE own.account_id = a.id
            )
        ) expected
        WHERE NOT EXISTS (
            SELECT 1 FROM {tables["holds"]} holds
            JOIN {tables["person"]} person ON person.id = holds.stakeholder_id
            WHERE person.account_id = expected.account_id
            AND person.status = %s AND holds.buyingrole_id = expected.role_id
        )
    """
    params: list[Any] = [
        *scope_params,
        *(value for pair in keyed for value in pair),
        *scope_params,
        Stakeholder.Status.ACTIVE.value,
    ]
    return sql, params


def role_unheld_counts(
    *, scope: AccountScope, sectors: Iterable[str]
) -> dict[int, int]:
    """Return how many expected roles no active person holds, by account.

    One statement for any number of accounts; `sectors` are the accounts'
    sectors as stored (_role_unheld_sql). Accounts with none are left out.
    """
    if isinstance(scope, list) and not scope:
        return {}
    sql, params = _role_unheld_sql(scope=scope, sectors=sectors)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT account_id, COUNT(*) FROM ({sql}) unheld GROUP BY account_id",
            params,
        )
        return dict(cursor.fetchall())


def role_unheld_total(*, scope: AccountScope, sectors: Iterable[str]) -> int:
    """Return how many expected roles no active person holds, in all."""
    sql, params = _role_unheld_sql(scope=scope, sectors=sectors)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) unheld", params)
        return int(cursor.fetchone()[0])


def _as_person(stakeholder: Stakeholder) -> Person:
    return Person(
        id=stakeholder.pk,
        name=stakeholder.name,
        seniority=stakeholder.seniority,
        influence=stakeholder.influence,
        sentiment=stakeholder.sentiment,
        owner_id=stakeholder.owner_id,
        role_ids=frozenset(role.pk for role in stakeholder.roles.all()),
        last_touch_at=stakeholder.last_touch_at,  # type: ignore[attr-defined]
        added_at=stakeholder.created_at,
        action_plan=stakeholder.action_plan,
        title=stakeholder.title,
    )


def _findings(
    people: list[Stakeholder], roles: list[BuyingRole], now: datetime
) -> list[Finding]:
    return coverage_findings(
        people=[_as_person(person) for person in people if person.is_active],
        expected_roles=[(role.pk, role.name) for role in roles],
        stale_days=stale_days(),
        now=now,
    )


@dataclass
class AccountCoverage:
    account: Account
    people: int
    findings: list[Finding]


def coverage_for_account(*, account: Account) -> list[Finding]:
    people = list(_people_queryset().filter(account=account))
    roles = account_expected_roles_map(accounts=[account])[account.pk]
    return _findings(people, roles, timezone.now())


def coverage_findings_for_accounts(
    *, accounts: Sequence[Account]
) -> list[AccountCoverage]:
    """Return these accounts' findings, in a fixed number of queries.

    For one page of accounts: each finding is worded for its person or
    role, so the people of every account given are read whole.
    """
    people: dict[int, list[Stakeholder]] = defaultdict(list)
    for person in _people_queryset().filter(
        account__in=[account.pk for account in accounts]
    ):
        people[person.account_id].append(person)
    roles = account_expected_roles_map(accounts=list(accounts))
    now = timezone.now()
    return [
        AccountCoverage(
            account=account,
            people=sum(1 for person in people[account.pk] if person.is_active),
            findings=_findings(people[account.pk], roles[account.pk], now),
        )
        for account in accounts
    ]


# Accounts a page of the coverage roll-up shows.
COVERAGE_PAGE_SIZE = 100
# The kinds a roll-up counts, in the order its columns show them.
COVERAGE_KINDS = tuple(KIND_TITLES)


@dataclass(frozen=True)
class CoverageRow:
    account: Account
    people: int
    # Findings of each kind, in COVERAGE_KINDS' order.
    counts: tuple[int, ...]


@dataclass(frozen=True)
class CoverageRollup:
    """One page of accounts with their findings counted, and every total."""

    page: Page
    rows: list[CoverageRow]
    people: int
    # Findings of each kind over every visible account, as in a row.
    totals: tuple[int, ...]
    # When the totals were counted: they are kept a few minutes.
    counted_at: datetime


def _person_finding_counts(now: datetime) -> dict[str, Count]:
    """Return the counts of active people that coverage_findings' rules ask.

    Each is a conditional COUNT of active people, by the rules of
    stakeholders.coverage: whole days since the last touch (or since the
    person was added) above the stale days is the same as that moment being
    at or before now less one more day; an action plan of blanks is none.
    """
    important = Q(influence__gte=HIGH_INFLUENCE)
    touches = Activity.stakeholders.through.objects.filter(
        stakeholder_id=OuterRef("pk")
    )
    cutoff = now - timedelta(days=stale_days() + 1)
    return {
        "people": Count("pk"),
        "supporters": Count("pk", filter=Q(sentiment__gte=SUPPORTIVE)),
        Kind.NO_OWNER: Count("pk", filter=important & Q(owner__isnull=True)),
        Kind.UNADDRESSED_OPPONENT: Count(
            "pk",
            filter=important
            & Q(sentiment__lte=AGAINST)
            & ~Q(action_plan__regex=f"[^{BLANK_CHARACTERS}]"),
        ),
        Kind.STALE: Count(
            "pk",
            filter=Q(owner__isnull=False)
            & ~Exists(touches.filter(activity__occurred_at__gt=cutoff))
            & (Exists(touches) | Q(created_at__lte=cutoff)),
        ),
        Kind.EMPTY_SUIT: Count(
            "pk", filter=Q(seniority__in=SENIOR, influence__lte=LOW_INFLUENCE)
        ),
        Kind.HIDDEN_INFLUENCER: Count("pk", filter=important & Q(seniority__in=JUNIOR)),
    }


def _row_counts(
    counted: Mapping[str, Any], *, missing: int, single: int
) -> tuple[int, ...]:
    return tuple(
        missing
        if kind == Kind.MISSING_ROLE
        else single
        if kind == Kind.SINGLE_THREADED
        else counted.get(kind, 0)
        for kind in COVERAGE_KINDS
    )


class _CountedPaginator(Paginator):
    """A Paginator told its count, so it does not COUNT the list again."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def _coverage_page(
    paginator: Paginator,
    *,
    visible: QuerySet[Account],
    page: int | str,
    after: int | None,
    before: int | None,
) -> Page:
    """Return the page asked for, read from its neighbour's edge if given.

    Names are unique, so the accounts after (or before) the name of the
    account at the edge of the page next to it are that page: read from
    the name index, not counted past by an OFFSET, which at page 500 of
    100,000 accounts read 14,566 buffers. A cursor the user may not see,
    or gone, gives no row, and the page is read by its number instead.
    """
    number = min(max(int(page) if str(page).isdigit() else 1, 1), paginator.num_pages)
    edge = after if after is not None else before
    if edge is not None:
        name = Subquery(visible.filter(pk=edge).values("name")[:1])
        if after is not None:
            rows = list(visible.filter(name__gt=name)[:COVERAGE_PAGE_SIZE])
        else:
            rows = list(
                visible.filter(name__lt=name).order_by("-name")[:COVERAGE_PAGE_SIZE]
            )[::-1]
        if rows:
            return Page(rows, number, paginator)
    return paginator.get_page(page)


def coverage_rollup_page_for_user(
    *,
    user: User,
    page: int | str,
    after: int | None = None,
    before: int | None = None,
) -> CoverageRollup:
    """Return a page of the visible accounts, by name, with findings counted.

    Bounded by the page, not the portfolio: the page's accounts (from the
    account `after` or `before` it, when given), their people counted by a
    GROUP BY over those hundred ids, and the totals over
    every visible account from coverage_totals_for_user, which sums the
    counts kept as people are written. The counts are those of
    coverage_findings' kinds: an account with at most one supportive active
    person counts one single-threaded finding. Totals and rows are read in
    one snapshot, so they agree however the folds fall.
    """
    with _one_snapshot():
        return _coverage_rollup_page(user=user, page=page, after=after, before=before)


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Make every read inside see the database as of the first one.

    On PostgreSQL a REPEATABLE READ, READ ONLY transaction when none is
    open: a fold that commits between the totals and the page's rows
    cannot make them disagree. Inside an open transaction the reads join
    it, without a savepoint. SQLite's transaction holds its read lock from
    the first read to the end, which gives the same.
    """
    outermost = not connection.in_atomic_block
    with transaction.atomic(savepoint=False):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
        yield


def _coverage_rollup_page(
    *, user: User, page: int | str, after: int | None, before: int | None
) -> CoverageRollup:
    totals = coverage_totals_for_user(user=user)
    visible = (
        account_list_for_user(user=user).order_by("name").only("pk", "name", "sector")
    )
    paginator = _CountedPaginator(visible, COVERAGE_PAGE_SIZE, count=totals.accounts)
    shown = _coverage_page(
        paginator, visible=visible, page=page, after=after, before=before
    )
    accounts = list(shown.object_list)

    ids = [account.pk for account in accounts]
    by_account: dict[int, Mapping[str, Any]] = {
        row["account_id"]: row
        for row in _active_people()
        .filter(account_id__in=ids)
        .values("account_id")
        .annotate(**_person_finding_counts(timezone.now()))
    }
    missing = role_unheld_counts(
        scope=ids, sectors={account.sector for account in accounts}
    )
    nobody: Mapping[str, Any] = {"people": 0, "supporters": 0}
    rows = []
    for account in accounts:
        counted = by_account.get(account.pk, nobody)
        rows.append(
            CoverageRow(
                account=account,
                people=counted["people"],
                counts=_row_counts(
                    counted,
                    missing=missing.get(account.pk, 0),
                    single=int(counted["supporters"] <= 1),
                ),
            )
        )
    return CoverageRollup(
        page=shown,
        rows=rows,
        people=totals.people,
        totals=totals.counts,
        counted_at=totals.counted_at,
    )


def _active_people() -> QuerySet[Stakeholder]:
    return Stakeholder.objects.filter(status=Stakeholder.Status.ACTIVE).order_by()


@dataclass(frozen=True)
class CoverageTotals:
    """The roll-up's totals over every account a user sees, and when."""

    accounts: int
    people: int
    # Findings of each kind, in COVERAGE_KINDS' order.
    counts: tuple[int, ...]
    counted_at: datetime


def coverage_totals_for_user(*, user: User) -> CoverageTotals:
    """Return the totals over every visible account, exact as of now.

    The stored counts (stakeholders.coverage_counts) of the accounts no
    write has marked since they were counted, plus a fresh count of the
    marked ones: the work follows the writes not yet folded. Someone who
    sees every account reads the kept sums (CoverageTotal, CoverageQuietDay)
    less the marked accounts' stored counts, in the same few queries at any
    size; a rep or a manager reads their own kept sums (CoverageViewerTotal,
    CoverageViewerQuietDay) the same way. Only while a write that changed
    whom they see waits for its fold do they sum the stored counts of the
    accounts they see.
    Staleness moves with the clock, so it is counted now, from the moment
    each owned person went quiet.
    """
    now = timezone.now()
    cutoff = now - timedelta(days=stale_days() + 1)
    visible = account_list_for_user(user=user)
    marked = _marked_accounts()
    if user.sees_all_accounts:
        stored = _stored_totals_all(marked=marked, cutoff=cutoff)
    elif (kept := _viewer_kept(user=user)) is not None:
        stored = _stored_totals_viewer(
            user=user, kept=kept, visible=visible, marked=marked, cutoff=cutoff
        )
    else:
        scope = visible.values("pk")
        stored = _stored_totals(
            AccountCoverageCount.objects.filter(account_id__in=scope).exclude(
                account_id__in=marked
            ),
            CoverageQuietPerson.objects.filter(account_id__in=scope).exclude(
                account_id__in=marked
            ),
            cutoff=cutoff,
        )
    if marked == []:
        fresh = CoverageTotals(
            accounts=0,
            people=0,
            counts=(0,) * len(COVERAGE_KINDS),
            counted_at=now,
        )
    else:
        fresh = _coverage_totals_count(visible=visible.filter(pk__in=marked), now=now)
    counts_stored = _row_counts(
        stored,
        missing=stored["missing_role"],
        single=stored["accounts"] - stored["threaded"],
    )
    return CoverageTotals(
        accounts=stored["accounts"] + fresh.accounts,
        people=stored["people"] + fresh.people,
        counts=tuple(
            mine + theirs
            for mine, theirs in zip(counts_stored, fresh.counts, strict=True)
        ),
        counted_at=now,
    )


def _stored_totals(
    counts: QuerySet[AccountCoverageCount],
    quiet: QuerySet[CoverageQuietPerson],
    *,
    cutoff: datetime,
) -> dict[str, int]:
    """Sum these stored counts, by CoverageTotal's names and the kinds'."""
    stored = counts.aggregate(
        accounts=Count("pk"),
        threaded=Count("pk", filter=Q(supporters__gt=1)),
        **{field: Sum(field, default=0) for field in TOTALLED[2:]},
    )
    stored[Kind.STALE] = quiet.filter(quiet_since__lte=cutoff).count()
    for kind, field in KEPT.items():
        if field in TOTALLED:
            stored[kind] = stored[field]
    return stored


# Marked accounts read as a list of ids up to this many, else as a subquery.
MARKED_LISTED = 1_000


def _marked_accounts() -> list[int] | QuerySet[Any]:
    """Return the accounts marked for a fold: their ids when few.

    Read first, so the queries after are planned knowing them: planned as
    a subquery of a table that is nearly always empty, PostgreSQL expects
    hundreds of rows and scans every person (300 ms a query at 100k
    accounts). None marked, the marked accounts are not counted at all.
    After an import marks thousands, a subquery.
    """
    ids = list(
        CoverageChangedAccount.objects.order_by("account_id").values_list(
            "account_id", flat=True
        )[: MARKED_LISTED + 1]
    )
    if len(ids) <= MARKED_LISTED:
        return ids
    return CoverageChangedAccount.objects.values("account_id")


def _stored_totals_all(
    *, marked: list[int] | QuerySet[Any], cutoff: datetime
) -> dict[str, int]:
    """Sum the stored counts of every unmarked account, from the kept sums."""
    kept = CoverageTotal.objects.filter(pk=1).values(*TOTALLED).first()
    return _stored_from_kept(
        kept=kept or dict.fromkeys(TOTALLED, 0),
        counts=AccountCoverageCount.objects.filter(account_id__in=marked),
        quiet=CoverageQuietPerson.objects.all(),
        days=CoverageQuietDay.objects.all(),
        marked=marked,
        cutoff=cutoff,
    )


def _viewer_kept(*, user: User) -> dict[str, int] | None:
    """Return a rep's or a manager's kept sums; None when not to be trusted.

    None while a write that changed whom they see waits for its fold, and
    for an inactive user, who sees nothing. No kept row: nothing counted.
    """
    if not user.is_active:
        return None
    names = {field: f"coverage_total__{field}" for field in TOTALLED}
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            marked=Exists(
                CoverageChangedViewer.objects.filter(viewer_id=OuterRef("pk"))
            )
        )
        .values("marked", *names.values())
        .first()
    )
    if row is None or row["marked"]:
        return None
    return {field: row[name] or 0 for field, name in names.items()}


def _stored_totals_viewer(
    *,
    user: User,
    kept: dict[str, int],
    visible: QuerySet[Account],
    marked: list[int] | QuerySet[Any],
    cutoff: datetime,
) -> dict[str, int]:
    """Sum the stored counts of the unmarked accounts a user sees, kept."""
    scope = visible.values("pk")
    return _stored_from_kept(
        kept=kept,
        counts=AccountCoverageCount.objects.filter(account_id__in=marked).filter(
            account_id__in=scope
        ),
        quiet=CoverageQuietPerson.objects.filter(account_id__in=scope),
        days=CoverageViewerQuietDay.objects.filter(viewer_id=user.pk),
        marked=marked,
        cutoff=cutoff,
    )


def _stored_from_kept(
    *,
    kept: dict[str, int],
    counts: QuerySet[AccountCoverageCount],
    quiet: QuerySet[CoverageQuietPerson],
    days: QuerySet[Any],
    marked: list[int] | QuerySet[Any],
    cutoff: datetime,
) -> dict[str, int]:
    """Take the marked accounts' stored `counts` off the `kept` sums.

    The kept sums cover every stored row, marked or not; the marked
    accounts' rows (as many as the writes not yet folded) are taken off.
    Quiet people are summed by whole days before the cutoff's from `days`,
    and that day's counted from `quiet` by the quiet_since index.
    """
    taken = _stored_totals(counts, quiet.filter(account_id__in=marked), cutoff=cutoff)
    day = cutoff.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stale = (
        days.filter(day__lt=day.date()).aggregate(people=Sum("people", default=0))[
            "people"
        ]
        + quiet.filter(quiet_since__gte=day, quiet_since__lte=cutoff).count()
    )
    stored = {field: kept[field] - taken[field] for field in TOTALLED}
    stored[Kind.STALE] = stale - taken[Kind.STALE]
    for kind, field in KEPT.items():
        if field in TOTALLED:
            stored[kind] = stored[field]
    return stored


def _coverage_totals_count(
    *, visible: QuerySet[Account], now: datetime
) -> CoverageTotals:
    """Count the roll-up's totals over these accounts afresh."""
    # the people's counts summed, the accounts with two supporters or more
    # counted, the unheld roles counted
    scope = visible.values("pk")
    people = _active_people().filter(account_id__in=scope)
    totals = people.aggregate(**_person_finding_counts(now))
    threaded = (
        people.filter(sentiment__gte=SUPPORTIVE)
        .values("account_id")
        .annotate(supporters=Count("pk"))
        .filter(supporters__gt=1)
        .count()
    )
    accounts = visible.order_by().count()
    sectors = visible.order_by().values_list("sector", flat=True).distinct()
    return CoverageTotals(
        accounts=accounts,
        people=totals["people"],
        counts=_row_counts(
            totals,
            missing=role_unheld_total(scope=scope, sectors=list(sectors)),
            single=accounts - threaded,
        ),
        counted_at=now,
    )


def _graph(people: list[Stakeholder], links: list[InfluenceLink]) -> dict[str, Any]:
    """Return the plain data the org chart and the influence map draw."""
    shown = [person for person in people if person.is_active]
    shown_ids = {person.pk for person in shown}
    managers = {
        person.pk: person.reports_to_id
        for person in shown
        if person.reports_to_id in shown_ids
    }
    loops = reporting_loops(managers)
    in_loop = {pk for loop in loops for pk in loop}
    return {
        "people": [
            {
                "id": person.pk,
                "name": person.name,
                "title": person.title,
                "department": person.department,
                "seniority": person.get_seniority_display(),
                "sentiment": person.sentiment,
                "sentimentLabel": person.get_sentiment_display(),
                "influence": person.influence,
                "owner": person.owner.display_name if person.owner else "",
                "reportsTo": managers.get(person.pk),
                "inLoop": person.pk in in_loop,
            }
            for person in shown
        ],
        "links": [
            {
                "id": link.pk,
                "source": link.source_id,
                "target": link.target_id,
                "kind": link.kind,
                "kindLabel": link.get_kind_display(),
                "strength": link.strength,
            }
            for link in links
            if link.source_id in shown_ids and link.target_id in shown_ids
        ],
        "loops": loops,
    }


def expected_roles_etag(*, account: Account, roles: list[BuyingRole]) -> str:
    """Return an ETag for the account's expected roles, from their keys.

    The set has no row of its own to carry a version, so its content is
    the version: the same roles give the same tag.
    """
    keys = ",".join(sorted(role.key for role in roles))
    raw = f"expected-roles:{account.pk}:{keys}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def findings_by_kind(*, findings: list[Finding]) -> list[dict[str, Any]]:
    """Group findings by kind, in the order each kind first appears.

    With sixty people a flat list of findings pushes the maps off the
    screen; the page shows one line per kind with a count to open.
    """
    groups: dict[str, dict[str, Any]] = {}
    for finding in findings:
        group = groups.setdefault(
            finding.kind, {"kind": finding.kind, "title": finding.title, "items": []}
        )
        group["items"].append(finding)
    return list(groups.values())


def account_stakeholder_board(*, user: User, account: Account) -> dict[str, Any]:
    """Return everything the stakeholder section shows for one account.

    A fixed number of queries whatever the number of people: the people with
    their last touch, their roles, the links, the expected roles, the
    sector defaults, the team and the edit right.
    """
    people = queryset_rows(
        "stakeholders.board_people",
        lambda account_id: _people_queryset().filter(account_id=account_id),
        account_id=account.pk,
    )
    links = queryset_rows(
        "stakeholders.board_links",
        lambda account_id: InfluenceLink.objects.filter(account_id=account_id),
        account_id=account.pk,
    )
    roles = queryset_rows("stakeholders.buying_roles", BuyingRole.objects.all)
    expected = _account_expected_roles(account=account, roles=roles)
    team = queryset_rows(
        "stakeholders.board_team",
        lambda account_id: User.objects.filter(
            account_memberships__account_id=account_id
        ).order_by("first_name", "last_name", "username"),
        account_id=account.pk,
    )
    now = timezone.now()
    findings = _findings(people, expected, now)
    names = {person.pk: person.name for person in people}
    active = [person for person in people if person.is_active]
    stale_after = stale_days()
    for person in people:
        touch = person.last_touch_at  # type: ignore[attr-defined]
        person.days_since_touch = (now - touch).days if touch else None  # type: ignore[attr-defined]
        untouched = (now - (touch or person.created_at)).days
        person.is_stale = bool(  # type: ignore[attr-defined]
            person.is_active and person.owner_id and untouched > stale_after
        )
    return {
        "account": account,
        "people": people,
        "active_count": len(active),
        "left_count": len(people) - len(active),
        "links": [
            {
                "link": link,
                "source": names.get(link.source_id, ""),
                "target": names.get(link.target_id, ""),
            }
            for link in links
            if link.source_id in names and link.target_id in names
        ],
        "expected_roles": expected,
        "expected_roles_etag": expected_roles_etag(account=account, roles=expected),
        "roles": roles,
        "team": team,
        "findings": findings,
        "finding_groups": findings_by_kind(findings=findings),
        "graph": _graph(people, links),
        "can_edit": account_can_edit(user=user, account=account),
        "stale_days": stale_after,
        "choices": {
            "sentiment": Stakeholder.Sentiment.choices,
            "influence": Stakeholder.Influence.choices,
            "relationship": Stakeholder.RelationshipLevel.choices,
            "seniority": Stakeholder.Seniority.choices,
            "link_kind": InfluenceLink.Kind.choices,
            "link_strength": InfluenceLink.Strength.choices,
            "activity_kind": Activity.Kind.choices,
        },
    }


@dataclass(frozen=True)
class HistoryEntry:
    changed_at: datetime
    changed_by: str
    action: str
    field: str
    old: str
    new: str
    # Which import made the change, or whose undo did; blank for a hand edit.
    source: str = ""


HISTORY_ACTIONS = {
    "create": "Added",
    "update": "Changed",
    "delete": "Removed",
    "erase": "Erased",
    "undo": "Set back",
}


def _history_field(name: str) -> str:
    """Return a recorded field's name: "owner" for "owner_id", not "external"."""
    bare = name.removesuffix("_id")
    try:
        field = Stakeholder._meta.get_field(bare)
    except FieldDoesNotExist:
        return name
    return bare if field.is_relation else name


def _history_source(record: ChangeRecord) -> str:
    if record.import_job_id is None:
        return ""
    if record.action == "undo":
        return f"undo of import {record.import_job_id}"
    return f"import {record.import_job_id}"


def stakeholder_history(
    *, stakeholder: Stakeholder, limit: int = 200
) -> list[HistoryEntry]:
    """Return the person's history as a reader sees it, newest first.

    The history stores raw values: ids for the manager and the owner, choice
    keys, role keys. They turn into names and labels here, in three queries
    whatever the length, and a value erasure blanked stays blank.
    """
    records = list(change_list_for_target(target=stakeholder)[:limit])
    wanted: dict[str, set[int]] = {"reports_to": set(), "owner": set()}
    for record in records:
        field = record.field.removesuffix("_id")
        if field in wanted:
            wanted[field].update(
                int(value)
                for value in (record.old_value, record.new_value)
                if value.isdigit()
            )
    people = {
        person.pk: person.name
        for person in Stakeholder.objects.filter(pk__in=wanted["reports_to"])
    }
    users = {
        user.pk: user.display_name
        for user in User.objects.filter(pk__in=wanted["owner"])
    }
    roles = dict(BuyingRole.objects.values_list("key", "name"))

    def shown(field: str, value: str) -> str:
        if value in ("", ERASED):
            return value
        if field == "reports_to" and value.isdigit():
            return people.get(int(value), "a person no longer recorded")
        if field == "owner" and value.isdigit():
            return users.get(int(value), "a former user")
        if field == "roles":
            keys = [key.strip() for key in value.split(",")]
            return ", ".join(roles.get(key, key) for key in keys)
        return history_value_display(field=field, value=value)

    entries = []
    for record in records:
        field = _history_field(record.field)
        entries.append(
            HistoryEntry(
                changed_at=record.changed_at,
                changed_by=record.changed_by_label or "system",
                action=HISTORY_ACTIONS.get(record.action, record.action),
                field=Stakeholder.field_label(field) if field else "",
                old=shown(field, record.old_value),
                new=shown(field, record.new_value),
                source=_history_source(record),
            )
        )
    return entries


def history_value_display(*, field: str, value: str) -> str:
    """Return one stored value of a person field as its label or plain text."""
    try:
        model_field = Stakeholder._meta.get_field(field)
    except FieldDoesNotExist:
        return value
    if not isinstance(model_field, Field):
        return value
    if model_field.choices:
        labels = {str(key): str(label) for key, label in model_field.flatchoices}
        return labels.get(value, value)
    if isinstance(model_field, BooleanField):
        return {"True": "Yes", "False": "No"}.get(value, value)
    if isinstance(model_field, DateTimeField):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        return date_format(timezone.localtime(moment), "j M Y H:i")
    return value
