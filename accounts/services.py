"""Writes for accounts: the CRM import."""

from __future__ import annotations

import csv
import io
import logging
import math
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, cast

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Exists, OuterRef
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncQuarter
from django.utils import timezone

from accounts import importing
from accounts.archives import upload_directory_create
from accounts.currency import Rate, annual_revenue_values
from accounts.currency_codes import (
    ANNUAL_REVENUE_CURRENCY,
    amount_kept,
    currency_code_normal,
    currency_code_problem,
)
from accounts.deal_keys import deal_request_digest
from accounts.former_names import (
    account_former_names_current,
    account_former_names_staging,
)
from accounts.history import change_record_many
from accounts.import_liveness import (
    ImportJobSwept,
    import_job_liveness,
    import_job_stalled,
    import_job_stalled_message,
    import_job_still_running,
)
from accounts.matching import account_name_caseless
from accounts.models import (
    Account,
    AccountTeamMember,
    CurrencyRate,
    ImportJob,
    Opportunity,
    OpportunityDeletion,
    Product,
    RevenueLine,
    RevenueQuarter,
    Team,
    User,
)
from accounts.permission_audit import (
    directory_import_permissions_record,
    import_job_origin_keep,
    permissions_snapshot,
)
from accounts.revenue_keys import won_key
from accounts.signals import account_renamed, import_finished
from accounts.team_versions import account_versions_touch
from accounts.won_revenue import won_revenue_deal_cell, won_revenue_sync
from config.api import instance_save_if_unchanged

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

BUNDLED_DATA = (
    Path(__file__).resolve().parent.parent / "data" / ("maven-crm-sales-opportunities")
)
CREATE_BATCH = 2000
UPDATE_BATCH = 500

# Each table we write, and the file whose rejected rows count against it.
TABLES = {
    "teams": importing.SALES_TEAMS,
    "users": importing.SALES_TEAMS,
    "products": importing.PRODUCTS,
    "accounts": importing.ACCOUNTS,
    "opportunities": importing.SALES_PIPELINE,
    "revenue_lines": importing.SALES_PIPELINE,
    "account_team_members": importing.SALES_PIPELINE,
}
# The table a rejected row of each file is counted under, once.
REJECTED_IN = {
    importing.SALES_TEAMS: "users",
    importing.PRODUCTS: "products",
    importing.ACCOUNTS: "accounts",
    importing.SALES_PIPELINE: "opportunities",
}
# A table as its reader knows it, where that is not its key: the key, in the
# job's counts and the API, keeps the model's name; the pages say deals.
TABLE_NAMES = {
    "opportunities": "deals",
    "revenue_lines": "revenue lines",
    "account_team_members": "account team members",
}


def import_table_name(table: str) -> str:
    """Return how a table of the import's counts reads: "deals"."""
    return TABLE_NAMES.get(table, table)


def import_progress_cache_key(job_id: int) -> str:
    return f"accounts:import-job:{job_id}:progress"


# Entry points


def maven_import_directory(
    *,
    directory: Path = BUNDLED_DATA,
    user: User | None = None,
    keep_good_rows: bool = False,
    progress: Progress | None = None,
) -> ImportJob:
    """Import the four CSVs in a directory now, in this process."""
    job = ImportJob(
        created_by=user,
        source_directory=str(Path(directory).resolve()),
        keep_good_rows=keep_good_rows,
    )
    # From a command, its audit names the command line rather than no one.
    import_job_origin_keep(job=job)
    job.save()
    return maven_import_run(job=job, progress=progress)


def import_job_create(
    *, user: User, files: Mapping[str, UploadedFile], keep_good_rows: bool
) -> ImportJob:
    """Store uploaded files under MEDIA_ROOT and enqueue their import."""
    job = ImportJob(created_by=user, keep_good_rows=keep_good_rows)
    import_job_origin_keep(job=job)
    job.save()
    directory = upload_directory_create(
        root=Path(settings.MEDIA_ROOT) / "imports", job_id=job.pk
    )
    for name in importing.FILE_NAMES:
        with (directory / name).open("wb") as target:
            for chunk in files[name].chunks():
                target.write(chunk)
    job.source_directory = str(directory)
    job.save(update_fields=["source_directory", "updated_at"])

    _enqueue(job)
    return job


def import_job_retry_keeping_good_rows(*, job: ImportJob, user: User) -> ImportJob:
    """Re-run a rejected job's stored files, writing the rows that passed."""
    retry = ImportJob(
        created_by=user, source_directory=job.source_directory, keep_good_rows=True
    )
    import_job_origin_keep(job=retry)
    retry.save()
    _enqueue(retry)
    return retry


def _enqueue(job: ImportJob) -> None:
    from accounts.tasks import import_job_task

    transaction.on_commit(lambda: import_job_task.delay(job.pk))


# The run


def maven_import_run(*, job: ImportJob, progress: Progress | None = None) -> ImportJob:
    """Read, check and write one import; never leave half of it written."""
    with import_job_liveness(job_id=job.pk):
        return _maven_import_run(job=job, progress=progress)


def _maven_import_run(*, job: ImportJob, progress: Progress | None) -> ImportJob:
    started = time.monotonic()
    report = _reporter(job, progress)
    job.status = ImportJob.Status.RUNNING
    job.error = ""
    report(2, "Reading the files")
    job.save()

    try:
        if connection.vendor == "postgresql":
            # One transaction from the first chunk read to the last row
            # written: the pipeline's clean rows go into a staging table as
            # they are read; nothing reaches our tables until every row of
            # every file is checked, and a rejection leaves only staging,
            # dropped at the commit.
            with transaction.atomic():
                _import_checked(job, report, sink=_StagingSink())
        else:
            # SQLite locks whole tables for a transaction's length, so it
            # reads first and opens the transaction for the write alone.
            _import_checked(job, report, sink=None)
    except ImportJobSwept as swept:
        logger.warning("import job %s was swept while it ran", job.pk)
        job.counts, job.error = {}, str(swept)
        _finish(job, ImportJob.Status.FAILED, report, "Failed: taken for stalled")
    except Exception as error:
        logger.exception("import job %s failed", job.pk)
        job.error = f"{type(error).__name__}: {error}"
        _finish(job, ImportJob.Status.FAILED, report, "Failed")
    finally:
        logger.info(
            "import job %s %s in %.2fs",
            job.pk,
            job.status,
            time.monotonic() - started,
        )
    return job


def _import_checked(
    job: ImportJob, report: Progress, *, sink: _StagingSink | None
) -> None:
    """Read and check the files, then write them unless they are rejected."""
    try:
        # The sink's last COPY ends before anything else uses the connection,
        # even when a file fails half way.
        with nullcontext() if sink is None else sink:
            tables = importing.maven_tables_read(
                directory=Path(job.source_directory),
                chunk_lines=importing.PIPELINE_CHUNK_LINES,
                sink=sink,
                deleted=deal_deletions_said(),
            )
    except importing.ImportFileError as error:
        problems = [(error.file, error.line, error.message)]
        problems += [(file, 1, message) for file, message in error.also]
        job.issues = [
            importing.Issue(file, line, "", "", message, importing.REJECTED).as_dict()
            for file, line, message in problems
        ]
        job.counts = {}
        _finish(job, ImportJob.Status.REJECTED, report, "Rejected")
        return

    job.issues = [issue.as_dict() for issue in tables.issues]
    rejected = _rejected_lines(tables.issues)
    report(
        25,
        f"Checked {sum(tables.rows_read.values()):,} rows: "
        f"{len(tables.issues):,} issues, {sum(rejected.values()):,} rows rejected",
    )
    if rejected and not job.keep_good_rows:
        job.counts = {
            table: _counts(0, 0, 0, _rejected_in(rejected, table=table, file=file))
            for table, file in TABLES.items()
        }
        _finish(job, ImportJob.Status.REJECTED, report, "Rejected: nothing was written")
        return

    # On PostgreSQL the caller's transaction already holds everything.
    with transaction.atomic() if sink is None else nullcontext():
        permissions = permissions_snapshot()
        if sink is not None:
            counts = _write_postgresql(tables, report)
        else:
            counts = _write_bulk(tables, report)
        # In the write's transaction: the record stands or falls with it.
        directory_import_permissions_record(job=job, before=permissions)
        for table, file in TABLES.items():
            counts[table]["rejected"] = _rejected_in(rejected, table=table, file=file)
        job.counts = {table: counts[table] for table in TABLES}
        import_job_still_running(job=job)
        _finish(job, ImportJob.Status.SUCCEEDED, report, "Done")
        if any(c["created"] or c["updated"] for c in counts.values()):
            transaction.on_commit(
                lambda: import_finished.send(sender=ImportJob, job=job)
            )


def deal_deletions_said() -> dict[str, str]:
    """Return why an import skips each deal deleted by hand, by its CRM id."""
    return {
        gone.external_id: gone.skipped_reason
        for gone in OpportunityDeletion.objects.select_related("deleted_by")
    }


