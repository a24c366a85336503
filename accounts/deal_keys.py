"""The Idempotency-Key of a deal added through the API, kept on the deal.

A client that sends a POST again after a timeout cannot know whether the
first one added the deal. With the same key, the second POST answers with
the deal the first added instead of adding another. The key is kept in
the deal's creation key, the column the New deal form's one-time key uses,
so its unique index settles two POSTs racing each other; a digest of the
request beside it tells a retry from another request under the same key.
"""

import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from accounts.models import Account, User

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# Sent, as "true", with the answer to a request that added nothing.
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MOST_CHARACTERS = 255
# Fixed for good: a key must name the same deal in every process and
# after every deploy.
_KEY_NAMESPACE = uuid.UUID("5c8b8c92-c907-42fa-af3a-17161d996b93")

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


def deal_request_digest(*, account: Account, values: Mapping[str, Any]) -> str:
    """Return a digest of what a create request asked for, as validated.

    Values, not bytes: "52000" and "52000.00", or the same fields in
    another order, are the same request.
    """
    said = {
        name: None if value is None else str(value) for name, value in values.items()
    }
    text = json.dumps({"account": account.pk, "values": said}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
