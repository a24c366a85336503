"""The stakeholder section of the account page."""

from typing import Any

from accounts.models import Account, User
from stakeholders.selectors import account_stakeholder_board


def stakeholder_section_context(*, user: User, account: Account) -> dict[str, Any]:
    return account_stakeholder_board(user=user, account=account)
