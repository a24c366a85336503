"""Signals other apps listen to; stakeholders imports none of them."""

from django.dispatch import Signal

# Sent inside the erasing transaction with sender=Stakeholder and the
# keywords stakeholder (already blanked) and erased_values: the texts that
# identified the person (full name, names, contact details, notes), longest
# first. A receiver removes them from whatever it stored about the account;
# an error in a receiver undoes the erasure, so nothing half-erased remains.
stakeholder_erased = Signal()
