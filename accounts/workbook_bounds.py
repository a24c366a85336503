"""Bound what opening and reading an XLSX workbook may cost; no database here.

An XLSX file is a ZIP of XML parts, and a small one can unpack to hundreds
of megabytes. openpyxl reads the parts with Python's expat parser, which
scans a token it has not yet seen the end of again each time it is fed
more bytes: one comment, tag or processing instruction of 500 MB takes it
hours, where the same bytes as cell text take seconds. So every part is
checked as it is opened (its stated size, its total with the parts opened
before it, how far it unpacks beyond its packed size) and checked again as
it is read: no XML token may run past MARKUP_MAX_BYTES, and no part may
declare a document type (DOCTYPE), which no spreadsheet writes and which is
where XML entity attacks (external files, entity expansion) start.

Imported only when a workbook is read: it imports openpyxl.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import IO, TYPE_CHECKING, Literal, cast

from openpyxl.reader.excel import ExcelReader

from accounts.tabular import WorkbookBoundError

if TYPE_CHECKING:
    from openpyxl import Workbook

# The longest tag, comment or processing instruction read. A spreadsheet
# writes tags of a few hundred bytes; the longest real ones, a list of
# cell ranges, stay far below this. Up to it expat reads a file made of
# nothing else at about the speed of ordinary cells.
MARKUP_MAX_BYTES = 256 * 1024

# How far a part may unpack beyond its packed size. Sheets saved by a
# spreadsheet pack 5 to 50 times; ZIP's own ceiling is about 1,030.
RATIO_MAX = 200
# Parts smaller than this cost nothing to read, however well they pack.
RATIO_FROM_BYTES = 1024 * 1024

_MEGABYTE = 1024 * 1024
_XML_SPACE = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"


def workbook_load(
    stream: IO[bytes],
    *,
    file: str,
    limit: int,
    read_only: bool = True,
    data_only: bool = True,
) -> Workbook:
    """Open a workbook with openpyxl, every part it reads bounded.

    `limit` is the most the parts read may unpack to, together. Raises
    WorkbookBoundError naming the file and the sheet or part.
    """
    reader = BoundedReader(
        stream, file=file, limit=limit, read_only=read_only, data_only=data_only
    )
    reader.read()
    return reader.wb


class BoundedReader(ExcelReader):  # type: ignore[misc]
    """openpyxl's reader, on an archive that bounds every part it opens."""

    def __init__(
        self,
        stream: IO[bytes],
        *,
        file: str,
        limit: int,
        read_only: bool,
        data_only: bool,
    ) -> None:
        super().__init__(stream, read_only=read_only, data_only=data_only)
        self.archive = BoundedArchive(stream, file=file, limit=limit)

    def read_worksheets(self) -> None:
        # Each sheet is named, and all are sized, before any is read:
        # openpyxl reads a sheet without its size whole as it opens.
        for sheet, relation in self.parser.find_sheets():
            self.archive.labels[relation.target] = f"sheet {sheet.name!r}"
        self.archive.sheets_check(list(self.archive.labels))
        super().read_worksheets()


