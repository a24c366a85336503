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

import time
from pathlib import Path

import numpy as np

from bench.generate import Spec, write_accounts
from bench.wizard_bench import DATA_ROOT, say, wizard_bench_main, wizard_job_prepare


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
    folder = DATA_ROOT / f"synthetic-accounts-{rows}-s{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "accounts.csv"
    if not path.exists():
        started = time.perf_counter()
        accounts_write(path=path, rows=rows, seed=seed)
        say(f"wrote {path} in {time.perf_counter() - started:.1f} s")
    wizard_job_prepare(path=path)


def main(argv: list[str] | None = None) -> None:
    wizard_bench_main(description=__doc__.splitlines()[0], prepare=prepare, argv=argv)


if __name__ == "__main__":
    main()
