"""The generated OpenAPI schema is valid, declares bodies, shows examples."""

from pathlib import Path

import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator


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


def _has_example(operation: dict) -> bool:
    contents = [
        *operation.get("requestBody", {}).get("content", {}).values(),
        *(
            content
            for response in operation["responses"].values()
            for content in response.get("content", {}).values()
        ),
        *operation.get("parameters", []),
    ]
    return any("example" in part or "examples" in part for part in contents)


def test_every_endpoint_group_has_an_example_in_the_docs() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operations = [
        (f"{method.upper()} {path}", operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    untagged = [name for name, operation in operations if not operation.get("tags")]
    groups: dict[str, bool] = {}
    for _, operation in operations:
        for tag in operation.get("tags", []):
            groups[tag] = groups.get(tag, False) or _has_example(operation)

    assert untagged == []
    assert sorted(groups) == [
        "accounts",
        "audit",
        "dashboard",
        "exports",
        "imports",
        "plans",
        "reviews",
        "scoring",
        "stakeholders",
        "templates",
        "tokens",
    ]
    assert [tag for tag, has in groups.items() if not has] == []


def test_reads_document_their_404_and_400() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    reads = {
        path: methods["get"]
        for path, methods in schema["paths"].items()
        if "get" in methods
    }
    missing_404 = [
        path
        for path, read in reads.items()
        if "{" in path and "404" not in read["responses"]
    ]
    missing_400 = [
        path
        for path, read in reads.items()
        if any(p["name"] == "limit" for p in read.get("parameters", []))
        and "400" not in read["responses"]
    ]

    assert missing_404 == []
    assert missing_400 == []
    assert sorted(reads["/api/accounts/{pk}/"]["responses"]) == ["200", "404"]
    assert sorted(reads["/api/accounts/"]["responses"]) == ["200", "400"]
    assert reads["/api/accounts/{pk}/"]["responses"]["404"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/NotFound"}}
    }
