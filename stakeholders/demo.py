"""Generate a synthetic, clearly labelled buying group for each account.

Seeded by the account's name, so the same account always gets the same
people whatever else is in the database. Profiles vary on purpose, so every
coverage finding shows up somewhere in the demo.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from stakeholders.models import Activity, BuyingRole, InfluenceLink, Stakeholder
from stakeholders.seniority import JUNIOR, SENIOR, seniority_from_title

DEMO_SOURCE = "synthetic demo data"
DEMO_NOTE = "[synthetic demo data] "

FIRST_NAMES = [
    "Amara",
    "Bastian",
    "Chiara",
    "Dmitri",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Idris",
    "Jovana",
    "Kenji",
    "Leila",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Soren",
    "Tamsin",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zofia",
]
LAST_NAMES = [
    "Abbott",
    "Brandt",
    "Castellanos",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gallo",
    "Haddad",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rahman",
    "Sato",
    "Thorne",
    "Urquhart",
    "Varga",
    "Whitaker",
    "Yilmaz",
    "Zeller",
]

# (title, department, roles, influence): the seats a buying group may fill.
SEATS = [
    ("Chief Financial Officer", "Finance", ["economic-buyer", "finance"], 5),
    ("Chief Information Officer", "IT", ["technical-buyer", "it", "decision-maker"], 5),
    ("VP Operations", "Operations", ["business-owner", "operations"], 4),
    ("Head of Procurement", "Procurement", ["procurement", "gatekeeper"], 3),
    ("IT Architect", "IT", ["technical-buyer", "influencer"], 3),
    ("Operations Manager", "Operations", ["user-buyer"], 2),
    ("Business Analyst", "Operations", ["champion", "user-buyer"], 2),
    ("Finance Manager", "Finance", ["finance"], 2),
    ("Director of Strategy", "Strategy", ["influencer"], 3),
    ("Executive Assistant to the CEO", "Office of the CEO", ["gatekeeper"], 2),
]
PROFILES = [
    "well_covered",
    "single_threaded",
    "empty_suit",
    "opponent",
    "stale",
    "thin",
]


@dataclass
class DemoSummary:
    accounts: int = 0
    people: int = 0
    links: int = 0
    activities: int = 0


def _profile(account: Account) -> str:
    return PROFILES[random.Random(f"profile:{account.name}").randrange(len(PROFILES))]


@transaction.atomic
def stakeholder_demo_generate(*, now: datetime | None = None) -> DemoSummary:
    """Replace the synthetic people of every account with a fresh set."""
    now = now or timezone.now()
    Activity.objects.filter(note__startswith=DEMO_NOTE).delete()
    Stakeholder.objects.filter(source=DEMO_SOURCE).delete()
    roles = {role.key: role for role in BuyingRole.objects.all()}
    summary = DemoSummary()
    accounts = Account.objects.prefetch_related("team_memberships__user").order_by(
        "name"
    )
    for account in accounts:
        _account_generate(account=account, roles=roles, now=now, summary=summary)
    return summary


def _account_generate(
    *,
    account: Account,
    roles: dict[str, BuyingRole],
    now: datetime,
    summary: DemoSummary,
) -> None:
    rng = random.Random(f"stakeholders-demo:{account.name}")
    profile = _profile(account)
    team = [membership.user for membership in account.team_memberships.all()]
    size = {"well_covered": 9, "thin": 3, "single_threaded": 5}.get(profile, 7)
    seats = [SEATS[0], SEATS[1]] + rng.sample(SEATS[2:], size - 2)
    if profile == "thin":
        seats = rng.sample(SEATS[3:], size)
    if profile == "well_covered":
        # The first nine seats name every role in the taxonomy.
        seats = SEATS[:9]

    people = []
    used: set[str] = set()
    for index, (title, department, role_keys, influence) in enumerate(seats):
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in used:
                used.add(f"{first} {last}")
                break
        sentiment = rng.choice([0, 1, 1, 2]) if profile != "single_threaded" else 0
        person = Stakeholder(
            account=account,
            first_name=first,
            last_name=last,
            title=title,
            department=department,
            seniority=seniority_from_title(title),
            email=f"{first}.{last}@example.invalid".lower(),
            source=DEMO_SOURCE,
            sentiment=sentiment,
            sentiment_confirmed=rng.random() < 0.5,
            influence=influence,
            influence_confirmed=rng.random() < 0.4,
            owner=team[index % len(team)] if team and rng.random() < 0.85 else None,
            relationship_current=rng.choice([1, 2, 3]),
            relationship_desired=rng.choice([3, 4, 5]),
            goals=f"Cut {department.lower()} cost by {rng.randint(5, 20)}%",
            kpis=f"{department} budget adherence",
        )
        person.sentiment_confirmed_at = (
            now - timedelta(days=rng.randint(3, 200))
            if person.sentiment_confirmed
            else None
        )
        person.influence_confirmed_at = (
            now - timedelta(days=rng.randint(3, 200))
            if person.influence_confirmed
            else None
        )
        people.append((person, role_keys))

    # Make each profile show its finding.
    if profile == "single_threaded":
        people[0][0].sentiment = 2
    if profile == "empty_suit":
        suit = (
            people[2][0]
            if people[2][0].seniority in {"executive", "vp", "director"}
            else people[0][0]
        )
        suit.influence = 1
        if suit.seniority not in SENIOR:
            suit.title = "VP Transformation"
            suit.seniority = seniority_from_title(suit.title)
    if profile == "thin":
        # A junior who really runs the show: a junior title, not a senior one
        # stored as staff, so the hidden-influencer finding is true.
        juniors = [person for person, _ in people if person.seniority in JUNIOR]
        insider = juniors[-1] if juniors else people[-1][0]
        if insider.seniority not in JUNIOR:
            insider.title = "Business Analyst"
            insider.seniority = seniority_from_title(insider.title)
        insider.influence = 5
    if profile == "opponent":
        people[1][0].sentiment = -2
        people[1][0].action_plan = ""
    if profile == "well_covered":
        for person, _ in people:
            person.sentiment = max(person.sentiment, 1)
            person.owner = person.owner or (team[0] if team else None)

    Stakeholder.objects.bulk_create([person for person, _ in people])
    through = Stakeholder.roles.through
    through.objects.bulk_create(
        through(stakeholder_id=person.pk, buyingrole_id=roles[key].pk)
        for person, keys in people
        for key in keys
        if key in roles
    )

    staff = [person for person, _ in people]
    top = staff[0]
    for person in staff[1:]:
        manager = (
            top
            if person.seniority in {"executive", "vp"} or rng.random() < 0.4
            else rng.choice(staff[: staff.index(person)])
        )
        person.reports_to = manager
    Stakeholder.objects.bulk_update(staff[1:], ["reports_to"])

    links = []
    pairs = set()
    for _ in range(max(1, len(staff) // 2)):
        source, target = rng.sample(staff, 2)
        kind = rng.choice(["influences", "influences", "allied", "conflicts"])
        if (source.pk, target.pk, kind) in pairs:
            continue
        pairs.add((source.pk, target.pk, kind))
        links.append(
            InfluenceLink(
                account=account,
                source=source,
                target=target,
                kind=kind,
                strength=rng.choice([1, 2, 3]),
            )
        )
    InfluenceLink.objects.bulk_create(links)

    stale = profile == "stale"
    activities = 0
    for person in staff:
        if person.owner is None or (profile == "thin" and rng.random() < 0.5):
            continue
        days = rng.randint(120, 300) if stale else rng.randint(2, 80)
        activity = Activity.objects.create(
            account=account,
            user=person.owner,
            kind=rng.choice(["meeting", "call", "email"]),
            occurred_at=now - timedelta(days=days),
            note=f"{DEMO_NOTE}touch",
        )
        activity.stakeholders.add(person)
        activities += 1

    summary.accounts += 1
    summary.people += len(staff)
    summary.links += len(links)
    summary.activities += activities
