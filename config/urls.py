from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from config.schema_view import SchemaApi
from config.security import LockoutAdminAuthenticationForm, LoginView, admin_login
from config.views import api_docs

# The admin's login says when logins are locked out, as ours does.
admin.site.login_form = LockoutAdminAuthenticationForm

api_patterns: list[URLPattern | URLResolver] = [
    path("schema/", SchemaApi.as_view(), name="schema"),
    path("docs/", api_docs, name="docs"),
    path("accounts/", include("accounts.api_urls")),
    path("stakeholders/", include("stakeholders.api_urls")),
    path("plans/", include("plans.api_urls")),
    path("scoring/", include("scoring.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="scoring:portfolio"), name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Before the admin's own, so its login tells a locked-out person so.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("accounts/tokens/", include("accounts.api_token_urls")),
    path("accounts/", include("accounts.urls")),
    path("scoring/", include("scoring.urls")),
    path("stakeholders/", include("stakeholders.urls")),
    path("plans/", include("plans.urls")),
    path("api/", include(api_patterns)),
]

# Unmatched paths under /api/ answer JSON like the rest of the API.
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
