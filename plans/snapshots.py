"""Plan snapshots: capture a plan as plain JSON, and say what changed.

A capture is a dict of sections; each section maps a stable key (a row id)
to a flat dict of the facts a reader compares. `snapshot_diff` works on two
captures alone, so a snapshot can be compared with another or with a fresh
capture of the plan as it is now.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from accounts.currency import money_text
from accounts.currency_codes import amount_kept
from accounts.models import Product
from accounts.selectors import whitespace_bought_since
from plans.models import Checkpoint, Plan, Pursuit, PursuitStage, Strategy
from scoring.models import AccountScore
from stakeholders.models import Stakeholder

CAPTURE_VERSION = 1
AMOUNT = re.compile(r"(-?\d+\.\d{2,3})(?: ([A-Z]{3}))?")

# Section key, its heading, and the fields compared, each with its label.
SECTIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "details",
        "Plan",
        [
            ("summary", "summary"),
            ("status", "status"),
            ("owner", "owner"),
            ("period_start", "period start"),
            ("period_end", "period end"),
        ],
    ),
    (
        "score",
        "Score and quadrant",
        [
            ("quadrant", "quadrant"),
            ("performance", "performance"),
            ("potential", "potential"),
            ("tier", "revenue tier"),
        ],
    ),
    (
        "people",
        "People and sentiment",
        [
            ("title", "title"),
            ("sentiment", "sentiment"),
            ("influence", "influence"),
            ("owner", "relationship owner"),
            ("status", "status"),
        ],
    ),
    (
        "strategies",
        "Strategies and initiatives",
        [
            ("kind", "kind"),
            ("priority", "priority"),
            ("status", "status"),
        ],
    ),
    (
        "pursuits",
        "Pursuits",
        [
            ("amount", "amount"),
            ("stage", "stage"),
            ("outcome", "outcome"),
            ("expected_close_on", "expected close"),
        ],
    ),
    (
        "checkpoints",
        "Buyer checkpoints",
        # The pursuit's name is kept for reading, not compared: a renamed
        # pursuit shows once, under pursuits.
        [("validated", "validated")],
    ),
    ("whitespace", "Whitespace", [("state", "state")]),
]
SECTION_TITLES = {key: title for key, title, _ in SECTIONS}


def _details(plan: Plan) -> dict[str, dict[str, Any]]:
    owner = plan.owner
    return {
        "plan": {
            "name": "Plan",
            "summary": plan.summary,
            "status": plan.get_status_display(),
            "owner": owner.display_name if owner else "",
            "period_start": plan.period_start.isoformat(),
            "period_end": plan.period_end.isoformat(),
        }
    }


def _score(plan: Plan) -> dict[str, dict[str, Any]]:
    score = (
        AccountScore.objects.filter(account_id=plan.account_id, run__is_current=True)
        .select_related("run")
        .first()
    )
    if score is None:
        return {}
    return {
        "account": {
            "name": "Account score",
            "quadrant": score.get_quadrant_display(),
            "performance": round(score.performance, 1),
            "potential": round(score.potential, 1),
            "tier": score.tier,
        }
    }


def _people(plan: Plan) -> dict[str, dict[str, Any]]:
    people = Stakeholder.objects.filter(account_id=plan.account_id).select_related(
        "owner"
    )
    return {
        str(person.pk): {
            "name": person.name,
            "title": person.title,
            "sentiment": person.get_sentiment_display(),
            "influence": person.get_influence_display(),
            "owner": person.owner.get_full_name() or person.owner.username
            if person.owner
            else "",
            "status": person.get_status_display(),
        }
        for person in people
    }


def _strategies(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        str(strategy.pk): {
            "name": strategy.title,
            "kind": strategy.get_kind_display(),
            "priority": strategy.get_priority_display(),
            "status": strategy.get_status_display(),
        }
        for strategy in Strategy.objects.filter(plan=plan)
    }


def _pursuits(plan: Plan) -> tuple[dict[str, dict], dict[str, dict]]:
    pursuits = list(
        Pursuit.objects.filter(plan=plan)
        .select_related("product", "current_stage")
        .prefetch_related(
            Prefetch(
                "stages",
                queryset=PursuitStage.objects.prefetch_related(
                    Prefetch("checkpoints", queryset=Checkpoint.objects.all())
                ),
            )
        )
    )
    captured = {}
    checkpoints = {}
    for pursuit in pursuits:
        captured[str(pursuit.pk)] = {
            "name": pursuit.name,
            "product": pursuit.product.name,
            "amount": f"{amount_kept(pursuit.amount)}",
            "currency": pursuit.currency,
            "stage": pursuit.current_stage.name if pursuit.current_stage else "",
            "outcome": pursuit.get_outcome_display(),
            "expected_close_on": pursuit.expected_close_on.isoformat()
            if pursuit.expected_close_on
            else "",
        }
        for stage in pursuit.stages.all():
            for checkpoint in stage.checkpoints.all():
                checkpoints[str(checkpoint.pk)] = {
                    "name": checkpoint.description,
                    "pursuit": pursuit.name,
                    "validated": "yes" if checkpoint.is_validated else "no",
                }
    return captured, checkpoints


def _whitespace(plan: Plan, pursuits: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """Return each catalogue product's state at this account."""
    bought_ids = {
        product_id
        for _account_id, product_id in whitespace_bought_since(
            account_ids=[plan.account_id]
        )
    }
    won = {p["product"] for p in pursuits.values() if p["outcome"] == "Won"}
    pursued = {p["product"] for p in pursuits.values() if p["outcome"] == "Open"}
    cells = {}
    for product in Product.objects.catalogue().order_by("name"):
        if product.pk in bought_ids:
            state = "bought"
        elif product.name in won:
            state = "won"
        elif product.name in pursued:
            state = "pursued"
        else:
            state = "open"
        cells[str(product.pk)] = {"name": product.name, "state": state}
    return cells


