"""Reads for accounts, and the one rule for who may see which account."""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Collate, Upper
from django.http import Http404

from accounts.currency import (
    DatedAmount,
    RateTable,
    Rollup,
    annual_revenue_note,
    money_rollup,
    rate_table_load,
)
from accounts.currency_codes import ANNUAL_REVENUE_CURRENCY, amount_rounded
from accounts.models import (
    Account,
    AccountAlias,
    AccountTeamMember,
    ImportJob,
    MappedImport,
    Opportunity,
    Product,
    RevenueLine,
    User,
)
from accounts.revenue_keys import quarter_label, quarter_start
from config.bounds import id_possible
from config.compiled_queries import queryset_rows


def account_annual_revenue_usd() -> Combinable:
    """Return an account's annual revenue in USD, as a query expression.

    Null for a revenue in another currency given while no rate was stored.
    """
    rate = Case(
        When(annual_revenue_currency=ANNUAL_REVENUE_CURRENCY, then=Value(Decimal(1))),
        default=F("annual_revenue_rate"),
    )
    return ExpressionWrapper(
        F("annual_revenue") * rate,
        output_field=DecimalField(max_digits=40, decimal_places=12),
    )


def account_list_for_user(*, user: User) -> QuerySet[Account]:
    """Return the accounts this user may see.

    Every page, chart, export and API that shows accounts starts from here.
    A rep sees the accounts whose team they are on; a manager also sees the
    accounts of the reps on the teams they manage; executives and sales ops
    see all of them.
    """
    if not user.is_authenticated or not user.is_active:
        return Account.objects.none()
    if user.sees_all_accounts:
        return Account.objects.all()
    return account_team_scope(user=user)


def account_team_scope(*, user: User) -> QuerySet[Account]:
    """Return the accounts a user sees through account teams.

    Those whose team they are on and, for a manager, those of the reps on
    the teams they manage: everyone who does not see every account sees
    these. The coverage roll-up keeps its totals over them.
    """
    # Subqueries rather than joins keep one row per account without DISTINCT,
    # which stays cheap when the portfolio grows.
    return Account.objects.filter(pk__in=_memberships_seen(user).values("account_id"))


def _memberships_seen(user: User) -> QuerySet[AccountTeamMember]:
    """Return the team memberships that make accounts visible to this user."""
    people = User.objects.filter(pk=user.pk).values("pk")
    if user.is_manager:
        # A UNION, not "pk = me OR team.manager = me": PostgreSQL answers
        # that OR across the join with a scan of every user, while each arm
        # of the UNION is an index lookup (the user's key; the teams they
        # manage, then those teams' members).
        people = people.union(User.objects.filter(team__manager=user).values("pk"))
    return AccountTeamMember.objects.filter(user__in=people)


# A search of fewer letters than this matches the start of a name, through
# a b-tree index (migration 0030); from this many on it matches anywhere in
# the name, through the trigram index, which needs three letters.
NAME_SEARCH_ANYWHERE_FROM = 3


def account_name_search(*, search: str, field: str = "name") -> Q:
    """Return the condition for accounts whose name matches a search.

    `field` is the path to the account's name from the rows filtered, as
    "account__name" from scores.
    """
    term = search.strip()
    if len(term) < NAME_SEARCH_ANYWHERE_FROM:
        return Q(**{f"{field}__istartswith": term})
    return Q(**{f"{field}__icontains": term})


def account_name_prefix_key(*, search: str, field: str = "name") -> Func | None:
    """Return the key a short search matches and orders names by, or None.

    A short search many names share (two letters: 12,500 of 100,000) read
    the name index in its order past every other name, since the prefix
    index could filter but not order. Matched and ordered on one key, the
    upper-cased name in byte order, the page reads that index from the
    prefix on and stops after its rows (migration accounts 0030 indexes
    the key and the name on PostgreSQL). Only for ASCII: Python's upper()
    of the search and the database's of the names agree there.
    """
    term = search.strip()
    if not term or len(term) >= NAME_SEARCH_ANYWHERE_FROM or not term.isascii():
        return None
    if connection.vendor == "postgresql":
        return Collate(Upper(field), "C")
    return Upper(field)


