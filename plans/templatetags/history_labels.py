"""Show a history entry's field as people read it, not as the column is named."""

from django import template
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist

from accounts.models import ChangeRecord

register = template.Library()


@register.filter
def field_label(record: ChangeRecord) -> str:
    """Return the field's verbose name ("Outcome reason"), else a tidy name.

    ContentType.get_for_id is cached, so a long history costs no queries.
    """
    name = record.field
    if not name:
        return ""
    model = ContentType.objects.get_for_id(record.content_type_id).model_class()
    try:
        label = str(model._meta.get_field(name).verbose_name) if model else ""
    except FieldDoesNotExist:
        label = ""
    label = label or name.replace("_", " ")
    return label[:1].upper() + label[1:]
