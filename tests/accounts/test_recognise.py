from pathlib import Path

import pytest

from accounts.recognise import (
    LAYOUTS,
    header_normalise,
    header_signature,
    headers_recognise,
    layout_label,
    mapping_check,
    mapping_reuse,
    mapping_save_form,
)
from accounts.tabular import table_read

FIXTURES = Path(__file__).parent / "fixtures" / "byod"
BUNDLED_DATA = Path(__file__).parents[2] / "data" / "maven-crm-sales-opportunities"


def headers_of(path: Path) -> list[str]:
    return table_read(content=path.read_bytes(), file=path.name).columns


def test_it_ignores_case_spacing_accents_and_punctuation() -> None:
    assert header_normalise("AnnualRevenue") == "annualrevenue"
    assert header_normalise(" ANNUAL_REVENUE ") == "annualrevenue"
    assert header_normalise("Annual  Revenue") == "annualrevenue"
    assert header_normalise("Country/Region") == "countryregion"
    assert header_normalise("Probability (%)") == "probability"
    assert header_normalise("Région") == "region"


def test_the_signature_ignores_order_and_spelling_but_not_names() -> None:
    one = header_signature(["Account Name", "Annual Revenue"])

    assert header_signature(["annual_revenue", "ACCOUNT NAME"]) == one
    assert header_signature(["Account Name", "Employees"]) != one
    assert one.startswith("h1:") and len(one) == 35


def test_it_recognises_a_salesforce_api_account_export() -> None:
    result = headers_recognise(
        headers=headers_of(FIXTURES / "salesforce_api_accounts.csv")
    )

    assert result.kind == "salesforce-api accounts"
    assert result.entity == "account"
    assert result.variant == ""
    assert result.confidence == 1.0
    assert result.unmapped == []
    assert result.mapping == {
        "Id": ("account", "external_id"),
        "Name": ("account", "name"),
        "OwnerId": ("account", "owner"),
        "Industry": ("account", "sector"),
        "AnnualRevenue": ("account", "annual_revenue"),
        "NumberOfEmployees": ("account", "employees"),
        "BillingCountry": ("account", "country"),
        "ParentId": ("account", "parent_external_id"),
        "Region__c": ("account", "extra"),
        "Tier__c": ("account", "extra"),
    }


def test_it_recognises_the_upper_case_data_loader_form() -> None:
    result = headers_recognise(
        headers=headers_of(FIXTURES / "salesforce_dataloader_accounts.csv")
    )

    assert result.kind == "salesforce-api accounts"
    assert result.variant == "Data Loader (upper case)"
    assert result.mapping == {
        "ID": ("account", "external_id"),
        "NAME": ("account", "name"),
        "ANNUALREVENUE": ("account", "annual_revenue"),
        "NUMBEROFEMPLOYEES": ("account", "employees"),
        "INDUSTRY": ("account", "sector"),
        "PARENTID": ("account", "parent_external_id"),
        "REGION__C": ("account", "extra"),
    }


def test_it_recognises_a_salesforce_api_opportunity_export() -> None:
    result = headers_recognise(
        headers=headers_of(FIXTURES / "salesforce_api_opportunities.csv")
    )

    assert result.kind == "salesforce-api opportunities"
    assert result.mapping == {
        "Id": ("opportunity", "external_id"),
        "Name": ("opportunity", "name"),
        "AccountId": ("opportunity", "account_external_id"),
        "StageName": ("opportunity", "stage"),
        "Amount": ("opportunity", "amount"),
        "CloseDate": ("opportunity", "close_date"),
        "IsWon": ("opportunity", "is_won"),
        "IsClosed": ("opportunity", "is_closed"),
        "Forecast_Category__c": ("opportunity", "extra"),
    }


def test_it_recognises_salesforce_report_exports() -> None:
    accounts = headers_recognise(
        headers=headers_of(FIXTURES / "salesforce_report_accounts.csv")
    )
    deals = headers_recognise(
        headers=headers_of(FIXTURES / "salesforce_report_opportunities.csv")
    )

    assert accounts.kind == "salesforce-report accounts"
    assert accounts.confidence == 1.0
    assert accounts.mapping == {
        "Account Name": ("account", "name"),
        "Account Owner": ("account", "owner"),
        "Billing Country": ("account", "country"),
        "Annual Revenue": ("account", "annual_revenue"),
        "Employees": ("account", "employees"),
        "Industry": ("account", "sector"),
        "Parent Account": ("account", "parent_name"),
    }
    assert deals.kind == "salesforce-report opportunities"
    assert deals.mapping == {
        "Opportunity Name": ("opportunity", "name"),
        "Account Name": ("opportunity", "account_name"),
        "Stage": ("opportunity", "stage"),
        "Amount": ("opportunity", "amount"),
        "Close Date": ("opportunity", "close_date"),
        "Opportunity Owner": ("opportunity", "owner"),
        "Won": ("opportunity", "is_won"),
    }


