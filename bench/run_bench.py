"""A whole score run: load, score, save and render the chart, as stored."""

import json

from bench.results import Figure
from scoring.models import ScoreRun
from scoring.services import score_run_execute, scoring_model_active


def score_run_benchmark() -> list[Figure]:
    """Execute one run in process and report its own step timings."""
    run = ScoreRun.objects.create(scoring_model=scoring_model_active(), trigger="bench")
    run = score_run_execute(run_id=run.pk)
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
            note=f"{run.accounts_scored:,} accounts; {steps}",
        ),
        Figure(
            benchmark="quadrant figure payload (stored figure JSON)",
            value=payload,
            unit="MB",
            target="<= 3 MB at 100k accounts",
        ),
    ]