class BoundedArchive(zipfile.ZipFile):
    """A ZIP whose parts are checked as they are opened and as they are read."""

    def __init__(self, stream: IO[bytes], *, file: str, limit: int) -> None:
        super().__init__(stream)
        self.file = file
        self.limit = limit
        # What the user calls a part: "sheet 'Accounts'"; by path otherwise.
        self.labels: dict[str, str] = {}
        self.opened: dict[str, int] = {}

    def label(self, name: str) -> str:
        return self.labels.get(name, f"the part {name}")

    def open(  # type: ignore[override]
        self,
        name: str | zipfile.ZipInfo,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return stream
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        self._size_check(info)
        part = BoundedPart(stream, file=self.file, label=self.label(info.filename))
        return cast(IO[bytes], part)

    def sheets_check(self, names: list[str]) -> None:
        """Refuse the workbook if a sheet, or all it reads, unpacks too far."""
        members = [self.getinfo(name) for name in names if name in self.NameToInfo]
        for info in members:
            self._part_check(info)
        stated = sum(info.file_size for info in members)
        stated += sum(
            size for name, size in self.opened.items() if name not in self.labels
        )
        if stated > self.limit:
            raise WorkbookBoundError(
                self.file,
                f"the workbook unpacks to {_megabytes(stated)}; the limit is "
                f"{_megabytes(self.limit)} (the upload limit); split it or "
                "import fewer rows at once",
            )

    def _size_check(self, info: zipfile.ZipInfo) -> None:
        self._part_check(info)
        self.opened[info.filename] = info.file_size
        if sum(self.opened.values()) > self.limit:
            raise WorkbookBoundError(
                self.file,
                f"the workbook unpacks to more than {_megabytes(self.limit)} "
                "(the upload limit); split it or import fewer rows at once",
            )

    def _part_check(self, info: zipfile.ZipInfo) -> None:
        label = self.label(info.filename)
        if info.file_size > self.limit:
            raise WorkbookBoundError(
                self.file,
                f"{label} unpacks to {_megabytes(info.file_size)}; the limit is "
                f"{_megabytes(self.limit)} (the upload limit); split it or "
                "import fewer rows at once",
            )
        packed = max(info.compress_size, 1)
        if info.file_size >= RATIO_FROM_BYTES and info.file_size > RATIO_MAX * packed:
            raise WorkbookBoundError(
                self.file,
                f"{label} unpacks to {_megabytes(info.file_size)} from "
                f"{_kilobytes(packed)}, {info.file_size // packed:,} times its "
                f"packed size; a spreadsheet's sheets pack at most about "
                f"{RATIO_MAX} times, so this is no workbook Lode reads. Save it "
                "again from the spreadsheet and upload it again",
            )


class BoundedPart(io.BufferedIOBase):
    """A part of a workbook, read through an XML token scanner.

    A part that starts like XML (or like UTF-16 text) is followed token by
    token, at the speed of bytes.find on ordinary content: a stretch with
    no comment, no processing instruction and no long run between two "<"
    is passed on as it is. The rest is scanned one token at a time.
    """

    def __init__(self, stream: IO[bytes], *, file: str, label: str) -> None:
        super().__init__()
        self.stream = stream
        self.file = file
        self.partname = label
        self.scanner: MarkupScanner | None = None
        self.sniffed = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.stream.read(-1 if size is None else size)
        self._scan(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def close(self) -> None:
        self.stream.close()
        super().close()

    def _scan(self, data: bytes) -> None:
        if not data:
            return
        if not self.sniffed:
            self.sniffed = True
            if _looks_like_xml(data):
                self.scanner = MarkupScanner()
        if self.scanner is None:
            return
        try:
            self.scanner.feed(data)
        except MarkupError as error:
            raise WorkbookBoundError(
                self.file,
                f"{self.partname} {error}; no spreadsheet writes that, so "
                "Lode does not read it. Save the workbook again from the "
                "spreadsheet and upload it again",
            ) from error


def _looks_like_xml(head: bytes) -> bool:
    """Say if expat would read these bytes as XML (images and the like not)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")):
        return True
    head = head.removeprefix(_UTF8_BOM).lstrip(_XML_SPACE)
    return not head or head.startswith(b"<")


class MarkupError(Exception):
    """Why a part's XML is refused, as the end of a sentence about it."""


# What starts a comment, a processing instruction, CDATA or a DOCTYPE.
_SPECIAL = re.compile(rb"<[!?]")
_TAG_END = re.compile(rb"[>\"']")
# The bytes that end each token scanned for its end.
_ENDS = {"comment": b"-->", "pi": b"?>", "cdata": b"]]>"}
# Enough bytes after a "<" to tell a tag, a comment, CDATA and a DOCTYPE apart.
_OPENER_BYTES = len(b"<![CDATA[")


def _runs_short(buffer: bytes, start: int, stop: int) -> bool:
    """Say if no stretch between two "<" in buffer[start:stop] is too long."""
    if stop - start <= MARKUP_MAX_BYTES:
        return True
    # A tag is its run and the "<" before it.
    runs = buffer[start:stop].split(b"<")
    return max(map(len, runs)) < MARKUP_MAX_BYTES


class MarkupScanner:
    """Follow a part's XML tokens across reads; refuse the costly ones.

    The state is "text" (between tokens), "tag", "quote" (inside an
    attribute value), "comment", "pi" or "cdata". `carry` holds the bytes
    of the last read that the next one is needed to judge; `start` is the
    offset of the token being read, `body` that of its content.

    Tags hold no "<", so a stretch with no comment, processing instruction
    or CDATA in it, and no long run between two "<", holds only short tags:
    it is passed at the speed of bytes.split. The rest is followed token
    by token.
    """

    def __init__(self) -> None:
        self.state = "text"
        self.quote = b""
        self.carry = b""
        self.offset = 0
        self.start = 0
        self.body = 0

    def feed(self, data: bytes) -> None:
        """Scan the part's next bytes."""
        if not data:
            return
        if b"\x00" in data:
            raise MarkupError(
                "holds NUL bytes: it is UTF-16 or damaged, and Lode reads "
                "workbook XML saved as UTF-8"
            )
        buffer = self.carry + data
        base = self.offset - len(self.carry)
        self.offset += len(data)
        self.carry = b""
        at = 0
        size = len(buffer)
        # The next "<!" or "<?", and how far tags are followed one by one
        # (up to it, past a long text whose run says nothing of its tags).
        special = tokenwise = -1
        while at < size:
            if self.state != "text":
                at = self._inside(buffer, at, base)
                continue
            if special < at:
                found = _SPECIAL.search(buffer, at)
                special = found.start() if found else size
            if tokenwise < at:
                if _runs_short(buffer, at, special):
                    if special == size:
                        # The last "<" may open a tag the next read ends.
                        last = buffer.rfind(b"<", at)
                        if last >= 0:
                            self.carry = buffer[last:]
                        return
                    at = special
                else:
                    tokenwise = special
            opening = buffer.find(b"<", at)
            if opening < 0:
                return
            head = buffer[opening : opening + _OPENER_BYTES]
            if len(head) < _OPENER_BYTES and not self._decided(head):
                self.carry = buffer[opening:]
                return
            self.start = base + opening
            at = self._open(head, opening)
            self.body = base + at
        if self.state == "text":
            return
        self._length_check(base + size - self.start)
        if self.state in _ENDS:
            # An end marker may span two reads; never reach back before the
            # token's content, or "<!--" and "->" would end a comment.
            keep = max(self.body - base, size - (len(_ENDS[self.state]) - 1))
            self.carry = buffer[keep:]

    @staticmethod
    def _decided(head: bytes) -> bool:
        if len(head) < 2:
            return False
        if head[1:2] != b"!":
            return True
        opener = b"<![CDATA[" if head[2:3] == b"[" else b"<!--"
        # Decided once the bytes part from the opener, or hold all of it.
        return not opener.startswith(head) or len(head) >= len(opener)

    def _open(self, head: bytes, opening: int) -> int:
        if head.startswith(b"<!--"):
            self.state = "comment"
            return opening + 4
        if head.startswith(b"<![CDATA["):
            self.state = "cdata"
            return opening + 9
        if head.startswith(b"<!"):
            raise MarkupError(
                "declares a document type (<!DOCTYPE ...>), which is how XML "
                "entity attacks start"
            )
        if head.startswith(b"<?"):
            self.state = "pi"
            return opening + 2
        self.state = "tag"
        return opening + 1

    def _inside(self, buffer: bytes, at: int, base: int) -> int:
        if self.state in _ENDS:
            marker = _ENDS[self.state]
            end = buffer.find(marker, at)
            if end < 0:
                return len(buffer)
            after = end + len(marker)
            # CDATA is read in pieces, at the speed of text.
            if self.state != "cdata":
                self._length_check(base + after - self.start)
            self.state = "text"
            return after
        if self.state == "quote":
            end = buffer.find(self.quote, at)
            if end < 0:
                return len(buffer)
            self.state = "tag"
            return end + 1
        found = _TAG_END.search(buffer, at)
        if found is None:
            return len(buffer)
        if found.group() == b">":
            self._length_check(base + found.end() - self.start)
            self.state = "text"
        else:
            self.quote = found.group()
            self.state = "quote"
        return found.end()

    def _length_check(self, length: int) -> None:
        if length <= MARKUP_MAX_BYTES or self.state == "cdata":
            return
        what = {"comment": "an XML comment", "pi": "a processing instruction"}
        raise MarkupError(
            f"holds {what.get(self.state, 'a tag')} of more than "
            f"{_kilobytes(MARKUP_MAX_BYTES)} (from byte {self.start:,})"
        )


def _megabytes(size: int) -> str:
    return f"{size / _MEGABYTE:,.1f} MB"


def _kilobytes(size: int) -> str:
    return f"{size / 1024:,.0f} KB"
