"""The Idempotency-Key of a deal added through the API, kept on the deal.

A client that sends a POST again after a timeout cannot know whether the
first one added the deal. With the same key, the second POST answers with
the deal the first added instead of adding another. The key is kept in
the deal's creation key, the column the New deal form's one-time key uses,
so its unique index settles two POSTs racing each other; a digest of the
request beside it tells a retry from another request under the same key.

Both kinds of key are derived per user, each kind in its own namespace:
the column is shared by everyone, so a key one user sends must never
find, nor take up, the key of anyone else's form or request.
"""

import hashlib
import json
import uuid

from accounts.models import Opportunity, User

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Sent, as "true", with the answer to a request that added nothing.
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MOST_CHARACTERS = 255
# Fixed for good: a key must name the same deal in every process and
# after every deploy.
_KEY_NAMESPACE = uuid.UUID("5c8b8c92-c907-42fa-af3a-17161d996b93")
_FORM_KEY_NAMESPACE = uuid.UUID("9e2d4b17-6a3f-4c58-b0e1-7d94a2c6f183")
# What a create request's digest covers: the deal's values as stored.
_DIGEST_FIELDS = (
    "product_id",
    "owner_id",
    "stage",
    "engaged_on",
    "closed_on",
    "close_value",
    "currency",
)

KEY_REFUSED = (
    f"Send an {IDEMPOTENCY_KEY_HEADER} of 1 to {KEY_MOST_CHARACTERS} visible "
    "ASCII characters, such as a UUID."
)
KEY_REUSED = (
    f"This {IDEMPOTENCY_KEY_HEADER} was already used with a different request "
    "(other values, or another account), so nothing was added. Send a new key "
    "to add another deal, or the first request unchanged to get its answer "
    "again."
)


def deal_key_problem(text: str) -> str | None:
    """Return why a header's key cannot be used, or None if it can."""
    if not 1 <= len(text) <= KEY_MOST_CHARACTERS:
        return KEY_REFUSED
    if not all("!" <= character <= "~" for character in text):
        return KEY_REFUSED
    return None


def deal_key_for(*, user: User, text: str) -> uuid.UUID:
    """Return the creation key a user's Idempotency-Key stands for.

    Each user's keys are their own: the same text from someone else is
    another key, so it never finds, nor tells of, anyone else's deal.
    """
    return uuid.uuid5(_KEY_NAMESPACE, f"{user.pk}:{text}")


def deal_form_key_for(*, user: User, key: uuid.UUID) -> uuid.UUID:
    """Return the creation key a user's New deal form stands for.

    The form's key is in the page, so anyone may send any UUID: derived
    per user, it cannot be another user's form key, nor any API key.
    """
    return uuid.uuid5(_FORM_KEY_NAMESPACE, f"{user.pk}:{key}")


def deal_request_digest(*, deal: Opportunity) -> str:
    """Return a digest of the deal a create request would store, unsaved.

    The values as stored, not as sent: "52000" and "52000.00", "eur" and
    "EUR", an owner_id of null and none sent, or the fields in another
    order, are the same request.
    """
    values = {
        name: None if getattr(deal, name) is None else str(getattr(deal, name))
        for name in _DIGEST_FIELDS
    }
    # Only a name given counts: a request without one digests as it did
    # before deals had names, so its retry still finds the deal it added.
    if deal.name:
        values["name"] = deal.name
    text = json.dumps({"account": deal.account_id, "values": values}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
