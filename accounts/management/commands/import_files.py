"""Import CRM, ERP or support exports from the command line, as the wizard."""

import shlex
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from accounts.import_checks import WindowMove
from accounts.importing import REJECTED, ImportFileError
from accounts.models import ImportJob, InvoicesWithoutRate, MappedImport, User
from accounts.tabular import SheetChoiceError
from accounts.wizard import (
    QUESTION,
    FilePreview,
    Outcome,
    WizardError,
    currency_answer_meant,
    currency_question_key,
    issue_place,
    mapped_import_answer,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_for_job,
    mapped_import_mapping_confirm,
    mapped_import_merges_kept,
    mapped_import_merges_set,
    mapped_import_merges_unknown,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
    mapping_from_json,
)
from accounts.wizard_delimiters import (
    mapped_import_csv_files,
    mapped_import_delimiters_choose,
)
from accounts.wizard_forewarn import (
    import_warnings_to_confirm,
    import_warnings_unconfirmed,
    mapped_import_warnings,
)
from accounts.wizard_headers import mapped_import_headers_choose
from accounts.wizard_number_formats import mapped_import_number_formats_choose
from accounts.wizard_sheets import mapped_import_sheets_choose
from config.security import command_line_audited

COUNT_COLUMNS = ["created", "updated", "unchanged", "rejected"]
XLSX = (".xlsx", ".xlsm")
# How many of the lines skipped above a header row are printed.
SKIPPED_SHOWN = 3
# What a warning that stops --yes says to do, as the page says to tick.
ACCEPT_HOW = "Run again with --accept-warnings to import anyway."


