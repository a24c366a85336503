"""Recognise an export by its header row and propose a column mapping.

Headers are compared after `header_normalise` (case, spacing and punctuation
ignored), so "AnnualRevenue", "ANNUALREVENUE" and "Annual Revenue" are one
name. `headers_recognise` tries each known layout (Salesforce API and Data
Loader exports, Salesforce report exports, HubSpot exports, the bundled data
set's files) and returns the best fit: its kind, a mapping {source column:
(entity, field)}, the columns left unmapped, a confidence and the header
signature under which a confirmed mapping is saved for next time.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

ACCOUNT = "account"
OPPORTUNITY = "opportunity"
PERSON = "person"
PRODUCT = "product"
USER = "user"
# Our sales teams, as a file of teams of its own; a users file names teams too.
SALES_TEAM = "sales_team"

# The field a source column is kept under when it has no field of its own,
# such as a Salesforce custom field; the source column names it.
EXTRA = "extra"

# Every (entity, field) a mapping may name. Money and dates are typed by
# accounts.parsing; an importer reads these fields, not the source headers.
TARGET_FIELDS: dict[str, tuple[str, ...]] = {
    ACCOUNT: (
        "external_id",
        "name",
        "owner",
        "sector",
        "annual_revenue",
        # Annual revenue already in millions of US dollars (the bundled set).
        "annual_revenue_musd",
        "employees",
        "country",
        "city",
        "website",
        "year_established",
        "parent_external_id",
        "parent_name",
        "currency",
        EXTRA,
    ),
    OPPORTUNITY: (
        "external_id",
        "name",
        "account_external_id",
        "account_name",
        "stage",
        "amount",
        "currency",
        "close_date",
        "engage_date",
        "is_won",
        "is_closed",
        "probability",
        "owner",
        "product",
        # One product line of an opportunity ("Opportunities with Products").
        "line_total",
        "quantity",
        "unit_price",
        EXTRA,
    ),
    PERSON: (
        "external_id",
        "first_name",
        "last_name",
        "full_name",
        "email",
        "title",
        "department",
        "phone",
        "account_external_id",
        "account_name",
        # The person's manager at the customer: their ID in the same export
        # (Salesforce ReportsToId), else their email or name.
        "reports_to",
        "owner",
        EXTRA,
    ),
    PRODUCT: ("name", "series", "list_price"),
    USER: (
        "external_id",
        "username",
        "first_name",
        "last_name",
        "full_name",
        "email",
        "role",
        "team",
        # The user's manager or team lead: an email, a login, a name or
        # (Salesforce ManagerId) the manager's ID in the same export.
        "manager",
        "region",
        "is_active",
        EXTRA,
    ),
    SALES_TEAM: ("name", "manager", "region"),
}

_CUSTOM_FIELD = re.compile(r"__c$", re.IGNORECASE)


def header_normalise(header: str) -> str:
    """Return a header with case, accents, spacing and punctuation removed."""
    text = unicodedata.normalize("NFKD", header)
    text = "".join(char for char in text if not unicodedata.combining(char))
    return re.sub(r"[\W_]+", "", text.casefold())


def header_signature(headers: Sequence[str]) -> str:
    """Return a stable key for a header row, whatever its order or spelling.

    Two files whose headers normalise to the same set share the signature,
    so a mapping confirmed for one is offered for the other.
    """
    names = sorted({header_normalise(header) for header in headers} - {""})
    digest = hashlib.sha256("\x1f".join(names).encode()).hexdigest()
    return f"h1:{digest[:32]}"


HUBSPOT_COMPANIES = "hubspot companies"
# HubSpot exports a company's industry as the option's internal name.
_HUBSPOT_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*")
# Codes whose words need more than spaces and lower case.
_HUBSPOT_INDUSTRY_WORDS = {"E_LEARNING": "E-learning"}


def industry_words(value: str) -> str:
    """Return a HubSpot industry code as words ("Computer software")."""
    code = value.strip()
    if not _HUBSPOT_CODE.fullmatch(code):
        return value
    if code in _HUBSPOT_INDUSTRY_WORDS:
        return _HUBSPOT_INDUSTRY_WORDS[code]
    words = code.replace("_", " ").lower()
    return words[:1].upper() + words[1:]


@dataclass(frozen=True)
class Layout:
    kind: str
    entity: str
    fields: dict[str, tuple[str, str]]
    markers: tuple[str, ...]
    custom_fields: bool = False
    # What the user should know about reading this layout, for the mapping.
    notes: tuple[str, ...] = ()


def _layout(
    kind: str,
    entity: str,
    fields: dict[str, str | tuple[str, str]],
    *,
    markers: Sequence[str],
    custom_fields: bool = False,
    notes: Sequence[str] = (),
) -> Layout:
    normalised = {
        header_normalise(header): (
            target if isinstance(target, tuple) else (entity, target)
        )
        for header, target in fields.items()
    }
    return Layout(
        kind=kind,
        entity=entity,
        fields=normalised,
        markers=tuple(header_normalise(marker) for marker in markers),
        custom_fields=custom_fields,
        notes=tuple(notes),
    )


LAYOUTS: tuple[Layout, ...] = (
    # Salesforce API names, as Data Loader, Workbench or the REST API export
    # them; Data Loader writes them in upper case.
    _layout(
        "salesforce-api accounts",
        ACCOUNT,
        {
            "Id": "external_id",
            "Name": "name",
            "OwnerId": "owner",
            "Industry": "sector",
            "AnnualRevenue": "annual_revenue",
            "NumberOfEmployees": "employees",
            "BillingCountry": "country",
            "BillingCity": "city",
            "Website": "website",
            "YearStarted": "year_established",
            "ParentId": "parent_external_id",
            "CurrencyIsoCode": "currency",
        },
        markers=["Id", "Name"],
        custom_fields=True,
    ),
    _layout(
        "salesforce-api opportunities",
        OPPORTUNITY,
        {
            "Id": "external_id",
            "Name": "name",
            # A report or a SOQL query with the deal's name under its label.
            "Opportunity Name": "name",
            "AccountId": "account_external_id",
            # A report or a SOQL query with the account's name beside the deal.
            "Account.Name": "account_name",
            "Account Name": "account_name",
            "StageName": "stage",
            "Amount": "amount",
            "CurrencyIsoCode": "currency",
            "CloseDate": "close_date",
            "CreatedDate": "engage_date",
            "IsWon": "is_won",
            "IsClosed": "is_closed",
            "Probability": "probability",
            "OwnerId": "owner",
        },
        markers=["Id", "StageName"],
        custom_fields=True,
    ),
    _layout(
        "salesforce-api contacts",
        PERSON,
        {
            "Id": "external_id",
            "FirstName": "first_name",
            "LastName": "last_name",
            "Name": "full_name",
            "Email": "email",
            "Title": "title",
            "Department": "department",
            "Phone": "phone",
            "MobilePhone": "phone",
            "AccountId": "account_external_id",
            "Account.Name": "account_name",
            "ReportsToId": "reports_to",
            "OwnerId": "owner",
        },
        markers=["Id", "LastName"],
        custom_fields=True,
    ),
    # Salesforce report exports ("Export Details"), in the report's labels.
    _layout(
        "salesforce-report accounts",
        ACCOUNT,
        {
            "Account ID": "external_id",
            "Account Name": "name",
            "Account Owner": "owner",
            "Industry": "sector",
            "Annual Revenue": "annual_revenue",
            "Employees": "employees",
            "Billing Country": "country",
            "Billing City": "city",
            "Website": "website",
            "Year Started": "year_established",
            "Parent Account": "parent_name",
            "Parent Account ID": "parent_external_id",
            "Account Currency": "currency",
        },
        markers=["Account Name"],
    ),
    _layout(
        "salesforce-report opportunities",
        OPPORTUNITY,
        {
            "Opportunity ID": "external_id",
            "Opportunity Name": "name",
            "Account ID": "account_external_id",
            "Account Name": "account_name",
            "Stage": "stage",
            "Amount": "amount",
            "Amount Currency": "currency",
            "Opportunity Currency": "currency",
            "Close Date": "close_date",
            "Created Date": "engage_date",
            "Won": "is_won",
            "Closed": "is_closed",
            "Probability (%)": "probability",
            "Opportunity Owner": "owner",
            "Product Name": "product",
            # The plain headers of a deals list a user wrote or renamed.
            "Deal Name": "name",
            "Account": "account_name",
            "Currency": "currency",
            "Owner": "owner",
            "Product": "product",
        },
        markers=["Opportunity Name"],
    ),
    # "Opportunities with Products": one row per product line, so one
    # Opportunity ID on several rows.
    _layout(
        "salesforce-report opportunity products",
        OPPORTUNITY,
        {
            "Opportunity ID": "external_id",
            "Opportunity Name": "name",
            "Account ID": "account_external_id",
            "Account Name": "account_name",
            "Stage": "stage",
            "Opportunity Currency": "currency",
            "Total Price Currency": "currency",
            "Close Date": "close_date",
            "Created Date": "engage_date",
            "Won": "is_won",
            "Closed": "is_closed",
            "Opportunity Owner": "owner",
            "Product Name": "product",
            "Total Price": "line_total",
            "Quantity": "quantity",
            "Sales Price": "unit_price",
        },
        markers=["Opportunity Name", "Product Name", "Quantity"],
    ),
    _layout(
        "salesforce-report contacts",
        PERSON,
        {
            "Contact ID": "external_id",
            "First Name": "first_name",
            "Last Name": "last_name",
            "Title": "title",
            "Department": "department",
            "Email": "email",
            "Phone": "phone",
            "Mobile": "phone",
            "Account ID": "account_external_id",
            "Account Name": "account_name",
            "Reports To": "reports_to",
            # A report names a lookup's field after it: the manager's name.
            "Reports To: Full Name": "reports_to",
            "Contact Owner": "owner",
        },
        markers=["Last Name", "Account Name"],
    ),
    # Salesforce users (Setup, or Data Loader on the User object).
    _layout(
        "salesforce-api users",
        USER,
        {
            "Id": "external_id",
            "Username": "username",
            "FirstName": "first_name",
            "LastName": "last_name",
            "Name": "full_name",
            "Email": "email",
            "UserRole.Name": "role",
            "Department": "team",
            "ManagerId": "manager",
            "IsActive": "is_active",
        },
        markers=["Id", "Username"],
        custom_fields=True,
        notes=[
            "UserRole.Name is read as the Lode role: rep, manager, executive "
            "or ops; rename the roles first if the export uses others",
        ],
    ),
    # HubSpot exports, in HubSpot's property labels.
    _layout(
        HUBSPOT_COMPANIES,
        ACCOUNT,
        {
            "Record ID": "external_id",
            "Company name": "name",
            "Company owner": "owner",
            "Industry": "sector",
            "Annual Revenue": "annual_revenue",
            "Number of Employees": "employees",
            "Country/Region": "country",
            "City": "city",
            "Company Domain Name": "website",
            "Year Founded": "year_established",
            "Parent Company": "parent_name",
        },
        markers=["Record ID", "Company name"],
        notes=[
            "HubSpot's industry codes are kept as words: COMPUTER_SOFTWARE "
            "as 'Computer software'",
        ],
    ),
    _layout(
        "hubspot contacts",
        PERSON,
        {
            "Record ID": "external_id",
            "First Name": "first_name",
            "Last Name": "last_name",
            "Email": "email",
            "Job Title": "title",
            "Department": "department",
            "Phone Number": "phone",
            "Mobile Phone Number": "phone",
            "Associated Company": "account_name",
            "Company Name": "account_name",
            "Associated Company ID": "account_external_id",
            "Associated Company IDs": "account_external_id",
            "Company ID": "account_external_id",
            "Contact owner": "owner",
        },
        markers=["Record ID", "Last Name"],
    ),
    _layout(
        "hubspot users",
        USER,
        {
            "First Name": "first_name",
            "Last Name": "last_name",
            "Email": "email",
            "Team": "team",
            "Teams": "team",
            "Primary Team": "team",
            "Role": "role",
        },
        markers=["First Name", "Last Name", "Email", "Team"],
    ),
    _layout(
        "hubspot deals",
        OPPORTUNITY,
        {
            "Record ID": "external_id",
            "Deal Name": "name",
            "Deal Stage": "stage",
            "Amount": "amount",
            "Currency": "currency",
            "Close Date": "close_date",
            "Create Date": "engage_date",
            "Deal owner": "owner",
            "Associated Company": "account_name",
            "Associated Company IDs": "account_external_id",
        },
        markers=["Record ID", "Deal Name"],
    ),
    # A users or teams list kept by hand.
    *(
        _layout(
            "plain users",
            USER,
            {
                "email": "email",
                "name": "full_name",
                "full name": "full_name",
                "first name": "first_name",
                "last name": "last_name",
                "role": "role",
                "team": "team",
                "manager": "manager",
                "team lead": "manager",
                "region": "region",
                "active": "is_active",
                "is active": "is_active",
            },
            markers=markers,
        )
        for markers in (["email", "name", "role"], ["email", "name", "team"])
    ),
    *(
        _layout(
            "plain teams",
            SALES_TEAM,
            {
                "team": "name",
                "team name": "name",
                "manager": "manager",
                "team lead": "manager",
                "region": "region",
            },
            markers=markers,
        )
        for markers in (["team", "team lead"], ["team", "manager"])
    ),
    # A people list kept by hand, in the columns Lode's first people import
    # took: a first or last name and the account, by ID or name.
    *(
        _layout(
            "plain people",
            PERSON,
            {
                "id": "external_id",
                "contact id": "external_id",
                "first name": "first_name",
                "last name": "last_name",
                "name": "full_name",
                "full name": "full_name",
                "title": "title",
                "job title": "title",
                "department": "department",
                "account id": "account_external_id",
                "company id": "account_external_id",
                "account": "account_name",
                "account name": "account_name",
                "company": "account_name",
                "company name": "account_name",
                "email": "email",
                "email address": "email",
                "phone": "phone",
                "phone number": "phone",
                "reports to": "reports_to",
                "reports to id": "reports_to",
                "manager": "reports_to",
            },
            markers=[name, account],
        )
        for name in ("last name", "full name")
        for account in ("account", "account name", "company", "account id")
    ),
    # An accounts list kept by hand or exported from a spreadsheet, in plain
    # words: "Company, Industry, Country, Employees". It comes after the
    # CRM layouts, so a tie goes to the export the headers were named after.
    *(
        _layout(
            "plain accounts",
            ACCOUNT,
            {
                "account id": "external_id",
                "company id": "external_id",
                "customer id": "external_id",
                "company": "name",
                "company name": "name",
                "account": "name",
                "account name": "name",
                "organisation": "name",
                "organization": "name",
                "name": "name",
                "owner": "owner",
                "account owner": "owner",
                "company owner": "owner",
                "industry": "sector",
                "sector": "sector",
                "revenue": "annual_revenue",
                "annual revenue": "annual_revenue",
                "turnover": "annual_revenue",
                "employees": "employees",
                "number of employees": "employees",
                "employee count": "employees",
                "headcount": "employees",
                "country": "country",
                "city": "city",
                "website": "website",
                "web site": "website",
                "domain": "website",
                "year founded": "year_established",
                "founded": "year_established",
                # Lode's own word for it, as the account page shows it.
                "year established": "year_established",
                "established": "year_established",
                "year started": "year_established",
                "parent": "parent_name",
                "parent company": "parent_name",
                "parent account": "parent_name",
                "currency": "currency",
            },
            markers=[name],
        )
        for name in (
            "company",
            "company name",
            "account",
            "account name",
            "organisation",
            "organization",
        )
    ),
    # The bundled data set (accounts.importing reads it as a whole).
    _layout(
        "bundled accounts",
        ACCOUNT,
        {
            "account": "name",
            "sector": "sector",
            "year_established": "year_established",
            "revenue": "annual_revenue_musd",
            "employees": "employees",
            "office_location": "country",
            "subsidiary_of": "parent_name",
        },
        markers=["account", "sector", "subsidiary_of"],
        notes=[
            "revenue is read in millions of US dollars, the bundled data "
            "set's unit (1100.04 is USD 1,100.04 million)",
            "the bundled data set's known misspellings are repaired and "
            "reported: sector 'technolgy' and country 'Philipines'",
        ],
    ),
    _layout(
        "bundled products",
        PRODUCT,
        {"product": "name", "series": "series", "sales_price": "list_price"},
        markers=["product", "sales_price"],
    ),
    _layout(
        "bundled sales teams",
        USER,
        {
            "sales_agent": "full_name",
            "manager": "manager",
            "regional_office": "region",
        },
        markers=["sales_agent", "manager"],
    ),
    _layout(
        "bundled pipeline",
        OPPORTUNITY,
        {
            "opportunity_id": "external_id",
            "sales_agent": "owner",
            "product": "product",
            "account": "account_name",
            # The same file with its headers retitled in words ("Opportunity
            # ID, Account Name, Deal Stage"), as a spreadsheet user leaves it.
            "account name": "account_name",
            "opportunity name": "name",
            "deal name": "name",
            "deal_stage": "stage",
            "engage_date": "engage_date",
            "close_date": "close_date",
            "close_value": "amount",
        },
        markers=["opportunity_id", "deal_stage"],
    ),
)


@dataclass
class Recognition:
    """The best-fitting layout for a header row and its proposed mapping."""

    kind: str
    entity: str | None
    mapping: dict[str, tuple[str, str]]
    unmapped: list[str]
    confidence: float
    signature: str
    variant: str = ""
    notes: list[str] = field(default_factory=list)


UNKNOWN = "unknown"
# What each layout's kind prefix is called on a page.
_LAYOUT_SOURCES = {
    "salesforce-api": "Salesforce API export",
    "salesforce-report": "Salesforce report",
    "hubspot": "HubSpot export",
    "bundled": "Bundled data set",
    "plain": "List kept by hand",
    "own": "Your own mapping",
}


# The columns a layout must take to fit without its marker columns.
UNMARKED_MIN_COLUMNS = 3


def layout_label(kind: str) -> str:
    """Return a layout's kind in words ("Salesforce report, accounts")."""
    source, _, entity = kind.partition(" ")
    if source in _LAYOUT_SOURCES and entity:
        return f"{_LAYOUT_SOURCES[source]}, {entity}"
    if kind == UNKNOWN:
        return "Not recognised"
    return kind.replace("-", " ").capitalize()


