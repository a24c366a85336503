"""Erase a person's values from what import jobs kept of their rows.

A people import keeps two records of its rows: the notes on single cells
(`ImportJob.issues`) and the row report beside the uploads (rows.csv).
Both quote the uploaded cells, so a rejected or noted row names the person
it was about; erasing that person takes the quotes out of both.

The uploaded files themselves stay under MEDIA_ROOT/imports/<id>/ for the
row report and a retry, and hold the person's own row. Each upload of an
import that held the person's rows is rewritten with the person's values
replaced, row for row, so line numbers in the report still point at the
same rows; the job records what was replaced. Other imports' uploads are
neither read nor rewritten.
"""

import csv
import io
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from accounts.history import ERASED
from accounts.models import ImportJob, ImportRowChange, MappedImport
from accounts.recognise import PERSON
from accounts.tabular import (
    WorkbookBoundError,
    delimiter_sniff,
    text_decode,
    workbook_load,
)
from accounts.upload_retention import upload_folder
from accounts.wizard import ENTITY_LABELS, row_report_path

logger = logging.getLogger(__name__)


def _pattern(values: Sequence[str], *, whole: bool = False) -> re.Pattern[str] | None:
    # Longest first, so a full name goes before its parts. An address is
    # matched in any case, as "INES@..." reaches the same person as
    # "ines@..."; a name only as spelt, so a last name such as "Person"
    # leaves the word "person" in a reason alone. With whole, a value only
    # matches as a whole word: "Ann" leaves "Annual" alone.
    ordered = sorted({value for value in values if value}, key=len, reverse=True)
    if not ordered:
        return None
    alternatives = "|".join(
        f"(?i:{re.escape(value)})" if "@" in value else re.escape(value)
        for value in ordered
    )
    if whole:
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    return re.compile(alternatives)


def _issues_scrub(job: ImportJob, pattern: re.Pattern[str]) -> bool:
    changed = False
    for issue in job.issues:
        for key in ("value", "reason"):
            text = issue.get(key)
            if isinstance(text, str):
                scrubbed = pattern.sub(ERASED, text)
                if scrubbed != text:
                    issue[key] = scrubbed
                    changed = True
    return changed


def _rows_scrub(job: ImportJob, pattern: re.Pattern[str]) -> bool:
    path = row_report_path(job=job)
    if not path.is_file():
        return False

    with path.open(newline="", encoding="utf-8") as rows:
        before = list(csv.reader(rows))
    after = [[pattern.sub(ERASED, cell) for cell in row] for row in before]
    if after == before:
        return False

    # Written aside, then moved over the old report, so a reader never sees
    # half a file.
    scratch = path.with_name(path.name + ".erasing")
    with scratch.open("w", newline="", encoding="utf-8") as rows:
        csv.writer(rows).writerows(after)
    os.replace(scratch, path)
    return True


class _UploadScrub:
    """Replace a person's values in the rows of an uploaded file.

    Anything that identifies them alone (full name, email, phone, notes) is
    replaced wherever it stands as a whole word. Their first name, last name
    and title are replaced only in their own rows, the rows holding such a
    value or both names as cells: a colleague who shares the last name keeps
    it.
    """

    def __init__(self, *, values: Sequence[str], names: Sequence[str]) -> None:
        own = {value for value in names if value}
        self.anywhere = _pattern(
            [value for value in values if value and value not in own], whole=True
        )
        self.own_row = _pattern([*values, *own], whole=True)
        self.first_last = [value for value in names[:2] if value]

    def row(self, cells: list[str]) -> tuple[list[str], int]:
        """Return the row with the values replaced, and how many were."""
        pattern = self.anywhere
        if self._is_own(cells):
            pattern = self.own_row
        if pattern is None:
            return cells, 0
        replaced = 0
        scrubbed = []
        for cell in cells:
            text, count = pattern.subn(ERASED, cell)
            scrubbed.append(text)
            replaced += count
        return scrubbed, replaced

    def _is_own(self, cells: list[str]) -> bool:
        if self.anywhere is not None and any(
            self.anywhere.search(cell) for cell in cells
        ):
            return True
        stripped = {cell.strip() for cell in cells}
        return len(self.first_last) == 2 and all(
            name in stripped for name in self.first_last
        )


def _csv_scrub(path: Path, scrub: _UploadScrub) -> int:
    content = path.read_bytes()
    text, encoding = text_decode(content=content, file=path.name)
    # Excel's "sep=;" first line names the delimiter; it is kept as it was.
    hint = re.match(r'"?sep=(.)"?(\r\n|\r|\n)', text)
    head = hint.group(0) if hint else ""
    body = text[len(head) :]
    delimiter = hint.group(1) if hint else delimiter_sniff(text=body)
    ending = "\r\n" if "\r\n" in body[:65536] else "\n"

    rows = []
    replaced = 0
    for cells in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter):
        cells, count = scrub.row(cells)
        rows.append(cells)
        replaced += count
    if not replaced:
        return 0

    # Each record is written back as one record, and line breaks inside
    # quoted cells stay inside them, so every row keeps its line number.
    out = io.StringIO(newline="")
    out.write(head)
    csv.writer(out, delimiter=delimiter, lineterminator=ending).writerows(rows)
    _replace(path, out.getvalue().encode(encoding))
    return replaced


