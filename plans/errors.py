"""The one error type plan services raise, and its two special cases."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import capfirst

# The reason given under each field a change may not touch.
CANNOT_CHANGE = "This field cannot be changed here."


class PlanError(Exception):
    """A plan change was refused; the message says why, for the user.

    `field` names the input the refusal is about, when it is about one, so
    the API can answer under that field's name with `reason`: the message
    without the field's label, which the page puts in front itself. A
    refusal about several inputs carries `errors`, each input's reasons
    under its name.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        reason: str = "",
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.reason = reason or message
        self.errors = dict(errors or {})

    def field_errors(self) -> dict[str, list[str]] | None:
        """Return the reasons keyed by the inputs at fault, or None if none is."""
        if self.errors:
            return self.errors
        if self.field:
            return {self.field: [self.reason]}
        return None


def validation_field_errors(error: ValidationError) -> dict[str, list[str]]:
    """Return a model's refusal keyed by field, as the API answers it."""
    return {
        ("non_field_errors" if name == NON_FIELD_ERRORS else name): texts
        for name, texts in error.message_dict.items()
    }


def validation_message(item: models.Model, error: ValidationError) -> str:
    """Word a model's refusal for a page, naming each field by its label.

    A reason that already starts with the field's label stands alone, so
    the page never reads "Held on: Held on cannot be in the future."
    """
    sentences = []
    for name, texts in error.message_dict.items():
        text = " ".join(texts)
        if name == NON_FIELD_ERRORS:
            sentences.append(text)
            continue
        try:
            field = item._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        verbose = getattr(field, "verbose_name", None) or name.replace("_", " ")
        label = capfirst(str(verbose))
        sentences.append(text if text.startswith(label) else f"{label}: {text}")
    return "; ".join(sentences)


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
