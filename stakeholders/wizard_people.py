"""People through the import wizard: match, check and write stakeholders.

The wizard (accounts.wizard) reads, maps and types a people file as it does
any other; this writer, registered in StakeholdersConfig.ready(), takes the
typed rows. A file's rows are all read before anything is written, since a
person may report to someone listed further down. A person matches a stored
one by external ID first, then by email within the account, and sits on an
account named by its ID or by its exact name; a company name that matches
an account only once normalised is proposed, as the account import proposes
it, and attaches only once the user accepts it. Every change is recorded by
the wizard, so an undo restores it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone

from accounts.importing import KEPT, Issue
from accounts.matching import SAME, MatchProposal, account_match_propose
from accounts.models import (
    Account,
    AccountAlias,
    AccountTeamMember,
    ChangeRecord,
    ImportRowChange,
)
from accounts.recognise import PERSON
from stakeholders.models import Stakeholder
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


def person_source(kind: str) -> str:
    """Return what a new person's source says for a recognised layout."""
    if kind.startswith("hubspot"):
        return "HubSpot import"
    if kind.startswith("salesforce"):
        return "Salesforce import"
    return "file import"


@dataclass
class _Row:
    file: str
    line: int
    values: dict[str, Any]
    account: Account
    person: Stakeholder | None
    name: str
    manager: _Row | Stakeholder | None = None
    # Set once written: the person the row created or updated.
    written: Stakeholder | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class _AccountFinder:
    """Find the account each people row names, as the account import would.

    An account ID or an exact name (or a name confirmed earlier, an alias)
    finds it. A name that matches one account only once case, spacing,
    punctuation and legal form are ignored (accounts.matching) is proposed
    to the user, as an account row's name is; the row finds that account
    only once the user accepted the proposal, else it is refused.
    """

    def __init__(self, writer: PeopleWrite) -> None:
        self.writer = writer
        accounts = list(Account.objects.only("pk", "name", "external_id"))
        self.by_pk = {account.pk: account for account in accounts}
        self.by_id = {a.external_id: a for a in accounts if a.external_id}
        self.by_name = {account.name: account for account in accounts}
        self.aliases: dict[str, Account] = {}
        for alias, account_id in AccountAlias.objects.values_list("name", "account_id"):
            if account_id in self.by_pk:
                self.aliases.setdefault(alias, self.by_pk[account_id])
        # Each name that is no account's, with the accounts it may be.
        self.candidates: dict[str, list[MatchProposal]] = {}
        # Each name the user confirmed as an account's, to keep as an alias.
        self.confirmed: dict[str, int] = {}

    def names_read(self, names: Iterable[str]) -> None:
        """Find the accounts that names no account has may be, in one pass."""
        unknown = [
            name
            for name in dict.fromkeys(names)
            if name
            and name not in self.candidates
            and name not in self.by_name
            and name not in self.aliases
        ]
        if not unknown:
            return
        proposals = account_match_propose(incoming=unknown, existing=list(self.by_name))
        for name in unknown:
            self.candidates[name] = []
        for proposal in proposals:
            self.candidates[proposal.incoming].append(proposal)

    def find(self, row: dict[str, Any]) -> tuple[Account | None, str]:
        """Return the row's account, or None and why not."""
        external_id, name = row.get("account_external_id"), row.get("account_name")
        if external_id and external_id in self.by_id:
            return self.by_id[external_id], ""
        if not name:
            if external_id:
                return None, self._unknown(external_id)
            return None, "the row names no account"

        exact = self.by_name.get(name) or self.aliases.get(name)
        if exact is not None:
            return exact, ""
        self.names_read([name])
        proposals = self.candidates[name]
        if len(proposals) == 1:
            self.writer.wizard.proposal_note(
                entity=PERSON,
                incoming=name,
                existing=proposals[0].existing,
                kind=proposals[0].kind,
                reason=proposals[0].reason,
                rows=1,
            )
        merged = self.by_name.get(self.writer.wizard.merges.get(name, ""))
        if merged is not None:
            self.confirmed[name] = merged.pk
            return merged, ""

        if not proposals:
            return None, self._unknown(external_id or name)
        if len(proposals) > 1:
            if proposals[0].kind == SAME:
                said = (
                    f"are called {name!r} once case, spacing, punctuation and "
                    "legal form are ignored"
                )
            else:
                said = f"are one letter from {name!r}"
            return None, (
                f"{len(proposals)} accounts {said}: "
                + ", ".join(sorted(repr(p.existing) for p in proposals))
                + "; name the account by its ID"
            )
        return None, (
            f'Company "{name}" matches no account exactly; accept the proposed '
            f'match to "{proposals[0].existing}" or fix the name'
        )

    def aliases_create(self) -> None:
        """Remember each confirmed match, so the name matches next time."""
        self.writer.wizard._aliases_create(
            self.confirmed, known=self.aliases, names=self.by_name
        )
        for name, account_id in self.confirmed.items():
            self.aliases.setdefault(name, self.by_pk[account_id])
        self.confirmed = {}

    @staticmethod
    def _unknown(named: str) -> str:
        return f"no account {named!r}; import the accounts first or in the same upload"


