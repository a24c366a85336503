"""Erase a person's values from what import jobs kept of their rows.

A people import keeps two records of its rows: the notes on single cells
(`ImportJob.issues`) and the row report beside the uploads (rows.csv).
Both quote the uploaded cells, so a rejected or noted row names the person
it was about; erasing that person takes the quotes out of both.
"""

import csv
import logging
import os
import re
from collections.abc import Sequence

from accounts.history import ERASED
from accounts.models import ImportJob
from accounts.recognise import PERSON
from accounts.wizard import ENTITY_LABELS, row_report_path

logger = logging.getLogger(__name__)


def _pattern(values: Sequence[str]) -> re.Pattern[str] | None:
    # Longest first, so a full name goes before its parts. An address is
    # matched in any case, as "INES@..." reaches the same person as
    # "ines@..."; a name only as spelt, so a last name such as "Person"
    # leaves the word "person" in a reason alone.
    ordered = sorted({value for value in values if value}, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(
        "|".join(
            f"(?i:{re.escape(value)})" if "@" in value else re.escape(value)
            for value in ordered
        )
    )


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


def import_jobs_values_erase(*, values: Sequence[str]) -> list[int]:
    """Replace the values in people imports' reports; return the jobs changed."""
    pattern = _pattern(values)
    if pattern is None:
        return []

    changed = []
    jobs = ImportJob.objects.filter(counts__has_key=ENTITY_LABELS[PERSON])
    for job in jobs.only("pk", "issues", "source_directory").order_by("pk"):
        issues_changed = _issues_scrub(job, pattern)
        if issues_changed:
            ImportJob.objects.filter(pk=job.pk).update(issues=job.issues)
        if _rows_scrub(job, pattern) or issues_changed:
            changed.append(job.pk)
    if changed:
        logger.info("erased a person's values from import jobs %s", changed)
    return changed
