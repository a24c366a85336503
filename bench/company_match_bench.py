"""Company matching: a large deals file checked against many accounts.

`python -m bench.company_match_bench [--accounts N] [--rows N]` creates
N accounts in a throwaway database (the configured one plus "_bench"),
writes a deals file whose rows name a company exactly, loosely ("NORTHWIND
7 TRADING, Inc." for "Northwind 7 Trading") or not at all, and runs the
wizard's check over it. It prints the check's wall time, the time spent
finding the rows' accounts (AccountFinder.names_read) and how many times a
company name was folded to its key (accounts.matching.account_name_words):
each build of the name index folds every account's name once, so the count
over the number of accounts says how many times the index was built.
"""

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

import django


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def deals_write(*, path: Path, accounts: int, rows: int) -> None:
    """Write a deals file: 70% exact names, 20% loose ones, 10% unknown."""
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Id", "Account.Name", "StageName", "Amount", "CloseDate"])
        for row in range(rows):
            number = row % accounts
            share = row % 10
            if share < 7:
                name = f"Northwind {number} Trading"
            elif share < 9:
                name = f"NORTHWIND {number} TRADING, Inc."
            else:
                name = f"Unheard Of {row} Trading"
            out.writerow([f"006X{row}", name, "Prospecting", "100", "2026-06-30"])


def measure(*, accounts: int, rows: int, folder: Path) -> None:
    from django.contrib.auth import get_user_model

    from accounts import matching
    from accounts.models import Account
    from accounts.wizard import (
        mapped_import_check,
        mapped_import_create_from_paths,
        mapped_import_mapping_accept,
    )
    from accounts.wizard_accounts import AccountFinder

    Account.objects.bulk_create(
        [
            Account(
                name=f"Northwind {number} Trading",
                sector="retail",
                country="United States",
            )
            for number in range(accounts)
        ],
        batch_size=5_000,
    )
    path = folder / "deals.csv"
    deals_write(path=path, accounts=accounts, rows=rows)

    folded = 0
    words = matching.account_name_words

    def counted_words(name: str) -> list[str]:
        nonlocal folded
        folded += 1
        return words(name)

    finding, finding_cpu = 0.0, 0.0
    names_read = AccountFinder.names_read

    def timed_names_read(self: AccountFinder, names) -> None:  # type: ignore[no-untyped-def]
        nonlocal finding, finding_cpu
        started, started_cpu = time.perf_counter(), time.process_time()
        names_read(self, names)
        finding += time.perf_counter() - started
        finding_cpu += time.process_time() - started_cpu

    matching.account_name_words = counted_words  # type: ignore[assignment]
    AccountFinder.names_read = timed_names_read  # type: ignore[method-assign]

    user = get_user_model().objects.create(username="bench")
    mapped = mapped_import_create_from_paths(user=user, paths=[path])
    mapped_import_mapping_accept(mapped=mapped, user=user)
    started, started_cpu = time.perf_counter(), time.process_time()
    outcome = mapped_import_check(mapped=mapped)
    wall = time.perf_counter() - started
    cpu = time.process_time() - started_cpu

    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    say(f"{accounts:,} accounts, {rows:,} deal rows")
    say(f"check: {wall:.2f} s wall, {cpu:.2f} s CPU in this process")
    say(f"finding accounts (names_read): {finding:.2f} s wall, {finding_cpu:.2f} s CPU")
    say(f"names folded to keys: {folded:,} ({folded / accounts:.2f} x the accounts)")
    say(f"proposals shown: {len(outcome.proposals):,}")
    say(f"deals counted: {outcome.counts.get('Opportunities')}")
    say(f"load average: {load}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=200_000)
    arguments = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    database = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench"
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings.MEDIA_ROOT = Path(folder) / "media"
            measure(
                accounts=arguments.accounts, rows=arguments.rows, folder=Path(folder)
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
