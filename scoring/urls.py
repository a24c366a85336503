from django.urls import path

from scoring import model_views, run_views, views

app_name = "scoring"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/figure/", views.portfolio_figure, name="portfolio_figure"),
    path("runs/", views.run_create, name="run_create"),
    path("runs/progress/", views.run_progress, name="run_progress"),
    path("runs/all/", run_views.run_list_view, name="run_list"),
    path("runs/<int:pk>/", run_views.run_detail_view, name="run_detail"),
    path("model/", model_views.scoring_model_page, name="model"),
]