def test_it_recognises_hubspot_company_and_contact_exports() -> None:
    companies = headers_recognise(
        headers=headers_of(FIXTURES / "hubspot_companies.csv")
    )
    contacts = headers_recognise(headers=headers_of(FIXTURES / "hubspot_contacts.csv"))

    assert companies.kind == "hubspot companies"
    assert companies.mapping == {
        "Record ID": ("account", "external_id"),
        "Company name": ("account", "name"),
        "Company owner": ("account", "owner"),
        "Number of Employees": ("account", "employees"),
        "Annual Revenue": ("account", "annual_revenue"),
        "Industry": ("account", "sector"),
        "Parent Company": ("account", "parent_name"),
        "Country/Region": ("account", "country"),
    }
    assert companies.unmapped == ["Lifecycle Stage"]
    assert companies.confidence == 0.89
    assert contacts.kind == "hubspot contacts"
    assert contacts.entity == "person"
    assert contacts.mapping == {
        "Record ID": ("person", "external_id"),
        "First Name": ("person", "first_name"),
        "Last Name": ("person", "last_name"),
        "Email": ("person", "email"),
        "Job Title": ("person", "title"),
        "Associated Company": ("person", "account_name"),
        "Contact owner": ("person", "owner"),
    }


@pytest.mark.parametrize(
    ("file", "kind"),
    [
        ("accounts.csv", "bundled accounts"),
        ("products.csv", "bundled products"),
        ("sales_teams.csv", "bundled sales teams"),
        ("sales_pipeline.csv", "bundled pipeline"),
    ],
)
def test_it_recognises_the_bundled_data_set(file: str, kind: str) -> None:
    result = headers_recognise(headers=headers_of(BUNDLED_DATA / file))

    assert result.kind == kind
    assert result.confidence == 1.0


def test_the_bundled_pipeline_keeps_its_account_column() -> None:
    result = headers_recognise(headers=headers_of(BUNDLED_DATA / "sales_pipeline.csv"))

    assert result.mapping == {
        "opportunity_id": ("opportunity", "external_id"),
        "sales_agent": ("opportunity", "owner"),
        "product": ("opportunity", "product"),
        "account": ("opportunity", "account_name"),
        "deal_stage": ("opportunity", "stage"),
        "engage_date": ("opportunity", "engage_date"),
        "close_date": ("opportunity", "close_date"),
        "close_value": ("opportunity", "amount"),
    }


def test_a_pipeline_with_titled_headers_maps_its_account_name() -> None:
    headers = [
        "Opportunity ID",
        "Account Name",
        "Product",
        "Deal Stage",
        "Close Date",
        "Close Value",
    ]

    result = headers_recognise(headers=headers)

    assert result.kind == "bundled pipeline"
    assert result.mapping == {
        "Opportunity ID": ("opportunity", "external_id"),
        "Account Name": ("opportunity", "account_name"),
        "Product": ("opportunity", "product"),
        "Deal Stage": ("opportunity", "stage"),
        "Close Date": ("opportunity", "close_date"),
        "Close Value": ("opportunity", "amount"),
    }
    assert result.unmapped == []
    assert result.confidence == 1.0


def test_it_says_unknown_rather_than_guess() -> None:
    result = headers_recognise(headers=["Kunde", "Umsatz", "Ort"])

    assert result.kind == "unknown"
    assert result.entity is None
    assert result.mapping == {}
    assert result.unmapped == ["Kunde", "Umsatz", "Ort"]
    assert result.confidence == 0.0


def test_it_notes_two_columns_that_mean_the_same_field() -> None:
    result = headers_recognise(
        headers=["Opportunity Name", "Amount Currency", "Opportunity Currency"]
    )

    assert result.mapping == {
        "Opportunity Name": ("opportunity", "name"),
        "Amount Currency": ("opportunity", "currency"),
    }
    assert result.notes == [
        "'Opportunity Currency' and 'Amount Currency' both mean currency; "
        "'Amount Currency' is used"
    ]