def snapshot_capture(*, plan: Plan) -> dict[str, Any]:
    """Return the plan's comparable state as JSON-ready data."""
    pursuits, checkpoints = _pursuits(plan)
    return {
        "version": CAPTURE_VERSION,
        "plan": {"id": plan.pk, "account": plan.account.name, "label": plan.label},
        "details": _details(plan),
        "score": _score(plan),
        "people": _people(plan),
        "strategies": _strategies(plan),
        "pursuits": pursuits,
        "checkpoints": checkpoints,
        "whitespace": _whitespace(plan, pursuits),
    }


@dataclass(frozen=True)
class Change:
    """One difference between two captures, readable on its own."""

    section: str
    key: str
    name: str
    kind: str  # "added", "removed" or "changed"
    field: str = ""
    old: Any = None
    new: Any = None

    @property
    def section_title(self) -> str:
        return SECTION_TITLES.get(self.section, self.section)

    @property
    def shown_old(self) -> str:
        return _shown(self.old)

    @property
    def shown_new(self) -> str:
        return _shown(self.new)

    @property
    def text(self) -> str:
        if self.kind == "added":
            return f"{self.name} added"
        if self.kind == "removed":
            return f"{self.name} removed"
        return f"{self.name}: {self.field} {self.shown_old} → {self.shown_new}"

    @property
    def line(self) -> str:
        """Return the change under its section's title, naming each once."""
        if self.name == self.section_title:
            return self.text
        return f"{self.section_title}: {self.text}"


def _shown(value: Any) -> str:
    """Return a captured value for reading: amounts get thousands separators."""
    if value in ("", None):
        return "(none)"
    amount = AMOUNT.fullmatch(value) if isinstance(value, str) else None
    if amount:
        return money_text(Decimal(amount[1]), amount[2] or "")
    return str(value)


def _compared(section: str, field: str, row: dict[str, Any]) -> Any:
    """Return a captured value as compared: a pursuit's amount with its currency.

    A capture from before pursuits had a currency held US dollars, the
    only currency there was then.
    """
    if section == "pursuits" and field == "amount" and row.get("amount"):
        return f"{row['amount']} {row.get('currency') or 'USD'}"
    return row.get(field)


def snapshot_diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Return every change from one capture to the other, in section order."""
    changes: list[Change] = []
    for section, _title, fields in SECTIONS:
        # A capture taken before a section existed did not record it: that
        # is not an addition of everything in it.
        if section not in before or section not in after:
            continue
        old_rows = before.get(section) or {}
        new_rows = after.get(section) or {}
        for key in sorted(old_rows.keys() | new_rows.keys(), key=_natural):
            old: dict[str, Any] | None = old_rows.get(key)
            new: dict[str, Any] | None = new_rows.get(key)
            if old is None or new is None:
                row = new if old is None else old
                assert row is not None
                kind = "added" if old is None else "removed"
                changes.append(Change(section, key, row.get("name", key), kind))
                continue
            for field, label in fields:
                old_value = _compared(section, field, old)
                new_value = _compared(section, field, new)
                if old_value != new_value:
                    changes.append(
                        Change(
                            section,
                            key,
                            new.get("name", key),
                            "changed",
                            label,
                            old_value,
                            new_value,
                        )
                    )
            if old.get("name") != new.get("name"):
                changes.append(
                    Change(
                        section,
                        key,
                        new.get("name", key),
                        "changed",
                        "name",
                        old.get("name"),
                        new.get("name"),
                    )
                )
    return changes


def snapshot_diff_grouped(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    """Return the changes under their section headings, empty sections left out."""
    return [
        (title, [change for change in changes if change.section == key])
        for key, title, _ in SECTIONS
        if any(change.section == key for change in changes)
    ]


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (0, key)
