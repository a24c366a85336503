from django.urls import path

from accounts import api_token_views

app_name = "tokens"

urlpatterns = [
    path("", api_token_views.token_list, name="list"),
    path("<int:pk>/revoke/", api_token_views.token_revoke, name="revoke"),
]
