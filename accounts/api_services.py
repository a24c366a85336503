"""Writes on accounts that the API offers.

TODO: move `account_update` into accounts/services.py once that module
exists; it lives here because another engineer owns that file's creation.
"""

from typing import Any

from accounts.models import Account, User
from config.api import instance_save_if_unchanged

ACCOUNT_EDITABLE_FIELDS = (
    "sector",
    "country",
    "year_established",
    "annual_revenue_musd",
    "employees",
)


def account_update(
    *, account: Account, user: User, data: dict[str, Any], expected_version: Any
) -> bool:
    """Change the account's firmographics unless someone else changed it first.

    Return False, saving nothing, when the account is no longer at the
    version the caller read.
    """
    fields = [field for field in ACCOUNT_EDITABLE_FIELDS if field in data]
    for field in fields:
        setattr(account, field, data[field])
    account.full_clean()

    return instance_save_if_unchanged(
        instance=account, fields=fields, expected_version=expected_version
    )
