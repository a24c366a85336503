"""The customer's signed link: its account only, expiring, revocable, nothing else."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, ChangeRecord, User
from plans.calendar import fiscal_quarter_current
from plans.errors import PlanError
from plans.models import (
    Checkpoint,
    CustomerLink,
    CustomerLinkEvent,
    CustomerRating,
    Plan,
    Pursuit,
    Strategy,
)
from plans.review_exports import scorecard_tables
from plans.review_selectors import scorecard_for_account
from plans.review_services import (
    customer_link_create,
    customer_link_resolve,
    customer_link_revoke,
    customer_rating_record,
    measure_quarter_set,
    value_measure_create,
)
from plans.services import plan_create, pursuit_create
from stakeholders.models import Stakeholder
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.plans.factories import gated_template
from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(account: Account) -> Stakeholder:
    return Stakeholder.objects.create(
        account=account, first_name="Carla", last_name="Finch", title="CFO"
    )


@pytest.fixture
def checkpoints(pursuit: Pursuit) -> list[Checkpoint]:
    return list(Checkpoint.objects.filter(stage__pursuit=pursuit).order_by("id"))


@pytest.fixture
def link_url(
    rep: User, account: Account, contact: Stakeholder, checkpoints: list[Checkpoint]
) -> str:
    measure = value_measure_create(
        user=rep,
        account=account,
        values={"name": "Hours saved", "direction": "up", "baseline": Decimal(400)},
    )
    measure_quarter_set(
        user=rep,
        measure=measure,
        quarter=fiscal_quarter_current(),
        target=Decimal("1000"),
        actual=Decimal("1234"),
    )
    _link, token = customer_link_create(
        user=rep,
        account=account,
        stakeholder=contact,
        checkpoints=[checkpoints[0]],
        days=14,
    )
    return reverse("plans:customer", args=[token])


def test_the_link_shows_its_accounts_scorecard_without_a_login(
    client: Client, link_url: str
) -> None:
    response = client.get(link_url)

    assert response.status_code == 200
    assert b"Acme Corporation" in response.content
    assert b"Hours saved" in response.content
    assert b"1,234 / 1,000" in response.content
    assert b"The finance lead reviewed the terms" in response.content
    # The second checkpoint was not assigned to Carla.
    assert b"The business owner saw the demo" not in response.content
    assert "_auth_user_id" not in client.session
    link = CustomerLink.objects.get()
    assert link.events.filter(action=CustomerLinkEvent.Action.OPENED).count() == 1


def test_the_link_shows_nothing_of_another_account(
    client: Client, rep: User, link_url: str
) -> None:
    other = AccountFactory.create(name="Globex")
    other.team_members.add(rep)
    value_measure_create(
        user=rep,
        account=other,
        values={"name": "Globex secret KPI", "direction": "up", "baseline": 1},
    )

    response = client.get(link_url)

    assert b"Globex" not in response.content


def test_a_rating_is_recorded_as_the_contacts_own(
    client: Client, link_url: str, contact: Stakeholder
) -> None:
    response = client.post(
        f"{link_url}rating/", {"score": "9", "comment": "Real savings."}, follow=True
    )

    assert response.status_code == 200
    rating = CustomerRating.objects.get()
    assert (rating.stakeholder, rating.score, rating.comment) == (
        contact,
        9,
        "Real savings.",
    )
    assert rating.recorded_by is None
    assert rating.link == CustomerLink.objects.get()
    event = CustomerLinkEvent.objects.get(action=CustomerLinkEvent.Action.RATED)
    assert "9/10. Real savings." in event.detail
    history = ChangeRecord.objects.get(field="rating")
    assert history.changed_by is None
    assert history.new_value == "9/10 by Carla Finch (customer link)"


def test_the_contact_confirms_only_the_checkpoint_assigned_to_them(
    client: Client, link_url: str, checkpoints: list[Checkpoint]
) -> None:
    mine, other = checkpoints[0], checkpoints[2]

    confirmed = client.post(
        f"{link_url}checkpoints/{mine.pk}/confirm/", {"note": "I reviewed them."}
    )
    refused = client.post(f"{link_url}checkpoints/{other.pk}/confirm/", {})

    assert confirmed.status_code == 302
    assert refused.status_code == 404
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.is_validated and mine.validated_by is None
    assert mine.evidence == (
        "Confirmed by Carla Finch through their customer link. "
        "They wrote: I reviewed them."
    )
    assert not other.is_validated


def test_an_expired_link_opens_nothing(client: Client, link_url: str) -> None:
    CustomerLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(link_url).status_code == 404
    assert client.post(f"{link_url}rating/", {"score": "5"}).status_code == 404
    assert not CustomerRating.objects.exists()


def test_a_revoked_link_opens_nothing(client: Client, rep: User, link_url: str) -> None:
    assert client.get(link_url).status_code == 200

    customer_link_revoke(user=rep, link=CustomerLink.objects.get())

    assert client.get(link_url).status_code == 404


def test_a_tampered_or_guessed_token_opens_nothing(
    client: Client, link_url: str
) -> None:
    token = link_url.rstrip("/").rsplit("/", 1)[1]
    link = CustomerLink.objects.get()

    tampered = reverse("plans:customer", args=[token[:-2] + "xx"])
    forged = reverse("plans:customer", args=[f"{link.pk}"])

    assert client.get(tampered).status_code == 404
    assert client.get(forged).status_code == 404
    assert customer_link_resolve(token=token) == link


def test_the_link_refuses_every_other_url(
    client: Client, link_url: str, account: Account, pursuit: Pursuit
) -> None:
    """Holding the link opens no staff page, API or other account's review."""
    # given
    client.get(link_url)
    token = link_url.rstrip("/").rsplit("/", 1)[1]

    # when
    pages = [
        reverse("plans:scorecard", args=[account.pk]),
        reverse("plans:review_current", args=[account.pk]),
        reverse("plans:detail", args=[pursuit.plan_id]),
        reverse("accounts:detail", args=[account.pk]),
        f"{reverse('plans:scorecard', args=[account.pk])}?token={token}",
    ]
    apis = ["/api/accounts/", f"/api/plans/{pursuit.plan_id}/"]
    # The token under any path but the customer's own is just text.
    wrong_places = [
        f"/plans/{token}/",
        f"/plans/customer/{token}/export.pdf",
        f"/accounts/{token}/",
    ]

    # then
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    for url in apis:
        assert client.get(url).status_code in {401, 403}, url
    for url in wrong_places:
        assert client.get(url).status_code == 404, url


