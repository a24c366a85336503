"""Read and check a Maven-style CRM export with pandas; no database here.

The export is four CSV files (accounts, products, sales_teams and
sales_pipeline). `maven_tables_read` turns them into clean DataFrames, one per
table we write, and a complete list of issues: every row repaired, rejected or
kept with a remark, with its file, its line as a spreadsheet counts it (the
header is line 1), the column, the value, the reason and the action taken.

Checks run column by column, never row by row: a 1M-line export is checked in
seconds. In the clean frames money is held in whole cents (Int64), so sums
are exact and cheap; dates are datetime64 (NaT when blank); whole numbers are
Int64. The writer turns them into database values.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pandas as pd

ACCOUNTS = "accounts.csv"
PRODUCTS = "products.csv"
SALES_TEAMS = "sales_teams.csv"
SALES_PIPELINE = "sales_pipeline.csv"

COLUMNS: dict[str, list[str]] = {
    ACCOUNTS: [
        "account",
        "sector",
        "year_established",
        "revenue",
        "employees",
        "office_location",
        "subsidiary_of",
    ],
    PRODUCTS: ["product", "series", "sales_price"],
    SALES_TEAMS: ["sales_agent", "manager", "regional_office"],
    SALES_PIPELINE: [
        "opportunity_id",
        "sales_agent",
        "product",
        "account",
        "deal_stage",
        "engage_date",
        "close_date",
        "close_value",
    ],
}
FILE_NAMES = list(COLUMNS)

STAGES = {"prospecting", "engaging", "won", "lost"}
# The stages in the order of their codes where the pipeline is compacted.
STAGE_ORDER = sorted(STAGES)
OPEN_STAGES = {"prospecting", "engaging"}

# Known misspellings in real exports, repaired and reported.
SECTOR_REPAIRS = {"technolgy": "technology"}
COUNTRY_REPAIRS = {"Philipines": "Philippines"}

# The pipeline is read this many rows at a time; files in blocks of BLOCK.
PIPELINE_CHUNK_LINES = 50_000
BLOCK = 1 << 20

REPAIRED = "repaired"
REJECTED = "rejected"
KEPT = "kept"
# The row names a deal someone deleted by hand: read, and left out.
SKIPPED = "skipped"
# The order issues are reported in: what stopped the import first.
ACTIONS = [REJECTED, REPAIRED, KEPT, SKIPPED]


class ImportFileError(Exception):
    """A file that cannot be read as this layout at all."""

    def __init__(
        self,
        file: str,
        message: str,
        line: int = 1,
        *,
        also: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message
        self.line = line
        # Other files with a problem found at the same time: (file, message).
        self.also = also or []


@dataclass
class Issue:
    file: str
    line: int
    column: str
    value: str
    reason: str
    action: str

    def as_dict(self) -> dict[str, object]:
        # Not dataclasses.asdict, which deep-copies every value: a large
        # export can have a hundred thousand issues, all plain str and int.
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "action": self.action,
        }


@dataclass
class MavenTables:
    """Clean rows ready to write, keyed by natural keys, and the issues."""

    teams: pd.DataFrame
    users: pd.DataFrame
    products: pd.DataFrame
    accounts: pd.DataFrame
    opportunities: pd.DataFrame
    revenue_lines: pd.DataFrame
    account_team: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)
    # Clean opportunity rows, kept in `opportunities` or handed to a sink.
    opportunity_rows: int = 0

    @property
    def rejected(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.action == REJECTED]


# Reading


def csv_read(*, path: Path, file: str) -> pd.DataFrame:
    """Read one CSV as text, check its header and number its lines."""
    return next(csv_chunks(path=path, file=file, lines=None))


def csv_chunks(
    *, path: Path, file: str, lines: int | None = PIPELINE_CHUNK_LINES
) -> Iterator[pd.DataFrame]:
    """Read one CSV in frames of at most `lines` rows (None: one frame).

    The file's presence, kind, encoding and header are checked before this
    returns, so a bad file fails here; a malformed row further down fails
    while reading. Lines keep their numbers across frames.
    """
    options = _csv_options(path=path, file=file)
    try:
        header = pd.read_csv(path, nrows=0, **options)
    except (pd.errors.ParserError, ValueError) as error:
        raise ImportFileError(file, f"this is not a readable CSV ({error})") from error
    _columns_check([str(column).strip().lower() for column in header.columns], file)
    return _frames(path=path, file=file, lines=lines, options=options)


def _csv_options(*, path: Path, file: str) -> dict[str, object]:
    """Return read_csv options for this file: delimiter and encoding."""
    # The wizard's reader builds on this module, so its NUL check is
    # fetched when called.
    from accounts.tabular import nul_check

    if not path.exists():
        raise ImportFileError(file, "the file is missing")
    with path.open("rb") as source:
        head = source.read(BLOCK)
        if looks_binary(head[:4096]):
            raise ImportFileError(file, "this is not a CSV text file")
        nul_check(blocks=lambda: _blocks(source), file=file)
        source.seek(len(head))
        text = head
        while not text.strip():
            text = source.read(BLOCK)
            if not text:
                raise ImportFileError(file, "the file is empty")
    encoding = "utf-8-sig" if _is_utf8(path) else "cp1252"
    header = text.decode(encoding, errors="replace").lstrip().splitlines()[0]
    return {
        "sep": max([",", ";", "\t"], key=header.count),
        "dtype": str,
        "keep_default_na": False,
        "skip_blank_lines": False,
        "skipinitialspace": True,
        "encoding": encoding,
        "encoding_errors": "replace",
    }


# Control bytes no text file holds: all below space but tab, LF, FF and CR.
_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13}) + b"\x7f"


def looks_binary(head: bytes) -> bool:
    """Return whether these first bytes are not text: many control bytes.

    A stray NUL in text is damage, which nul_check names by line.
    """
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls > max(1, len(head) // 200)


def _blocks(source: IO[bytes]) -> Iterator[bytes]:
    source.seek(0)
    yield from iter(lambda: source.read(BLOCK), b"")


def _is_utf8(path: Path) -> bool:
    """Return whether the whole file decodes as UTF-8, a block at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as source:
            while block := source.read(BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _columns_check(columns: list[str], file: str) -> None:
    expected = COLUMNS[file]
    missing = [column for column in expected if column not in columns]
    if missing:
        raise ImportFileError(
            file,
            f"missing column{'s' if len(missing) != 1 else ''} "
            + ", ".join(missing)
            + "; expected "
            + ", ".join(expected),
        )


def _frames(
    *, path: Path, file: str, lines: int | None, options: dict[str, object]
) -> Iterator[pd.DataFrame]:
    expected = COLUMNS[file]
    try:
        read = pd.read_csv(path, chunksize=lines, **options)
        chunks = [read] if lines is None else read
        for frame in chunks:
            frame.columns = [str(column).strip().lower() for column in frame.columns]
            frame = frame[expected].apply(_stripped)
            # Without quoted line breaks, row i sits on line i + 2 (header is
            # 1); the reader numbers rows on across chunks.
            frame["line"] = frame.index + 2
            blank = (frame[expected] == "").all(axis=1)
            yield frame[~blank].reset_index(drop=True)
    except (pd.errors.ParserError, ValueError) as error:
        raise _unreadable(path=path, file=file, error=error, options=options) from error


_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _unreadable(
    *, path: Path, file: str, error: Exception, options: dict[str, object]
) -> ImportFileError:
    """Say in plain words, and on the right line, why the parser stopped."""
    text = str(error)
    if "inside string" in text:
        line = _unclosed_quote_line(path=path, encoding=str(options["encoding"]))
        if line is not None:
            return ImportFileError(
                file, f"a quoted value that starts on line {line} is never closed", line
            )
    if match := _FIELD_COUNT.search(text):
        expected, line, seen = (int(group) for group in match.groups())
        return ImportFileError(
            file,
            f"line {line} has {seen} values where the header has {expected}",
            line,
        )
    return ImportFileError(file, f"this is not a readable CSV ({error})")


def _unclosed_quote_line(*, path: Path, encoding: str) -> int | None:
    """Return the line on which a quote opens that the file never closes."""
    opened_on = None
    with path.open(encoding=encoding, errors="replace", newline="") as source:
        for number, line in enumerate(source, start=1):
            # A doubled quote inside a quoted value flips the state twice.
            if line.count('"') % 2:
                opened_on = number if opened_on is None else None
    return opened_on


def _text(values: pd.Series) -> np.ndarray | None:
    """Return the values as a numpy string array, for numpy's string ufuncs.

    Those run in C, a column at a time; Python's own string methods run
    once per value. numpy drops trailing NUL characters, so a column with
    any NUL (or with a value that is not text) gets None: the caller then
    takes the slow road.
    """
    listed = values.tolist()
    try:
        if "\x00" in "".join(listed):
            return None
    except TypeError:
        return None
    return np.array(listed, dtype=np.dtypes.StringDType())


def _stripped(values: pd.Series) -> pd.Series:
    """Strip spaces around values, if any has them."""
    listed = values.tolist()
    # str.strip runs in C and hands back the very same object when there is
    # nothing to strip, so the lists compare equal at once in the usual case.
    try:
        stripped = list(map(str.strip, listed))
    except TypeError:
        # A value that is not text is left as it is.
        stripped = [
            value.strip() if isinstance(value, str) else value for value in listed
        ]
    if stripped == listed:
        return values
    repairs = {
        value: trimmed
        for value, trimmed in zip(listed, stripped, strict=True)
        if trimmed != value
    }
    return values.replace(repairs)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def csv_header_check(*, content: bytes, file: str) -> None:
    """Raise ImportFileError unless these bytes start with this file's header."""
    if not content.strip():
        raise ImportFileError(file, "the file is empty")
    if looks_binary(content[:4096]):
        raise ImportFileError(file, "this is not a CSV text file")
    header = _decode(content).lstrip().splitlines()[0]
    delimiter = max([",", ";", "\t"], key=header.count)
    columns = [part.strip().strip('"').lower() for part in header.split(delimiter)]
    missing = [column for column in COLUMNS[file] if column not in columns]
    if missing:
        raise ImportFileError(
            file,
            f"missing column{'s' if len(missing) != 1 else ''} "
            + ", ".join(missing)
            + "; expected "
            + ", ".join(COLUMNS[file]),
        )


# Value parsing. Each returns (value, reason); a reason means "bad".

_NUMBER_NOISE = re.compile(r"[\s$€£¥]|(?<=\d),(?=\d{3}\b)")


# The bundled layout's amounts are in USD, kept to the cent as the wizard
# keeps USD: more decimals are refused, never rounded unseen. Company
# revenue here is in millions of USD, so its 2 decimals are 10,000 USD, and
# a third would be a finer figure than Lode keeps.
DECIMALS_REASON = (
    "{places} decimals: amounts are kept to 2 decimals; round the amount in the file"
)
MILLIONS_DECIMALS_REASON = (
    "{places} decimals: revenue is in millions of USD, kept to 2 decimals "
    "(10,000 USD); round the revenue in the file"
)


def _decimal(value: str) -> tuple[Decimal | None, str]:
    if value == "":
        return None, ""
    try:
        number = Decimal(_NUMBER_NOISE.sub("", value))
    except InvalidOperation:
        return None, "not a number"
    if not number.is_finite():
        return None, "not a number"
    if number < 0:
        return None, "must not be negative"
    return number, ""


def _number(value: str, *, millions: bool = False) -> tuple[Decimal | None, str]:
    number, reason = _decimal(value)
    if reason or number is None:
        return None, reason
    exponent = number.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > 2:
        reason = MILLIONS_DECIMALS_REASON if millions else DECIMALS_REASON
        return None, reason.format(places=places)
    return number.quantize(Decimal("0.01")), ""


def _whole(value: str) -> tuple[int | None, str]:
    number, reason = _decimal(value)
    if reason or number is None:
        return None, reason
    if number != number.to_integral_value():
        return None, "not a whole number"
    return int(number), ""


def _date(value: str) -> tuple[date | None, str]:
    if value == "":
        return None, ""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        parsed = pd.to_datetime(value, format=pattern, errors="coerce")
        if not pd.isna(parsed):
            return parsed.date(), ""
    return None, "not a date (expected YYYY-MM-DD)"


# Column-wise parsing. Each returns the parsed column and a reason per row;
# a non-empty reason means "bad". The common spellings are parsed for the
# whole column at once; only values in another spelling (currency signs,
# thousands separators, more than two decimals) go through the scalar
# parsers above, one by one, and real exports have few of those.


def _plain_numbers(values: pd.Series) -> pd.Series:
    """Return where a value is digits with at most two decimals after a dot.

    What the pattern below matches in full, in numpy's string ufuncs: with
    its first dot taken out, a value is all decimal digits (the characters
    the pattern's digit class matches), and a dot has a digit before it
    and at most two after.
    """
    text = _text(values)
    if text is None:
        return values.str.fullmatch(r"\d+(?:\.\d{0,2})?")
    dot = np.strings.find(text, ".")
    digits = np.strings.isdecimal(np.strings.replace(text, ".", "", 1))
    decimals = np.strings.str_len(text) - dot - 1
    plain = digits & ((dot < 0) | ((dot > 0) & (decimals <= 2)))
    return pd.Series(plain, index=values.index)


def _plain_wholes(values: pd.Series) -> pd.Series:
    """Return where a value is decimal digits only, as the pattern below."""
    text = _text(values)
    if text is None:
        return values.str.fullmatch(r"\d+")
    return pd.Series(np.strings.isdecimal(text), index=values.index)


NOT_A_DATE = "not a date (expected YYYY-MM-DD)"


def _no_reasons(values: pd.Series) -> pd.Series:
    return pd.Series("", index=values.index, dtype=object)


def numbers_parse(
    values: pd.Series, *, millions: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Return amounts in cents (Int64, missing when blank) and reasons.

    A value with more than 2 decimals is refused with its reason; with
    `millions` the reason says the column counts millions.
    """
    cents = pd.Series(pd.NA, index=values.index, dtype="Int64")
    reasons = _no_reasons(values)
    plain = _plain_numbers(values)
    if plain.any():
        # At most two decimals and 14 digits: exact after rounding.
        cents[plain] = (pd.to_numeric(values[plain]) * 100).round().astype("int64")
    odd = ~plain & (values != "")
    for index, value in values[odd].items():
        number, reason = _number(value, millions=millions)
        if reason:
            reasons[index] = reason
        elif number is not None:
            cents[index] = int(number * 100)
    return cents, reasons


def wholes_parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return whole numbers (Int64, missing when blank) and reasons."""
    wholes = pd.Series(pd.NA, index=values.index, dtype="Int64")
    reasons = _no_reasons(values)
    plain = _plain_wholes(values)
    if plain.any():
        wholes[plain] = pd.to_numeric(values[plain]).astype("int64")
    odd = ~plain & (values != "")
    for index, value in values[odd].items():
        number, reason = _whole(value)
        if reason:
            reasons[index] = reason
        elif number is not None:
            wholes[index] = number
    return wholes, reasons


def dates_parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return dates (datetime64, NaT when blank) and reasons."""
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    todo = values != ""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        if not todo.any():
            break
        attempt = pd.to_datetime(values[todo], format=pattern, errors="coerce")
        found = attempt[attempt.notna()]
        parsed[found.index] = found.astype("datetime64[us]")
        todo[found.index] = False
    reasons = _no_reasons(values)
    reasons[todo] = NOT_A_DATE
    return parsed, reasons


def _mapped(values: pd.Series, function: Callable[[str], str]) -> pd.Series:
    """Apply a text function once per distinct value, not once per row."""
    distinct = _distinct(values)
    return values.map(dict(zip(distinct, map(function, distinct), strict=True)))


def _distinct(values: pd.Series) -> list[Any]:
    """Return the distinct values as a list: quick to loop over in Python."""
    return pd.unique(values.to_numpy(dtype=object)).tolist()


def name_key(value: str) -> str:
    """Return a matching key that ignores case and spacing."""
    # split() drops the same whitespace as the pattern \s+, faster.
    return "".join(value.split()).casefold()


def username_for(full_name: str) -> str:
    """Return first.last in lowercase ASCII for a person's full name."""
    ascii_name = (
        unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    )
    parts = [re.sub(r"[^a-z0-9-]", "", part) for part in ascii_name.lower().split()]
    parts = [part for part in parts if part]
    if len(parts) < 2:
        return "".join(parts)
    return "-".join(parts[:-1]) + "." + parts[-1]


def _split_name(full_name: str) -> tuple[str, str]:
    first, _, last = full_name.rpartition(" ")
    return (first, last) if first else (last, "")


# Checking


class _Report:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(
        self, file: str, line: int, column: str, value: str, reason: str, action: str
    ) -> None:
        self.issues.append(Issue(file, int(line), column, value, reason, action))

    def repeats(self, repeats: pd.DataFrame) -> None:
        """Report repeated opportunity ids found after every chunk was read.

        A repeat is rejected as a repeat only, as when found while reading:
        anything else its checks said of it is withdrawn.
        """
        if repeats.empty:
            return
        lines = set(repeats["line"].tolist())
        self.issues = [
            issue
            for issue in self.issues
            if issue.file != SALES_PIPELINE or issue.line not in lines
        ]
        for line, value, first_line in zip(
            repeats["line"], repeats["external_id"], repeats["first_line"], strict=True
        ):
            self.add(
                SALES_PIPELINE,
                line,
                "opportunity_id",
                value,
                f"duplicate opportunity_id, first seen on line {int(first_line)}",
                REJECTED,
            )

    def rows(
        self,
        frame: pd.DataFrame,
        mask: pd.Series,
        *,
        file: str,
        column: str,
        reason: str | pd.Series,
        action: str,
        value: pd.Series | None = None,
    ) -> None:
        """Add one issue for each row of `frame` where `mask` holds."""
        if not mask.any():
            return
        values = (frame[column] if value is None else value)[mask]
        reasons = (
            [reason] * len(values)
            if isinstance(reason, str)
            else reason[mask].to_list()
        )
        for line, text, why in zip(
            frame.loc[mask, "line"], values, reasons, strict=True
        ):
            self.add(file, line, column, text, why, action)


def _duplicates(
    frame: pd.DataFrame, *, column: str, key: pd.Series, file: str, report: _Report
) -> pd.DataFrame:
    """Reject every repeat of a key; the first occurrence is kept."""
    repeated = key.duplicated(keep="first") & (frame[column] != "")
    if not repeated.any():
        return frame
    first_line = frame.groupby(key)["line"].transform("min")
    reasons = f"duplicate {column}, first seen on line " + first_line.astype(str)
    report.rows(
        frame, repeated, file=file, column=column, reason=reasons, action=REJECTED
    )
    return frame[~repeated]


class PipelineSink(Protocol):
    """Where checked pipeline rows go instead of memory, a chunk at a time.

    It keeps every row with an opportunity id: the clean ones to write and,
    by id and line only, the rejected ones, so that once every chunk is in
    it can name each repeated id and where it was first seen, and leave out
    the repeats, since only the first occurrence of an id is written. The
    revenue lines and account teams are the sink's to derive from the rows
    it keeps.
    """

    def rows_add(self, rows: pd.DataFrame, *, clean: pd.Series) -> None:
        """Take a chunk's rows that have an id; `clean` marks the good.

        The name columns (account, product, owner, stage) come as
        categoricals, with the same categories in every chunk.
        """

    def repeats_remove(self) -> pd.DataFrame:
        """Drop every repeat of an id; return them, in line order.

        Columns: line, external_id, first_line (where the id was first
        seen) and clean (whether the repeat passed every other check).
        """


def maven_tables_read(
    *,
    directory: Path,
    chunk_lines: int = PIPELINE_CHUNK_LINES,
    sink: PipelineSink | None = None,
    deleted: Mapping[str, str] | None = None,
) -> MavenTables:
    """Read, check and repair the four files; build the tables to write.

    The small files are read whole; the pipeline, which grows with the
    business, is read and checked `chunk_lines` rows at a time. Its clean
    rows are kept in a compact form, or, given a `sink`, handed to it chunk
    by chunk and not kept: the tables then hold no opportunity, revenue
    line or account team rows, only the count of opportunities, and memory
    does not grow with the file.
    """
    missing = [file for file in FILE_NAMES if not (directory / file).exists()]
    if missing:
        raise ImportFileError(
            missing[0],
            "the file is missing",
            also=[(file, "the file is missing") for file in missing[1:]],
        )
    frames = {
        file: csv_read(path=directory / file, file=file)
        for file in (ACCOUNTS, PRODUCTS, SALES_TEAMS)
    }
    pipeline = csv_chunks(
        path=directory / SALES_PIPELINE, file=SALES_PIPELINE, lines=chunk_lines
    )
    return maven_tables_check(
        frames=frames, pipeline=pipeline, sink=sink, deleted=deleted
    )


def maven_tables_check(
    *,
    frames: dict[str, pd.DataFrame],
    pipeline: Iterable[pd.DataFrame] | None = None,
    sink: PipelineSink | None = None,
    deleted: Mapping[str, str] | None = None,
) -> MavenTables:
    """Check the frames; the pipeline comes as `pipeline` chunks or a frame.

    `deleted` gives, by opportunity id, why a deal deleted by hand is
    skipped ("deleted by … on …, skipped"): its rows are reported and
    left out of everything written.
    """
    report = _Report()
    rows_read = {file: len(frame) for file, frame in frames.items()}

    products = _products_check(frames[PRODUCTS], report)
    teams, users = _sales_teams_check(frames[SALES_TEAMS], report)
    accounts = _accounts_check(frames[ACCOUNTS], report)
    agents = users[users["role"] == "rep"]
    # Indexes, built once: each keeps the hash table it looks names up in.
    categories = {
        "account_name": pd.Index(accounts["name"]),
        "product_name": pd.Index(products["name"]),
        "owner_username": pd.Index(agents["username"]),
        "stage": pd.Index(STAGE_ORDER),
    }

    # Built once, not per chunk: the pipeline is checked against these.
    lookups: dict[str, pd.Series] = {
        "product_by_key": _pairs(products["key"], products["name"]),
        "agent_names": _pairs(agents["full_name"], agents["username"]),
        "account_names": _pairs(accounts["name"], accounts["name"]),
        "deleted": pd.Series(dict(deleted or {}), dtype=object),
    }
    # Repeated ids are found here, in memory, or by the sink at the end.
    seen = _SeenIds() if sink is None else None
    kept: list[pd.DataFrame] = []
    revenue_parts: list[pd.DataFrame] = []
    team_parts: list[pd.DataFrame] = []
    rows_read[SALES_PIPELINE] = 0
    opportunity_rows = 0
    chunks = [frames[SALES_PIPELINE]] if pipeline is None else pipeline
    for chunk in _at_least_one(chunks):
        rows_read[SALES_PIPELINE] += len(chunk)
        rows, good = _pipeline_check(chunk, report, lookups=lookups, seen=seen)
        opportunity_rows += int(good.sum())
        if sink is not None:
            named = rows["external_id"] != ""
            sink.rows_add(_compact(rows[named], categories), clean=good[named])
            continue
        clean = rows[good].reset_index(drop=True)
        revenue, team = _derived(clean)
        revenue_parts.append(revenue)
        team_parts.append(team)
        kept.append(_compact(clean.drop(columns=["line"]), categories))
    if sink is not None:
        repeats = sink.repeats_remove()
        opportunity_rows -= int(repeats["clean"].sum())
        report.repeats(repeats)
        kept.append(_compact(rows.iloc[0:0].drop(columns=["line"]), categories))
        revenue, team = _derived(rows.iloc[0:0])
        revenue_parts.append(revenue)
        team_parts.append(team)
    opportunities, revenue_lines, account_team = _combined(
        kept, revenue_parts, team_parts
    )

    for file in (PRODUCTS, SALES_TEAMS, ACCOUNTS):
        if rows_read[file] == 0:
            # Said once here: every row that names one of its entries fails.
            report.issues.append(
                Issue(file, 1, "", "", f"{file} has no rows", REJECTED)
            )
    # Rejected rows first: they are what stops an import.
    issues = sorted(
        report.issues,
        key=lambda issue: (
            ACTIONS.index(issue.action),
            FILE_NAMES.index(issue.file),
            issue.line,
            issue.column,
        ),
    )
    return MavenTables(
        teams=teams,
        users=users,
        products=products.drop(columns=["key", "line"]),
        accounts=accounts.drop(columns=["line"]),
        opportunities=opportunities,
        revenue_lines=revenue_lines,
        account_team=account_team,
        issues=issues,
        rows_read={file: rows_read[file] for file in FILE_NAMES},
        opportunity_rows=opportunity_rows,
    )


def _pairs(keys: pd.Series, values: pd.Series) -> pd.Series:
    """Return a lookup of values by key, as a dict would keep the last.

    A Series, not a dict: mapping a chunk through a dict builds an index of
    its keys every time, while this one's index, and its hash table, are
    built once.
    """
    lookup = pd.Series(_listed(values), index=_listed(keys), dtype=object)
    return lookup[~lookup.index.duplicated(keep="last")]


def _listed(values: pd.Series) -> list[Any]:
    return values.to_numpy(dtype=object).tolist()


def _at_least_one(chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Yield the chunks, or one empty frame for a file with no rows."""
    empty = True
    for chunk in chunks:
        empty = False
        yield chunk
    if empty:
        columns = {name: pd.Series(dtype=object) for name in COLUMNS[SALES_PIPELINE]}
        yield pd.DataFrame({**columns, "line": pd.Series(dtype="int64")})


def _compact(frame: pd.DataFrame, categories: dict[str, pd.Index]) -> pd.DataFrame:
    """Hold the repeated names as categories: a few bytes a row, not a str.

    A name that is not a category (on a rejected row) is held as missing.
    """
    for column, known in categories.items():
        frame[column] = pd.Categorical.from_codes(
            known.get_indexer(frame[column]), dtype=pd.CategoricalDtype(known)
        )
    return frame


def _combined(
    kept: list[pd.DataFrame],
    revenue_parts: list[pd.DataFrame],
    team_parts: list[pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Join the chunks' clean rows and add up their derived tables."""
    opportunities = pd.concat(kept, ignore_index=True)
    kept.clear()
    keys = ["account_name", "product_name", "quarter_start"]
    revenue_lines = (
        pd.concat(revenue_parts, ignore_index=True)
        .groupby(keys, sort=True)["amount"]
        .sum()
        .astype("Int64")
        .reset_index()
    )
    account_team = (
        pd.concat(team_parts, ignore_index=True)
        .drop_duplicates()
        .sort_values(["account_name", "username"])
        .reset_index(drop=True)
    )
    return opportunities, revenue_lines, account_team


class _SeenIds:
    """The opportunity ids of the chunks checked so far, compactly.

    A set of the ids (it refers to the same strings as the clean rows) and,
    per chunk, the ids first seen there with their lines, to name the first
    line of a repeat, which is rare.
    """

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []

    def contains(self, ids: pd.Series) -> pd.Series:
        if not self.ids:
            return pd.Series(False, index=ids.index)
        return ids.map(self.ids.__contains__).astype(bool)

    def first_lines(self, ids: pd.Series) -> pd.Series:
        """Return the line each of these (seen) ids was first seen on."""
        wanted = set(ids)
        found: dict[str, int] = {}
        for part_ids, part_lines in self.parts:
            hits = pd.Series(part_ids).isin(wanted).to_numpy()
            found.update(zip(part_ids[hits], part_lines[hits].tolist(), strict=True))
        return ids.map(found)

    def add(self, ids: pd.Series, lines: pd.Series) -> None:
        values = ids.to_numpy(dtype=object)
        self.ids.update(values.tolist())
        self.parts.append((values, lines.to_numpy()))


def _products_check(frame: pd.DataFrame, report: _Report) -> pd.DataFrame:
    frame = _duplicates(
        frame,
        column="product",
        key=_mapped(frame["product"], name_key),
        file=PRODUCTS,
        report=report,
    )
    missing = frame["product"] == ""
    report.rows(
        frame,
        missing,
        file=PRODUCTS,
        column="product",
        reason="the product name is required",
        action=REJECTED,
    )
    price, reasons = numbers_parse(frame["sales_price"])
    bad = ~missing & (reasons != "")
    report.rows(
        frame,
        bad,
        file=PRODUCTS,
        column="sales_price",
        reason=reasons,
        action=REJECTED,
    )

    keep = ~(missing | bad)
    clean = pd.DataFrame(
        {
            "name": frame.loc[keep, "product"],
            "series": frame.loc[keep, "series"],
            "list_price": price[keep],
            "line": frame.loc[keep, "line"],
        }
    ).reset_index(drop=True)
    clean["key"] = _mapped(clean["name"], name_key)
    return clean


def _sales_teams_check(
    frame: pd.DataFrame, report: _Report
) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _duplicates(
        frame,
        column="sales_agent",
        key=_mapped(frame["sales_agent"], name_key),
        file=SALES_TEAMS,
        report=report,
    )
    # A row is rejected for its first bad name only.
    rejected = pd.Series(False, index=frame.index)
    for column in ("sales_agent", "manager"):
        names = frame[column]
        unnamed = (_mapped(names, username_for) == "") | ~names.str.contains(" ")
        bad = unnamed & ~rejected
        report.rows(
            frame,
            bad,
            file=SALES_TEAMS,
            column=column,
            reason="a first and last name is required",
            action=REJECTED,
        )
        rejected |= bad
    clean = frame[~rejected].reset_index(drop=True)

    # A manager leads one team; its region is the office of their agents.
    managers = clean.groupby("manager", sort=False).agg(
        region=("regional_office", "first"), line=("line", "min")
    )
    teams = pd.DataFrame(
        {
            "name": [f"{manager}'s team" for manager in managers.index],
            "region": managers["region"].to_list(),
            "manager_username": [username_for(name) for name in managers.index],
        },
        columns=["name", "region", "manager_username"],
    )
    people = [(name, "manager", f"{name}'s team") for name in managers.index] + [
        (agent, "rep", f"{manager}'s team")
        for agent, manager in zip(clean["sales_agent"], clean["manager"], strict=True)
    ]
    users = pd.DataFrame(
        [
            {
                "username": username_for(name),
                "first_name": _split_name(name)[0],
                "last_name": _split_name(name)[1],
                "full_name": name,
                "role": role,
                "team_name": team,
            }
            for name, role, team in people
        ],
        columns=[
            "username",
            "first_name",
            "last_name",
            "full_name",
            "role",
            "team_name",
        ],
    )
    # Two people whose names fold to the same username: keep the first.
    users = users.drop_duplicates(subset="username", keep="first")
    return teams, users.reset_index(drop=True)


def _accounts_check(frame: pd.DataFrame, report: _Report) -> pd.DataFrame:
    frame = _duplicates(
        frame,
        column="account",
        key=_mapped(frame["account"], name_key),
        file=ACCOUNTS,
        report=report,
    )
    missing = frame["account"] == ""
    report.rows(
        frame,
        missing,
        file=ACCOUNTS,
        column="account",
        reason="the account name is required",
        action=REJECTED,
    )
    frame = frame[~missing]

    sector = frame["sector"].str.lower()
    misspelt = sector.isin(list(SECTOR_REPAIRS))
    repaired = sector.map(SECTOR_REPAIRS)
    report.rows(
        frame,
        misspelt,
        file=ACCOUNTS,
        column="sector",
        reason="misspelt sector, read as " + repaired[misspelt].map(repr),
        action=REPAIRED,
    )
    sector = repaired.where(misspelt, sector)
    country = frame["office_location"]
    misplaced = country.isin(list(COUNTRY_REPAIRS))
    repaired = country.map(COUNTRY_REPAIRS)
    report.rows(
        frame,
        misplaced,
        file=ACCOUNTS,
        column="office_location",
        reason="misspelt country, read as " + repaired[misplaced].map(repr),
        action=REPAIRED,
    )
    country = repaired.where(misplaced, country)

    year, year_reasons = wholes_parse(frame["year_established"])
    implausible = year.notna() & ~year.between(1600, 2100).fillna(False)
    year_reasons = year_reasons.mask(implausible, "not a plausible year")
    revenue, revenue_reasons = numbers_parse(frame["revenue"], millions=True)
    employees, employee_reasons = wholes_parse(frame["employees"])
    bad = pd.Series(False, index=frame.index)
    for column, reasons in (
        ("year_established", year_reasons),
        ("revenue", revenue_reasons),
        ("employees", employee_reasons),
    ):
        flagged = reasons != ""
        report.rows(
            frame,
            flagged,
            file=ACCOUNTS,
            column=column,
            reason=reasons,
            action=REJECTED,
        )
        bad |= flagged

    keep = ~bad
    clean = pd.DataFrame(
        {
            "name": frame["account"],
            "sector": sector,
            "year_established": year,
            "annual_revenue_musd": revenue,
            "employees": employees,
            "country": country,
            "parent_name": frame["subsidiary_of"],
            "line": frame["line"],
        }
    )[keep]

    # A parent must be an account we keep; rejecting one can orphan another,
    # so repeat until nothing changes.
    while True:
        orphan = (clean["parent_name"] != "") & ~clean["parent_name"].isin(
            clean["name"]
        )
        if not orphan.any():
            break
        report.rows(
            clean,
            orphan,
            file=ACCOUNTS,
            column="subsidiary_of",
            value=clean["parent_name"],
            reason=(
                "parent account "
                + clean.loc[orphan, "parent_name"].map(repr)
                + " is not a valid row of accounts.csv"
            ),
            action=REJECTED,
        )
        clean = clean[~orphan]
    return clean.reset_index(drop=True)


def _pipeline_check(
    frame: pd.DataFrame,
    report: _Report,
    *,
    lookups: dict[str, pd.Series],
    seen: _SeenIds | None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Check a chunk; return its rows as they would be written, and the good.

    With `seen`, every repeat of an id, in this chunk or a later one, is
    rejected here and the first occurrence kept for the checks below;
    without, repeats are the caller's to find once every chunk is read.
    """
    ids = frame["opportunity_id"]
    named = ids != ""
    if seen is None:
        earlier = repeated = pd.Series(False, index=frame.index)
    else:
        earlier = named & seen.contains(ids)
        repeated = earlier | (ids.duplicated(keep="first") & named)
        fresh = named & ~repeated
        seen.add(ids[fresh], frame.loc[fresh, "line"])
    if repeated.any():
        first_line = frame.groupby(ids)["line"].transform("min")
        if seen is not None and earlier.any():
            first_line = first_line.mask(earlier, seen.first_lines(ids[earlier]))
        report.rows(
            frame,
            repeated,
            file=SALES_PIPELINE,
            column="opportunity_id",
            reason=(
                "duplicate opportunity_id, first seen on line "
                + first_line.astype("int64").astype(str)
            ),
            action=REJECTED,
        )
        frame = frame[~repeated]
    if len(lookups["deleted"]):
        why = frame["opportunity_id"].map(lookups["deleted"])
        skipped = why.notna()
        report.rows(
            frame,
            skipped,
            file=SALES_PIPELINE,
            column="opportunity_id",
            reason=why,
            action=SKIPPED,
        )
        frame = frame[~skipped]
    product_by_key = lookups["product_by_key"]
    agent_names = lookups["agent_names"]
    account_names = lookups["account_names"]
    bad = pd.Series(False, index=frame.index)

    def reject(mask: pd.Series, column: str, reason: str | pd.Series) -> None:
        nonlocal bad
        report.rows(
            frame,
            mask,
            file=SALES_PIPELINE,
            column=column,
            reason=reason,
            action=REJECTED,
        )
        bad |= mask

    reject(
        frame["opportunity_id"] == "",
        "opportunity_id",
        "the deal ID is required",
    )

    stage = frame["deal_stage"].str.lower()
    known_stage = stage.isin(list(STAGES))
    reject(
        ~known_stage,
        "deal_stage",
        "unknown stage (expected Prospecting, Engaging, Won or Lost)",
    )

    owner = frame["sales_agent"].map(agent_names)
    reject(owner.isna(), "sales_agent", "agent not in sales_teams.csv")

    product = _mapped(frame["product"], name_key).map(product_by_key)
    reject(product.isna(), "product", "product not in products.csv")
    renamed = product.notna() & (product != frame["product"])
    report.rows(
        frame,
        renamed,
        file=SALES_PIPELINE,
        column="product",
        reason=(
            "product name differs from the catalogue, read as "
            + product[renamed].map(repr).astype(str)
        ),
        action=REPAIRED,
    )

    account = frame["account"]
    no_account = account == ""
    report.rows(
        frame,
        no_account & stage.isin(list(OPEN_STAGES)),
        file=SALES_PIPELINE,
        column="account",
        reason="open deal with no account, kept without one",
        action=KEPT,
    )
    reject(
        no_account & known_stage & ~stage.isin(list(OPEN_STAGES)),
        "account",
        "a closed deal needs an account",
    )
    # The accounts frame's own strings, not one copy per line: the derived
    # tables hold on to them across chunks.
    account_name = account.map(account_names)
    reject(
        ~no_account & account_name.isna(),
        "account",
        "account not a valid row of accounts.csv",
    )

    won = stage == "won"
    engaged_on, reasons = dates_parse(frame["engage_date"])
    reject(reasons != "", "engage_date", reasons)
    closed_on, reasons = dates_parse(frame["close_date"])
    reject(reasons != "", "close_date", reasons)
    reject(
        (reasons == "") & won & closed_on.isna(),
        "close_date",
        "a won deal needs a close date",
    )
    reject(
        (closed_on < engaged_on).fillna(False),
        "close_date",
        "closes before it engages",
    )
    # The rule of accounts.models.won_close_problem, for this pure module.
    reject(
        won & (closed_on > pd.Timestamp(date.today())).fillna(False),
        "close_date",
        "a won deal cannot close after today",
    )
    close_value, reasons = numbers_parse(frame["close_value"])
    reject(reasons != "", "close_value", reasons)
    reject(
        (reasons == "") & won & close_value.isna(),
        "close_value",
        "a won deal needs a close value",
    )

    rows = pd.DataFrame(
        {
            "external_id": frame["opportunity_id"],
            "account_name": account_name.where(~no_account, None),
            "product_name": product,
            "owner_username": owner,
            "stage": stage,
            "engaged_on": engaged_on,
            "closed_on": closed_on,
            "close_value": close_value,
            "line": frame["line"],
        }
    )
    return rows, ~bad


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _derived(opportunities: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build won revenue per account, product and quarter, and account teams."""
    won = opportunities[opportunities["stage"] == "won"]
    revenue = (
        won.assign(
            quarter_start=won["closed_on"]
            .dt.to_period("Q")
            .dt.start_time.astype("datetime64[us]")
        )
        .groupby(["account_name", "product_name", "quarter_start"], sort=True)[
            "close_value"
        ]
        .sum()
        .astype("Int64")
        .reset_index()
        .rename(columns={"close_value": "amount"})
    )

    with_account = opportunities[opportunities["account_name"].notna()]
    team = (
        with_account[["account_name", "owner_username"]]
        .drop_duplicates()
        .rename(columns={"owner_username": "username"})
        .sort_values(["account_name", "username"])
        .reset_index(drop=True)
    )
    return revenue, team


# Reporting

# A row rejected only because another file lacks what it names.
_KNOCK_ON = re.compile(r" not in [\w.-]+\.csv$")


def issues_grouped(
    issues: list[dict[str, object]], *, lines_shown: int = 5
) -> list[dict[str, object]]:
    """Fold knock-on rejections into one row per file, column, value and reason.

    A missing catalogue entry fails every row that names it; those rows say
    the same thing, so they become one row with their count and first lines,
    at the place of the first. Every other issue passes through, with a
    count of 1. The full list stays in the job for the complete report.
    """
    groups: dict[tuple, dict[str, object]] = {}
    lines_by_group: dict[tuple, list[object]] = {}
    folded: list[dict[str, object]] = []
    for issue in issues:
        if issue["action"] != REJECTED or not _KNOCK_ON.search(str(issue["reason"])):
            folded.append({**issue, "count": 1})
            continue
        key = (issue["file"], issue["column"], issue["value"], issue["reason"])
        group = groups.get(key)
        if group is None:
            group = groups[key] = {**issue}
            lines_by_group[key] = []
            folded.append(group)
        lines_by_group[key].append(issue["line"])
    for key, group in groups.items():
        lines = lines_by_group[key]
        count = group["count"] = len(lines)
        if count > 1:
            shown = ", ".join(f"{line:,}" for line in lines[:lines_shown])
            more = f" and {count - lines_shown:,} more" if count > lines_shown else ""
            group["reason"] = (
                f"{group['reason']}: {count:,} rows, on lines {shown}{more}"
            )
    return folded
