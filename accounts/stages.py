"""The CRM deal stages an import knows, and what each means in Lode.

A stage is recognised by its whole name after `header_normalise` (case,
spacing and punctuation ignored), never by a word inside it: "Not Won" and
"Won't buy" are not won. The names known are:

- Salesforce's standard opportunity stages: Prospecting, Qualification,
  Needs Analysis, Value Proposition, Id. Decision Makers, Perception
  Analysis, Proposal/Price Quote, Negotiation/Review, Closed Won and
  Closed Lost;
- HubSpot's default deal pipeline, by label or internal name:
  Appointment Scheduled, Qualified To Buy, Presentation Scheduled,
  Decision Maker Bought-In, Contract Sent, Closed Won and Closed Lost;
- the bundled data set's stages: Prospecting, Engaging, Won and Lost;
- Negotiation, the short form of Negotiation/Review many exports use.

A Salesforce Won (IsWon) or Closed (IsClosed) column, where the file has
one, says more than the name and is read first. Any other name is refused
with its row, and the check asks once per name whether a deal at it is
won, lost or open; the answer is kept with the import's other answers.
So no deal is counted as won, lost or open by a guess.
"""

from accounts.models import Opportunity
from accounts.recognise import header_normalise

Stage = Opportunity.Stage

_NAMES: dict[Stage, tuple[str, ...]] = {
    Stage.PROSPECTING: ("Prospecting", "Qualification"),
    # HubSpot's default pipeline starts once a meeting is set: every open
    # stage of it is engaging.
    Stage.ENGAGING: (
        "Engaging",
        "Appointment Scheduled",
        "Qualified To Buy",
        "Needs Analysis",
        "Value Proposition",
        "Id. Decision Makers",
        "Perception Analysis",
        "Proposal/Price Quote",
        "Negotiation/Review",
        "Negotiation",
        "Presentation Scheduled",
        "Decision Maker Bought-In",
        "Contract Sent",
    ),
    Stage.WON: ("Closed Won", "Won"),
    Stage.LOST: ("Closed Lost", "Lost"),
}

# Normalised name -> stage. HubSpot's internal names ("closedwon",
# "decisionmakerboughtin") normalise to the same keys as their labels.
KNOWN_STAGES: dict[str, Stage] = {
    header_normalise(name): stage for stage, names in _NAMES.items() for name in names
}


# What a user may map an unknown stage name to, and the stage it gives.
STAGE_ANSWERS: dict[str, Stage] = {
    "won": Stage.WON,
    "lost": Stage.LOST,
    "open": Stage.ENGAGING,
}


def stage_name_known(name: str) -> bool:
    """Tell whether a stage name is in the vocabulary above."""
    return header_normalise(name) in KNOWN_STAGES


def stage_known(
    *,
    name: str,
    is_won: bool | None = None,
    is_closed: bool | None = None,
    answer: str | None = None,
) -> Stage | str:
    """Return Lode's stage for a CRM stage name and flags, else the reason.

    The flags decide where they can: won, closed and not won (lost), or
    open. An open deal keeps its named open stage, else counts as engaging.
    `answer` is what the user mapped an unknown name to (won, lost, open).
    """
    known = KNOWN_STAGES.get(header_normalise(name)) or STAGE_ANSWERS.get(answer or "")
    if is_won is True:
        return Stage.WON
    if is_closed is True and is_won is False:
        return Stage.LOST
    if is_closed is False:
        return known if known in (Stage.PROSPECTING, Stage.ENGAGING) else Stage.ENGAGING
    if known == Stage.WON and is_won is False:
        return f'stage "{name}" is won but the Won column says it is not'
    if known is not None:
        return known
    if not name.strip():
        return (
            "the deal has no stage; give it one such as Prospecting, Closed Won "
            "or Closed Lost"
        )
    return (
        f'stage "{name}" is not known; map it to won, lost or open, or use '
        "a Salesforce, HubSpot or bundled data set stage (such as Prospecting, "
        "Negotiation/Review, Closed Won or Closed Lost)"
    )
