"""The browser pages where a user manages their personal API tokens."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.api_tokens import (
    api_token_create,
    api_token_get_for_user,
    api_token_list_for_user,
    api_token_revoke,
)
from accounts.http import AuthenticatedHttpRequest

# The secret is handed from the create POST to the next page view through
# the session and removed as it is shown, so a reload never shows it again.
# The page is never stored either: Back would otherwise bring the secret
# back from the browser's history cache.
NEW_SECRET_KEY = "api_token_new_secret"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Say where the token will be used, e.g. “CRM nightly sync”.",
    )


@never_cache
@login_required
def token_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, secret = api_token_create(
            user=request.user, name=form.cleaned_data["name"], request=request
        )
        request.session[NEW_SECRET_KEY] = {"id": token.pk, "secret": secret}
        return redirect("tokens:list")

    new_secret = request.session.pop(NEW_SECRET_KEY, None)
    tokens = api_token_list_for_user(user=request.user)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "new_secret": new_secret},
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    token = api_token_get_for_user(user=request.user, pk=pk)

    api_token_revoke(token=token, user=request.user, request=request)

    messages.success(request, f"Revoked “{token.name}”. It no longer works.")
    return redirect("tokens:list")
