"""Every API operation shows an example, and every example is true.

The operations come from the generated schema, never a hand-kept list: a
new endpoint fails here until it carries a request example (when it takes
a body) and an example of each answer it gives on success. Each example
must validate against the schema it illustrates, and the examples of reads
must have the keys the real answers have on the demo data.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft4Validator
from openpyxl import Workbook

from accounts.models import ApiToken, ImportJob, Product, Team, User
from plans.models import (
    Checkpoint,
    Plan,
    PlanSnapshot,
    PursuitStage,
    TemplateStage,
    ValueMeasure,
    VoiceOfCustomer,
)
from scoring.models import ScoreRun, ScoringModel
from stakeholders.models import BuyingRole, Stakeholder


def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict]]:
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def _examples(content: dict[str, Any]) -> list[Any]:
    values = [example["value"] for example in content.get("examples", {}).values()]
    if "example" in content:
        values.append(content["example"])
    return values


def _is_file(media_type: str, content: dict[str, Any]) -> bool:
    # A PDF, slide deck or workbook has no text a reader could learn from;
    # a CSV does, so it gets an example like JSON.
    return content["schema"].get("format") == "binary" and not media_type.startswith(
        "text/"
    )


def _request_content(operation: dict[str, Any]) -> tuple[str, dict] | None:
    """Return the body a client sends: JSON where taken, else the only one."""
    body = operation.get("requestBody", {}).get("content", {})
    if not body:
        return None
    media_type = "application/json" if "application/json" in body else next(iter(body))
    return media_type, body[media_type]


def _success_contents(operation: dict[str, Any]) -> Iterator[tuple[str, str, dict]]:
    for code, response in operation["responses"].items():
        if not code.startswith("2"):
            continue
        for media_type, content in response.get("content", {}).items():
            if not _is_file(media_type, content):
                yield code, media_type, content


def test_every_operation_has_a_request_and_a_response_example() -> None:
    schema = _schema()
    missing = []

    for method, path, operation in _operations(schema):
        request = _request_content(operation)
        if request is not None and not _examples(request[1]):
            missing.append(f"{method.upper()} {path} request {request[0]}")
        for code, media_type, content in _success_contents(operation):
            if not _examples(content):
                missing.append(f"{method.upper()} {path} {code} {media_type}")

    assert missing == []


def _json_schema(node: Any) -> Any:
    """Return an OpenAPI 3.0 schema as JSON Schema: `nullable` becomes null."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items()}
    if not converted.pop("nullable", False):
        return converted
    if "enum" in converted:
        converted["enum"] = [*converted["enum"], None]
    if isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
        return converted
    return {"anyOf": [converted, {"type": "null"}]}


def _errors(schema: dict[str, Any], part: dict[str, Any], value: Any) -> list[str]:
    document = {
        **_json_schema(part["schema"]),
        "components": _json_schema(schema["components"]),
    }
    validator = Draft4Validator(document, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(value)
    ]


def answer_errors(*, method: str, path: str, code: str, value: Any) -> list[str]:
    """Return where a real answer breaks the schema the API documents for it."""
    schema = _schema()
    response = schema["paths"][path][method]["responses"][code]
    return _errors(schema, response["content"]["application/json"], value)


def test_every_example_validates_against_its_own_schema() -> None:
    schema = _schema()
    broken = []

    for method, path, operation in _operations(schema):
        request = _request_content(operation)
        parts = [("request", request[1])] if request else []
        parts += [(code, content) for code, _, content in _success_contents(operation)]
        for where, content in parts:
            for value in _examples(content):
                for error in _errors(schema, content, value):
                    broken.append(f"{method.upper()} {path} {where}: {error}")

    assert broken == []


