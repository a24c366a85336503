"""Unpack compressed uploads: a gzipped CSV, or a ZIP of CSV and XLSX files.

An upload is stored as it came; this module replaces a `.gz` or `.zip` with
the files it holds, counting every byte as it is unpacked, so an archive
that unpacks past the upload limit (a ZIP bomb among them) is refused
before it fills the disk. Everything after this reads plain CSV or XLSX
files and counts them at their unpacked size.
"""

from __future__ import annotations

import gzip
import secrets
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

# What an archive may hold: the files the wizard reads.
ARCHIVED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
# Files that travel with an export but hold no rows: left out and listed.
DOCUMENT_SUFFIXES = (
    ".pdf",
    ".doc",
    ".docx",
    ".odt",
    ".rtf",
    ".md",
    ".html",
    ".htm",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
)
DOCUMENT_STEMS = ("readme", "license", "licence", "changelog", "notice")
SYSTEM_FILE = "a file macOS or Windows adds to archives, not data"
DOCUMENT_FILE = "a document or image, not a data file"
BLOCK_BYTES = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ArchiveError(Exception):
    """An archive the wizard cannot unpack, in words for the user."""


def upload_is_archive(*, name: str, path: Path) -> bool:
    """Say if a stored upload is a gzip file or a ZIP archive (not a workbook)."""
    lower = name.lower()
    if lower.endswith(".gz"):
        return True
    if lower.endswith(".zip"):
        return True
    if lower.endswith((".xlsx", ".xlsm")):
        return False
    with path.open("rb") as stream:
        return stream.read(2) == _GZIP_MAGIC


@dataclass
class Unpacked:
    """The files an archive held: those to read, and those left out and why."""

    files: list[tuple[str, Path]]
    skipped: list[tuple[str, str]] = field(default_factory=list)


def upload_unpack(*, name: str, path: Path, limit: int) -> Unpacked:
    """Unpack an archive beside itself; return each file's name and path.

    The archive is removed once unpacked. System files and documents that
    travel with an export are left out and listed with the reason. Raises
    ArchiveError naming the archive and the reason when it cannot be read,
    holds a data file the wizard cannot read, holds nothing it reads, or
    unpacks to more than `limit` bytes.
    """
    try:
        if name.lower().endswith(".zip") or zipfile.is_zipfile(path):
            unpacked = _zip_unpack(name=name, path=path, limit=limit)
        else:
            unpacked = Unpacked([_gzip_unpack(name=name, path=path, limit=limit)])
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as error:
        raise ArchiveError(
            f"{name}: the archive cannot be read ({error}); compress the file "
            "again or upload it uncompressed"
        ) from error
    path.unlink()
    return unpacked


def _gzip_unpack(*, name: str, path: Path, limit: int) -> tuple[str, Path]:
    inner = name[: -len(".gz")] if name.lower().endswith(".gz") else name
    if not inner.lower().endswith(ARCHIVED_SUFFIXES):
        raise ArchiveError(
            f"{name}: a gzip upload must hold a CSV file named like accounts.csv.gz"
        )
    target = path.with_name(Path(inner).name)
    with gzip.open(path, "rb") as source:
        _copy(source=source, target=target, name=name, limit=limit, used=0)
    return Path(inner).name, target


def _zip_unpack(*, name: str, path: Path, limit: int) -> Unpacked:
    with zipfile.ZipFile(path) as archive:
        members: list[zipfile.ZipInfo] = []
        skipped: list[tuple[str, str]] = []
        for member in archive.infolist():
            if member.is_dir():
                continue
            reason = _left_out(member.filename)
            if reason:
                skipped.append((member.filename, reason))
            else:
                members.append(member)
        refused = [
            member.filename
            for member in members
            if not member.filename.lower().endswith(ARCHIVED_SUFFIXES)
        ]
        if refused:
            raise ArchiveError(
                f"{name}: holds {', '.join(refused)}, which Lode cannot read; a "
                "ZIP upload may hold only CSV and XLSX files (save a workbook "
                "in another format as .xlsx or CSV)"
            )
        if not members:
            left = "".join(f"; left out {one}: {why}" for one, why in skipped)
            raise ArchiveError(
                f"{name}: the ZIP archive holds no CSV or XLSX file{left}"
            )
        names = [PurePosixPath(member.filename).name for member in members]
        repeated = sorted({one for one in names if names.count(one) > 1})
        if repeated:
            raise ArchiveError(
                f"{name}: two files in the archive are called "
                f"{', '.join(repeated)}; rename one"
            )
        # The sizes the archive states are checked first, and the bytes
        # actually unpacked after: a forged header cannot get past both.
        stated = sum(member.file_size for member in members)
        if stated > limit:
            raise ArchiveError(_too_large(name, stated, limit))
        unpacked = []
        used = 0
        for member, inner in zip(members, names, strict=True):
            target = path.with_name(inner)
            if target == path:
                raise ArchiveError(f"{name}: the archive holds a file of its own name")
            with archive.open(member) as source:
                used = _copy(
                    source=source, target=target, name=name, limit=limit, used=used
                )
            unpacked.append((inner, target))
    return Unpacked(unpacked, skipped)


def _left_out(filename: str) -> str:
    """Return why an archive member is left out, or "" to read it."""
    parts = PurePosixPath(filename).parts
    # macOS and Windows add these to archives made by their file managers.
    if (
        parts[0] == "__MACOSX"
        or parts[-1].startswith(".")
        or parts[-1].lower() in ("thumbs.db", "desktop.ini")
    ):
        return SYSTEM_FILE
    base = PurePosixPath(parts[-1])
    if base.suffix.lower() in DOCUMENT_SUFFIXES or base.stem.lower() in (
        DOCUMENT_STEMS
    ):
        return DOCUMENT_FILE
    return ""


def _copy(*, source: _Readable, target: Path, name: str, limit: int, used: int) -> int:
    """Copy until the end or until the archive's bytes pass `limit`."""
    with target.open("wb") as out:
        while block := source.read(BLOCK_BYTES):
            used += len(block)
            if used > limit:
                out.close()
                target.unlink()
                raise ArchiveError(_too_large(name, used, limit, at_least=True))
            out.write(block)
    return used


def _too_large(name: str, size: int, limit: int, *, at_least: bool = False) -> str:
    # Reading stops at the limit, so the whole size is then unknown.
    unpacked = (
        "more than the upload limit of"
        if at_least
        else f"{_megabytes(size)}, over the upload limit of"
    )
    return (
        f"{name}: unpacks to {unpacked} {_megabytes(limit)}; split the file or "
        "import fewer rows at once"
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f} MB"


def upload_directory_create(*, root: Path, job_id: int) -> Path:
    """Make a new, empty folder under `root` for one job's uploaded files.

    Named by the job and a random suffix: a job's number is unique only in
    its own database, and two databases (a restored backup, a second
    instance) may share MEDIA_ROOT. A folder named by the number alone was
    reused, and a second upload's file overwrote, in place, one a run was
    still reading, which then ended early as if the file ended there.
    """
    root.mkdir(parents=True, exist_ok=True)
    while True:
        directory = root / f"{job_id}-{secrets.token_hex(4)}"
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        return directory


def archive_remove(*, directory: Path) -> None:
    """Remove an upload's directory after a refused archive."""
    shutil.rmtree(directory, ignore_errors=True)
