from django.urls import path

from plans import review_urls, template_views, views

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

# Sell-cycle templates, kept by sales ops.
urlpatterns += [
    path("templates/", template_views.template_list_view, name="template_list"),
    path(
        "templates/<int:pk>/",
        template_views.template_detail_view,
        name="template_detail",
    ),
    path(
        "templates/<int:pk>/stages/",
        template_views.template_stage_create_view,
        name="template_stage_create",
    ),
    path(
        "templates/stages/<int:pk>/edit/",
        template_views.template_stage_update_view,
        name="template_stage_update",
    ),
    path(
        "templates/stages/<int:pk>/delete/",
        template_views.template_stage_delete_view,
        name="template_stage_delete",
    ),
    path(
        "templates/stages/<int:pk>/checkpoints/",
        template_views.template_checkpoint_create_view,
        name="template_checkpoint_create",
    ),
    path(
        "templates/checkpoints/<int:pk>/delete/",
        template_views.template_checkpoint_delete_view,
        name="template_checkpoint_delete",
    ),
]

# Scorecards, executive reviews, snapshots and customer links.
urlpatterns += review_urls.urlpatterns
