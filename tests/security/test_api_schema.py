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


# What README.md says carries an example in /api/docs/; kept to exactly
# what holds, so the README promises nothing the docs lack.
README_EXAMPLES = [
    ("get", "/api/accounts/imports/"),
    ("get", "/api/accounts/imports/{pk}/undo/"),
    ("get", "/api/plans/"),
    ("post", "/api/plans/"),
    ("get", "/api/plans/{pk}/comments/"),
    ("get", "/api/plans/accounts/{account_pk}/ratings/"),
    ("post", "/api/plans/accounts/{account_pk}/ratings/"),
    ("get", "/api/plans/accounts/{account_pk}/manager-reviews/"),
    ("get", "/api/plans/accounts/{account_pk}/executive-reviews/"),
    ("get", "/api/plans/templates/"),
    ("post", "/api/plans/templates/"),
    ("get", "/api/plans/templates/{pk}/"),
    ("get", "/api/plans/dashboard/"),
]


def test_the_operations_the_readme_says_have_examples_have_them() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    without = [
        (method, path)
        for method, path in README_EXAMPLES
        if not _has_example(schema["paths"][path][method])
    ]

    assert without == []
    assert (
        "the rest do not yet" in (Path(__file__).parents[2] / "README.md").read_text()
    )
