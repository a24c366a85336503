from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/edit/", views.account_edit, name="edit"),
    path("<int:account_pk>/deals/", views.deal_list, name="deal_list"),
    path("<int:account_pk>/deals/new/", views.deal_new, name="deal_create"),
    path("deals/<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("import/<int:pk>/retry/", views.import_retry, name="import_retry"),
    path("import/wizard/", views.wizard_upload, name="wizard"),
    path("import/wizard/<int:pk>/", views.wizard_report, name="wizard_report"),
    path(
        "import/wizard/<int:pk>/mapping/", views.wizard_mapping, name="wizard_mapping"
    ),
    path("import/wizard/<int:pk>/check/", views.wizard_check, name="wizard_check"),
    path(
        "import/wizard/<int:pk>/changes.csv",
        views.wizard_changes_csv,
        name="wizard_changes_csv",
    ),
    path(
        "import/wizard/<int:pk>/report.csv",
        views.wizard_report_csv,
        name="wizard_report_csv",
    ),
    path("import/wizard/<int:pk>/undo/", views.wizard_undo, name="wizard_undo"),
    path(
        "import/wizard/<int:pk>/undo.csv",
        views.wizard_undo_csv,
        name="wizard_undo_csv",
    ),
    path("import/wizard/<int:pk>/sheet/", views.wizard_sheet, name="wizard_sheet"),
    path("import/wizard/<int:pk>/header/", views.wizard_header, name="wizard_header"),
    path(
        "import/wizard/<int:pk>/delimiter/",
        views.wizard_delimiter,
        name="wizard_delimiter",
    ),
    path(
        "import/wizard/<int:pk>/number-format/",
        views.wizard_number_format,
        name="wizard_number_format",
    ),
    path(
        "import/wizard/<int:pk>/discard/",
        views.wizard_discard,
        name="wizard_discard",
    ),
    path("import/wizard/<int:pk>/reopen/", views.wizard_reopen, name="wizard_reopen"),
    path("import/wizard/<int:pk>/answer/", views.wizard_answer, name="wizard_answer"),
]
