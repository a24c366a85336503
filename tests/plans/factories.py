from datetime import date

import factory

from plans.models import Plan, SellCycleTemplate
from plans.services import template_create
from tests.accounts.factories import AccountFactory


class PlanFactory(factory.django.DjangoModelFactory[Plan]):
    class Meta:
        model = Plan

    account = factory.SubFactory(AccountFactory)
    fiscal_year = 2026
    period_start = date(2026, 1, 1)
    period_end = date(2026, 12, 31)
    status = Plan.Status.ACTIVE


def gated_template(name: str = "Test cycle") -> SellCycleTemplate:
    """A three-stage template whose first stage has one required checkpoint."""
    return template_create(
        name=name,
        description="For tests.",
        stages=[
            {
                "name": "Qualify",
                "buyer_step": "Recognises the need",
                "checkpoints": [
                    {"description": "The finance lead reviewed the terms"},
                    {"description": "Nice to have", "required": False},
                ],
            },
            {
                "name": "Propose",
                "checkpoints": [{"description": "The business owner saw the demo"}],
            },
            {"name": "Close"},
        ],
    )