def headers_recognise(*, headers: Sequence[str]) -> Recognition:
    """Return the layout these headers fit best, with a proposed mapping.

    A layout fits when all its marker columns are present, or when it maps
    most of the columns (at least three); among those the one that maps the
    most columns wins, a layout with its markers on a tie. Confidence is the
    share of columns mapped (custom `__c` fields count, kept as extra
    fields). With no fitting
    layout the kind is "unknown", the mapping empty and the confidence 0.
    """
    signature = header_signature(headers)
    keys = [header_normalise(header) for header in headers]
    present = set(keys)

    best: tuple[int, int, int, Layout, dict[str, tuple[str, str]], list[str]] | None
    best = None
    for layout in LAYOUTS:
        marked = all(marker in present for marker in layout.markers)
        mapping, notes = _layout_map(layout, headers, keys)
        # A layout missing a marker still fits when it takes most of the
        # columns: "Account Name, Product Name, Close Date, Amount, Won" is
        # a deals export without its "Opportunity Name", not an accounts
        # report with four columns left out.
        if not marked and not (
            len(mapping) >= UNMARKED_MIN_COLUMNS and len(mapping) * 2 > len(headers)
        ):
            continue
        score = (len(mapping), int(marked), len(layout.markers))
        if best is None or score > best[:3]:
            best = (*score, layout, mapping, notes)

    if best is None:
        return Recognition(
            kind=UNKNOWN,
            entity=None,
            mapping={},
            unmapped=list(headers),
            confidence=0.0,
            signature=signature,
        )

    _, _, _, layout, mapping, notes = best
    notes = [*layout.notes, *notes]
    variant = ""
    letters = "".join(char for char in "".join(headers) if char.isalpha())
    if layout.kind.startswith("salesforce-api") and letters.isupper():
        variant = "Data Loader (upper case)"
    return Recognition(
        kind=layout.kind,
        entity=layout.entity,
        mapping=mapping,
        unmapped=[header for header in headers if header not in mapping],
        confidence=round(len(mapping) / len(headers), 2),
        signature=signature,
        variant=variant,
        notes=notes,
    )


