import pytest
from django.apps import apps as django_apps
from django.db import connection

from accounts.history import change_list_for_target
from accounts.models import ChangeRecord
from stakeholders.models import InfluenceLink, Stakeholder
from stakeholders.services import (
    StakeholderError,
    activity_log,
    influence_link_create,
    stakeholder_create,
    stakeholder_erase,
    stakeholder_mark_left,
    stakeholder_update,
)
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_a_person_reporting_to_themselves(rep, account):
    person = StakeholderFactory.create(
        account=account, first_name="Ada", last_name="Lind"
    )

    with pytest.raises(StakeholderError) as error:
        stakeholder_update(user=rep, stakeholder=person, data={"reports_to": person})

    assert error.value.message == "Ada Lind cannot report to themselves."
    person.refresh_from_db()
    assert person.reports_to is None


def test_it_refuses_a_loop_between_two_people(rep, account):
    boss = StakeholderFactory.create(account=account, first_name="Bo", last_name="Berg")
    report = StakeholderFactory.create(
        account=account, first_name="Cy", last_name="Carr", reports_to=boss
    )

    with pytest.raises(StakeholderError) as error:
        stakeholder_update(user=rep, stakeholder=boss, data={"reports_to": report})

    assert error.value.message == (
        "That reporting line would make a loop: Bo Berg → Cy Carr → Bo Berg."
    )


def test_it_refuses_a_loop_through_a_chain_of_five(rep, account):
    people = [
        StakeholderFactory.create(
            account=account, first_name=f"P{n}", last_name="Chain"
        )
        for n in range(5)
    ]
    for person, manager in zip(people[1:], people[:-1], strict=True):
        stakeholder_update(user=rep, stakeholder=person, data={"reports_to": manager})

    with pytest.raises(StakeholderError) as error:
        stakeholder_update(
            user=rep, stakeholder=people[0], data={"reports_to": people[4]}
        )

    assert error.value.message == (
        "That reporting line would make a loop: P0 Chain → P4 Chain → P3 Chain"
        " → P2 Chain → P1 Chain → P0 Chain."
    )
    people[0].refresh_from_db()
    assert people[0].reports_to is None


def test_it_refuses_a_manager_at_another_account(rep, account):
    person = StakeholderFactory.create(account=account)
    elsewhere = StakeholderFactory.create()

    with pytest.raises(StakeholderError, match="No such person on this account"):
        stakeholder_update(user=rep, stakeholder=person, data={"reports_to": elsewhere})


def test_creating_a_person_records_who_set_what(rep, account):
    person = stakeholder_create(
        user=rep,
        account=account,
        data={"first_name": "Dana", "last_name": "Diaz", "title": "Head of IT"},
    )

    records = {r.field: r for r in change_list_for_target(target=person)}
    assert records["last_name"].new_value == "Diaz"
    assert records["last_name"].changed_by == rep
    assert records["last_name"].action == "create"
    assert person.seniority == Stakeholder.Seniority.DIRECTOR
    assert person.source == "entered by hand"


def test_editing_records_old_and_new_values(rep, account):
    person = StakeholderFactory.create(account=account, sentiment=0)

    stakeholder_update(
        user=rep,
        stakeholder=person,
        data={"sentiment": 2, "sentiment_confirmed": True},
    )

    record = change_list_for_target(target=person).get(field="sentiment")
    assert (record.old_value, record.new_value) == ("0", "2")
    assert record.changed_by == rep
    assert person.sentiment_confirmed_at is not None


def test_the_seniority_follows_the_title_until_set_by_hand(rep, account):
    person = stakeholder_create(
        user=rep, account=account, data={"last_name": "Eng", "title": "Analyst"}
    )

    stakeholder_update(user=rep, stakeholder=person, data={"title": "CFO"})
    assert person.seniority == Stakeholder.Seniority.EXECUTIVE

    stakeholder_update(user=rep, stakeholder=person, data={"seniority": "manager"})
    stakeholder_update(user=rep, stakeholder=person, data={"title": "Chief of staff"})
    assert person.seniority == Stakeholder.Seniority.MANAGER


