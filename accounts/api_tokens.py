"""Personal API tokens: create, list, revoke, and authenticate with them.

A token is shown once, at creation. Lode stores only a SHA-256 hash of it:
the secret is long and random, so a plain hash is enough and lets a
request find its token with one indexed lookup.
"""

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import NoReturn

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import ApiToken, AuditEvent, User
from config.api import api_token_failure_record, api_token_failure_wait
from config.security import audit_record

logger = logging.getLogger(__name__)

SECRET_PREFIX = "lode_"
KEYWORD = "Token"
# "Bearer" is what most HTTP clients and integration tools send by default.
KEYWORDS = {KEYWORD.lower().encode(), b"bearer"}
# Writing last_used_at on every request would turn each API read into a
# write; a minute's precision is plenty for "last used".
LAST_USED_PRECISION = timedelta(minutes=1)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *, user: User, name: str, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the user; return it with its secret, shown once."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=secret[: len(SECRET_PREFIX) + 4],
        secret_hash=_secret_hash(secret),
    )
    token.full_clean()
    token.save()

    audit_record(
        actor=user,
        action=AuditEvent.Action.TOKEN_CREATED,
        target=token,
        request=request,
    )
    return token, secret


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_get_for_user(*, user: User, pk: int) -> ApiToken:
    """Return one of the user's own tokens, else raise 404."""
    try:
        return api_token_list_for_user(user=user).get(pk=pk)
    except ApiToken.DoesNotExist as error:
        raise Http404("No such token.") from error


def api_token_revoke(
    *, token: ApiToken, user: User, request: HttpRequest | None = None
) -> ApiToken:
    """Revoke the token; the next request that uses it is refused."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])

    audit_record(
        actor=user,
        action=AuditEvent.Action.TOKEN_REVOKED,
        target=token,
        request=request,
    )
    return token


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """Return the live token with this secret and note its use, or None."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            secret_hash=_secret_hash(secret),
            revoked_at__isnull=True,
            user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None

    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """A personal API token, sent as `Token <secret>` or `Bearer <secret>`."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            self._refuse(request, "Send the header as 'Authorization: Token <secret>'.")
        try:
            secret = parts[1].decode()
        except UnicodeDecodeError:
            self._refuse(request, "Invalid token.")

        # A valid token goes through whatever its address failed before:
        # secrets are long and random, so a flood of bad ones from a shared
        # address must not lock out the people behind it.
        token = api_token_authenticate(secret=secret)
        if token is None:
            logger.info("refused an unknown or revoked API token")
            self._refuse(request, "Invalid or revoked token.")
        return token.user, token

    def _refuse(self, request: Request, message: str) -> NoReturn:
        # Past the limit a failing address is told to wait, not why it
        # failed, so guessing learns nothing more until the window ends.
        wait = api_token_failure_wait(request=request)
        if wait is not None:
            raise exceptions.Throttled(
                wait=wait, detail="Too many failed token attempts from your address."
            )
        api_token_failure_record(request=request)
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request: Request) -> str:
        return KEYWORD


class BrowserSessionRequired(BasePermission):
    """Refuse a request authenticated by an API token.

    Minting tokens needs a signed-in person: otherwise one leaked token
    could mint others that outlive its revocation.
    """

    message = (
        "Create API tokens while signed in to Lode in a browser, on the API "
        "tokens page; an API token cannot create tokens."
    )

    def has_permission(self, request: Request, view: object) -> bool:
        return bool(request.user and request.user.is_authenticated) and not (
            isinstance(request.auth, ApiToken)
        )


class BrowserSessionRequiredToRevoke(BrowserSessionRequired):
    """Refuse a token revoking tokens: a leaked one could lock out the rest."""

    message = (
        "Revoke API tokens while signed in to Lode in a browser, on the API "
        "tokens page; an API token cannot revoke tokens."
    )


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Personal API token, sent as `Token <secret>` or `Bearer <secret>`."
            ),
        }
