"""Read and check a CRM contact export with pandas; no database here.

Salesforce and HubSpot name their columns differently and change case and
spacing between versions, so headers are folded to lowercase letters and
digits before they are matched. Issues reuse the account import's shape:
file, line as a spreadsheet counts it (the header is line 1), column, value,
reason.
"""

import re
from dataclasses import dataclass, field
from io import StringIO

import pandas as pd

from accounts.importing import REJECTED, ImportFileError, Issue
from stakeholders.graph import reporting_loops

__all__ = ["ImportFileError", "Issue", "ContactFile", "contact_file_read"]

# Our field: the folded headers that mean it, in order of preference.
ALIASES: dict[str, list[str]] = {
    "first_name": ["firstname"],
    "last_name": ["lastname"],
    "title": ["title", "jobtitle"],
    "department": ["department"],
    "account_external_id": ["accountid", "associatedcompanyid", "companyid"],
    "account_name": [
        "accountname",
        "account",
        "associatedcompany",
        "companyname",
        "company",
    ],
    "email": ["email", "emailaddress"],
    "phone": ["phone", "phonenumber", "mobilephone"],
    "external_id": ["id", "contactid", "recordid"],
    "reports_to": ["reportstoid", "reportsto"],
}
HUBSPOT_MARKERS = {"associatedcompany", "recordid", "associatedcompanyid"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LEGAL_SUFFIX = re.compile(
    r"\b(incorporated|inc|corporation|corp|company|co|limited|ltd|llc|plc|gmbh"
    r"|ag|sa|bv|nv|pty|srl|spa)\b\.?$"
)


@dataclass
class ContactFile:
    """Clean rows ready to match and write, with what the file called things."""

    rows: pd.DataFrame
    source: str
    columns: dict[str, str]
    issues: list[Issue] = field(default_factory=list)


def fold(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def company_key(name: str) -> str:
    """Return a key for a company name ignoring case, spacing and legal suffix."""
    cleaned = re.sub(r"[^\w\s]", " ", name.casefold()).strip()
    cleaned = re.sub(r"\s+", " ", cleaned)
    while True:
        shorter = LEGAL_SUFFIX.sub("", cleaned).strip()
        if shorter == cleaned or not shorter:
            break
        cleaned = shorter
    return cleaned.replace(" ", "")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def contact_file_read(*, content: bytes, file: str) -> ContactFile:
    """Read a contact export and report every bad row; write nothing."""
    if not content.strip():
        raise ImportFileError(file, "the file is empty")
    if b"\x00" in content[:4096]:
        raise ImportFileError(file, "this is not a CSV text file")
    text = _decode(content)
    header = text.lstrip().splitlines()[0]
    delimiter = max([",", ";", "\t"], key=header.count)
    try:
        frame = pd.read_csv(
            StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as error:
        raise ImportFileError(file, f"this is not a readable CSV ({error})") from error

    folded = {fold(str(column)): str(column) for column in frame.columns}
    columns: dict[str, str] = {}
    for ours, names in ALIASES.items():
        for name in names:
            if name in folded:
                columns[ours] = folded[name]
                break
    if "last_name" not in columns and "first_name" not in columns:
        raise ImportFileError(
            file,
            "no name columns: expected FirstName/LastName (Salesforce) or "
            "First Name/Last Name (HubSpot)",
        )
    if "account_external_id" not in columns and "account_name" not in columns:
        raise ImportFileError(
            file,
            "no account column: expected AccountId or Account Name (Salesforce) "
            "or Associated Company (HubSpot)",
        )

    rows = pd.DataFrame(
        {
            ours: (
                frame[columns[ours]].astype(str).str.strip() if ours in columns else ""
            )
            for ours in ALIASES
        }
    )
    # Without quoted line breaks, row i sits on line i + 2 (header is 1).
    rows["line"] = frame.index + 2
    rows = rows[(rows[list(ALIASES)] != "").any(axis=1)].reset_index(drop=True)
    source = "HubSpot import" if HUBSPOT_MARKERS & set(folded) else "Salesforce import"
    result = ContactFile(rows=rows, source=source, columns=columns)
    _check(result, file=file)
    return result


def _issue(
    result: ContactFile, *, file: str, line: int, ours: str, value: str, reason: str
) -> None:
    result.issues.append(
        Issue(
            file=file,
            line=int(line),
            column=result.columns.get(ours, ours),
            value=value,
            reason=reason,
            action=REJECTED,
        )
    )


def _check(result: ContactFile, *, file: str) -> None:
    rows = result.rows
    for row in rows.itertuples(index=False):
        if not row.first_name and not row.last_name:
            _issue(
                result,
                file=file,
                line=row.line,
                ours="last_name",
                value="",
                reason="a person needs a first or last name",
            )
        if not row.account_external_id and not row.account_name:
            _issue(
                result,
                file=file,
                line=row.line,
                ours="account_name",
                value="",
                reason="no account id or account name",
            )
        if row.email and not EMAIL.match(row.email):
            _issue(
                result,
                file=file,
                line=row.line,
                ours="email",
                value=row.email,
                reason="not an email address",
            )

    with_id = rows[rows["external_id"] != ""]
    repeated = with_id[with_id.duplicated("external_id", keep="first")]
    first_line = with_id.drop_duplicates("external_id").set_index("external_id")["line"]
    for row in repeated.itertuples(index=False):
        _issue(
            result,
            file=file,
            line=row.line,
            ours="external_id",
            value=row.external_id,
            reason=f"the same contact id is already on line "
            f"{first_line[row.external_id]}",
        )

    _check_reporting_loops(result, file=file)


def _check_reporting_loops(result: ContactFile, *, file: str) -> None:
    """Reject every line of a reports-to loop inside the file, naming it."""
    rows = result.rows
    lines = dict(zip(rows["external_id"], rows["line"], strict=True))
    managers: dict[int, int | None] = {}
    for row in rows.itertuples(index=False):
        if row.external_id:
            managers[row.line] = lines.get(row.reports_to) if row.reports_to else None
    by_line = rows.set_index("line")
    for loop in reporting_loops(managers):
        path = " → ".join(f"line {line} ({_name(by_line.loc[line])})" for line in loop)
        for line in loop[:-1]:
            _issue(
                result,
                file=file,
                line=line,
                ours="reports_to",
                value=str(by_line.loc[line, "reports_to"]),
                reason=f"reports-to loop: {path}",
            )


def _name(row: pd.Series) -> str:
    return f"{row['first_name']} {row['last_name']}".strip()
