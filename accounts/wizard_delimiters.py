"""Choose the delimiter a wizard import reads an uploaded CSV file with.

The delimiter is detected (accounts.tabular.delimiter_sniff); a file that
holds a second one inside its values and header names is refused as mixing
them until the user says which separates the columns. The page, the
command line and the API all record that choice here, per file.
"""

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accounts.importing import ImportFileError
from accounts.models import MappedImport
from accounts.streaming import table_chunks
from accounts.tabular import _ZIP_MAGIC, delimiter_choice_read
from accounts.wizard import WizardError
from accounts.wizard_sheets import mapped_import_files_choose

logger = logging.getLogger(__name__)

# Enough rows to see the delimiter split the file; the preview reads more.
_HEAD_ROWS = 20


def mapped_import_delimiters_choose(
    *, mapped: MappedImport, delimiters: Mapping[str, str | None]
) -> None:
    """Record the delimiter of each named CSV file; None detects it again.

    A delimiter is named as "comma", "semicolon" or "tab", or as itself;
    one that does not split the file's first rows into its header's
    columns is refused, naming the row.
    """

    def record(file: dict[str, Any], choice: str | None) -> None:
        # A choice, even "detect", replaces one reused from a saved mapping.
        file.pop("delimiter_saved", None)
        file["delimiter_looked"] = True
        if choice is None or choice == "":
            file.pop("delimiter", None)
            return
        try:
            delimiter = delimiter_choice_read(choice=choice, file=file["name"])
        except ValueError as error:
            raise WizardError(str(error)) from error
        if _is_workbook(Path(file["path"])):
            raise WizardError(
                f"{file['name']}: an XLSX workbook has no delimiter to choose; "
                "its cells are read as they are"
            )
        _delimiter_read(file=file, delimiter=delimiter)
        file["delimiter"] = delimiter

    mapped_import_files_choose(
        mapped=mapped, choices=delimiters, record=record, what="delimiters"
    )


def mapped_import_csv_files(*, mapped: MappedImport) -> list[str]:
    """Return the names of the import's files that are not workbooks."""
    return [
        file["name"] for file in mapped.files if not _is_workbook(Path(file["path"]))
    ]


def _is_workbook(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC


def _delimiter_read(*, file: Mapping, delimiter: str) -> None:
    """Read a stored file's head with `delimiter`, or refuse it in words."""
    chunks = table_chunks(
        path=Path(file["path"]),
        file=file["name"],
        rows=_HEAD_ROWS,
        sheet=file.get("sheet"),
        header_line=file.get("header_line"),
        delimiter=delimiter,
    )
    try:
        next(chunks)
    except ImportFileError as error:
        raise WizardError(str(error)) from error
    finally:
        chunks.close()
