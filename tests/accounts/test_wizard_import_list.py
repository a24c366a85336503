"""GET /api/accounts/imports/: the imports sales ops may follow, paged."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import ImportJob, MappedImport, User
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/accounts/imports/"
ACCOUNTS = {"Accounts": {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}}
PEOPLE = {"People": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}}


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def an_import(
    *,
    by: User | None,
    at: str,
    status: str = ImportJob.Status.SUCCEEDED,
    counts: dict | None = None,
    undone: bool = False,
    name: str = "accounts.csv",
) -> MappedImport:
    job = ImportJob.objects.create(created_by=by, status=status, counts=counts or {})
    moment = datetime.fromisoformat(at).replace(tzinfo=UTC)
    # created_at is set on insert; the filters need known moments.
    ImportJob.objects.filter(pk=job.pk).update(created_at=moment)
    return MappedImport.objects.create(
        job=job,
        files=[{"name": name, "path": f"/nowhere/{name}", "size": 10}],
        undone_at=moment if undone else None,
    )


@pytest.fixture
def imports(ops) -> dict[str, MappedImport]:
    other_ops = UserFactory.create(
        username="olga", first_name="Olga", last_name="Ops", role=User.Role.OPS
    )
    return {
        "first": an_import(by=ops, at="2026-11-02T09:00:00", counts=ACCOUNTS),
        "people": an_import(
            by=other_ops, at="2026-11-10T09:00:00", counts=PEOPLE, name="people.csv"
        ),
        "rejected": an_import(
            by=ops,
            at="2026-11-20T09:00:00",
            status=ImportJob.Status.REJECTED,
            counts=ACCOUNTS,
        ),
        "undone": an_import(
            by=other_ops, at="2026-11-25T09:00:00", counts=ACCOUNTS, undone=True
        ),
        "cli": an_import(by=None, at="2026-12-01T09:00:00", status="pending"),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [one["id"] for one in response.json()["results"]]


def test_ops_see_every_import_newest_first(api, ops, imports) -> None:
    api.force_authenticate(ops)

    response = api.get(LIST)

    assert response.json()["count"] == 5
    assert ids(response) == [
        imports[name].job_id
        for name in ("cli", "undone", "rejected", "people", "first")
    ]
    people = response.json()["results"][3]
    assert people == {
        "id": imports["people"].job_id,
        "kind": "wizard",
        "url": f"/api/accounts/imports/{imports['people'].job_id}/",
        "files": ["people.csv"],
        "created_by": {"id": imports["people"].job.created_by_id, "name": "Olga Ops"},
        "created_at": "2026-11-10T09:00:00Z",
        "confirmed_at": None,
        "finished_at": None,
        "undone_at": None,
        "status": "succeeded",
        "status_label": "Succeeded",
        "counts": PEOPLE,
        "report_csv": f"/api/accounts/imports/{imports['people'].job_id}/report.csv",
        "score_run": None,
    }
    assert response.json()["results"][0]["created_by"] is None


def test_a_superuser_sees_every_import(api, imports) -> None:
    admin = UserFactory.create(username="root", is_superuser=True, role="rep")
    api.force_authenticate(admin)

    assert api.get(LIST).json()["count"] == 5


@pytest.mark.parametrize("who", ["rep", "manager", "executive", "outsider"])
def test_anyone_but_ops_gets_404_for_the_list_and_each_import(
    api, imports, who, request
) -> None:
    user = request.getfixturevalue(who)
    # Even an import this user's name is on stays out of sight.
    mine = an_import(by=user, at="2026-12-02T09:00:00", counts=ACCOUNTS)
    api.force_authenticate(user)

    listed = api.get(LIST)
    detail = api.get(f"{LIST}{mine.job_id}/")
    other = api.get(f"{LIST}{imports['people'].job_id}/")

    assert [listed.status_code, detail.status_code, other.status_code] == [404] * 3
    assert listed.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=rejected", ["rejected"]),
        ("status=pending", ["cli"]),
        ("undone=true", ["undone"]),
        ("undone=false", ["cli", "rejected", "people", "first"]),
        ("target=person", ["people"]),
        ("target=account", ["undone", "rejected", "first"]),
        ("created_after=2026-11-10T09:00:00Z", ["cli", "undone", "rejected", "people"]),
        ("created_before=2026-11-10T09:00:00Z", ["people", "first"]),
        (
            "created_after=2026-11-05T00:00:00Z&created_before=2026-11-21T00:00:00Z",
            ["rejected", "people"],
        ),
        ("ordering=created_at", ["first", "people", "rejected", "undone", "cli"]),
        ("ordering=-created_at&limit=2&offset=1", ["undone", "rejected"]),
        ("status=succeeded&target=account&undone=false", ["first"]),
    ],
)
def test_the_filters_and_ordering_give_exactly_these_imports(
    api, ops, imports, query, expected
) -> None:
    api.force_authenticate(ops)

    response = api.get(f"{LIST}?{query}")

    assert ids(response) == [imports[name].job_id for name in expected]
    assert response.json()["count"] == (len(expected) if "limit" not in query else 5)


def test_created_by_names_the_uploader(api, ops, imports) -> None:
    api.force_authenticate(ops)

    mine = api.get(f"{LIST}?created_by={ops.pk}")
    nobody = api.get(f"{LIST}?created_by=999999")

    assert ids(mine) == [imports["rejected"].job_id, imports["first"].job_id]
    assert ids(nobody) == []


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            "status=done",
            {"status": ['"done" is not a valid choice.']},
        ),
        (
            "target=planet",
            {"target": ['"planet" is not a valid choice.']},
        ),
        (
            "created_after=2026-11-21T00:00:00Z&created_before=2026-11-05T00:00:00Z",
            {"created_before": ["Must not be before created_after."]},
        ),
        (
            "ordering=status",
            {"ordering": ['"status" is not a valid choice.']},
        ),
        (
            "created_by=0",
            {"created_by": ["Ensure this value is greater than or equal to 1."]},
        ),
        (
            "account=3",
            {
                "account": [
                    "Unknown query parameter; this list takes: created_after, "
                    "created_before, created_by, cursor, kind, limit, offset, "
                    "ordering, status, target, undone."
                ]
            },
        ),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, ops, imports, query, errors) -> None:
    api.force_authenticate(ops)

    response = api.get(f"{LIST}?{query}")

    assert response.status_code == 400
    assert response.json() == errors


def test_the_list_takes_the_same_queries_for_5_imports_and_for_40(
    api, ops, imports
) -> None:
    api.force_authenticate(ops)
    with CaptureQueriesContext(connection) as few:
        assert api.get(LIST).json()["count"] == 5
    for number in range(35):
        uploader = UserFactory.create(username=f"ops{number}", role=User.Role.OPS)
        an_import(by=uploader, at=f"2026-10-{number % 28 + 1:02d}T08:00:00")

    with CaptureQueriesContext(connection) as many:
        assert api.get(LIST).json()["count"] == 40

    assert len(many.captured_queries) == len(few.captured_queries)
    # The count, the page, and the page's score runs.
    assert len(few.captured_queries) == 3


def test_the_schema_documents_the_list_with_its_filters_and_example(api) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/accounts/imports/"]["get"]

    assert [p["name"] for p in operation["parameters"]] == [
        "created_after",
        "created_before",
        "created_by",
        "cursor",
        "kind",
        "limit",
        "offset",
        "ordering",
        "status",
        "target",
        "undone",
    ]
    content = operation["responses"]["200"]["content"]["application/json"]
    assert content["schema"] == {
        "$ref": "#/components/schemas/PaginatedWizardImportListOutputList"
    }
    assert list(content["examples"]) == ["APageWithOneFinishedImport"]
