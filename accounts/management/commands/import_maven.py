from collections.abc import Container
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.importing import ACTIONS, issues_grouped
from accounts.models import ImportJob
from accounts.services import (
    BUNDLED_DATA,
    import_table_name,
    maven_import_directory,
)
from config.security import command_line_audited

ISSUE_COLUMNS = ["file", "line", "column", "value", "action", "reason"]
COUNT_COLUMNS = ["created", "updated", "unchanged", "rejected"]


class Command(BaseCommand):
    help = (
        "Import a Maven-style CRM export (accounts.csv, products.csv, "
        "sales_teams.csv, sales_pipeline.csv) and report every issue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "directory",
            nargs="?",
            default=str(BUNDLED_DATA),
            help="directory holding the four CSV files (default: the bundled data)",
        )
        parser.add_argument(
            "--keep-good-rows",
            action="store_true",
            help="write the good rows even when some are rejected",
        )
        parser.add_argument(
            "--max-issues",
            type=int,
            default=0,
            help="print at most this many issues, rejected first (default 0: all)",
        )
        parser.add_argument(
            "--every-row",
            action="store_true",
            help=(
                "list each row rejected for a missing product, agent or account, "
                "instead of one line per missing entry"
            ),
        )

    def handle(self, *args: object, **options: object) -> None:
        directory = Path(str(options["directory"]))
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")

        # The job and the access changes it audits say they came from here.
        with command_line_audited(command="import_maven"):
            job = maven_import_directory(
                directory=directory,
                keep_good_rows=bool(options["keep_good_rows"]),
                progress=self._progress,
            )

        self._print_counts(job)
        self._print_issues(
            job,
            limit=int(str(options["max_issues"])),
            every_row=bool(options["every_row"]),
        )
        self.stdout.write(f"Import {job.pk}: {job.get_status_display()}")
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(f"the import failed: {job.error}")
        if job.status == ImportJob.Status.REJECTED:
            raise CommandError(
                "the import was rejected and nothing was written; fix the rows "
                "above or run again with --keep-good-rows"
            )

    def _progress(self, percent: int, message: str) -> None:
        self.stdout.write(f"[{percent:3d}%] {message}")

    def _print_counts(self, job: ImportJob) -> None:
        if not job.counts:
            return
        rows = [
            [import_table_name(table), *(f"{counts[name]:,}" for name in COUNT_COLUMNS)]
            for table, counts in job.counts.items()
        ]
        self.stdout.write("")
        self._table(["table", *COUNT_COLUMNS], rows, right=range(1, 5))

    def _print_issues(self, job: ImportJob, *, limit: int, every_row: bool) -> None:
        if not job.issues:
            self.stdout.write("\nNo issues.")
            return
        # Rejected first, then repaired, then kept: what stopped the import.
        issues = sorted(job.issues, key=lambda issue: ACTIONS.index(issue["action"]))
        by_action = {
            action: sum(1 for issue in issues if issue["action"] == action)
            for action in ACTIONS
        }
        summary = ", ".join(
            f"{count:,} {action}" for action, count in by_action.items() if count
        )
        noun = "issue" if len(issues) == 1 else "issues"
        self.stdout.write(f"\n{len(issues):,} {noun}: {summary}")
        listed = issues if every_row else issues_grouped(issues)
        shown = listed[:limit] if limit else listed
        rows = [[str(issue[name]) for name in ISSUE_COLUMNS] for issue in shown]
        self._table(ISSUE_COLUMNS, rows, right=[1])
        if len(shown) < len(listed):
            self.stdout.write(f"... and {len(listed) - len(shown):,} more")
        if len(listed) < len(issues):
            folded = len(issues) - len(listed)
            said = "1 row rejected for the same missing entry is folded into one line"
            if folded != 1:
                said = (
                    f"{folded:,} rows rejected for the same missing entry are "
                    "folded into one line each"
                )
            self.stdout.write(f"{said}; --every-row lists them all")

    def _table(
        self, header: list[str], rows: list[list[str]], right: Container[int]
    ) -> None:
        widths = [
            max(len(str(cell)) for cell in [title, *(row[i] for row in rows)])
            for i, title in enumerate(header)
        ]

        def line(cells: list[str]) -> str:
            return "  ".join(
                str(cell).rjust(width) if i in right else str(cell).ljust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        self.stdout.write(line(header))
        self.stdout.write(line(["-" * width for width in widths]))
        for row in rows:
            self.stdout.write(line(row))
