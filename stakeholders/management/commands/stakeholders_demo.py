"""Give every account a synthetic buying group for the demo."""

from typing import Any

from django.core.management.base import BaseCommand

from stakeholders.demo import stakeholder_demo_generate


class Command(BaseCommand):
    help = (
        "Replace each account's synthetic demo people (source 'synthetic demo "
        "data') with a fresh deterministic set; real people are untouched."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = stakeholder_demo_generate()
        self.stdout.write(
            f"Synthetic buying groups: {summary.people} people, {summary.links} "
            f"links and {summary.activities} touches across {summary.accounts} "
            "accounts."
        )