class PeopleWrite:
    """One import's people: read every chunk, then check and write at flush."""

    def __init__(self, wizard: _Writer) -> None:
        self.wizard = wizard
        self.read: list[tuple[str, int, dict[str, Any], str]] = []

    def write(self, files: list[FileRows]) -> None:
        self.wizard._rejected_lines(files, PERSON)
        for rows in files:
            for line, row in rows.rows():
                self.read.append((rows.file, line, row, rows.kind))

    # Shared steps of the wizard's writer

    def _reject(self, file: str, line: int, name: str, value: str, why: str) -> None:
        column = self.wizard._col(file, name)
        self.wizard._reject(PERSON, file, line, column, value, why)

    def _keep(self, file: str, line: int, name: str, value: str, why: str) -> None:
        column = self.wizard._col(file, name)
        self.wizard.outcome.issues.append(Issue(file, line, column, value, why, KEPT))

    # Accounts

    # Checking

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
                        full,
                        f"a name part of {len(part)} characters, over the "
                        f"limit of {limit}",
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

    def flush(self) -> None:
        if not self.read:
            return
        wizard = self.wizard
        finder = _AccountFinder(self)
        finder.names_read(
            cells.get("account_name") or "" for _, _, cells, _ in self.read
        )
        checked: list[_Row] = []
        for file, line, cells, kind in self.read:
            found = self._row_check(file, line, cells, kind, finder)
            if found is not None:
                checked.append(found)
        self.read = []
        if not checked:
            return

        stored = list(
            Stakeholder.objects.exclude(status=Stakeholder.Status.ERASED).filter(
                models.Q(account_id__in={row.account.pk for row in checked})
                | models.Q(
                    external_id__in={
                        row.values["external_id"]
                        for row in checked
                        if row.values.get("external_id")
                    }
                )
            )
        )
        checked = self._match(checked, stored)
        checked = self._managers_find(checked, stored)
        checked = self._loops_refuse(checked, stored)
        self._owners(checked)

        creates: list[dict[str, Any]] = []
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        made: list[_Row] = []
        for row in checked:
            if row.person is None:
                values = {
                    "account_id": row.account.pk,
                    "source": row.extra["source"],
                    "seniority": seniority_from_title(row.values.get("title") or ""),
                    **{k: v for k, v in row.values.items() if v is not None},
                }
                creates.append(wizard._row(values, row.file, row.line))
                made.append(row)
                continue
            changes = wizard._row(self._changes(row), row.file, row.line)
            updates.append((row.person, changes))
            row.written = row.person
        history = _differences(updates)
        created, _, unchanged = wizard._apply(
            entity=PERSON, model=Stakeholder, creates=creates, updates=updates
        )
        for row, person, values in zip(made, created, creates, strict=True):
            row.written = cast(Stakeholder, person)
            changes = {k: (None, v) for k, v in values.items() if k != "account_id"}
            history.append((row.written, "create", changes))
        self._history(history)
        finder.aliases_create()
        self._reports_to(checked, unchanged)
        self._moved_lines_clear(checked)

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
                "old_value": "" if old is None else str(old),
                "new_value": "" if new is None else str(new),
                "changed_by_id": user_id,
                "import_job_id": self.wizard.job.pk,
            }
            for person, action, changes in entries
            for name, (old, new) in changes.items()
        ]
        self.wizard._apply(
            entity=PERSON, model=ChangeRecord, creates=creates, updates=[], count=False
        )

    def _row_check(
        self,
        file: str,
        line: int,
        row: dict[str, Any],
        kind: str,
        finder: _AccountFinder,
    ) -> _Row | None:
        names = self._name(file, line, row)
        if names is None:
            return None
        first, last = names
        email = (row.get("email") or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                self._reject(file, line, "email", email, "not an email address")
                return None
        account, why = finder.find(row)
        if account is None:
            name = "account_external_id" if row.get("account_external_id") else ""
            name = name or "account_name"
            value = row.get("account_external_id") or row.get("account_name") or ""
            self._reject(file, line, name, value, why)
            return None
        external_id = (row.get("external_id") or "").strip()
        if external_id and self.wizard._repeated(
            entity=PERSON,
            key=("id", external_id),
            file=file,
            line=line,
            column=self.wizard._col(file, "external_id"),
            value=external_id,
            what="person ID",
            noun="person",
        ):
            return None
        if email and self.wizard._repeated(
            entity=PERSON,
            key=("email", account.pk, email.casefold()),
            file=file,
            line=line,
            column=self.wizard._col(file, "email"),
            value=email,
            what="email at this account",
            noun="person",
        ):
            return None
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

    def _match(self, checked: list[_Row], stored: list[Stakeholder]) -> list[_Row]:
        """Find each row's stored person: by ID, then by email at the account."""
        by_id = {person.external_id: person for person in stored if person.external_id}
        by_email = {
            (person.account_id, person.email.casefold()): person
            for person in stored
            if person.email
        }
        taken: dict[int, _Row] = {}
        kept = []
        for row in checked:
            external_id, email = row.values["external_id"], row.values["email"]
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
            if person is not None and person.pk in taken:
                earlier = taken[person.pk]
                self._reject(
                    row.file,
                    row.line,
                    "email" if email else "external_id",
                    email or external_id or "",
                    f"the same person as line {earlier.line}: each person is "
                    "listed once",
                )
                continue
            if person is not None:
                taken[person.pk] = row
                row.extra["account_before"] = person.account_id
            row.person = person
            kept.append(row)
        return kept

    def _managers_find(
        self, checked: list[_Row], stored: list[Stakeholder]
    ) -> list[_Row]:
        """Find the person each row reports to, in the file or stored."""
        rows_by_id = {
            row.values["external_id"]: row
            for row in checked
            if row.values["external_id"]
        }
        stored_by_id = {p.external_id: p for p in stored if p.external_id}
        at_account: dict[tuple[int, str], list[_Row | Stakeholder]] = defaultdict(list)
        for row in checked:
            for key in (row.values["email"], row.name):
                if key:
                    at_account[(row.account.pk, key.casefold())].append(row)
        written = {row.person.pk for row in checked if row.person is not None}
        for person in stored:
            if person.pk in written:
                continue
            for key in (person.email, person.name):
                if key:
                    at_account[(person.account_id, key.casefold())].append(person)

        kept = []
        for row in checked:
            given = row.extra["reports_to"]
            if not given:
                kept.append(row)
                continue
            manager: _Row | Stakeholder | None = rows_by_id.get(given)
            if manager is None:
                manager = stored_by_id.get(given)
            if manager is None:
                named = at_account.get((row.account.pk, given.casefold()), [])
                if len(named) > 1:
                    self._reject(
                        row.file,
                        row.line,
                        "reports_to",
                        given,
                        f"{len(named)} people at {row.account.name} go by "
                        f"{given!r}; name the manager by their ID",
                    )
                    continue
                manager = named[0] if named else None
            if manager is None:
                self._reject(
                    row.file,
                    row.line,
                    "reports_to",
                    given,
                    f"no person {given!r} in this upload or at {row.account.name}",
                )
                continue
            if manager is row or (
                isinstance(manager, Stakeholder) and manager == row.person
            ):
                self._reject(
                    row.file,
                    row.line,
                    "reports_to",
                    given,
                    "a person cannot report to themselves",
                )
                continue
            if isinstance(manager, _Row):
                manager_account_id = manager.account.pk
            else:
                # A stored manager the file moves goes by their new account.
                moved = next(
                    (r.account.pk for r in checked if r.person == manager), None
                )
                manager_account_id = moved or manager.account_id
            if manager_account_id != row.account.pk:
                self._reject(
                    row.file,
                    row.line,
                    "reports_to",
                    given,
                    f"{_label(manager)} is at another account; a person reports "
                    "to someone at their own account",
                )
                continue
            row.manager = manager
            kept.append(row)
        return kept

    def _loops_refuse(
        self, checked: list[_Row], stored: list[Stakeholder]
    ) -> list[_Row]:
        """Refuse each row whose reporting line would come back to it."""
        # Nodes: ("pk", a stored person's pk) or ("row", a new row's id).
        node_of: dict[int, tuple[str, int]] = {}
        managers: dict[tuple[str, int], tuple[str, int]] = {}
        for person in stored:
            if person.reports_to_id is not None:
                managers[("pk", person.pk)] = ("pk", person.reports_to_id)
        for row in checked:
            node_of[id(row)] = (
                ("pk", row.person.pk) if row.person is not None else ("row", id(row))
            )
        labels: dict[tuple[str, int], str] = {("pk", p.pk): p.name for p in stored}
        for row in checked:
            node = node_of[id(row)]
            labels[node] = row.name
            if row.manager is None:
                continue
            managers[node] = (
                node_of[id(row.manager)]
                if isinstance(row.manager, _Row)
                else ("pk", row.manager.pk)
            )
        in_loop: dict[tuple[str, int], list[tuple[str, int]]] = {}
        for start in list(managers):
            path = [start]
            current: tuple[str, int] | None = managers.get(start)
            while current is not None and current not in path:
                path.append(current)
                current = managers.get(current)
            if current == start:
                in_loop[start] = [*path, start]
        kept = []
        for row in checked:
            loop = in_loop.get(node_of[id(row)])
            if loop is None or row.manager is None:
                kept.append(row)
                continue
            self._reject(
                row.file,
                row.line,
                "reports_to",
                row.extra["reports_to"],
                "reports-to loop: " + " → ".join(labels[node] for node in loop),
            )
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

    def _changes(self, row: _Row) -> dict[str, Any]:
        """Return what a row would set on its stored person."""
        person = row.person
        assert person is not None
        values = dict(row.values)
        if values["custom_values"]:
            # A column the file leaves out keeps its stored value.
            values["custom_values"] = {
                **person.custom_values,
                **values["custom_values"],
            }
        if person.account_id != row.account.pk:
            # The CRM moved the contact to another account.
            values["account_id"] = row.account.pk
        title = values.get("title")
        # Follow a new title only while the seniority is still the derived one.
        if title is not None and person.seniority in (
            "",
            seniority_from_title(person.title),
        ):
            values["seniority"] = seniority_from_title(title)
        return values

    def _reports_to(self, checked: list[_Row], unchanged: set[int]) -> None:
        updates: list[tuple[models.Model, dict[str, Any]]] = []
        for row in checked:
            if row.manager is None or row.written is None:
                continue
            manager = (
                row.manager.written if isinstance(row.manager, _Row) else row.manager
            )
            if manager is None:
                self._keep(
                    row.file,
                    row.line,
                    "reports_to",
                    row.extra["reports_to"],
                    "the manager's row was not imported; the reports-to was "
                    "left as it was",
                )
                continue
            updates.append((row.written, {"reports_to_id": manager.pk}))
        history = _differences(updates)
        # The rows were counted above; one that only gained a manager now
        # counts as updated instead of unchanged.
        _, updated, _ = self.wizard._apply(
            entity=PERSON, model=Stakeholder, creates=[], updates=updates, count=False
        )
        moved = len(updated & unchanged)
        counts = self.wizard._counts(PERSON)
        counts["updated"] += moved
        counts["unchanged"] -= moved
        self._history(history)

    def _moved_lines_clear(self, checked: list[_Row]) -> None:
        """Clear each reporting line a move to another account broke.

        A person the file moves keeps no manager left at the old account,
        and no one left there keeps reporting to them: a person reports to
        someone at their own account. Each clearing is noted on the moved
        person's row, recorded for undo and kept in the shared history.
        """
        moved = {
            row.written.pk: row
            for row in checked
            if row.person is not None
            and row.written is not None
            and row.extra["account_before"] != row.written.account_id
        }
        if not moved:
            return

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
            self._keep(row.file, row.line, "reports_to", row.extra["reports_to"], why)
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


def _label(person: _Row | Stakeholder) -> str:
    return person.name


def people_write_start(wizard: _Writer) -> PeopleWrite:
    return PeopleWrite(wizard)
