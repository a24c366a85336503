from pathlib import Path

import pytest

from accounts.models import MappedImport
from accounts.recognise import layout_label
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_files_read,
    mapped_import_mapping_accept,
    mapped_import_mapping_confirm,
)
from tests.accounts.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def opened(tmp_path: Path, text: str) -> MappedImport:
    path = tmp_path / "accounts.csv"
    path.write_text(text)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    return mapped


@pytest.fixture
def existing() -> None:
    AccountFactory(name="Acme Corporation", sector="Retail", employees=2822)


DEALS = (
    "Account Name,Product Name,Close Date,Amount,Won\n"
    "Acme Corporation,GTX Pro,2026-03-31,600,true\n"
)


def test_a_simple_deals_export_imports_as_deals(tmp_path, existing) -> None:
    mapped = opened(tmp_path, DEALS)

    [preview] = mapped_import_files_read(mapped=mapped)
    outcome = mapped_import_check(mapped=mapped)

    assert preview.kind == "salesforce-report opportunities"
    assert layout_label(preview.kind) == "Salesforce report, opportunities"
    assert outcome.problems == []
    assert outcome.counts["Deals"]["created"] == 1


def test_a_saved_mapping_is_labelled_by_what_it_maps(tmp_path) -> None:
    # given: an accounts report someone mapped to deals and saved
    path = tmp_path / "accounts.csv"
    path.write_text("Account Name,Industry\nAcme Corporation,Retail\n")
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    mapped_import_mapping_confirm(
        mapped=mapped,
        mapping={"accounts.csv": {"Account Name": ["opportunity", "account_name"]}},
        user=None,
    )

    # when
    again = mapped_import_create_from_paths(user=None, paths=[path])
    [preview] = mapped_import_files_read(mapped=again)

    # then
    assert preview.source == "saved"
    assert preview.kind == "own opportunity"
    assert layout_label(preview.kind) == "Your own mapping, opportunity"
