"""An account's folded name is stored beside it, and every write keeps it.

The key is the name as account_name_caseless folds it (NFC, then Python's
casefold), so "Straße" and "STRASSE" are one name on SQLite and
PostgreSQL alike. A rename is refused by one probe of its index, and two
renames racing to one key end with one of them refused, not both saved.
"""

import importlib
import threading
import time
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models.functions import Upper
from django.urls import reverse

from accounts import services
from accounts.matching import account_name_caseless
from accounts.models import Account, User
from accounts.services import (
    ACCOUNT_NAME_TAKEN,
    account_name_check,
    maven_import_directory,
)
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_undo,
)
from accounts.wizard_forewarn import mapped_import_forewarnings
from tests.accounts.conftest import api_for
from tests.accounts.factories import AccountFactory
from tests.accounts.invoice_files import erp_file
from tests.accounts.test_import import SMALL, write_export
from tests.accounts.wizard_runs import imported

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_in_tmp")]

MIGRATION = "accounts.migrations.0046_account_name_key"


def keys() -> dict[str, str]:
    return dict(Account.objects.values_list("name", "name_key"))


def keys_in_step() -> bool:
    return all(key == account_name_caseless(name) for name, key in keys().items())


def rename(user: User, account: Account, name: str):
    client = api_for(user)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = client.get(url)["ETag"]
    return client.patch(url, {"name": name}, format="json", HTTP_IF_MATCH=etag)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Straße AG", "strasse ag"),
        ("ÄRZTE GMBH", "ärzte gmbh"),
        # Python folds the dotted capital I to "i" and a combining dot.
        ("İSTANBUL AŞ", "i\u0307stanbul aş"),
        # A decomposed "A" and diaeresis is stored composed.
        ("A\u0308rzte GmbH", "ärzte gmbh"),
        ("Acme  Corp", "acme  corp"),
    ],
)
def test_save_stores_the_folded_name(name: str, key: str) -> None:
    account = AccountFactory.create(name=name)

    account.refresh_from_db()
    assert account.name_key == key


def test_every_orm_write_of_a_name_writes_its_key() -> None:
    # given
    first, second = Account.objects.bulk_create(
        [Account(name="Straße AG"), Account(name="Ärzte GmbH")]
    )

    # when
    first.name = "STRASSE Nord"
    second.name = "ÄRZTE Süd"
    Account.objects.bulk_update([first, second], ["name"])
    Account.objects.create(name="İzmir Ltd")
    Account.objects.filter(name="İzmir Ltd").update(name="IZMIR LTD")
    third = Account.objects.get(name="IZMIR LTD")
    third.name = "Izmir Holding"
    third.save(update_fields=["name"])

    # then
    assert keys() == {
        "STRASSE Nord": "strasse nord",
        "ÄRZTE Süd": "ärzte süd",
        "Izmir Holding": "izmir holding",
    }


def test_an_update_by_expression_is_refused_rather_than_left_unkeyed() -> None:
    AccountFactory.create(name="Acme")

    with pytest.raises(TypeError, match="name_key"):
        Account.objects.update(name=Upper("name"))


def test_the_migration_folds_the_names_already_stored() -> None:
    # given: keys as they were before the column was filled
    AccountFactory.create(name="Straße AG")
    AccountFactory.create(name="İSTANBUL AŞ")
    Account.objects.update(name_key="")
    migration = importlib.import_module(MIGRATION)

    # when
    migration.name_keys_fill(apps, None)

    # then
    assert keys() == {"Straße AG": "strasse ag", "İSTANBUL AŞ": "i\u0307stanbul aş"}


@pytest.mark.parametrize(
    ("stored", "wanted"),
    [
        ("Straße AG", "STRASSE AG"),
        ("Ärzte GmbH", "ÄRZTE GMBH"),
        ("İstanbul AŞ", "i\u0307stanbul aş"),
        ("Ärzte GmbH", "A\u0308RZTE GMBH"),
    ],
)
def test_a_rename_to_another_accounts_name_in_any_capitals_is_refused(
    ops: User, account: Account, stored: str, wanted: str
) -> None:
    AccountFactory.create(name=stored)

    response = rename(ops, account, wanted)

    account.refresh_from_db()
    assert response.status_code == 400
    assert response.json() == {"name": [ACCOUNT_NAME_TAKEN]}
    assert account.name == "Acme Corporation"


@pytest.mark.parametrize(
    ("stored", "wanted"),
    [
        # Accents and spacing count; so does the dotless/dotted I.
        ("Ärzte GmbH", "Arzte GmbH"),
        ("Acme Corp", "Acme  Corp"),
        ("İstanbul AŞ", "Istanbul AŞ"),
    ],
)
def test_a_rename_to_a_name_that_differs_beyond_capitals_passes(
    ops: User, account: Account, stored: str, wanted: str
) -> None:
    AccountFactory.create(name=stored)

    response = rename(ops, account, wanted)

    account.refresh_from_db()
    assert response.status_code == 200, response.json()
    assert (account.name, account.name_key) == (wanted, account_name_caseless(wanted))


def test_the_rename_check_reads_no_other_name(
    ops: User, account: Account, django_assert_max_num_queries
) -> None:
    # given: more names than the old check read in one batch
    Account.objects.bulk_create(Account(name=f"Company {n}") for n in range(6000))

    # when
    with (
        django_assert_max_num_queries(2) as captured,
        pytest.raises(ValidationError) as refused,
    ):
        account_name_check(account=account, name="COMPANY 5999", user=ops)

    # then: one probe of the key, which stops at the first row it finds
    assert refused.value.message_dict == {"name": [ACCOUNT_NAME_TAKEN]}
    probe = captured.captured_queries[-1]["sql"]
    assert "name_key" in probe
    assert "LIMIT 1" in probe


