"""Figures, the machine they were measured on, and bench/RESULTS.md rows."""

import datetime
import os
import platform
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TABLE_HEADER = (
    "| date | scale | benchmark | figure | baseline | ratio | target | machine "
    "| versions |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
)


@dataclass(frozen=True)
class Figure:
    benchmark: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.value / self.baseline

    def line(self) -> str:
        text = f"{self.benchmark}: {self.value:,.3f} {self.unit}"
        if self.baseline is not None:
            text += f" | baseline {self.baseline:,.3f} {self.unit}"
        if self.ratio is not None:
            text += f" | ratio {self.ratio:.2f}x"
        if self.target:
            text += f" | target {self.target}"
        if self.note:
            text += f" | {self.note}"
        return text


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GB, {platform.machine()}"


def versions(database: str) -> str:
    python = ".".join(str(part) for part in sys.version_info[:3])
    packages = ", ".join(
        f"{name} {version(name)}" for name in ["Django", "pandas", "numpy"]
    )
    return f"Python {python}, {packages}, {database}"


def results_append(
    *, figures: list[Figure], scale: str, database: str, path: Path = RESULTS
) -> None:
    """Append one table row per figure, starting the table if needed."""
    today = datetime.date.today().isoformat()
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    if TABLE_HEADER not in text:
        text = text.rstrip("\n") + "\n\n## Runs\n\n" + TABLE_HEADER
    rows = []
    for figure in figures:
        baseline = "" if figure.baseline is None else f"{figure.baseline:,.3f}"
        ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}x"
        note = f" ({figure.note})" if figure.note else ""
        rows.append(
            f"| {today} | {scale} | {figure.benchmark} "
            f"| {figure.value:,.3f} {figure.unit}{note} | {baseline} | {ratio} "
            f"| {figure.target} | {machine()} | {versions(database)} |\n"
        )
    path.write_text(text + "".join(rows))
