from django.urls import path

from plans import apis

app_name = "plans_api"

urlpatterns = [
    path("", apis.PlanCreateApi.as_view(), name="plan_create"),
    path("balance/", apis.PlanBalanceApi.as_view(), name="balance"),
    path("<int:pk>/", apis.PlanDetailApi.as_view(), name="detail"),
    path("<int:pk>/next/", apis.PlanNextApi.as_view(), name="next"),
    path("<int:pk>/comments/", apis.CommentCreateApi.as_view(), name="comment_create"),
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