def _reporter(job: ImportJob, progress: Progress | None) -> Progress:
    # The write runs in one transaction, so other processes cannot see the
    # job row change until it commits; the cache carries progress meanwhile.
    def report(percent: int, message: str) -> None:
        job.progress = percent
        job.progress_message = message[:200]
        cache.set(import_progress_cache_key(job.pk), (percent, message), 3600)
        if progress is not None:
            progress(percent, message)

    return report


def _finish(job: ImportJob, status: str, report: Progress, message: str) -> ImportJob:
    job.status = status
    job.finished_at = timezone.now()
    report(100, message)
    job.save()
    return job


def _rejected_lines(issues: list[importing.Issue]) -> dict[str, int]:
    lines: dict[str, set[int]] = {}
    for issue in issues:
        if issue.action == importing.REJECTED:
            lines.setdefault(issue.file, set()).add(issue.line)
    return {file: len(found) for file, found in lines.items()}


def _rejected_in(rejected: dict[str, int], *, table: str, file: str) -> int:
    return rejected.get(file, 0) if REJECTED_IN[file] == table else 0


def _counts(created: int, updated: int, unchanged: int, rejected: int) -> dict:
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": rejected,
    }


# Set-based upsert


def _canon(value: object) -> str:
    """Return a comparable text form: DB and file values meet here."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, Decimal):
        # 12.345 KWD and 12.346 KWD differ; 1500 and 1500.00 do not.
        return f"{amount_kept(value)}"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, Decimal | date):
        return value.item()  # numpy scalar
    return value


def _keys(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    parts = [frame[column].map(_canon) for column in key]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\x1f" + part
    return joined


def _sync(
    *,
    model: type[models.Model],
    key: list[str],
    fields: list[str],
    incoming: pd.DataFrame,
    create_defaults: dict[str, object] | None = None,
) -> tuple[set[str], set[str], int]:
    """Create missing rows and update changed ones; return what happened.

    Loads the existing rows in one query, diffs them with the incoming frame
    in pandas and writes with bulk statements, so the query count depends on
    the batch sizes, not on the number of rows.
    """
    columns = ["pk", *key, *fields]
    existing = pd.DataFrame.from_records(
        list(model._default_manager.values(*columns)), columns=columns
    )
    existing["_key"] = _keys(existing, key)
    existing = existing.set_index("_key")

    incoming = incoming[key + fields].copy()
    incoming["_key"] = _keys(incoming, key)
    incoming = incoming.drop_duplicates("_key")
    is_new = ~incoming["_key"].isin(existing.index)
    present = incoming[~is_new]
    old = existing.loc[present["_key"]]
    changed = pd.Series(False, index=present.index)
    for column in fields:
        changed |= (
            present[column].map(_canon).to_numpy() != old[column].map(_canon).to_numpy()
        )

    has_updated_at = any(f.name == "updated_at" for f in model._meta.fields)
    now = timezone.now()
    new_rows = incoming[is_new]
    model._default_manager.bulk_create(
        [
            model(
                **{column: _plain(row[column]) for column in key + fields},
                **(create_defaults or {}),
            )
            for row in new_rows.to_dict("records")
        ],
        batch_size=CREATE_BATCH,
    )
    changed_rows = present[changed]
    if not changed_rows.empty:
        pks = existing.loc[changed_rows["_key"], "pk"].to_list()
        objects = []
        for pk, row in zip(pks, changed_rows.to_dict("records"), strict=True):
            values = {column: _plain(row[column]) for column in fields}
            if has_updated_at:
                values["updated_at"] = now
            objects.append(model(pk=int(pk), **values))
        model._default_manager.bulk_update(
            objects,
            [*fields, "updated_at"] if has_updated_at else fields,
            batch_size=UPDATE_BATCH,
        )
    return set(new_rows["_key"]), set(changed_rows["_key"]), len(incoming)


def _summary(total: int, created: set[str], *updated_sets: set[str]) -> dict[str, int]:
    updated = set().union(*updated_sets) - created
    return _counts(len(created), len(updated), total - len(created) - len(updated), 0)


# Columns the clean frames hold in whole cents.
MONEY = {"list_price", "annual_revenue_musd", "close_value", "amount"}


def _python_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with Python values: Decimal money, dates, None."""
    values = frame.astype(object).where(frame.notna(), None)
    for column in frame.columns:
        if column in MONEY:
            values[column] = [
                None if cents is None else Decimal(int(cents)).scaleb(-2)
                for cents in values[column]
            ]
        elif pd.api.types.is_datetime64_any_dtype(frame[column]):
            values[column] = [
                None if moment is None else moment.date() for moment in values[column]
            ]
    return values


MILLION = Decimal(1_000_000)
# The account fields of an annual revenue, all written together.
ANNUAL_REVENUE_FIELDS = [
    "annual_revenue",
    "annual_revenue_currency",
    "annual_revenue_rate",
    "annual_revenue_rate_date",
]


def _bundled_revenue_values(millions: pd.Series) -> dict[str, list[Any]]:
    """Return the bundled layout's revenue, in millions of USD, as stored."""
    amounts = [None if value is None else value * MILLION for value in millions]
    return {
        "annual_revenue": amounts,
        "annual_revenue_currency": [
            "" if amount is None else ANNUAL_REVENUE_CURRENCY for amount in amounts
        ],
        "annual_revenue_rate": [None] * len(amounts),
        "annual_revenue_rate_date": [None] * len(amounts),
    }


def _names_now(
    frame: pd.DataFrame, columns: list[str], current: Mapping[str, str]
) -> pd.DataFrame:
    """Return the frame with each former account name in `columns` replaced
    by the account's name now."""
    if not current:
        return frame
    return frame.assign(
        **{
            column: frame[column]
            .astype(object)
            .map(lambda name: current.get(name, name), na_action="ignore")
            for column in columns
        }
    )


def _write_bulk(tables: importing.MavenTables, report: Progress) -> dict:
    """Write with bulk statements batched by Django: the SQLite path."""
    # A name an account had before a rename in Lode is that account's,
    # under its name now (account_former_names_current).
    current = account_former_names_current(names=tables.accounts["name"])
    tables = importing.MavenTables(
        teams=tables.teams,
        users=tables.users,
        products=_python_values(tables.products),
        accounts=_names_now(
            _python_values(tables.accounts), ["name", "parent_name"], current
        ),
        opportunities=_names_now(
            _python_values(tables.opportunities), ["account_name"], current
        ),
        revenue_lines=_names_now(
            _python_values(tables.revenue_lines), ["account_name"], current
        ),
        account_team=_names_now(tables.account_team, ["account_name"], current),
    )
    counts: dict[str, dict[str, int]] = {}

    report(35, "Writing teams and users")
    teams = tables.teams
    team_created, team_updated, team_total = _sync(
        model=Team, key=["name"], fields=["region"], incoming=teams
    )
    team_ids = dict(Team.objects.values_list("name", "pk"))
    users = tables.users.assign(team_id=tables.users["team_name"].map(team_ids))
    user_created, user_updated, user_total = _sync(
        model=User,
        key=["username"],
        fields=["first_name", "last_name", "role", "team_id"],
        incoming=users,
        create_defaults={"password": make_password(None)},
    )
    counts["users"] = _summary(user_total, user_created, user_updated)
    user_ids = dict(User.objects.values_list("username", "pk"))
    if user_updated:
        # A new name, role or team shows on the team list of each account
        # the user is on: those accounts' ETags go stale.
        account_versions_touch(user_ids=[user_ids[name] for name in user_updated])
    teams = teams.assign(manager_id=teams["manager_username"].map(user_ids))
    _, team_managed, _ = _sync(
        model=Team, key=["name"], fields=["region", "manager_id"], incoming=teams
    )
    counts["teams"] = _summary(team_total, team_created, team_updated, team_managed)

    report(45, "Writing products")
    created, updated, total = _sync(
        model=Product,
        key=["name"],
        fields=["series", "list_price"],
        incoming=tables.products,
    )
    counts["products"] = _summary(total, created, updated)
    product_ids = dict(Product.objects.values_list("name", "pk"))

    report(50, "Writing accounts")
    accounts = tables.accounts
    accounts = accounts.assign(
        **_bundled_revenue_values(accounts.pop("annual_revenue_musd"))
    )
    account_fields = [
        "sector",
        "year_established",
        *ANNUAL_REVENUE_FIELDS,
        "employees",
        "country",
    ]
    created, updated, total = _sync(
        model=Account, key=["name"], fields=account_fields, incoming=accounts
    )
    account_ids = dict(Account.objects.values_list("name", "pk"))
    accounts = accounts.assign(
        parent_id=accounts["parent_name"].map(lambda name: account_ids.get(name))
    )
    _, parented, _ = _sync(
        model=Account, key=["name"], fields=["parent_id"], incoming=accounts
    )
    counts["accounts"] = _summary(total, created, updated, parented)

    report(60, f"Writing {len(tables.opportunities):,} deals")
    opportunities = tables.opportunities.assign(
        account_id=tables.opportunities["account_name"].map(
            lambda name: account_ids.get(name) if isinstance(name, str) else None
        ),
        product_id=tables.opportunities["product_name"].map(product_ids),
        owner_id=tables.opportunities["owner_username"].map(user_ids),
    )
    moved_from = _moved_accounts(opportunities)
    created, updated, total = _sync(
        model=Opportunity,
        key=["external_id"],
        fields=[
            "account_id",
            "product_id",
            "owner_id",
            "stage",
            "engaged_on",
            "closed_on",
            "close_value",
        ],
        incoming=opportunities,
    )
    counts["opportunities"] = _summary(total, created, updated)

    report(85, "Writing revenue by account, product and quarter")
    revenue = tables.revenue_lines.assign(
        account_id=tables.revenue_lines["account_name"].map(account_ids),
        product_id=tables.revenue_lines["product_name"].map(product_ids),
        source=RevenueLine.Source.PIPELINE,
    )
    revenue["import_key"] = [
        won_key(
            account_id=int(account),
            product_id=int(product),
            quarter=pd.Timestamp(quarter).date(),
        )
        for account, product, quarter in zip(
            revenue["account_id"],
            revenue["product_id"],
            revenue["quarter_start"],
            strict=True,
        )
    ]
    created, updated, total = _sync(
        model=RevenueLine,
        key=["import_key"],
        fields=["account_id", "product_id", "quarter_start", "amount", "source"],
        incoming=revenue,
    )
    counts["revenue_lines"] = _summary(total, created, updated)

    report(95, "Writing account teams")
    members = tables.account_team.assign(
        account_id=tables.account_team["account_name"].map(account_ids),
        user_id=tables.account_team["username"].map(user_ids),
    )
    created, updated, total = _sync(
        model=AccountTeamMember,
        key=["account_id", "user_id"],
        fields=[],
        incoming=members,
        create_defaults={"source": AccountTeamMember.Source.PIPELINE},
    )
    counts["account_team_members"] = _summary(total, created, updated)
    joined = members[_keys(members, ["account_id", "user_id"]).isin(created)]
    _account_versions_move(account_ids=joined["account_id"].dropna().unique())
    _pipeline_derived_prune(account_ids=moved_from)
    return counts


