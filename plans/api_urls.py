from django.urls import include, path

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

# Each group below shares its path's start; the routes keep their names.

# One plan, by `pk`.
plan_patterns = [
    path("", apis.PlanDetailApi.as_view(), name="detail"),
    path("next/", apis.PlanNextApi.as_view(), name="next"),
    path("comments/", apis.CommentListApi.as_view(), name="comment_list"),
    path("history/", apis.PlanHistoryApi.as_view(), name="history"),
]

# What hangs off a plan, by `plan_pk`: its items, snapshots, manager reviews.
plan_part_patterns = [
    path("items/<str:kind>/", apis.ItemCreateApi.as_view(), name="item_create"),
    path("snapshots/", review_apis.SnapshotListApi.as_view(), name="snapshots"),
    path("snapshots/<int:pk>/", review_apis.SnapshotApi.as_view(), name="snapshot"),
    path(
        "snapshots/compare/",
        review_apis.SnapshotCompareApi.as_view(),
        name="snapshot_compare",
    ),
    path(
        "manager-reviews/",
        manager_review_apis.PlanManagerReviewListApi.as_view(),
        name="plan_manager_review_list",
    ),
]

# An account's scorecard, voice of the customer, customer links, reviews
# and ratings. The measures come before `scorecard/<quarter>/`, which would
# otherwise take "measures" for a quarter.
account_patterns = [
    path("scorecard/", review_apis.ScorecardApi.as_view(), name="scorecard"),
    path(
        "scorecard/measures/",
        review_apis.MeasureCreateApi.as_view(),
        name="measure_create",
    ),
    path(
        "scorecard/measures/<int:pk>/",
        review_apis.MeasureApi.as_view(),
        name="measure",
    ),
    path(
        "scorecard/<str:quarter>/",
        review_apis.MeasureQuarterSetApi.as_view(),
        name="measure_quarter_set",
    ),
    path("voice/", review_apis.VoiceListApi.as_view(), name="voice_list"),
    path("voice/<int:pk>/", review_apis.VoiceApi.as_view(), name="voice"),
    path(
        "customer-links/",
        review_apis.CustomerLinkListApi.as_view(),
        name="customer_link_list",
    ),
    path(
        "customer-links/<int:link_pk>/revoke/",
        review_apis.CustomerLinkRevokeApi.as_view(),
        name="customer_link_revoke",
    ),
    path("reviews/<str:quarter>/", review_apis.ReviewApi.as_view(), name="review"),
    path(
        "reviews/<str:quarter>/export.<str:file_format>",
        export_apis.ReviewExportApi.as_view(),
        name="review_export",
    ),
    path(
        "manager-reviews/",
        list_apis.ManagerReviewListApi.as_view(),
        name="manager_review_list",
    ),
    path(
        "executive-reviews/",
        list_apis.ExecutiveReviewListApi.as_view(),
        name="executive_review_list",
    ),
    path("ratings/", review_apis.RatingListApi.as_view(), name="rating_list"),
]

# Sell-cycle templates: everyone reads, sales ops change.
template_patterns = [
    path("", template_apis.TemplateListApi.as_view(), name="template_list"),
    path("<int:pk>/", template_apis.TemplateApi.as_view(), name="template"),
    path(
        "<int:pk>/stages/",
        template_apis.TemplateStageCreateApi.as_view(),
        name="template_stage_create",
    ),
    path(
        "stages/<int:pk>/",
        template_apis.TemplateStageApi.as_view(),
        name="template_stage",
    ),
    path(
        "stages/<int:pk>/checkpoints/",
        template_apis.TemplateCheckpointCreateApi.as_view(),
        name="template_checkpoint_create",
    ),
    path(
        "checkpoints/<int:pk>/",
        template_apis.TemplateCheckpointApi.as_view(),
        name="template_checkpoint",
    ),
]

urlpatterns = [
    path("", list_apis.PlanListApi.as_view(), name="plan_list"),
    path("balance/", apis.PlanBalanceApi.as_view(), name="balance"),
    path("<int:pk>/", include(plan_patterns)),
    path("<int:plan_pk>/", include(plan_part_patterns)),
    path("accounts/<int:account_pk>/", include(account_patterns)),
    path("templates/", include(template_patterns)),
    # One plan item, and the steps of a pursuit's sell cycle.
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
    # Lists across the accounts the user may see.
    path("pursuits/", list_apis.PursuitListApi.as_view(), name="pursuit_list"),
    path(
        "manager-reviews/<int:pk>/",
        manager_review_apis.ManagerReviewApi.as_view(),
        name="manager_review",
    ),
    # The manager dashboard's figures and the accounts behind each, and its
    # export for token holders.
    path("dashboard/", dashboard_apis.DashboardApi.as_view(), name="dashboard"),
    path(
        "dashboard/accounts/",
        dashboard_apis.DashboardAccountListApi.as_view(),
        name="dashboard_accounts",
    ),
    path(
        "exports/dashboard.<str:file_format>",
        export_apis.DashboardExportApi.as_view(),
        name="dashboard_export",
    ),
]
