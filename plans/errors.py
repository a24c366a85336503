"""The one error type plan services raise, and its two special cases."""

from typing import Any


class PlanError(Exception):
    """A plan change was refused; the message says why, for the user.

    `field` names the input the refusal is about, when it is about one, so
    the API can answer under that field's name with `reason`: the message
    without the field's label, which the page puts in front itself.
    """

    def __init__(
        self, message: str, *, field: str | None = None, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason or message


class VersionConflict(PlanError):
    """Someone saved the item first; carries the current stored state."""

    def __init__(self, message: str, *, current: Any) -> None:
        super().__init__(message)
        self.current = current


class GateClosed(PlanError):
    """A pursuit may not leave its stage before the buyer checkpoints."""

    def __init__(self, message: str, *, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


class PlanClosed(PlanError):
    """The plan is closed: its items are kept as they were, read only."""