def account_visibility_key(*, user: User) -> str:
    """Return a short text that changes whenever the user's accounts may change.

    For caching figures over "the accounts this user sees" (the run's
    scores are fixed once it finished, so run and key name the figure).
    Everyone who sees all accounts shares "all", with no query. Anyone
    else's set is decided by account_list_for_user's memberships: one query
    over those few rows sums them up. Any added membership raises the
    highest id; a removal lowers the count; moving one to another account
    or person changes a sum, so a single change always gives a new key.
    """
    if not user.is_authenticated or not user.is_active:
        return "none"
    if user.sees_all_accounts:
        return "all"

    facts = _memberships_seen(user).aggregate(
        count=Count("pk"),
        last=Max("pk"),
        accounts=Sum("account_id"),
        people=Sum("user_id"),
    )
    return (
        f"{user.pk}.{user.role}.{facts['count']}.{facts['last'] or 0}."
        f"{facts['accounts'] or 0}.{facts['people'] or 0}"
    )


def account_get_for_user(*, user: User, pk: int) -> Account:
    """Return the account if the user may see it, else raise 404."""
    try:
        account = account_list_for_user(user=user).get(pk=pk)
    except Account.DoesNotExist as error:
        raise Http404("No such account.") from error

    # The page's sections ask account_can_edit again; this instance was
    # just read through the access rule, so they need not ask the database.
    account._seen_by = user.pk  # type: ignore[attr-defined]
    return account


def account_can_edit(*, user: User, account: Account) -> bool:
    """Return whether the user may change this account's plans and people.

    Executives read; reps and managers edit what they see; ops edit all.
    """
    if user.role == User.Role.EXECUTIVE and not user.is_superuser:
        return False
    if not user.is_authenticated or not user.is_active:
        return False
    if user.sees_all_accounts or getattr(account, "_seen_by", None) == user.pk:
        return True
    return account_list_for_user(user=user).filter(pk=account.pk).exists()


def deal_get_for_user(*, user: User, pk: int) -> Opportunity:
    """Return the deal if the user may see its account, else raise 404.

    A deal is seen with its account: through account_list_for_user, so a
    deal of an account the user may not see answers as if it did not exist.
    """
    try:
        deal = (
            Opportunity.objects.filter(account__in=account_list_for_user(user=user))
            .select_related("account", "product", "owner")
            .get(pk=pk)
        )
    except Opportunity.DoesNotExist as error:
        raise Http404("No such deal.") from error

    account = cast(Account, deal.account)
    account._seen_by = user.pk  # type: ignore[attr-defined]
    return deal


def mapped_import_list_for_user(*, user: User) -> QuerySet[MappedImport]:
    """Return the wizard imports this user may see, newest first.

    Imports write across every team's accounts, so only sales ops see them,
    all of them; to anyone else the wizard and its imports do not exist.
    Every import page and endpoint starts from here.
    """
    if not user.is_authenticated or not user.is_active or not user.is_ops:
        return MappedImport.objects.none()
    return MappedImport.objects.select_related("job", "job__created_by").order_by(
        "-job__created_at", "-job_id"
    )


def import_job_list_for_user(*, user: User) -> QuerySet[ImportJob]:
    """Return every import this user may see, wizard or bundled, newest first.

    The same rule as mapped_import_list_for_user: sales ops see them all,
    anyone else none. A bundled four-file import (the demo's, or the
    `import_maven` command's) has a job and no wizard row.
    """
    if not user.is_authenticated or not user.is_active or not user.is_ops:
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("created_by", "mapped").order_by(
        "-created_at", "-id"
    )


def import_job_get_for_user(*, user: User, pk: int) -> ImportJob:
    """Return import job `pk` if the user may see it, else raise 404."""
    try:
        return import_job_list_for_user(user=user).get(pk=pk)
    except ImportJob.DoesNotExist as error:
        raise Http404("No such import.") from error


def mapped_import_get_for_user(*, user: User, pk: int) -> MappedImport:
    """Return the import of job `pk` if the user may see it, else raise 404."""
    if not id_possible(pk):
        raise Http404("No such import.")
    try:
        return mapped_import_list_for_user(user=user).get(job_id=pk)
    except MappedImport.DoesNotExist as error:
        raise Http404("No such import.") from error


