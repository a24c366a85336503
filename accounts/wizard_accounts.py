"""Find the account a people, deal, revenue or support row names.

An account ID or an exact name (or a name confirmed earlier, an alias)
finds it. A name that matches one account only once case, spacing,
punctuation and legal form are ignored (accounts.matching) is proposed to
the user, as an account row's name is; the row finds that account only once
the user accepted the proposal, else it is refused. An accepted name is
kept as the account's alias, recorded for undo, so the same file read again
finds the account without asking.

One finder serves every kind of row of an import: it is made once the
upload's accounts are written, so a name the same upload adds is exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from accounts.former_names import FormerName, former_names_shared_text
from accounts.importing import REPAIRED, Issue
from accounts.matching import SAME, AccountNameIndex, MatchProposal
from accounts.models import Account, AccountAlias

if TYPE_CHECKING:
    from accounts.wizard import _Writer


# What one row of each kind is, as a message names it.
ONE_ACCOUNT = {
    "opportunity": "a deal",
    "person": "a person",
    "revenue": "a revenue line",
    "support": "a support signal",
}


class AccountFinder:
    """The accounts, their aliases and the names proposed as them."""

    def __init__(self, wizard: _Writer) -> None:
        self.wizard = wizard
        accounts = list(Account.objects.only("pk", "name", "external_id"))
        self.by_pk = {account.pk: account for account in accounts}
        self.by_id = {a.external_id: a for a in accounts if a.external_id}
        self.by_name = {account.name: account for account in accounts}
        self.aliases: dict[str, Account] = {}
        for alias, account_id, alias_id in AccountAlias.objects.values_list(
            "name", "account_id", "external_id"
        ):
            if account_id in self.by_pk:
                self.aliases.setdefault(alias, self.by_pk[account_id])
                # A merged row's ID names the account it was merged into.
                if alias_id:
                    self.by_id.setdefault(alias_id, self.by_pk[account_id])
        self._index: AccountNameIndex | None = None
        # Each name of the chunk read last that is no account's, with the
        # accounts it may be.
        self.candidates: dict[str, list[MatchProposal]] = {}
        # Each name the user confirmed as an account's, to keep as an alias.
        self.confirmed: dict[str, int] = {}
        # The names matched by an account's former name, and the kinds of
        # row already told so: one note per name and kind, not per row.
        self.former_noted: set[tuple[str, str]] = set()

    def names_read(self, names: Iterable[str]) -> None:
        """Find, in one pass, the accounts a chunk's unknown names may be.

        Only the last chunk's names are kept: a name read again in a later
        chunk is looked up in the index again, so what the finder holds
        grows with the accounts, not with the file.
        """
        unknown = [
            name
            for name in dict.fromkeys(names)
            if name
            and name not in self.by_name
            and name not in self.aliases
            and self._former(name) is None
        ]
        self.candidates = {name: [] for name in unknown}
        if not unknown:
            return

        for proposal in self.index().propose(incoming=unknown):
            self.candidates[proposal.incoming].append(proposal)

    def index(self) -> AccountNameIndex:
        """Return the index of the accounts' names, made at first use.

        Folding every account's name is the costly part of a proposal, so
        it is done once per import, not once per chunk or kind of file.
        """
        if self._index is None:
            self._index = AccountNameIndex(self.by_name)
        return self._index

    def account_for(
        self, *, entity: str, file: str, line: int, row: dict[str, Any]
    ) -> Account | None:
        """Return the row's account; refuse the row when it has none."""
        former = self._former_for(row)
        if former is not None:
            name = str(row.get("account_name"))
            if (entity, name) not in self.former_noted:
                self.former_noted.add((entity, name))
                self.wizard.outcome.issues.append(
                    Issue(
                        file,
                        line,
                        self.wizard._col(file, "account_name"),
                        name,
                        f"{former.note} (this row and every later one naming it)",
                        REPAIRED,
                    )
                )
            return self.by_pk[former.account.pk]
        account, field, why = self._find(entity, row)
        shared = self._former_shared(row) if account is None else 0
        if shared:
            field = "account_name"
            why = former_names_shared_text(str(row.get("account_name")), shared)
        if account is None:
            column = self.wizard._col(file, field)
            value = row.get(field) or ""
            self.wizard._reject(entity, file, line, column, value, why)
        return account

    def _find(
        self, entity: str, row: dict[str, Any]
    ) -> tuple[Account | None, str, str]:
        """Return the row's account, or None with the field at fault and why."""
        external_id, name = row.get("account_external_id"), row.get("account_name")
        if external_id and external_id in self.by_id:
            return self.by_id[external_id], "", ""
        several = [part.strip() for part in (external_id or "").split(";")]
        several = [part for part in several if part]
        if len(several) > 1:
            # HubSpot joins every associated company's ID with ";". Which one
            # the row belongs to is the user's to say, not ours to guess.
            return (
                None,
                "account_external_id",
                f"{ONE_ACCOUNT.get(entity, 'a row')} belongs to one account, and "
                f"this row names {len(several)}: "
                + ", ".join(repr(part) for part in several)
                + "; keep the ID of its account",
            )
        if not name:
            if external_id:
                return None, "account_external_id", self._unknown(external_id)
            return None, "account_name", "the row names no account"

        exact = self.by_name.get(name) or self.aliases.get(name)
        if exact is not None:
            return exact, "", ""
        proposals = self.candidates.get(name)
        if proposals is None:
            proposals = self.index().propose(incoming=[name])
            self.candidates[name] = proposals
        if len(proposals) == 1:
            self.wizard.proposal_note(
                entity=entity,
                incoming=name,
                existing=proposals[0].existing,
                kind=proposals[0].kind,
                reason=proposals[0].reason,
                rows=1,
            )
        merged = self.by_name.get(self.wizard.merges.get(name, ""))
        if merged is not None:
            self.confirmed[name] = merged.pk
            return merged, "", ""

        if not proposals:
            field = "account_external_id" if external_id else "account_name"
            return None, field, self._unknown(external_id or name)
        if len(proposals) > 1:
            if proposals[0].kind == SAME:
                said = (
                    f"are called {name!r} once case, spacing, punctuation and "
                    "legal form are ignored"
                )
            else:
                said = f"are one letter from {name!r}"
            return (
                None,
                "account_name",
                f"{len(proposals)} accounts {said}: "
                + ", ".join(sorted(repr(p.existing) for p in proposals))
                + "; name the account by its ID",
            )
        return (
            None,
            "account_name",
            f'Company "{name}" matches no account exactly; accept the proposed '
            f'match to "{proposals[0].existing}" or fix the name',
        )

    def _former(self, name: str) -> FormerName | None:
        former = self.wizard.former_names().find(name)
        if former is None or former.account.pk not in self.by_pk:
            return None
        return former

    def _former_for(self, row: dict[str, Any]) -> FormerName | None:
        """Return the renamed account a row names by a name it had, if so.

        An account ID, an account's name, an alias or a ticked merge come
        first.
        """
        external_id, name = row.get("account_external_id"), row.get("account_name")
        if external_id and external_id in self.by_id:
            return None
        if not name or name in self.by_name or name in self.aliases:
            return None
        if name in self.wizard.merges:
            return None
        return self._former(name)

    def _former_shared(self, row: dict[str, Any]) -> int:
        """Return how many accounts had the row's unknown name, if several."""
        name = row.get("account_name")
        if not name or row.get("account_external_id") in self.by_id:
            return 0
        found = [
            former
            for former in self.wizard.former_names().matches(name)
            if former.account.pk in self.by_pk
        ]
        return len(found) if len(found) > 1 else 0

    def aliases_create(self) -> None:
        """Remember each confirmed match, so the name matches next time."""
        self.wizard._aliases_create(
            {name: (account_id, "") for name, account_id in self.confirmed.items()},
            known=self.aliases,
            names=self.by_name,
        )
        for name, account_id in self.confirmed.items():
            self.aliases.setdefault(name, self.by_pk[account_id])
        self.confirmed = {}

    @staticmethod
    def _unknown(named: str) -> str:
        return f"no account {named!r}; import the accounts first or in the same upload"
