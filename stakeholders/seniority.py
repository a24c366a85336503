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


# "... to the CEO" names whom the person supports, not their own rank.
_SUPPORTS = re.compile(r"\s+to\s+(the\s+)?\S.*$", re.IGNORECASE)
# Support roles stay staff whatever senior word their title carries
# ("Executive Assistant"), except a deputy rank ("Assistant Vice President",
# "Assistant Director"), which the rules below read as senior.
_SUPPORT_ROLE = re.compile(
    r"\b(assistant|coordinator|secretary|receptionist|intern|clerk)\b(?!\s+"
    r"(vice|director|general|head|chief|manager))",
    re.IGNORECASE,
)


def seniority_from_title(title: str) -> str:
    """Return the seniority a title suggests; blank when there is no title."""
    cleaned = _SUPPORTS.sub("", title.strip())
    if not cleaned:
        return ""
    if _SUPPORT_ROLE.search(cleaned):
        return "staff"
    for seniority, pattern in _RULES:
        if pattern.search(cleaned):
            return seniority
    return "staff"
