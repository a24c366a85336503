"""A whole score run: load, score, save and render the chart, as stored."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection

from accounts.models import RevenueLine
from bench.results import Figure
from scoring.models import ScoreRun
from scoring.services import (
    score_run_execute,
    score_run_request,
    scoring_model_active,
)


def score_run_benchmark() -> list[Figure]:
    """Execute one run in process and report its own step timings."""
    run = ScoreRun.objects.create(scoring_model=scoring_model_active(), trigger="bench")
    started = time.perf_counter()
    run = score_run_execute(run_id=run.pk)
    # The run's own timings stop before its transaction commits.
    wall = time.perf_counter() - started
    timings = run.timings
    steps = ", ".join(
        f"{step.removesuffix('_seconds')} {seconds:.2f} s"
        for step, seconds in timings.items()
        if step != "total_seconds"
    )
    payload = len(json.dumps(run.figure, separators=(",", ":"))) / 2**20
    # The run reads the quarter sums; the lines behind them, counted
    # after the timing.
    stored_lines = RevenueLine.objects.count()
    return [
        Figure(
            benchmark="score run, load to stored chart (score_run_execute)",
            value=timings["total_seconds"],
            unit="s",
            target="<= 60 s at 1M accounts and 10M lines",
            note=(
                f"{run.accounts_scored:,} accounts, "
                f"{run.revenue_lines_read:,} quarter sums of "
                f"{stored_lines:,} stored revenue lines"
                f"{'; ' + run.message if run.message else ''}; {steps}; "
                f"wall clock with the commit {wall:.2f} s; "
                f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}"
            ),
        ),
        Figure(
            benchmark="quadrant figure payload (stored figure JSON)",
            value=payload,
            unit="MB",
            target="<= 3 MB at 100k accounts",
        ),
    ]


PROJECT_DIR = Path(__file__).resolve().parents[1]


def _worker_start(log_path: Path) -> subprocess.Popen:
    """Start one real Celery worker on the bench database; wait until it answers."""
    from config.celery import app

    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        ),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]
    log = log_path.open("w")
    worker = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while not app.control.ping(timeout=1):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.terminate()
            raise RuntimeError(f"The Celery worker did not start; see {log_path}")
    return worker


def _direct_run_seconds() -> tuple[float, float]:
    run = ScoreRun.objects.create(scoring_model=scoring_model_active(), trigger="bench")
    started = time.perf_counter()
    run = score_run_execute(run_id=run.pk)
    return time.perf_counter() - started, run.timings["total_seconds"]


def _worker_run_seconds() -> tuple[float, float]:
    started = time.perf_counter()
    run = score_run_request(trigger="bench")
    finished = {ScoreRun.Status.SUCCEEDED, ScoreRun.Status.FAILED}
    # The status alone, as the progress poll reads it, not the whole row.
    polled = ScoreRun.objects.filter(pk=run.pk).values_list("status", flat=True)
    while polled.get() not in finished:
        time.sleep(0.02)
    through_worker = time.perf_counter() - started
    run.refresh_from_db()
    if run.status != ScoreRun.Status.SUCCEEDED:
        raise RuntimeError(f"The worker's run failed: {run.message}")
    return through_worker, run.timings["total_seconds"]


def _seconds(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def score_run_worker_benchmark(*, samples: int = 3) -> list[Figure]:
    """Time runs through a real worker against the service called directly.

    Same data, same database. The worker first does one run that is not
    timed (its first run pays for connections and lazy imports, which a
    long-lived worker pays once). Then, `samples` times over, a direct run
    and a run requested the way the app does (enqueued on Redis at commit,
    executed by a separate `celery worker` process, followed by polling the
    run every 20 ms as a page would), alternated so the machine's load
    falls on both alike. A worker run's figure is its wall clock from the
    request until the run is seen finished; a direct run's, its wall clock
    with the commit. The figure is the median of each.
    """
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        raise RuntimeError("The worker benchmark needs REDIS_URL (a real broker).")

    direct: list[float] = []
    direct_compute: list[float] = []
    worker_wall: list[float] = []
    worker_compute: list[float] = []
    worker = _worker_start(Path(tempfile.gettempdir()) / "lode-bench-worker.log")
    try:
        _worker_run_seconds()
        for _ in range(samples):
            wall, compute = _direct_run_seconds()
            direct.append(wall)
            direct_compute.append(compute)
            wall, compute = _worker_run_seconds()
            worker_wall.append(wall)
            worker_compute.append(compute)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()

    accounts = ScoreRun.objects.filter(is_current=True).get().accounts_scored
    load = " ".join(f"{value:.1f}" for value in os.getloadavg())
    samples_note = (
        f"{accounts:,} accounts; median of {samples} alternated samples "
        "after one untimed warm-up run in the worker; through the worker "
        f"{_seconds(worker_wall)} s (the runs' own timings "
        f"{_seconds(worker_compute)} s); direct {_seconds(direct)} s "
        f"(own timings {_seconds(direct_compute)} s); load average {load}"
    )
    return [
        # What orchestration adds: enqueueing at commit, the broker hop,
        # pick-up and polling, over the same run's own compute.
        Figure(
            benchmark="score run through a Celery worker against its own compute",
            value=statistics.median(worker_wall),
            unit="s",
            baseline=statistics.median(worker_compute),
            target="<= 1.1x the compute",
            note=samples_note,
        ),
        Figure(
            benchmark="score run through a Celery worker (request to finished)",
            value=statistics.median(worker_wall),
            unit="s",
            baseline=statistics.median(direct),
            target="<= 1.1x the service called directly",
            note=samples_note,
        ),
    ]