def test_the_owner_must_be_on_the_account_team(rep, outsider, account):
    with pytest.raises(StakeholderError) as error:
        stakeholder_create(
            user=rep, account=account, data={"last_name": "Fox", "owner": outsider}
        )

    assert error.value.message == "That user is not on this account's team."


def test_a_person_who_leaves_is_kept_and_marked(rep, account):
    boss = StakeholderFactory.create(account=account)
    report = StakeholderFactory.create(account=account, reports_to=boss)

    stakeholder_mark_left(user=rep, stakeholder=boss)

    boss.refresh_from_db()
    report.refresh_from_db()
    assert boss.status == Stakeholder.Status.LEFT
    assert boss.left_at is not None
    assert report.reports_to is None


def test_an_activity_sets_the_last_touch(rep, account):
    person = StakeholderFactory.create(account=account)

    activity = activity_log(
        user=rep, account=account, stakeholders=[person], note="QBR prep"
    )

    assert list(person.activities.all()) == [activity]


def text_columns_hold(value: str) -> list[str]:
    """Return table.column for every text or JSON column of any table holding value.

    Every installed model is searched, not a list of ours, so a new table
    that quotes people is caught the day it appears.
    """
    hits = []
    for model in django_apps.get_models():
        for field in model._meta.concrete_fields:
            if field.get_internal_type() not in {
                "CharField",
                "TextField",
                "EmailField",
                "SlugField",
                "URLField",
                "JSONField",
            }:
                continue
            with connection.cursor() as cursor:
                table = model._meta.db_table
                cursor.execute(
                    f'SELECT COUNT(*) FROM "{table}" '
                    f'WHERE CAST("{field.column}" AS TEXT) LIKE %s',
                    [f"%{value}%"],
                )
                if cursor.fetchone()[0]:
                    hits.append(f"{table}.{field.column}")
    return hits


def test_erasing_a_person_leaves_no_personal_value_anywhere(rep, account):
    # given
    personal = {
        "first_name": "Zelinda",
        "last_name": "Quorrow",
        "title": "Chief Xylophone Officer",
        "email": "zelinda.quorrow@example.com",
        "phone": "+1 555 0199 321",
        "external_id": "003XQZ9",
        "goals": "Wants the Kestrelwood migration done",
        "personal_wins": "Promotion to Vantagecrest board",
        "kpis": "Unplanned-downtime-minutes-per-quarter",
        "concerns": "Worried about Ombrefield contract",
        "action_plan": "Invite to the Tidewater roundtable",
    }
    person = stakeholder_create(user=rep, account=account, data=personal)
    other = StakeholderFactory.create(
        account=account, first_name="Olga", last_name="Ost"
    )
    stakeholder_update(user=rep, stakeholder=person, data={"title": "CXO Emerita"})
    link = influence_link_create(
        user=rep, source=person, target=other, note="Zelinda Quorrow steers Olga"
    )
    activity_log(
        user=rep,
        account=account,
        stakeholders=[person, other],
        note="Lunch with Zelinda Quorrow and Olga",
    )
    stakeholder_update(user=rep, stakeholder=other, data={"goals": "Copy Quorrow"})
    people_before = account.stakeholders.count()
    history_before = ChangeRecord.objects.filter(account=account).count()

    # when
    stakeholder_erase(user=rep, stakeholder=person)

    # then
    for value in [*personal.values(), "CXO Emerita", "Zelinda Quorrow"]:
        assert text_columns_hold(value) == [], value
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ERASED
    assert str(person) == f"Erased person #{person.pk}"
    assert account.stakeholders.count() == people_before
    assert account.stakeholders.filter(status="active").count() == people_before - 1
    assert InfluenceLink.objects.filter(pk=link.pk).exists()
    assert ChangeRecord.objects.filter(account=account).count() == history_before + 1
    assert text_columns_hold("Olga") != []