def _account_versions_move(*, account_ids: Iterable[Any]) -> None:
    """Move the version of these accounts, a batch of ids a statement.

    The pandas path's counterpart of the PostgreSQL path's one UPDATE over
    the staged rows: each account whose team the import joined someone to.
    """
    ids = sorted({int(account_id) for account_id in account_ids})
    now = timezone.now()
    for start in range(0, len(ids), UPDATE_BATCH):
        Account.objects.filter(pk__in=ids[start : start + UPDATE_BATCH]).update(
            updated_at=now
        )


# What a deal's revenue line and team membership hang on.
DERIVING = ["account_id", "product_id", "owner_id", "stage", "closed_on"]


def _moved_accounts(incoming: pd.DataFrame) -> list[int]:
    """Return the accounts that lose or gain a stored deal, or see one change."""
    columns = ["external_id", *DERIVING]
    stored = pd.DataFrame.from_records(
        list(
            Opportunity.objects.filter(
                external_id__in=incoming["external_id"].to_list()
            ).values_list(*columns)
        ),
        columns=columns,
    )
    both = stored.merge(
        incoming[columns], on="external_id", suffixes=("_old", ""), how="inner"
    )
    changed = pd.Series(False, index=both.index)
    for column in DERIVING:
        changed |= (
            both[f"{column}_old"].map(_canon).to_numpy()
            != both[column].map(_canon).to_numpy()
        )
    both = both[changed]
    ids = pd.concat([both["account_id_old"], both["account_id"]]).dropna()
    return sorted({int(value) for value in ids})


def _pipeline_derived_prune(*, account_ids: list[int] | RawSQL) -> dict[str, int]:
    """Drop the pipeline-derived rows of these accounts no deal supports now.

    A revenue line stays while a won deal of its account, product and quarter
    is stored; a membership while a deal of its account has that owner. Rows
    from invoices or added by hand are never touched. Two DELETEs.
    """
    won = Opportunity.objects.annotate(quarter=TruncQuarter("closed_on")).filter(
        account_id=OuterRef("account_id"),
        product_id=OuterRef("product_id"),
        stage=Opportunity.Stage.WON,
        quarter=OuterRef("quarter_start"),
    )
    lines, _ = (
        RevenueLine.objects.filter(
            source=RevenueLine.Source.PIPELINE, account_id__in=account_ids
        )
        .exclude(Exists(won))
        .delete()
    )
    owned = Opportunity.objects.filter(
        account_id=OuterRef("account_id"), owner_id=OuterRef("user_id")
    )
    unowned = AccountTeamMember.objects.filter(
        source=AccountTeamMember.Source.PIPELINE, account_id__in=account_ids
    ).exclude(Exists(owned))
    # The account's team list shows who left it: its version moves first,
    # in one UPDATE, while the rows still say which accounts they were on.
    Account.objects.filter(pk__in=unowned.values("account_id")).update(
        updated_at=timezone.now()
    )
    members, _ = unowned.delete()
    return {"revenue_lines": lines, "account_team_members": members}


# Writing on PostgreSQL: COPY into staging tables, then one statement per
# table. Foreign keys are resolved by joins on the natural keys; each
# statement records the ids it touched in a temporary table, from which the
# counts are taken, so no row crosses back into Python.

# Staging column types per clean frame, in the frames' column order. Money
# arrives in cents; the upsert divides by 100 in numeric, which is exact.
STAGING = {
    "teams": {"name": "text", "region": "text", "manager_username": "text"},
    "users": {
        "username": "text",
        "first_name": "text",
        "last_name": "text",
        "full_name": "text",
        "role": "text",
        "team_name": "text",
    },
    "products": {"name": "text", "series": "text", "list_price": "bigint"},
    "accounts": {
        "name": "text",
        "name_key": "text",
        "sector": "text",
        "year_established": "integer",
        "annual_revenue_musd": "bigint",
        "employees": "bigint",
        "country": "text",
        "parent_name": "text",
    },
    # Names arrive as codes into `import_names`, in PostgreSQL's binary
    # COPY format (_opportunities_binary): integers join and group faster
    # than text, and numpy encodes them faster than CSV can be formatted.
    # A missing value is a sentinel, as a fixed-width row has no room for
    # NULL: account code -1, date -infinity, close value the least bigint.
    "opportunities": {
        "account_code": "integer",
        "product_code": "integer",
        "owner_code": "integer",
        "stage_code": "integer",
        "engaged_on": "date",
        "closed_on": "date",
        "close_value": "bigint",
        "line": "integer",
        "external_id": "text",
    },
    # The ids and lines of rows rejected for another reason: a later row
    # with the same id is still a repeat.
    "rejected_ids": {"external_id": "text", "line": "integer"},
    # What each code of a name column of the pipeline stands for.
    "names": {"kind": "text", "code": "integer", "name": "text"},
    "revenue_lines": {
        "account_code": "integer",
        "product_code": "integer",
        "quarter_start": "date",
        "amount": "bigint",
    },
    "account_team": {"account_code": "integer", "owner_code": "integer"},
}
# The pipeline's name columns, staged as codes, and the staging column of
# each; the codes index the categories importing.maven_tables_check gives.
# What the codes of each but the stage stand for goes to `import_names`.
CODED = {
    "account_name": "account_code",
    "product_name": "product_code",
    "owner_username": "owner_code",
    "stage": "stage_code",
}
NAMED = ["account_name", "product_name", "owner_username"]
# A stage from its code: a constant array, not a join, so the planner
# knows every deal keeps its row.
STAGE_NAME = (
    "(ARRAY["
    + ", ".join(f"'{stage}'" for stage in importing.STAGE_ORDER)
    + "])[s.stage_code + 1]"
)


# Held for the write's transaction; any constant unique to this import.
IMPORT_LOCK = 8_100_001
IMPORT_WORK_MEM = "256MB"
# ANALYZE of the staging tables reads 300 rows per unit of this (30,000 at
# the default); the joins need row counts and rough distinct counts only.
STAGING_STATISTICS = 10
# Rows formatted at a time for a COPY into a staging table.
COPY_SLICE = 20_000


def _staging_create(name: str) -> str:
    definition = ", ".join(f"{column} {kind}" for column, kind in STAGING[name].items())
    return f"CREATE TEMPORARY TABLE import_{name} ({definition}) ON COMMIT DROP"


def _staging_copy(cursor: CursorWrapper, *, name: str, frame: pd.DataFrame) -> None:
    """COPY a clean frame into its staging table as one streamed COPY."""
    cursor.copy_expert(
        f"COPY import_{name} FROM STDIN",
        _CopyTextStream(frame[list(STAGING[name])]),
    )