@dataclass(frozen=True)
class RelatedAccount:
    """A parent or subsidiary, linked only when the user may open it."""

    pk: int
    name: str
    visible: bool


@dataclass(frozen=True)
class AccountOverview:
    """What the account page shows besides the app sections."""

    # Amounts in reporting_currency; revenue_rollup says which rates made
    # them and which currencies were left out for want of one.
    revenue_by_quarter: list[dict[str, object]]
    revenue_rollup: Rollup
    products_bought: list[Product]
    products_not_bought: list[Product]
    # Revenue filed under a placeholder product such as "Unspecified", in
    # reporting_currency: counted in the totals, in no product.
    revenue_without_product: Decimal
    parent: RelatedAccount | None
    subsidiaries: list[RelatedAccount]
    team: list[AccountTeamMember]
    won_revenue: Decimal
    won_rollup: Rollup
    won_deals: int
    # The won deals in the total: those no rate converts are left out.
    won_deals_converted: int
    # Won deals left out because invoices cover their quarter.
    won_deals_set_aside: int
    open_deals: int
    reporting_currency: str
    # For a revenue in another currency than USD: its millions of USD and
    # the rate that gave them.
    company_revenue_note: str
    # Which quarters' won deals are left out because invoices cover them,
    # in words, or "".
    revenue_set_aside_note: str = ""
    # The latest deals, open ones first, and how many the account has.
    deals: list[Opportunity] = field(default_factory=list)
    deals_count: int = 0
    # Other names imports accepted as this account, with their import.
    aliases: list[AccountAlias] = field(default_factory=list)

    @property
    def deals_have_custom_values(self) -> bool:
        return any(deal.custom_values for deal in self.deals)


# How many deals the account page lists.
DEALS_SHOWN = 20


def account_revenue_by_quarter(
    *, account: Account, reporting_currency: str
) -> list[dict[str, object]]:
    """Return realised revenue per quarter and product, oldest first."""
    revenue, _, _, _ = _revenue_and_bought(
        account=account,
        rates=rate_table_load(reporting_currency=reporting_currency),
        reporting_currency=reporting_currency,
    )
    return revenue


@dataclass(frozen=True)
class SetAside:
    """The quarters whose won deals invoices replace, oldest first."""

    quarters: list[date]
    # Those of them with invoices that no rate converts: the total lacks
    # those invoices, and the won deals they replace count in none.
    rateless: list[date] = field(default_factory=list)
    # Quarters whose won deals still count because their invoices lack a
    # rate, until one is stored.
    waiting: list[date] = field(default_factory=list)


def _revenue_and_bought(
    *, account: Account, rates: RateTable, reporting_currency: str
) -> tuple[list[dict[str, object]], Rollup, set[int], SetAside]:
    """Return the converted revenue by quarter, its roll-up, the bought
    products and the quarters whose won deals are set aside, in one query.

    Each quarter's lines convert at the latest rate on or before the
    quarter start, as in scoring. A line without one is left out of the
    chart; the roll-up counts it and names its amount and dates. Won deals
    of a quarter that invoices cover count in no amount, but a product
    they name still counts as bought.
    """
    lines = queryset_rows(
        "accounts.revenue_lines_by_quarter",
        _revenue_lines_by_quarter,
        account_id=account.pk,
        reporting_currency=reporting_currency,
    )
    rows = [row for row in lines if not row["set_aside"]]
    set_aside = sorted({row["quarter_start"] for row in lines if row["set_aside"]})
    rollup = money_rollup(
        amounts=[
            DatedAmount(
                amount=row["total"],
                currency=row["currency"],
                day=row["quarter_start"],
                count=row["count"],
            )
            for row in rows
        ],
        rates=rates,
        reporting_currency=reporting_currency,
        noun="line",
    )
    converted: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    raw: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    rateless: set[date] = set()
    won_counted: set[date] = set()
    for row, amount in zip(rows, rollup.converted, strict=True):
        if amount is not None:
            converted[(row["quarter_start"], row["product__name"])] += amount
        elif row["source"] == RevenueLine.Source.INVOICE:
            rateless.add(row["quarter_start"])
        if row["source"] == RevenueLine.Source.PIPELINE:
            won_counted.add(row["quarter_start"])
    for row in lines:
        raw[(row["product_id"], row["quarter_start"])] += row["total"]
    revenue = [
        {"quarter": quarter.isoformat(), "product": product, "amount": float(amount)}
        for (quarter, product), amount in converted.items()
    ]
    # Whether a product was bought hangs on the sign of its running sum,
    # which a rate does not change within one currency.
    bought = {
        product_id
        for _, product_id in _bought_since(
            {
                "account_id": account.pk,
                "product_id": product_id,
                "quarter_start": quarter_start,
                "total": total,
            }
            for (product_id, quarter_start), total in sorted(raw.items())
        )
    }
    return (
        revenue,
        rollup,
        bought,
        SetAside(
            quarters=set_aside,
            rateless=sorted(rateless.intersection(set_aside)),
            waiting=sorted(rateless.intersection(won_counted)),
        ),
    )


