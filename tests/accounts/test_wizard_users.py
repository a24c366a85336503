from pathlib import Path

import pytest

from accounts.models import (
    AccountTeamMember,
    ApiToken,
    ImportJob,
    MappedImport,
    Team,
    User,
)
from accounts.recognise import headers_recognise
from accounts.services import BUNDLED_DATA
from accounts.wizard import (
    mapped_import_answer,
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_mapping_confirm,
    mapped_import_run,
    mapped_import_start,
    mapped_import_undo,
)
from tests.accounts.factories import TeamFactory, UserFactory

WIZARD = Path(__file__).parent / "fixtures" / "wizard"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def importer() -> User:
    return UserFactory.create(username="olga", role=User.Role.OPS)


def opened(*paths: Path, user: User | None) -> MappedImport:
    mapped = mapped_import_create_from_paths(user=user, paths=list(paths))
    assert mapped_import_mapping_accept(mapped=mapped, user=user) == {}
    return mapped


def imported(
    capture, *paths: Path, user: User | None, keep_good_rows: bool = False
) -> ImportJob:
    """Run an import in process; the score run it asks for is not run here."""
    mapped = opened(*paths, user=user)
    with capture(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=keep_good_rows, enqueue=False
        )
        mapped_import_run(mapped=mapped)
    mapped.job.refresh_from_db()
    return mapped.job


def users_state() -> list[tuple]:
    return list(
        User.objects.exclude(username="olga")
        .order_by("email")
        .values_list(
            "username",
            "email",
            "first_name",
            "last_name",
            "role",
            "team__name",
            "is_active",
            "external_id",
            "is_staff",
            "is_superuser",
        )
    )


def teams_state() -> list[tuple]:
    return list(Team.objects.order_by("name").values_list("name", "manager__email"))


def header_row(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


@pytest.mark.parametrize(
    ("file", "kind"),
    [
        ("salesforce_users.csv", "salesforce-api users"),
        ("hubspot_users.csv", "hubspot users"),
        ("plain_users.csv", "plain users"),
        ("plain_teams.csv", "plain teams"),
    ],
)
def test_users_and_teams_files_are_recognised_by_their_headers(
    file: str, kind: str
) -> None:
    result = headers_recognise(headers=header_row(WIZARD / file))

    assert result.kind == kind
    assert result.confidence == 1.0


def test_a_salesforce_user_export_creates_users_teams_and_managers(
    django_capture_on_commit_callbacks, importer
) -> None:
    # when
    job = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "salesforce_users.csv",
        user=importer,
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert users_state() == [
        (
            "ines.duarte@northwind.example.sf",
            "ines.duarte@northwind.example",
            "Ines",
            "Duarte",
            "rep",
            "Nordics",
            False,
            "0055g00000Rep02AAA",
            False,
            False,
        ),
        (
            "jonas.berg@northwind.example.sf",
            "jonas.berg@northwind.example",
            "Jonas",
            "Berg",
            "rep",
            "Nordics",
            True,
            "0055g00000Rep01AAA",
            False,
            False,
        ),
        (
            "maria.lindqvist@northwind.example.sf",
            "maria.lindqvist@northwind.example",
            "Maria",
            "Lindqvist",
            "manager",
            "Nordics",
            True,
            "0055g00000Mgr01AAA",
            False,
            False,
        ),
    ]
    assert teams_state() == [("Nordics", "maria.lindqvist@northwind.example")]
    assert not any(
        user.has_usable_password() for user in User.objects.exclude(pk=importer.pk)
    )
    assert job.counts == {
        "Users": {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0},
        # Created, then led: one team, counted once.
        "Teams": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0},
    }


