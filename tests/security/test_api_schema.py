"""The generated OpenAPI schema is valid and declares bodies and errors."""

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


def test_every_operation_is_in_an_endpoint_group() -> None:
    # Examples are held to every operation in test_api_examples.
    schema = SchemaGenerator().get_schema(request=None, public=True)

    operations = [
        (f"{method.upper()} {path}", operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    untagged = [name for name, operation in operations if not operation.get("tags")]
    groups = {tag for _, operation in operations for tag in operation["tags"]}

    assert untagged == []
    assert sorted(groups) == [
        "accounts",
        "audit",
        "dashboard",
        "directory",
        "exports",
        "imports",
        "plans",
        "reviews",
        "scoring",
        "stakeholders",
        "templates",
        "tokens",
    ]


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
    assert list(reads["/api/accounts/{pk}/"]["responses"]) == [
        "200",
        "400",
        "401",
        "403",
        "404",
        "429",
    ]
    assert list(reads["/api/accounts/"]["responses"]) == [
        "200",
        "400",
        "401",
        "403",
        "404",
        "429",
    ]
    assert reads["/api/accounts/{pk}/"]["responses"]["404"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/NotFound"}}
    }


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def test_every_operation_documents_the_common_errors() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    missing = [
        (method, path, code)
        for path, method, operation in _operations(schema)
        for code in ("400", "401", "403", "429")
        if code not in operation["responses"]
    ]
    with_body = [
        (method, path)
        for path, method, operation in _operations(schema)
        if "requestBody" in operation
        and not {"413", "415"} <= set(operation["responses"])
    ]
    under_if_match = [
        (method, path)
        for path, method, operation in _operations(schema)
        if any(p["name"] == "If-Match" for p in operation.get("parameters", []))
        and not {"412", "428"} <= set(operation["responses"])
    ]

    assert missing == []
    assert with_body == []
    assert under_if_match == []


def test_every_operation_has_a_summary_for_the_docs() -> None:
    # The interactive docs list operations by summary; one without reads as
    # a bare path there.
    schema = SchemaGenerator().get_schema(request=None, public=True)

    bare = [
        (method, path)
        for path, method, operation in _operations(schema)
        if not operation.get("summary", "").strip()
    ]

    assert bare == []


def test_an_update_documents_exactly_what_it_answers() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    patch = schema["paths"]["/api/accounts/{pk}/"]["patch"]["responses"]
    create = schema["paths"]["/api/stakeholders/accounts/{account_pk}/links/create/"][
        "post"
    ]["responses"]

    assert list(patch) == [
        "200",
        "400",
        "401",
        "403",
        "404",
        "412",
        "413",
        "415",
        "428",
        "429",
    ]
    assert list(create) == ["201", "400", "401", "403", "404", "413", "415", "429"]
    assert patch["429"]["headers"] == {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    }
    assert patch["400"]["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}
    }
    assert patch["401"]["headers"]["WWW-Authenticate"]["schema"] == {"type": "string"}


def test_bounded_texts_carry_their_max_length() -> None:
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"][
        "schemas"
    ]

    assert schemas["CommentListInputRequest"]["properties"]["body"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 10000,
    }
    assert schemas["VoiceInputRequest"]["properties"]["body"] == {
        "type": "string",
        "maxLength": 10000,
    }
