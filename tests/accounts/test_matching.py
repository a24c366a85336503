import pytest

from accounts.matching import (
    SAME,
    AccountNameIndex,
    MatchProposal,
    account_match_propose,
    account_name_groups,
    account_name_key,
)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("ACME WIDGETS, INC", "acme widgets"),
        ("Acme  Widgets Inc.", "acme widgets"),
        ("Acme Widgets Incorporated", "acme widgets"),
        ("Nordic Freight AB", "nordic freight"),
        ("Nordic Freight AB (publ)", "nordic freight"),
        ("Müller Logistik GmbH & Co. KG", "muller logistik"),
        ("Banco Azul S.A.", "banco azul"),
        ("Delft Instruments B.V.", "delft instruments"),
        ("Thames Water Utilities Limited", "thames water utilities"),
        ("The Harbor Group, Ltd.", "harbor group"),
        ("Smith & Sons Co", "smith and sons"),
        ("Corp", "corp"),
    ],
)
def test_it_folds_names_to_a_key(name: str, key: str) -> None:
    assert account_name_key(name) == key


def test_it_proposes_spellings_of_one_name_as_the_same_account() -> None:
    proposals = account_match_propose(
        incoming=["ACME WIDGETS, INC"], existing=["Acme  Widgets Inc.", "Acme Tools"]
    )

    assert proposals == [
        MatchProposal(
            incoming="ACME WIDGETS, INC",
            existing="Acme  Widgets Inc.",
            kind="same",
            reason="same name once case, spacing, punctuation and legal form are "
            "ignored ('acme widgets')",
        )
    ]


def test_a_name_that_differs_only_in_its_spaces_says_so() -> None:
    proposals = account_match_propose(
        incoming=["Globex  Corporation"], existing=["Globex Corporation"]
    )

    assert proposals == [
        MatchProposal(
            incoming="Globex  Corporation",
            existing="Globex Corporation",
            kind=SAME,
            reason=(
                "differs only in its spaces: 'Globex  Corporation' against "
                "'Globex Corporation'"
            ),
        )
    ]


def test_names_sharing_only_generic_words_are_not_proposed() -> None:
    proposals = account_match_propose(
        incoming=["Harbor Bank of the North", "First National Bank"],
        existing=["Harbor Bank of the South", "First National Bank of Ohio"],
    )

    assert proposals == []


def test_it_proposes_a_one_letter_typo_in_a_distinctive_word() -> None:
    proposals = account_match_propose(
        incoming=["Acme Widgits GmbH", "Harbour Bank of the North"],
        existing=["Acme Widgets Inc", "Harbor Bank of the North"],
    )

    assert proposals == [
        MatchProposal(
            incoming="Acme Widgits GmbH",
            existing="Acme Widgets Inc",
            kind="similar",
            reason="one letter apart: 'widgits' and 'widgets'",
        ),
        MatchProposal(
            incoming="Harbour Bank of the North",
            existing="Harbor Bank of the North",
            kind="similar",
            reason="one letter apart: 'harbour' and 'harbor'",
        ),
    ]


def test_it_does_not_match_numbers_short_words_or_lone_words() -> None:
    proposals = account_match_propose(
        incoming=["Plant 1 Services", "Acme Ltd", "Zentrix"],
        existing=["Plant 2 Services", "Acne Ltd", "Zentrax"],
    )

    assert proposals == []


def test_an_exact_name_is_that_account_not_a_proposal() -> None:
    assert account_match_propose(incoming=["Acme Inc"], existing=["Acme Inc"]) == []


def test_an_index_follows_names_added_and_discarded() -> None:
    # given
    index = AccountNameIndex(["Nordic Freight AB", "Acme Inc"])

    # when: one account is renamed, another created
    index.discard("Nordic Freight AB")
    index.add("Baltic Freight AB")
    index.add("Delft Instruments B.V.")

    # then
    proposals = index.propose(
        incoming=["NORDIC FREIGHT", "BALTIC FREIGHT", "Delft Instruments"]
    )
    assert [(p.incoming, p.existing, p.kind) for p in proposals] == [
        ("BALTIC FREIGHT", "Baltic Freight AB", SAME),
        ("Delft Instruments", "Delft Instruments B.V.", SAME),
    ]
    assert index.names == {"Acme Inc", "Baltic Freight AB", "Delft Instruments B.V."}


def test_it_groups_spellings_of_one_name_within_a_file() -> None:
    groups = account_name_groups(
        names=["ACME WIDGETS, INC", "Beta AG", "Acme  Widgets Inc.", "acme widgets"]
    )

    assert groups == [["ACME WIDGETS, INC", "Acme  Widgets Inc.", "acme widgets"]]


def test_it_proposes_quickly_for_a_large_portfolio() -> None:
    existing = [f"Account {index:05d} Holdings Ltd" for index in range(20_000)]
    incoming = [f"ACCOUNT {index:05d} HOLDINGS, INC." for index in range(0, 20_000, 7)]

    proposals = account_match_propose(incoming=incoming, existing=existing)

    assert len(proposals) == len(incoming)
    assert all(proposal.kind == "same" for proposal in proposals)
