"""The generated OpenAPI schema is valid and every view declares its bodies."""

from pathlib import Path

import yaml
from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(tmp_path: Path) -> None:
    schema_file = tmp_path / "schema.yml"

    # --fail-on-warn raises on any view whose bodies the generator had to
    # guess, and on choice sets that would get made-up names.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(schema_file)
    )

    schema = yaml.safe_load(schema_file.read_text())
    check = schema["paths"]["/api/accounts/imports/{pk}/check/"]["get"]
    assert check["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WizardImportCheck"
    }