def test_only_the_account_team_creates_links_for_their_own_people(
    rep: User, executive: User, outsider: User, account: Account, contact: Stakeholder
) -> None:
    stranger = Stakeholder.objects.create(
        account=AccountFactory.create(name="Globex"), first_name="Gus"
    )

    for user in (executive, outsider):
        with pytest.raises(PlanError, match="can read this account's reviews but not"):
            customer_link_create(user=user, account=account, stakeholder=contact)
    with pytest.raises(PlanError, match="^No such person on this account.$"):
        customer_link_create(user=rep, account=account, stakeholder=stranger)
    with pytest.raises(PlanError, match="A link lasts from 1 to 90 days"):
        customer_link_create(user=rep, account=account, stakeholder=contact, days=365)


def test_the_team_page_shows_the_new_link_once(
    client: Client, rep: User, account: Account, contact: Stakeholder
) -> None:
    client.force_login(rep)

    created = client.post(
        reverse("plans:customer_link_create", args=[account.pk]),
        {"stakeholder": contact.pk, "days": 7},
        follow=True,
    )
    again = client.get(reverse("plans:scorecard", args=[account.pk]))

    assert b"Customer link created" in created.content
    assert b"/plans/customer/" in created.content
    assert b"Customer link created" not in again.content
    link = CustomerLink.objects.get()
    assert link.stakeholder == contact
    assert timedelta(days=6) < link.expires_at - timezone.now() <= timedelta(days=7)


def test_the_customers_rating_keeps_the_reps_entry_and_hides_it_from_them(
    client: Client, rep: User, account: Account, contact: Stakeholder, link_url: str
) -> None:
    customer_rating_record(
        user=rep,
        account=account,
        stakeholder=contact,
        quarter=fiscal_quarter_current(),
        score=7,
        comment="Said so on the call.",
    )

    before = client.get(link_url).content.decode()
    client.post(f"{link_url}rating/", {"score": "9", "comment": "Real savings."})
    after = client.get(link_url).content.decode()

    assert "You rated this quarter" not in before
    assert "Said so on the call." not in before
    assert 'value=""' in before.split('name="score"')[1].split(">")[0]
    assert "You rated this quarter 9/10" in after
    ratings = CustomerRating.objects.order_by("by_customer")
    assert [(r.score, r.by_customer, r.entered_by) for r in ratings] == [
        (7, False, rep.display_name),
        (9, True, "the customer (own link)"),
    ]

    client.force_login(rep)
    page = client.get(reverse("plans:scorecard", args=[account.pk])).content.decode()
    assert f"entered by {rep.display_name}" in page
    assert "entered by the customer (own link)" in page
    scorecard = scorecard_for_account(
        account=account, quarters=[fiscal_quarter_current()]
    )
    # The contact's own word counts once in the quarter's figure.
    assert scorecard.rating_cells == [Decimal("9.0")]
    rows = {
        table.name: table.rows for table in scorecard_tables({"scorecard": scorecard})
    }
    assert sorted((row[2], row[4]) for row in rows["Ratings"]) == [
        (7, rep.display_name),
        (9, "the customer (own link)"),
    ]


