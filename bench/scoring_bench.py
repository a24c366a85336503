"""Scoring: the engine against the plain pandas baseline, same frames."""

import time
from dataclasses import asdict

from bench.baseline import baseline_scores
from bench.frames import Frames
from bench.results import Figure
from scoring.computation import ScoringWeights, score_accounts


def _best_of(repeats: int, function: object) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return min(timings)


def scoring_benchmark(*, frames: Frames, repeats: int) -> list[Figure]:
    """Time the engine and the baseline, alternately, on the same frames."""
    weights = ScoringWeights()
    model = asdict(weights)

    def engine() -> None:
        score_accounts(
            accounts=frames.accounts,
            revenue=frames.revenue,
            products=frames.products,
            weights=weights,
        )

    def baseline() -> None:
        baseline_scores(
            accounts=frames.accounts,
            revenue=frames.revenue,
            products=frames.products,
            model=model,
        )

    engine_seconds = _best_of(repeats, engine)
    baseline_seconds = _best_of(repeats, baseline)
    return [
        Figure(
            benchmark="scoring engine (score_accounts)",
            value=engine_seconds,
            unit="s",
            baseline=baseline_seconds,
            target="<= 1.5x baseline",
            note=(
                f"{len(frames.accounts):,} accounts, "
                f"{len(frames.revenue):,} quarter sums"
                f"{_lines_note(frames)}, best of {repeats}; "
                "engine also keeps the breakdown, column-wise"
            ),
        )
    ]


def _lines_note(frames: Frames) -> str:
    return "" if frames.lines is None else f" of {len(frames.lines):,} invoice lines"
