from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("<int:pk>/", views.account_detail, name="detail"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/retry/", views.import_retry, name="import_retry"),
]
