"""What the wizard's company-matching tests share, whatever rows name companies.

Each fixture file names one company loosely, on lines 2 and 3 (proposed as
an account once case, spacing, punctuation and legal form are ignored), one
that shares only generic words with an account (line 5) and one that
matches two accounts (line 6); the last two are refused outright.
"""

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any, TypedDict

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ImportJob, MappedImport
from accounts.wizard import mapped_import_run, mapped_import_start
from tests.accounts.factories import AccountFactory

HARBOR_REFUSED = (
    "no account 'Harbor Bank of the South'; import the accounts first or in "
    "the same upload"
)
NORDIC_REFUSED = (
    "2 accounts are called 'Nordic Steel' once case, spacing, punctuation and "
    "legal form are ignored: 'NORDIC STEEL Ltd', 'Nordic Steel AB'; name the "
    "account by its ID"
)


class Company(TypedDict):
    """A company as the file names it, and the account proposed for it."""

    incoming: str
    existing: str


def loose_refused(incoming: str, existing: str) -> str:
    """The reason a row naming `incoming` is refused until it is accepted."""
    return (
        f'Company "{incoming}" matches no account exactly; accept the proposed '
        f'match to "{existing}" or fix the name'
    )


def loose_proposal(
    *, incoming: str, existing: str, key: str, records: str, merged: str = ""
) -> dict[str, Any]:
    """The check's proposal of `existing` for the two rows naming `incoming`."""
    return {
        "incoming": incoming,
        "existing": existing,
        "kind": "same",
        "reason": "same name once case, spacing, punctuation and legal form are "
        f"ignored ('{key}')",
        "merged": merged,
        "records": records,
        "rows": 2,
    }


def loose_refusals(
    *, column: str, incoming: str, existing: str, accepted: bool = False
) -> list[tuple]:
    """The rows refused, as `refused` lists them, before or after accepting."""
    loose = [
        (line, column, incoming, loose_refused(incoming, existing)) for line in (2, 3)
    ]
    return [
        *([] if accepted else loose),
        (5, column, "Harbor Bank of the South", HARBOR_REFUSED),
        (6, column, "Nordic Steel", NORDIC_REFUSED),
    ]


def look_alike_accounts() -> None:
    """Create the accounts the refused rows almost name."""
    AccountFactory.create(name="Harbor Bank of the North", external_id="")
    AccountFactory.create(name="Nordic Steel AB", external_id="")
    AccountFactory.create(name="NORDIC STEEL Ltd", external_id="")


def refused(issues: list[dict]) -> list[tuple]:
    return [
        (i["line"], i["column"], i["value"], i["reason"])
        for i in issues
        if i["action"] == "rejected"
    ]


def run(capture: Any, mapped: MappedImport, **start: Any) -> ImportJob:
    """Start the import and run it here, holding back its on-commit work."""
    with capture(execute=False):
        mapped_import_start(mapped=mapped, enqueue=False, **start)
        mapped_import_run(mapped=mapped)
    mapped.job.refresh_from_db()
    return mapped.job


def api_mapped(api: APIClient, path: Path) -> int:
    """Upload one file through the API and take its proposed mapping."""
    uploaded = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
    )
    job_id = uploaded.json()["id"]
    mapping_url = f"/api/accounts/imports/{job_id}/mapping/"
    etag = api.get(mapping_url)["ETag"]
    api.put(mapping_url, {"mapping": {}}, format="json", HTTP_IF_MATCH=etag)
    return job_id


def api_started_with_the_match(
    api: APIClient, capture: Any, job_id: int, *, incoming: str, existing: str
) -> None:
    """Start the import through the API, merging only what the check proposed.

    A match of generic words only was not proposed, so it cannot be taken;
    the proposed one is, with the good rows kept.
    """
    start_url = f"/api/accounts/imports/{job_id}/start/"
    unproposed = api.post(
        start_url,
        {"merges": {"Harbor Bank of the South": "Harbor Bank of the North"}},
        format="json",
    )
    assert unproposed.status_code == 400
    assert unproposed.json()["merges"] == [
        "'Harbor Bank of the South' is 'Harbor Bank of the North': the check "
        "proposes no such duplicate"
    ]

    with capture(execute=True):
        started = api.post(
            start_url,
            {"merges": {incoming: existing}, "keep_good_rows": True},
            format="json",
        )
    assert started.status_code == 202


def command_output(path: Path, *args: str) -> str:
    """Run import_files on one file; return what it printed."""
    out = StringIO()
    call_command("import_files", str(path), *args, stdout=out)
    return out.getvalue()


def command_refuses_without_the_match(command: Callable[..., str]) -> None:
    """Without accepting the proposal, or with an unproposed one, nothing runs."""
    with pytest.raises(CommandError) as stopped:
        command("--yes")
    assert "4 rows rejected (listed above), so nothing was written" in str(
        stopped.value
    )

    with pytest.raises(CommandError) as unproposed:
        command("--merge", "Nordic Steel", "Nordic Steel AB", "--yes")
    assert str(unproposed.value) == (
        "--merge: 'Nordic Steel' is 'Nordic Steel AB': the check proposes no "
        "such duplicate"
    )


def check_page_ticked(
    client: Client, mapped: MappedImport, *, incoming: str, existing: str, records: str
) -> None:
    """Show the proposal on the check page, tick it and check again."""
    url = f"/accounts/import/wizard/{mapped.job_id}/check/"
    reason = loose_refused(incoming, existing).replace('"', "&quot;")

    page = client.get(url).content.decode()

    assert f"<strong>{incoming}</strong> is <strong>{existing}</strong>" in page
    assert f'<span class="muted rows">2 rows of {records}</span>' in page
    assert reason in page
    assert "4 rows rejected" in page

    client.post(url, {"merge": json.dumps([incoming, existing]), "recheck": "1"})
    page = client.get(url).content.decode()

    mapped.refresh_from_db()
    assert mapped.merges == {incoming: existing}
    assert reason not in page
    assert "2 rows rejected" in page
