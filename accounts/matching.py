"""Propose which incoming account names are accounts we already have.

`account_name_key` folds a name to what a person would call the same name:
case, accents, spacing, punctuation and a trailing legal form (Inc., Ltd,
GmbH, AB, S.A. ...) are ignored, so "ACME WIDGETS, INC" and "Acme  Widgets
Inc." share a key. `account_match_propose` pairs names by that key, and also
pairs names one typo apart in a distinctive word; two names that differ in
any generic word ("Harbor Bank of the North" and "... of the South") are
never paired. Proposals are only proposals: merging waits for the user.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SAME = "same"
SIMILAR = "similar"

# Legal forms, written as their words once dots are gone ("s.a." -> "sa").
LEGAL_FORMS = {
    ("inc",),
    ("incorporated",),
    ("ltd",),
    ("limited",),
    ("llc",),
    ("llp",),
    ("lp",),
    ("plc",),
    ("corp",),
    ("corporation",),
    ("co",),
    ("company",),
    ("gmbh",),
    ("ag",),
    ("kg",),
    ("gmbh", "co", "kg"),
    ("gmbh", "and", "co", "kg"),
    ("ab",),
    ("publ",),
    ("as",),
    ("asa",),
    ("aps",),
    ("oy",),
    ("oyj",),
    ("sa",),
    ("sas",),
    ("sarl",),
    ("srl",),
    ("spa",),
    ("bv",),
    ("nv",),
    ("pty",),
    ("pty", "ltd"),
    ("pvt", "ltd"),
    ("kk",),
}
_LONGEST_FORM = max(len(form) for form in LEGAL_FORMS)

# Words that say nothing about which organisation is meant; two names that
# differ only in them are not proposed as one, and they never carry a typo
# match on their own.
GENERIC_WORDS = {
    "the",
    "of",
    "and",
    "for",
    "de",
    "la",
    "bank",
    "group",
    "holding",
    "holdings",
    "international",
    "global",
    "national",
    "services",
    "solutions",
    "systems",
    "technologies",
    "technology",
    "industries",
    "partners",
    "north",
    "south",
    "east",
    "west",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "first",
    "united",
    "american",
    "europe",
    "european",
    "asia",
    "pacific",
}

# Only words this long carry a one-letter typo match.
TYPO_MIN_LENGTH = 5


@dataclass(frozen=True)
class MatchProposal:
    """An incoming name that may be an existing account."""

    incoming: str
    existing: str
    kind: str
    reason: str


def account_name_words(name: str) -> list[str]:
    """Return the words that identify a name, legal form left out."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.casefold().replace("&", " and ")
    # "S.A." and "A.B." are one word each; "acme.com" stays one word too.
    text = re.sub(r"(?<=\w)\.(?=\w)", "", text)
    words = re.findall(r"[^\W_]+", text)

    # Strip trailing legal forms, longest first ("GmbH & Co. KG").
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for size in range(min(_LONGEST_FORM, len(words) - 1), 0, -1):
            if tuple(words[-size:]) in LEGAL_FORMS:
                words = words[:-size]
                stripped = True
                break
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return words


def account_name_key(name: str) -> str:
    """Return the key under which two spellings of one name are equal."""
    return " ".join(account_name_words(name))


def account_name_shapes(words: list[str]) -> tuple[tuple[int, str], ...]:
    """Return the shapes a name one typo from this one shares with it.

    Its word count with its first word, and with its last: a single typo
    leaves at least one of them intact when there are two words.
    """
    return (len(words), words[0]), (len(words), "$" + words[-1])


def account_name_caseless(name: str) -> str:
    """Return a name with its capitals folded, alike in every alphabet.

    Folded in Python, so SQLite (whose LIKE and LOWER fold ASCII only) and
    PostgreSQL (whose UPPER follows the database's locale) agree: "ÉCLAIR
    AB" and "éclair ab" are one name on both. Accents and spacing count.
    """
    composed = unicodedata.normalize("NFC", name)
    return unicodedata.normalize("NFC", composed.casefold())


def _one_edit_apart(one: str, two: str) -> bool:
    if one == two or abs(len(one) - len(two)) > 1:
        return False
    if len(one) > len(two):
        one, two = two, one
    for index, (a, b) in enumerate(zip(one, two, strict=False)):
        if a != b:
            if len(one) == len(two):
                return one[index + 1 :] == two[index + 1 :]
            return one[index:] == two[index + 1 :]
    return True


def _may_hold_typo(word: str) -> bool:
    """Say if a word is distinctive and long enough to carry a typo match."""
    return (
        word not in GENERIC_WORDS
        and not word.isdigit()
        and len(word) >= TYPO_MIN_LENGTH
    )