# COPY's text format: a backslash starts an escape, a tab ends a field and a
# line break a row, and \N alone is NULL. Text values are escaped, so a name
# that is `\N` or holds a backslash, tab or line break arrives as written.
COPY_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(frame: pd.DataFrame) -> str:
    """Return a frame as COPY text (no header), \\N for missing."""
    texts = frame.select_dtypes(include=["object", "string", "category"]).columns
    escaped = frame.assign(
        **{
            column: frame[column].map(
                lambda value: (
                    value.translate(COPY_TEXT_ESCAPES)
                    if isinstance(value, str)
                    else value
                ),
                na_action="ignore",
            )
            for column in texts
        }
    )
    return escaped.to_csv(
        index=False,
        header=False,
        sep="\t",
        quoting=csv.QUOTE_NONE,
        na_rep="\\N",
        date_format="%Y-%m-%d",
    )


class _CopyTextStream(io.TextIOBase):
    """A frame as COPY text, formatted a slice of rows at a time as read.

    COPY reads it in small pieces, so PostgreSQL parses and stores one
    slice while the next is formatted, and the whole frame never sits in
    memory as text.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self._slices = (
            frame.iloc[start : start + COPY_SLICE]
            for start in range(0, len(frame), COPY_SLICE)
        )
        self._text = ""
        self._at = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        wanted = None if size is None or size < 0 else size
        while wanted is None or len(self._text) - self._at < wanted:
            part = next(self._slices, None)
            if part is None:
                break
            self._text = self._text[self._at :] + copy_text(part)
            self._at = 0
        end = len(self._text) if wanted is None else self._at + wanted
        piece = self._text[self._at : end]
        self._at += len(piece)
        return piece


def _insert_defaults(
    model: type[models.Model], given: list[str], now: datetime
) -> dict[str, object]:
    """Return a value for every other column a new row needs."""
    defaults: dict[str, object] = {}
    for model_field in model._meta.concrete_fields:
        # Concrete fields always have a column; the check says so to mypy.
        column = model_field.column
        if model_field.primary_key or column is None or column in given:
            continue
        if getattr(model_field, "auto_now", False) or getattr(
            model_field, "auto_now_add", False
        ):
            defaults[column] = now
        else:
            # The model default, "" for text, else NULL: as Model() would,
            # prepared as a save would (a JSON default is no bare dict).
            defaults[column] = model_field.get_db_prep_save(
                model_field.get_default(), connection
            )
    return defaults


def _team_lists_touch(cursor: CursorWrapper, *, now: datetime) -> None:
    """Move the version of each account whose team shows a user the staged
    users change: their name, role or team. Run before the users' upsert,
    while the stored values are the old ones; one statement."""
    account, member, user, team = (
        Account._meta.db_table,
        AccountTeamMember._meta.db_table,
        User._meta.db_table,
        Team._meta.db_table,
    )
    cursor.execute(
        f"UPDATE {account} SET updated_at = %s WHERE id IN ("
        f"SELECT m.account_id FROM {member} m "
        f"JOIN {user} _old ON _old.id = m.user_id "
        "JOIN import_users s ON s.username = _old.username "
        f"LEFT JOIN {team} t ON t.name = s.team_name "
        "WHERE ROW(_old.first_name, _old.last_name, _old.role, _old.team_id) "
        "IS DISTINCT FROM ROW(s.first_name, s.last_name, s.role, t.id))",
        [now],
    )


def _upsert(
    cursor: CursorWrapper,
    *,
    label: str,
    model: type[models.Model],
    select: dict[str, str],
    source: str,
    key: list[str],
    now: datetime,
    insert_only: dict[str, object] | None = None,
    record: bool = False,
) -> tuple[int, int]:
    """UPDATE the rows whose values differ and INSERT the new keys.

    `select` maps each target column to its SQL expression over `source`.
    There are two parts: an UPDATE ... FROM of the existing rows, only
    where a value differs, and a plain INSERT of the keys not yet
    stored (anti-joined, sorted by the key, so its index is written in
    order). Neither part inserts speculatively, as ON CONFLICT does, and
    the UPDATE never changes a key, so the INSERT finds the same keys new
    whether it runs before or after it. Return how many rows were created
    and how many written in all. With `record`, also keep the touched ids
    under `label` in import_touched, for a table that a second statement
    writes too; without, the two parts run as plain statements and their
    row counts are the answer, so no id is returned and held.
    """
    table = model._meta.db_table
    given = list(select)
    defaults = {**_insert_defaults(model, given, now), **(insert_only or {})}
    fields = [column for column in given if column not in key]
    matches = " AND ".join(f"_old.{column} = {select[column]}" for column in key)
    parameters: list[Any] = []

    update = None
    if fields:
        stamp = ", updated_at = %s" if "updated_at" in defaults else ""
        parameters += [now] if stamp else []
        assignments = ", ".join(f"{column} = {select[column]}" for column in fields)
        old = ", ".join(f"_old.{column}" for column in fields)
        new = ", ".join(select[column] for column in fields)
        update = (
            f"UPDATE {table} AS _old SET {assignments}{stamp} "
            f"FROM {source} WHERE {matches} "
            f"AND ROW({old}) IS DISTINCT FROM ROW({new})"
        )
    columns = ", ".join([*given, *defaults])
    values = ", ".join([*select.values(), *["%s"] * len(defaults)])
    order = ", ".join(_sort_key(model, column, select[column]) for column in key)
    insert = (
        f"INSERT INTO {table} ({columns}) SELECT {values} "
        f"FROM {source} WHERE NOT EXISTS (SELECT FROM {table} _old WHERE {matches}) "
        f"ORDER BY {order}"
    )

    if not record:
        updated = 0
        if update is not None:
            cursor.execute(update, parameters)
            updated = cursor.rowcount
        values_given: list[Any] = list(defaults.values())
        cursor.execute(insert, values_given)
        return cursor.rowcount, updated + cursor.rowcount

    parameters += list(defaults.values())
    parts = [] if update is None else [f"{update} RETURNING _old.id, false AS created"]
    parts.append(f"{insert} RETURNING id, true AS created")
    names = [f"written_{index}" for index in range(len(parts))]
    sql = "WITH " + ", ".join(
        f"{name} AS ({part})" for name, part in zip(names, parts, strict=True)
    )
    sql += ", written AS (" + " UNION ALL ".join(f"SELECT * FROM {n}" for n in names)
    sql += (
        "), recorded AS (INSERT INTO import_touched "
        "SELECT %s, id, created FROM written)"
    )
    parameters.append(label)
    cursor.execute(
        sql + " SELECT count(*) FILTER (WHERE created), count(*) FROM written",
        parameters,
    )
    created, written = cursor.fetchone()
    return created, written


def _sort_key(model: type[models.Model], column: str, expression: str) -> str:
    """Return the ORDER BY term for a key column: text sorts by its bytes.

    Our databases' C.UTF-8 collation orders text by code point, which is
    the bytes' order in UTF-8, so "C" sorts the same rows the same way; but
    PostgreSQL (before 17) compares under C.UTF-8 through the C library, one
    call per comparison, and sorts "C" text far faster.
    """
    field = next(f for f in model._meta.concrete_fields if f.column == column)
    if field.get_internal_type() in {"CharField", "TextField", "SlugField"}:
        return f'{expression} COLLATE "C"'
    return expression


def _touch_update(
    cursor: CursorWrapper, *, label: str, sql: str, now: datetime
) -> None:
    """Run an UPDATE ... RETURNING the ids, and record them under `label`."""
    cursor.execute(
        f"WITH written AS ({sql}) "
        "INSERT INTO import_touched SELECT %s, id, false FROM written",
        [now, label],
    )


# Staging tables filled while the files are read, before the write; the
# derived ones are filled from them in SQL.
STREAMED = {"opportunities", "rejected_ids", "names"}
DERIVED = {"revenue_lines", "account_team"}
# Tables of the code each name column has in staging and the id of the row
# it names, filled once the rows they name are written.
CODE_IDS = ["import_account_ids", "import_product_ids", "import_owner_ids"]
# Bytes handed to COPY at a time.
COPY_READ = 1 << 18


class _StagingSink:
    """Create the staging tables; COPY checked pipeline chunks into them.

    Each chunk is formatted as CSV here and COPYed by a worker thread while
    the reader goes on to the next chunk: the thread mostly waits on
    PostgreSQL with the GIL released, so the two cores share the work.
    Only one COPY runs at a time, on the import's own connection and in its
    transaction, and the main thread does not use the connection meanwhile;
    leaving the `with` block waits for the last one.
    """

    def __init__(self) -> None:
        # ON COMMIT DROP does not fire while an outer transaction (a test, a
        # caller's atomic block) stays open, so a second import drops them
        # first.
        staging = ", ".join(
            [
                "import_touched",
                "import_moved",
                *CODE_IDS,
                *(f"import_{name}" for name in STAGING),
            ]
        )
        with connection.cursor() as cursor:
            # The writes find new keys by anti-join, not ON CONFLICT: two
            # imports at once would both see a key as new, so they take
            # turns. Sorting a million keys for the INSERT, and grouping a
            # million ids to find repeats, spill to disk at the default 4 MB
            # (at 64 MB too); this import's transaction alone gets more.
            cursor.execute(
                f"SELECT pg_advisory_xact_lock({IMPORT_LOCK}); "
                f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'; "
                f"SET LOCAL default_statistics_target = {STAGING_STATISTICS}; "
                f"DROP TABLE IF EXISTS {staging}; "
                "CREATE TEMPORARY TABLE import_touched "
                "(label text, id bigint, created boolean) ON COMMIT DROP; "
                + "; ".join(_staging_create(name) for name in STAGING)
            )
        self._connection = connection.connection
        self._named = False
        self._worker = ThreadPoolExecutor(max_workers=1)
        self._copying: Future[None] | None = None

    def __enter__(self) -> _StagingSink:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            self._wait()
        except Exception:
            # The reader's own error, if any, is the one to report.
            if error is None:
                raise
        finally:
            self._worker.shutdown()

    def rows_add(self, rows: pd.DataFrame, *, clean: pd.Series) -> None:
        copies = []
        if not self._named:
            # Every chunk's name columns share their categories.
            self._named = True
            names = pd.concat(
                pd.DataFrame(
                    {"kind": column, "code": range(len(values)), "name": values}
                )
                for column in NAMED
                for values in [rows[column].cat.categories]
            )
            copies.append(("names", _copy_bytes(names), "text"))
        copies += [
            ("opportunities", _opportunities_binary(rows.loc[clean]), "binary"),
            (
                "rejected_ids",
                _copy_bytes(rows.loc[~clean, ["external_id", "line"]]),
                "text",
            ),
        ]
        self._wait()
        self._copying = self._worker.submit(self._copy, copies)

    def repeats_remove(self) -> pd.DataFrame:
        """Find the repeated ids in SQL; drop the repeats' clean rows."""
        self._wait()
        with connection.cursor() as cursor:
            # Ids are grouped by a 64-bit hash, which is cheaper to group a
            # million of than text; only rows whose hash repeats are then
            # grouped by the id itself, as a hash may collide.
            hashed = "hashtextextended(external_id, 0)"
            cursor.execute(
                f"WITH hashes AS (SELECT h FROM (SELECT {hashed} AS h "
                "FROM import_opportunities UNION ALL "
                f"SELECT {hashed} FROM import_rejected_ids) AS every_id "
                "GROUP BY h HAVING count(*) > 1), "
                "suspects AS (SELECT external_id, line, true AS clean "
                f"FROM import_opportunities WHERE {hashed} IN (SELECT h FROM hashes) "
                "UNION ALL SELECT external_id, line, false FROM import_rejected_ids "
                f"WHERE {hashed} IN (SELECT h FROM hashes)), "
                "repeated AS (SELECT external_id, min(line) AS first_line "
                "FROM suspects GROUP BY external_id HAVING count(*) > 1) "
                "SELECT s.line, s.external_id, r.first_line, s.clean "
                "FROM suspects s JOIN repeated r ON r.external_id = s.external_id "
                "WHERE s.line > r.first_line ORDER BY s.line"
            )
            repeats = pd.DataFrame.from_records(
                cursor.fetchall(),
                columns=["line", "external_id", "first_line", "clean"],
            ).astype({"line": "int64", "first_line": "int64", "clean": bool})
            lines = repeats.loc[repeats["clean"], "line"].tolist()
            if lines:
                cursor.execute(
                    "DELETE FROM import_opportunities WHERE line = ANY(%s)", [lines]
                )
        return repeats

    def _wait(self) -> None:
        if self._copying is not None:
            copying, self._copying = self._copying, None
            copying.result()

    def _copy(self, copies: list[tuple[str, bytes, str]]) -> None:
        with self._connection.cursor() as cursor:
            for table, data, kind in copies:
                if data:
                    cursor.copy_expert(
                        f"COPY import_{table} ({', '.join(STAGING[table])}) "
                        f"FROM STDIN WITH (FORMAT {kind})",
                        io.BytesIO(data),
                        size=COPY_READ,
                    )


