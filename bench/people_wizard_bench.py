"""Import a long synthetic people file through the wizard's background task.

Two steps, so the import's peak memory is its own process's:

    python -m bench.people_wizard_bench prepare --rows 1048576
    /usr/bin/time -v python -m bench.people_wizard_bench run --job <id>

`prepare` writes a seeded synthetic contacts file (Salesforce contact
layout, every manager listed below the people who report to them, each
account's people a tree ten wide), adds its accounts and starts a wizard
import without queueing it; `run` calls `mapped_import_task`, as a Celery
worker would, and prints the wall time, the peak RSS and the load average.
Point DATABASE_URL at a throwaway database: the rows are written for real.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.wizard_bench import (
    DATA_ROOT,
    load_average,
    say,
    wizard_bench_main,
    wizard_job_prepare,
)

ACCOUNTS = 50
TITLES = ("Analyst", "Engineer", "Buyer", "Controller", "Planner", "Director")


def people_write(*, path: Path, rows: int, seed: int) -> None:
    """Write `rows` synthetic contacts, managers below their reports."""
    rng = np.random.default_rng(seed)
    per_account = rows // ACCOUNTS
    titles = rng.integers(0, len(TITLES), per_account * ACCOUNTS)
    with path.open("w", encoding="utf-8") as out:
        out.write("Id,AccountId,FirstName,LastName,Title,Email,ReportsToId\n")
        for place in reversed(range(per_account)):
            for account in range(ACCOUNTS):
                number = place * ACCOUNTS + account
                manager = (
                    f"SYN{((place - 1) // 10) * ACCOUNTS + account:08d}"
                    if place
                    else ""
                )
                out.write(
                    f"SYN{number:08d},ACC{account:03d},Synthetic,Person {number},"
                    f"{TITLES[titles[number]]},person{number}@synthetic.example,"
                    f"{manager}\n"
                )
    (path.parent / "SOURCE.md").write_text(
        f"Synthetic: {per_account * ACCOUNTS:,} generated contacts at {ACCOUNTS} "
        f"accounts, seed {seed}, written by bench/people_wizard_bench.py. No "
        "real person or company.\n",
        encoding="utf-8",
    )


def prepare(*, rows: int, seed: int) -> None:
    from accounts.models import Account

    folder = DATA_ROOT / f"synthetic-people-{rows}-s{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "people.csv"
    if not path.exists():
        started = time.perf_counter()
        people_write(path=path, rows=rows, seed=seed)
        say(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    for account in range(ACCOUNTS):
        Account.objects.get_or_create(
            external_id=f"ACC{account:03d}",
            defaults={"name": f"Synthetic {account}"},
        )
    wizard_job_prepare(path=path)


# The steps of a people import once its file is read, timed one by one.
STEPS = (
    "_managers_find",
    "_stage_analyze",
    "_loops_refuse",
    "_persons_write",
    "_reports_to",
    "_moved_lines_clear",
    "_stage_delete",
)


def _steps_time(started: float) -> None:
    """Print when each flush step of a people import starts and ends."""
    from stakeholders.wizard_people import PeopleWrite

    def timed(name: str, step: Any) -> Any:
        def run_step(self: PeopleWrite) -> None:
            begun = time.perf_counter()
            say(f"{begun - started:8.1f} s: {name} starts; load {load_average()}")
            step(self)
            ended = time.perf_counter()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            say(
                f"{ended - started:8.1f} s: {name} took {ended - begun:.1f} s; "
                f"peak RSS {peak:.0f} MB; load {load_average()}"
            )

        return run_step

    for name in STEPS:
        setattr(PeopleWrite, name, timed(name, getattr(PeopleWrite, name)))


def main(argv: list[str] | None = None) -> None:
    wizard_bench_main(
        description=__doc__.splitlines()[0],
        prepare=prepare,
        before_run=_steps_time,
        argv=argv,
    )


if __name__ == "__main__":
    main()
