"""Write a synthetic CRM export in the bundled data set's layout, at any size.

The four CSVs have exactly the columns, order, date format and CRLF line
endings of data/maven-crm-sales-opportunities/, so the importer reads them
unchanged. They are labelled synthetic by the folder name and by a SOURCE.md
written beside them, never inside the CSVs.

Rows are generated in fixed-size chunks from one seeded numpy generator, so
the output is byte-identical for a seed and memory stays bounded at any
number of revenue lines: only per-account arrays (a few floats each) are held.

Beside the layout, invoice_lines.csv bills every won deal in one or more
instalments dated in the deal's closing quarter, in the wizard's invoice
layout, so an account has several lines per product and quarter, about
`revenue_lines_per_account` in all, as an ERP extract would give.
"""

import argparse
import csv
import datetime
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CHUNK_ROWS = 250_000
# Dates follow the bundled set: two years of engagements up to the end of 2017.
FIRST_ENGAGE = datetime.date(2016, 1, 1)
LAST_CLOSE = datetime.date(2017, 12, 31)
AS_OF = LAST_CLOSE

SECTORS = [
    "technology",
    "medical",
    "retail",
    "software",
    "entertainment",
    "marketing",
    "finance",
    "telecommunications",
    "services",
    "employment",
]
COUNTRIES = ["United States"] * 17 + ["Germany", "Kenya", "Norway", "Japan"]
SERIES = ["GTX", "MG", "GTK", "ZX", "QR", "VX"]
TIERS = ["Basic", "Pro", "Plus", "Advanced", "Special", "Max"]
OFFICES = ["Central", "East", "West"]
SYLLABLES_A = ["Zen", "Kor", "Bel", "Tri", "Vo", "Ald", "Mer", "Sol"]
SYLLABLES_B = ["dex", "ona", "vit", "plex", "cast", "ware", "line", "hub"]
FIRST_NAMES = ["Ada", "Ben", "Cleo", "Dev", "Esme", "Finn", "Gia", "Hugo", "Ines"]
LAST_NAMES = ["Arden", "Brook", "Cole", "Drake", "Ellis", "Frost", "Grant", "Hale"]
TITLES = [
    ("Chief Financial Officer", "Finance"),
    ("VP Information Technology", "IT"),
    ("Head of Operations", "Operations"),
    ("Procurement Manager", "Procurement"),
    ("Director of Sales", "Sales"),
    ("IT Architect", "IT"),
    ("Financial Analyst", "Finance"),
]
PLAN_KINDS = ["objective", "initiative", "pursuit", "checkpoint"]
STAGES = np.array(["Won", "Lost", "Engaging", "Prospecting"], dtype=object)
# Close to the bundled set: Won 48 %, Lost 28 %, Engaging 18 %, Prospecting 6 %.
STAGE_SHARES = [0.48, 0.28, 0.18, 0.06]
# Share of open deals that name no account yet (1,425 of 2,089 in the real set
# is too many to be useful at scale; a tenth keeps the quirk visible).
OPEN_WITHOUT_ACCOUNT = 0.10
ID_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
ID_SPACE = 36**8
# Odd and coprime with 36**8, so i -> i * ID_STRIDE mod 36**8 is a bijection.
ID_STRIDE = 2_654_435_761


