"""A mapping saved before custom fields were kept drops no `__c` column.

The mapping page once had no "keep as custom field" choice, so confirming a
Salesforce export there saved its `__c` columns as not imported. Migration
0021 keeps them as custom fields; a column the user skips once the choice
exists stays skipped.
"""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Account, MappedImport, Opportunity, SavedMapping
from accounts.recognise import header_signature
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_confirm,
)

BEFORE = [("accounts", "0020_import_job_started_from")]
AFTER = [("accounts", "0021_saved_mapping_custom_fields")]

DEALS = [
    "Id",
    "AccountId",
    "Name",
    "StageName",
    "Amount",
    "CloseDate",
    "IsWon",
    "IsClosed",
    "CurrencyIsoCode",
    "Deal_Source__c",
    "Competitor__c",
]
# As the mapping page saved a deals export before it offered custom fields.
DEALS_SAVED = {
    "id": ["opportunity", "external_id"],
    "accountid": ["opportunity", "account_external_id"],
    "stagename": ["opportunity", "stage"],
    "amount": ["opportunity", "amount"],
    "closedate": ["opportunity", "close_date"],
    "iswon": ["opportunity", "is_won"],
    "isclosed": ["opportunity", "is_closed"],
    "currencyisocode": ["opportunity", "currency"],
}
ACCOUNTS = ["Id", "Name", "Region__c", "TIER__C"]
ACCOUNTS_SAVED = {
    "id": ["account", "external_id"],
    "name": ["account", "name"],
    "regionc": ["account", "extra"],
}
# Support signals keep no custom fields: their `__c` column stays unmapped.
SUPPORT = ["Account Name", "Period", "Tickets", "Notes__c"]
SUPPORT_SAVED = {
    "accountname": ["support", "account_name"],
    "period": ["support", "period"],
    "tickets": ["support", "tickets"],
}
DEALS_CSV = (
    ",".join(DEALS) + "\n006A000001OOOOO,001A000001AAAAA,Alpha renewal,Closed Won,"
    "50000,2025-06-30,true,true,USD,Partner,Globex\n"
)


def migrated(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def deals_file(tmp_path: Path) -> Path:
    path = tmp_path / "sf_opportunities.csv"
    path.write_text(DEALS_CSV)
    return path


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_custom_columns_old_mappings_dropped(
    tmp_path: Path,
) -> None:
    # given mappings saved before custom fields were a choice
    old = migrated(BEFORE).loader.project_state(BEFORE).apps
    saved = old.get_model("accounts", "SavedMapping").objects
    for headers, mapping in (
        (DEALS, DEALS_SAVED),
        (ACCOUNTS, ACCOUNTS_SAVED),
        (SUPPORT, SUPPORT_SAVED),
    ):
        saved.create(
            signature=header_signature(headers), headers=headers, mapping=mapping
        )

    # when
    new = migrated(AFTER).loader.project_state(AFTER).apps

    # then
    mappings = {
        tuple(one.headers): one.mapping
        for one in new.get_model("accounts", "SavedMapping").objects.all()
    }
    assert mappings == {
        tuple(DEALS): {
            **DEALS_SAVED,
            "dealsourcec": ["opportunity", "extra"],
            "competitorc": ["opportunity", "extra"],
        },
        tuple(ACCOUNTS): {**ACCOUNTS_SAVED, "tierc": ["account", "extra"]},
        tuple(SUPPORT): SUPPORT_SAVED,
    }

    # when: the deals export arrives again, at the latest state
    migrated(MigrationExecutor(connection).loader.graph.leaf_nodes())
    Account.objects.create(name="Brk Alpha Industries", external_id="001A000001AAAAA")
    out = StringIO()
    call_command("import_files", str(deals_file(tmp_path)), "--yes", stdout=out)

    # then the saved mapping is used and keeps both custom columns
    output = out.getvalue()
    assert output.startswith("sf_opportunities.csv: ")
    assert output.split("\n")[0].endswith(" (saved)")
    assert "  Competitor__c   -> opportunity.extra\n" in output
    assert list(Opportunity.objects.values_list("external_id", "custom_values")) == [
        ("006A000001OOOOO", {"Deal_Source__c": "Partner", "Competitor__c": "Globex"})
    ]


@pytest.mark.django_db
def test_a_custom_column_skipped_once_the_choice_exists_stays_skipped(
    tmp_path: Path,
) -> None:
    # given: the user confirms the deals mapping with Competitor__c skipped
    Account.objects.create(name="Brk Alpha Industries", external_id="001A000001AAAAA")
    first = mapped_import_create_from_paths(user=None, paths=[deals_file(tmp_path)])
    (preview,) = mapped_import_files_read(mapped=first)
    chosen = {
        column: list(target)
        for column, target in preview.mapping.items()
        if column != "Competitor__c"
    }
    assert (
        mapped_import_mapping_confirm(
            mapped=first, mapping={preview.name: chosen}, user=None
        )
        == {}
    )

    # when: a file with the same headers arrives
    again: MappedImport = mapped_import_create_from_paths(
        user=None, paths=[deals_file(tmp_path)]
    )
    (reused,) = mapped_import_files_read(mapped=again)
    outcome = mapped_import_check(mapped=again)

    # then: the saved mapping skips it again, and says so
    assert reused.source == "saved"
    assert "Competitor__c" not in reused.mapping
    assert reused.mapping["Deal_Source__c"] == ("opportunity", "extra")
    assert "competitorc" not in SavedMapping.objects.get().mapping
    assert outcome.warnings == [
        "sf_opportunities.csv: 1 of 11 columns is not imported: Competitor__c"
    ]