def test_a_hubspot_user_export_joins_one_team_spelt_two_ways(
    django_capture_on_commit_callbacks, importer
) -> None:
    # given
    TeamFactory.create(name="Inside Sales")

    # when
    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "hubspot_users.csv", user=importer
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert users_state() == [
        (
            "priya.raman@harbor.example",
            "priya.raman@harbor.example",
            "Priya",
            "Raman",
            "rep",
            "west coast",
            True,
            "",
            False,
            False,
        ),
        (
            "tom.okafor@harbor.example",
            "tom.okafor@harbor.example",
            "Tom",
            "Okafor",
            "rep",
            "west coast",
            True,
            "",
            False,
            False,
        ),
    ]
    assert teams_state() == [("Inside Sales", None), ("west coast", None)]
    assert job.issues == [
        {
            "file": "hubspot_users.csv",
            "line": 2,
            "column": "Team",
            "value": "west   coast",
            "reason": "team read as 'west coast'",
            "action": "repaired",
        },
        {
            "file": "hubspot_users.csv",
            "line": 3,
            "column": "Team",
            "value": "West Coast",
            "reason": "team read as 'west coast'",
            "action": "repaired",
        },
    ]


def test_each_bad_user_row_is_refused_with_its_reason(importer) -> None:
    # when
    outcome = mapped_import_check(
        mapped=opened(WIZARD / "plain_users_bad.csv", user=None)
    )

    # then
    assert [
        (issue.line, issue.column, issue.value, issue.reason)
        for issue in outcome.issues
        if issue.action == "rejected"
    ] == [
        (
            3,
            "email",
            "",
            "the email is blank: Lode matches users by their email",
        ),
        (4, "email", "not-an-email", "not an email address"),
        (
            5,
            "email",
            "OK.ONE@lode.example",
            "the same email as line 2: each user is listed once",
        ),
        (
            7,
            "role",
            "ops",
            "only a sales ops user may give the ops role; this import was not "
            "started by one",
        ),
    ]
    # an unknown role is a question: which Lode role it stands for
    assert [question.column for _, question in outcome.questions] == ["role=VP Sales"]
    assert outcome.counts["Users"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 4,
    }
    assert not User.objects.exclude(pk=importer.pk).exists()