def _shapes(value: Any, where: str = "") -> dict[str, set[str]]:
    """Return the keys of every object in a JSON value, by its place.

    The items of a list share one place, and so do the values of an object
    keyed by data (rows by id, counts by table name), so an example's item
    is held to the keys of all the real items together.
    """
    shapes: dict[str, set[str]] = {}
    if value == {}:
        items = []
    elif isinstance(value, dict) and _keyed_by_data(value):
        items = [(f"{where}{{}}", item) for item in value.values()]
    elif isinstance(value, dict):
        shapes[where] = set(value)
        items = [(f"{where}.{key}", item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{where}[]", item) for item in value]
    else:
        items = []
    for place, item in items:
        for inner, keys in _shapes(item, place).items():
            shapes[inner] = shapes.get(inner, set()) | keys
    return shapes


def _keyed_by_data(value: dict[str, Any]) -> bool:
    # Ids, table names ("Accounts") and file names ("accounts.csv") as keys.
    return bool(value) and all(
        key.isdigit() or key[:1].isupper() or "." in key for key in value
    )


def _key_differences(example: Any, real: Any) -> list[str]:
    """Name the keys an example and the real answer do not share.

    Only places where both hold an object are compared: an empty list, an
    empty object or a null in either says nothing about the keys.
    """
    shown, answered = _shapes(example), _shapes(real)
    return [
        f"{place or 'top'}: example lacks {sorted(answered[place] - keys)}, "
        f"has extra {sorted(keys - answered[place])}"
        for place, keys in shown.items()
        if place in answered and keys != answered[place]
    ]


def _pk_row(plan: Plan, path: str) -> Any:
    """Return the row `pk` names in a path, a row of the demo's first plan."""
    account = plan.account
    stage = TemplateStage.objects.earliest("pk")
    rows: dict[str, Callable[[], Any]] = {
        "/api/accounts/": lambda: account,
        "/api/accounts/deals/": lambda: account.opportunities.latest("pk"),
        "/api/accounts/imports/": lambda: ImportJob.objects.latest("pk"),
        "/api/accounts/tokens/": lambda: ApiToken.objects.latest("pk"),
        "/api/accounts/products/": lambda: Product.objects.catalogue().earliest("pk"),
        "/api/accounts/users/": lambda: User.objects.get(username="ops"),
        "/api/accounts/teams/": lambda: Team.objects.earliest("pk"),
        "/api/stakeholders/roles/": lambda: BuyingRole.objects.earliest("pk"),
        "/api/plans/": lambda: plan,
        "/api/plans/items/{kind}/": lambda: plan.strategies.latest("pk"),
        "/api/plans/manager-reviews/": lambda: plan.manager_reviews.latest("pk"),
        "/api/plans/checkpoints/": lambda: Checkpoint.objects.filter(
            stage__pursuit__plan=plan
        ).latest("pk"),
        "/api/plans/pursuits/": lambda: plan.pursuits.latest("pk"),
        "/api/plans/stages/": lambda: PursuitStage.objects.filter(
            pursuit__plan=plan
        ).latest("pk"),
        "/api/plans/templates/": lambda: stage.template,
        "/api/plans/templates/stages/": lambda: stage,
        "/api/plans/templates/checkpoints/": lambda: stage.checkpoints.latest("pk"),
        "/api/plans/{plan_pk}/snapshots/": lambda: plan.snapshots.latest("pk"),
        "/api/plans/accounts/{account_pk}/scorecard/measures/": lambda: (
            ValueMeasure.objects.filter(account=account).latest("pk")
        ),
        "/api/plans/accounts/{account_pk}/voice/": lambda: (
            VoiceOfCustomer.objects.filter(account=account).latest("pk")
        ),
        "/api/scoring/models/": lambda: ScoringModel.objects.latest("pk"),
        "/api/scoring/runs/": lambda: ScoreRun.objects.get(is_current=True),
        "/api/stakeholders/people/": lambda: account.stakeholders.latest("pk"),
        "/api/stakeholders/links/": lambda: account.influence_links.latest("pk"),
    }
    before = path.split("{pk}")[0]
    assert before in rows, f"say in _pk_row what `pk` names in {path}"
    return rows[before]()


def _url(path: str, plan: Plan) -> str:
    """Fill a schema path with rows of the demo's first plan."""
    account = plan.account
    values: dict[str, Callable[[], Any]] = {
        "account_pk": lambda: account.pk,
        "plan_pk": lambda: plan.pk,
        "kind": lambda: "strategy",
        "quarter": lambda: account.executive_reviews.latest(
            "quarter_start"
        ).quarter_start.isoformat(),
        "file_format": lambda: "csv",
        "link_pk": lambda: account.customer_links.latest("pk").pk,
        "pk": lambda: _pk_row(plan, path).pk,
    }
    return re.sub(r"\{(\w+)\}", lambda match: str(values[match[1]]()), path)


# Query parameters a read cannot go without.
QUERIES = {
    "/api/plans/dashboard/accounts/": "?figure=quadrant.grow",
    "/api/plans/{plan_pk}/snapshots/compare/": "?from={snapshot}",
}


def _request_example(schema: dict[str, Any], method: str, path: str) -> Any:
    request = _request_content(schema["paths"][path][method])
    assert request is not None
    return _examples(request[1])[0]


def _response_examples(
    schema: dict[str, Any], method: str, path: str, status: int
) -> list[Any]:
    response = schema["paths"][path][method]["responses"][str(status)]
    return [
        value
        for content in response.get("content", {}).values()
        for value in _examples(content)
    ]


def _writes(plan: Plan) -> list[tuple[str, str, dict[str, Any]]]:
    """Return writes to send with their example bodies: ids made real."""
    account = plan.account
    person = Stakeholder.objects.filter(account=account).earliest("pk")
    checkpoint = Checkpoint.objects.filter(
        stage__pursuit__plan=plan, validated_at__isnull=True
    ).earliest("pk")
    # The review's meeting falls in the quarter it reviews, and the demo
    # has its own measure of the example's name.
    review = account.executive_reviews.latest("quarter_start")
    held_on = review.quarter_start + timedelta(days=60)
    team = Team.objects.earliest("pk")
    manager = User.objects.filter(role=User.Role.MANAGER).earliest("pk")
    return [
        ("patch", "/api/accounts/{pk}/", {}),
        ("patch", "/api/accounts/deals/{pk}/", {}),
        (
            "put",
            "/api/accounts/deals/{pk}/",
            {
                "product_id": Product.objects.catalogue().earliest("pk").pk,
                "owner_id": None,
            },
        ),
        (
            "post",
            "/api/accounts/{account_pk}/deals/create/",
            {"product_id": Product.objects.catalogue().earliest("pk").pk},
        ),
        ("post", "/api/accounts/tokens/create/", {}),
        ("post", "/api/accounts/users/create/", {"team_id": team.pk}),
        ("patch", "/api/accounts/users/{pk}/", {"team_id": team.pk}),
        ("post", "/api/accounts/teams/create/", {"manager_id": manager.pk}),
        ("patch", "/api/accounts/teams/{pk}/", {"manager_id": manager.pk}),
        ("post", "/api/accounts/products/create/", {}),
        ("patch", "/api/accounts/products/{pk}/", {}),
        ("post", "/api/stakeholders/roles/create/", {}),
        ("patch", "/api/stakeholders/roles/{pk}/", {}),
        ("post", "/api/plans/{pk}/comments/", {}),
        ("post", "/api/plans/{plan_pk}/items/{kind}/", {"stakeholders": [person.pk]}),
        ("patch", "/api/plans/items/{kind}/{pk}/", {}),
        ("post", "/api/plans/{plan_pk}/snapshots/", {}),
        ("post", "/api/plans/accounts/{account_pk}/voice/", {"stakeholder": person.pk}),
        (
            "post",
            "/api/plans/accounts/{account_pk}/customer-links/",
            {"stakeholder": person.pk, "checkpoints": [checkpoint.pk]},
        ),
        (
            "post",
            "/api/plans/accounts/{account_pk}/scorecard/measures/",
            {"name": "Unplanned downtime hours"},
        ),
        (
            "put",
            "/api/plans/accounts/{account_pk}/reviews/{quarter}/",
            {"held_on": held_on.isoformat()},
        ),
        ("post", "/api/plans/templates/", {}),
        ("post", "/api/stakeholders/accounts/{account_pk}/people/create/", {}),
        (
            "post",
            "/api/stakeholders/accounts/{account_pk}/activities/create/",
            {"stakeholders": [person.pk]},
        ),
        ("patch", "/api/stakeholders/links/{pk}/", {}),
    ]


# A workbook's sheets are read in their own upload, below. The undo's CSV
# is there only for an import that wrote something, and its keys are no
# JSON's: tests/accounts/test_wizard_undo_records.py reads it.
READ_ELSEWHERE = {
    "/api/accounts/imports/{pk}/sheet/",
    "/api/accounts/imports/{pk}/undo.csv",
}

IMPORT_FILE = (
    "Account Name,Industry,Employees\r\n"
    "Harbor Bank of the South,Banking,300\r\n"
    "Acme Corporation,technology,4200\r\n"
    "Northwind Traders,Retail,about 40\r\n"
)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook() -> bytes:
    """Return a CRM workbook with accounts on one sheet and notes on another."""
    book = Workbook()
    accounts = book.active
    accounts.title = "Accounts"
    for row in csv.reader(io.StringIO(IMPORT_FILE)):
        accounts.append(row)
    book.create_sheet("Notes").append(["Renewals are due in March."])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Not transactional: a transactional test runs after the others and after
# their flushes, which drop the sell-cycle templates the migrations seed and
# the demo's plans copy.
@pytest.mark.django_db
def test_examples_have_the_keys_of_the_real_answers(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given the demo data, and an import and a write of each kind made
    # through the API with the examples' own bodies
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_setup", stdout=io.StringIO())
    schema = _schema()
    plan = Plan.objects.select_related("account").earliest("pk")
    client = Client()
    client.force_login(User.objects.get(username="ops"))
    differences: list[str] = []

    def compare(method: str, path: str, response: Any) -> None:
        where = f"{method.upper()} {path}"
        if response.status_code >= 300:
            differences.append(f"{where}: {response.status_code} {response.content!r}")
            return
        examples = _response_examples(schema, method, path, response.status_code)
        for example in examples:
            for difference in _key_differences(example, response.json()):
                differences.append(f"{where}: {difference}")

    sheet_path = "/api/accounts/imports/{pk}/sheet/"
    workbook = SimpleUploadedFile("crm.xlsx", _workbook(), XLSX)
    uploaded = client.post(
        "/api/accounts/imports/",
        {"files": [workbook], "sheets": '{"crm.xlsx": "Accounts"}'},
    )
    sheet_url = sheet_path.replace("{pk}", str(uploaded.json()["id"]))
    compare("get", sheet_path, client.get(sheet_url + "?file=crm.xlsx"))
    chosen = client.post(
        sheet_url,
        _request_example(schema, "post", sheet_path),
        content_type="application/json",
    )
    compare("post", sheet_path, chosen)

    upload = SimpleUploadedFile("accounts.csv", IMPORT_FILE.encode(), "text/csv")
    created = client.post("/api/accounts/imports/", {"files": [upload]})
    compare("post", "/api/accounts/imports/", created)
    mapping_url = f"/api/accounts/imports/{created.json()['id']}/mapping/"
    confirmed = client.put(
        mapping_url,
        _request_example(schema, "put", "/api/accounts/imports/{pk}/mapping/"),
        content_type="application/json",
        HTTP_IF_MATCH=client.get(mapping_url)["ETag"],
    )
    compare("put", "/api/accounts/imports/{pk}/mapping/", confirmed)

    for method, path, ids in _writes(plan):
        url = _url(path, plan)
        headers = {}
        if any(
            p["name"] == "If-Match"
            for p in schema["paths"][path][method].get("parameters", [])
        ):
            headers["HTTP_IF_MATCH"] = client.get(url)["ETag"]
        body = {**_request_example(schema, method, path), **ids}
        response = getattr(client, method)(
            url, body, content_type="application/json", **headers
        )
        compare(method, path, response)

    # when every read is asked for
    snapshot = PlanSnapshot.objects.filter(plan=plan).earliest("pk")
    reads = [
        path
        for method, path, _ in _operations(schema)
        if method == "get" and path not in READ_ELSEWHERE
    ]
    for path in reads:
        query = QUERIES.get(path, "").format(snapshot=snapshot.pk)
        response = client.get(_url(path, plan) + query)

        # then its examples have the keys its answer has
        if response["Content-Type"].startswith("application/json"):
            compare("get", path, response)

    assert differences == [], "\n".join(differences)
