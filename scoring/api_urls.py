from django.urls import path

from scoring import apis

app_name = "scoring_api"

urlpatterns = [
    path("models/", apis.ScoringModelListApi.as_view(), name="model_list"),
    path("models/<int:pk>/", apis.ScoringModelDetailApi.as_view(), name="model_detail"),
    path("runs/", apis.ScoreRunListApi.as_view(), name="run_list"),
    path("runs/start/", apis.ScoreRunCreateApi.as_view(), name="run_create"),
    path("runs/current/", apis.ScoreRunCurrentApi.as_view(), name="run_current"),
    path("runs/<int:pk>/", apis.ScoreRunDetailApi.as_view(), name="run_detail"),
    path("scores/", apis.ScoreListApi.as_view(), name="score_list"),
    path(
        "accounts/<int:account_pk>/score/",
        apis.AccountScoreApi.as_view(),
        name="account_score",
    ),
    path(
        "accounts/<int:account_pk>/history/",
        apis.AccountScoreHistoryApi.as_view(),
        name="account_score_history",
    ),
]
