"""Imports audit the access they change with who started them and from where.

The bundled layout (the accounts/import/ page and `import_maven`) compares
everyone's access before and after its write; a wizard import run by the
worker names the address of the request that started it.
"""

import getpass
import io
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent, ImportJob, User
from tests.accounts.factories import TeamFactory, UserFactory
from tests.accounts.test_import import write_export
from tests.accounts.test_import_page import FIELDS, small

WIZARD = Path(__file__).parent.parent / "accounts" / "fixtures" / "wizard"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Lode test"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def permission_events() -> list[tuple[str, str, str | None, str, dict]]:
    return [
        (
            event.actor_label,
            event.target_label,
            event.ip_address,
            event.user_agent,
            event.detail,
        )
        for event in AuditEvent.objects.filter(
            action=AuditEvent.Action.PERMISSION_CHANGE
        ).order_by("id")
    ]


def created(role: str, team: str) -> dict:
    return {
        "created": True,
        "changes": {
            "role": {"from": None, "to": role},
            "team": {"from": None, "to": team},
            "is_staff": {"from": None, "to": False},
            "is_superuser": {"from": None, "to": False},
            "is_active": {"from": None, "to": True},
        },
    }


def team_created(manager: str) -> dict:
    return {"created": True, "changes": {"manager": {"from": None, "to": manager}}}


@pytest.mark.django_db
def test_the_bundled_import_page_audits_the_access_it_changes(
    client, ops, django_capture_on_commit_callbacks
) -> None:
    # given: Moses is already an executive of another team
    UserFactory.create(
        username="moses.frase",
        role=User.Role.EXECUTIVE,
        team=TeamFactory.create(name="Central office"),
    )
    client.force_login(ops)
    files = {
        field: SimpleUploadedFile(name, small(field), content_type="text/csv")
        for field, name in FIELDS.items()
    }

    # when the small export is uploaded on the page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:import"),
            files,
            REMOTE_ADDR="203.0.113.21",
            HTTP_USER_AGENT=BROWSER,
        )

    # then every user and team it created or changed is one event, naming
    # who started it and from where
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    source = {"source": "bundled import", "import": job.pk}
    dustin, cara = "Dustin Brinkmann's team", "Cara Losch's team"
    assert sorted(permission_events(), key=lambda event: event[1]) == [
        ("oona", target, "203.0.113.21", BROWSER, {**source, **detail})
        for target, detail in [
            (cara, team_created("cara.losch")),
            (dustin, team_created("dustin.brinkmann")),
            ("anna.snelling", created("rep", dustin)),
            ("cara.losch", created("manager", cara)),
            ("dustin.brinkmann", created("manager", dustin)),
            (
                "moses.frase",
                {
                    "changes": {
                        "role": {"from": "executive", "to": "rep"},
                        "team": {"from": "Central office", "to": dustin},
                    }
                },
            ),
            ("violet.mclelland", created("rep", cara)),
        ]
    ]


@pytest.mark.django_db
def test_the_bundled_import_command_audits_as_the_command_line(tmp_path) -> None:
    # given: the small export imported once from the command line
    directory = write_export(tmp_path / "export")
    call_command("import_maven", str(directory), stdout=None)
    first = permission_events()

    # when it is imported again, with Anna moved to Cara's team
    AuditEvent.objects.all().delete()
    write_export(
        directory,
        **{
            "sales_teams.csv": [
                "sales_agent,manager,regional_office",
                "Anna Snelling,Cara Losch,East",
                "Moses Frase,Dustin Brinkmann,Central",
                "Violet Mclelland,Cara Losch,East",
            ]
        },
    )
    call_command("import_maven", str(directory), stdout=None)

    # then the first run recorded the five users and two teams it made, and
    # the second only Anna's move, each by the command line, naming the
    # command and who ran it, as the jobs do
    origin = command_line_origin("import_maven")
    assert [(actor, address, agent) for actor, _, address, agent, _ in first] == [
        ("command line", None, origin)
    ] * 7
    assert [
        (job.created_by, job.started_ip_address, job.started_user_agent)
        for job in ImportJob.objects.order_by("pk")
    ] == [(None, None, origin)] * 2
    job = ImportJob.objects.order_by("pk").reverse()[0]
    assert permission_events() == [
        (
            "command line",
            "anna.snelling",
            None,
            origin,
            {
                "source": "bundled import",
                "import": job.pk,
                "changes": {
                    "team": {
                        "from": "Dustin Brinkmann's team",
                        "to": "Cara Losch's team",
                    }
                },
            },
        )
    ]