@pytest.mark.parametrize(
    ("score", "kept"),
    [("0", "0"), ("11", "11"), ("-1", "-1"), ("7.5", "7.5"), ("abc", "abc"), ("", "")],
)
def test_a_rating_outside_1_to_10_is_refused_on_the_form(
    client: Client, link_url: str, score: str, kept: str
) -> None:
    response = client.post(f"{link_url}rating/", {"score": score, "comment": "x"})

    text = response.content.decode()
    assert response.status_code == 400
    assert "Your rating was not saved" in text
    assert "Rate the quarter with a whole number from 1 to 10." in text
    assert "no-cache" in response["Cache-Control"]
    assert not CustomerRating.objects.exists()
    assert not CustomerLinkEvent.objects.filter(
        action=CustomerLinkEvent.Action.RATED
    ).exists()


def _create_link(client: Client, account: Account, **form: object) -> ClientResponse:
    return client.post(reverse("plans:customer_link_create", args=[account.pk]), form)


def test_a_link_with_another_accounts_checkpoint_is_refused_on_the_form(
    client: Client, rep: User, account: Account, contact: Stakeholder
) -> None:
    other = AccountFactory.create(name="Globex")
    other.team_members.add(rep)
    plan = plan_create(user=rep, account=other, fiscal_year=2026)
    pursuit_create(
        user=rep,
        plan=plan,
        template=gated_template("Globex cycle"),
        values={
            "name": "Globex deal",
            "product": ProductFactory.create(name="Globex X"),
        },
    )
    foreign = Checkpoint.objects.filter(stage__pursuit__plan=plan).first()
    assert foreign is not None
    client.force_login(rep)

    response = _create_link(
        client, account, stakeholder=contact.pk, days=7, checkpoints=foreign.pk
    )

    text = response.content.decode()
    assert response.status_code == 400
    assert "The link was not created" in text
    assert f"Checkpoint {foreign.pk} is not an open checkpoint of this account" in text
    assert not CustomerLink.objects.exists()


@pytest.mark.parametrize("days", ["0", "91", "100000", "-3", "soon"])
def test_an_absurd_expiry_is_refused_on_the_form(
    client: Client, rep: User, account: Account, contact: Stakeholder, days: str
) -> None:
    client.force_login(rep)

    response = _create_link(client, account, stakeholder=contact.pk, days=days)

    assert response.status_code == 400
    assert "A link lasts from 1 to 90 days" in response.content.decode()
    assert not CustomerLink.objects.exists()


def test_a_link_for_someone_elsewhere_is_refused_on_the_form(
    client: Client, rep: User, account: Account
) -> None:
    stranger = Stakeholder.objects.create(
        account=AccountFactory.create(name="Globex"), first_name="Gus"
    )
    client.force_login(rep)

    response = _create_link(client, account, stakeholder=stranger.pk, days=7)

    assert response.status_code == 400
    assert "That contact is not an active person at this account." in (
        response.content.decode()
    )
    assert not CustomerLink.objects.exists()


def test_checkpoints_of_pursuits_sharing_a_name_can_be_told_apart(
    client: Client, rep: User, plan: Plan, strategy: Strategy, pursuit: Pursuit
) -> None:
    # given: a second pursuit with the same name and the same template
    twin = pursuit_create(
        user=rep,
        plan=plan,
        template=pursuit.template,
        values={
            "name": "Asia rollout",
            "product": ProductFactory.create(name="GTX Lite"),
            "strategy": strategy,
            "amount": 1000,
        },
    )
    Stakeholder.objects.create(
        account=pursuit.plan.account, first_name="Carla", last_name="Finch"
    )
    client.force_login(rep)

    # when
    page = client.get(
        reverse("plans:scorecard", args=[pursuit.plan.account_id])
    ).content.decode()

    # then
    started = f"{pursuit.created_at:%-d %b %Y}"
    assert f"(Asia rollout #{pursuit.pk}, started {started}, stage" in page
    assert f"(Asia rollout #{twin.pk}, started {started}, stage" in page


def test_the_review_links_no_quarter_after_the_current_one(
    client: Client, rep: User, account: Account
) -> None:
    current = fiscal_quarter_current()
    client.force_login(rep)

    now = client.get(reverse("plans:review", args=[account.pk, current.slug]))
    before = client.get(
        reverse("plans:review", args=[account.pk, current.previous.slug])
    )

    assert current.next.label not in now.content.decode()
    assert 'rel="next"' not in now.content.decode()
    assert f"{current.label} →" in before.content.decode()


def test_revoking_a_link_asks_first(
    client: Client, rep: User, account: Account, link_url: str
) -> None:
    client.force_login(rep)

    page = client.get(reverse("plans:scorecard", args=[account.pk])).content.decode()

    assert (
        'data-confirm="Revoke Carla Finch&#x27;s link? It stops working at once '
        'and cannot be turned back on."'
    ) not in page
    assert (
        "data-confirm=\"Revoke Carla Finch's link? It stops working at once "
        'and cannot be turned back on."'
    ) in page
    assert "js/confirm.js" in page
