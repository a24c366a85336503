"""Find an account by a name it had before it was renamed.

A rename by hand (the API's PATCH, the account's edit page) is kept in the
account's history (ChangeRecord, field "name"), old name and new. A CRM
export without ids that still uses the old name would otherwise create a
second account, or have its people, deals and revenue refused. The import
matches such a name to the renamed account when exactly one account had
it, once capitals and spacing are folded, and no account is called so now;
a name several accounts had is refused, naming none of them.

Only the accounts the importing user may see lend their former names: a
name is never matched, or said, through an account hidden from them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from accounts.matching import account_name_caseless
from accounts.models import Account, ChangeRecord, User
from accounts.selectors import account_list_for_user


@dataclass(frozen=True)
class FormerName:
    """A name an account had before a rename."""

    account: Account
    name: str

    @property
    def note(self) -> str:
        return (
            f"matched by former name {self.name!r}: the account is now called "
            f"{self.account.name!r}"
        )


def former_name_key(name: str) -> str:
    """Return the key two spellings of one former name share: capitals and
    spacing folded, alike on SQLite and PostgreSQL."""
    return " ".join(account_name_caseless(name).split())


class FormerNames:
    """The former names of the accounts a user may see, by their key."""

    def __init__(self, *, accounts: QuerySet[Account]) -> None:
        self.by_key: dict[str, dict[int, FormerName]] = defaultdict(dict)
        records = (
            ChangeRecord.objects.filter(
                content_type=ContentType.objects.get_for_model(Account),
                field="name",
                account__in=accounts,
            )
            .select_related("account")
            .only("old_value", "account__id", "account__name", "account__external_id")
            .order_by("changed_at", "pk")
        )
        for record in records:
            key = former_name_key(record.old_value)
            if key and key != former_name_key(record.account.name):
                self.by_key[key].setdefault(
                    record.account.pk, FormerName(record.account, record.old_value)
                )
        # Names accounts have now win over a name another account had.
        self.current: set[str] = set()
        if self.by_key:
            self.current = {
                former_name_key(name)
                for name in Account.objects.values_list("name", flat=True).iterator(
                    chunk_size=5000
                )
            }

    @classmethod
    def for_user(cls, user: User | None) -> FormerNames:
        """Return the former names of the accounts `user` may see.

        An import with no user (the command line, run on the server) sees
        every account, as sales ops do.
        """
        if user is None:
            return cls(accounts=Account.objects.all())
        return cls(accounts=account_list_for_user(user=user))

    def matches(self, name: str) -> list[FormerName]:
        """Return the accounts that had this name, unless one has it now."""
        if not self.by_key:
            return []
        key = former_name_key(name)
        if key in self.current:
            return []
        return list(self.by_key.get(key, {}).values())

    def find(self, name: str) -> FormerName | None:
        """Return the one account that had this name, if just one had it."""
        found = self.matches(name)
        return found[0] if len(found) == 1 else None


def former_names_shared_text(name: str, count: int) -> str:
    """Say why a name several accounts had matches none of them."""
    return (
        f"{count} accounts were once called {name!r}, and none is now; name "
        "the account by its ID"
    )


# The bundled data loader finds accounts by their exact name. A file that
# still gives a name an account had before a rename in Lode is read as that
# account under its name now: its deals, revenue and team stay on it, and
# the user's name stays. The rules, alike on both databases:
# - a name an account has now is never a former name;
# - a name several accounts had is the one that had it last;
# - an account whose name now is in the file too is that row's account;
# - an account that had several of the file's names takes the latest.


def account_former_names_current(*, names: Iterable[str]) -> dict[str, str]:
    """Return the current name of each account one of `names` is a former
    name of, by that former name.

    The pandas path's counterpart of account_former_names_staging: one query
    of the accounts' name history, newest first, and one of the names
    found that accounts have now.
    """
    staged = set(names)
    records = list(
        ChangeRecord.objects.filter(
            content_type__app_label=Account._meta.app_label,
            content_type__model=Account._meta.model_name,
            field="name",
        )
        .order_by("-changed_at", "-pk")
        .values_list("pk", "old_value", "account_id", "account__name")
    )
    last_holder: dict[str, int] = {}
    for pk, old_name, _, _ in records:
        if old_name in staged:
            last_holder.setdefault(old_name, pk)
    if not last_holder:
        return {}

    taken = set(
        Account.objects.filter(name__in=list(last_holder)).values_list(
            "name", flat=True
        )
    )
    current: dict[str, str] = {}
    resolved: set[int] = set()
    for pk, old_name, account_id, name in records:
        if (
            last_holder.get(old_name) == pk
            and old_name not in taken
            and name not in staged
            and account_id not in resolved
        ):
            current[old_name] = name
            resolved.add(account_id)
    return current


def account_former_names_staging(*, table: str) -> tuple[str, list[str]]:
    """Return the SQL, and its parameters, that fill `import_former_names`
    (name, current_name, current_key) with the account names staged in
    `table` that are former names: one join of the staged names against
    the accounts' name history."""
    account, change = Account._meta.db_table, ChangeRecord._meta.db_table
    content_type = ContentType._meta.db_table
    sql = (
        "DROP TABLE IF EXISTS import_former_names; "
        "CREATE TEMPORARY TABLE import_former_names ON COMMIT DROP AS "
        "SELECT DISTINCT ON (h.account_id) h.old_value AS name, "
        "a.name AS current_name, a.name_key AS current_key "
        "FROM (SELECT DISTINCT ON (r.old_value) r.old_value, r.account_id, "
        "r.changed_at, r.id "
        f"FROM {table} s JOIN {change} r ON r.old_value = s.name "
        f"JOIN {content_type} t ON t.id = r.content_type_id "
        "WHERE t.app_label = %s AND t.model = %s AND r.field = 'name' "
        "ORDER BY r.old_value, r.changed_at DESC, r.id DESC) h "
        f"JOIN {account} a ON a.id = h.account_id "
        f"WHERE NOT EXISTS (SELECT FROM {account} c WHERE c.name = h.old_value) "
        f"AND NOT EXISTS (SELECT FROM {table} s WHERE s.name = a.name) "
        "ORDER BY h.account_id, h.changed_at DESC, h.id DESC"
    )
    return sql, Account._meta.label_lower.split(".")
