"""Routes for scorecards, reviews, snapshots and customer links.

plans/urls.py adds these to its own, so they share the plans namespace.
"""

from django.urls import path

from plans import review_views as views

urlpatterns = [
    path("account/<int:account_pk>/scorecard/", views.scorecard_view, name="scorecard"),
    path(
        "account/<int:account_pk>/scorecard/measures/",
        views.scorecard_measure_create,
        name="scorecard_measure_create",
    ),
    path(
        "account/<int:account_pk>/scorecard/<str:quarter>/values/",
        views.scorecard_quarter_set,
        name="scorecard_quarter_set",
    ),
    path(
        "account/<int:account_pk>/scorecard/<str:quarter>/ratings/",
        views.scorecard_rating_record,
        name="scorecard_rating_record",
    ),
    path(
        "account/<int:account_pk>/scorecard/voice/",
        views.scorecard_voice_create,
        name="scorecard_voice_create",
    ),
    path(
        "account/<int:account_pk>/scorecard/measures/<int:pk>/edit/",
        views.scorecard_measure_update,
        name="scorecard_measure_update",
    ),
    path(
        "account/<int:account_pk>/scorecard/measures/<int:pk>/delete/",
        views.scorecard_measure_delete,
        name="scorecard_measure_delete",
    ),
    path(
        "account/<int:account_pk>/scorecard/voice/<int:pk>/edit/",
        views.scorecard_voice_update,
        name="scorecard_voice_update",
    ),
    path(
        "account/<int:account_pk>/scorecard/voice/<int:pk>/delete/",
        views.scorecard_voice_delete,
        name="scorecard_voice_delete",
    ),
    path(
        "account/<int:account_pk>/customer-links/",
        views.customer_link_create_view,
        name="customer_link_create",
    ),
    path(
        "account/<int:account_pk>/customer-links/<int:link_pk>/revoke/",
        views.customer_link_revoke_view,
        name="customer_link_revoke",
    ),
    path(
        "account/<int:account_pk>/review/", views.review_current, name="review_current"
    ),
    path(
        "account/<int:account_pk>/review/<str:quarter>/",
        views.review_view,
        name="review",
    ),
    path(
        "account/<int:account_pk>/review/<str:quarter>/export.<str:file_format>",
        views.review_export,
        name="review_export",
    ),
    path("<int:pk>/snapshots/", views.snapshot_list_view, name="snapshots"),
    path("<int:pk>/snapshots/take/", views.snapshot_take_view, name="snapshot_take"),
    path(
        "<int:pk>/snapshots/compare/",
        views.snapshot_compare_view,
        name="snapshot_compare",
    ),
    path("customer/<str:token>/", views.customer_view, name="customer"),
    path(
        "customer/<str:token>/rating/", views.customer_rate_view, name="customer_rate"
    ),
    path(
        "customer/<str:token>/checkpoints/<int:checkpoint_pk>/confirm/",
        views.customer_confirm_view,
        name="customer_confirm",
    ),
]
