"""People through the import wizard: match, check and write stakeholders.

The wizard (accounts.wizard) reads, maps and types a people file as it does
any other; this writer, registered in StakeholdersConfig.ready(), takes the
typed rows chunk by chunk, checks them and stages them (PersonImportRow),
since a person may report to someone listed further down; once the file is
read, repeats, managers and reporting loops are found by queries on the
stage, and the rows are written in chunks, so a file of any length is
imported in bounded memory. A person matches a stored
one by external ID first, then by email within the account, and sits on an
account named by its ID or by its exact name; a company name that matches
an account only once normalised is proposed and attaches only once the user
accepts it (accounts.wizard_accounts, as for deals, revenue and support
rows). Every change is recorded by the wizard, so an undo restores it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models
from django.db.models.functions import Concat, Lower, Trim
from django.utils import timezone

from accounts.history import history_text
from accounts.importing import KEPT, Issue
from accounts.models import (
    Account,
    AccountTeamMember,
    ChangeRecord,
    ImportRowChange,
)
from accounts.parsing import too_long_reason, value_start
from accounts.planner_statistics import tables_written_analyze
from accounts.recognise import PERSON
from accounts.wizard import objects_update
from accounts.wizard_accounts import AccountFinder
from stakeholders.models import PersonImportRow, Stakeholder
from stakeholders.seniority import seniority_from_title

if TYPE_CHECKING:
    from accounts.wizard import FileRows, _Writer

logger = logging.getLogger(__name__)

# The person fields a row sets as they are, when it gives them.
_PLAIN = ("first_name", "last_name", "title", "department", "email", "phone")
# How the shared history names the relations an import sets.
_HISTORY_NAMES = {
    "account_id": "account",
    "owner_id": "owner",
    "reports_to_id": "reports_to",
}
# The values a staged row keeps, in the order they are written and shown.
_STAGED = (*_PLAIN, "external_id", "custom_values", "owner_id", "source")
# Staged rows handled at a time once the file is read.
STAGE_ROWS = 5_000
# A reporting-loop node: ("person", a stored person's pk) or ("row", a new
# row's stage id).
Node = tuple[str, int]


def person_source(kind: str) -> str:
    """Return what a new person's source says for a recognised layout."""
    if kind.startswith("hubspot"):
        return "HubSpot import"
    if kind.startswith("salesforce"):
        return "Salesforce import"
    return "file import"


@dataclass
class _Row:
    """A people row of the chunk being read, as checked so far."""

    file: str
    line: int
    values: dict[str, Any]
    account: Account
    person: Stakeholder | None
    name: str
    extra: dict[str, Any] = field(default_factory=dict)


