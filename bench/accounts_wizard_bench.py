"""Import a long synthetic accounts file through the wizard's background task.

Two steps, so the import's peak memory is its own process's:

    python -m bench.accounts_wizard_bench prepare --rows 1048576
    /usr/bin/time -v python -m bench.accounts_wizard_bench run --job <id>

`prepare` writes the bench generator's accounts file (the bundled data
set's layout, synthetic names, about one account in seven a subsidiary of
an earlier one) and starts a wizard import of it without queueing it;
`run` calls `mapped_import_task`, as a Celery worker would, and prints the
wall time, the peak RSS and the load average. Point DATABASE_URL at a
throwaway database: the rows are written for real.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import django
import numpy as np

from bench.generate import Spec, write_accounts

DATA_ROOT = Path(__file__).resolve().parent.parent / "var" / "bench" / "data"


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def accounts_write(*, path: Path, rows: int, seed: int) -> None:
    """Write `rows` synthetic accounts in the bundled layout to `path`."""
    spec = Spec(accounts=rows, lines=0, seed=seed)
    write_accounts(spec, np.random.default_rng(seed), path)
    (path.parent / "SOURCE.md").write_text(
        f"Synthetic: {rows:,} generated accounts, seed {seed}, written by "
        "bench/accounts_wizard_bench.py with bench.generate. No real "
        "company.\n",
        encoding="utf-8",
    )


def prepare(*, rows: int, seed: int) -> None:
    from accounts.wizard import (
        mapped_import_create_from_paths,
        mapped_import_mapping_accept,
        mapped_import_start,
    )

    folder = DATA_ROOT / f"synthetic-accounts-{rows}-s{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "accounts.csv"
    if not path.exists():
        started = time.perf_counter()
        accounts_write(path=path, rows=rows, seed=seed)
        _say(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    problems = mapped_import_mapping_accept(mapped=mapped, user=None)
    if problems:
        raise RuntimeError(f"the mapping was not accepted: {problems}")
    job = mapped_import_start(
        mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
    )
    _say(f"job {job.pk} ready: {path} ({path.stat().st_size:,} bytes)")


def run(*, job_id: int) -> None:
    from accounts.models import ImportJob
    from accounts.tasks import mapped_import_task

    load_before = _load()
    started = time.perf_counter()
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
