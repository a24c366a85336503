"""Guess how senior a person is from their job title."""

import re

# Checked in order: the first pattern that matches wins, so "Vice President"
# is caught before the bare "President" of the executive row.
_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "vp",
        re.compile(r"\b(vice[\s-]+president|vp|svp|evp|avp)\b", re.IGNORECASE),
    ),
    (
        "executive",
        re.compile(
            r"\b(chief|c[a-z]o|president|founder|owner|managing director|"
            r"general manager|partner|chair(man|woman|person)?)\b",
            re.IGNORECASE,
        ),
    ),
    ("director", re.compile(r"\b(director|head of|head)\b", re.IGNORECASE)),
    (
        "manager",
        re.compile(r"\b(manager|lead|supervisor|principal)\b", re.IGNORECASE),
    ),
]

SENIOR = {"executive", "vp", "director"}
JUNIOR = {"manager", "staff"}


def seniority_from_title(title: str) -> str:
    """Return the seniority a title suggests; blank when there is no title."""
    cleaned = title.strip()
    if not cleaned:
        return ""
    for seniority, pattern in _RULES:
        if pattern.search(cleaned):
            return seniority
    return "staff"