# PostgreSQL's binary COPY: a signature, flags and an empty extension
# area; each row a field count, then each field's size and big-endian bytes;
# -1 as the last row's field count.
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
BINARY_TRAILER = struct.pack(">h", -1)
# PostgreSQL counts dates in days from 2000-01-01; its least is -infinity.
POSTGRESQL_EPOCH_DAYS = (date(2000, 1, 1) - date(1970, 1, 1)).days
DATE_MISSING = np.iinfo(np.int32).min
VALUE_MISSING = np.iinfo(np.int64).min


def _opportunities_binary(rows: pd.DataFrame) -> bytes:
    """Return clean pipeline rows as a binary COPY into import_opportunities."""
    fixed: dict[str, tuple[np.ndarray, str]] = {
        code: (rows[column].cat.codes.to_numpy(), ">i4")
        for column, code in CODED.items()
    }
    for column in ("engaged_on", "closed_on"):
        days = rows[column].to_numpy(dtype="datetime64[D]")
        fixed[column] = (
            np.where(
                np.isnat(days),
                DATE_MISSING,
                days.view("int64") - POSTGRESQL_EPOCH_DAYS,
            ),
            ">i4",
        )
    fixed["close_value"] = (
        rows["close_value"].to_numpy(dtype="int64", na_value=VALUE_MISSING),
        ">i8",
    )
    fixed["line"] = (rows["line"].to_numpy(), ">i4")
    return _binary_rows(fixed, rows["external_id"].tolist())


def _binary_rows(fixed: dict[str, tuple[np.ndarray, str]], texts: list[str]) -> bytes:
    """Return rows for a binary COPY: the fixed-width fields, then one text.

    Rows whose text has the same length in bytes are fixed-width records,
    laid out by numpy at once; staging keeps no order, so they go in one
    block per length. No Python code runs per row.
    """
    count = len(texts)
    if not count:
        return b""
    joined = "".join(texts)
    encoded = joined.encode()
    if len(encoded) == len(joined):
        # All ASCII: a character is a byte.
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    else:
        sizes = np.fromiter(
            (len(text.encode()) for text in texts), dtype=np.int64, count=count
        )
    text_bytes = np.frombuffer(encoded, dtype=np.uint8)
    text_starts = np.cumsum(sizes) - sizes

    blocks = [BINARY_HEADER]
    for size in np.unique(sizes).tolist():
        rows = np.flatnonzero(sizes == size)
        layout: list[tuple[Any, ...]] = [("fields", ">i2")]
        for name, (_, kind) in fixed.items():
            layout += [(f"{name}_size", ">i4"), (name, kind)]
        layout += [("text_size", ">i4"), ("text", np.uint8, (size,))]
        records = np.empty(len(rows), dtype=np.dtype(layout))
        records["fields"] = len(fixed) + 1
        for name, (values, kind) in fixed.items():
            records[f"{name}_size"] = np.dtype(kind).itemsize
            records[name] = values[rows]
        records["text_size"] = size
        records["text"] = text_bytes[text_starts[rows][:, None] + np.arange(size)]
        blocks.append(records.tobytes())
    blocks.append(BINARY_TRAILER)
    return b"".join(blocks)


def _copy_bytes(frame: pd.DataFrame) -> bytes:
    """Return a frame as encoded COPY text; nothing for no rows."""
    if frame.empty:
        return b""
    return copy_text(frame).encode()


# A staged deal's columns, from its codes and sentinels (see STAGING).
OPPORTUNITY_COLUMNS = {
    "external_id": "s.external_id",
    "account_id": "a.id",
    "product_id": "p.id",
    "owner_id": "u.id",
    "stage": STAGE_NAME,
    "engaged_on": "NULLIF(s.engaged_on, '-infinity')",
    "closed_on": "NULLIF(s.closed_on, '-infinity')",
    "close_value": f"NULLIF(s.close_value, {VALUE_MISSING})::numeric / 100",
}
OPPORTUNITY_JOINS = (
    "LEFT JOIN import_account_ids a ON a.code = s.account_code "
    "JOIN import_product_ids p ON p.code = s.product_code "
    "LEFT JOIN import_owner_ids u ON u.code = s.owner_code "
)