def test_plain_users_and_teams_files_set_teams_leads_and_regions(
    django_capture_on_commit_callbacks, importer
) -> None:
    # when
    job = imported(
        django_capture_on_commit_callbacks,
        WIZARD / "plain_users.csv",
        WIZARD / "plain_teams.csv",
        user=importer,
    )

    # then
    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert [row[1:6] for row in users_state()] == [
        ("dana.weiss@lode.example", "Dana", "Weiss", "manager", "Enterprise East"),
        ("lee.park@lode.example", "Lee", "Park", "rep", "Enterprise East"),
        ("sam.ortiz@lode.example", "Sam", "Ortiz", "executive", None),
    ]
    assert list(
        Team.objects.order_by("name").values_list("name", "manager__email", "region")
    ) == [
        ("Enterprise East", "dana.weiss@lode.example", "East"),
        ("Public Sector", None, "Central"),
    ]
    # Each team counts once: both were created by this import, though the
    # users file led Enterprise East and the teams file then set its region.
    assert job.counts["Teams"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert [
        (issue["file"], issue["line"], issue["value"], issue["reason"])
        for issue in job.issues
    ] == [
        (
            "plain_teams.csv",
            3,
            "Public  Sector",
            "team read as 'Public Sector'",
        ),
        (
            "plain_teams.csv",
            3,
            "nobody@lode.example",
            "no Lode user has this ID, login, email or name; the team's manager "
            "was left as it was",
        ),
    ]


def test_a_team_named_by_users_and_teams_files_counts_once(
    django_capture_on_commit_callbacks, importer
) -> None:
    # given: both teams exist, without a lead or a region
    TeamFactory.create(name="Enterprise East", region="West")
    TeamFactory.create(name="Public Sector", region="West")
    files = (WIZARD / "plain_users.csv", WIZARD / "plain_teams.csv")

    # when: the users file leads Enterprise East, the teams file sets regions
    first = imported(django_capture_on_commit_callbacks, *files, user=importer)
    again = imported(django_capture_on_commit_callbacks, *files, user=importer)

    # then: two teams, two rows of the teams file, two counted
    assert first.counts["Teams"] == {
        "created": 0,
        "updated": 2,
        "unchanged": 0,
        "rejected": 0,
    }
    assert again.counts["Teams"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
    }


def test_account_owners_resolve_to_imported_users_by_id_name_and_email(
    django_capture_on_commit_callbacks, importer
) -> None:
    # when
    imported(
        django_capture_on_commit_callbacks,
        WIZARD / "salesforce_users.csv",
        WIZARD / "salesforce_accounts_owned.csv",
        user=importer,
    )
    imported(
        django_capture_on_commit_callbacks,
        WIZARD / "hubspot_users.csv",
        WIZARD / "hubspot_companies_owned.csv",
        user=importer,
    )

    # then
    assert list(
        AccountTeamMember.objects.order_by("account__name").values_list(
            "account__name", "user__email", "source"
        )
    ) == [
        ("Birch Tools Oy", "ines.duarte@northwind.example", "manual"),
        ("Fjord Freight AB", "jonas.berg@northwind.example", "manual"),
        ("Gull Logistics", "tom.okafor@harbor.example", "manual"),
        ("Pelican Paper Co", "priya.raman@harbor.example", "manual"),
    ]


def test_reimporting_users_changes_nothing(
    django_capture_on_commit_callbacks, importer
) -> None:
    # given
    paths = [
        WIZARD / "salesforce_users.csv",
        WIZARD / "plain_users.csv",
        WIZARD / "plain_teams.csv",
        WIZARD / "salesforce_accounts_owned.csv",
    ]
    imported(django_capture_on_commit_callbacks, *paths, user=importer)
    before = (users_state(), teams_state(), list(AccountTeamMember.objects.values()))

    # when
    again = imported(django_capture_on_commit_callbacks, *paths, user=importer)

    # then
    assert (users_state(), teams_state()) == before[:2]
    assert list(AccountTeamMember.objects.values()) == before[2]
    assert again.counts["Users"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 6,
        "rejected": 0,
    }
    assert again.counts["Teams"]["created"] == again.counts["Teams"]["updated"] == 0
    assert again.counts["Accounts"]["unchanged"] == 2


def test_an_update_keeps_logins_and_rights_and_undo_restores_it(
    django_capture_on_commit_callbacks, importer
) -> None:
    # given
    west = TeamFactory.create(name="West")
    lee = UserFactory.create(
        username="lpark",
        email="Lee.Park@lode.example",
        first_name="Lee",
        last_name="Park",
        role=User.Role.MANAGER,
        team=west,
        is_staff=True,
    )
    before = users_state()

    # when
    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "plain_users.csv", user=importer
    )

    # then
    lee.refresh_from_db()
    assert lee.team is not None
    assert (lee.username, lee.email, lee.role, lee.team.name, lee.is_staff) == (
        "lpark",
        "Lee.Park@lode.example",
        "rep",
        "Enterprise East",
        True,
    )
    assert lee.has_usable_password()
    assert job.counts["Users"] == {
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "rejected": 0,
    }

    # when undone
    said = mapped_import_undo(mapped=job.mapped, user=importer).users

    # then
    assert users_state() == before
    assert teams_state() == [("West", None)]
    assert said == [
        "dana.weiss@lode.example: deleted: created by this import and not used since",
        "sam.ortiz@lode.example: deleted: created by this import and not used since",
    ]


def test_undo_deactivates_an_imported_user_who_has_since_done_something(
    django_capture_on_commit_callbacks, importer
) -> None:
    # given
    job = imported(
        django_capture_on_commit_callbacks, WIZARD / "plain_users.csv", user=importer
    )
    lee = User.objects.get(email="lee.park@lode.example")
    ApiToken.objects.create(user=lee, name="laptop", prefix="abc", secret_hash="x")
    User.objects.filter(pk=lee.pk).update(last_login="2026-12-01T09:00:00Z")

    # when
    said = mapped_import_undo(mapped=job.mapped, user=importer).users

    # then
    assert list(
        User.objects.exclude(pk=importer.pk).values_list("email", "is_active")
    ) == [("lee.park@lode.example", False)]
    assert said[1] == (
        "lee.park@lode.example: deactivated, not deleted: since the import they "
        "have logged in, 1 api token"
    )
    job.refresh_from_db()
    assert job.issues[-2] == {
        "file": "",
        "line": None,
        "column": "email",
        "value": "lee.park@lode.example",
        "reason": "deactivated, not deleted: since the import they have logged "
        "in, 1 api token",
        "action": "undone",
    }
    assert not Team.objects.exists()


