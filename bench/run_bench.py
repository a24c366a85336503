"""A whole score run: load, score, save and render the chart, as stored."""

import json
import os
import time

from bench.results import Figure
from scoring.models import ScoreRun
from scoring.services import score_run_execute, scoring_model_active


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
    return [
        Figure(
            benchmark="score run, load to stored chart (score_run_execute)",
            value=timings["total_seconds"],
            unit="s",
            target="<= 60 s at 1M accounts and 10M lines",
            note=(
                f"{run.accounts_scored:,} accounts, "
                f"{run.revenue_lines_read:,} revenue lines"
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