def account_name_skeletons(words: list[str]) -> list[str]:
    """Return the name's other words around each word a typo may be in.

    Two names are one typo apart (`_similar`) only where they differ in
    one such word and agree in all the others, so they share the skeleton
    of that word: an exact key that finds them without comparing a name
    with every name of its length.
    """
    if len(words) < 2:
        return []
    return [
        f"{len(words)} {place} " + " ".join(words[:place] + words[place + 1 :])
        for place, word in enumerate(words)
        if _may_hold_typo(word)
    ]


def _similar(one: list[str], two: list[str]) -> bool:
    """Return True when the words differ by one typo in one distinctive word."""
    if len(one) != len(two):
        return False
    differing = [(a, b) for a, b in zip(one, two, strict=True) if a != b]
    if len(differing) != 1:
        return False
    a, b = differing[0]
    if not _may_hold_typo(a) or not _may_hold_typo(b):
        return False
    if len(one) < 2:
        # A lone word one letter from another is as likely a different firm.
        return False
    return _one_edit_apart(a, b)


# A name and its words, as the index keeps them.
_Words = tuple[str, list[str]]


class AccountNameIndex:
    """The existing account names by key and by shape, to propose against.

    Made once per import (it folds every account's name), it answers any
    number of incoming names; it holds a few entries per account, none per
    incoming name.
    """

    def __init__(self, existing: Iterable[str]) -> None:
        self.names: set[str] = set()
        self.by_key: dict[str, list[str]] = defaultdict(list)
        self.by_shape: dict[tuple[int, str], list[_Words]] = defaultdict(list)
        for name in existing:
            self.add(name)

    def add(self, name: str) -> None:
        """Index one more existing name, such as an account just created."""
        if name in self.names:
            return
        self.names.add(name)
        words = account_name_words(name)
        if not words:
            return
        self.by_key[" ".join(words)].append(name)
        # Index by word count and the first word or the last: a single typo
        # leaves at least one of them intact when there are two.
        for shape in account_name_shapes(words):
            self.by_shape[shape].append((name, words))

    def discard(self, name: str) -> None:
        """Forget a name no account has any more, such as a renamed one's."""
        if name not in self.names:
            return
        self.names.discard(name)
        words = account_name_words(name)
        if not words:
            return
        self.by_key[" ".join(words)].remove(name)
        for shape in account_name_shapes(words):
            self.by_shape[shape].remove((name, words))

    def propose(self, *, incoming: Iterable[str]) -> list[MatchProposal]:
        """Return proposed pairs of incoming and existing names, same key first.

        An incoming name equal to an existing one is no proposal: it is
        simply that account. Otherwise a shared key is proposed as the same
        account, a single typo in a distinctive word as a similar one.
        """
        proposals: list[MatchProposal] = []
        for name in dict.fromkeys(incoming):
            if name in self.names:
                continue
            words = account_name_words(name)
            if not words:
                continue
            key = " ".join(words)
            same = [other for other in self.by_key.get(key, []) if other != name]
            for other in same:
                proposals.append(
                    MatchProposal(
                        incoming=name,
                        existing=other,
                        kind=SAME,
                        reason=_same_reason(name, other, key),
                    )
                )
            if same:
                continue
            first, last = account_name_shapes(words)
            candidates = self.by_shape.get(first, []) + self.by_shape.get(last, [])
            seen: set[str] = set()
            for other, other_words in candidates:
                if other in seen or not _similar(words, other_words):
                    continue
                seen.add(other)
                typo = next(
                    (a, b) for a, b in zip(words, other_words, strict=True) if a != b
                )
                proposals.append(
                    MatchProposal(
                        incoming=name,
                        existing=other,
                        kind=SIMILAR,
                        reason=f"one letter apart: {typo[0]!r} and {typo[1]!r}",
                    )
                )
        return proposals


def account_match_propose(
    *, incoming: Sequence[str], existing: Sequence[str]
) -> list[MatchProposal]:
    """Return proposed pairs of incoming and existing names, same key first."""
    return AccountNameIndex(existing).propose(incoming=incoming)


def account_name_groups(*, names: Sequence[str]) -> list[list[str]]:
    """Return groups of distinct names in one file that share a key."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in dict.fromkeys(names):
        key = account_name_key(name)
        if key:
            groups[key].append(name)
    return [group for group in groups.values() if len(group) > 1]


def _same_reason(name: str, other: str, key: str) -> str:
    # A browser shows two spaces as one, so a name that differs only in its
    # spaces would read as the account's own name; the reason says so.
    if name.split() == other.split():
        return f"differs only in its spaces: {name!r} against {other!r}"
    return (
        "same name once case, spacing, punctuation and legal form are "
        f"ignored ({key!r})"
    )