def _write_postgresql(tables: importing.MavenTables, report: Progress) -> dict:
    """Write from the staging tables; the pipeline's is already filled."""
    now = timezone.now()
    account, product, user, team = (
        Account._meta.db_table,
        Product._meta.db_table,
        User._meta.db_table,
        Team._meta.db_table,
    )
    written: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        report(30, "Copying the checked rows into staging tables")
        for name in STAGING:
            if name not in STREAMED | DERIVED:
                frame = getattr(tables, name)
                if name == "accounts":
                    # Folded in Python, as Account.save() folds it.
                    frame = frame.assign(
                        name_key=frame["name"].map(account_name_caseless)
                    )
                _staging_copy(cursor, name=name, frame=frame)
        # Temporary tables are never auto-analysed; the joins and the
        # groupings below need row counts.
        cursor.execute("ANALYZE " + ", ".join(f"import_{name}" for name in STREAMED))
        # Won revenue per account, product and quarter, and who worked each
        # account, from the staged deals, as importing._derived builds them.
        cursor.execute(
            "INSERT INTO import_revenue_lines "
            "SELECT account_code, product_code, "
            "date_trunc('quarter', closed_on)::date, sum(close_value) "
            "FROM import_opportunities "
            f"WHERE stage_code = {importing.STAGE_ORDER.index('won')} "
            "GROUP BY 1, 2, 3"
        )
        derived = {"revenue_lines": cursor.rowcount}
        cursor.execute(
            "INSERT INTO import_account_team SELECT DISTINCT account_code, "
            "owner_code FROM import_opportunities WHERE account_code >= 0"
        )
        derived["account_team"] = cursor.rowcount
        cursor.execute(
            "ANALYZE "
            + ", ".join(f"import_{name}" for name in STAGING if name not in STREAMED)
        )
        _former_names_resolve(cursor)

        report(35, "Writing teams and users")
        _upsert(
            cursor,
            label="teams",
            record=True,
            model=Team,
            select={"name": "s.name", "region": "s.region"},
            source="import_teams s",
            key=["name"],
            now=now,
        )
        _team_lists_touch(cursor, now=now)
        written["users"] = _upsert(
            cursor,
            label="users",
            model=User,
            select={
                "username": "s.username",
                "first_name": "s.first_name",
                "last_name": "s.last_name",
                "role": "s.role",
                "team_id": "t.id",
            },
            source=f"import_users s LEFT JOIN {team} t ON t.name = s.team_name",
            key=["username"],
            now=now,
            insert_only={"password": make_password(None)},
        )
        _touch_update(
            cursor,
            label="teams",
            sql=(
                f"UPDATE {team} SET manager_id = u.id, updated_at = %s "
                f"FROM import_teams s LEFT JOIN {user} u "
                "ON u.username = s.manager_username "
                f"WHERE {team}.name = s.name "
                f"AND {team}.manager_id IS DISTINCT FROM u.id RETURNING {team}.id"
            ),
            now=now,
        )

        report(45, "Writing products")
        written["products"] = _upsert(
            cursor,
            label="products",
            model=Product,
            select={
                "name": "s.name",
                "series": "s.series",
                "list_price": "s.list_price::numeric / 100",
            },
            source="import_products s",
            key=["name"],
            now=now,
        )

        report(50, "Writing accounts")
        # New accounts come in without a parent; the second statement sets
        # parents once every account of the file exists.
        _upsert(
            cursor,
            label="accounts",
            record=True,
            model=Account,
            select={
                "name": "s.name",
                "name_key": "s.name_key",
                "sector": "s.sector",
                "year_established": "s.year_established",
                # Millions of USD in cents: whole USD are 10,000 times them.
                "annual_revenue": "s.annual_revenue_musd::numeric * 10000",
                "annual_revenue_currency": (
                    "CASE WHEN s.annual_revenue_musd IS NULL THEN '' "
                    f"ELSE '{ANNUAL_REVENUE_CURRENCY}' END"
                ),
                "annual_revenue_rate": "NULL::numeric",
                "annual_revenue_rate_date": "NULL::date",
                "employees": "s.employees",
                "country": "s.country",
            },
            source="import_accounts s",
            key=["name"],
            now=now,
        )
        _touch_update(
            cursor,
            label="accounts",
            sql=(
                f"UPDATE {account} SET parent_id = p.id, updated_at = %s "
                f"FROM import_accounts s LEFT JOIN {account} p "
                "ON p.name = s.parent_name "
                f"WHERE {account}.name = s.name "
                f"AND {account}.parent_id IS DISTINCT FROM p.id RETURNING {account}.id"
            ),
            now=now,
        )

        report(60, f"Writing {tables.opportunity_rows:,} deals")
        # The id each staged code stands for, now that every row named
        # exists: the pipeline's rows then join on integers.
        code_ids = "".join(
            f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS "
            f"SELECT n.code, t.id FROM import_names n JOIN {target} t "
            f"ON t.{column} = n.name WHERE n.kind = '{kind}'; "
            for table, target, column, kind in (
                ("import_account_ids", account, "name", "account_name"),
                ("import_product_ids", product, "name", "product_name"),
                ("import_owner_ids", user, "username", "owner_username"),
            )
        )
        # Before the deals change: every account that loses, gains or sees
        # a change in a stored deal, whose derived rows are checked after.
        opportunity = Opportunity._meta.db_table
        deriving = ", ".join(f"o.{column}" for column in DERIVING)
        cursor.execute(
            f"{code_ids}ANALYZE {', '.join(CODE_IDS)}; "
            "CREATE TEMPORARY TABLE import_moved ON COMMIT DROP AS "
            "SELECT DISTINCT unnest(ARRAY[o.account_id, a.id]) AS account_id "
            f"FROM import_opportunities s JOIN {opportunity} o "
            "ON o.external_id = s.external_id "
            f"{OPPORTUNITY_JOINS}"
            f"WHERE ROW({deriving}) IS DISTINCT FROM "
            f"ROW(a.id, p.id, u.id, {STAGE_NAME}, {OPPORTUNITY_COLUMNS['closed_on']})"
        )
        written["opportunities"] = _upsert(
            cursor,
            label="opportunities",
            model=Opportunity,
            select=OPPORTUNITY_COLUMNS,
            source=f"import_opportunities s {OPPORTUNITY_JOINS}",
            key=["external_id"],
            now=now,
        )

        report(85, "Writing revenue by account, product and quarter")
        written["revenue_lines"] = _upsert(
            cursor,
            label="revenue_lines",
            model=RevenueLine,
            select={
                "account_id": "a.id",
                "product_id": "p.id",
                "quarter_start": "s.quarter_start",
                "amount": "s.amount::numeric / 100",
                "source": f"'{RevenueLine.Source.PIPELINE.value}'",
                # accounts.revenue_keys.won_key, in SQL.
                "import_key": (
                    "'won:' || a.id || ':' || p.id || ':' || s.quarter_start::text"
                ),
            },
            source=(
                "import_revenue_lines s "
                "JOIN import_account_ids a ON a.code = s.account_code "
                "JOIN import_product_ids p ON p.code = s.product_code"
            ),
            key=["import_key"],
            now=now,
        )

        report(95, "Writing account teams")
        # The account's team list shows who joins it: the version of each
        # account the file puts someone new on moves, in one statement,
        # before the INSERT below makes them members.
        cursor.execute(
            f"UPDATE {Account._meta.db_table} SET updated_at = %s WHERE id IN ("
            "SELECT a.id FROM import_account_team s "
            "JOIN import_account_ids a ON a.code = s.account_code "
            "JOIN import_owner_ids u ON u.code = s.owner_code "
            f"WHERE NOT EXISTS (SELECT FROM {AccountTeamMember._meta.db_table} m "
            "WHERE m.account_id = a.id AND m.user_id = u.id))",
            [now],
        )
        written["account_team_members"] = _upsert(
            cursor,
            label="account_team_members",
            model=AccountTeamMember,
            select={"account_id": "a.id", "user_id": "u.id"},
            source=(
                "import_account_team s "
                "JOIN import_account_ids a ON a.code = s.account_code "
                "JOIN import_owner_ids u ON u.code = s.owner_code"
            ),
            key=["account_id", "user_id"],
            now=now,
            insert_only={"source": AccountTeamMember.Source.PIPELINE.value},
        )
        _pipeline_derived_prune(
            account_ids=RawSQL(
                "SELECT account_id FROM import_moved WHERE account_id IS NOT NULL", []
            )
        )

        cursor.execute(
            "SELECT label, count(DISTINCT id) FILTER (WHERE created), "
            "count(DISTINCT id) FROM import_touched GROUP BY label"
        )
        written.update(
            {label: (created, touched) for label, created, touched in cursor}
        )
        _written_tables_analyze(cursor, written=written)

    totals = {
        "teams": len(tables.teams),
        "users": len(tables.users),
        "products": len(tables.products),
        "accounts": len(tables.accounts),
        "opportunities": tables.opportunity_rows,
        "revenue_lines": derived["revenue_lines"],
        "account_team_members": derived["account_team"],
    }
    counts = {}
    for table, total in totals.items():
        created, touched = written.get(table, (0, 0))
        counts[table] = _counts(created, touched - created, total - touched, 0)
    return counts


