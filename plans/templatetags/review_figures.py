"""Print scorecard figures on pages exactly as the exports print them."""

from decimal import Decimal

from django import template

from plans.review_exports import number_text

register = template.Library()


@register.filter
def figure(value: Decimal | float | None) -> str:
    return number_text(value)
