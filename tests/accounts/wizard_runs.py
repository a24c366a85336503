"""Run the import wizard on a file as ops would, taking what it suggests."""

import html
from pathlib import Path
from typing import Any

from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ImportJob, InvoicesWithoutRate, User
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)

READ_ONLY = {
    "custom_values": ["This field cannot be set here; it is read-only or unknown."]
}


def imported(
    path: Path,
    *,
    keep_good_rows: bool = False,
    invoices_without_rate: str = InvoicesWithoutRate.KEEP_DEALS,
) -> ImportJob:
    """Import one file with the suggested mapping, all rows or the good ones."""
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(
        mapped=mapped,
        merges={},
        keep_good_rows=keep_good_rows,
        invoices_without_rate=invoices_without_rate,
        enqueue=False,
    )
    return mapped_import_run(mapped=mapped)


def counted(
    *, created: int = 0, updated: int = 0, unchanged: int = 0, rejected: int = 0
) -> dict[str, int]:
    """Return one table's counts as an import job keeps them."""
    return {
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "rejected": rejected,
    }


def custom_column_decisions(path: Path) -> list[Any]:
    """Return what the check says it does with the file's `__c` columns."""
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    outcome = mapped_import_check(mapped=mapped)

    return [d for d in outcome.decisions if d[1].endswith("__c")]


def page_shown(client: Any, user: User, name: str, pk: int) -> str:
    """Return a page as the user reads it, after checking it answered 200."""
    client.force_login(user)

    page = client.get(reverse(name, args=[pk]))

    assert page.status_code == 200
    return html.unescape(page.content.decode())


def custom_values_read_only(*, user: User, url: str, attempt: dict) -> dict:
    """Try to set custom fields over the API; return those read before.

    The write carries the ETag read, so it is refused for the field alone.
    """
    api = APIClient()
    api.force_authenticate(user)

    read = api.get(url)
    written = api.patch(
        url,
        {"custom_values": attempt},
        format="json",
        HTTP_IF_MATCH=read["ETag"],
    )

    assert written.status_code == 400
    assert written.json() == READ_ONLY
    return read.json()["custom_values"]
