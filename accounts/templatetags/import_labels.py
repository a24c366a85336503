from django import template

from accounts.recognise import layout_label

register = template.Library()


@register.filter
def layout_words(kind: str) -> str:
    """Return a recognised layout's kind as words for a badge."""
    return layout_label(str(kind))
