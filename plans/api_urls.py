from django.urls import path

from plans import (
    apis,
    dashboard_apis,
    export_apis,
    list_apis,
    manager_review_apis,
    review_apis,
    template_apis,
)

app_name = "plans_api"

urlpatterns = [
    path("", list_apis.PlanListApi.as_view(), name="plan_list"),
    path("balance/", apis.PlanBalanceApi.as_view(), name="balance"),
    path("<int:pk>/", apis.PlanDetailApi.as_view(), name="detail"),
    path("<int:pk>/next/", apis.PlanNextApi.as_view(), name="next"),
    path("<int:pk>/comments/", apis.CommentListApi.as_view(), name="comment_list"),
    path("<int:pk>/history/", apis.PlanHistoryApi.as_view(), name="history"),
    path(
        "<int:plan_pk>/items/<str:kind>/",
        apis.ItemCreateApi.as_view(),
        name="item_create",
    ),
    path("items/<str:kind>/<int:pk>/", apis.ItemApi.as_view(), name="item"),
    path(
        "stages/<int:pk>/checkpoints/",
        apis.CheckpointCreateApi.as_view(),
        name="checkpoint_create",
    ),
    path(
        "checkpoints/<int:pk>/validate/",
        apis.CheckpointValidateApi.as_view(),
        name="checkpoint_validate",
    ),
    path(
        "pursuits/<int:pk>/advance/",
        apis.PursuitAdvanceApi.as_view(),
        name="pursuit_advance",
    ),
]

# Scorecards, executive reviews and snapshots.
urlpatterns += [
    path(
        "accounts/<int:account_pk>/scorecard/",
        review_apis.ScorecardApi.as_view(),
        name="scorecard",
    ),
    path(
        "accounts/<int:account_pk>/scorecard/measures/",
        review_apis.MeasureCreateApi.as_view(),
        name="measure_create",
    ),
    path(
        "accounts/<int:account_pk>/scorecard/measures/<int:pk>/",
        review_apis.MeasureApi.as_view(),
        name="measure",
    ),
    path(
        "accounts/<int:account_pk>/voice/",
        review_apis.VoiceListApi.as_view(),
        name="voice_list",
    ),
    path(
        "accounts/<int:account_pk>/voice/<int:pk>/",
        review_apis.VoiceApi.as_view(),
        name="voice",
    ),
    path(
        "accounts/<int:account_pk>/customer-links/",
        review_apis.CustomerLinkListApi.as_view(),
        name="customer_link_list",
    ),
    path(
        "accounts/<int:account_pk>/customer-links/<int:link_pk>/revoke/",
        review_apis.CustomerLinkRevokeApi.as_view(),
        name="customer_link_revoke",
    ),
    path(
        "accounts/<int:account_pk>/scorecard/<str:quarter>/",
        review_apis.MeasureQuarterSetApi.as_view(),
        name="measure_quarter_set",
    ),
    path(
        "accounts/<int:account_pk>/reviews/<str:quarter>/",
        review_apis.ReviewApi.as_view(),
        name="review",
    ),
    path(
        "<int:plan_pk>/snapshots/",
        review_apis.SnapshotListApi.as_view(),
        name="snapshots",
    ),
    path(
        "<int:plan_pk>/snapshots/<int:pk>/",
        review_apis.SnapshotApi.as_view(),
        name="snapshot",
    ),
    path(
        "<int:plan_pk>/snapshots/compare/",
        review_apis.SnapshotCompareApi.as_view(),
        name="snapshot_compare",
    ),
]

# Manager reviews of a plan.
urlpatterns += [
    path(
        "<int:plan_pk>/manager-reviews/",
        manager_review_apis.PlanManagerReviewListApi.as_view(),
        name="plan_manager_review_list",
    ),
    path(
        "manager-reviews/<int:pk>/",
        manager_review_apis.ManagerReviewApi.as_view(),
        name="manager_review",
    ),
]

# Lists across the accounts the user may see.
urlpatterns += [
    path("pursuits/", list_apis.PursuitListApi.as_view(), name="pursuit_list"),
    path(
        "accounts/<int:account_pk>/manager-reviews/",
        list_apis.ManagerReviewListApi.as_view(),
        name="manager_review_list",
    ),
    path(
        "accounts/<int:account_pk>/executive-reviews/",
        list_apis.ExecutiveReviewListApi.as_view(),
        name="executive_review_list",
    ),
]

# The page exports, for token holders.
urlpatterns += [
    path(
        "exports/dashboard.<str:file_format>",
        export_apis.DashboardExportApi.as_view(),
        name="dashboard_export",
    ),
    path(
        "accounts/<int:account_pk>/reviews/<str:quarter>/export.<str:file_format>",
        export_apis.ReviewExportApi.as_view(),
        name="review_export",
    ),
]

# Sell-cycle templates: everyone reads, sales ops change.
urlpatterns += [
    path("templates/", template_apis.TemplateListApi.as_view(), name="template_list"),
    path(
        "templates/<int:pk>/",
        template_apis.TemplateApi.as_view(),
        name="template",
    ),
    path(
        "templates/<int:pk>/stages/",
        template_apis.TemplateStageCreateApi.as_view(),
        name="template_stage_create",
    ),
    path(
        "templates/stages/<int:pk>/",
        template_apis.TemplateStageApi.as_view(),
        name="template_stage",
    ),
    path(
        "templates/stages/<int:pk>/checkpoints/",
        template_apis.TemplateCheckpointCreateApi.as_view(),
        name="template_checkpoint_create",
    ),
    path(
        "templates/checkpoints/<int:pk>/",
        template_apis.TemplateCheckpointApi.as_view(),
        name="template_checkpoint",
    ),
]

# The manager dashboard's figures and the accounts behind each.
urlpatterns += [
    path("dashboard/", dashboard_apis.DashboardApi.as_view(), name="dashboard"),
    path(
        "dashboard/accounts/",
        dashboard_apis.DashboardAccountListApi.as_view(),
        name="dashboard_accounts",
    ),
]

# Customers' ratings of the value delivered in a quarter.
urlpatterns += [
    path(
        "accounts/<int:account_pk>/ratings/",
        review_apis.RatingListApi.as_view(),
        name="rating_list",
    ),
]
