from django.urls import path

from stakeholders import views

app_name = "stakeholders"

urlpatterns = [
    path("account/<int:pk>/", views.account_page, name="account"),
    path("account/<int:pk>/board/", views.account_board, name="account_board"),
    path("coverage/", views.coverage, name="coverage"),
    path("import/", views.import_people, name="import"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/leave/", views.leave, name="leave"),
    path("<int:pk>/rejoin/", views.rejoin, name="rejoin"),
    path("<int:pk>/erase/", views.erase, name="erase"),
]
