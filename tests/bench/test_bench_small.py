import os
import subprocess
import sys
from pathlib import Path

from bench.results import TABLE_HEADER

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_make_bench_runs_at_the_small_scale(tmp_path: Path) -> None:
    # given
    results = tmp_path / "RESULTS.md"
    env = {**os.environ, "BENCH_RESULTS": str(results)}

    # when
    finished = subprocess.run(
        ["make", "bench", f"PYTHON={sys.executable}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert "baseline" in finished.stdout
    text = results.read_text()
    assert TABLE_HEADER in text
    for benchmark in [
        "scoring engine",
        "import, CSV to stored rows",
        "portfolio page p95",
        "account page p95",
    ]:
        assert f"| small | {benchmark}" in text, benchmark
