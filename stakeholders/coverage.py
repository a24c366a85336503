"""Coverage findings for one buying group, on plain data.

The selectors load people and roles in a fixed number of queries and hand
them here; nothing in this module touches the database.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from stakeholders.seniority import JUNIOR, SENIOR

HIGH_INFLUENCE = 4
LOW_INFLUENCE = 2
SUPPORTIVE = 1
AGAINST = -1


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    seniority: str
    influence: int
    sentiment: int
    owner_id: int | None
    role_ids: frozenset[int] = field(default_factory=frozenset)
    last_touch_at: datetime | None = None
    # When the person was added: with no touch yet, staleness counts from here.
    added_at: datetime | None = None
    action_plan: str = ""
    title: str = ""


@dataclass(frozen=True)
class Finding:
    kind: str
    title: str
    reason: str
    person_id: int | None = None
    role_id: int | None = None


class Kind:
    MISSING_ROLE = "missing_role"
    NO_OWNER = "no_owner"
    UNADDRESSED_OPPONENT = "unaddressed_opponent"
    SINGLE_THREADED = "single_threaded"
    STALE = "stale"
    EMPTY_SUIT = "empty_suit"
    HIDDEN_INFLUENCER = "hidden_influencer"


KIND_TITLES = {
    Kind.MISSING_ROLE: "Expected role with no named person",
    Kind.NO_OWNER: "Important person with no owner",
    Kind.UNADDRESSED_OPPONENT: "Influential opponent with no action",
    Kind.SINGLE_THREADED: "Single-threaded account",
    Kind.STALE: "Relationship going stale",
    Kind.EMPTY_SUIT: "Empty suit",
    Kind.HIDDEN_INFLUENCER: "Hidden influencer",
}

# A list of findings sorts by kind in this order, then by person and role
# (none first): no two findings of one account share all three.
KIND_ORDER = {kind: number for number, kind in enumerate(KIND_TITLES)}


def _sorted_id(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an id")
    return value


def finding_sort_key(values: list[object]) -> tuple[int, int, int]:
    """Return where a finding with this kind, person and role id sorts."""
    kind, person_id, role_id = values
    return KIND_ORDER[str(kind)], _sorted_id(person_id), _sorted_id(role_id)


# Column heads for tables that show every kind side by side.
KIND_SHORT = {
    Kind.MISSING_ROLE: "Unnamed roles",
    Kind.NO_OWNER: "No owner",
    Kind.UNADDRESSED_OPPONENT: "Opponents, no plan",
    Kind.SINGLE_THREADED: "Single-threaded",
    Kind.STALE: "Stale",
    Kind.EMPTY_SUIT: "Empty suits",
    Kind.HIDDEN_INFLUENCER: "Hidden influencers",
}

SENTIMENT_WORDS = {-2: "an opponent", -1: "a sceptic"}

# What str.strip() takes off, listed: an action plan of these alone is
# empty. SQL's TRIM takes off spaces only, so a query that counts findings
# asks the database whether a text holds any other character.
BLANK_CHARACTERS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
    "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def coverage_findings(
    *,
    people: Sequence[Person],
    expected_roles: Iterable[tuple[int, str]],
    stale_days: int,
    now: datetime,
) -> list[Finding]:
    """Return what is missing or at risk in one account's buying group.

    `people` are the active people only: someone who has left covers
    nothing.
    """
    findings: list[Finding] = []
    covered = set().union(*(person.role_ids for person in people))
    for role_id, role_name in expected_roles:
        if role_id not in covered:
            findings.append(
                Finding(
                    Kind.MISSING_ROLE,
                    KIND_TITLES[Kind.MISSING_ROLE],
                    f"No one is named as {role_name}, a role this account "
                    "is expected to have.",
                    role_id=role_id,
                )
            )

    supporters = [person for person in people if person.sentiment >= SUPPORTIVE]
    if len(supporters) <= 1:
        reason = (
            f"Only one supportive contact ({supporters[0].name}); if they "
            "leave, we lose the account's voice."
            if supporters
            else "No supportive contact at all: nobody here sells for us."
        )
        findings.append(
            Finding(
                Kind.SINGLE_THREADED,
                KIND_TITLES[Kind.SINGLE_THREADED],
                reason,
                person_id=supporters[0].id if supporters else None,
            )
        )

    for person in people:
        findings.extend(_person_findings(person, stale_days=stale_days, now=now))
    return findings


def person_days_untouched(*, person: Person, now: datetime) -> int | None:
    """Return whole days since the last touch, or since the person was added.

    None when neither is known (a person never saved), so nobody added a
    minute ago reads as going stale.
    """
    since = person.last_touch_at or person.added_at
    if since is None:
        return None
    return (now - since).days


def _person_findings(
    person: Person, *, stale_days: int, now: datetime
) -> list[Finding]:
    findings = []
    high = person.influence >= HIGH_INFLUENCE
    if high and person.owner_id is None:
        findings.append(
            Finding(
                Kind.NO_OWNER,
                KIND_TITLES[Kind.NO_OWNER],
                f"{person.name} has influence {person.influence}/5 and no one "
                "on our team owns the relationship.",
                person_id=person.id,
            )
        )
    if high and person.sentiment <= AGAINST and not person.action_plan.strip():
        findings.append(
            Finding(
                Kind.UNADDRESSED_OPPONENT,
                KIND_TITLES[Kind.UNADDRESSED_OPPONENT],
                f"{person.name} is {SENTIMENT_WORDS[person.sentiment]} with "
                f"influence {person.influence}/5 and has no action plan.",
                person_id=person.id,
            )
        )
    if person.owner_id is not None:
        since = person_days_untouched(person=person, now=now)
        if since is not None and since > stale_days:
            if person.last_touch_at is None:
                reason = (
                    f"{person.name} has an owner and no logged touch in the "
                    f"{since} days since they were added; relationships go "
                    f"stale after {stale_days}."
                )
            else:
                reason = (
                    f"Last touch with {person.name} was {since} days ago; "
                    f"relationships go stale after {stale_days}."
                )
            findings.append(
                Finding(
                    Kind.STALE, KIND_TITLES[Kind.STALE], reason, person_id=person.id
                )
            )
    if person.seniority in SENIOR and person.influence <= LOW_INFLUENCE:
        findings.append(
            Finding(
                Kind.EMPTY_SUIT,
                KIND_TITLES[Kind.EMPTY_SUIT],
                f"{person.name} has a senior title ({person.title or person.seniority})"
                f" but influence only {person.influence}/5.",
                person_id=person.id,
            )
        )
    if person.seniority in JUNIOR and high:
        findings.append(
            Finding(
                Kind.HIDDEN_INFLUENCER,
                KIND_TITLES[Kind.HIDDEN_INFLUENCER],
                f"{person.name} has a junior title ({person.title or person.seniority})"
                f" but influence {person.influence}/5.",
                person_id=person.id,
            )
        )
    return findings
