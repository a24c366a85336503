from django.urls import path

from plans import review_urls, views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<int:pk>/", views.plan_detail_view, name="detail"),
    path("account/<int:account_pk>/", views.plan_for_account, name="account"),
    path("account/<int:account_pk>/start/", views.plan_create_view, name="create"),
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path(
        "dashboard/accounts/",
        views.dashboard_accounts_view,
        name="dashboard_accounts",
    ),
    path(
        "dashboard/export.<str:file_format>",
        views.dashboard_export_view,
        name="dashboard_export",
    ),
    path("<int:pk>/reviews/", views.manager_review_view, name="reviews"),
]

# Scorecards, executive reviews, snapshots and customer links.
urlpatterns += review_urls.urlpatterns
