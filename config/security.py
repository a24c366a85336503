"""Cross-cutting security: audit, login lockout, headers, upload limits.

Other parts record security-relevant actions with `audit_record`. Login
lockout counts failures per account and per address in the cache, so it
holds across web processes; when the cache is down it fails open and logs,
because a Redis outage must not lock everyone out.
"""

import getpass
import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import user_logged_in, user_logged_out
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.dispatch import receiver
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import resolve_url
from django.template.defaultfilters import filesizeformat
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import AuditEvent, User

logger = logging.getLogger(__name__)


# Audit


def _address_parse(raw: str) -> str | None:
    # Proxies may write "203.0.113.5:41234" or "[2001:db8::1]:443".
    candidate = raw.strip()
    if candidate.startswith("[") and "]" in candidate:
        candidate = candidate[1 : candidate.index("]")]
    elif candidate.count(":") == 1:
        candidate = candidate.split(":")[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def client_address(request: HttpRequest | None) -> str | None:
    """Return the address the request came from.

    With no proxy of ours in front (TRUSTED_PROXY_COUNT = 0) that is
    REMOTE_ADDR, and X-Forwarded-For is ignored: a client can write anything
    in it. Behind N proxies REMOTE_ADDR is the last proxy, and each proxy
    appended the address it saw, so the client is the Nth entry from the
    right: anything left of it came from the client and is not trusted.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote

    forwarded = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if not forwarded:
        return remote
    # Fewer hops than proxies means the request skipped one of them; the
    # left-most is then the closest thing to the client we have.
    hop = forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]
    address = _address_parse(hop)
    if address is None:
        logger.warning("unreadable X-Forwarded-For hop %r; using REMOTE_ADDR", hop)
        return remote
    return address


_request_current: ContextVar[HttpRequest | None] = ContextVar(
    "audit_request", default=None
)


def request_current() -> HttpRequest | None:
    """Return the request this thread is serving, for audits made deep below."""
    return _request_current.get()


class AuditRequestMiddleware:
    """Let code that a request runs, such as signal receivers, audit it.

    A receiver of an import's undo runs on commit inside the request but
    is handed only the job; it still owes the audit the request's address.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_current.set(request)
        try:
            return self.get_response(request)
        finally:
            _request_current.reset(token)


@dataclass(frozen=True)
class Origin:
    """Where a request came from, kept for work that runs after it ends."""

    ip_address: str | None = None
    user_agent: str = ""


# Who an audit names when a management command does the work and no Lode
# user was given, and where it says the work came from.
COMMAND_LINE = "command line"

_command_current: ContextVar[Origin | None] = ContextVar("audit_command", default=None)


def _os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No login name in the environment and none for this uid.
        return "unknown"


@contextmanager
def command_line_audited(*, command: str) -> Iterator[Origin]:
    """Audit what runs inside as done from the command line.

    The records name the Lode user the command was given, or "command line"
    without one, and come from "command line (manage.py <command>, OS user
    <login>)" rather than from no address at all.
    """
    origin = Origin(
        user_agent=f"{COMMAND_LINE} (manage.py {command}, OS user {_os_login()})"[:300]
    )
    token = _command_current.set(origin)
    try:
        yield origin
    finally:
        _command_current.reset(token)


def request_origin(request: HttpRequest | None) -> Origin:
    """Return the address and browser of a request, for an audit to come."""
    if request is None:
        return _command_current.get() or Origin()
    return Origin(
        ip_address=client_address(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
    )


def audit_event(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
    origin: Origin | None = None,
) -> AuditEvent:
    """Return, unsaved, the record of who did what, when and from where.

    `origin` stands in for the request when the work runs after it, in the
    worker: the address and browser of the request that started it.
    """
    if actor is not None and not actor.is_authenticated:
        actor = None
    if request is not None or origin is None:
        origin = request_origin(request)
    if actor is None and not actor_label and _command_current.get() is not None:
        actor_label = COMMAND_LINE
    event = AuditEvent(
        actor=actor,
        actor_label=(actor.get_username() if actor else actor_label)[:150],
        action=action,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        detail=detail or {},
    )
    if target is not None:
        event.target_type = ContentType.objects.get_for_model(target)
        event.target_id = target.pk
        event.target_label = str(target)[:300]
    return event


def audit_events_save(events: list[AuditEvent]) -> list[AuditEvent]:
    """Check and store audit records in one statement, however many."""
    for event in events:
        # The foreign keys are objects the caller holds; checking that they
        # exist would cost a query per record.
        event.clean_fields(exclude=["actor", "target_type"])
    saved = AuditEvent.objects.bulk_create(events)
    for event in saved:
        logger.info(
            "audit %s actor=%s target=%s address=%s",
            event.action,
            event.actor_label,
            event.target_label,
            event.ip_address,
        )
    return saved


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
    origin: Origin | None = None,
) -> AuditEvent:
    """Record who did what to which object, when and from where."""
    event = audit_event(
        actor=actor,
        action=action,
        target=target,
        request=request,
        detail=detail,
        actor_label=actor_label,
        origin=origin,
    )
    (saved,) = audit_events_save([event])
    return saved


@receiver(user_logged_in)
def _audit_login(sender: type, request: HttpRequest, user: User, **kwargs: Any) -> None:
    audit_record(actor=user, action=AuditEvent.Action.LOGIN, request=request)


@receiver(user_logged_out)
def _audit_logout(
    sender: type, request: HttpRequest, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditEvent.Action.LOGOUT, request=request)


# Login lockout


def _lockout_key(kind: str, value: str) -> str:
    # Hashed so any username or address makes a valid, bounded cache key.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"lode:login:{kind}:{digest}"


def _lockout_subjects(*, username: str, address: str | None) -> list[tuple[str, int]]:
    subjects = [(_lockout_key("account", username), settings.LOGIN_LOCKOUT_FAILURES)]
    if address:
        subjects.append(
            (_lockout_key("address", address), settings.LOGIN_LOCKOUT_ADDRESS_FAILURES)
        )
    return subjects


def login_lock_seconds_left(*, username: str, address: str | None) -> int:
    """Return the seconds until logins here unlock, 0 when they are not locked."""
    now = time.time()
    left = 0.0
    try:
        for key, _ in _lockout_subjects(username=username, address=address):
            until = cache.get(f"{key}:locked")
            if until is None:
                continue
            # A lock written before locks kept their end holds True.
            if until is True:
                until = now + settings.LOGIN_LOCKOUT_SECONDS
            left = max(left, float(until) - now)
    except Exception:
        logger.exception("login lockout check failed; letting the attempt through")
        return 0
    return math.ceil(left) if left > 0 else 0


def login_is_locked(*, username: str, address: str | None) -> bool:
    """Return whether logins for this account or from this address are locked."""
    return login_lock_seconds_left(username=username, address=address) > 0


def login_failure_record(*, username: str, request: HttpRequest | None) -> bool:
    """Count a failed login; lock the account or address past the limit.

    Return whether this failure caused a lockout.
    """
    address = client_address(request)
    audit_record(
        actor=None,
        actor_label=username,
        action=AuditEvent.Action.LOGIN_FAILED,
        request=request,
    )
    seconds = settings.LOGIN_LOCKOUT_SECONDS
    locked = False
    try:
        for key, limit in _lockout_subjects(username=username, address=address):
            cache.add(key, 0, timeout=seconds)
            failures = cache.incr(key)
            if failures >= limit and not cache.get(f"{key}:locked"):
                # The lock holds its end, so a refusal can say what is left.
                cache.set(f"{key}:locked", time.time() + seconds, timeout=seconds)
                locked = True
    except Exception:
        logger.exception(
            "login failure for %s not counted: cache unavailable", username
        )
        return False

    if locked:
        logger.warning("login locked for %s from %s", username, address)
        audit_record(
            actor=None,
            actor_label=username,
            action=AuditEvent.Action.LOGIN_LOCKED,
            request=request,
            detail={"seconds": seconds},
        )
    return locked


def login_failures_clear(*, username: str) -> None:
    """Forget an account's failures after a good login.

    The address counter is left to expire: one good login from an address
    must not reset a password-spraying run from it.
    """
    try:
        cache.delete(_lockout_key("account", username))
    except Exception:
        logger.exception("could not clear login failures for %s", username)


class LockoutModelBackend(ModelBackend):
    """The model backend, refusing locked accounts and addresses.

    Sitting in the backend means every login form (ours and the admin's)
    and every session login go through the same lockout.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        if login_is_locked(username=username, address=client_address(request)):
            raise PermissionDenied("Too many failed logins.")

        user = super().authenticate(request, username=username, password=password)
        if user is None:
            login_failure_record(username=username, request=request)
        else:
            login_failures_clear(username=username)
        return user


def lockout_message(seconds: int) -> str:
    """Return what a locked-out person is told, on every login form."""
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many failed logins for this account or address. "
        f"Try again in {minutes} {unit}."
    )


def login_locked_refuse(*, username: str, request: HttpRequest | None) -> int:
    """Return the seconds logins stay locked here; if any, log and audit.

    An attempt while locked out is recorded as a failed login marked so:
    someone still trying after the lockout is what an admin looks for.
    """
    address = client_address(request)
    seconds = login_lock_seconds_left(username=username, address=address)
    if not seconds:
        return 0

    logger.warning("login refused for %s from %s: locked out", username, address)
    audit_record(
        actor=None,
        actor_label=username,
        action=AuditEvent.Action.LOGIN_FAILED,
        request=request,
        detail={"reason": "locked out"},
    )
    return seconds


class LoginView(auth_views.LoginView):
    """Log in, telling a locked-out person why and when to come back."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Someone already logged in has nothing to do here: send them on
        # rather than show a form that reads as if the session were gone.
        if request.user.is_authenticated:
            target = self.get_redirect_url()
            if not target or target == request.path:
                target = resolve_url(settings.LOGIN_REDIRECT_URL)
            return HttpResponseRedirect(target)
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = request.POST.get("username", "")
        seconds = login_locked_refuse(username=username, request=request)
        if seconds:
            form = self.get_form()
            form.errors.clear()
            context = self.get_context_data(
                form=form, locked_out=True, lockout_message=lockout_message(seconds)
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(seconds)
            return response
        return super().post(request, *args, **kwargs)


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form, saying so when logins are locked out.

    Without it the backend's refusal reads as a wrong password, and a
    locked-out admin keeps trying and stays locked out.
    """

    # Seconds the lockout has left, for admin_login's Retry-After.
    locked_seconds = 0

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        seconds = (
            login_locked_refuse(username=username, request=self.request)
            if username
            else 0
        )
        if seconds:
            self.locked_seconds = seconds
            raise ValidationError(lockout_message(seconds), code="locked_out")
        return super().clean()


def admin_login(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    """Show the admin's login; a locked-out attempt answers 429, as /login/.

    config.urls gives the admin site the form that finds the lockout.
    """
    response = admin.site.login(request, extra_context)

    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    if form is not None and form.has_error(NON_FIELD_ERRORS, "locked_out"):
        response.status_code = 429
        response["Retry-After"] = str(form.locked_seconds)
    return response


# Headers


def content_security_policy() -> str:
    """Return the Content-Security-Policy header value.

    No inline script and no eval anywhere: every page's code is a static
    file. Inline styles stay allowed because plotly.js sets them at runtime.
    """
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    """Add the content security policy and the headers Django does not set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = content_security_policy()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


# Upload size


def _request_body_limit(request: HttpRequest) -> int:
    # Files are streamed to disk, so a multipart body may be as large as the
    # upload limit; anything else is read into memory and stays small.
    if request.content_type == "multipart/form-data":
        return settings.LODE_UPLOAD_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _request_body_discard(request: HttpRequest, *, length: int) -> None:
    # Reading the refused body before answering lets the browser see the
    # answer: a server that closes on unread data resets the connection,
    # and the user gets a network error instead of the message. Past a few
    # times the limit that costs more than it is worth.
    if length > 4 * settings.LODE_UPLOAD_MAX_BYTES:
        return
    stream = request.META.get("wsgi.input")
    remaining = length
    while stream is not None and remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        remaining -= len(chunk)


def _is_json(request: HttpRequest) -> bool:
    media = request.content_type or ""
    return media == "application/json" or media.endswith("+json")


def _request_body_refusal(request: HttpRequest, *, length: int, limit: int) -> str:
    # Say what kind of body was too large: telling someone who sent JSON
    # to split their file sends them looking for a file they never sent.
    size, most = filesizeformat(length), filesizeformat(limit)
    if request.content_type == "multipart/form-data":
        return (
            f"The upload is {size}; the limit is {most}. Split the file or "
            "remove columns you do not need, then try again."
        )
    if _is_json(request):
        return (
            f"The request body is too large for JSON: {size}, and a JSON body "
            f"may be at most {most}. Send fewer items in each request."
        )
    return (
        f"The form is {size}; the limit is {most}. Shorten the text you "
        "entered, or upload the data as a file."
    )


class UploadLimitMiddleware:
    """Refuse a request body over the limit with a message, before reading it.

    Django alone would answer an oversized form with a bare 400 page, and
    puts no bound on files at all. The API, and any JSON body, gets 413 with
    a JSON detail; a page goes back where the form was, with the message
    on it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = _request_body_limit(request)
        if length <= limit:
            return self.get_response(request)

        logger.warning(
            "refused a %s-byte body to %s (limit %s)", length, request.path, limit
        )
        _request_body_discard(request, length=length)
        message = _request_body_refusal(request, length=length, limit=limit)
        if request.path.startswith("/api/") or _is_json(request):
            return JsonResponse({"detail": message}, status=413)

        messages.error(request, message)
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = request.path
        return HttpResponseRedirect(back, status=303)


# Query strings


class QueryNulMiddleware:
    """Refuse a query string with a NUL character in it, as bad input.

    PostgreSQL cannot store or compare NUL in text, and its driver raises
    on one, so a filter such as `?country=%00` would otherwise answer 500.
    Form and serializer fields already refuse NUL in bodies.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            return self.get_response(request)

        message = "The address contains a NUL character; remove it and try again."
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain")
