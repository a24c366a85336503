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

import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from io import StringIO
from pathlib import Path

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
OPEN_STAGES = {"prospecting", "engaging"}

# Known misspellings in real exports, repaired and reported.
SECTOR_REPAIRS = {"technolgy": "technology"}
COUNTRY_REPAIRS = {"Philipines": "Philippines"}

REPAIRED = "repaired"
REJECTED = "rejected"
KEPT = "kept"


class ImportFileError(Exception):
    """A file that cannot be read as this layout at all."""

    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file
        self.message = message


@dataclass
class Issue:
    file: str
    line: int
    column: str
    value: str
    reason: str
    action: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


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

    @property
    def rejected(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.action == REJECTED]


# Reading


def csv_read(*, path: Path, file: str) -> pd.DataFrame:
    """Read one CSV as text, check its header and number its lines."""
    if not path.exists():
        raise ImportFileError(file, "the file is missing")
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFileError(file, "the file is empty")
    if b"\x00" in raw[:4096]:
        raise ImportFileError(file, "this is not a CSV text file")
    text = _decode(raw)
    header = text.lstrip().splitlines()[0]
    delimiter = max([",", ";", "\t"], key=header.count)

    try:
        frame = pd.read_csv(
            StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, ValueError) as error:
        raise ImportFileError(file, f"this is not a readable CSV ({error})") from error

    frame.columns = [str(column).strip().lower() for column in frame.columns]
    expected = COLUMNS[file]
    missing = [column for column in expected if column not in frame.columns]
    if missing:
        raise ImportFileError(
            file,
            "missing column(s) "
            + ", ".join(missing)
            + "; expected "
            + ", ".join(expected),
        )

    frame = frame[expected].apply(lambda column: column.str.strip())
    # Without quoted line breaks, row i sits on line i + 2 (header is 1).
    frame["line"] = frame.index + 2
    blank = (frame[expected] == "").all(axis=1)
    return frame[~blank].reset_index(drop=True)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def csv_header_check(*, content: bytes, file: str) -> None:
    """Raise ImportFileError unless these bytes start with this file's header."""
    if not content.strip():
        raise ImportFileError(file, "the file is empty")
    if b"\x00" in content[:4096]:
        raise ImportFileError(file, "this is not a CSV text file")
    header = _decode(content).lstrip().splitlines()[0]
    delimiter = max([",", ";", "\t"], key=header.count)
    columns = [part.strip().strip('"').lower() for part in header.split(delimiter)]
    missing = [column for column in COLUMNS[file] if column not in columns]
    if missing:
        raise ImportFileError(
            file,
            "missing column(s) "
            + ", ".join(missing)
            + "; expected "
            + ", ".join(COLUMNS[file]),
        )


# Value parsing. Each returns (value, reason); a reason means "bad".

_NUMBER_NOISE = re.compile(r"[\s$€£¥]|(?<=\d),(?=\d{3}\b)")


def _number(value: str) -> tuple[Decimal | None, str]:
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
    return number.quantize(Decimal("0.01")), ""


def _whole(value: str) -> tuple[int | None, str]:
    number, reason = _number(value)
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

_PLAIN_NUMBER = r"\d+(?:\.\d{0,2})?"
_PLAIN_WHOLE = r"\d+"
NOT_A_DATE = "not a date (expected YYYY-MM-DD)"


def _no_reasons(values: pd.Series) -> pd.Series:
    return pd.Series("", index=values.index, dtype=object)


def numbers_parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return amounts in cents (Int64, missing when blank) and reasons."""
    cents = pd.Series(pd.NA, index=values.index, dtype="Int64")
    reasons = _no_reasons(values)
    plain = values.str.fullmatch(_PLAIN_NUMBER)
    if plain.any():
        # At most two decimals and 14 digits: exact after rounding.
        cents[plain] = (pd.to_numeric(values[plain]) * 100).round().astype("int64")
    odd = ~plain & (values != "")
    for index, value in values[odd].items():
        number, reason = _number(value)
        if reason:
            reasons[index] = reason
        elif number is not None:
            cents[index] = int(number * 100)
    return cents, reasons


def wholes_parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return whole numbers (Int64, missing when blank) and reasons."""
    wholes = pd.Series(pd.NA, index=values.index, dtype="Int64")
    reasons = _no_reasons(values)
    plain = values.str.fullmatch(_PLAIN_WHOLE)
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
    distinct = pd.unique(values)
    return values.map(dict(zip(distinct, map(function, distinct), strict=True)))


def name_key(value: str) -> str:
    """Return a matching key that ignores case and spacing."""
    return re.sub(r"\s+", "", value).casefold()


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


def maven_tables_read(*, directory: Path) -> MavenTables:
    """Read, check and repair the four files; build the tables to write."""
    frames = {file: csv_read(path=directory / file, file=file) for file in FILE_NAMES}
    return maven_tables_check(frames=frames)


def maven_tables_check(*, frames: dict[str, pd.DataFrame]) -> MavenTables:
    report = _Report()
    rows_read = {file: len(frame) for file, frame in frames.items()}

    products = _products_check(frames[PRODUCTS], report)
    teams, users = _sales_teams_check(frames[SALES_TEAMS], report)
    accounts = _accounts_check(frames[ACCOUNTS], report)
    opportunities = _pipeline_check(
        frames[SALES_PIPELINE],
        report,
        products=products,
        agents=users[users["role"] == "rep"],
        accounts=accounts,
    )
    revenue_lines, account_team = _derived(opportunities)

    issues = sorted(
        report.issues,
        key=lambda issue: (FILE_NAMES.index(issue.file), issue.line, issue.column),
    )
    return MavenTables(
        teams=teams,
        users=users,
        products=products.drop(columns=["key", "line"]),
        accounts=accounts.drop(columns=["line"]),
        opportunities=opportunities.drop(columns=["line"]),
        revenue_lines=revenue_lines,
        account_team=account_team,
        issues=issues,
        rows_read=rows_read,
    )


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
    revenue, revenue_reasons = numbers_parse(frame["revenue"])
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
    products: pd.DataFrame,
    agents: pd.DataFrame,
    accounts: pd.DataFrame,
) -> pd.DataFrame:
    frame = _duplicates(
        frame,
        column="opportunity_id",
        key=frame["opportunity_id"],
        file=SALES_PIPELINE,
        report=report,
    )
    product_by_key = dict(zip(products["key"], products["name"], strict=True))
    agent_names = dict(zip(agents["full_name"], agents["username"], strict=True))
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
        "the opportunity id is required",
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
            + product[renamed].map(repr)
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
    reject(
        ~no_account & ~account.isin(accounts["name"]),
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
    close_value, reasons = numbers_parse(frame["close_value"])
    reject(reasons != "", "close_value", reasons)
    reject(
        (reasons == "") & won & close_value.isna(),
        "close_value",
        "a won deal needs a close value",
    )

    keep = ~bad
    return pd.DataFrame(
        {
            "external_id": frame["opportunity_id"],
            "account_name": account.where(~no_account, None),
            "product_name": product,
            "owner_username": owner,
            "stage": stage,
            "engaged_on": engaged_on,
            "closed_on": closed_on,
            "close_value": close_value,
            "line": frame["line"],
        }
    )[keep].reset_index(drop=True)


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