def test_it_checks_an_edited_mapping() -> None:
    problems = mapping_check(
        mapping={
            "Kunde": ("account", "name"),
            "Firma": ("account", "name"),
            "Ort": ("account", "town"),
            "Notiz": ("account", "extra"),
            "Memo": ("account", "extra"),
        }
    )

    assert problems == [
        "'Firma' and 'Kunde' both map to account.name",
        "'Ort' maps to an unknown field account.town",
    ]


def test_a_saved_mapping_applies_to_the_same_headers_spelt_differently() -> None:
    saved = mapping_save_form(
        mapping={
            "Kunde": ("account", "name"),
            "Umsatz (EUR)": ("account", "annual_revenue"),
        }
    )

    reused = mapping_reuse(headers=["KUNDE", "umsatz_eur", "Ort"], saved=saved)

    assert saved == {
        "kunde": ["account", "name"],
        "umsatzeur": ["account", "annual_revenue"],
    }
    assert reused == {
        "KUNDE": ("account", "name"),
        "umsatz_eur": ("account", "annual_revenue"),
    }


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("salesforce-report accounts", "Salesforce report, accounts"),
        ("salesforce-api opportunities", "Salesforce API export, opportunities"),
        ("hubspot companies", "HubSpot export, companies"),
        ("bundled sales teams", "Bundled data set, sales teams"),
        ("plain users", "List kept by hand, users"),
        ("unknown", "Not recognised"),
    ],
)
def test_a_layout_kind_reads_as_words(kind: str, words: str) -> None:
    assert layout_label(kind) == words


def test_every_layout_has_words() -> None:
    assert all(
        not layout_label(layout.kind).startswith(layout.kind.split(" ")[0])
        for layout in LAYOUTS
    )


def test_a_deals_export_without_its_name_column_is_read_as_deals() -> None:
    headers = ["Account Name", "Product Name", "Close Date", "Amount", "Won"]

    recognition = headers_recognise(headers=headers)

    assert recognition.kind == "salesforce-report opportunities"
    assert recognition.mapping == {
        "Account Name": ("opportunity", "account_name"),
        "Product Name": ("opportunity", "product"),
        "Close Date": ("opportunity", "close_date"),
        "Amount": ("opportunity", "amount"),
        "Won": ("opportunity", "is_won"),
    }
    assert recognition.unmapped == []
    assert recognition.confidence == 1.0


def test_a_layout_without_its_markers_needs_most_of_the_columns() -> None:
    headers = ["Account Name", "Close Date", "Amount", "Region", "Tier", "Notes"]

    recognition = headers_recognise(headers=headers)

    assert recognition.kind == "salesforce-report accounts"
    assert recognition.mapping == {"Account Name": ("account", "name")}


def test_plain_deal_headers_map_to_their_fields() -> None:
    headers = [
        "Opportunity ID",
        "Account",
        "Product",
        "Stage",
        "Close Date",
        "Amount",
        "Currency",
        "Owner",
    ]

    recognition = headers_recognise(headers=headers)

    assert recognition.kind == "salesforce-report opportunities"
    assert recognition.mapping == {
        "Opportunity ID": ("opportunity", "external_id"),
        "Account": ("opportunity", "account_name"),
        "Product": ("opportunity", "product"),
        "Stage": ("opportunity", "stage"),
        "Close Date": ("opportunity", "close_date"),
        "Amount": ("opportunity", "amount"),
        "Currency": ("opportunity", "currency"),
        "Owner": ("opportunity", "owner"),
    }
    assert recognition.unmapped == []


@pytest.mark.parametrize(
    ("headers", "column"),
    [
        # The tester's file: Salesforce's labels, and a year in Lode's words.
        (
            ["Account Name", "Industry", "Employees", "Year Established", "Revenue"],
            "Year Established",
        ),
        (["Company", "Established"], "Established"),
        (["Company", "Year Started"], "Year Started"),
    ],
)
def test_a_year_established_column_maps_to_the_accounts_year(
    headers: list[str], column: str
) -> None:
    result = headers_recognise(headers=headers)

    assert result.unmapped == []
    assert result.mapping[column] == ("account", "year_established")


def test_a_salesforce_report_maps_its_year_started_column() -> None:
    result = headers_recognise(headers=["Account ID", "Account Name", "Year Started"])

    assert result.kind == "salesforce-report accounts"
    assert result.mapping["Year Started"] == ("account", "year_established")