def _layout_map(
    layout: Layout, headers: Sequence[str], keys: Sequence[str]
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    mapping: dict[str, tuple[str, str]] = {}
    taken: dict[tuple[str, str], str] = {}
    notes: list[str] = []
    for header, key in zip(headers, keys, strict=True):
        if layout.custom_fields and _CUSTOM_FIELD.search(header.strip()):
            mapping[header] = (layout.entity, EXTRA)
            continue
        target = layout.fields.get(key)
        if target is None:
            continue
        if target in taken:
            notes.append(
                f"{header!r} and {taken[target]!r} both mean {target[1]}; "
                f"{taken[target]!r} is used"
            )
            continue
        taken[target] = header
        mapping[header] = target
    return mapping, notes


def mapping_check(*, mapping: dict[str, tuple[str, str]]) -> list[str]:
    """Return what is wrong with a mapping a user edited, in plain words."""
    problems: list[str] = []
    used: dict[tuple[str, str], str] = {}
    for column, (entity, name) in mapping.items():
        if name not in TARGET_FIELDS.get(entity, ()):
            problems.append(f"{column!r} maps to an unknown field {entity}.{name}")
            continue
        if name != EXTRA and (entity, name) in used:
            problems.append(
                f"{column!r} and {used[(entity, name)]!r} both map to {entity}.{name}"
            )
        used.setdefault((entity, name), column)
    return problems


def mapping_save_form(*, mapping: dict[str, tuple[str, str]]) -> dict[str, list[str]]:
    """Return a mapping as JSON-ready data keyed by normalised header."""
    return {
        header_normalise(column): [entity, name]
        for column, (entity, name) in mapping.items()
    }


def mapping_reuse(
    *, headers: Sequence[str], saved: dict[str, list[str]]
) -> dict[str, tuple[str, str]]:
    """Apply a saved mapping to this file's headers, however they are spelt."""
    mapping: dict[str, tuple[str, str]] = {}
    for header in headers:
        target = saved.get(header_normalise(header))
        if target is not None:
            mapping[header] = (target[0], target[1])
    return mapping
