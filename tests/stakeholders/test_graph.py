import pytest

from stakeholders.graph import reporting_chain, reporting_loops
from stakeholders.seniority import seniority_from_title


def test_a_chain_without_a_loop_is_accepted():
    assert (
        reporting_chain(managers={1: 2, 2: 3, 3: None}, person=4, new_manager=1) is None
    )


def test_it_finds_the_loop_a_new_manager_would_make():
    managers = {1: 2, 2: 3, 3: 4, 4: None, 5: None}

    assert reporting_chain(managers=managers, person=4, new_manager=1) == [
        4,
        1,
        2,
        3,
        4,
    ]


def test_it_finds_existing_loops_once_each():
    managers = {1: 2, 2: 3, 3: 1, 4: 1, 5: None, 6: 6}

    assert reporting_loops(managers) == [[1, 2, 3, 1], [6, 6]]


@pytest.mark.parametrize(
    ("title", "seniority"),
    [
        ("Chief Financial Officer", "executive"),
        ("CIO", "executive"),
        ("Senior Vice President, Sales", "vp"),
        ("VP Operations", "vp"),
        ("Head of Procurement", "director"),
        ("IT Director", "director"),
        ("Procurement Manager", "manager"),
        ("Business Analyst", "staff"),
        ("Director of Strategy", "director"),
        ("Executive Assistant to the CEO", "staff"),
        ("Assistant to the VP of Sales", "staff"),
        ("Project Coordinator", "staff"),
        ("Assistant Vice President, Finance", "vp"),
        ("", ""),
    ],
)
def test_it_derives_seniority_from_the_title(title, seniority):
    assert seniority_from_title(title) == seniority
