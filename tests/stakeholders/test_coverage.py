"""Coverage findings on hand-made buying groups, without the database."""

from datetime import UTC, datetime, timedelta

from stakeholders.coverage import Kind, Person, coverage_findings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
RECENT = NOW - timedelta(days=5)
ECONOMIC, TECHNICAL, CHAMPION = 1, 2, 3
EXPECTED = [(ECONOMIC, "Economic buyer"), (TECHNICAL, "Technical buyer")]


def person(pk: int, **overrides: object) -> Person:
    values: dict = {
        "id": pk,
        "name": f"Person {pk}",
        "seniority": "director",
        "influence": 3,
        "sentiment": 1,
        "owner_id": 10,
        "role_ids": frozenset(),
        "last_touch_at": RECENT,
        "action_plan": "",
        "title": "Director of IT",
    }
    values.update(overrides)
    return Person(**values)


def healthy_group() -> list[Person]:
    return [
        person(
            1,
            role_ids=frozenset({ECONOMIC}),
            sentiment=2,
            influence=5,
            seniority="executive",
            title="CFO",
        ),
        person(2, role_ids=frozenset({TECHNICAL}), sentiment=1, influence=3),
        person(
            3,
            role_ids=frozenset({CHAMPION}),
            sentiment=0,
            influence=2,
            seniority="staff",
            title="Analyst",
        ),
    ]


def findings(people: list[Person], expected=EXPECTED) -> list:
    return coverage_findings(
        people=people, expected_roles=expected, stale_days=90, now=NOW
    )


def test_a_well_covered_group_has_no_findings():
    assert findings(healthy_group()) == []


def test_it_names_an_expected_role_with_no_person():
    group = healthy_group()
    group[1] = person(2, role_ids=frozenset(), sentiment=1)

    result = findings(group)

    assert [finding.kind for finding in result] == [Kind.MISSING_ROLE]
    assert result[0].role_id == TECHNICAL
    assert "No one is named as Technical buyer" in result[0].reason


def test_it_flags_an_important_person_with_no_owner():
    group = healthy_group()
    group[1] = person(2, role_ids=frozenset({TECHNICAL}), influence=4, owner_id=None)

    result = findings(group)

    assert [(f.kind, f.person_id) for f in result] == [(Kind.NO_OWNER, 2)]
    assert "influence 4/5 and no one on our team owns" in result[0].reason


def test_a_person_of_low_influence_needs_no_owner():
    group = healthy_group()
    group[2] = person(3, sentiment=0, influence=2, owner_id=None, seniority="staff")

    assert findings(group) == []


def test_it_flags_an_influential_opponent_with_no_action():
    group = healthy_group()
    group.append(person(4, sentiment=-2, influence=5, seniority="executive"))

    result = findings(group)

    assert [(f.kind, f.person_id) for f in result] == [(Kind.UNADDRESSED_OPPONENT, 4)]
    assert "Person 4 is an opponent with influence 5/5" in result[0].reason


def test_an_opponent_with_an_action_plan_is_not_flagged():
    group = healthy_group()
    group.append(
        person(
            4,
            sentiment=-2,
            influence=5,
            seniority="executive",
            action_plan="Reference call with a peer CIO",
        )
    )

    assert findings(group) == []


def test_it_flags_a_single_threaded_account():
    group = healthy_group()
    group[1] = person(2, role_ids=frozenset({TECHNICAL}), sentiment=0)

    result = findings(group)

    assert [(f.kind, f.person_id) for f in result] == [(Kind.SINGLE_THREADED, 1)]
    assert "Only one supportive contact (Person 1)" in result[0].reason


def test_an_account_with_no_supporter_is_single_threaded_too():
    result = findings([], expected=[])

    assert [f.kind for f in result] == [Kind.SINGLE_THREADED]
    assert "No supportive contact at all" in result[0].reason


def test_it_flags_a_stale_relationship():
    group = healthy_group()
    group[1] = person(
        2, role_ids=frozenset({TECHNICAL}), last_touch_at=NOW - timedelta(days=120)
    )

    result = findings(group)

    assert [(f.kind, f.person_id) for f in result] == [(Kind.STALE, 2)]
    assert "120 days ago; relationships go stale after 90" in result[0].reason


def test_an_owned_person_never_touched_since_long_ago_is_stale():
    group = healthy_group()
    group[1] = person(
        2,
        role_ids=frozenset({TECHNICAL}),
        last_touch_at=None,
        added_at=NOW - timedelta(days=100),
    )

    result = findings(group)

    assert [(f.kind, f.person_id) for f in result] == [(Kind.STALE, 2)]
    assert "no logged touch in the 100 days since they were added" in (result[0].reason)


def test_a_person_added_minutes_ago_is_not_stale():
    group = healthy_group()
    group[1] = person(
        2,
        role_ids=frozenset({TECHNICAL}),
        last_touch_at=None,
        added_at=NOW - timedelta(minutes=5),
    )

    assert findings(group) == []


def test_it_flags_an_empty_suit():
    group = healthy_group()
    group.append(
        person(4, seniority="vp", title="VP Strategy", influence=1, sentiment=0)
    )

    result = findings(group)

    assert [(f.kind, f.person_id) for f in result] == [(Kind.EMPTY_SUIT, 4)]
    assert "senior title (VP Strategy) but influence only 1/5" in result[0].reason


def test_it_flags_a_hidden_influencer():
    group = healthy_group()
    group.append(
        person(
            4, seniority="staff", title="Executive assistant", influence=5, sentiment=0
        )
    )

    result = findings(group)

    assert [(f.kind, f.person_id) for f in result] == [(Kind.HIDDEN_INFLUENCER, 4)]
    assert "junior title (Executive assistant) but influence 5/5" in result[0].reason
