"""A person's history reads as people talk: labels and names, not keys."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from stakeholders.models import Stakeholder
from stakeholders.selectors import stakeholder_history
from stakeholders.services import stakeholder_erase, stakeholder_update
from tests.stakeholders.factories import BuyingRoleFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


def history_rows(client, person: Stakeholder) -> list[list[str]]:
    html = client.get(reverse("stakeholders:detail", args=[person.pk])).content
    table = html.decode().split('data-testid="history">')[1].split("</table>")[0]
    rows = table.split("<tbody>")[1].split("</tr>")[:-1]
    return [[cell.split("</td>")[0] for cell in row.split("<td>")[1:]] for row in rows]


def test_the_history_shows_field_labels_names_and_choice_labels(client, rep, account):
    # given
    greta = StakeholderFactory.create(
        account=account, first_name="Greta", last_name="Holm"
    )
    person = StakeholderFactory.create(
        account=account, first_name="Ivo", last_name="Jung"
    )
    BuyingRoleFactory.create(key="economic-buyer", name="Economic buyer")
    stakeholder_update(
        user=rep,
        stakeholder=person,
        data={
            "sentiment": Stakeholder.Sentiment.ALLY,
            "sentiment_confirmed": True,
            "reports_to": greta,
            "owner": rep,
            "kpis": "Uptime",
        },
    )
    stakeholder_update(
        user=rep,
        stakeholder=person,
        data={},
        roles=[BuyingRoleFactory.create(key="economic-buyer")],
    )
    client.force_login(rep)

    # when
    rows = {row[3]: row for row in history_rows(client, person)}

    # then
    assert rows["Sentiment"][2:] == ["Changed", "Sentiment", "Neutral", "Ally"]
    assert rows["Sentiment confirmed"][4:] == ["No", "Yes"]
    assert rows["Reports to"][4:] == ["—", "Greta Holm"]
    assert rows["Owner"][4:] == ["—", rep.display_name]
    assert rows["KPIs"][4:] == ["—", "Uptime"]
    assert rows["Roles"][4:] == ["—", "Economic buyer"]
    assert rows["Sentiment confirmed at"][5][:1].isdigit()
    assert all(row[1] == rep.display_name for row in rows.values())


def test_an_erased_manager_stays_erased_in_a_colleagues_history(client, rep, account):
    # given: Ivo reported to Greta, who then asked to be erased
    greta = StakeholderFactory.create(
        account=account, first_name="Greta", last_name="Holm"
    )
    person = StakeholderFactory.create(
        account=account, first_name="Ivo", last_name="Jung"
    )
    stakeholder_update(user=rep, stakeholder=person, data={"reports_to": greta})
    stakeholder_erase(user=rep, stakeholder=greta)
    client.force_login(rep)

    # when
    rows = history_rows(client, person)
    page = client.get(reverse("stakeholders:detail", args=[person.pk])).content

    # then
    assert [row[3:] for row in rows] == [
        ["Reports to", "—", f"Erased person #{greta.pk}"]
    ]
    assert b"Greta" not in page and b"Holm" not in page


def test_the_history_takes_the_same_queries_for_two_changes_or_twenty(rep, account):
    managers = StakeholderFactory.create_batch(10, account=account)
    person = StakeholderFactory.create(account=account)

    def queries_for_history() -> int:
        with CaptureQueriesContext(connection) as queries:
            stakeholder_history(stakeholder=person)
        return len(queries)

    stakeholder_update(user=rep, stakeholder=person, data={"reports_to": managers[0]})
    stakeholder_update(user=rep, stakeholder=person, data={"owner": rep})
    few = queries_for_history()
    for manager in managers[1:]:
        stakeholder_update(user=rep, stakeholder=person, data={"reports_to": manager})
    many = queries_for_history()

    assert len(stakeholder_history(stakeholder=person)) == 11
    assert few == many == 4
