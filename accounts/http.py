"""The request a view behind login_required receives."""

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user has signed in; annotate views behind login.

    Only an annotation: login_required has already turned the anonymous
    away, so `request.user` is our User and needs no check or cast.
    """

    user: User
