"""ERP invoice files and won deals the invoice tests share."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from accounts.models import Account, Opportunity, Product
from accounts.won_revenue import won_revenue_deal_cell, won_revenue_sync

ERP_HEADER = "Invoice No;Customer Name;Invoice Date;Product;Net Amount;Currency\n"
# The tester's one invoice: 10 USD of Acme's, in Q3 2017.
ACME_Q3_ROW = "INV-2017-9;Acme Corporation;15/08/2017;GTK 500;10,00;USD"


def erp_file(directory: Path, *rows: str) -> Path:
    """Return an ERP invoice extract of the given rows, as the tester's."""
    path = directory / "erp.csv"
    path.write_text(ERP_HEADER + "".join(f"{row}\n" for row in rows))
    return path


def won_deals(account: Account, product: Product, *closes: tuple[date, str]) -> None:
    """Store won deals and the quarter sums the imports keep of them."""
    deals = [
        Opportunity.objects.create(
            external_id=f"deal-{account.pk}-{product.pk}-{number}",
            account=account,
            product=product,
            stage=Opportunity.Stage.WON,
            engaged_on=date(2017, 1, 2),
            closed_on=closed_on,
            close_value=Decimal(value),
            currency="USD",
        )
        for number, (closed_on, value) in enumerate(closes)
    ]
    # As the imports do: the sync locks the quarters it sums.
    with transaction.atomic():
        won_revenue_sync(cells=[won_revenue_deal_cell(deal) for deal in deals])


RATELESS_ROWS = (
    "INV-2017-11;Acme Corporation;22/11/2017;GTK 500;10,00;EUR",
    "INV-2017-12;Acme Corporation;14/12/2017;GTK 500;20,00;CHF",
)


# What the check says of Acme's Q4 2017 won deals while no rate converts
# the invoices of RATELESS_ROWS.
ACME_Q4_WAITING = (
    "Acme Corporation Q4 2017: 2 won deals (6,700.50 USD) still counted: no "
    "stored rate converts the invoices that would replace them, and the import "
    "keeps won deals until one does"
)
ACME_Q4_RATELESS = [
    "Acme Corporation Q4 2017: 1 invoice line (20.00 CHF) will be left out "
    "of totals, which will say they lack a rate: no CHF rate on or before "
    "1 Oct 2017",
    "Acme Corporation Q4 2017: 1 invoice line (10.00 EUR) will be left out "
    "of totals, which will say they lack a rate: no EUR rate on or before "
    "1 Oct 2017",
]
