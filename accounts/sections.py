"""Sections of the account page, contributed by the apps that own them.

The account page belongs to `accounts`, which depends on no other app of
ours. Scoring, stakeholders and plans each register a section in their
AppConfig.ready(); the page renders them in order.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.currency import RateTable
from accounts.models import Account, User

SectionContext = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class AccountSection:
    key: str
    title: str
    template: str
    order: int
    # Called as context(user=..., account=...), and with rates=... (the
    # page's RateTable) when converts_money; must run a fixed number of
    # queries whatever the size of the account.
    context: SectionContext
    # Whether the section converts money: it then shares the rates the page
    # read once, instead of reading them again.
    converts_money: bool = False


_sections: dict[str, AccountSection] = {}


def account_section_register(section: AccountSection) -> None:
    """Add a section to the account page, replacing one with the same key."""
    _sections[section.key] = section


def account_section_list() -> list[AccountSection]:
    return sorted(_sections.values(), key=lambda section: section.order)


def account_section_render_context(
    *, user: User, account: Account, rates: RateTable
) -> list[tuple[AccountSection, dict[str, Any]]]:
    return [
        (
            section,
            section.context(user=user, account=account, rates=rates)
            if section.converts_money
            else section.context(user=user, account=account),
        )
        for section in account_section_list()
    ]