def test_an_import_writes_the_keys_of_what_it_creates_and_renames(
    tmp_path: Path,
) -> None:
    # given
    first = tmp_path / "first.csv"
    first.write_text(
        "Account ID,Account Name\nA-1,Straße AG\nA-2,Ärzte GmbH\n", encoding="utf-8"
    )
    second = tmp_path / "second.csv"
    second.write_text(
        "Account ID,Account Name\nA-1,STRASSE NORD AG\nA-2,Ärzte GmbH\n",
        encoding="utf-8",
    )
    assert imported(first).status == "succeeded"

    # when
    renaming = imported(second)

    # then
    assert renaming.status == "succeeded", renaming.issues
    assert keys() == {"STRASSE NORD AG": "strasse nord ag", "Ärzte GmbH": "ärzte gmbh"}

    # when: the rename is undone
    mapped_import_undo(mapped=renaming.mapped, user=None)

    # then
    assert keys() == {"Straße AG": "strasse ag", "Ärzte GmbH": "ärzte gmbh"}


def test_the_bundled_data_loader_writes_the_keys(tmp_path: Path) -> None:
    accounts = [
        *SMALL["accounts.csv"],
        "Straße AG,technolgy,1990,10.5,20,Germany,",
        "İSTANBUL AŞ,technolgy,1991,11.5,30,Turkey,",
    ]

    job = maven_import_directory(
        directory=write_export(tmp_path, **{"accounts.csv": accounts})
    )

    assert job.status == "succeeded", job.error
    assert keys()["Straße AG"] == "strasse ag"
    assert keys()["İSTANBUL AŞ"] == "i\u0307stanbul aş"
    assert keys_in_step()


def test_a_large_upload_forecast_finds_an_account_by_its_name_in_any_capitals(
    acme_won: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the account is called "Ärzte Corporation"; the upload shouts it
    acme_won.name = "Ärzte Corporation"
    acme_won.save()
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    path = erp_file(
        tmp_path, "INV-2017-9;ÄRZTE CORPORATION;15/08/2017;GTK 500;10,00;USD"
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    warnings = mapped_import_forewarnings(mapped=mapped)

    # then
    assert warnings == [
        "Ärzte Corporation Q3 2017: invoices of 10.00 USD will replace 3 won "
        "deals (17,878.00 USD) counted now",
    ]


def _rename_in_thread(
    *, user: User, account: Account, name: str, answers: dict[str, tuple[int, object]]
) -> None:
    try:
        response = rename(user, account, name)
        answers[name] = (response.status_code, response.json())
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_two_renames_racing_to_one_name_end_with_one_refused(
    postgres, ops: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the first rename holds its transaction open once it has saved
    first = AccountFactory.create(name="Alpha")
    second = AccountFactory.create(name="Beta")
    saved, release = threading.Event(), threading.Event()
    announce = services.account_renamed_announce

    def held(*, account: Account) -> None:
        announce(account=account)
        if account.pk == first.pk:
            saved.set()
            release.wait(60)

    monkeypatch.setattr(services, "account_renamed_announce", held)
    answers: dict[str, tuple[int, object]] = {}
    racers = [
        threading.Thread(
            target=_rename_in_thread,
            kwargs={"user": ops, "account": account, "name": name, "answers": answers},
        )
        for account, name in ((first, "Ärzte GmbH"), (second, "ÄRZTE GMBH"))
    ]

    # when: the second starts while the first is still open, and the first
    # commits once the second waits for it (or has finished without waiting)
    racers[0].start()
    assert saved.wait(60)
    racers[1].start()
    with connection.cursor() as cursor:
        while racers[1].is_alive():
            cursor.execute(
                "SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND NOT granted"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.02)
    release.set()
    for racer in racers:
        racer.join(60)

    # then
    assert answers["Ärzte GmbH"][0] == 200
    assert answers["ÄRZTE GMBH"] == (400, {"name": [ACCOUNT_NAME_TAKEN]})
    assert sorted(Account.objects.values_list("name", "name_key")) == [
        ("Beta", "beta"),
        ("Ärzte GmbH", "ärzte gmbh"),
    ]


def test_a_large_upload_forecast_finds_an_account_by_its_id_as_written(
    acme_won: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: Acme's Salesforce ID has capitals; another account's ID is the
    # same in small letters, a different record to Salesforce
    acme_won.external_id = "001Ab00000XyZ12"
    acme_won.save()
    AccountFactory.create(name="Globex", external_id="001ab00000xyz12")
    monkeypatch.setattr("accounts.wizard.INLINE_CHECK_MAX_BYTES", 10)
    path = tmp_path / "erp.csv"
    path.write_text(
        "Invoice No;Customer ID;Invoice Date;Product;Net Amount;Currency\n"
        "INV-2017-9;001Ab00000XyZ12;15/08/2017;GTK 500;10,00;USD\n"
    )
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}

    # when
    warnings = mapped_import_forewarnings(mapped=mapped)

    # then
    assert warnings == [
        "Acme Corporation Q3 2017: invoices of 10.00 USD will replace 3 won "
        "deals (17,878.00 USD) counted now",
    ]
