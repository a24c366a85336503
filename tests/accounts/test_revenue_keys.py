"""The places an invoice's lines are kept at; no database here."""

from accounts.revenue_keys import invoice_positions


def test_lines_in_another_order_take_the_places_of_their_values() -> None:
    assert invoice_positions(
        read=["plus", "pro"], stored={1: "pro", 2: "plus"}, free=[]
    ) == [
        2,
        1,
    ]


def test_an_amended_line_takes_the_place_no_other_line_matched() -> None:
    assert invoice_positions(read=["pro 300"], stored={1: "pro 250"}, free=[]) == [1]


def test_a_repeated_line_takes_a_stored_twin_then_a_free_place() -> None:
    assert invoice_positions(
        read=["pro", "pro", "plus"], stored={1: "pro", 2: "other"}, free=[3]
    ) == [1, 2, 3]


def test_new_lines_take_the_free_places_in_order() -> None:
    assert invoice_positions(read=["pro", "plus"], stored={}, free=[1, 2]) == [1, 2]
