"""What the wizard import benches share: start a job, run it, the command line.

Each bench writes its own synthetic file and gives `wizard_bench_main` the
step that prepares it; the run is the same for every file: the job's
background task called in this process, as a Celery worker would, then its
wall time, peak RSS and load average printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django

DATA_ROOT = Path(__file__).resolve().parent.parent / "var" / "bench" / "data"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def wizard_job_prepare(*, path: Path) -> None:
    """Start a wizard import of `path` with its proposed mapping, unqueued."""
    from accounts.wizard import (
        mapped_import_create_from_paths,
        mapped_import_mapping_accept,
        mapped_import_start,
    )

    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    problems = mapped_import_mapping_accept(mapped=mapped, user=None)
    if problems:
        raise RuntimeError(f"the mapping was not accepted: {problems}")
    job = mapped_import_start(
        mapped=mapped, merges={}, keep_good_rows=False, enqueue=False
    )
    say(f"job {job.pk} ready: {path} ({path.stat().st_size:,} bytes)")


def wizard_job_run(
    *, job_id: int, before: Callable[[float], None] | None = None
) -> None:
    """Run the job's background task here and print what it took.

    `before` is called with the start time, ahead of the task.
    """
    from accounts.models import ImportJob
    from accounts.tasks import mapped_import_task

    load_before = load_average()
    started = time.perf_counter()
    if before is not None:
        before(started)
    mapped_import_task(job_id)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    job = ImportJob.objects.get(pk=job_id)
    say(
        f"job {job.pk} {job.status} in {seconds:.1f} s; peak RSS {peak:.0f} MB; "
        f"counts {job.counts}; load average before {load_before}, "
        f"after {load_average()}"
    )
    if job.status != ImportJob.Status.SUCCEEDED:
        raise SystemExit(f"the import did not succeed: {job.error} {job.issues[:3]}")


def wizard_bench_main(
    *,
    description: str,
    prepare: Callable[..., None],
    before_run: Callable[[float], None] | None = None,
    argv: list[str] | None = None,
) -> None:
    """Parse `prepare --rows --seed` or `run --job`, and do that step."""
    parser = argparse.ArgumentParser(description=description)
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
        wizard_job_run(job_id=args.job, before=before_run)