def test_only_a_sales_ops_importer_gives_the_ops_role_and_never_staff_rights(
    django_capture_on_commit_callbacks, importer
) -> None:
    # when
    mapped = opened(WIZARD / "plain_users_bad.csv", user=importer)
    mapped_import_answer(
        mapped=mapped,
        file="plain_users_bad.csv",
        column="role=VP Sales",
        option="executive",
    )
    with django_capture_on_commit_callbacks(execute=False):
        mapped_import_start(
            mapped=mapped, merges={}, keep_good_rows=True, enqueue=False
        )
        job = mapped_import_run(mapped=mapped)

    # then
    otto = User.objects.get(email="ops.person@lode.example")
    assert (otto.role, otto.is_ops, otto.is_staff, otto.is_superuser) == (
        "ops",
        True,
        False,
        False,
    )
    assert job.counts["Users"]["created"] == 3
    assert User.objects.get(email="vp@lode.example").role == "executive"


def test_an_import_does_not_demote_the_person_running_it(
    django_capture_on_commit_callbacks, tmp_path
) -> None:
    # given
    me = UserFactory.create(username="me", email="me@lode.example", role=User.Role.OPS)
    path = tmp_path / "users.csv"
    path.write_text("email,name,role\nme@lode.example,Me Myself,rep\n")

    # when
    outcome = mapped_import_check(mapped=opened(path, user=me))

    # then
    assert [(i.line, i.column, i.reason) for i in outcome.issues] == [
        (
            2,
            "role",
            "this row is you: an import does not change your own role or "
            "deactivate you",
        )
    ]


def test_a_users_file_without_an_email_column_is_refused_at_the_mapping(
    tmp_path,
) -> None:
    # given
    path = tmp_path / "people.csv"
    path.write_text("First Name,Last Name,Email,Team\nAna,Silva,,North\n")
    mapped = mapped_import_create_from_paths(user=None, paths=[path])

    # when
    problems = mapped_import_mapping_confirm(
        mapped=mapped,
        mapping={"people.csv": {"First Name": ["user", "first_name"]}},
        user=None,
    )

    # then
    assert problems == {
        "people.csv": [
            "a users file needs an email column: Lode matches users by their "
            "email and sends their password reset there"
        ]
    }


def test_the_bundled_sales_teams_file_is_sent_to_the_bundled_import() -> None:
    # given
    mapped = mapped_import_create_from_paths(
        user=None, paths=[BUNDLED_DATA / "sales_teams.csv"]
    )

    # when
    problems = mapped_import_mapping_accept(mapped=mapped, user=None)

    # then
    assert problems == {
        "sales_teams.csv": [
            "this is the bundled data set's sales teams file: it names no emails, "
            "so import it with the other bundled files on the Import page"
        ]
    }


def test_an_import_does_not_demote_or_deactivate_an_administrator(
    tmp_path, importer
) -> None:
    # given
    UserFactory.create(username="root", email="root@lode.example", is_superuser=True)
    path = tmp_path / "users.csv"
    path.write_text(
        "email,name,role,active\n"
        "root@lode.example,Root Admin,,no\n"
        "root@lode.example,Root Admin,rep,\n"
    )

    # when
    outcome = mapped_import_check(mapped=opened(path, user=importer))

    # then
    assert [(i.line, i.column, i.value, i.reason) for i in outcome.issues] == [
        (
            2,
            "active",
            "false",
            "this user is a Lode administrator: change their role or deactivate "
            "them in the admin, not by an import",
        ),
        (
            3,
            "email",
            "root@lode.example",
            "the same email as line 2: each user is listed once",
        ),
    ]
