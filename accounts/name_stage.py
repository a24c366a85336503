"""The account names an accounts import proposes against, in the database.

`AccountNameIndex` (accounts.matching) holds every name it was given, with
its words, in memory: fine for the accounts a portfolio has, not for a file
that adds a million of them. `StagedNameIndex` answers the same questions
from `AccountNameStage` rows kept for one run: for each chunk it reads only
the staged names that could pair with the chunk's names (equal, the same
key, or the same skeleton around a word a typo may be in), builds an
`AccountNameIndex` of those, and lets it propose. What it holds grows with
the chunk, and its proposals are the ones the whole index would make.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from django.db import connection

from accounts.matching import (
    AccountNameIndex,
    MatchProposal,
    account_name_skeletons,
    account_name_words,
)
from accounts.models import AccountNameStage, ImportJob

# Names staged in one INSERT, and values in one IN list where the database
# sets no lower limit (SQLite allows 999 parameters a statement).
STAGE_BATCH = 2_000
LOOKUP_BATCH = 5_000


Value = TypeVar("Value")


def lookup_batches(values: Sequence[Value]) -> Iterator[Sequence[Value]]:
    """Return the values in slices short enough for one IN list each."""
    limit = connection.features.max_query_params
    size = min(LOOKUP_BATCH, limit - 1) if limit else LOOKUP_BATCH
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _stage_rows(job: ImportJob, name: str) -> list[AccountNameStage]:
    words = account_name_words(name)
    key = " ".join(words)
    skeletons = account_name_skeletons(words) or [""]
    return [
        AccountNameStage(job=job, name=name, key=key, skeleton=skeleton)
        for skeleton in skeletons
    ]


class StagedNameIndex:
    """The names an import proposes against, staged for its run."""

    def __init__(self, *, job: ImportJob) -> None:
        self.job = job

    def fill(self, names: Iterable[str]) -> None:
        """Stage names known to be distinct and not staged yet, in order."""
        batch: list[AccountNameStage] = []
        for name in names:
            batch.extend(_stage_rows(self.job, name))
            if len(batch) >= STAGE_BATCH:
                AccountNameStage.objects.bulk_create(batch)
                batch = []
        if batch:
            AccountNameStage.objects.bulk_create(batch)

    def add(self, names: Iterable[str]) -> None:
        """Stage more names, such as the accounts a chunk created."""
        fresh = list(dict.fromkeys(names))
        known = self.known(fresh)
        self.fill(name for name in fresh if name not in known)

    def discard(self, name: str) -> None:
        """Forget a name no account has any more, such as a renamed one's."""
        AccountNameStage.objects.filter(job=self.job, name=name).delete()

    def known(self, names: Sequence[str]) -> set[str]:
        """Return which of these names are staged."""
        found: set[str] = set()
        for batch in lookup_batches(list(dict.fromkeys(names))):
            found.update(
                AccountNameStage.objects.filter(
                    job=self.job, name__in=batch
                ).values_list("name", flat=True)
            )
        return found

    def propose(self, *, incoming: Iterable[str]) -> list[MatchProposal]:
        """Return what `AccountNameIndex.propose` would over every staged name."""
        names = list(dict.fromkeys(incoming))
        keys: set[str] = set()
        skeletons: set[str] = set()
        for name in names:
            words = account_name_words(name)
            if words:
                keys.add(" ".join(words))
                skeletons.update(account_name_skeletons(words))

        # The first row of each name keeps the order names were staged in,
        # which is the order the whole index would list them in.
        staged: dict[str, int] = {}
        for field, values in (
            ("name", names),
            ("key", sorted(keys)),
            ("skeleton", sorted(skeletons)),
        ):
            for batch in lookup_batches(values):
                rows = AccountNameStage.objects.filter(
                    job=self.job, **{f"{field}__in": batch}
                ).values_list("name", "pk")
                for name, pk in rows:
                    staged[name] = min(pk, staged.get(name, pk))
        nearby = sorted(staged, key=staged.__getitem__)
        return AccountNameIndex(nearby).propose(incoming=names)

    def clear(self) -> None:
        """Drop the run's staged names, in one statement."""
        AccountNameStage.objects.filter(job=self.job).delete()
