import csv
from pathlib import Path

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

    for name in [*LAYOUT_FILES, "people.csv", "plan_items.csv"]:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    pipeline = "sales_pipeline.csv"
    assert (first / pipeline).read_bytes() != (other / pipeline).read_bytes()
