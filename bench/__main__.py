"""Run the benchmarks: `python -m bench --scale small|10k|100k|1m`.

Each benchmark prints its figure beside the baseline from the same run and
appends a row to bench/RESULTS.md (or to $BENCH_RESULTS). Database work
happens in a throwaway database named after the configured one plus
"_bench", created and dropped here, so no real data is touched.

`--keep-database NAME` works in the PostgreSQL database NAME instead and
keeps it. When NAME already holds the scale's scored accounts, the import
and the score run are skipped, so the pages can be measured again in
minutes rather than after an hour of rebuilding; the kept database is
vacuumed and analysed (VACUUM ANALYZE) before its pages are timed:

    python -m bench --scale 100k --only pages --keep-database lode_pages

With `--only run`, a kept database is filled once (COPY, no importer) and
every later call times a new score run on the same rows, in a fresh
process, so its peak memory is the run's and not the loading's.

`--prepare` builds such a database (import, score run, plans and people,
every viewer's dashboard, ANALYZE) and times no page.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import django

from bench.generate import Spec, generate
from bench.results import RESULTS, Figure, results_append

SCALES = {
    "small": Spec(accounts=1_000, lines=20_000),
    "10k": Spec(accounts=10_000, lines=100_000),
    "100k": Spec(accounts=100_000, lines=1_000_000),
    "1m": Spec(accounts=1_000_000, lines=10_000_000),
}
# "worker" (a score run through a real Celery worker against the service
# called directly) runs only when asked for: it needs REDIS_URL.
BENCHMARKS = ["scoring", "import", "pages", "run"]
# "coverage" (the coverage roll-up alone, a part of "pages") runs only when
# asked for, on a kept database --prepare built. "cursor" (the account list
# API's cursor pages) needs only the accounts, loaded with COPY.
OPTIONAL_BENCHMARKS = ["worker", "coverage", "cursor"]
DATA_ROOT = Path(__file__).resolve().parent.parent / "var" / "bench" / "data"


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def data_folder(*, spec: Spec) -> Path:
    """Return the scale's generated data set, generating it when missing."""
    started = time.perf_counter()
    folder = DATA_ROOT / spec.folder_name()
    if not (folder / "SOURCE.md").exists():
        generate(spec=spec, root=DATA_ROOT)
    say(f"data: {folder} ({time.perf_counter() - started:.1f} s)")
    return folder


def _kept_accounts_ready(*, spec: Spec) -> bool:
    """Return whether the kept database holds this scale's accounts."""
    from accounts.models import Account

    return Account.objects.count() == spec.accounts


def _kept_data_ready(*, spec: Spec) -> bool:
    """Return whether the kept database holds this scale's scored accounts."""
    from accounts.models import Account
    from scoring.models import ScoreRun

    return (
        ScoreRun.objects.filter(is_current=True).exists()
        and Account.objects.count() == spec.accounts
    )


