import csv
from pathlib import Path

import pandas as pd

from bench.generate import Spec, generate

BUNDLED = Path(__file__).resolve().parents[2] / "data" / "maven-crm-sales-opportunities"
LAYOUT_FILES = ["accounts.csv", "products.csv", "sales_teams.csv", "sales_pipeline.csv"]


def read_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_it_writes_the_bundled_layout(tmp_path: Path) -> None:
    folder = generate(spec=Spec(accounts=50, lines=400), root=tmp_path)

    for name in LAYOUT_FILES:
        ours = (folder / name).read_bytes()
        theirs = (BUNDLED / name).read_bytes()
        assert ours.split(b"\r\n")[0] == theirs.split(b"\r\n")[0], name
        assert ours.endswith(b"\r\n") and b"\n" not in ours.replace(b"\r\n", b"")
    assert "not real data" in (folder / "SOURCE.md").read_text()
    assert folder.name.startswith("synthetic-")


def test_it_writes_the_asked_row_counts_with_valid_references(tmp_path: Path) -> None:
    folder = generate(spec=Spec(accounts=300, lines=2_000, products=9), root=tmp_path)

    accounts = read_rows(folder / "accounts.csv")[1:]
    products = read_rows(folder / "products.csv")[1:]
    agents = read_rows(folder / "sales_teams.csv")[1:]
    pipeline = read_rows(folder / "sales_pipeline.csv")[1:]
    names = {row[0] for row in accounts}
    assert len(accounts) == len(names) == 300
    assert len(products) == 9
    assert len(pipeline) == 2_000
    assert len({row[0] for row in pipeline}) == 2_000
    assert {row[6] for row in accounts} - {""} <= names
    assert {row[3] for row in pipeline} - {""} <= names
    assert {row[2] for row in pipeline} <= {row[0] for row in products}
    assert {row[1] for row in pipeline} <= {row[0] for row in agents}
    won = [row for row in pipeline if row[4] == "Won"]
    assert won and all(row[3] and row[6] and int(row[7]) > 0 for row in won)
    open_deals = [row for row in pipeline if row[4] in {"Engaging", "Prospecting"}]
    assert all(row[6] == "" and row[7] == "" for row in open_deals)


def test_it_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    first = generate(spec=Spec(accounts=80, lines=900, seed=7), root=tmp_path / "a")
    second = generate(spec=Spec(accounts=80, lines=900, seed=7), root=tmp_path / "b")
    other = generate(spec=Spec(accounts=80, lines=900, seed=8), root=tmp_path / "c")

    for name in [*LAYOUT_FILES, "invoice_lines.csv", "people.csv", "plan_items.csv"]:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    pipeline = "sales_pipeline.csv"
    assert (first / pipeline).read_bytes() != (other / pipeline).read_bytes()


def test_it_bills_each_won_deal_in_invoice_lines_within_its_quarter(
    tmp_path: Path,
) -> None:
    # given
    spec = Spec(accounts=500, lines=5_000)

    # when
    folder = generate(spec=spec, root=tmp_path)

    # then: about ten lines an account, several a deal, summing to the cent
    pipeline = pd.read_csv(folder / "sales_pipeline.csv")
    won = pipeline[pipeline["deal_stage"] == "Won"].set_index("opportunity_id")
    invoices = pd.read_csv(folder / "invoice_lines.csv")
    assert list(invoices.columns) == [
        "invoice_number",
        "account_name",
        "product",
        "date",
        "amount",
    ]
    assert invoices["invoice_number"].is_unique
    assert 9 * 500 < len(invoices) < 11 * 500
    deal = invoices["invoice_number"].str.slice(4, 12)
    assert deal.value_counts().max() > 2
    cents = (invoices["amount"] * 100).round().astype("int64")
    billed = cents.groupby(deal).sum()
    assert billed.to_dict() == (won["close_value"] * 100).astype("int64").to_dict()
    assert (invoices["account_name"].to_numpy() == won.loc[deal, "account"]).all()
    assert (invoices["product"].to_numpy() == won.loc[deal, "product"]).all()
    booked = pd.to_datetime(invoices["date"])
    closed = pd.to_datetime(won.loc[deal, "close_date"]).to_numpy()
    assert (booked.to_numpy() >= closed).all()
    assert (
        booked.dt.to_period("Q").to_numpy()
        == pd.DatetimeIndex(closed).to_period("Q").to_numpy()
    ).all()


def test_it_gives_about_ten_lines_an_account_at_every_scale() -> None:
    # given: won deals are 48 % of the pipeline lines
    small = Spec(accounts=1_000, lines=20_000)
    large = Spec(accounts=1_000_000, lines=10_000_000)

    # then: the mean instalments a deal tops them up to ten lines an account
    assert round(1 + small.extra_instalments, 4) == round(10 / 9.6, 4)
    assert round(1 + large.extra_instalments, 4) == round(10 / 4.8, 4)
    assert Spec(accounts=10, lines=1_000).extra_instalments == 0