@dataclass(frozen=True)
class Spec:
    accounts: int
    lines: int
    seed: int = 42
    products: int = 12
    people_per_account: int = 3
    plan_items_per_account: int = 2
    revenue_lines_per_account: int = 10

    @property
    def agents(self) -> int:
        return max(35, self.accounts // 30)

    @property
    def managers(self) -> int:
        return max(6, self.agents // 6)

    def folder_name(self) -> str:
        return (
            f"synthetic-{self.accounts}a-{self.lines}l"
            f"-{self.revenue_lines_per_account}i-s{self.seed}"
        )

    @property
    def extra_instalments(self) -> float:
        """Return the mean number of instalments a won deal has beyond one."""
        won = self.lines * STAGE_SHARES[0]
        return max(self.accounts * self.revenue_lines_per_account / won - 1, 0.0)


def account_name(index: int) -> str:
    """Return a unique name that no legal-suffix or case rule can merge."""
    first = SYLLABLES_A[index % len(SYLLABLES_A)]
    second = SYLLABLES_B[(index // len(SYLLABLES_A)) % len(SYLLABLES_B)]
    return f"{first}{second} {index:07d}"


def account_names(indexes: np.ndarray) -> np.ndarray:
    return np.array([account_name(int(index)) for index in indexes], dtype=object)


def agent_name(index: int) -> str:
    return f"{FIRST_NAMES[index % 9]} {LAST_NAMES[(index // 9) % 8]} {index:05d}"


def manager_name(index: int) -> str:
    return f"{FIRST_NAMES[(index + 4) % 9]} Manager {index:04d}"


def product_catalogue(count: int) -> list[tuple[str, str, int]]:
    products = []
    for index in range(count):
        series = SERIES[index % len(SERIES)]
        tier = TIERS[(index // len(SERIES)) % len(TIERS)]
        suffix = "" if index < len(SERIES) * len(TIERS) else f" {index}"
        price = int(55 + (index * 1_733) % 26_000)
        products.append((f"{series} {tier}{suffix}", series, price))
    return products


def opportunity_ids(start: int, count: int) -> np.ndarray:
    """Return unique 8-character ids in the bundled set's style."""
    first = start + 1_000_003
    numbers = (np.arange(first, first + count, dtype=np.uint64) * ID_STRIDE) % (
        ID_SPACE
    )
    digits = np.empty((count, 8), dtype=np.uint8)
    for position in range(7, -1, -1):
        digits[:, position] = ID_ALPHABET[(numbers % 36).astype(np.intp)]
        numbers //= 36
    return digits.view("S8").ravel().astype(str).astype(object)


def write_accounts(spec: Spec, rng: np.random.Generator, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(
            [
                "account",
                "sector",
                "year_established",
                "revenue",
                "employees",
                "office_location",
                "subsidiary_of",
            ]
        )
        for start in range(0, spec.accounts, CHUNK_ROWS):
            indexes = np.arange(start, min(start + CHUNK_ROWS, spec.accounts))
            size = len(indexes)
            sectors = rng.integers(0, len(SECTORS), size)
            years = rng.integers(1979, 2017, size)
            revenue = np.round(rng.lognormal(6.3, 1.1, size), 2)
            employees = np.maximum(
                10, (revenue * rng.uniform(1.5, 4.5, size)).astype(np.int64)
            )
            countries = rng.integers(0, len(COUNTRIES), size)
            # About one account in seven is a subsidiary of an earlier one
            # that is itself no subsidiary, as in the bundled hierarchy.
            is_subsidiary = (indexes % 7 == 3) & (rng.random(size) < 0.95)
            parents = (indexes // 7) * 7
            names = account_names(indexes)
            for row in range(size):
                writer.writerow(
                    [
                        names[row],
                        SECTORS[sectors[row]],
                        years[row],
                        f"{revenue[row]:.2f}",
                        employees[row],
                        COUNTRIES[countries[row]],
                        account_name(int(parents[row])) if is_subsidiary[row] else "",
                    ]
                )


def write_products(spec: Spec, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["product", "series", "sales_price"])
        writer.writerows(product_catalogue(spec.products))


def write_teams(spec: Spec, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["sales_agent", "manager", "regional_office"])
        for index in range(spec.agents):
            manager = index % spec.managers
            writer.writerow(
                [
                    agent_name(index),
                    manager_name(manager),
                    OFFICES[manager % len(OFFICES)],
                ]
            )


def invoice_lines(
    spec: Spec, rng: np.random.Generator, won: pd.DataFrame
) -> pd.DataFrame:
    """Return the invoice lines of a chunk's won deals.

    A deal's instalments add up to its close value to the cent and fall
    between its close date and the end of that quarter, so the quarter
    sums are the won deals' sums, whatever the split.
    """
    counts = 1 + rng.poisson(spec.extra_instalments, len(won))
    deal = np.repeat(np.arange(len(won)), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    shares = rng.uniform(0.5, 1.5, len(deal))
    shares /= np.add.reduceat(shares, starts)[deal]
    cents = won["close_value"].to_numpy(dtype=np.int64) * 100
    parts = np.floor(cents[deal] * shares).astype(np.int64)
    # The last instalment takes what rounding down left over.
    parts[starts + counts - 1] += cents - np.add.reduceat(parts, starts)

    closed = pd.to_datetime(won["close_date"]).to_numpy()[deal]
    quarter_end = (
        pd.DatetimeIndex(closed).to_period("Q").end_time.normalize().to_numpy()
    )
    span = (quarter_end - closed).astype("timedelta64[D]").astype(np.int64)
    booked = closed + (rng.random(len(deal)) * (span + 1)).astype("timedelta64[D]")
    number = np.arange(len(deal)) - starts[deal] + 1
    return pd.DataFrame(
        {
            "invoice_number": (
                "INV-"
                + pd.Series(won["opportunity_id"].to_numpy()[deal])
                + "-"
                + pd.Series(number).astype(str)
            ),
            "account_name": won["account"].to_numpy()[deal],
            "product": won["product"].to_numpy()[deal],
            "date": pd.Series(booked).dt.strftime("%Y-%m-%d"),
            "amount": parts / 100,
        }
    )


def write_pipeline(
    spec: Spec,
    rng: np.random.Generator,
    path: Path,
    *,
    invoice_rng: np.random.Generator,
    invoice_path: Path,
) -> None:
    """Write the opportunities, and the invoice lines of the won ones."""
    # Skewed demand: a Pareto weight per account, so a few accounts dominate
    # revenue as in real portfolios. Products are weighted too.
    account_weights = rng.pareto(1.3, spec.accounts) + 0.05
    account_cumulative = np.cumsum(account_weights)
    account_cumulative /= account_cumulative[-1]
    catalogue = product_catalogue(spec.products)
    product_names = np.array([name for name, _, _ in catalogue], dtype=object)
    prices = np.array([price for _, _, price in catalogue], dtype=np.float64)
    product_weights = 1 / np.arange(1, spec.products + 1)
    product_weights /= product_weights.sum()
    agent_names = np.array(
        [agent_name(index) for index in range(spec.agents)], dtype=object
    )
    all_names = account_names(np.arange(spec.accounts))
    engage_span = (LAST_CLOSE - FIRST_ENGAGE).days - 120

    header = True
    for start in range(0, spec.lines, CHUNK_ROWS):
        size = min(CHUNK_ROWS, spec.lines - start)
        accounts = np.searchsorted(account_cumulative, rng.random(size), side="right")
        accounts = np.minimum(accounts, spec.accounts - 1)
        products = rng.choice(spec.products, size, p=product_weights)
        # Each account is worked by one of two agents, so account teams stay
        # small and stable.
        agents = (accounts * 31 + rng.integers(0, 2, size)) % spec.agents
        stages = STAGES[rng.choice(4, size, p=STAGE_SHARES)]
        engaged = np.datetime64(FIRST_ENGAGE) + rng.integers(
            0, engage_span, size
        ).astype("timedelta64[D]")
        closed = engaged + rng.integers(5, 120, size).astype("timedelta64[D]")
        value = np.round(prices[products] * rng.uniform(0.85, 1.1, size))

        is_open = (stages == "Engaging") | (stages == "Prospecting")
        is_lost = stages == "Lost"
        no_account = is_open & (rng.random(size) < OPEN_WITHOUT_ACCOUNT)
        names = all_names[accounts]
        names[no_account] = ""
        prospecting = stages == "Prospecting"

        frame = pd.DataFrame(
            {
                "opportunity_id": opportunity_ids(start, size),
                "sales_agent": agent_names[agents],
                "product": product_names[products],
                "account": names,
                "deal_stage": stages,
                "engage_date": pd.Series(engaged).dt.strftime("%Y-%m-%d"),
                "close_date": pd.Series(closed).dt.strftime("%Y-%m-%d"),
                "close_value": pd.array(value.astype(np.int64), dtype="Int64"),
            }
        )
        frame.loc[prospecting, "engage_date"] = None
        frame.loc[is_open, "close_date"] = None
        frame.loc[is_lost, "close_value"] = 0
        frame.loc[is_open, "close_value"] = pd.NA
        frame.to_csv(
            path,
            mode="w" if header else "a",
            header=header,
            index=False,
            lineterminator="\r\n",
        )
        invoice_lines(spec, invoice_rng, frame[stages == "Won"]).to_csv(
            invoice_path,
            mode="w" if header else "a",
            header=header,
            index=False,
            lineterminator="\r\n",
            float_format="%.2f",
        )
        header = False


def write_people(spec: Spec, rng: np.random.Generator, path: Path) -> None:
    """Write contacts in a Salesforce contact export's layout."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(
            ["FirstName", "LastName", "Title", "Department", "Account Name", "Email"]
        )
        for start in range(0, spec.accounts, CHUNK_ROWS):
            indexes = np.arange(start, min(start + CHUNK_ROWS, spec.accounts))
            counts = rng.integers(1, 2 * spec.people_per_account, len(indexes))
            for index, count in zip(indexes, counts, strict=True):
                name = account_name(int(index))
                for person in range(int(count)):
                    first = FIRST_NAMES[(index + person) % len(FIRST_NAMES)]
                    last = LAST_NAMES[(index * 3 + person) % len(LAST_NAMES)]
                    title, department = TITLES[(index + 2 * person) % len(TITLES)]
                    email = f"{first}.{last}.{index}.{person}@example.com".lower()
                    writer.writerow([first, last, title, department, name, email])


def write_plan_items(spec: Spec, path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["account", "kind", "title", "status", "due_on"])
        for index in range(spec.accounts):
            name = account_name(index)
            for item in range(spec.plan_items_per_account):
                kind = PLAN_KINDS[(index + item) % len(PLAN_KINDS)]
                due = FIRST_ENGAGE + datetime.timedelta(days=(index * 13 + item) % 700)
                status = "open" if item % 2 == 0 else "done"
                writer.writerow([name, kind, f"{kind.title()} {item + 1}", status, due])


def write_source_note(spec: Spec, folder: Path) -> None:
    settings = "\n".join(f"- {key}: {value}" for key, value in asdict(spec).items())
    (folder / "SOURCE.md").write_text(
        f"# Synthetic CRM export (not real data)\n\n"
        f"Generated by `python -m bench.generate` for benchmarks. Every name,\n"
        f"figure and date is made up from a seeded random generator; the same\n"
        f"settings always give the same bytes.\n\n{settings}\n\n"
        f"accounts.csv, products.csv, sales_teams.csv and sales_pipeline.csv\n"
        f"follow the layout of data/maven-crm-sales-opportunities/ exactly.\n"
        f"invoice_lines.csv bills each won deal in instalments within its\n"
        f"closing quarter, in the import wizard's invoice layout.\n"
        f"people.csv (Salesforce contact layout) and plan_items.csv feed the\n"
        f"page benchmarks.\n"
    )


def generate(*, spec: Spec, root: Path) -> Path:
    """Write the data set under root and return its folder."""
    folder = root / spec.folder_name()
    folder.mkdir(parents=True, exist_ok=True)
    # One child generator per file: adding rows to one file never shifts the
    # random stream of another.
    streams = np.random.SeedSequence(spec.seed).spawn(4)
    write_accounts(spec, np.random.default_rng(streams[0]), folder / "accounts.csv")
    write_products(spec, folder / "products.csv")
    write_teams(spec, folder / "sales_teams.csv")
    write_pipeline(
        spec,
        np.random.default_rng(streams[1]),
        folder / "sales_pipeline.csv",
        invoice_rng=np.random.default_rng(streams[3]),
        invoice_path=folder / "invoice_lines.csv",
    )
    write_people(spec, np.random.default_rng(streams[2]), folder / "people.csv")
    write_plan_items(spec, folder / "plan_items.csv")
    write_source_note(spec, folder)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--products", type=int, default=12)
    parser.add_argument("--revenue-lines-per-account", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("var/bench/data"))
    args = parser.parse_args(argv)
    spec = Spec(
        accounts=args.accounts,
        lines=args.lines,
        seed=args.seed,
        products=args.products,
        revenue_lines_per_account=args.revenue_lines_per_account,
    )
    folder = generate(spec=spec, root=args.out)
    sys.stdout.write(f"{folder}\n")


if __name__ == "__main__":
    main()