def database_benchmarks(
    *,
    spec: Spec,
    only: list[str],
    requests: int,
    keep: str | None = None,
    prepare: bool = False,
) -> tuple[list[Figure], str]:
    from django.conf import settings
    from django.db import connection
    from django.template import Template
    from django.test.utils import setup_test_environment

    from bench.import_bench import import_benchmark
    from bench.pages_bench import pages_benchmark
    from bench.run_bench import score_run_benchmark

    database = settings.DATABASES["default"]
    if keep is not None:
        if connection.vendor != "postgresql":
            raise RuntimeError("--keep-database needs PostgreSQL (DATABASE_URL)")
        database.setdefault("TEST", {})["NAME"] = keep
    elif connection.vendor == "postgresql":
        database.setdefault("TEST", {})["NAME"] = f"{database['NAME']}_bench"
    production_render = vars(Template)["_render"]
    setup_test_environment(debug=False)
    # The test environment copies the context of every template rendered,
    # for the test client to inspect; production does not, and the pages
    # are timed as production serves them.
    Template._render = production_render  # type: ignore[attr-defined]
    # Production serves a collected manifest; the bench has not collected
    # static files, so it names them plainly, as the test suite does.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    if keep is not None:
        # Created when missing, migrated when it exists; never serialised,
        # which at 100k would copy every row into memory.
        old_name = connection.creation.create_test_db(
            verbosity=0, serialize=False, keepdb=True
        )
        ready = _kept_data_ready(spec=spec) or (
            only == ["cursor"] and _kept_accounts_ready(spec=spec)
        )
        say(f"database {keep}: {'reused' if ready else 'to be built'}")
    else:
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        ready = False
    version = connection.get_database_version()
    if connection.vendor == "postgresql":
        label = f"PostgreSQL {version[0]}"
    else:
        label = f"SQLite {'.'.join(map(str, version))}"
    figures: list[Figure] = []
    try:
        if ("import" in only or "pages" in only) and not ready:
            figures += import_benchmark(folder=data_folder(spec=spec), lines=spec.lines)
            for figure in figures:
                say(figure.line())
        if (
            ("run" in only or "worker" in only or "cursor" in only)
            and "import" not in only
            and "pages" not in only
            and not ready
        ):
            # The run alone: rows straight into the tables, no importer,
            # with a tenth of the lines in other currencies (one without a
            # rate) and support signals for about 60 % of the accounts.
            from bench.frames import (
                frames_from_folder,
                frames_with_currencies_and_signals,
            )
            from bench.run_data import bench_rows_load

            loading = time.perf_counter()
            bench_rows_load(
                frames=frames_with_currencies_and_signals(
                    frames=frames_from_folder(folder=data_folder(spec=spec))
                )
            )
            say(f"rows loaded with COPY ({time.perf_counter() - loading:.1f} s)")
        # A kept database's data is reused, and its run timed again; the
        # pages only need one.
        if "run" in only or ("pages" in only and not ready):
            run_figures = score_run_benchmark()
            for figure in run_figures:
                say(figure.line())
            figures += run_figures
        if "run" in only:
            from accounts.models import User
            from bench.chart_bench import chart_interactive_benchmark
            from scoring.models import ScoreRun
            from scoring.selectors import quadrant_figure_for_user

            current = ScoreRun.objects.get(is_current=True)
            if current.figure is None:
                raise RuntimeError(f"the current run {current.pk} drew no chart")
            chart_figures = chart_interactive_benchmark(figure=current.figure)
            # What the portfolio page draws where plotly.js has no WebGL:
            # everywhere our content security policy applies.
            without_webgl = quadrant_figure_for_user(
                user=User(role=User.Role.OPS), run=current, webgl=False
            )
            if without_webgl is None:
                raise RuntimeError(f"the current run {current.pk} drew no chart")
            chart_figures += chart_interactive_benchmark(
                figure=without_webgl, name=", figure without WebGL"
            )
            for figure in chart_figures:
                say(figure.line())
            figures += chart_figures
        if "worker" in only:
            from bench.run_bench import score_run_worker_benchmark

            worker_figures = score_run_worker_benchmark()
            for figure in worker_figures:
                say(figure.line())
            figures += worker_figures
        if (
            keep is not None
            and not prepare
            and ("pages" in only or "coverage" in only or "cursor" in only)
        ):
            from bench.pages_bench import database_vacuum

            # This PostgreSQL runs with autovacuum off: a kept database's
            # dead rows and stale statistics, left by its build or by the
            # writes of an earlier pass, would be timed with the pages.
            say(f"database {keep}: VACUUM ANALYZE ({database_vacuum():.1f} s)")
        if "pages" in only and prepare:
            from bench.pages_bench import pages_data_prepare

            prepared = pages_data_prepare()
            for figure in prepared:
                say(figure.line())
            figures += prepared
        elif "coverage" in only:
            from bench.pages_bench import coverage_pages_benchmark

            if not ready:
                raise RuntimeError("--only coverage needs a database --prepare built")
            page_figures = coverage_pages_benchmark(requests=requests)
            for figure in page_figures:
                say(figure.line())
            figures += page_figures
        elif "cursor" in only:
            from bench.pages_bench import api_cursor_benchmark

            cursor_figures = api_cursor_benchmark(requests=requests)
            for figure in cursor_figures:
                say(figure.line())
            figures += cursor_figures
        elif "pages" in only:
            page_figures = pages_benchmark(requests=requests)
            for figure in page_figures:
                say(figure.line())
            figures += page_figures
    finally:
        if keep is None:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        else:
            connection.close()
    return figures, label


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Lode benchmarks against baselines")
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS + OPTIONAL_BENCHMARKS
    )
    parser.add_argument("--requests", type=int, default=0, help="0: by scale")
    parser.add_argument("--repeats", type=int, default=0, help="0: by scale")
    parser.add_argument(
        "--keep-database",
        metavar="NAME",
        help="work in this PostgreSQL database and keep it; reuse its data "
        "when it holds the scale's scored accounts",
    )
    parser.add_argument(
        "--prepare",
        action="store_true",
        help="with --keep-database and pages: build the database, time no page",
    )
    parser.add_argument(
        "--results", type=Path, default=Path(os.environ.get("BENCH_RESULTS", RESULTS))
    )
    args = parser.parse_args(argv)
    if args.prepare and args.keep_database is None:
        parser.error("--prepare needs --keep-database")
    only = args.only or BENCHMARKS
    spec = SCALES[args.scale]
    repeats = args.repeats or (3 if spec.accounts <= 10_000 else 1)
    # The small scale keeps the benchmarks from rotting in CI, in under two
    # minutes: fewer requests a page there. The figures that matter are
    # taken at 10k and beyond, with 200 requests a page.
    requests = args.requests or (50 if spec.accounts < 10_000 else 200)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()

    started = time.perf_counter()
    figures: list[Figure] = []
    if "scoring" in only:
        from bench.frames import frames_from_folder
        from bench.scoring_bench import scoring_benchmark

        frames = frames_from_folder(folder=data_folder(spec=spec))
        for figure in scoring_benchmark(frames=frames, repeats=repeats):
            say(figure.line())
            figures.append(figure)
        del frames

    label = "no database"
    if any(
        name in only
        for name in ("import", "pages", "run", "worker", "coverage", "cursor")
    ):
        database_figures, label = database_benchmarks(
            spec=spec,
            only=only,
            requests=requests,
            keep=args.keep_database,
            prepare=args.prepare,
        )
        figures += database_figures

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory = Figure(benchmark="peak memory of the bench process", value=peak, unit="MB")
    say(memory.line())
    figures.append(memory)
    results_append(figures=figures, scale=args.scale, database=label, path=args.results)
    say(f"appended {len(figures)} rows to {args.results}")
    say(f"total {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