def _xlsx_scrub(path: Path, scrub: _UploadScrub) -> int:
    # Through the bounds an upload is read with: a stored workbook is an
    # upload all the same, and one that would stall or expand the reader
    # is refused here too (WorkbookBoundError), not read whole.
    with path.open("rb") as stream:
        workbook = workbook_load(
            stream, file=path.name, read_only=False, data_only=False
        )
    replaced = 0
    for worksheet in workbook.worksheets:
        for row in worksheet.iter_rows():
            texts = [cell.value if isinstance(cell.value, str) else "" for cell in row]
            scrubbed, count = scrub.row(texts)
            if not count:
                continue
            replaced += count
            for cell, before, after in zip(row, texts, scrubbed, strict=True):
                if before != after:
                    cell.value = after
    if replaced:
        out = io.BytesIO()
        workbook.save(out)
        _replace(path, out.getvalue())
    workbook.close()
    return replaced


def _replace(path: Path, content: bytes) -> None:
    # Written aside, then moved over the upload, so a reader never sees
    # half a file.
    scratch = path.with_name(path.name + ".erasing")
    scratch.write_bytes(content)
    os.replace(scratch, path)


def _uploads_scrub(
    job: ImportJob, scrub: _UploadScrub
) -> tuple[dict[str, int], dict[str, str]]:
    """Scrub the files a job stored.

    Return the cells replaced per file, and the workbooks refused unread
    by the upload bounds with why: those may still hold the values.
    """
    directory = upload_folder(job.source_directory)
    if directory is None:
        return {}, {}

    replaced: dict[str, int] = {}
    unread: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.endswith(".erasing"):
            continue
        try:
            with path.open("rb") as stream:
                workbook = stream.read(4) == b"PK\x03\x04"
            count = (_xlsx_scrub if workbook else _csv_scrub)(path, scrub)
        except WorkbookBoundError as error:
            # Stored before the bounds refused such a file at upload, say.
            # The job says it was not read, so no one takes it as scrubbed.
            logger.warning("upload %s of import %s refused unread", path, job.pk)
            unread[path.name] = error.message
            continue
        except Exception:
            # A file we cannot read again is left alone and said so; the
            # rest of the erasure must go ahead.
            logger.exception("upload %s of import %s not scrubbed", path, job.pk)
            continue
        if count:
            replaced[path.name] = count
    return replaced, unread


def _stored_sizes_update(job: ImportJob) -> None:
    mapped = MappedImport.objects.filter(job=job).first()
    if mapped is None:
        return
    for stored in mapped.files:
        path = Path(stored["path"])
        if path.is_file():
            stored["size"] = path.stat().st_size
    MappedImport.objects.filter(pk=mapped.pk).update(files=mapped.files)


def import_jobs_values_erase(
    *, person: models.Model, values: Sequence[str], names: Sequence[str] = ()
) -> list[int]:
    """Replace a person's values in imports' reports and uploaded files.

    `names` are the person's first name, last name and title: replaced in
    the uploads only in the person's own rows. Only the uploads of imports
    that held the person's rows are read and rewritten: those that created
    or updated `person`, and people imports whose notes or row report named
    them (a row rejected, or left unchanged). Return the jobs changed.
    """
    pattern = _pattern(values)
    if pattern is None:
        return []
    scrub = _UploadScrub(values=values, names=names)

    changed = []
    people_jobs = set(
        ImportJob.objects.filter(counts__has_key=ENTITY_LABELS[PERSON]).values_list(
            "pk", flat=True
        )
    )
    wrote_person = set(
        ImportRowChange.objects.filter(
            content_type=ContentType.objects.get_for_model(person),
            object_id=person.pk,
        ).values_list("job_id", flat=True)
    )
    scrubbed_directories: set[str] = set()
    jobs = ImportJob.objects.exclude(source_directory="").filter(
        pk__in=people_jobs | wrote_person
    )
    for job in jobs.only("pk", "issues", "source_directory", "erasures").order_by("pk"):
        issues_changed = job.pk in people_jobs and _issues_scrub(job, pattern)
        rows_changed = job.pk in people_jobs and _rows_scrub(job, pattern)
        held_person = job.pk in wrote_person or issues_changed or rows_changed
        # A retry shares its first run's folder; that is scrubbed once.
        files: dict[str, int] = {}
        unread: dict[str, str] = {}
        if held_person and job.source_directory not in scrubbed_directories:
            scrubbed_directories.add(job.source_directory)
            files, unread = _uploads_scrub(job, scrub)
        if not (issues_changed or rows_changed or files or unread):
            continue

        erasure: dict[str, object] = {
            "erased_at": timezone.now().isoformat(),
            "files": files,
            "row_report": rows_changed,
            "notes": issues_changed,
        }
        if unread:
            erasure["unread"] = unread
        job.erasures.append(erasure)
        ImportJob.objects.filter(pk=job.pk).update(
            issues=job.issues, erasures=job.erasures
        )
        if files:
            _stored_sizes_update(job)
        changed.append(job.pk)
    if changed:
        logger.info("erased a person's values from import jobs %s", changed)
    return changed