def _former_names_resolve(cursor: CursorWrapper) -> None:
    """Give each staged account name that an account had before a rename in
    Lode as that account's name now: in the accounts, their parents and the
    names the deals' codes stand for. A join of the staged names against the
    name history, then one UPDATE per staging table, sent as one batch; no
    row crosses into Python."""
    staging, parameters = account_former_names_staging(table="import_accounts")
    cursor.execute(
        f"{staging}; "
        "UPDATE import_accounts s SET name = f.current_name, "
        "name_key = f.current_key FROM import_former_names f "
        "WHERE s.name = f.name; "
        "UPDATE import_accounts s SET parent_name = f.current_name "
        "FROM import_former_names f WHERE s.parent_name = f.name; "
        "UPDATE import_names n SET name = f.current_name "
        "FROM import_former_names f "
        "WHERE n.kind = 'account_name' AND n.name = f.name",
        parameters,
    )


# The tables each label of the import's writes lands in.
_WRITTEN_TABLES: dict[str, list[type[models.Model]]] = {
    "teams": [Team],
    "users": [User],
    "products": [Product],
    "accounts": [Account],
    "opportunities": [Opportunity],
    "revenue_lines": [RevenueLine, RevenueQuarter],
    "account_team_members": [AccountTeamMember],
}


def _written_tables_analyze(
    cursor: CursorWrapper, *, written: dict[str, tuple[int, int]]
) -> None:
    """Refresh the planner's statistics of the tables the import changed.

    Autovacuum analyses a table a minute or more after a bulk write (never
    where it is off); until then the pages are planned on the old counts. A
    rep's portfolio over a freshly imported 100,000 accounts was planned as
    a walk over every score, filtered by team (600 ms instead of 1 ms).
    ANALYZE reads a fixed sample per table: about 4 s at 100k accounts and
    1M deals, under load.
    """
    changed = [
        model._meta.db_table
        for label, models in _WRITTEN_TABLES.items()
        if written.get(label, (0, 0))[1]
        for model in models
    ]
    if changed:
        cursor.execute("ANALYZE " + ", ".join(changed))


def import_job_progress(*, job: ImportJob) -> dict[str, object]:
    """Return the job's progress, live from the cache while it writes."""
    percent, message = job.progress, job.progress_message
    label = job.get_status_display()
    if not job.is_finished:
        percent, message = cache.get(
            import_progress_cache_key(job.pk), (percent, message)
        )
    if import_job_stalled(job=job):
        label = "Stalled"
        message = import_job_stalled_message(job=job, percent=percent, message=message)
    return {
        "status": job.status,
        "status_label": label,
        "progress": percent,
        "message": message,
        "finished": job.is_finished,
    }


# Names and firmographics edited through the API and the account form

ACCOUNT_EDITABLE_FIELDS = (
    "name",
    "sector",
    "country",
    "year_established",
    "employees",
)
# The API's and the admin's two revenue fields; the rate follows from them.
ANNUAL_REVENUE_GIVEN = ("annual_revenue", "annual_revenue_currency")
# The first half of a PostgreSQL advisory lock on an account name's key
# (the second is the key's hash): "Lode" in ASCII, apart from other locks.
NAME_KEY_LOCK = 0x4C6F6465
# Only someone who sees every account renames one, so the account the
# message speaks of is always one the user may see; it names none all the
# same.
ACCOUNT_NAME_TAKEN = (
    "Another account already has this name, or the same name in other capitals."
)
ACCOUNT_RENAME_REFUSED = (
    "Only sales operations rename an account: its name must differ from every "
    "other account's, and imports from every team find it by that name."
)


def account_can_rename(*, user: User | None) -> bool:
    """Return whether the user may give an account a new name.

    A name is unique across the portfolio (the import finds accounts by it
    for every team), so whether one is free can only be told to someone who
    sees every account: telling anyone else would tell them that an account
    they cannot see exists.
    """
    return user is None or user.sees_all_accounts


def account_name_check(*, account: Account, name: str, user: User | None) -> None:
    """Refuse a new name that another account has, capitals aside.

    Two accounts called "ACME" and "Acme" read as one in every list and
    export, so a hand edit may not make them; a name left as it was is
    never refused, even where an import kept two such names apart. Call it
    before the account takes the name (`account.name` is the stored one),
    in the transaction that saves it. A user who does not see every
    account may not rename one at all (account_can_rename).
    """
    if name == account.name:
        return
    if not account_can_rename(user=user):
        raise ValidationError({"name": [ACCOUNT_RENAME_REFUSED]})

    wanted = account_name_caseless(name)
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # Two renames to "ÄRZTE GMBH" and "Ärzte GmbH" at one moment would
        # each find the other's key absent, and no unique index stops them
        # (an import may keep such twins). One lock per key, held to the
        # end of the transaction, makes the second wait for the first to
        # commit; its query below then sees the first's name.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [NAME_KEY_LOCK, wanted],
            )
    if Account.objects.filter(name_key=wanted).exclude(pk=account.pk).exists():
        raise ValidationError({"name": [ACCOUNT_NAME_TAKEN]})


def account_renamed_announce(*, account: Account) -> None:
    """Tell the other apps, inside the rename's transaction, the name changed.

    Inside it, so what they record of it commits or rolls back with the
    rename; they send their own work on commit.
    """
    account_renamed.send(sender=Account, account_ids=[account.pk])


def account_name_clash_raise(*, account: Account, error: IntegrityError) -> NoReturn:
    """Say a unique name's clash as the field's error; re-raise anything else.

    Two people giving two accounts one name at the same moment both pass
    account_name_check; the database lets one of them through.
    """
    if Account.objects.filter(name=account.name).exclude(pk=account.pk).exists():
        raise ValidationError({"name": [ACCOUNT_NAME_TAKEN]}) from error
    raise error


def _fields_changed(
    *, instance: models.Model, before: Mapping[str, Any], fields: list[str]
) -> list[str]:
    """Return the fields whose cleaned value differs from the stored one.

    A PATCH that changes nothing writes nothing, so it leaves updated_at,
    and with it everyone else's ETag, as it was.
    """
    return [field for field in fields if getattr(instance, field) != before[field]]


def _hand_edit_save(
    *,
    instance: Account | Opportunity,
    account: Account,
    user: User,
    before: Mapping[str, Any],
    fields: list[str],
    expected_version: Any,
    on_saved: Callable[[list[str]], None] | None = None,
    shown: Mapping[str, tuple[str, str]] | None = None,
) -> bool:
    """Save the fields a user changed, cleaned, unless someone changed it first.

    Only the fields whose value differs are written, each to the account's
    history, with whatever `on_saved` does with them in the same transaction;
    `shown` holds the old and new text the history shows for some fields
    in place of the stored values. Return False, saving nothing, when the
    instance is no longer at the version the caller read.
    """
    fields = _fields_changed(instance=instance, before=before, fields=fields)
    if not fields:
        return True

    with transaction.atomic():
        saved = instance_save_if_unchanged(
            instance=instance, fields=fields, expected_version=expected_version
        )
        if saved:
            change_record_many(
                user=user,
                account=account,
                target=instance,
                changes={
                    field: (shown or {}).get(
                        field, (before[field], getattr(instance, field))
                    )
                    for field in fields
                },
            )
            if on_saved is not None:
                on_saved(fields)
    return saved


def account_update(
    *, account: Account, user: User, data: dict[str, Any], expected_version: Any
) -> bool:
    """Change the account's firmographics unless someone else changed it first.

    Each changed field goes to the account's history, so an import's undo
    keeps this edit and sets back only what the user left alone. Return
    False, saving nothing, when the account is no longer at the version the
    caller read.
    """
    fields = [field for field in ACCOUNT_EDITABLE_FIELDS if field in data]
    revenue = any(field in data for field in ANNUAL_REVENUE_GIVEN)
    if revenue:
        fields += ANNUAL_REVENUE_FIELDS
    before = {field: getattr(account, field) for field in fields}
    revenue_before = account.annual_revenue_text

    def announce(changed: list[str]) -> None:
        if "name" in changed:
            account_renamed_announce(account=account)

    try:
        # One transaction from the name's check to its save: see
        # account_name_check.
        with transaction.atomic():
            if "name" in data:
                account_name_check(account=account, name=data["name"], user=user)
            for field in ACCOUNT_EDITABLE_FIELDS:
                if field in data:
                    setattr(account, field, data[field])
            if revenue:
                for field, value in account_annual_revenue_values(
                    account=account, data=data
                ).items():
                    setattr(account, field, value)
            account.full_clean()

            return _hand_edit_save(
                instance=account,
                account=account,
                user=user,
                before=before,
                fields=fields,
                expected_version=expected_version,
                on_saved=announce,
                # The history shows the amount with its currency, as the
                # page does.
                shown={"annual_revenue": (revenue_before, account.annual_revenue_text)},
            )
    except IntegrityError as error:
        account_name_clash_raise(account=account, error=error)


