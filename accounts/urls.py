from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("<int:pk>/", views.account_detail, name="detail"),
]
