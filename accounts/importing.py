"""Read and check a Maven-style CRM export with pandas; no database here.

The export is four CSV files (accounts, products, sales_teams and
sales_pipeline). `maven_tables_read` turns them into clean DataFrames, one per
table we write, and a complete list of issues: every row repaired, rejected or
kept with a remark, with its file, its line as a spreadsheet counts it (the
header is line 1), the column, the value, the reason and the action taken.
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


def _check_rows(
    frame: pd.DataFrame,
    *,
    file: str,
    report: _Report,
    check: Callable[[dict[str, str]], tuple[dict[str, object] | None, list]],
) -> pd.DataFrame:
    """Run `check` over each row; keep the rows it accepts.

    `check` returns the clean row (or None when rejected) and a list of
    (column, value, reason, action) issues for that row.
    """
    clean: list[dict[str, object]] = []
    for row in frame.to_dict("records"):
        result, problems = check(row)
        for column, value, reason, action in problems:
            report.add(file, row["line"], column, value, reason, action)
        if result is not None:
            clean.append({**result, "line": row["line"]})
    return pd.DataFrame(clean)


def _duplicates(
    frame: pd.DataFrame, *, column: str, key: pd.Series, file: str, report: _Report
) -> pd.DataFrame:
    """Reject every repeat of a key; the first occurrence is kept."""
    repeated = key.duplicated(keep="first") & (frame[column] != "")
    first_line = frame.groupby(key)["line"].transform("min")
    for row, first in zip(
        frame[repeated].to_dict("records"), first_line[repeated], strict=True
    ):
        report.add(
            file,
            row["line"],
            column,
            row[column],
            f"duplicate {column}, first seen on line {first}",
            REJECTED,
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
    def check(row: dict[str, str]) -> tuple[dict[str, object] | None, list]:
        problems = []
        if row["product"] == "":
            return None, [("product", "", "the product name is required", REJECTED)]
        price, reason = _number(row["sales_price"])
        if reason:
            return None, [("sales_price", row["sales_price"], reason, REJECTED)]
        return {
            "name": row["product"],
            "series": row["series"],
            "list_price": price,
        }, problems

    frame = _duplicates(
        frame,
        column="product",
        key=frame["product"].map(name_key),
        file=PRODUCTS,
        report=report,
    )
    clean = _check_rows(frame, file=PRODUCTS, report=report, check=check)
    if clean.empty:
        clean = pd.DataFrame(columns=["name", "series", "list_price", "line"])
    clean["key"] = clean["name"].map(name_key)
    return clean


def _sales_teams_check(
    frame: pd.DataFrame, report: _Report
) -> tuple[pd.DataFrame, pd.DataFrame]:
    def check(row: dict[str, str]) -> tuple[dict[str, object] | None, list]:
        for column in ("sales_agent", "manager"):
            if username_for(row[column]) == "" or " " not in row[column]:
                return None, [
                    (column, row[column], "a first and last name is required", REJECTED)
                ]
        return dict(row), []

    frame = _duplicates(
        frame,
        column="sales_agent",
        key=frame["sales_agent"].map(name_key),
        file=SALES_TEAMS,
        report=report,
    )
    clean = _check_rows(frame, file=SALES_TEAMS, report=report, check=check)
    if clean.empty:
        clean = pd.DataFrame(columns=[*COLUMNS[SALES_TEAMS], "line"])

    # A manager leads one team; its region is the office of their agents.
    managers = clean.groupby("manager", sort=False).agg(
        region=("regional_office", "first"), line=("line", "min")
    )
    teams = pd.DataFrame(
        {
            "name": [f"{manager}'s team" for manager in managers.index],
            "region": managers["region"].to_list(),
            "manager_username": [username_for(name) for name in managers.index],
        }
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
    def check(row: dict[str, str]) -> tuple[dict[str, object] | None, list]:
        if row["account"] == "":
            return None, [("account", "", "the account name is required", REJECTED)]
        problems = []
        sector = row["sector"].lower()
        if sector in SECTOR_REPAIRS:
            problems.append(
                (
                    "sector",
                    row["sector"],
                    f"misspelt sector, read as {SECTOR_REPAIRS[sector]!r}",
                    REPAIRED,
                )
            )
            sector = SECTOR_REPAIRS[sector]
        country = row["office_location"]
        if country in COUNTRY_REPAIRS:
            problems.append(
                (
                    "office_location",
                    country,
                    f"misspelt country, read as {COUNTRY_REPAIRS[country]!r}",
                    REPAIRED,
                )
            )
            country = COUNTRY_REPAIRS[country]
        year, year_reason = _whole(row["year_established"])
        if not year_reason and year is not None and not 1600 <= year <= 2100:
            year_reason = "not a plausible year"
        revenue, revenue_reason = _number(row["revenue"])
        employees, employees_reason = _whole(row["employees"])
        bad = [
            (column, row[column], reason, REJECTED)
            for column, reason in (
                ("year_established", year_reason),
                ("revenue", revenue_reason),
                ("employees", employees_reason),
            )
            if reason
        ]
        if bad:
            return None, problems + bad
        return {
            "name": row["account"],
            "sector": sector,
            "year_established": year,
            "annual_revenue_musd": revenue,
            "employees": employees,
            "country": country,
            "parent_name": row["subsidiary_of"],
        }, problems

    frame = _duplicates(
        frame,
        column="account",
        key=frame["account"].map(name_key),
        file=ACCOUNTS,
        report=report,
    )
    clean = _check_rows(frame, file=ACCOUNTS, report=report, check=check)
    if clean.empty:
        return pd.DataFrame(
            columns=[
                "name",
                "sector",
                "year_established",
                "annual_revenue_musd",
                "employees",
                "country",
                "parent_name",
                "line",
            ]
        )

    # A parent must be an account we keep; rejecting one can orphan another,
    # so repeat until nothing changes.
    while True:
        known = set(clean["name"])
        orphan = (clean["parent_name"] != "") & ~clean["parent_name"].isin(known)
        if not orphan.any():
            break
        for row in clean[orphan].to_dict("records"):
            report.add(
                ACCOUNTS,
                row["line"],
                "subsidiary_of",
                row["parent_name"],
                f"parent account {row['parent_name']!r} is not a valid row "
                "of accounts.csv",
                REJECTED,
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
    product_by_key = dict(zip(products["key"], products["name"], strict=True))
    agent_names = dict(zip(agents["full_name"], agents["username"], strict=True))
    account_names = set(accounts["name"])

    def check(row: dict[str, str]) -> tuple[dict[str, object] | None, list]:
        problems: list = []
        bad: list = []
        if row["opportunity_id"] == "":
            bad.append(("opportunity_id", "", "the opportunity id is required"))

        stage = row["deal_stage"].lower()
        if stage not in STAGES:
            bad.append(
                (
                    "deal_stage",
                    row["deal_stage"],
                    "unknown stage (expected Prospecting, Engaging, Won or Lost)",
                )
            )

        agent = agent_names.get(row["sales_agent"])
        if agent is None:
            bad.append(
                ("sales_agent", row["sales_agent"], "agent not in sales_teams.csv")
            )

        product = product_by_key.get(name_key(row["product"]))
        if product is None:
            bad.append(("product", row["product"], "product not in products.csv"))
        elif product != row["product"]:
            problems.append(
                (
                    "product",
                    row["product"],
                    f"product name differs from the catalogue, read as {product!r}",
                    REPAIRED,
                )
            )

        account = row["account"]
        if account == "":
            if stage in OPEN_STAGES:
                problems.append(
                    ("account", "", "open deal with no account, kept without one", KEPT)
                )
            elif stage in STAGES:
                bad.append(("account", "", "a closed deal needs an account"))
        elif account not in account_names:
            bad.append(("account", account, "account not a valid row of accounts.csv"))

        engaged_on, reason = _date(row["engage_date"])
        if reason:
            bad.append(("engage_date", row["engage_date"], reason))
        closed_on, reason = _date(row["close_date"])
        if reason:
            bad.append(("close_date", row["close_date"], reason))
        elif stage == "won" and closed_on is None:
            bad.append(("close_date", "", "a won deal needs a close date"))
        if engaged_on and closed_on and closed_on < engaged_on:
            bad.append(("close_date", row["close_date"], "closes before it engages"))
        close_value, reason = _number(row["close_value"])
        if reason:
            bad.append(("close_value", row["close_value"], reason))
        elif stage == "won" and close_value is None:
            bad.append(("close_value", "", "a won deal needs a close value"))

        if bad:
            return None, problems + [(*item, REJECTED) for item in bad]
        return {
            "external_id": row["opportunity_id"],
            "account_name": account or None,
            "product_name": product,
            "owner_username": agent,
            "stage": stage,
            "engaged_on": engaged_on,
            "closed_on": closed_on,
            "close_value": close_value,
        }, problems

    frame = _duplicates(
        frame,
        column="opportunity_id",
        key=frame["opportunity_id"],
        file=SALES_PIPELINE,
        report=report,
    )
    clean = _check_rows(frame, file=SALES_PIPELINE, report=report, check=check)
    if clean.empty:
        clean = pd.DataFrame(
            columns=[
                "external_id",
                "account_name",
                "product_name",
                "owner_username",
                "stage",
                "engaged_on",
                "closed_on",
                "close_value",
                "line",
            ]
        )
    return clean


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _derived(opportunities: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build won revenue per account, product and quarter, and account teams."""
    won = opportunities[opportunities["stage"] == "won"].copy()
    won["quarter_start"] = won["closed_on"].map(quarter_start)
    revenue = (
        won.groupby(["account_name", "product_name", "quarter_start"], sort=True)[
            "close_value"
        ]
        .agg(lambda values: sum(values, Decimal("0")))
        .reset_index()
        .rename(columns={"close_value": "amount"})
    )
    if revenue.empty:
        revenue = pd.DataFrame(
            columns=["account_name", "product_name", "quarter_start", "amount"]
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