def account_annual_revenue_values(
    *, account: Account, data: Mapping[str, Any]
) -> dict[str, object]:
    """Return the revenue fields of an edit: as given, with the rate into USD.

    A currency left out stays the account's (USD for a first revenue). A
    revenue in another currency takes the latest stored rate into USD when
    its amount or currency changes, or when it has none yet, and keeps its
    rate when neither changes; with no rate stored it keeps none.
    """
    amount = data.get("annual_revenue", account.annual_revenue)
    given = data.get("annual_revenue_currency")
    currency = currency_code_normal(given or "") or (
        account.annual_revenue_currency or ANNUAL_REVENUE_CURRENCY
    )
    if amount is None:
        if given:
            raise ValidationError(
                {"annual_revenue_currency": ["A currency needs an annual revenue."]}
            )
        return annual_revenue_values()
    problem = currency_code_problem(currency)
    if problem:
        raise ValidationError({"annual_revenue_currency": [problem]})
    if currency == ANNUAL_REVENUE_CURRENCY:
        return annual_revenue_values(amount=amount, currency=currency)
    rate: Rate | None = None
    unchanged = (
        amount == account.annual_revenue and currency == account.annual_revenue_currency
    )
    if (
        unchanged
        and account.annual_revenue_rate is not None
        and account.annual_revenue_rate_date is not None
    ):
        rate = Rate(
            rate=account.annual_revenue_rate,
            rate_date=account.annual_revenue_rate_date,
        )
    else:
        stored = (
            CurrencyRate.objects.filter(
                currency=currency, reporting_currency=ANNUAL_REVENUE_CURRENCY
            )
            .order_by("-rate_date")
            .first()
        )
        if stored is not None:
            rate = Rate(rate=stored.rate, rate_date=stored.rate_date)
    # Without a stored rate the revenue is kept as given and converted
    # nowhere until an import stores one (accounts.revenue_kept).
    return annual_revenue_values(amount=amount, currency=currency, rate=rate)


# Deals edited by hand, through the API or the deal page

DEAL_EDITABLE_FIELDS = (
    "name",
    "product",
    "owner",
    "stage",
    "engaged_on",
    "closed_on",
    "close_value",
    "currency",
)
# What a deal's won revenue line hangs on, of what a user may change.
WON_REVENUE_FIELDS = {"product", "stage", "closed_on", "close_value", "currency"}
# The owner a deal was imported with may be anyone the CRM named; a new
# owner is someone on the account's team, as for a person's owner.
DEAL_OWNER_NOT_ON_TEAM = "That user is not on this account's team."


def _deal_owner_check(*, account: Account, owner: User | None) -> None:
    if owner is None:
        return
    if not account.team_memberships.filter(user=owner).exists():
        raise ValidationError({"owner": [DEAL_OWNER_NOT_ON_TEAM]})


def _deal_values_set(deal: Opportunity, data: Mapping[str, Any]) -> list[str]:
    fields = [field for field in DEAL_EDITABLE_FIELDS if field in data]
    for field in fields:
        value = data[field]
        if field == "currency" and isinstance(value, str):
            value = currency_code_normal(value)
        setattr(deal, field, value)
    return fields


def deal_create(
    *, account: Account, user: User, data: Mapping[str, Any]
) -> Opportunity:
    """Add a deal to the account by hand, each value in its history.

    A deal made in Lode has no CRM id; it gets one of ours, so an import
    never takes it for one of its own. A won one is revenue at once: its
    won revenue line is summed in the same transaction.
    """
    deal, _ = deal_create_once(account=account, user=user, data=data, key=None)
    return deal


class DealKeyReused(Exception):
    """A creation key sent again with another request than the one it added."""

    def __init__(self, deal: Opportunity) -> None:
        super().__init__(f"creation key of deal {deal.pk} reused")
        self.deal = deal


def _deal_created_with(
    *, key: uuid.UUID, account: Account, digest: str
) -> Opportunity | None:
    """Return the deal `key` added, or None; raise if it was another request.

    Looked up by the key alone, not within the account: a key sent to a
    second account must not add a second deal there.
    """
    earlier = Opportunity.objects.filter(creation_key=key).first()
    if earlier is None:
        return None
    if earlier.account_id != account.pk or earlier.creation_digest != digest:
        raise DealKeyReused(earlier)
    return earlier


def deal_create_once(
    *,
    account: Account,
    user: User,
    data: Mapping[str, Any],
    key: uuid.UUID | None,
    same_values: bool = False,
) -> tuple[Opportunity, bool]:
    """Add a deal as deal_create does, once per form or request `key`.

    Return the deal and True when this call added it; the deal the same
    key added before and False when the form was sent again. Two posts of
    one form at the same moment are told apart by the key's unique index,
    not by a look first: the second insert fails and finds the first's deal.
    Raise DealKeyReused when the key added a deal on another account, or,
    with `same_values`, one whose values differ from those `data` gives.
    """
    external_id = data.get("external_id") or f"lode-{uuid.uuid4().hex[:16]}"
    deal = Opportunity(account=account, external_id=external_id, creation_key=key)
    fields = _deal_values_set(deal, data)
    # Of the values as they would be stored, so two ways of sending one
    # value are one request.
    digest = deal_request_digest(deal=deal) if key is not None and same_values else ""
    deal.creation_digest = digest
    if key is not None:
        earlier = _deal_created_with(key=key, account=account, digest=digest)
        if earlier is not None:
            return earlier, False

    _deal_owner_check(account=account, owner=deal.owner)
    # The key's uniqueness is the insert's to enforce (see above).
    deal.full_clean(exclude=["creation_key"])

    try:
        return _deal_insert(deal=deal, user=user, fields=fields), True
    except IntegrityError:
        if key is None:
            raise
        earlier = _deal_created_with(key=key, account=account, digest=digest)
        if earlier is None:
            raise
        logger.info("deal key %s sent twice at once; kept deal %s", key, earlier.pk)
        return earlier, False


def _deal_insert(*, deal: Opportunity, user: User, fields: list[str]) -> Opportunity:
    account = cast(Account, deal.account)
    with transaction.atomic():
        deal.save()
        change_record_many(
            user=user,
            account=account,
            target=deal,
            changes={
                field: (None, getattr(deal, field))
                for field in ("external_id", *fields)
            },
            action="create",
        )
        won_revenue_sync(cells=[won_revenue_deal_cell(deal)])
    logger.info("deal %s created on account %s by hand", deal.pk, account.pk)
    return deal


def deal_update(
    *, deal: Opportunity, user: User, data: Mapping[str, Any], expected_version: Any
) -> bool:
    """Change a deal unless someone else changed it first.

    As for an account, each changed field goes to the account's history,
    so an import's undo keeps this edit and sets back only what the user
    left alone. A change to what the deal counts as revenue (won or not,
    amount, currency, quarter, product) sums the won revenue lines of the
    quarters it left and joined again, in the same transaction. Return
    False, saving nothing, when the deal is no longer at the version the
    caller read.
    """
    account = cast(Account, deal.account)
    before = {field: getattr(deal, field) for field in DEAL_EDITABLE_FIELDS}
    counted_in = won_revenue_deal_cell(deal)
    fields = _deal_values_set(deal, data)
    if "owner" in fields and deal.owner != before["owner"]:
        _deal_owner_check(account=account, owner=deal.owner)
    deal.full_clean()

    def revenue_sync(changed: list[str]) -> None:
        if set(changed) & WON_REVENUE_FIELDS:
            won_revenue_sync(cells=[counted_in, won_revenue_deal_cell(deal)])

    return _hand_edit_save(
        instance=deal,
        account=account,
        user=user,
        before=before,
        fields=fields,
        expected_version=expected_version,
        on_saved=revenue_sync,
    )


def deal_delete(
    *, deal: Opportunity, user: User | None, expected_version: Any = None
) -> bool:
    """Delete a deal unless someone else changed it first.

    Its values go to the account's history as removed, its won revenue
    goes with it, and its CRM id is recorded as deleted, so the next
    import skips the deal instead of bringing it back. Return False,
    deleting nothing, when the deal is no longer at `expected_version`
    (None: whatever its version, as the admin deletes).
    """
    rows = Opportunity.objects.filter(pk=deal.pk)
    if expected_version is not None:
        rows = rows.filter(updated_at=expected_version)

    with transaction.atomic():
        deleted, _ = rows.delete()
        if not deleted:
            return False
        if deal.account is not None:
            change_record_many(
                user=user,
                account=deal.account,
                target=deal,
                changes={
                    field: (getattr(deal, field), None)
                    for field in ("external_id", *DEAL_EDITABLE_FIELDS)
                },
                action="delete",
            )
        OpportunityDeletion.objects.update_or_create(
            external_id=deal.external_id,
            defaults={
                "account": deal.account,
                "deleted_by": user,
                "deleted_at": timezone.now(),
            },
        )
        won_revenue_sync(cells=[won_revenue_deal_cell(deal)])
    logger.info("deal %s deleted by hand", deal.pk)
    return True
