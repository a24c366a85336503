"""Choose which sheet of an uploaded workbook a wizard import reads.

A workbook with data on several sheets is refused until a sheet is chosen
(accounts.tabular.SheetChoiceError); the page, the command line and the
API all record the choice here, per file.
"""

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from accounts.importing import ImportFileError
from accounts.models import MappedImport
from accounts.tabular import _ZIP_MAGIC, workbook_load
from accounts.wizard import WizardError

logger = logging.getLogger(__name__)

Choice = TypeVar("Choice")


class UnknownFileError(WizardError):
    """A choice named a file the import does not hold."""


def workbook_sheet_names(*, path: Path, file: str) -> list[str]:
    """Return the sheet names of an XLSX workbook, in workbook order."""
    try:
        with path.open("rb") as stream:
            workbook = workbook_load(stream, file=file)
    except ImportFileError as error:
        raise WizardError(str(error)) from error
    except Exception as error:
        # openpyxl raises several types for a file that is no workbook.
        raise WizardError(
            f"{file} is not an XLSX workbook, so it has no sheets to choose"
        ) from error
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def mapped_import_workbook(*, mapped: MappedImport, file: str | None) -> dict[str, Any]:
    """Return the stored workbook whose sheets are asked for.

    With no file named, the import's only workbook is meant; an import with
    none or several is refused with the names to choose from.
    """
    stored = {one["name"]: one for one in mapped.files}
    if file is not None:
        if file not in stored:
            raise WizardError(f"This import has no file {file!r}.")
        return stored[file]

    books = [one for one in mapped.files if _is_workbook(Path(one["path"]))]
    if len(books) == 1:
        return books[0]
    names = ", ".join(repr(name) for name in stored)
    if not books:
        raise WizardError(
            "This import holds no XLSX workbook, so it has no sheets to "
            f"choose; its files are {names}."
        )
    raise WizardError(
        f"This import holds {len(books)} workbooks; name one as ?file=, one of "
        + ", ".join(repr(one["name"]) for one in books)
        + "."
    )


def _is_workbook(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC


def mapped_import_files_choose(
    *,
    mapped: MappedImport,
    choices: Mapping[str, Choice],
    record: Callable[[dict[str, Any], Choice], None],
    what: str,
) -> None:
    """Record `what` was chosen for each named file, by `record`.

    Another sheet or header row has other columns, so each chosen file's
    mapping and answers are proposed afresh.
    """
    if mapped.confirmed_at is not None:
        raise WizardError("This import has already been started.")
    stored = {file["name"]: file for file in mapped.files}
    for name, choice in choices.items():
        file = stored.get(name)
        if file is None:
            raise UnknownFileError(
                f"This import has no file {name!r}; its files are "
                + ", ".join(repr(known) for known in stored)
                + "."
            )
        record(file, choice)
        mapped.mapping.pop(name, None)
        mapped.answers.pop(name, None)
    mapped.save(update_fields=["files", "mapping", "answers", "updated_at"])
    logger.info("import %s reads %s %s", mapped.job_id, what, dict(choices))


def mapped_import_sheets_choose(
    *, mapped: MappedImport, sheets: Mapping[str, str]
) -> None:
    """Record the sheet each named workbook is read from."""

    def record(file: dict[str, Any], sheet: str) -> None:
        names = workbook_sheet_names(path=Path(file["path"]), file=file["name"])
        if sheet not in names:
            raise WizardError(
                f"{file['name']} has no sheet {sheet!r}; its sheets are "
                + ", ".join(repr(known) for known in names)
                + "."
            )
        file["sheet"] = sheet

    mapped_import_files_choose(
        mapped=mapped, choices=sheets, record=record, what="sheets"
    )