class PeopleWrite:
    """One import's people: check and stage each chunk, write them at flush."""

    def __init__(self, wizard: _Writer) -> None:
        self.wizard = wizard
        self.staged = 0

    def write(self, files: list[FileRows]) -> None:
        self.wizard._rejected_lines(files, PERSON)
        finder = self.wizard.account_finder()
        for rows in files:
            # The rows a cell rejected are checked on too, so the report names
            # each of their problems; they are never written.
            read = list(rows.rows(rejected_too=True))
            finder.names_read(row.get("account_name") or "" for _, row in read)
            checked = []
            for line, cells in read:
                found = self._row_check(
                    rows.file,
                    line,
                    cells,
                    rows.kind,
                    finder,
                    rejected=line in rows.rejected,
                )
                if found is not None:
                    checked.append(found)
            checked = self._repeats_refuse(checked)
            checked = self._match(checked)
            self._owners(checked)
            self._stage(checked)

    # Shared steps of the wizard's writer

    def _reject(self, file: str, line: int, name: str, value: str, why: str) -> None:
        column = self.wizard._col(file, name)
        self.wizard._reject(PERSON, file, line, column, value, why)

    def _keep(self, file: str, line: int, name: str, value: str, why: str) -> None:
        column = self.wizard._col(file, name)
        self.wizard.outcome.issues.append(Issue(file, line, column, value, why, KEPT))

    def _stage_rows(self, rows: models.QuerySet) -> Iterator[list[PersonImportRow]]:
        """Yield this import's staged rows in file order, a chunk at a time."""
        last = 0
        while True:
            chunk = list(
                rows.filter(job=self.wizard.job, pk__gt=last).order_by("pk")[
                    :STAGE_ROWS
                ]
            )
            if not chunk:
                return
            yield chunk
            last = chunk[-1].pk

    def _stage_values(
        self, rows: models.QuerySet, *fields: str
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Yield these fields of this import's staged rows, pk first, in chunks.

        Tuples, not model instances: a pass that only reads the stage
        holds a few small objects a row.
        """
        last = 0
        while True:
            chunk = list(
                rows.filter(job=self.wizard.job, pk__gt=last)
                .order_by("pk")
                .values_list("pk", *fields)[:STAGE_ROWS]
            )
            if not chunk:
                return
            yield chunk
            last = chunk[-1][0]

    # Checking a chunk

    def _name(
        self, file: str, line: int, row: dict[str, Any]
    ) -> tuple[str, str] | None:
        """Return the row's first and last name; None once refused."""
        first = (row.get("first_name") or "").strip()
        last = (row.get("last_name") or "").strip()
        full = " ".join((row.get("full_name") or "").split())
        if full and not first and not last:
            given, _, family = full.rpartition(" ")
            first, last = given, family
            for part, limit in ((first, 100), (last, 100)):
                if len(part) > limit:
                    self._reject(
                        file,
                        line,
                        "full_name",
                        value_start(full),
                        f"a name part of {too_long_reason(part, limit)}",
                    )
                    return None
        if not first and not last:
            self._reject(
                file,
                line,
                "full_name" if "full_name" in row else "last_name",
                "",
                "a person needs a first or last name",
            )
            return None
        return first, last

    def _row_check(
        self,
        file: str,
        line: int,
        row: dict[str, Any],
        kind: str,
        finder: AccountFinder,
        *,
        rejected: bool = False,
    ) -> _Row | None:
        """Return the row to write, or None once each of its problems is told.

        A cell the parse rejected is blank here and already told, so a
        rejected row's blank name or account is not refused again.
        """
        named = any(row.get(name) for name in ("first_name", "last_name", "full_name"))
        names = self._name(file, line, row) if named or not rejected else None
        email = (row.get("email") or "").strip()
        email_ok = True
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self._reject(file, line, "email", email, "not an email address")
                email_ok = False
        account = None
        if not rejected or row.get("account_name") or row.get("account_external_id"):
            account = finder.account_for(entity=PERSON, file=file, line=line, row=row)
        if names is None or not email_ok or account is None or rejected:
            return None
        first, last = names
        external_id = (row.get("external_id") or "").strip()
        values: dict[str, Any] = {
            "first_name": first or None,
            "last_name": last or None,
            **{name: row.get(name) for name in _PLAIN[2:]},
            "email": email or None,
            "external_id": external_id or None,
            "custom_values": row.get("custom_values"),
        }
        return _Row(
            file=file,
            line=line,
            values=values,
            account=account,
            person=None,
            name=f"{first} {last}".strip(),
            extra={
                "account_before": None,
                "source": person_source(kind),
                "reports_to": (row.get("reports_to") or "").strip(),
                "owner": (row.get("owner") or "").strip(),
            },
        )

    def _repeats_refuse(self, checked: list[_Row]) -> list[_Row]:
        """Refuse each row whose ID, or email at its account, came before."""
        job = self.wizard.job
        ids = {row.values["external_id"] for row in checked} - {None}
        emails = {
            row.values["email"].casefold() for row in checked if row.values["email"]
        }
        # Where each key was first read: earlier chunks (staged), then this one.
        first: dict[tuple[Any, ...], tuple[str, int]] = {}
        for external_id, file, line in PersonImportRow.objects.filter(
            job=job, external_id__in=ids
        ).values_list("external_id", "file", "line"):
            first.setdefault(("id", external_id), (file, line))
        for account_id, email_key, file, line in PersonImportRow.objects.filter(
            job=job, email_key__in=emails
        ).values_list("account_id", "email_key", "file", "line"):
            first.setdefault(("email", account_id, email_key), (file, line))

        kept = []
        for row in checked:
            external_id, email = row.values["external_id"], row.values["email"]
            keys = [
                (("id", external_id), "external_id", external_id, "person ID"),
                (
                    ("email", row.account.pk, (email or "").casefold()),
                    "email",
                    email,
                    "email at this account",
                ),
            ]
            repeated = False
            for key, name, value, what in keys:
                if not value:
                    continue
                earlier = first.setdefault(key, (row.file, row.line))
                if earlier != (row.file, row.line):
                    self.wizard.repeat_refuse(
                        entity=PERSON,
                        file=row.file,
                        line=row.line,
                        column=self.wizard._col(row.file, name),
                        value=value,
                        what=what,
                        noun="person",
                        earlier=earlier,
                    )
                    repeated = True
                    break
            if not repeated:
                kept.append(row)
        return kept

    def _match(self, checked: list[_Row]) -> list[_Row]:
        """Find each row's stored person: by ID, then by email at the account."""
        ids = {row.values["external_id"] for row in checked} - {None}
        emails = {row.values["email"].lower() for row in checked if row.values["email"]}
        stored = Stakeholder.objects.exclude(status=Stakeholder.Status.ERASED)
        by_id, shared = _people_by_id(stored.filter(external_id__in=ids))
        by_email = {
            (person.account_id, person.email.casefold()): person
            for person in stored.annotate(email_key=Lower("email")).filter(
                account_id__in={row.account.pk for row in checked},
                email_key__in=emails,
            )
        }
        matched = {p.pk for p in by_id.values()} | {p.pk for p in by_email.values()}
        # Rows of earlier chunks that already took a stored person.
        taken_line = dict(
            PersonImportRow.objects.filter(
                job=self.wizard.job, person_id__in=matched
            ).values_list("person_id", "line")
        )
        kept = []
        for row in checked:
            external_id, email = row.values["external_id"], row.values["email"]
            if external_id in shared:
                self._reject(
                    row.file,
                    row.line,
                    "external_id",
                    external_id,
                    _id_shared_reason(external_id, shared[external_id]),
                )
                continue
            person = by_id.get(external_id) if external_id else None
            if person is None and email:
                person = by_email.get((row.account.pk, email.casefold()))
                if (
                    person is not None
                    and external_id
                    and person.external_id
                    and person.external_id != external_id
                ):
                    self._reject(
                        row.file,
                        row.line,
                        "email",
                        email,
                        f"this email is {person.name}'s, whose ID is "
                        f"{person.external_id}, but this row has ID {external_id}",
                    )
                    continue
            if person is not None and person.pk in taken_line:
                self._reject(
                    row.file,
                    row.line,
                    "email" if email else "external_id",
                    email or external_id or "",
                    f"the same person as line {taken_line[person.pk]}: each "
                    "person is listed once",
                )
                continue
            if person is not None:
                taken_line[person.pk] = row.line
                row.extra["account_before"] = person.account_id
            row.person = person
            kept.append(row)
        return kept

    def _owners(self, checked: list[_Row]) -> None:
        """Take each row's owner when they are on the account's team."""
        wanted = [row for row in checked if row.extra["owner"]]
        if not wanted:
            return
        team = set(
            AccountTeamMember.objects.filter(
                account_id__in={row.account.pk for row in wanted}
            ).values_list("account_id", "user_id")
        )
        for row in wanted:
            owner = row.extra["owner"]
            user_id = self.wizard.user_for(owner)
            if user_id is None:
                self._keep(
                    row.file,
                    row.line,
                    "owner",
                    owner,
                    "no Lode user has this ID, login, email or name; the "
                    "owner was left as it was",
                )
            elif (row.account.pk, user_id) not in team:
                self._keep(
                    row.file,
                    row.line,
                    "owner",
                    owner,
                    f"not on {row.account.name}'s account team; the owner was "
                    "left as it was",
                )
            else:
                row.values["owner_id"] = user_id

    def _stage(self, checked: list[_Row]) -> None:
        """Keep the chunk's checked rows until the whole file is read."""
        PersonImportRow.objects.bulk_create(
            [
                PersonImportRow(
                    job=self.wizard.job,
                    file=row.file,
                    line=row.line,
                    account_id=row.account.pk,
                    person=row.person,
                    account_before_id=row.extra["account_before"],
                    external_id=row.values["external_id"] or "",
                    email_key=(row.values["email"] or "").casefold(),
                    name_key=row.name.casefold(),
                    name=row.name,
                    reports_to=row.extra["reports_to"],
                    values={
                        **row.values,
                        "source": row.extra["source"],
                    },
                )
                for row in checked
            ],
            batch_size=STAGE_ROWS,
        )
        self.staged += len(checked)

    # Once the whole file is read

    def flush(self) -> None:
        if not self.staged:
            return

        # The stage was written in this transaction, which autovacuum cannot
        # see: on no statistics PostgreSQL fetched each chunk below through
        # the (job, account) index, every staged row of the job per chunk,
        # then sorted them (28 s a 5,000-row chunk at 1M staged rows).
        tables_written_analyze()
        self._managers_find()
        self._stage_analyze()
        self._loops_refuse()
        self._persons_write()
        self.wizard.account_finder().aliases_create()
        self._reports_to()
        self._moved_lines_clear()
        self._stage_delete()
        self.staged = 0

    def _stage_analyze(self) -> None:
        """ANALYZE the stage again, now that its managers are found.

        Analysed while every manager column was still empty, the planner
        took the rows with a manager for one: walking reporting lines and
        setting managers fetched each chunk through the manager indexes,
        every linked row of the job per chunk, then sorted them (1.4 s a
        5,000-row chunk at 50,000 staged rows, 6.1 s at 500,000).
        """
        if connection.vendor != "postgresql":
            return

        table = connection.ops.quote_name(PersonImportRow._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")

    def _stage_delete(self) -> None:
        """Delete this import's staged rows in one statement.

        Django's delete() would collect the rows first when anything (a
        signal, a link's on_delete) needs them, which holds every row of
        the file in memory at once.
        """
        table = connection.ops.quote_name(PersonImportRow._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE job_id = %s", [self.wizard.job.pk]
            )

    def _managers_find(self) -> None:
        """Find the person each staged row reports to, in the file or stored."""
        job = self.wizard.job
        stage = PersonImportRow.objects.filter(job=job)
        stored = Stakeholder.objects.exclude(status=Stakeholder.Status.ERASED)
        for chunk in self._stage_rows(
            stage.exclude(reports_to="").select_related("account")
        ):
            givens = {row.reports_to for row in chunk}
            keys = {given.casefold() for given in givens}
            accounts = {row.account_id for row in chunk}
            # By ID: a row of the file first, then a stored person.
            rows_by_id = {
                row.external_id: row
                for row in stage.filter(external_id__in=givens).only(
                    "pk", "account_id", "person_id", "name", "external_id"
                )
            }
            stored_by_id, shared = _people_by_id(
                stored.filter(external_id__in=givens - set(rows_by_id))
            )
            # By email or name at the account: rows of the file, and stored
            # people the file does not list.
            at_account: dict[tuple[int, str], list[Any]] = defaultdict(list)
            for row in stage.filter(account_id__in=accounts).filter(
                models.Q(email_key__in=keys) | models.Q(name_key__in=keys)
            ):
                for key in {row.email_key, row.name_key} - {""}:
                    at_account[(row.account_id, key)].append(row)
            listed = stage.filter(person__isnull=False).values("person_id")
            for person in (
                stored.filter(account_id__in=accounts)
                .annotate(
                    email_key=Lower("email"),
                    name_key=Lower(
                        Trim(Concat("first_name", models.Value(" "), "last_name"))
                    ),
                )
                .filter(models.Q(email_key__in=keys) | models.Q(name_key__in=keys))
                .exclude(pk__in=listed)
            ):
                for key in {person.email.casefold(), person.name.casefold()} - {""}:
                    at_account[(person.account_id, key)].append(person)
            # A stored person the file lists is that row: it may move them.
            rows_of = {
                row.person_id: row
                for row in stage.filter(
                    person_id__in=[p.pk for p in stored_by_id.values()]
                )
            }

            found = []
            for row in chunk:
                manager = self._manager(row, rows_by_id, stored_by_id, at_account)
                if row.reports_to in shared:
                    manager = _id_shared_reason(row.reports_to, shared[row.reports_to])
                if isinstance(manager, Stakeholder) and manager.pk in rows_of:
                    manager = rows_of[manager.pk]
                why = self._manager_refusal(row, manager)
                if why:
                    row.refused = True
                    self._reject(row.file, row.line, "reports_to", row.reports_to, why)
                elif isinstance(manager, PersonImportRow):
                    row.manager_row = manager
                else:
                    row.manager_person = cast(Stakeholder, manager)
                found.append(row)
            objects_update(
                model=PersonImportRow,
                objects=found,
                fields=["refused", "manager_row", "manager_person"],
            )

    def _manager(
        self,
        row: PersonImportRow,
        rows_by_id: dict[str, PersonImportRow],
        stored_by_id: dict[str, Stakeholder],
        at_account: dict[tuple[int, str], list[Any]],
    ) -> PersonImportRow | Stakeholder | str:
        """Return the row's manager, or why there is none."""
        given = row.reports_to
        manager: PersonImportRow | Stakeholder | None = rows_by_id.get(given)
        if manager is None:
            manager = stored_by_id.get(given)
        if manager is not None:
            return manager
        named = at_account.get((row.account_id, given.casefold()), [])
        if len(named) > 1:
            return (
                f"{len(named)} people at {row.account.name} go by {given!r}; "
                "name the manager by their ID"
            )
        if not named:
            return f"no person {given!r} in this upload or at {row.account.name}"
        return cast(PersonImportRow | Stakeholder, named[0])

    def _manager_refusal(
        self, row: PersonImportRow, manager: PersonImportRow | Stakeholder | str
    ) -> str:
        """Say why a row may not report to this manager; "" when it may."""
        if isinstance(manager, str):
            return manager
        if (isinstance(manager, PersonImportRow) and manager.pk == row.pk) or (
            isinstance(manager, Stakeholder) and manager.pk == row.person_id
        ):
            return "a person cannot report to themselves"
        if manager.account_id != row.account_id:
            return (
                f"{manager.name} is at another account; a person reports to "
                "someone at their own account"
            )
        return ""

    def _loops_refuse(self) -> None:
        """Refuse each row whose reporting line would come back to it.

        Each row with a manager walks up its line, a step for the whole
        chunk at a time, until the line ends, returns to the row (a loop)
        or runs into a loop the row is not on.
        """
        stage = PersonImportRow.objects.filter(job=self.wizard.job)
        with_manager = stage.filter(refused=False).filter(
            models.Q(manager_row__isnull=False) | models.Q(manager_person__isnull=False)
        )
        refused: list[PersonImportRow] = []
        # The staged values are not needed to walk a line: left in the
        # database, they are not decoded for every row and its manager.
        walked = with_manager.select_related("manager_row").defer(
            "values", "manager_row__values"
        )
        for chunk in self._stage_rows(walked):
            paths = {row.pk: [_node(row)] for row in chunk}
            current = {row.pk: self._manager_node(row) for row in chunk}
            loops: dict[int, list[Node]] = {}
            while current:
                managers = self._managers_of(set(current.values()))
                walking = {}
                for pk, node in current.items():
                    path = paths[pk]
                    if node == path[0]:
                        loops[pk] = [*path, node]
                    elif node not in path:
                        path.append(node)
                        following = managers.get(node)
                        if following is not None:
                            walking[pk] = following
                current = walking
            if not loops:
                continue
            labels = self._labels({node for loop in loops.values() for node in loop})
            for row in chunk:
                if row.pk not in loops:
                    continue
                row.refused = True
                refused.append(row)
                self._reject(
                    row.file,
                    row.line,
                    "reports_to",
                    row.reports_to,
                    "reports-to loop: "
                    + " → ".join(labels[node] for node in loops[row.pk]),
                )
        # Refused once every line was walked: a loop refuses all its rows.
        PersonImportRow.objects.filter(pk__in=[row.pk for row in refused]).update(
            refused=True
        )

    def _manager_node(self, row: PersonImportRow) -> Node:
        if row.manager_row_id is not None:
            manager = cast(PersonImportRow, row.manager_row)
            return _node(manager)
        return ("person", cast(int, row.manager_person_id))

    def _managers_of(self, nodes: set[Node]) -> dict[Node, Node]:
        """Return the manager of each node that has one, after the import."""
        stage = PersonImportRow.objects.filter(job=self.wizard.job, refused=False)
        rows = {pk for kind, pk in nodes if kind == "row"}
        people = {pk for kind, pk in nodes if kind == "person"}
        managers: dict[Node, Node] = {}
        for row in (
            stage.filter(models.Q(pk__in=rows) | models.Q(person_id__in=people))
            .select_related("manager_row")
            .defer("values", "manager_row__values")
        ):
            if row.manager_row_id is not None or row.manager_person_id is not None:
                managers[_node(row)] = self._manager_node(row)
        # A stored person keeps their manager unless the file gives one.
        for pk, manager_pk in (
            Stakeholder.objects.filter(pk__in=people, reports_to__isnull=False)
            .exclude(pk__in=[pk for kind, pk in managers if kind == "person"])
            .values_list("pk", "reports_to_id")
        ):
            managers[("person", pk)] = ("person", manager_pk)
        return managers

    def _labels(self, nodes: set[Node]) -> dict[Node, str]:
        """Return each node's name: the file's, else the stored one."""
        people = {pk for kind, pk in nodes if kind == "person"}
        labels: dict[Node, str] = {
            ("person", person.pk): person.name
            for person in Stakeholder.objects.filter(pk__in=people)
        }
        for row in PersonImportRow.objects.filter(job=self.wizard.job).filter(
            models.Q(pk__in={pk for kind, pk in nodes if kind == "row"})
            | models.Q(person_id__in=people)
        ):
            labels[_node(row)] = row.name
        return labels

    # Writing

    def _persons_write(self) -> None:
        wizard = self.wizard
        stage = PersonImportRow.objects.filter(refused=False)
        for chunk in self._stage_rows(stage.select_related("person")):
            creates: list[dict[str, Any]] = []
            updates: list[tuple[models.Model, dict[str, Any]]] = []
            made: list[PersonImportRow] = []
            for row in chunk:
                # In the file's field order: PostgreSQL keeps JSON keys sorted.
                values = {
                    name: row.values[name] for name in _STAGED if name in row.values
                }
                source = values.pop("source")
                if row.person is None:
                    fresh = {
                        "account_id": row.account_id,
                        "source": source,
                        "seniority": seniority_from_title(values.get("title") or ""),
                        **{k: v for k, v in values.items() if v is not None},
                    }
                    creates.append(wizard._row(fresh, row.file, row.line))
                    made.append(row)
                    continue
                changes = wizard._row(
                    self._changes(row.person, row.account_id, values),
                    row.file,
                    row.line,
                )
                updates.append((row.person, changes))
            history = _differences(updates)
            # The managers of the people created here are set apart below.
            created, _, unchanged = wizard._apply(
                entity=PERSON,
                model=Stakeholder,
                creates=creates,
                updates=updates,
                remember_created=False,
            )
            for row, person in zip(made, created, strict=True):
                row.person = cast(Stakeholder, person)
                row.result = "created"
            for row in chunk:
                if row.result:
                    continue
                assert row.person is not None
                row.result = "unchanged" if row.person.pk in unchanged else "updated"
            self._history(history)
            objects_update(
                model=PersonImportRow, objects=chunk, fields=["person", "result"]
            )
            if made:
                self._created_history(first=chunk[0].pk, last=chunk[-1].pk)

    def _changes(
        self, person: Stakeholder, account_id: int, values: dict[str, Any]
    ) -> dict[str, Any]:
        """Return what a row would set on its stored person."""
        values = dict(values)
        if values.get("custom_values"):
            # A column the file leaves out keeps its stored value.
            values["custom_values"] = {
                **person.custom_values,
                **values["custom_values"],
            }
        if person.account_id != account_id:
            # The CRM moved the contact to another account.
            values["account_id"] = account_id
        title = values.get("title")
        # Follow a new title only while the seniority is still the derived one.
        if title is not None and person.seniority in (
            "",
            seniority_from_title(person.title),
        ):
            values["seniority"] = seniority_from_title(title)
        return values

    def _created_history(self, *, first: int, last: int) -> None:
        """Record the people these staged rows created: a field an entry.

        Two INSERT ... SELECT statements, the history from the stage and its
        new people, then the undo records naming that history: built as
        objects a row at a time, they took 55 s of SQL alone at 50,000
        people. Each entry is what a person created with these values would
        record: the source and seniority always, then each field the row
        gave, in the file's field order.
        """
        job = self.wizard.job
        quote = connection.ops.quote_name
        history = quote(ChangeRecord._meta.db_table)
        values = quote("values")
        fields = ["source", "seniority", *(n for n in _STAGED if n != "source")]
        places = ", ".join(
            f"({place}, '{name}', '{_HISTORY_NAMES.get(name, name)}')"
            for place, name in enumerate(fields)
        )
        texts = " ".join(
            f"WHEN '{name}' THEN person.{quote(name)}"
            for name in fields
            if name not in ("custom_values", "owner_id")
        )
        if connection.vendor == "postgresql":
            given = f"jsonb_typeof(staged.{values} -> field.name)"
            # As history_text writes a dict: "name: value; ..." by name.
            custom = (
                "(SELECT string_agg(item.key || ': ' || item.value, '; ' "
                'ORDER BY item.key COLLATE "C") '
                "FROM jsonb_each_text(person.custom_values) AS item)"
            )
        else:
            given = f"json_type(staged.{values}, '$.' || field.name)"
            custom = (
                "(SELECT group_concat(item.key || ': ' || item.value, '; ') "
                "FROM (SELECT key, value FROM json_each(person.custom_values) "
                "ORDER BY key) AS item)"
            )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {history}")
            (before,) = cursor.fetchone()
            cursor.execute(
                f"WITH field (place, name, label) AS (VALUES {places}) "
                f"INSERT INTO {history} (account_id, content_type_id, object_id, "
                "object_label, action, field, old_value, new_value, "
                "changed_by_id, changed_by_name, changed_at, import_job_id) "
                "SELECT person.account_id, %s, person.id, "
                "SUBSTR(staged.name, 1, 300), 'create', field.label, '', "
                f"CASE field.name {texts} "
                "WHEN 'owner_id' THEN CAST(person.owner_id AS TEXT) "
                f"WHEN 'custom_values' THEN {custom} END, "
                "%s, '', %s, %s "
                f"FROM {quote(PersonImportRow._meta.db_table)} AS staged "
                f"JOIN {quote(Stakeholder._meta.db_table)} AS person "
                "ON person.id = staged.person_id CROSS JOIN field "
                "WHERE staged.job_id = %s AND staged.id BETWEEN %s AND %s "
                "AND staged.result = 'created' "
                f"AND (field.place < 2 OR COALESCE({given}, 'null') <> 'null') "
                "ORDER BY staged.id, field.place",
                [
                    ContentType.objects.get_for_model(Stakeholder).pk,
                    job.created_by_id,
                    timezone.now(),
                    job.pk,
                    job.pk,
                    first,
                    last,
                ],
            )
        self._history_undo_records(after=before)

    def _history_undo_records(self, *, after: int) -> None:
        """Record for undo the history entries this import added past `after`."""
        job = self.wizard.job
        history = connection.ops.quote_name(ChangeRecord._meta.db_table)
        changes = connection.ops.quote_name(ImportRowChange._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {changes} "
                "(job_id, content_type_id, object_id, action, old_values) "
                f"SELECT %s, %s, id, %s, '{{}}' FROM {history} "
                "WHERE import_job_id = %s AND id > %s ORDER BY id",
                [
                    job.pk,
                    ContentType.objects.get_for_model(ChangeRecord).pk,
                    ImportRowChange.Action.CREATED,
                    job.pk,
                    after,
                ],
            )

    def _reports_to(self) -> None:
        """Set each staged row's manager on its person.

        A person created here gets theirs by statements on the whole stage:
        set a model instance at a time, the managers of a 1M-row file took
        over an hour, and every chunk's rows and people sat in memory. A
        person the file matched goes through the wizard, so the change is
        shown, counted and undone like any other.
        """
        self._managers_not_imported_keep()
        linked = PersonImportRow.objects.filter(refused=False).filter(
            models.Q(
                manager_row__isnull=False,
                manager_row__refused=False,
                manager_row__person__isnull=False,
            )
            | models.Q(manager_row__isnull=True, manager_person__isnull=False)
        )
        self._created_managers_set()
        self._created_managers_log(linked.filter(result="created"))
        self._matched_managers_set(linked.exclude(result="created"))

    def _managers_not_imported_keep(self) -> None:
        """Note each row whose manager's row was refused: it keeps its manager."""
        stage = PersonImportRow.objects.filter(
            refused=False, manager_row__isnull=False
        ).filter(
            models.Q(manager_row__refused=True)
            | models.Q(manager_row__person__isnull=True)
        )
        for chunk in self._stage_values(stage, "file", "line", "reports_to"):
            for _, file, line, reports_to in chunk:
                self._keep(
                    file,
                    line,
                    "reports_to",
                    reports_to,
                    "the manager's row was not imported; the reports-to was "
                    "left as it was",
                )

    def _created_managers_set(self) -> None:
        """Set the managers of the people created here, and record them.

        A person created here is deleted by an undo: their manager is set,
        not recorded as a change to undo or to show; the shared history
        still says it, a field an entry, as for any other change.
        """
        job = self.wizard.job
        quote = connection.ops.quote_name
        stage = quote(PersonImportRow._meta.db_table)
        people = quote(Stakeholder._meta.db_table)
        history = quote(ChangeRecord._meta.db_table)
        # Each created person with a manager, and that manager's pk: the
        # person the manager's row wrote, or the stored person it named.
        linked = (
            "SELECT staged.id AS stage_id, staged.person_id, staged.account_id, "
            "staged.name, CASE WHEN staged.manager_row_id IS NULL "
            "THEN staged.manager_person_id ELSE boss.person_id END AS manager_id "
            f"FROM {stage} AS staged LEFT JOIN {stage} AS boss "
            "ON boss.id = staged.manager_row_id "
            "WHERE staged.job_id = %s AND staged.refused = %s "
            "AND staged.result = 'created' "
            "AND (staged.manager_row_id IS NULL OR boss.refused = %s)"
        )
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {people} SET reports_to_id = linked.manager_id, "
                f"updated_at = %s FROM ({linked}) AS linked "
                f"WHERE {people}.id = linked.person_id "
                "AND linked.manager_id IS NOT NULL",
                [now, job.pk, False, False],
            )
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {history}")
            (before,) = cursor.fetchone()
            cursor.execute(
                f"INSERT INTO {history} (account_id, content_type_id, object_id, "
                "object_label, action, field, old_value, new_value, "
                "changed_by_id, changed_by_name, changed_at, import_job_id) "
                "SELECT linked.account_id, %s, linked.person_id, "
                "SUBSTR(linked.name, 1, 300), 'update', %s, '', "
                "CAST(linked.manager_id AS TEXT), %s, '', %s, %s "
                f"FROM ({linked}) AS linked WHERE linked.manager_id IS NOT NULL "
                "ORDER BY linked.stage_id",
                [
                    ContentType.objects.get_for_model(Stakeholder).pk,
                    _HISTORY_NAMES["reports_to_id"],
                    job.created_by_id,
                    now,
                    job.pk,
                    job.pk,
                    False,
                    False,
                ],
            )
        self._history_undo_records(after=before)

    def _created_managers_log(self, linked: models.QuerySet) -> None:
        """Report the manager each created person got, at the person's row."""
        if self.wizard.row_log is None:
            return

        names = ("first_name", "last_name", "status")
        fields = [
            "file",
            "line",
            "person_id",
            *(f"person__{name}" for name in names),
            "person__reports_to_id",
            *(f"person__reports_to__{name}" for name in names),
        ]
        for chunk in self._stage_values(linked, *fields):
            for (
                _,
                file,
                line,
                pk,
                *person,
                boss_pk,
                boss_first,
                boss_last,
                boss_status,
            ) in chunk:
                first, last, status = person
                boss = Stakeholder(
                    pk=boss_pk,
                    first_name=boss_first,
                    last_name=boss_last,
                    status=boss_status,
                )
                self.wizard.derived_log(
                    Stakeholder(pk=pk, first_name=first, last_name=last, status=status),
                    "created",
                    file,
                    line,
                    f"reports to {boss}",
                )

    def _matched_managers_set(self, linked: models.QuerySet) -> None:
        """Set the managers of the stored people the file matched."""
        counts = self.wizard._counts(PERSON)
        related = ("person", "manager_row__person", "manager_person")
        rows = linked.select_related(*related).defer("values", "manager_row__values")
        for chunk in self._stage_rows(rows):
            updates: list[tuple[models.Model, dict[str, Any]]] = []
            for row in chunk:
                manager = row.manager_row
                boss = manager.person if manager is not None else row.manager_person
                values = self.wizard._derived(
                    {"reports_to_id": cast(Stakeholder, boss).pk},
                    file=row.file,
                    line=row.line,
                    label="",
                    reason=f"reports to {boss}",
                )
                updates.append((cast(Stakeholder, row.person), values))
            history = _differences(updates)
            # The rows were counted above; one that only gained a manager now
            # counts as updated instead of unchanged.
            _, updated, _ = self.wizard._apply(
                entity=PERSON,
                model=Stakeholder,
                creates=[],
                updates=updates,
                count=False,
            )
            moved = sum(
                1
                for row in chunk
                if row.result == "unchanged" and row.person_id in updated
            )
            counts["updated"] += moved
            counts["unchanged"] -= moved
            self._history(history)

    def _moved_lines_clear(self) -> None:
        """Clear each reporting line a move to another account broke.

        A person the file moves keeps no manager left at the old account,
        and no one left there keeps reporting to them: a person reports to
        someone at their own account. Each clearing is noted on the moved
        person's row, recorded for undo and kept in the shared history.
        """
        stage = PersonImportRow.objects.filter(
            refused=False, account_before_id__isnull=False
        ).exclude(account_before_id=models.F("account_id"))
        for chunk in self._stage_rows(stage):
            self._moved_chunk_clear({cast(int, row.person_id): row for row in chunk})

    def _moved_chunk_clear(self, moved: dict[int, PersonImportRow]) -> None:
        broken = list(
            Stakeholder.objects.filter(
                models.Q(pk__in=moved) | models.Q(reports_to_id__in=moved)
            )
            .exclude(reports_to=None)
            .exclude(reports_to__account_id=models.F("account_id"))
            .select_related("account", "reports_to", "reports_to__account")
            .order_by("pk")
        )
        if not broken:
            return

        content_type = ContentType.objects.get_for_model(Stakeholder)
        changes = []
        history: list[tuple[Stakeholder, str, dict[str, tuple[Any, Any]]]] = []
        for person in broken:
            manager = person.reports_to
            assert manager is not None
            if person.pk in moved:
                row = moved[person.pk]
                why = (
                    f"{person.name} moved to {person.account.name}, but their "
                    f"manager {manager.name} is at {manager.account.name}; the "
                    "reports-to was cleared"
                )
            else:
                row = moved[manager.pk]
                why = (
                    f"{person.name} at {person.account.name} reported to "
                    f"{manager.name}, who moved to {manager.account.name}; "
                    f"{person.name}'s reports-to was cleared"
                )
            self._keep(row.file, row.line, "reports_to", row.reports_to, why)
            changes.append(
                ImportRowChange(
                    job=self.wizard.job,
                    content_type=content_type,
                    object_id=person.pk,
                    action=ImportRowChange.Action.UPDATED,
                    old_values={"reports_to_id": manager.pk},
                )
            )
            history.append((person, "update", {"reports_to_id": (manager.pk, None)}))
        Stakeholder.objects.filter(pk__in=[person.pk for person in broken]).update(
            reports_to=None, updated_at=timezone.now()
        )
        ImportRowChange.objects.bulk_create(changes)
        self._history(history)

    def _history(
        self, entries: list[tuple[Stakeholder, str, dict[str, tuple[Any, Any]]]]
    ) -> None:
        """Record the import's changes in the account's shared history.

        Each names the import, so the person's history says which import
        made it; an undo keeps them and records its own changes beside them.
        """
        content_type = ContentType.objects.get_for_model(Stakeholder)
        user_id = self.wizard.job.created_by_id
        creates = [
            {
                "account_id": person.account_id,
                "content_type_id": content_type.pk,
                "object_id": person.pk,
                "object_label": str(person)[:300],
                "action": action,
                "field": _HISTORY_NAMES.get(name, name),
                "old_value": history_text(old),
                "new_value": history_text(new),
                "changed_by_id": user_id,
                "import_job_id": self.wizard.job.pk,
            }
            for person, action, changes in entries
            for name, (old, new) in changes.items()
        ]
        self.wizard._apply(
            entity=PERSON,
            model=ChangeRecord,
            creates=creates,
            updates=[],
            count=False,
            remember_created=False,
        )


# How many of the people sharing an ID a refusal names.
SHARED_ID_NAMED = 3


def _people_by_id(
    people: models.QuerySet[Stakeholder],
) -> tuple[dict[str, Stakeholder], dict[str, list[Stakeholder]]]:
    """Return the people by their ID, and apart the IDs several people share.

    An ID two stored people share names neither of them: a row that gives
    it is refused rather than written over whichever was read first.
    """
    found: dict[str, list[Stakeholder]] = defaultdict(list)
    for person in people.select_related("account").order_by("pk"):
        found[person.external_id].append(person)
    alone = {key: group[0] for key, group in found.items() if len(group) == 1}
    shared = {key: group for key, group in found.items() if len(group) > 1}
    return alone, shared


def _id_shared_reason(external_id: str, people: list[Stakeholder]) -> str:
    """Say which stored people share an ID, so no row picks one of them."""
    named = ", ".join(
        f"{person.name} at {person.account.name}" for person in people[:SHARED_ID_NAMED]
    )
    more = len(people) - SHARED_ID_NAMED
    if more > 0:
        named += f" and {more} more"
    return (
        f"{len(people)} people in Lode have the ID {external_id} ({named}); "
        "give each their own ID before this row can say which one it is"
    )


def _node(row: PersonImportRow) -> Node:
    """Return a staged row's node: its stored person's, or its own."""
    if row.person_id is not None:
        return ("person", row.person_id)
    return ("row", row.pk)


def _differences(
    updates: list[tuple[models.Model, dict[str, Any]]],
) -> list[tuple[Stakeholder, str, dict[str, tuple[Any, Any]]]]:
    """Return what each update changes, before it is applied."""
    found = []
    for person, values in updates:
        changes = {
            name: (getattr(person, name), value)
            for name, value in values.items()
            if value is not None and getattr(person, name) != value
        }
        if changes:
            found.append((cast(Stakeholder, person), "update", changes))
    return found


def people_write_start(wizard: _Writer) -> PeopleWrite:
    return PeopleWrite(wizard)
