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

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import django
import numpy as np

ACCOUNTS = 50
DATA_ROOT = Path(__file__).resolve().parent.parent / "var" / "bench" / "data"
TITLES = ("Analyst", "Engineer", "Buyer", "Controller", "Planner", "Director")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


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
    from accounts.wizard import (
        mapped_import_create_from_paths,
        mapped_import_mapping_accept,
        mapped_import_start,
    )

    folder = DATA_ROOT / f"synthetic-people-{rows}-s{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "people.csv"
    if not path.exists():
        started = time.perf_counter()
        people_write(path=path, rows=rows, seed=seed)
        _say(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    for account in range(ACCOUNTS):
        Account.objects.get_or_create(
            external_id=f"ACC{account:03d}",
            defaults={"name": f"Synthetic {account}"},
        )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    problems = mapped_import_mapping_accept(mapped=mapped, user=None)
    if problems:
        raise RuntimeError(f"the mapping was not accepted: {problems}")
    job = mapped_import_start(
        mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
    )
    _say(f"job {job.pk} ready: {path} ({path.stat().st_size:,} bytes)")


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
            _say(f"{begun - started:8.1f} s: {name} starts; load {_load()}")
            step(self)
            ended = time.perf_counter()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            _say(
                f"{ended - started:8.1f} s: {name} took {ended - begun:.1f} s; "
                f"peak RSS {peak:.0f} MB; load {_load()}"
            )

        return run_step

    for name in STEPS:
        setattr(PeopleWrite, name, timed(name, getattr(PeopleWrite, name)))


def run(*, job_id: int) -> None:
    from accounts.models import ImportJob
    from accounts.tasks import mapped_import_task

    load_before = _load()
    started = time.perf_counter()
    _steps_time(started)
    mapped_import_task(job_id)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    job = ImportJob.objects.get(pk=job_id)
    _say(
        f"job {job.pk} {job.status} in {seconds:.1f} s; peak RSS {peak:.0f} MB; "
        f"counts {job.counts}; load average before {load_before}, after {_load()}"
    )
    if job.status != ImportJob.Status.SUCCEEDED:
        raise SystemExit(f"the import did not succeed: {job.error} {job.issues[:3]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    first = steps.add_parser("prepare")
    first.add_argument("--rows", type=int, default=1_048_576)
    first.add_argument("--seed", type=int, default=42)
    second = steps.add_parser("run")
    second.add_argument("--job", type=int, required=True)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    if args.step == "prepare":
        prepare(rows=args.rows, seed=args.seed)
    else:
        run(job_id=args.job)


if __name__ == "__main__":
    main()
