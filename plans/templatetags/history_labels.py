"""Show a history entry's field as people read it, not as the column is named."""

from django import template

from accounts.models import ChangeRecord
from plans.history import history_field_label

register = template.Library()


@register.filter
def field_label(record: ChangeRecord) -> str:
    """Return the field's verbose name ("Outcome reason"), else a tidy name."""
    return history_field_label(record)
