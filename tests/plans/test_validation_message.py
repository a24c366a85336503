"""A refused plan item names its fields by their labels on the page."""

from datetime import date

from django.core.exceptions import ValidationError

from plans.errors import validation_message
from plans.models import VoiceOfCustomer


def test_fields_are_named_by_their_labels_once() -> None:
    entry = VoiceOfCustomer(kind=VoiceOfCustomer.Kind.QUOTE, said_on=date(2099, 1, 1))
    error = ValidationError(
        {
            "speaker": "Say who said it.",
            "said_on": "Said on cannot be in the future.",
            "__all__": "Something about the whole entry.",
        }
    )

    assert validation_message(entry, error) == (
        "Speaker: Say who said it.; Said on cannot be in the future.; "
        "Something about the whole entry."
    )