def _revenue_lines_by_quarter(
    *, account_id: int, reporting_currency: str
) -> QuerySet[Any]:
    return (
        RevenueLine.objects.filter(account_id=account_id)
        .with_set_aside(reporting_currency=reporting_currency)
        .values(
            "quarter_start",
            "product_id",
            "product__name",
            "currency",
            "source",
            "set_aside",
        )
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("quarter_start", "product__name", "product_id", "currency", "source")
    )


def revenue_set_aside_note(
    *,
    quarters: list[date],
    rateless: Sequence[date] = (),
    waiting: Sequence[date] = (),
) -> str:
    """Return which quarters' won deals invoices replaced, in words, or "".

    Quarters whose invoices lack a rate are named apart: their total is
    short of those invoices until a rate is stored, and where the import
    did not let them replace the won deals, those deals count meanwhile.
    """
    notes = []
    if quarters:
        notes.append(_replaced_note(quarters=quarters, rateless=rateless))
    if waiting:
        them = "that quarter" if len(waiting) == 1 else "those quarters"
        lack = "lacks" if len(waiting) == 1 else "lack"
        notes.append(
            f"{_quarters_named(waiting)} {lack} a rate for some invoices: the "
            f"won deals of {them} count until a rate that converts the "
            "invoices is stored."
        )
    return " ".join(notes)


def _replaced_note(*, quarters: list[date], rateless: Sequence[date]) -> str:
    them = "that quarter" if len(quarters) == 1 else "those quarters"
    note = (
        f"Won deals of {_quarters_named(quarters)} are set aside: invoices cover "
        f"{them}, so their sales count once."
    )
    if not rateless:
        return note
    lack = "lacks" if len(rateless) == 1 else "lack"
    return (
        f"{note} {_quarters_named(rateless)} {lack} a rate for some of "
        "those invoices: the total leaves them out, and counts the won deals "
        "they replace in no amount, until a rate is stored."
    )


def _quarters_named(quarters: Sequence[date]) -> str:
    labels = [quarter_label(day) for day in quarters]
    if len(labels) == 1:
        return labels[0]
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


def account_relatives_for_user(
    *, user: User, account: Account
) -> tuple[RelatedAccount | None, list[RelatedAccount]]:
    """Return the parent and subsidiaries, marking which the user may see,
    in one query."""
    relatives = (
        Account.objects.filter(Q(parent_id=account.pk) | Q(pk=account.parent_id or 0))
        .annotate(
            visible=Exists(account_list_for_user(user=user).filter(pk=OuterRef("pk")))
        )
        .order_by("name")
        .values_list("pk", "name", "visible")
    )
    parent = None
    subsidiaries = []
    for pk, name, visible in relatives:
        item = RelatedAccount(pk, name, visible)
        if pk == account.parent_id:
            parent = item
        else:
            subsidiaries.append(item)
    return parent, subsidiaries


def deal_list_for_account(*, account: Account | int) -> QuerySet[Opportunity]:
    """Return the account's deals, latest first: open ones, then by close date."""
    return (
        Opportunity.objects.filter(account=account)
        .select_related("product", "owner")
        .order_by(F("closed_on").desc(nulls_first=True), "external_id", "pk")
    )