@pytest.mark.worker
def test_a_users_import_run_by_the_worker_names_the_address_that_started_it(
    celery_worker: None, ops: User
) -> None:
    # given: a users import uploaded and mapped through the API
    api = APIClient(REMOTE_ADDR="198.51.100.17", HTTP_USER_AGENT=BROWSER)
    api.force_authenticate(ops)
    path = WIZARD / "plain_users.csv"
    job_id = api.post(
        "/api/accounts/imports/",
        {"files": [SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")]},
    ).json()["id"]
    url = f"/api/accounts/imports/{job_id}/"
    etag = api.get(url + "mapping/")["ETag"]
    mapped = api.put(
        url + "mapping/", {"mapping": {}}, format="json", HTTP_IF_MATCH=etag
    )
    assert mapped.status_code == 200

    # when it is started and the worker runs it
    assert api.post(url + "start/", {}, format="json").status_code == 202
    job = ImportJob.objects.get(pk=job_id)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(permission_events()) < 4:
        time.sleep(0.2)

    # then each change names Oona and the address and browser she used
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, (job.error, job.issues)
    assert sorted(event[:4] for event in permission_events()) == [
        ("oona", "Enterprise East", "198.51.100.17", BROWSER),
        ("oona", "dana.weiss@lode.example", "198.51.100.17", BROWSER),
        ("oona", "lee.park@lode.example", "198.51.100.17", BROWSER),
        ("oona", "sam.ortiz@lode.example", "198.51.100.17", BROWSER),
    ]


def command_line_origin(command: str = "import_files") -> str:
    return f"command line (manage.py {command}, OS user {getpass.getuser()})"


# Transactional: the import audits once its write commits, which in a real
# run happens inside the command.
@pytest.mark.django_db(transaction=True)
def test_the_import_command_without_a_user_audits_as_the_command_line() -> None:
    # when a users file is imported from the command line, naming no user
    call_command(
        "import_files", str(WIZARD / "plain_users.csv"), "--yes", stdout=io.StringIO()
    )

    # then the job says where it came from, and so does each change it made,
    # in the name of the command line
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert (job.created_by, job.started_ip_address, job.started_user_agent) == (
        None,
        None,
        command_line_origin(),
    )
    assert [event[:4] for event in permission_events()] == [
        ("command line", "dana.weiss@lode.example", None, command_line_origin()),
        ("command line", "lee.park@lode.example", None, command_line_origin()),
        ("command line", "sam.ortiz@lode.example", None, command_line_origin()),
        ("command line", "Enterprise East", None, command_line_origin()),
    ]
    assert AuditEvent.objects.filter(actor__isnull=False).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_import_command_audits_the_user_it_is_given(ops: User, tmp_path) -> None:
    # given: a users file imported from the command line as Oona
    users = ["--yes", "--user", "oona"]
    call_command("import_files", str(WIZARD / "plain_users.csv"), *users, stdout=None)
    AuditEvent.objects.all().delete()

    # when she makes Lee a manager with a second file
    promotion = tmp_path / "promotion.csv"
    promotion.write_text(
        "email,name,role,team,manager,active\n"
        "lee.park@lode.example,Lee Park,manager,Enterprise East,,yes\n"
    )
    call_command("import_files", str(promotion), *users, stdout=None)

    # then both jobs and the change name Oona, from the command line
    assert [
        (job.created_by, job.started_user_agent)
        for job in ImportJob.objects.order_by("pk")
    ] == [(ops, command_line_origin())] * 2
    assert permission_events() == [
        (
            "oona",
            "lee.park@lode.example",
            None,
            command_line_origin(),
            {
                "source": "users import",
                "import": ImportJob.objects.latest("pk").pk,
                "changes": {"role": {"from": "rep", "to": "manager"}},
            },
        )
    ]
    assert set(AuditEvent.objects.values_list("actor", flat=True)) == {ops.pk}
