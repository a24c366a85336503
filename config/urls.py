from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

api_patterns = [
    path("stakeholders/", include("stakeholders.api_urls")),
    path("plans/", include("plans.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="scoring:portfolio"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("scoring/", include("scoring.urls")),
    path("stakeholders/", include("stakeholders.urls")),
    path("plans/", include("plans.urls")),
    path("api/", include(api_patterns)),
]