def account_overview_for_user(
    *, user: User, account: Account, rates: RateTable | None = None
) -> AccountOverview:
    """Return the account page facts in a fixed number of queries.

    `rates` are the active reporting currency's, when the page has read
    them for its sections too.
    """
    rates = rates or rate_table_load()
    reporting_currency = rates.reporting_currency
    revenue, revenue_rollup, bought_ids, set_aside = _revenue_and_bought(
        account=account, rates=rates, reporting_currency=reporting_currency
    )
    products = queryset_rows(
        "accounts.products_by_name", lambda: Product.objects.order_by("name")
    )
    placeholders = {product.name for product in products if product.is_placeholder}
    products = [product for product in products if not product.is_placeholder]
    without_product = sum(
        (
            Decimal(str(row["amount"]))
            for row in revenue
            if row["product"] in placeholders
        ),
        Decimal(0),
    )
    parent, subsidiaries = account_relatives_for_user(user=user, account=account)
    team = queryset_rows(
        "accounts.account_team",
        lambda account_id: (
            AccountTeamMember.objects.filter(account_id=account_id)
            .select_related("user", "user__team")
            .order_by("user__last_name", "user__first_name", "user__username")
        ),
        account_id=account.pk,
    )
    # Per close date too: each won deal converts at the rate of its day.
    deals = queryset_rows(
        "accounts.deal_sums",
        lambda account_id: (
            Opportunity.objects.filter(account_id=account_id)
            .values("stage", "currency", "closed_on")
            .annotate(value=Sum("close_value"), count=Count("pk"))
            .order_by("stage", "currency", "closed_on")
        ),
        account_id=account.pk,
    )
    won = [deal for deal in deals if deal["stage"] == Opportunity.Stage.WON]
    # Won deals of a quarter that invoices cover count in no total, as in
    # the chart, the portfolio and the API's revenue: the sale is counted
    # once, as invoiced.
    replaced = set(set_aside.quarters)
    won_set_aside = [
        deal
        for deal in won
        if deal["closed_on"] is not None
        and quarter_start(deal["closed_on"]) in replaced
    ]
    won = [deal for deal in won if deal not in won_set_aside]
    won_rollup = money_rollup(
        amounts=[
            DatedAmount(
                amount=deal["value"] or Decimal(0),
                currency=deal["currency"],
                day=deal["closed_on"],
                count=deal["count"],
            )
            for deal in won
        ],
        rates=rates,
        reporting_currency=reporting_currency,
        noun="deal",
    )
    open_stages = {Opportunity.Stage.PROSPECTING, Opportunity.Stage.ENGAGING}

    return AccountOverview(
        revenue_by_quarter=revenue,
        revenue_rollup=revenue_rollup,
        products_bought=[p for p in products if p.pk in bought_ids],
        products_not_bought=[p for p in products if p.pk not in bought_ids],
        revenue_without_product=amount_rounded(without_product, reporting_currency),
        parent=parent,
        subsidiaries=subsidiaries,
        team=team,
        won_revenue=won_rollup.total,
        won_rollup=won_rollup,
        won_deals=sum(deal["count"] for deal in won),
        won_deals_set_aside=sum(deal["count"] for deal in won_set_aside),
        won_deals_converted=(
            sum(deal["count"] for deal in won) - won_rollup.left_out_count
        ),
        open_deals=sum(deal["count"] for deal in deals if deal["stage"] in open_stages),
        reporting_currency=reporting_currency,
        company_revenue_note=annual_revenue_note(account=account),
        revenue_set_aside_note=revenue_set_aside_note(
            quarters=set_aside.quarters,
            rateless=set_aside.rateless,
            waiting=set_aside.waiting,
        ),
        deals=queryset_rows(
            "accounts.latest_deals",
            lambda account_id: deal_list_for_account(account=account_id)[:DEALS_SHOWN],
            account_id=account.pk,
        ),
        deals_count=sum(deal["count"] for deal in deals),
        # An import's issues and erasures run to megabytes at 100k lines;
        # the page names the import and who ran it.
        aliases=queryset_rows(
            "accounts.aliases",
            lambda account_id: (
                AccountAlias.objects.filter(account_id=account_id)
                .select_related("job__created_by")
                .defer("job__counts", "job__issues", "job__error", "job__erasures")
            ),
            account_id=account.pk,
        ),
    )