def counts_table(counts: dict[str, dict[str, int]]) -> list[str]:
    """Return the counts as lines of a table whose columns line up.

    Each column is as wide as its widest cell, so a long table name
    ("Account team members") or a count in the millions moves no column.
    """
    rows = [["records", *COUNT_COLUMNS]] + [
        [table, *(f"{count.get(c, 0):,}" for c in COUNT_COLUMNS)]
        for table, count in counts.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


def rejection_reason(job: ImportJob) -> str:
    """Say why a run wrote nothing, from the issues it recorded."""
    rejected = [issue for issue in job.issues if issue["action"] == REJECTED]
    reasons = [
        f"{issue['file']}: {issue['reason']}" if issue["file"] else issue["reason"]
        for issue in rejected
        if not issue["line"]
    ]
    reasons += [
        f"{issue['file']}: {issue['reason']} Answer with --answer "
        f"'{issue['file']}:{issue['column']}=<{issue['value']}>'"
        for issue in job.issues
        if issue["action"] == QUESTION
    ]
    rows = len({(issue["file"], issue["line"]) for issue in rejected if issue["line"]})
    if rows:
        reasons.append(
            f"{rows:,} row{'s' if rows != 1 else ''} rejected (listed above), so "
            "nothing was written; fix them, or write the other rows with "
            "--keep-good-rows"
        )
    return "; ".join(reasons) or "nothing was written"


class Command(BaseCommand):
    help = (
        "Import CSV or XLSX exports (Salesforce, HubSpot, ERP, support desk, "
        "currency rates, people) through the import wizard. Without --yes it only "
        "shows the mapping, the problems and what would be written."
    )

    def create_parser(
        self, prog_name: str, subcommand: str, **kwargs: Any
    ) -> CommandParser:
        # "--map" must not quietly stand for --mapping (or fail half-read).
        return super().create_parser(
            prog_name, subcommand, allow_abbrev=False, **kwargs
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", help="CSV or XLSX files")
        parser.add_argument(
            "--mapping",
            help='JSON, or a path to a JSON file: {"file.csv": {"Column": '
            '"account.name", ...}}; only the columns named change ("" leaves one '
            "out), the others keep the proposed mapping",
        )
        parser.add_argument(
            "--answer",
            action="append",
            default=[],
            metavar="FILE:COLUMN=OPTION",
            help="answer a column's question as the check prints it, e.g. "
            "deals.csv:Close Date=day-first, accounts.csv:Revenue=, (decimal "
            "comma), accounts.csv:Annual Revenue=EUR (the currency of amounts "
            "without one; also accepted as ...:Annual Revenue|currency=EUR) or "
            "users.csv:Role=Boss=manager (a role value's Lode role); a deal "
            "stage's answer (deals.csv:Stage=Verbal|stage=won) is saved with the "
            "mapping, and =clear forgets it",
        )
        parser.add_argument(
            "--sheet",
            action="append",
            default=[],
            metavar="[FILE:]SHEET",
            help="the sheet to read from a workbook with data on several, e.g. "
            "export.xlsx:Accounts; without FILE, from every workbook given",
        )
        parser.add_argument(
            "--delimiter",
            action="append",
            default=[],
            metavar="[FILE:]DELIMITER",
            help="the delimiter that separates a CSV file's columns: comma, "
            "semicolon or tab, e.g. export.csv:comma, where the one detected is "
            "not it or the file is refused as mixing two; the others are read "
            "as text. Without FILE, for every CSV file given",
        )
        parser.add_argument(
            "--number-format",
            action="append",
            default=[],
            metavar="[FILE:]FORMAT",
            help="the number format every amount of a file is written in: "
            "'1,234.56', '1.234,56' or '1 234,56', e.g. 'export.csv:1.234,56', "
            "or detect (each column's decimal mark detected, the default). A "
            "value written otherwise is refused. Without FILE, for every file "
            "given",
        )
        parser.add_argument(
            "--header-row",
            action="append",
            default=[],
            metavar="[FILE:]LINE",
            help="the line of the header row, where the one found is not it, "
            "e.g. report.csv:4; without FILE, in every file given. The lines "
            "above it are skipped",
        )
        parser.add_argument(
            "--merge",
            action="append",
            nargs=2,
            default=[],
            metavar=("NAME", "ACCOUNT"),
            help="accept one proposed match as the check prints it: rows naming "
            "NAME (an account, or the company of a person, deal, revenue line or "
            "support signal) are the existing ACCOUNT",
        )
        parser.add_argument(
            "--merge-proposed",
            action="store_true",
            help="accept every proposed match: merge each proposed duplicate "
            "into the existing account",
        )
        parser.add_argument(
            "--keep-good-rows",
            action="store_true",
            help="write the good rows even when some are rejected",
        )
        parser.add_argument(
            "--invoices-without-rate",
            choices=InvoicesWithoutRate.values,
            default=InvoicesWithoutRate.KEEP_DEALS,
            help="where no stored rate converts the invoices of a quarter that "
            "counts won deals (the check prints each as NO RATE): keep_deals, "
            "the default, keeps counting the deals until a rate is stored; "
            "replace_deals lets the invoices replace them at once",
        )
        parser.add_argument(
            "--window",
            choices=ImportJob.Window.values,
            default=ImportJob.Window.KEEP,
            help="where the import would move the scoring window (the check "
            "prints WINDOW): keep, the default, keeps scoring the twelve months "
            "it scores now; move lets the import's revenue move it (confirm "
            "with --accept-warnings when accounts would have no revenue in it)",
        )
        parser.add_argument(
            "--yes", action="store_true", help="write the import, not only check it"
        )
        parser.add_argument(
            "--accept-warnings",
            action="store_true",
            help="with --yes, write past the warnings the check page asks to "
            "confirm (such as a scoring window move that leaves accounts "
            "without revenue); without it such a warning stops the import",
        )
        parser.add_argument(
            "--undo", type=int, metavar="JOB", help="undo the wizard import JOB"
        )
        parser.add_argument(
            "--user",
            metavar="LOGIN",
            help="the sales ops user the import (or undo) is recorded as; "
            'without it the audit names "command line". A users file may give '
            "the ops role only with this",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # The job and every audit record it leads to say it came from here,
        # and who ran it: the --user given, or the command line itself.
        with command_line_audited(command="import_files"):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        user = self._user(options["user"])
        if options["undo"]:
            self._undo(options["undo"], user)
            return
        paths = [Path(name) for name in options["files"]]
        if not paths:
            raise CommandError("name at least one file, or --undo JOB")
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError("no such file: " + ", ".join(missing))

        try:
            self._import(paths, options, user)
        except (WizardError, ImportFileError) as error:
            raise CommandError(str(error)) from error

    def _user(self, login: str | None) -> User | None:
        if not login:
            return None
        user = User.objects.filter(username=login, is_active=True).first()
        if user is None or not user.is_ops:
            raise CommandError(f"{login!r} is not an active sales ops user")
        return user

    def _import(
        self, paths: list[Path], options: dict[str, Any], user: User | None
    ) -> None:
        mapped = mapped_import_create_from_paths(user=user, paths=paths)
        sheets = self._sheets(options["sheet"], paths)
        if sheets:
            mapped_import_sheets_choose(mapped=mapped, sheets=sheets)
        delimiters = self._delimiters(options["delimiter"], paths, mapped)
        if delimiters:
            mapped_import_delimiters_choose(mapped=mapped, delimiters=delimiters)
        number_formats = self._number_formats(options["number_format"], paths)
        if number_formats:
            mapped_import_number_formats_choose(mapped=mapped, formats=number_formats)
        header_rows = self._header_rows(options["header_row"], paths)
        if header_rows:
            mapped_import_headers_choose(mapped=mapped, headers=header_rows)
        try:
            previews = mapped_import_files_read(mapped=mapped)
        except SheetChoiceError as error:
            raise CommandError(
                f"{error}; name it with --sheet '{error.file}:<sheet>'"
            ) from error
        mapping = {
            preview.name: {c: list(t) for c, t in preview.mapping.items()}
            for preview in previews
        }
        if options["mapping"]:
            text = options["mapping"]
            if not text.lstrip().startswith("{"):
                text = Path(text).read_text(encoding="utf-8")
            for file, columns in mapping_from_json(text=text).items():
                self._columns_check(file, columns, previews)
                mapping.setdefault(file, {}).update(columns)
        problems = mapped_import_mapping_confirm(
            mapped=mapped, mapping=mapping, user=user
        )
        for preview in previews:
            rows = (
                f"{preview.row_count:,} {ngettext('row', 'rows', preview.row_count)}"
                if preview.row_count is not None
                else f"more than {preview.table.row_count:,} rows"
            )
            self.stdout.write(
                f"{preview.name}: {preview.table.describe()} "
                f"{rows}, {preview.kind} ({preview.source})"
            )
            if preview.number_format_said():
                self.stdout.write(f"  {preview.number_format_said()}")
            header = preview.table.header
            if header is not None:
                self.stdout.write(f"  {header.describe()}")
                if header.doubts and not header.chosen:
                    self.stdout.write(
                        f"  Choose another with --header-row '{preview.name}:<line>'"
                    )
                # A report's preamble may run to dozens of lines: the first
                # few say what was skipped, the count above says how much.
                for line, cells in header.skipped[:SKIPPED_SHOWN]:
                    said = ", ".join(cell for cell in cells if cell.strip())
                    self.stdout.write(f"  line {line} skipped: {said}")
                rest = header.skipped[SKIPPED_SHOWN:]
                if rest:
                    self.stdout.write(
                        f"  and {len(rest)} more line{'s' if len(rest) != 1 else ''}"
                        f" skipped, up to line {rest[-1][0]}"
                    )
            # The arrows line up, so the targets read as a column.
            width = max((len(column) for column in preview.table.columns), default=0)
            for column in preview.table.columns:
                target = mapping.get(preview.name, {}).get(column)
                shown = ".".join(target) if target and target[0] else "(not imported)"
                self.stdout.write(f"  {column:<{width}} -> {shown}")
        if problems:
            lines = [f"{file}: {p}" for file, found in problems.items() for p in found]
            raise CommandError("the mapping cannot be used:\n" + "\n".join(lines))

        for answer in options["answer"]:
            target, _, option = answer.rpartition("=")
            file, _, column = target.partition(":")
            if currency_answer_meant(column=column, option=option):
                column = currency_question_key(column=column)
            mapped_import_answer(mapped=mapped, file=file, column=column, option=option)

        merges = self._merges(options["merge"])
        for incoming, existing in mapped_import_merges_kept(merges=merges).items():
            self.stdout.write(
                f"MERGED BEFORE {incoming!r} is kept as another name of "
                f"{existing!r}; nothing to merge"
            )
        if merges:
            unknown = mapped_import_merges_unknown(mapped=mapped, merges=merges)
            if unknown:
                raise CommandError("--merge: " + "; ".join(unknown))
            mapped_import_merges_set(mapped=mapped, merges=merges)
        if not options["yes"] or options["merge_proposed"]:
            outcome = mapped_import_check(mapped=mapped)
            by_proposed: set[str] = set()
            if options["merge_proposed"]:
                outcome, merges, by_proposed = self._proposals_merged(
                    mapped, outcome, merges
                )
            for file, column, decision in outcome.decisions:
                where = f"{file}: {column}" if column else file
                self.stdout.write(f"DECIDED {where}: {decision}")
            if outcome.problems:
                raise CommandError(
                    f"import {mapped.job_id} cannot be written:\n"
                    + "\n".join(outcome.problems)
                )
            for saved in outcome.saved_answers:
                self.stdout.write(
                    f"SAVED ANSWER {saved['file']}: {saved['message']}. Change "
                    f"with --answer '{saved['file']}:{saved['column']}="
                    f"<{'|'.join([*saved['options'], 'clear'])}>'"
                )
            for file, question in outcome.questions:
                self.stdout.write(
                    f"QUESTION {file}: {question.message} Answer with --answer "
                    f"'{file}:{question.column}=<{'|'.join(question.options)}>'"
                )
            if outcome.questions:
                raise CommandError(
                    f"import {mapped.job_id} needs answers before it can be written"
                )
            for proposal in outcome.proposals:
                rows = proposal["rows"]
                if proposal["incoming"] in by_proposed:
                    accept = "Accepted by --merge-proposed"
                elif proposal["merged"]:
                    accept = "accepted"
                else:
                    accept = "Accept with --merge " + shlex.join(
                        [proposal["incoming"], proposal["existing"]]
                    )
                self.stdout.write(
                    f"DUPLICATE? {proposal['incoming']!r} is "
                    f"{proposal['existing']!r}: {proposal['reason']} ({rows:,} "
                    f"row{'s' if rows != 1 else ''} of {proposal['records']}). "
                    f"{accept}"
                )
            for warning in outcome.warnings:
                self.stdout.write(f"WARNING {warning}")
            window_move = outcome.window
            if window_move is not None:
                self._window_print(window_move, options["window"])
            chosen = options["invoices_without_rate"]
            for item in outcome.waiting:
                self.stdout.write(
                    f"NO RATE {item.text}. {InvoicesWithoutRate(chosen).label} "
                    f"(--invoices-without-rate {chosen})"
                )
            for change in outcome.changes:
                for one in change["fields"]:
                    self.stdout.write(
                        f"CHANGE {change['record']}: {one['field']} "
                        f"{one['old']} -> {one['new']}"
                    )
            confirmations = list(outcome.confirmations)
            window_warning = outcome.window_warning
            if window_warning is not None:
                confirmations += import_warnings_to_confirm(
                    warnings=[window_warning], window=options["window"]
                )
            if not options["yes"]:
                self._print(outcome.counts, [i.as_dict() for i in outcome.issues])
                flags = "--yes --accept-warnings" if confirmations else "--yes"
                self.stdout.write(
                    f"Checked import {mapped.job_id}: nothing written. "
                    f"Run again with {flags} to write it."
                )
                return

        else:
            # The write checks as it goes; its warnings are said first, as
            # the page and the API say them for the same files.
            warnings = mapped_import_warnings(mapped=mapped)
            for one in warnings:
                self.stdout.write(f"WARNING {one.text}")
            window_move = next((one.window for one in warnings if one.window), None)
            if window_move is not None:
                self._window_print(window_move, options["window"])
            confirmations = import_warnings_to_confirm(
                warnings=warnings, window=options["window"]
            )

        # The page starts past these only once they are ticked, the API
        # once confirm_warnings is sent; here, once --accept-warnings is.
        unconfirmed = import_warnings_unconfirmed(
            confirmations=confirmations,
            confirmed=options["accept_warnings"],
            how=ACCEPT_HOW,
        )
        if unconfirmed:
            raise CommandError("\n".join(unconfirmed))

        # With --yes the run checks as it writes, in one pass over the files;
        # all or nothing unless --keep-good-rows.
        mapped_import_start(
            mapped=mapped,
            merges=merges,
            keep_good_rows=options["keep_good_rows"],
            invoices_without_rate=options["invoices_without_rate"],
            window=options["window"],
            window_move=window_move,
            enqueue=False,
        )
        job = mapped_import_run(mapped=mapped)
        self._print(job.counts, job.issues)
        self.stdout.write(f"Import {job.pk}: {job.get_status_display()}")
        if job.status != ImportJob.Status.SUCCEEDED:
            reason = job.error or rejection_reason(job)
            raise CommandError(f"import {job.pk} ended {job.status}: {reason}")

    def _window_print(self, move: WindowMove, chosen: str) -> None:
        """Print the window choice, marking the one this run takes."""
        for value, said in (
            (ImportJob.Window.KEEP, move.keep_said),
            (ImportJob.Window.MOVE, move.move_said),
        ):
            taken = "chosen" if value == chosen else "choose"
            self.stdout.write(f"WINDOW {said}: {taken} with --window {value}")

    def _proposals_merged(
        self, mapped: MappedImport, outcome: Outcome, merges: dict[str, str]
    ) -> tuple[Outcome, dict[str, str], set[str]]:
        """Check again with every proposal merged, as the write will merge them.

        Return that check, the merges the write takes and the names that
        --merge-proposed merged. Rows attached by one merge may bring another
        proposal to light, so this repeats until no new one appears.
        """
        by_proposed: set[str] = set()
        while True:
            proposed = {
                p["incoming"]: p["existing"]
                for p in outcome.proposals
                if p["incoming"] not in merges
            }
            if not proposed:
                return outcome, merges, by_proposed
            by_proposed |= set(proposed)
            merges = {**proposed, **merges}
            mapped_import_merges_set(mapped=mapped, merges=merges)
            outcome = mapped_import_check(mapped=mapped)

    def _columns_check(
        self, file: str, columns: dict[str, list[str]], previews: list[FilePreview]
    ) -> None:
        preview = next((p for p in previews if p.name == file), None)
        if preview is None:
            return
        unknown = [column for column in columns if column not in preview.table.columns]
        if unknown:
            raise CommandError(
                f"--mapping names {', '.join(map(repr, unknown))}, which {file} "
                "does not have; its columns are "
                + ", ".join(map(repr, preview.table.columns))
            )

    def _merges(self, given: list[list[str]]) -> dict[str, str]:
        merges: dict[str, str] = {}
        for incoming, existing in given:
            earlier = merges.setdefault(incoming, existing)
            if earlier != existing:
                raise CommandError(
                    f"--merge {incoming!r} is given twice, as {earlier!r} and as "
                    f"{existing!r}; name one account for it"
                )
        return merges

    def _sheets(self, given: list[str], paths: list[Path]) -> dict[str, str]:
        # A sheet name cannot hold ":", so the last one ends the file name.
        names = [path.name for path in paths]
        sheets: dict[str, str] = {}
        for value in given:
            file, colon, sheet = value.rpartition(":")
            if not colon:
                workbooks = [name for name in names if name.lower().endswith(XLSX)]
                sheets.update(dict.fromkeys(workbooks, sheet))
                continue
            sheets[_file_named("--sheet", value, file, names)] = sheet
        return sheets

    def _delimiters(
        self, given: list[str], paths: list[Path], mapped: MappedImport
    ) -> dict[str, str]:
        # A delimiter is one character or a word: the last ":" ends the
        # file name, and "export.csv::" would name the colon, which is none.
        names = [path.name for path in paths]
        chosen: dict[str, str] = {}
        for value in given:
            file, colon, delimiter = value.rpartition(":")
            if not colon:
                csv_files = mapped_import_csv_files(mapped=mapped)
                chosen.update(dict.fromkeys(csv_files, delimiter))
                continue
            chosen[_file_named("--delimiter", value, file, names)] = delimiter
        return chosen

    def _number_formats(self, given: list[str], paths: list[Path]) -> dict[str, str]:
        # A format holds no ":", so the last one ends the file name.
        names = [path.name for path in paths]
        chosen: dict[str, str] = {}
        for value in given:
            file, colon, number_format = value.rpartition(":")
            if not colon:
                chosen.update(dict.fromkeys(names, number_format))
                continue
            chosen[_file_named("--number-format", value, file, names)] = number_format
        return chosen

    def _header_rows(self, given: list[str], paths: list[Path]) -> dict[str, int]:
        # A line number holds no ":", so the last one ends the file name.
        names = [path.name for path in paths]
        rows: dict[str, int] = {}
        for value in given:
            file, _, line = value.rpartition(":")
            if not line.isdigit() or int(line) < 1:
                raise CommandError(
                    f"--header-row {value!r}: give the header's line number "
                    "from 1, e.g. report.csv:4"
                )
            if not file:
                rows.update(dict.fromkeys(names, int(line)))
                continue
            rows[_file_named("--header-row", value, file, names)] = int(line)
        return rows

    def _print(self, counts: dict[str, dict[str, int]], issues: list[dict]) -> None:
        for row in counts_table(counts):
            self.stdout.write(row)
        for issue in issues:
            file, line = issue_place(issue)
            self.stdout.write(
                f"{file}{f':{line}' if line else ''} {issue['column']} "
                f"{issue['value']!r}: {issue['reason']} ({issue['action']})"
            )

    def _undo(self, job_id: int, user: User | None) -> None:
        mapped = mapped_import_for_job(job_id=job_id)
        if mapped is None:
            raise CommandError(f"no wizard import {job_id}")
        try:
            said = mapped_import_undo(mapped=mapped, user=user)
        except WizardError as error:
            raise CommandError(str(error)) from error
        for line in [*said.kept, *said.users]:
            self.stdout.write(line)
        self.stdout.write(f"Import {job_id} undone.")


def _file_named(option: str, value: str, file: str, names: list[str]) -> str:
    """Return the given file a per-file option's value names, or refuse it."""
    name = Path(file).name
    if name not in names:
        raise CommandError(
            f"{option} {value!r} names {name!r}, which is not one of the files given"
        )
    return name