def whitespace_bought_since(
    *, account_ids: Iterable[int] | QuerySet[Any]
) -> dict[tuple[int, int], date]:
    """Return when each account and product cell counts as bought.

    A cell is bought only while the account's net revenue on the product is
    positive: it counts from the first quarter after which the running sum
    stays above zero. A credit-only or fully refunded product (sum zero or
    less) is not bought, so it stays whitespace. `account_ids` may be a
    subquery of ids: a list of 100,000 costs seconds to send.
    """
    sql, params = whitespace_bought_sql(account_ids=account_ids)
    if not sql:
        return {}

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            (account_id, product_id): (
                date.fromisoformat(since) if isinstance(since, str) else since
            )
            for account_id, product_id, since in cursor.fetchall()
        }


def whitespace_bought_sql(
    *, account_ids: Iterable[int] | QuerySet[Any]
) -> tuple[str, tuple[Any, ...]]:
    """Return SQL giving each bought cell: account_id, product_id, since.

    whitespace_bought_since's rule, set-based, for other statements to read
    as a subquery: each quarter's total, its running sum by window, and the
    first quarter after the last one whose running sum was zero or less. A
    cell whose latest running sum is not positive has no such quarter and
    no row. ("", ()) when `account_ids` is empty or can match no account.

    Totals and running sums are rounded to the amounts' two places: on
    SQLite they are summed as floats, and a refund must bring a sum back to
    exactly zero, as the Decimal sums of _bought_since do.
    """
    if isinstance(account_ids, QuerySet):
        if not account_ids.query.values_select:
            account_ids = account_ids.values("pk")
        try:
            scope_sql, scope_params = account_ids.order_by().query.sql_with_params()
        except EmptyResultSet:  # a filter that can match no account
            return "", ()
    else:
        ids = tuple(account_ids)
        if not ids:
            return "", ()
        scope_sql, scope_params = ", ".join(["%s"] * len(ids)), ids
    table = RevenueLine._meta.db_table
    cell = "PARTITION BY account_id, product_id"
    sql = f"""
        SELECT account_id, product_id, MIN(
            CASE WHEN last_unbought IS NULL OR quarter_start > last_unbought
            THEN quarter_start END
        ) AS since
        FROM (
            SELECT account_id, product_id, quarter_start, MAX(
                CASE WHEN running <= 0 THEN quarter_start END
            ) OVER ({cell}) AS last_unbought
            FROM (
                SELECT account_id, product_id, quarter_start, ROUND(SUM(total)
                    OVER ({cell} ORDER BY quarter_start
                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 2)
                    AS running
                FROM (
                    SELECT account_id, product_id, quarter_start,
                        ROUND(SUM(amount), 2) AS total
                    FROM {table}
                    WHERE account_id IN ({scope_sql})
                    GROUP BY account_id, product_id, quarter_start
                ) quarters
            ) runs
        ) marked
        GROUP BY account_id, product_id
        HAVING MIN(
            CASE WHEN last_unbought IS NULL OR quarter_start > last_unbought
            THEN quarter_start END
        ) IS NOT NULL
    """
    return sql, tuple(scope_params)


def _bought_since(
    rows: Iterable[Mapping[str, Any]],
) -> dict[tuple[int, int], date]:
    """Apply whitespace_bought_since's rule to per-quarter totals.

    Rows need account_id, product_id, quarter_start and total, and come
    oldest quarter first within each account and product.
    """
    running: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    since: dict[tuple[int, int], date | None] = {}
    for row in rows:
        cell = (row["account_id"], row["product_id"])
        running[cell] += row["total"]
        if running[cell] <= 0:
            since[cell] = None
        elif since.get(cell) is None:
            since[cell] = row["quarter_start"]
    return {cell: day for cell, day in since.items() if day is not None}
